// The sign-in page: custom-auth's CUSTOM_CHALLENGE flow, one screen per step.
//
// What it keeps, and where: the sign-in's session string and, once signed in, the tokens live
// in this module's memory only. Nothing goes to localStorage, sessionStorage, cookies, the URL
// or the console, so reloading the page signs out of it (see the README).

import { Cognito, CognitoError, NetworkError } from "./cognito.js";
import { ConfigError, loadConfig } from "./config.js";

/** Cognito answered with something that is not a step of this flow. */
class UnexpectedAnswer extends Error {}

const METHODS = {
  EMAIL_OTP: { choice: "Email me a code", sent: "by email", instead: "Email me a code instead" },
  SMS_OTP: { choice: "Text me a code", sent: "by text message", instead: "Text me a code instead" },
};
const SELECT = "SELECT";
const STEPS = ["config-step", "username-step", "method-step", "code-step", "signed-in-step"];
const UNEXPECTED = "The sign-in service gave an answer this page does not understand. Start again, or try later.";

const $ = (id) => document.getElementById(id);

let config = null;
let cognito = null;
let signIn = null; // the sign-in under way: {typed, username, session, offered, method, switched, since, chose}
let tokens = null; // once signed in: {access, refresh}
let calling = false; // a call to Cognito is under way: every form and button waits

// --- what the person sees ------------------------------------------------------------------

function show(step, focus) {
  for (const id of STEPS) $(id).hidden = id !== step;
  $("loading").hidden = true;
  // Locally, where the codes are: while signing in.
  $("local-note").hidden = !(config && config.outboxUrl) || step === "signed-in-step";
  ((focus && $(focus)) || $("title")).focus();
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

// While a call is under way the steps are marked busy and their buttons disabled (so a second
// click or Enter does nothing); the alert and status lines are outside them, so what they say
// is announced.
function busy(on) {
  calling = on;
  for (const button of document.querySelectorAll("button")) button.disabled = on;
  $("steps").setAttribute("aria-busy", on ? "true" : "false");
}

function methodText(name, key) {
  return (METHODS[name] && METHODS[name][key]) || name;
}

// --- errors, in words ----------------------------------------------------------------------

// Cognito's errors become sentences; its own message is never shown (it can be technical), and
// nothing here depends on whether the account exists beyond what Cognito's answer already says.
function explain(error, during) {
  if (error instanceof NetworkError) {
    return "We could not reach the sign-in service. Check your connection and try again.";
  }
  if (error instanceof UnexpectedAnswer) return UNEXPECTED;
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
      if (during === "choice" || during === "switch") {
        return "This sign-in has had too many tries. Continue to start again.";
      }
      if (during === "signed-in") {
        return "Your sign-in has ended: it was signed out or has expired. Sign in again.";
      }
      return "We could not sign you in. Check what you typed and try again.";
    case "UserNotFoundException": // only with PreventUserExistenceErrors off
    case "UserNotConfirmedException":
    case "PasswordResetRequiredException":
      // The page says no more than Cognito did; an unknown user would get a code step.
      return "We could not sign you in. Check what you typed and try again.";
    case "UserLambdaValidationException":
      if (/^CreateAuthChallenge/.test(detail)) {
        return "We could not send you a code just now. Please try again in a few minutes.";
      }
      if (/^VerifyAuthChallengeResponse/.test(detail)) {
        return "We could not check your code just now. Please try again in a few minutes.";
      }
      return "Something went wrong on our side. Please try again later.";
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
    default:
      return "Something went wrong on our side. Please try again later.";
  }
}

// --- the sign-in ---------------------------------------------------------------------------

// One call to Cognito and where its answer leads, the page busy meanwhile; any failure stops
// the sign-in with a sentence. `after` sees the answer once the page has moved on.
async function act(during, call, after) {
  busy(true);
  try {
    const response = await call();
    await advance(response);
    if (after) after(response);
  } catch (error) {
    stopped(error, during);
  } finally {
    busy(false);
  }
}

