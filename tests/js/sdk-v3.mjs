// @aws-sdk/client-cognito-identity-provider (the JavaScript SDK v3) against a Cognito endpoint.
//
//   node sdk-v3.mjs '<config JSON>' | config.json        (the fields: lib.mjs loadConfig)
//
// One JSON line per check; never a token, a code or the password; exit 1 if any check fails.
// The client has no credentials: the sign-in calls are unauthenticated, as on AWS. The SDK has
// no SRP: password first takes its arithmetic from amazon-cognito-identity-js.
import {
  CognitoIdentityProviderClient,
  GetTokensFromRefreshTokenCommand,
  GetUserCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  RevokeTokenCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import identityJs from "amazon-cognito-identity-js";
import BigIntegerModule from "amazon-cognito-identity-js/lib/BigInteger.js";
import { createHmac } from "node:crypto";
import { checks, codeFor, decodeJwt, loadConfig, Reporter, sentTo, verifyToken, withTimeout } from "./lib.mjs";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true"; // node 20: a notice only
for (const key of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]) delete process.env[key];
process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/credentials";
process.env.AWS_CONFIG_FILE = "/nonexistent/config";

const config = loadConfig();
const r = new Reporter("sdk-v3");
const client = new CognitoIdentityProviderClient({ endpoint: config.endpoint_url, region: config.region, maxAttempts: 1 });
const send = (command) => withTimeout(client.send(command), config.timeout_ms, command.constructor.name);

const { check, refused } = checks(r);

// --- signing in -------------------------------------------------------------------------------

async function answerCode(started) {
  if (started.ChallengeName !== "CUSTOM_CHALLENGE") throw new Error(`expected CUSTOM_CHALLENGE, got ${started.ChallengeName}`);
  const done = await send(
    new RespondToAuthChallengeCommand({
      ClientId: config.client_id,
      ChallengeName: "CUSTOM_CHALLENGE",
      Session: started.Session,
      ChallengeResponses: { USERNAME: started.ChallengeParameters.USERNAME, ANSWER: await codeFor(config.outbox, config.username, started.sentBefore) },
    }),
  );
  if (!done.AuthenticationResult?.AccessToken) throw new Error(`no tokens, but ${done.ChallengeName}`);
  return done.AuthenticationResult;
}

async function codeSignIn() {
  const sentBefore = sentTo(config.outbox, config.username);
  const started = await send(
    new InitiateAuthCommand({ ClientId: config.client_id, AuthFlow: "CUSTOM_AUTH", AuthParameters: { USERNAME: config.username } }),
  );
  return answerCode({ ...started, sentBefore });
}

const { AuthenticationHelper, DateHelper } = identityJs;
const BigInteger = BigIntegerModule.default ?? BigIntegerModule;
const poolName = config.user_pool_id.split("_")[1];

async function passwordThenCode(password) {
  const helper = new AuthenticationHelper(poolName);
  const srpA = await new Promise((done, fail) => helper.getLargeAValue((err, a) => (err ? fail(err) : done(a.toString(16)))));
  const started = await send(
    new InitiateAuthCommand({
      ClientId: config.client_id,
      AuthFlow: "CUSTOM_AUTH",
      AuthParameters: { USERNAME: config.username, CHALLENGE_NAME: "SRP_A", SRP_A: srpA },
    }),
  );
  if (started.ChallengeName !== "PASSWORD_VERIFIER") throw new Error(`expected PASSWORD_VERIFIER, got ${started.ChallengeName}`);
  const p = started.ChallengeParameters;
  const key = await new Promise((done, fail) =>
    helper.getPasswordAuthenticationKey(p.USER_ID_FOR_SRP, password, new BigInteger(p.SRP_B, 16), new BigInteger(p.SALT, 16), (err, k) =>
      err ? fail(err) : done(k),
    ),
  );
  const timestamp = new DateHelper().getNowString();
  const message = Buffer.concat([Buffer.from(poolName), Buffer.from(p.USER_ID_FOR_SRP), Buffer.from(p.SECRET_BLOCK, "base64"), Buffer.from(timestamp)]);
  const sentBefore = sentTo(config.outbox, config.username);
  const verified = await send(
    new RespondToAuthChallengeCommand({
      ClientId: config.client_id,
      ChallengeName: "PASSWORD_VERIFIER",
      Session: started.Session,
      ChallengeResponses: {
        USERNAME: p.USER_ID_FOR_SRP,
        PASSWORD_CLAIM_SECRET_BLOCK: p.SECRET_BLOCK,
        TIMESTAMP: timestamp,
        PASSWORD_CLAIM_SIGNATURE: createHmac("sha256", Buffer.from(key)).update(message).digest("base64"),
      },
    }),
  );
  return answerCode({ ...verified, sentBefore });
}

