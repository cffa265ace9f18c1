// The page's configuration: config.json beside index.html. Every problem is named, with the
// key and the rule; nothing is guessed and no unknown key is ignored.

export class ConfigError extends Error {
  constructor(problems) {
    super(problems.join(" "));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

const KEYS = {
  region: "the user pool's AWS Region, for example eu-west-1",
  userPoolClientId: "the app client's id (the template's UserPoolClientId output)",
  endpoint: "optional: Cognito's API URL (default https://cognito-idp.<region>.amazonaws.com/)",
  codeLifetimeSeconds: "optional: how long a code is accepted (the template's CodeTtlSeconds; default 300)",
  outboxUrl: "optional, local pool only: where its outbox page is",
  authFlow: "optional: the template's AuthFlow (this page signs in with otp only)",
  signUp: "optional: whether a new address gets an account once its code is typed (the template's PasswordlessSignUp; default false)",
  passkeyApi: "optional: the passkey API's URL (the template's PasskeyApiUrl output), with PASSKEY among the sign-in methods: the page then offers to sign in with a passkey and to add one",
};
const RULES = {
  region: "must be an AWS Region, such as eu-west-1",
  userPoolClientId: "must be an app client id (letters, digits, _ and +)",
};
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const CLIENT_ID = /^[\w+]{1,128}$/;
const LOOPBACK = new Set(["localhost", "127.0.0.1"]);
const LOCAL_PATH = /^\/(?![\/\\])[A-Za-z0-9._~\/-]*$/;

function checkEndpoint(value, problems, key = "endpoint", example = "https://cognito-idp.eu-west-1.amazonaws.com/") {
  let url;
  try {
    url = new URL(value);
  } catch {
    problems.push(`config.json's ${key} must be a URL, such as ${example}.`);
    return null;
  }
  // Plain http: a pool on this machine, or the server the page itself came from (custom-auth
  // serve bound to another address).
  const here = typeof location !== "undefined" && url.origin === location.origin;
  if (url.protocol !== "https:" && !(url.protocol === "http:" && (LOOPBACK.has(url.hostname) || here))) {
    problems.push(`config.json's ${key} must use https (plain http only for localhost, 127.0.0.1 or this page's own server).`);
    return null;
  }
  if (url.username || url.password || url.search || url.hash) {
    problems.push(`config.json's ${key} must not carry a user name, password, query or fragment.`);
    return null;
  }
  return url.href;
}

// The passkey API: a URL as the endpoint's, or a path on this site (its own server, as
// custom-auth serve bound to every interface says). Its routes are under it: ends in "/".
function checkPasskeyApi(value, problems) {
  if (typeof value !== "string" || !value) {
    problems.push("config.json's passkeyApi must be a URL (the template's PasskeyApiUrl output).");
    return null;
  }
  let href;
  if (value.startsWith("/")) {
    if (!LOCAL_PATH.test(value) || typeof location === "undefined") {
      problems.push("config.json's passkeyApi must be a URL, or a path on this site such as /.");
      return null;
    }
    href = new URL(value, location.origin).href;
  } else {
    href = checkEndpoint(value, problems, "passkeyApi", "https://abc123.execute-api.eu-west-1.amazonaws.com");
    if (href === null) return null;
  }
  return href.endsWith("/") ? href : `${href}/`;
}

/** Check a parsed config.json; returns the settings or throws ConfigError naming each problem. */
export function checkConfig(raw) {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(["config.json must hold a JSON object."]);
  }
  const problems = [];
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(KEYS, key)) problems.push(`config.json has a key this page does not know: ${JSON.stringify(key)} (it knows ${Object.keys(KEYS).join(", ")}).`);
  }
  const need = (key, pattern) => {
    if (!(key in raw) || raw[key] === "") {
      problems.push(`config.json is missing ${key}: ${KEYS[key]}.`);
    } else if (typeof raw[key] !== "string" || !pattern.test(raw[key])) {
      problems.push(`config.json's ${key} ${RULES[key]}.`);
    }
  };
  need("region", REGION);
  need("userPoolClientId", CLIENT_ID);
  let endpoint = null;
  if ("endpoint" in raw) {
    if (typeof raw.endpoint !== "string") problems.push("config.json's endpoint must be a string (a URL).");
    else endpoint = checkEndpoint(raw.endpoint, problems);
  } else if (typeof raw.region === "string" && REGION.test(raw.region)) {
    const domain = raw.region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    endpoint = `https://cognito-idp.${raw.region}.${domain}/`;
  }
  let codeLifetimeSeconds = 300;
  if ("codeLifetimeSeconds" in raw) {
    const value = raw.codeLifetimeSeconds;
    if (!Number.isInteger(value) || value < 30 || value > 600) {
      problems.push("config.json's codeLifetimeSeconds must be a whole number of seconds from 30 to 600.");
    } else {
      codeLifetimeSeconds = value;
    }
  }
  let outboxUrl = null;
  if ("outboxUrl" in raw) {
    if (typeof raw.outboxUrl !== "string" || !LOCAL_PATH.test(raw.outboxUrl)) {
      problems.push("config.json's outboxUrl must be a path on this site, such as /outbox/.");
    } else {
      outboxUrl = raw.outboxUrl;
    }
  }
  if ("authFlow" in raw && raw.authFlow !== "otp") {
    problems.push(
      raw.authFlow === "password+otp"
        ? "config.json's authFlow is password+otp: this page does not do the password step (SRP) that comes first; it signs in to pools with AuthFlow=otp."
        : "config.json's authFlow must be otp (the template's AuthFlow).",
    );
  }
  let signUp = false;
  if ("signUp" in raw) {
    if (typeof raw.signUp !== "boolean") {
      problems.push("config.json's signUp must be true or false, not in quotes (the template's PasswordlessSignUp).");
    } else {
      signUp = raw.signUp;
    }
  }
  let passkeyApi = null;
  if ("passkeyApi" in raw) passkeyApi = checkPasskeyApi(raw.passkeyApi, problems);
  if (problems.length) throw new ConfigError(problems);
  return { region: raw.region, clientId: raw.userPoolClientId, endpoint, codeLifetimeSeconds, outboxUrl, signUp, passkeyApi };
}

/** Fetch and check config.json (beside the page). */
export async function loadConfig(url = "config.json") {
  let response;
  try {
    response = await fetch(url, { cache: "no-store", credentials: "same-origin" });
  } catch {
    throw new ConfigError(["config.json could not be fetched: the site did not answer."]);
  }
  if (!response.ok) {
    throw new ConfigError([`config.json could not be loaded (HTTP ${response.status}): put it beside index.html, with region and userPoolClientId.`]);
  }
  let raw;
  try {
    raw = JSON.parse(await response.text());
  } catch {
    throw new ConfigError(["config.json is not valid JSON."]);
  }
  return checkConfig(raw);
}
