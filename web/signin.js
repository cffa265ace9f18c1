// The sign-in page: custom-auth's CUSTOM_CHALLENGE flow, one screen per step.
//
// What it keeps, and where: the sign-in's session string and, once signed in, the tokens live
// in this module's memory only. Nothing goes to localStorage, sessionStorage, cookies, the URL
// or the console, so reloading the page signs out of it (see the README).

import { Cognito, CognitoError, NetworkError } from "./cognito.js";
import { ConfigError, loadConfig } from "./config.js";

const METHODS = {
  EMAIL_OTP: { choice: "Email me a code", sent: "by email", instead: "Email me a code instead" },
  SMS_OTP: { choice: "Text me a code", sent: "by text message", instead: "Text me a code instead" },
};
const SELECT = "SELECT";
const STEPS = ["config-step", "username-step", "method-step", "code-step", "signed-in-step"];

const $ = (id) => document.getElementById(id);

let config = null;
let cognito = null;
let signIn = null; // the sign-in under way: {typed, username, session, offered, method, switched, since}
let tokens = null; // once signed in: {access, refresh}

// --- what the person sees ------------------------------------------------------------------

function show(step, focus) {
  for (const id of STEPS) $(id).hidden = id !== step;
  $("loading").hidden = true;
  // Locally, where the codes are: while signing in.
  $("local-note").hidden = !(config && config.outboxUrl) || step === "signed-in-step";
  const target = focus ? $(focus) : $("title");
  if (target) target.focus();
}

function alertText(text) {
  const box = $("alert");
  box.textContent = text || "";
  box.hidden = !text;
}

function status(text) {
  $("status").textContent = text || "";
}

function fieldError(id, text) {
  const box = $(id);
  box.textContent = text || "";
  box.hidden = !text;
  const input = box.previousElementSibling;
  if (input) input.setAttribute("aria-invalid", text ? "true" : "false");
}

function busy(on) {
  for (const button of document.querySelectorAll("button")) button.disabled = on;
  document.querySelector("main").setAttribute("aria-busy", on ? "true" : "false");
}

function methodText(name, key) {
  return (METHODS[name] && METHODS[name][key]) || name;
}

// --- errors, in words ----------------------------------------------------------------------

// Cognito's errors become sentences; its own message is never shown (it can be technical, and
// Cognito's messages are the same for a known and an unknown user only as long as the page does
// not add detail of its own).
function explain(error, during) {
  if (error instanceof NetworkError) {
    return "We could not reach the sign-in service. Check your connection and try again.";
  }
  if (!(error instanceof CognitoError)) {
    return "Something went wrong on this page. Reload it and try again.";
  }
  const detail = error.detail;
  switch (error.type) {
    case "NotAuthorizedException":
      if (/session is expired/i.test(detail)) {
        return "This sign-in has expired: it waited too long for the code. Continue to start again and get a new one.";
      }
      if (/session/i.test(detail)) {
        return "This sign-in can no longer go on. Continue to start again.";
      }
      if (/secret/i.test(detail)) {
        return "This page cannot sign in with this app client: it has a client secret, which a web page cannot keep. Its administrator needs an app client without one.";
      }
      if (during === "code") {
        return "That code is not right, and this sign-in has had too many wrong codes. Continue to start again.";
      }
      return "We could not sign you in. Check what you typed and try again.";
    case "UserNotFoundException":
      // Only with PreventUserExistenceErrors off: the page says no more than Cognito did.
      return "We could not sign you in. Check what you typed and try again.";
    case "UserLambdaValidationException":
      if (/^CreateAuthChallenge/.test(detail)) {
        return "We could not send you a code just now. Please try again in a few minutes.";
      }
      return "We could not check your code just now. Please try again in a few minutes.";
    case "TooManyRequestsException":
    case "LimitExceededException":
    case "TooManyFailedAttemptsException":
      return "There have been too many tries. Wait a few minutes and try again.";
    case "ResourceNotFoundException":
      return "This page is set up with an app client the user pool does not have (config.json's userPoolClientId).";
    case "InvalidParameterException":
      if (/not enabled for the client/i.test(detail)) {
        return "This page's app client does not allow this sign-in (it needs ALLOW_CUSTOM_AUTH).";
      }
      return "The sign-in service refused this request. Reload the page and try again.";
    case "PasswordResetRequiredException":
    case "UserNotConfirmedException":
      return "This account cannot sign in yet. Contact the people who run this service.";
    default:
      return "Something went wrong on our side. Please try again later.";
  }
}

