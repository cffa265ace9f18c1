// amazon-cognito-identity-js against a Cognito endpoint, as a Node app uses it:
// CognitoUserPool({ UserPoolId, ClientId, endpoint }), Node's own fetch, the library's in-memory
// storage (Node has no window.localStorage). No polyfill.
//
//   node identity-js.mjs '<config JSON>' | config.json     (the fields: lib.mjs loadConfig)
//
// One JSON line per check; never a token, a code or the password; exit 1 if any check fails.
import identityJs from "amazon-cognito-identity-js";
import { checks, codeFor, decodeJwt, loadConfig, Reporter, sentTo, verifyToken, withTimeout } from "./lib.mjs";

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = identityJs;
const config = loadConfig();
const r = new Reporter("identity-js");
const pool = new CognitoUserPool({ UserPoolId: config.user_pool_id, ClientId: config.client_id, endpoint: config.endpoint_url });

// An error thrown inside one of the library's callbacks fails the check it belongs to.
let failCurrent = null;
process.on("uncaughtException", (err) => {
  if (!failCurrent) throw err;
  failCurrent(err);
});

/** fn(resolve, reject), settled once, with a timeout. */
function settle(what, fn) {
  return withTimeout(
    new Promise((resolve, reject) => {
      failCurrent = reject;
      try {
        fn(resolve, reject);
      } catch (err) {
        reject(err);
      }
    }),
    config.timeout_ms,
    what,
  ).finally(() => {
    failCurrent = null;
  });
}

const nodeCallback = (what, fn) => settle(what, (resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));

function callbacks(resolve, reject, customChallenge) {
  const unexpected = (name) => () => reject(new Error(`unexpected callback ${name}`));
  return {
    onSuccess: resolve,
    onFailure: reject,
    customChallenge: customChallenge ?? unexpected("customChallenge"),
    mfaRequired: unexpected("mfaRequired"),
    totpRequired: unexpected("totpRequired"),
    selectMFAType: unexpected("selectMFAType"),
    mfaSetup: unexpected("mfaSetup"),
    newPasswordRequired: unexpected("newPasswordRequired"),
  };
}

/** CUSTOM_AUTH: initiateAuth (code alone) or authenticateUser (SRP first), then the code. */
async function signIn(password) {
  const user = new CognitoUser({ Username: config.username, Pool: pool });
  user.setAuthenticationFlowType("CUSTOM_AUTH");
  const before = sentTo(config.outbox, config.username);
  const session = await settle("sign-in", (resolve, reject) => {
    const answer = () =>
      codeFor(config.outbox, config.username, before)
        .then((code) => user.sendCustomChallengeAnswer(code, callbacks(resolve, reject)))
        .catch(reject);
    const details = new AuthenticationDetails({ Username: config.username, Password: password });
    if (password === undefined) user.initiateAuth(details, callbacks(resolve, reject, answer));
    else user.authenticateUser(details, callbacks(resolve, reject, answer));
  });
  return { user, session };
}

const { check, refused } = checks(r);

// --- the checks -------------------------------------------------------------------------------

const password = config.auth_flow === "otp" ? undefined : config.password;
let signedIn;
if (password === undefined) {
  await check("code_sign_in", async () => {
    signedIn = await signIn();
    return "initiateAuth (CUSTOM_AUTH), then sendCustomChallengeAnswer: a session";
  });
} else {
  await refused("code_alone_refused", "NotAuthorizedException", "Incorrect username or password.", () => signIn());
  await refused("wrong_password_refused", "NotAuthorizedException", "Incorrect username or password.", () => signIn(`${password}x`));
  await check("password_then_code", async () => {
    signedIn = await signIn(password);
    return "authenticateUser (CUSTOM_AUTH: SRP_A, PASSWORD_VERIFIER), then the code: a session";
  });
}