// --- the checks -------------------------------------------------------------------------------

let tokens;
if (config.auth_flow === "otp") {
  await check("code_sign_in", async () => {
    tokens = await codeSignIn();
    return "CUSTOM_AUTH, then the emailed code: tokens";
  });
} else {
  await refused("code_alone_refused", "NotAuthorizedException", "Incorrect username or password.", codeSignIn);
  await refused("wrong_password_refused", "NotAuthorizedException", "Incorrect username or password.", () =>
    passwordThenCode(`${config.password}x`),
  );
  await check("password_then_code", async () => {
    tokens = await passwordThenCode(config.password);
    return "SRP_A inside CUSTOM_AUTH, PASSWORD_VERIFIER, then the emailed code: tokens";
  });
}

if (tokens) {
  const first = decodeJwt(tokens.IdToken).payload;
  await check("tokens_verify", async () => {
    const id = await verifyToken(config, tokens.IdToken, "id");
    const access = await verifyToken(config, tokens.AccessToken, "access");
    if (id.kid === access.kid) throw new Error("one key for both: Cognito signs ID and access tokens with two");
    if (id.email !== config.username) throw new Error(`the ID token's email is ${id.email}`);
    return `RS256 against ${config.issuer}/.well-known/jwks.json`;
  });
  await check("get_user", async () => {
    const user = await send(new GetUserCommand({ AccessToken: tokens.AccessToken }));
    const email = user.UserAttributes.find((a) => a.Name === "email")?.Value;
    if (email !== config.username) throw new Error(`email attribute ${email}`);
    return `GetUser: ${user.UserAttributes.length} attributes`;
  });
  await check("refresh_token_auth", async () => {
    const renewed = await send(
      new InitiateAuthCommand({ ClientId: config.client_id, AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken } }),
    );
    const claims = decodeJwt(renewed.AuthenticationResult.IdToken).payload;
    if (claims.auth_time !== first.auth_time) throw new Error("auth_time changed on refresh");
    if (claims.origin_jti !== first.origin_jti) throw new Error("origin_jti changed on refresh");
    return "new tokens; auth_time and origin_jti kept";
  });
  await check("get_tokens_from_refresh_token", async () => {
    const got = await send(new GetTokensFromRefreshTokenCommand({ ClientId: config.client_id, RefreshToken: tokens.RefreshToken }));
    if (!got.AuthenticationResult?.AccessToken) throw new Error("no access token");
    return `new tokens; RefreshToken ${got.AuthenticationResult.RefreshToken ? "rotated" : "kept"}`;
  });
  await check("revoke_token", async () => {
    await send(new RevokeTokenCommand({ ClientId: config.client_id, Token: tokens.RefreshToken }));
    return "RevokeToken accepted the refresh token";
  });
  await refused("refresh_after_revoke_refused", "NotAuthorizedException", "Refresh Token has been revoked", () =>
    send(new InitiateAuthCommand({ ClientId: config.client_id, AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken } })),
  );
  await refused("get_user_after_revoke_refused", "NotAuthorizedException", "Access Token has been revoked", () =>
    send(new GetUserCommand({ AccessToken: tokens.AccessToken })),
  );
}

// The flows that skip the triggers: the template's client allows none of them.
await refused("user_password_auth_refused", "InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client", () =>
  send(
    new InitiateAuthCommand({
      ClientId: config.client_id,
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: config.username, PASSWORD: config.password },
    }),
  ),
);
await refused("user_srp_auth_refused", "InvalidParameterException", "USER_SRP_AUTH is not enabled for the client.", () =>
  send(new InitiateAuthCommand({ ClientId: config.client_id, AuthFlow: "USER_SRP_AUTH", AuthParameters: { USERNAME: config.username, SRP_A: "abc123" } })),
);
r.finish();