// --- the sign-in ---------------------------------------------------------------------------

// Where a challenge leads: the method choice, a code, or the end.
async function advance(response) {
  if (response.AuthenticationResult) {
    return signedIn(response.AuthenticationResult);
  }
  if (response.ChallengeName !== "CUSTOM_CHALLENGE") {
    // A step this page does not do (a new password, SRP, MFA): say so, and which.
    stopped(null, "start");
    alertText(`This page cannot sign in to this user pool: it asks for a step the page does not do (${String(response.ChallengeName || "none")}).`);
    return null;
  }
  const parameters = response.ChallengeParameters || {};
  signIn.session = response.Session;
  signIn.username = parameters.USERNAME || signIn.username;
  if (parameters.SIGN_IN_METHOD === SELECT) {
    let offered = [];
    try {
      offered = JSON.parse(parameters.SIGN_IN_METHODS || "[]");
    } catch {
      offered = [];
    }
    signIn.offered = Array.isArray(offered) ? offered.filter((name) => typeof name === "string") : [];
    // One method offered: nothing to choose, so the page answers the choice itself.
    return signIn.offered.length === 1 ? choose(signIn.offered[0]) : chooseMethod();
  }
  const method = parameters.SIGN_IN_METHOD || "";
  const fresh = method !== signIn.method;
  signIn.method = method;
  if (fresh) {
    signIn.since = performance.now();
    return askForCode();
  }
  return null; // the same method's next round: the caller says why
}

function chooseMethod() {
  const list = $("methods");
  list.replaceChildren();
  signIn.offered.forEach((name, index) => {
    const label = document.createElement("label");
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = "method"; // a radio group needs a name; the form is never submitted natively
    radio.value = name;
    radio.id = `method-${index}`;
    radio.checked = index === 0;
    label.append(radio, document.createTextNode(methodText(name, "choice")));
    list.append(label);
  });
  status("");
  show("method-step", "method-0");
}

function askForCode() {
  const minutes = Math.round(config.codeLifetimeSeconds / 60);
  const lasts = minutes >= 1 ? `${minutes} minute${minutes === 1 ? "" : "s"}` : `${config.codeLifetimeSeconds} seconds`;
  $("signing-in-as").textContent = signIn.typed;
  $("code-sent").textContent = `We sent you a sign-in code ${methodText(signIn.method, "sent")}. It works for ${lasts}.`;
  const other = signIn.offered.find((name) => name !== signIn.method);
  const canSwitch = Boolean(other) && !signIn.switched;
  $("switch").hidden = !canSwitch;
  if (canSwitch) {
    $("switch").textContent = methodText(other, "instead");
    $("switch").dataset.method = other;
  }
  $("code").value = "";
  fieldError("code-error", "");
  status("");
  show("code-step", "code");
}

async function start(typed) {
  signIn = { typed, username: typed, session: null, offered: [], method: null, switched: false, since: 0 };
  alertText("");
  busy(true);
  try {
    await advance(await cognito.initiateAuth(config.clientId, typed));
  } catch (error) {
    stopped(error, "start");
  } finally {
    busy(false);
  }
}

// The sign-in cannot go on (its session is spent, expired or refused): say why, and offer to
// start again from the username, which is kept.
function stopped(error, during) {
  const typed = signIn ? signIn.typed : "";
  signIn = null;
  alertText(explain(error, during));
  $("username").value = typed;
  show("username-step", "username");
}

async function respond(answer, metadata, during) {
  busy(true);
  try {
    return await cognito.respond(config.clientId, signIn.session, signIn.username, answer, metadata);
  } catch (error) {
    stopped(error, during);
    return null;
  } finally {
    busy(false);
  }
}

async function choose(method) {
  alertText("");
  const response = await respond(method, { signInMethod: method }, "choice");
  if (response) await advance(response);
}

async function switchTo(method) {
  alertText("");
  signIn.switched = true;
  const response = await respond(method, { signInMethod: method }, "switch");
  if (response) await advance(response);
}