if (signedIn) {
  const { user, session } = signedIn;
  await check("tokens_verify", async () => {
    const id = await verifyToken(config, session.getIdToken().getJwtToken(), "id");
    await verifyToken(config, session.getAccessToken().getJwtToken(), "access");
    if (id.email !== config.username) throw new Error(`the ID token's email is ${id.email}`);
    return `RS256 against ${config.issuer}/.well-known/jwks.json`;
  });
  await check("get_session_from_storage", async () => {
    const current = pool.getCurrentUser();
    if (!current) throw new Error("pool.getCurrentUser() is null");
    const cached = await nodeCallback("getSession", (cb) => current.getSession(cb));
    if (!cached.isValid()) throw new Error("the stored session is not valid");
    return "getCurrentUser().getSession(): valid";
  });
  await check("get_user_attributes", async () => {
    const attributes = await nodeCallback("getUserAttributes", (cb) => user.getUserAttributes(cb));
    const email = attributes.find((a) => a.getName() === "email")?.getValue();
    if (email !== config.username) throw new Error(`email attribute ${email}`);
    return `GetUser: ${attributes.length} attributes`;
  });
  const refreshToken = session.getRefreshToken();
  await check("refresh_session", async () => {
    const renewed = await nodeCallback("refreshSession", (cb) => user.refreshSession(refreshToken, cb));
    const before = decodeJwt(session.getIdToken().getJwtToken()).payload;
    const after = decodeJwt(renewed.getIdToken().getJwtToken()).payload;
    if (after.auth_time !== before.auth_time) throw new Error("auth_time changed on refresh");
    return "refreshSession: new tokens, auth_time kept";
  });
  await check("revoke_tokens", async () => {
    // The library calls RevokeToken only for tokens that carry origin_jti, as Cognito's do.
    if (!decodeJwt(user.getSignInUserSession().getAccessToken().getJwtToken()).payload.origin_jti) {
      throw new Error("no origin_jti: revokeTokens() would revoke nothing");
    }
    await nodeCallback("revokeTokens", (cb) => user.revokeTokens(cb));
    return "revokeTokens: RevokeToken accepted";
  });
  await refused("refresh_after_revoke_refused", "NotAuthorizedException", "Refresh Token has been revoked", () =>
    nodeCallback("refreshSession", (cb) => user.refreshSession(refreshToken, cb)),
  );

  let second;
  await check("global_sign_out", async () => {
    second = await signIn(password);
    await settle("globalSignOut", (resolve, reject) => second.user.globalSignOut({ onSuccess: resolve, onFailure: reject }));
    return "globalSignOut on a second session";
  });
  if (second) {
    await refused("get_user_after_global_sign_out_refused", "NotAuthorizedException", "Access Token has been revoked", () =>
      nodeCallback("getUserAttributes", (cb) => second.user.getUserAttributes(cb)),
    );
    await refused("refresh_after_global_sign_out_refused", "NotAuthorizedException", "Refresh Token has been revoked", () =>
      nodeCallback("refreshSession", (cb) => second.user.refreshSession(second.session.getRefreshToken(), cb)),
    );
  }
}

// The flows that skip the triggers: the template's client allows none of them.
const plain = (flow) => () => {
  const user = new CognitoUser({ Username: config.username, Pool: pool });
  if (flow) user.setAuthenticationFlowType(flow);
  return settle(`authenticateUser (${flow ?? "USER_SRP_AUTH"})`, (resolve, reject) =>
    user.authenticateUser(new AuthenticationDetails({ Username: config.username, Password: config.password }), callbacks(resolve, reject)),
  );
};
await refused("user_srp_auth_refused", "InvalidParameterException", "USER_SRP_AUTH is not enabled for the client.", plain(undefined));
await refused(
  "user_password_auth_refused",
  "InvalidParameterException",
  "USER_PASSWORD_AUTH flow not enabled for this client",
  plain("USER_PASSWORD_AUTH"),
);
r.finish();
