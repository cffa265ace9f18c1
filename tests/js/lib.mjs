// Shared by sdk-v3.mjs and identity-js.mjs: the config, the JSON-line report, the outbox, and
// token helpers that never print a token, a code or a password.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createPublicKey, createVerify } from "node:crypto";
import { join, resolve } from "node:path";

/**
 * The config, from argv[2] (a JSON string or a file holding one). Fields:
 *   endpoint_url, region, user_pool_id, client_id   as in .custom-auth/stack.json
 *   outbox      the folder of the messages the local pool sent
 *   username    an email with an account; password: its password
 *   auth_flow   "otp" or "password+otp": the deployment's AuthFlow
 */
export function loadConfig() {
  const raw = process.argv[2];
  if (!raw) {
    console.error("usage: node <script> '<config JSON>' | config.json");
    process.exit(2);
  }
  const config = JSON.parse(raw.trimStart().startsWith("{") ? raw : readFileSync(raw, "utf8"));
  for (const key of ["endpoint_url", "region", "user_pool_id", "client_id", "outbox", "username", "password", "auth_flow"]) {
    if (!config[key]) {
      console.error(`config: missing ${key}`);
      process.exit(2);
    }
  }
  config.outbox = resolve(config.outbox);
  config.issuer = `${config.endpoint_url.replace(/\/$/, "")}/${config.user_pool_id}`;
  config.timeout_ms ??= 30000;
  return config;
}

/** One JSON line per check: {"check", "ok", "detail"}; the exit status says whether all passed. */
export class Reporter {
  constructor(prefix) {
    this.prefix = prefix;
    this.failed = 0;
  }
  report(check, ok, detail) {
    if (!ok) this.failed += 1;
    console.log(JSON.stringify({ check: `${this.prefix}.${check}`, ok, detail }));
    return ok;
  }
  finish() {
    process.exitCode = this.failed ? 1 : 0;
  }
}

/**
 * The two kinds of check: `check(name, fn)` passes when fn resolves (its value is the detail);
 * `refused(name, code, message, fn)` when fn fails with Cognito's error `code` and, when given,
 * exactly `message`.
 */
export function checks(reporter) {
  return {
    async check(name, fn) {
      try {
        return reporter.report(name, true, await fn());
      } catch (err) {
        return reporter.report(name, false, describeError(err));
      }
    },
    async refused(name, code, message, fn) {
      try {
        await fn();
        return reporter.report(name, false, `expected ${code}, but it succeeded`);
      } catch (err) {
        const ok = errorName(err) === code && (message === undefined || err.message === message);
        return reporter.report(name, ok, describeError(err));
      }
    },
  };
}

/** Rejects after ms: a callback a library never calls must not hang the script. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`timeout after ${ms} ms: ${what}`), { name: "Timeout" })), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The error's name (Cognito's error code), as each library reports it. */
export function errorName(err) {
  if (!err) return undefined;
  return err.name && err.name !== "Error" ? err.name : err.code || err.__type;
}

export function describeError(err) {
  const status = err?.$metadata?.httpStatusCode ?? err?.statusCode;
  const message = String(err?.message ?? err).replace(/\s+/g, " ").slice(0, 300);
  return `${errorName(err) ?? "Error"}${status ? ` (HTTP ${status})` : ""}: ${message}`;
}

// --- the outbox -------------------------------------------------------------------------------

function messagesTo(outbox, to) {
  if (!existsSync(outbox)) return [];
  return readdirSync(outbox)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => JSON.parse(readFileSync(join(outbox, name), "utf8")))
    .filter((message) => String(message.to).toLowerCase() === to.toLowerCase());
}

/** How many messages went to `to`: give it to codeFor before starting a sign-in. */
export function sentTo(outbox, to) {
  return messagesTo(outbox, to).length;
}

/** The code of the first message to `to` after `before` of them (waits up to waitMs). */
export async function codeFor(outbox, to, before, waitMs = 10000) {
  const deadline = Date.now() + waitMs;
  let messages = messagesTo(outbox, to);
  while (messages.length <= before && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 50));
    messages = messagesTo(outbox, to);
  }
  if (messages.length <= before) throw new Error(`no new message to ${to} in ${outbox}`);
  const match = /(?<!\d)\d{6,10}(?!\d)/.exec(messages[messages.length - 1].body);
  if (!match) throw new Error("the newest message has no code");
  return match[0];
}

// --- tokens -----------------------------------------------------------------------------------

export function decodeJwt(token) {
  const [header, payload] = token
    .split(".")
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")));
  return { header, payload };
}

/**
 * Verifies an RS256 JWT as a resource server would, with node:crypto: the key from the JWKS
 * under the token's issuer, the signature, the issuer (the endpoint's), the client, the use and
 * the expiry. Returns a summary of the claims that holds no secret.
 */
export async function verifyToken(config, token, use) {
  const { header, payload } = decodeJwt(token);
  if (payload.iss !== config.issuer) throw new Error(`iss is ${payload.iss}, the endpoint's issuer is ${config.issuer}`);
  const response = await fetch(`${payload.iss}/.well-known/jwks.json`);
  if (!response.ok) throw new Error(`JWKS: HTTP ${response.status}`);
  const jwk = ((await response.json()).keys || []).find((key) => key.kid === header.kid);
  if (!jwk) throw new Error("no key in the JWKS has the token's kid");
  const [h, p, s] = token.split(".");
  const verifier = createVerify("RSA-SHA256");
  verifier.update(`${h}.${p}`);
  if (!verifier.verify(createPublicKey({ key: jwk, format: "jwk" }), Buffer.from(s, "base64url"))) {
    throw new Error("the signature does not verify");
  }
  if (payload.token_use !== use) throw new Error(`token_use is ${payload.token_use}`);
  if ((use === "id" ? payload.aud : payload.client_id) !== config.client_id) throw new Error("another client's token");
  if (payload.exp * 1000 <= Date.now()) throw new Error("expired");
  for (const claim of ["auth_time", "event_id", "origin_jti", "jti"]) {
    if (!payload[claim]) throw new Error(`no ${claim} claim`);
  }
  return { kid: header.kid, auth_time: payload.auth_time, origin_jti: payload.origin_jti, email: payload.email };
}