async function answer(code) {
  alertText("");
  const elapsed = (performance.now() - signIn.since) / 1000;
  const method = signIn.method;
  const response = await respond(code, null, "code");
  if (!response) return;
  const parameters = response.ChallengeParameters || {};
  const again = response.ChallengeName === "CUSTOM_CHALLENGE" && parameters.SIGN_IN_METHOD === method;
  await advance(response);
  if (!again) return;
  // Another round of the same method: the code was refused. Cognito does not say why; past the
  // code's lifetime, expiry is the likely reason.
  $("code").value = "";
  alertText(
    elapsed >= config.codeLifetimeSeconds
      ? "That code has expired. Start again to get a new one."
      : "That code is not right. Check the message and try again.",
  );
  $("code").focus();
}

// --- signed in -----------------------------------------------------------------------------

async function signedIn(result) {
  tokens = { access: result.AccessToken, refresh: result.RefreshToken };
  signIn = null;
  alertText("");
  $("attributes").replaceChildren();
  $("who").textContent = "";
  show("signed-in-step", "signed-in-title");
  busy(true);
  try {
    const user = await cognito.getUser(tokens.access);
    const attributes = Object.fromEntries((user.UserAttributes || []).map((a) => [a.Name, a.Value]));
    $("who").textContent = attributes.email || attributes.phone_number || attributes.preferred_username || user.Username;
    for (const [name, label] of [["email", "Email"], ["phone_number", "Phone"], ["sub", "User id"]]) {
      if (!attributes[name]) continue;
      const term = document.createElement("dt");
      term.textContent = label;
      const value = document.createElement("dd");
      value.textContent = attributes[name];
      $("attributes").append(term, value);
    }
  } catch (error) {
    $("who").textContent = "(your details could not be loaded)";
    alertText(explain(error, "signed-in"));
  } finally {
    busy(false);
  }
}

// Sign out: RevokeToken ends this browser's sign-in (its refresh token and the access tokens it
// gave are revoked); GlobalSignOut ends every sign-in of the user. Either way the page then
// forgets the tokens, also when the call fails.
async function signOut(everywhere) {
  const held = tokens;
  tokens = null;
  busy(true);
  let note = everywhere ? "You are signed out on every device." : "You are signed out.";
  try {
    if (everywhere) await cognito.globalSignOut(held.access);
    else await cognito.revokeToken(config.clientId, held.refresh);
  } catch (error) {
    note = "You are signed out on this page, but the sign-in service could not be told, so your sign-in may still be valid elsewhere until it expires.";
    alertText(explain(error, "sign-out"));
  } finally {
    busy(false);
  }
  $("username").value = "";
  status(note);
  show("username-step", "username");
}

// --- wiring ----------------------------------------------------------------------------------

function wire() {
  $("username-step").addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = $("username").value.trim();
    if (!typed) {
      fieldError("username-error", "Type your email address or username.");
      $("username").focus();
      return;
    }
    fieldError("username-error", "");
    status("");
    start(typed);
  });
  $("method-step").addEventListener("submit", (event) => {
    event.preventDefault();
    const picked = document.querySelector('#methods input[type="radio"]:checked');
    if (picked) choose(picked.value);
  });
  $("code-step").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("code").value.trim();
    if (!code) {
      fieldError("code-error", "Type the code from the message.");
      $("code").focus();
      return;
    }
    fieldError("code-error", "");
    answer(code);
  });
  $("switch").addEventListener("click", () => {
    switchTo($("switch").dataset.method);
  });
  for (const button of document.querySelectorAll('[data-action="start-again"]')) {
    button.addEventListener("click", () => start(signIn.typed));
  }
  for (const button of document.querySelectorAll('[data-action="other-account"]')) {
    button.addEventListener("click", () => {
      signIn = null;
      alertText("");
      status("");
      show("username-step", "username");
    });
  }
  $("sign-out").addEventListener("click", () => signOut(false));
  $("sign-out-everywhere").addEventListener("click", () => signOut(true));
}

async function main() {
  try {
    config = await loadConfig();
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : ["config.json could not be read."];
    $("config-problems").replaceChildren(
      ...problems.map((text) => {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      }),
    );
    show("config-step", "config-title");
    return;
  }
  cognito = new Cognito(config.endpoint);
  if (config.outboxUrl) $("outbox-link").href = config.outboxUrl;
  wire();
  show("username-step", "username");
}

main();