// The sign-in cannot go on (its session is spent, expired or refused): say why, and offer to
// start again from the username, which is kept.
function stopped(error, during) {
  const typed = signIn ? signIn.typed : $("username").value;
  signIn = null;
  tokens = null;
  alertText(explain(error, during));
  $("username").value = typed;
  show("username-step", "username");
}

function parametersOf(response) {
  const parameters = response.ChallengeParameters;
  if (!parameters || typeof parameters !== "object" || typeof response.Session !== "string" || !response.Session) {
    throw new UnexpectedAnswer();
  }
  return parameters;
}

// Where an answer leads: the method choice, a code, or the end.
async function advance(response) {
  if (response.AuthenticationResult) {
    return signedIn(response.AuthenticationResult);
  }
  if (response.ChallengeName !== "CUSTOM_CHALLENGE") {
    // A step this page does not do (a new password, SRP, MFA): say so, and which.
    stopped(null, "start");
    alertText(`This page cannot sign in to this user pool: it asks for a step the page does not do (${String(response.ChallengeName || "none").slice(0, 40)}).`);
    return null;
  }
  const parameters = parametersOf(response);
  const method = parameters.SIGN_IN_METHOD;
  if (typeof method !== "string" || !method) throw new UnexpectedAnswer();
  signIn.session = response.Session;
  signIn.username = parameters.USERNAME || signIn.username;
  if (method === SELECT) {
    let offered = null;
    try {
      offered = JSON.parse(parameters.SIGN_IN_METHODS || "null");
    } catch {
      offered = null;
    }
    if (!Array.isArray(offered) || !offered.length || !offered.every((n) => typeof n === "string" && n)) {
      throw new UnexpectedAnswer();
    }
    signIn.offered = offered;
    if (offered.length > 1) return chooseMethod();
    // One method offered: nothing to choose, so the page answers the choice itself, once.
    if (signIn.chose) throw new UnexpectedAnswer();
    signIn.chose = true;
    return choose(offered[0]);
  }
  if (method !== signIn.method) {
    signIn.method = method;
    signIn.since = Date.now();
    askForCode();
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

function start(typed) {
  signIn = { typed, username: typed, session: null, offered: [], method: null, switched: false, since: 0, chose: false };
  alertText("");
  status("");
  return act("start", () => cognito.initiateAuth(config.clientId, typed));
}

function respond(answer, metadata) {
  return () => cognito.respond(config.clientId, signIn.session, signIn.username, answer, metadata);
}

function choose(method) {
  alertText("");
  return act("choice", respond(method, { signInMethod: method }));
}

function switchTo(method) {
  alertText("");
  const from = signIn.method;
  signIn.switched = true;
  return act("switch", respond(method, { signInMethod: method }), () => {
    if (signIn && signIn.method === from) {
      // Refused (the other method is not offered after all): the code already sent stands.
      $("switch").hidden = true;
      $("code").focus();
      alertText(`We could not switch to ${methodText(method, "sent").replace(/^by /, "")}. Type the code you have, or start again.`);
    }
  });
}

function answer(code) {
  alertText("");
  const elapsed = (Date.now() - signIn.since) / 1000;
  const method = signIn.method;
  return act("code", respond(code, null), (response) => {
    const parameters = response.ChallengeParameters || {};
    if (response.AuthenticationResult || parameters.SIGN_IN_METHOD !== method) return;
    // Another round of the same method: the code was refused. Cognito does not say why; past
    // the code's lifetime, expiry is the likely reason.
    $("code").value = "";
    alertText(
      elapsed >= config.codeLifetimeSeconds
        ? "That code has expired. Start again to get a new one."
        : "That code is not right. Check the message and try again.",
    );
    $("code").focus();
  });
}

// --- signed in -----------------------------------------------------------------------------

async function signedIn(result) {
  if (!result.AccessToken || !result.RefreshToken) throw new UnexpectedAnswer();
  tokens = { access: result.AccessToken, refresh: result.RefreshToken };
  const typed = signIn ? signIn.typed : "";
  signIn = null;
  alertText("");
  $("attributes").replaceChildren();
  $("who").textContent = "";
  show("signed-in-step", "signed-in-title");
  let user;
  try {
    user = await cognito.getUser(tokens.access);
  } catch (error) {
    if (error instanceof CognitoError && error.type === "NotAuthorizedException") {
      tokens = null; // revoked or expired already: there is nothing to be signed in with
      signIn = { typed };
      stopped(error, "signed-in");
      return;
    }
    $("who").textContent = typed;
    alertText(`You are signed in, but your details could not be loaded. ${explain(error, "signed-in")}`);
    return;
  }
  const attributes = Object.fromEntries((user.UserAttributes || []).map((a) => [a.Name, a.Value]));
  $("who").textContent = attributes.email || attributes.phone_number || attributes.preferred_username || user.Username || typed;
  for (const [name, label] of [["email", "Email"], ["phone_number", "Phone"], ["sub", "User id"]]) {
    if (!attributes[name]) continue;
    const term = document.createElement("dt");
    term.textContent = label;
    const value = document.createElement("dd");
    value.textContent = attributes[name];
    $("attributes").append(term, value);
  }
}

// Sign out: RevokeToken ends this browser's sign-in (its refresh token and the access tokens it
// gave are revoked); GlobalSignOut ends every sign-in of the user. Either way the page then
// forgets the tokens, also when the call fails.
async function signOut(everywhere) {
  const held = tokens;
  tokens = null;
  alertText("");
  busy(true);
  let note = everywhere ? "You are signed out on every device." : "You are signed out.";
  try {
    if (everywhere) await cognito.globalSignOut(held.access);
    else await cognito.revokeToken(config.clientId, held.refresh);
  } catch (error) {
    // Refused because the tokens are revoked or expired already: signed out all the same.
    if (!(error instanceof CognitoError && error.type === "NotAuthorizedException")) {
      note = everywhere
        ? "You are signed out on this page, but the sign-in service could not be told: your other devices stay signed in until their sign-ins expire."
        : "You are signed out on this page, but the sign-in service could not be told: this sign-in stays valid until it expires.";
    }
  } finally {
    busy(false);
  }
  $("username").value = "";
  status(note);
  show("username-step", "username");
}

// --- wiring ----------------------------------------------------------------------------------

function forget() {
  tokens = null;
  signIn = null;
}

function wire() {
  $("username-step").addEventListener("submit", (event) => {
    event.preventDefault();
    if (calling) return;
    const typed = $("username").value.trim();
    if (!typed) {
      fieldError("username-error", "Type your email address or username.");
      $("username").focus();
      return;
    }
    fieldError("username-error", "");
    start(typed);
  });
  $("method-step").addEventListener("submit", (event) => {
    event.preventDefault();
    if (calling) return;
    const picked = document.querySelector('#methods input[type="radio"]:checked');
    if (picked) choose(picked.value);
  });
  $("code-step").addEventListener("submit", (event) => {
    event.preventDefault();
    if (calling) return;
    const code = $("code").value.trim();
    if (!code) {
      fieldError("code-error", "Type the code from the message.");
      $("code").focus();
      return;
    }
    fieldError("code-error", "");
    answer(code);
  });
  $("switch").addEventListener("click", () => switchTo($("switch").dataset.method));
  for (const button of document.querySelectorAll('[data-action="start-again"]')) {
    button.addEventListener("click", () => start(signIn.typed));
  }
  for (const button of document.querySelectorAll('[data-action="other-account"]')) {
    button.addEventListener("click", () => {
      signIn = null;
      alertText("");
      status("");
      $("username").value = "";
      show("username-step", "username");
    });
  }
  $("sign-out").addEventListener("click", () => signOut(false));
  $("sign-out-everywhere").addEventListener("click", () => signOut(true));
  // A page kept in the back/forward cache would come back signed in: forget on the way out.
  window.addEventListener("pagehide", forget);
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      forget();
      alertText("");
      status("");
      show("username-step", "username");
    }
  });
}

async function main() {
  // Whatever this script did not expect ends the sign-in with a sentence, not a stack trace in
  // the console.
  const unexpected = (event) => {
    event.preventDefault();
    forget();
    if (config) stopped(event.reason || event.error, "page");
  };
  window.addEventListener("unhandledrejection", unexpected);
  window.addEventListener("error", unexpected);
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
