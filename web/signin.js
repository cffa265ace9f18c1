// The sign-in page: custom-auth's CUSTOM_CHALLENGE flow, one screen per step.
//
// What it keeps, and where: the sign-in's session string and, once signed in, the tokens live
// in this module's memory only. Nothing goes to localStorage, sessionStorage, cookies, the URL
// or the console, so reloading the page signs out of it (see the README). A sign-in link the
// page was opened with is taken out of the URL before anything else happens, and kept in memory
// until its button is pressed: opening the page calls nothing, so a mail scanner that fetches it
// and runs its scripts uses nothing up.
//
// Passkeys (PASSKEY): chosen in the method step, the round's PASSKEY_OPTIONS go to
// navigator.credentials.get and the assertion is the answer. With config.passkeyApi the page
// also signs in without a username (the API's sign-in challenge first; the passkey's userHandle
// is the user name to start with) and, once signed in, lists, adds and deletes the user's
// passkeys with the access token.

import {
  Cognito,
  CognitoError,
  NetworkError,
  PasskeyApi,
  PasskeyApiError,
  WebAuthnFormError,
  assertionJSON,
  creationOptions,
  registrationJSON,
  requestOptions,
  userHandleOf,
} from "./cognito.js";
import { ConfigError, loadConfig } from "./config.js";

/** Cognito answered with something that is not a step of this flow. */
class UnexpectedAnswer extends Error {}

/** A sign-in link the service refused, or text that cannot be one. */
class BadLink extends Error {}

/** This page's address is not one the deployment sends sign-in links to. */
class PageNotListed extends Error {}

/** The browser's passkey ceremony failed (`cause`: its DOMException); `kind`: get or create. */
class Ceremony extends Error {
  constructor(cause, kind) {
    super(`navigator.credentials.${kind}: ${(cause && cause.name) || "failed"}`);
    this.cause = cause;
    this.kind = kind;
  }
}

/** The service refused a passkey's assertion. */
class PasskeyRefused extends Error {}

const MAGIC_LINK = "MAGIC_LINK";
// `channel`: how the message travels; the page offers to switch to another channel only.
const METHODS = {
  EMAIL_OTP: { choice: "Email me a code", sent: "by email", instead: "Email me a code instead", channel: "email" },
  SMS_OTP: { choice: "Text me a code", sent: "by text message", instead: "Text me a code instead", channel: "sms" },
  MAGIC_LINK: { choice: "Email me a sign-in link", sent: "by email", instead: "Email me a sign-in link instead", channel: "email" },
  PASSKEY: { choice: "Use a passkey", sent: "with a passkey", instead: "Use a passkey instead", channel: "passkey", named: "a passkey" },
};
const PASSKEY = "PASSKEY";
const SELECT = "SELECT";
// A new address's right code made its account (config.signUp): that sign-in can go no further.
const SIGNED_UP = "SIGNED_UP";
const STEPS = ["config-step", "username-step", "method-step", "code-step", "passkey-step", "link-step", "link-done-step", "signed-in-step"];
const UNEXPECTED = "The sign-in service gave an answer this page does not understand. Start again, or try later.";
const BAD_LINK = "This sign-in link cannot be used: it may have expired or been used already. Start again to get a new one.";
const LINK_REFUSED_HERE = "The sign-in link you opened cannot be used: it may have expired or been used already. Type the code from the same email, or start again.";
const LINK_UNCHECKED = "We could not check your sign-in link just now. Please try again in a few minutes.";
const OTHER_TAB_SILENT = "Another tab of this browser took this sign-in link but did not say how its sign-in went. Look there, or start again.";
const READY_NOT_SIGNED_IN = "Your account is ready, but we could not sign you in to it just now. Continue to sign in.";
// What a passkey's sign-in says: one sentence for every assertion the service refuses (as one
// for every wrong code), and for each way the browser's ceremony ends without one.
const PASSKEY_REFUSED = "That passkey was not accepted. Try again, or sign in another way.";
const PASSKEY_NOT_USED = "No passkey was used: the request was cancelled or timed out, or this device has no passkey for this site. Try again, or sign in another way.";
const PASSKEY_NOT_ADDED = "No passkey was added: the request was cancelled or timed out. Try again when you are ready.";
const PASSKEY_UNSUPPORTED = "This browser cannot use passkeys on this page. Sign in another way.";
const PASSKEY_HELD = "This device already has a passkey for your account.";

// WebAuthn, where this browser has it (a secure context: https, or http on localhost).
const WEBAUTHN = Boolean(
  typeof window !== "undefined" && window.isSecureContext && typeof PublicKeyCredential === "function" &&
    navigator.credentials && typeof navigator.credentials.get === "function",
);

// What an address must look like where a new one may sign up (config.signUp): an email address,
// or a phone number in E.164 form for a pool whose users sign in with one.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const PHONE_SHAPE = /^\+\d{8,15}$/;

// Where a sign-in link carries its secret: the URL's fragment (#magic-link=ml1.<claims>.<mac>),
// which browsers never send to a server.
const LINK_FRAGMENT = "#magic-link";
const LINK_SHAPE = /^ml1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_LINK_CHARS = 2048;
// This page's tabs in one browser: a link opened in one finishes the sign-in waiting in another.
const CHANNEL = "custom-auth-magic-link";
const READY_WAIT_MS = 1000; // how long a link waits for a tab to say its sign-in wants it
const RESULT_WAIT_MS = 30000; // and then for that tab to say how its sign-in went
const CLAIM_MS = 3000; // how long a waiting tab holds itself ready for one link

const $ = (id) => document.getElementById(id);

let config = null;
let cognito = null;
let passkeyApi = null; // with config.passkeyApi: the passkey API
let signIn = null; // the sign-in under way: {typed, username, session, offered, method, switched, since, chose, lastChoice, code, signedUp}
let tokens = null; // once signed in: {access, refresh}
let calling = false; // a call to Cognito is under way: every form and button waits
let held = null; // the sign-in link this tab was opened with: {link, user, shown, client, expiresAt}
let channel = null; // the BroadcastChannel between this page's tabs
let claim = null; // a link offer this tab said it is ready for: {id, user, timer}
const replies = new Map(); // link offers this tab made, by id: what to do with an answer
let pendingFocus = null; // what show() would have focused but for a call under way

// --- what the person sees ------------------------------------------------------------------

function show(step, focus) {
  for (const id of STEPS) $(id).hidden = id !== step;
  $("loading").hidden = true;
  // Locally, where the codes are: while signing in.
  const done = ["signed-in-step", "link-step", "link-done-step", "passkey-step"].includes(step);
  $("local-note").hidden = !(config && config.outboxUrl) || done;
  const target = (focus && $(focus)) || $("title");
  target.focus();
  // A button cannot take the focus while a call disables it: it takes it when the call ends.
  pendingFocus = calling && document.activeElement !== target ? target : null;
}

function alertText(text) {
  const box = $("alert");
  box.textContent = text || "";
  box.hidden = !text;
}

function status(text) {
  $("status").textContent = text || "";
}

// Focus `target` now, or once the call under way ends (a disabled button cannot take it).
function focusLater(target) {
  if (calling) pendingFocus = target;
  else target.focus();
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
  if (!on && pendingFocus) {
    const target = pendingFocus;
    pendingFocus = null;
    if (target.checkVisibility()) target.focus();
  }
}

function methodText(name, key) {
  return (METHODS[name] && METHODS[name][key]) || name;
}

// The methods a choice round offers, or null if it lists none the page can read.
function offeredIn(parameters) {
  let offered = null;
  try {
    offered = JSON.parse(parameters.SIGN_IN_METHODS || "null");
  } catch {
    return null;
  }
  const valid = Array.isArray(offered) && offered.length && offered.every((n) => typeof n === "string" && n);
  return valid ? offered : null;
}

// --- errors, in words ----------------------------------------------------------------------

// Cognito's errors become sentences; its own message is never shown (it can be technical), and
// nothing here depends on whether the account exists beyond what Cognito's answer already says.
function explain(error, during) {
  if (error instanceof NetworkError) {
    return "We could not reach the sign-in service. Check your connection and try again.";
  }
  if (error instanceof UnexpectedAnswer) return UNEXPECTED;
  if (error instanceof BadLink) return BAD_LINK;
  if (error instanceof Ceremony) return ceremonyProblem(error);
  if (error instanceof PasskeyRefused) return PASSKEY_REFUSED;
  if (error instanceof WebAuthnFormError) return UNEXPECTED;
  if (error instanceof PasskeyApiError) return passkeyApiProblem(error, during);
  if (error instanceof PageNotListed) {
    return "This page cannot email you a sign-in link: its address is not on the user pool's list of pages for links (MagicLinkRedirectUris). Its administrator needs to add it.";
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
      if (during === "passkey") {
        return "That passkey was not accepted, and this sign-in has had too many tries. Continue to start again.";
      }
      if (during === "choice" || during === "switch") {
        return "This sign-in has had too many tries. Continue to start again.";
      }
      if (during === "link") {
        return "The sign-in link you opened cannot be used, and this sign-in has had too many tries. Continue to start again.";
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
        if (during === "link") return LINK_UNCHECKED;
        if (during === "passkey") return "We could not check your passkey just now. Please try again in a few minutes.";
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
// the sign-in with a sentence (and is returned). `after` sees the answer once the page has
// moved on.
async function act(during, call, after) {
  let failed = null;
  busy(true);
  try {
    const response = await call();
    await advance(response);
    if (after) after(response);
  } catch (error) {
    stopped(error, during);
    failed = error;
  } finally {
    busy(false);
  }
  // A PASSKEY round just began: the browser asks for the passkey at once (its button asks again).
  if (!failed && signIn && signIn.ceremony) {
    signIn.ceremony = false;
    usePasskey();
  }
  return failed;
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
  if (method === SIGNED_UP) return signUpDone();
  signIn.session = response.Session;
  signIn.username = parameters.USERNAME || signIn.username;
  if (method === SELECT) {
    const listed = offeredIn(parameters);
    if (!listed) throw new UnexpectedAnswer();
    // A passkey is offered only where this browser can use one.
    const offered = listed.filter((name) => name !== PASSKEY || WEBAUTHN);
    if (!offered.length) throw new Ceremony(null, "get");
    signIn.offered = offered;
    if (signIn.lastChoice === MAGIC_LINK) {
      // The choice again: MAGIC_LINK was refused, and for nothing but this page's address
      // (redirectUri), which the deployment does not send links to.
      signIn.lastChoice = null;
      if (offered.length === 1) throw new PageNotListed();
      chooseMethod();
      alertText("We could not email you a sign-in link for this page: its address is not on the user pool's list of pages for links (MagicLinkRedirectUris). Choose another way.");
      return null;
    }
    if (offered.length > 1) return chooseMethod();
    // One method offered: nothing to choose, so the page answers the choice itself, once.
    if (signIn.chose) throw new UnexpectedAnswer();
    signIn.chose = true;
    return choose(offered[0]);
  }
  signIn.lastChoice = null;
  if (method === PASSKEY) {
    signIn.passkeyOptions = passkeyOptionsOf(parameters);
    if (method !== signIn.method) {
      signIn.method = method;
      signIn.since = Date.now();
      signIn.ceremony = true;
      askForPasskey();
    }
    return null;
  }
  if (method !== signIn.method) {
    signIn.method = method;
    signIn.since = Date.now();
    askForCode();
  }
  return null; // the same method's next round: the caller says why
}

// A PASSKEY round's request options (PASSKEY_OPTIONS), as navigator.credentials.get takes them.
function passkeyOptionsOf(parameters) {
  try {
    return requestOptions(JSON.parse(parameters.PASSKEY_OPTIONS || "null"));
  } catch {
    throw new UnexpectedAnswer();
  }
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
  // A link is not a code: the question and the button say so when one is offered.
  const links = signIn.offered.includes(MAGIC_LINK);
  const passkeys = signIn.offered.includes(PASSKEY);
  $("method-legend").textContent = links || passkeys ? "How would you like to sign in?" : "How would you like to get your sign-in code?";
  $("send-choice").textContent = passkeys ? "Continue" : links ? "Send" : "Send the code";
  status("");
  show("method-step", "method-0");
}

function askForCode() {
  const minutes = Math.round(config.codeLifetimeSeconds / 60);
  const lasts = minutes >= 1 ? `${minutes} minute${minutes === 1 ? "" : "s"}` : `${config.codeLifetimeSeconds} seconds`;
  $("signing-in-as").textContent = signIn.typed;
  $("code-sent").textContent =
    signIn.method === MAGIC_LINK
      ? `We sent you an email with a sign-in link and a code. Open the link, or type the code here. Either works once, for ${lasts}.`
      : `We sent you a sign-in code ${methodText(signIn.method, "sent")}. It works for ${lasts}.`;
  // Another way over the same channel (a code instead of a link, both by email) would only
  // bring the same email again.
  const channelOf = (name) => methodText(name, "channel");
  const other = signIn.offered.find((name) => name !== signIn.method && channelOf(name) !== channelOf(signIn.method));
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

function fresh(typed, username = typed) {
  return { typed, username, session: null, offered: [], method: null, switched: false, since: 0, chose: false, lastChoice: null, code: null, signedUp: false, passkeyOptions: null, ceremony: false };
}

function start(typed) {
  held = null;
  signIn = fresh(typed);
  alertText("");
  status("");
  return act("start", () => cognito.initiateAuth(config.clientId, typed));
}

// Why the page will not send `typed` where new addresses may sign up (null: it will). Said the
// same for every address: the page cannot know which have an account.
function addressProblem(typed) {
  if (!config.signUp) return null;
  if (typed.startsWith("+")) {
    return PHONE_SHAPE.test(typed) ? null : "Phone number: enter it with its country code, like +12065550100.";
  }
  return EMAIL_SHAPE.test(typed) ? null : "Email address: enter an address like name@example.com.";
}

function respond(answer, metadata) {
  return () => cognito.respond(config.clientId, signIn.session, signIn.username, answer, metadata);
}

// What choosing (or switching to) `method` tells the triggers: for MAGIC_LINK, also this page's
// address, where the link is to point (it must be on the deployment's MagicLinkRedirectUris).
function chosen(method) {
  signIn.lastChoice = method;
  const metadata = { signInMethod: method };
  if (method === MAGIC_LINK) metadata.redirectUri = location.origin + location.pathname;
  // Always, where new addresses may sign up: the page cannot know whether this one has an
  // account, and must not behave as if it did.
  if (config.signUp && signIn.typed) metadata.signUpAddress = signIn.typed;
  return metadata;
}

function choose(method) {
  alertText("");
  return act("choice", respond(method, chosen(method)));
}

function switchTo(method) {
  alertText("");
  const from = signIn.method;
  signIn.switched = true;
  return act("switch", respond(method, chosen(method)), () => {
    if (signIn && signIn.method === from) {
      // Refused (the other method is not offered after all): the code already sent stands.
      $("switch").hidden = true;
      $("code").focus();
      alertText(`We could not switch to ${switchedTo(method)}. Type the code you have, or start again.`);
    }
  });
}

// What a switch's refusal calls the method: "text message", "a passkey".
function switchedTo(method) {
  return (METHODS[method] && METHODS[method].named) || methodText(method, "sent").replace(/^by /, "");
}

function answer(code) {
  alertText("");
  const elapsed = (Date.now() - signIn.since) / 1000;
  const method = signIn.method;
  signIn.code = code; // in memory, in case it makes an account: the sign-in after it needs it
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

// A new address's code was right: its account is made, and that sign-in ends there. The page
// signs in to the account at once, asking nothing: the same method again (nothing is sent), and
// the same code, which stands.
async function signUpDone() {
  if (!signIn.code || signIn.signedUp) throw new UnexpectedAnswer();
  const { typed, method, code } = signIn;
  signIn = { ...fresh(typed), method, chose: true, signedUp: true };
  status("Your account is ready. Signing you in…");
  try {
    const choice = roundOf(await cognito.initiateAuth(config.clientId, typed), UnexpectedAnswer);
    if (choice.SIGN_IN_METHOD !== SELECT || !(offeredIn(choice) || []).includes(method)) throw new UnexpectedAnswer();
    const round = roundOf(await cognito.respond(config.clientId, signIn.session, signIn.username, method, chosen(method)), UnexpectedAnswer);
    if (round.SIGN_IN_METHOD !== method) throw new UnexpectedAnswer();
    const done = await cognito.respond(config.clientId, signIn.session, signIn.username, code, null);
    if (!done.AuthenticationResult) throw new UnexpectedAnswer();
    status("");
    await signedIn(done.AuthenticationResult, true);
  } catch {
    // The account stands: an ordinary sign-in (Continue) gets into it.
    signIn = null;
    tokens = null;
    status("");
    alertText(READY_NOT_SIGNED_IN);
    $("username").value = typed;
    show("username-step", "username");
  }
}

// --- passkeys: signing in with one ----------------------------------------------------------

function passkeysOn() {
  return Boolean(passkeyApi && WEBAUTHN);
}

// The PASSKEY round: whom it signs in, the button that asks the browser (again), and a way
// back to a code.
function askForPasskey() {
  $("passkey-who").textContent = signIn.typed;
  $("passkey-for").hidden = !signIn.typed;
  const other = signIn.offered.find((name) => name !== PASSKEY);
  const canSwitch = Boolean(other) && !signIn.switched;
  $("passkey-switch").hidden = !canSwitch;
  if (canSwitch) {
    $("passkey-switch").textContent = methodText(other, "instead");
    $("passkey-switch").dataset.method = other;
  }
  status("");
  show("passkey-step", "use-passkey");
}

// The browser's passkey for `options` (navigator.credentials.get), as AuthenticationResponseJSON.
async function getAssertion(options) {
  if (!WEBAUTHN) throw new Ceremony(null, "get");
  let credential;
  try {
    credential = await navigator.credentials.get({ publicKey: options });
  } catch (error) {
    throw new Ceremony(error, "get");
  }
  if (!credential) throw new Ceremony({ name: "NotAllowedError" }, "get");
  return assertionJSON(credential);
}

// Ask the browser for the passkey of this round, and answer the round with it. A ceremony that
// ends without one (cancelled, timed out, no passkey here) leaves the round as it was.
async function usePasskey() {
  if (calling || !signIn || signIn.method !== PASSKEY || !signIn.passkeyOptions) return null;
  alertText("");
  status("");
  let assertion = null;
  busy(true);
  try {
    assertion = await getAssertion(signIn.passkeyOptions);
  } catch (error) {
    alertText(explain(error, "passkey"));
    focusLater($("use-passkey"));
  } finally {
    busy(false);
  }
  if (!assertion) return null;
  return act("passkey", respond(JSON.stringify(assertion), null), (response) => {
    const parameters = response.ChallengeParameters || {};
    if (response.AuthenticationResult || parameters.SIGN_IN_METHOD !== PASSKEY) return;
    // Another round with the same options: the assertion was refused. Cognito does not say why.
    alertText(PASSKEY_REFUSED);
    focusLater($("use-passkey"));
  });
}

function passkeySwitch(method) {
  alertText("");
  signIn.switched = true;
  return act("switch", respond(method, chosen(method)), () => {
    if (signIn && signIn.method === PASSKEY) {
      $("passkey-switch").hidden = true;
      focusLater($("use-passkey"));
      alertText(`We could not switch to ${switchedTo(method)}. Use your passkey, or start again.`);
    }
  });
}

// Without a username: the passkey API's challenge, the browser's passkey for it (any of this
// site's), and the user name its userHandle holds; then a sign-in of that user, PASSKEY chosen,
// answered with the assertion already made (the browser is asked once).
async function passkeySignIn() {
  if (calling || !passkeysOn()) return;
  held = null;
  signIn = null;
  alertText("");
  status("");
  fieldError("username-error", "");
  busy(true);
  try {
    const options = requestOptions(await passkeyApi.signInChallenge());
    const assertion = await getAssertion(options);
    const username = userHandleOf(assertion);
    if (!username) throw new PasskeyRefused();
    status("Signing you in with your passkey…");
    signIn = { ...fresh("", username), chose: true };
    const choice = roundOf(await cognito.initiateAuth(config.clientId, username), UnexpectedAnswer);
    if (choice.SIGN_IN_METHOD !== SELECT || !(offeredIn(choice) || []).includes(PASSKEY)) throw new UnexpectedAnswer();
    const round = roundOf(await cognito.respond(config.clientId, signIn.session, signIn.username, PASSKEY, chosen(PASSKEY)), UnexpectedAnswer);
    if (round.SIGN_IN_METHOD !== PASSKEY) throw new UnexpectedAnswer();
    const done = await cognito.respond(config.clientId, signIn.session, signIn.username, JSON.stringify(assertion), null);
    if (!done.AuthenticationResult) throw new PasskeyRefused();
    status("");
    await signedIn(done.AuthenticationResult);
  } catch (error) {
    signIn = null;
    tokens = null;
    status("");
    alertText(explain(error, "passkey"));
    show("username-step", "passkey-sign-in");
  } finally {
    busy(false);
  }
}

// The browser's ceremony ended without a passkey: why, in words (DOMException names).
function ceremonyProblem(error) {
  const name = error.cause && error.cause.name;
  const making = error.kind === "create";
  if (!error.cause || name === "NotSupportedError") return PASSKEY_UNSUPPORTED;
  if (name === "SecurityError") {
    // The page's address is not the RP id's domain (or not a secure context).
    const local = config && config.outboxUrl && location.hostname !== "localhost";
    return local
      ? `Passkeys cannot be used at this page's address. Open it at http://localhost${location.port ? `:${location.port}` : ""}${location.pathname} instead.`
      : "Passkeys cannot be used at this page's address: it is not on the domain they are made for. Open the sign-in page at its usual address.";
  }
  if (making && name === "InvalidStateError") return PASSKEY_HELD;
  if (["NotAllowedError", "AbortError", "InvalidStateError"].includes(name)) return making ? PASSKEY_NOT_ADDED : PASSKEY_NOT_USED;
  return making ? "Your passkey could not be made. Try again, or try another device." : PASSKEY_NOT_USED;
}

// The passkey API refused: in words, by status (its message is for classifying, never shown).
function passkeyApiProblem(error, during) {
  const { status: code, operation } = error;
  if (code === 401 && error.type === "FreshSignInRequired") {
    return "To change your passkeys, sign in again first: for your safety, it has to be a recent sign-in.";
  }
  if (code === 401) return "Your sign-in has ended: it was signed out or has expired. Sign in again.";
  if (code === 404 && operation === "SignInChallenge") {
    return "Passkeys are not set up for this page: its passkey API (config.json's passkeyApi) was not found. Sign in another way.";
  }
  if (code === 409 && operation === "RegistrationOptions") return "You have as many passkeys as an account may have: delete one to add another.";
  if (code === 409) return PASSKEY_HELD;
  if ((code === 400 || code === 403 || code === 413) && operation === "Register") {
    return "Your passkey could not be added: the sign-in service did not accept it. Try again.";
  }
  if (code === 429) return "There have been too many tries. Wait a few minutes and try again.";
  if (code >= 500) {
    return during === "passkey"
      ? "We could not start a passkey sign-in just now. Please try again in a few minutes."
      : "We could not reach your passkeys just now. Please try again in a few minutes.";
  }
  return "Something went wrong on our side. Please try again later.";
}

// --- passkeys: the signed-in user's ----------------------------------------------------------

function hidePasskeys() {
  $("passkeys").hidden = true;
  $("passkey-list").replaceChildren();
  $("passkey-name").value = "";
}

async function showPasskeys() {
  hidePasskeys();
  if (!passkeysOn() || !tokens) return;
  $("passkeys-none").hidden = true;
  $("passkeys").hidden = false;
  await listPasskeys();
}

async function listPasskeys() {
  let listed;
  try {
    listed = await passkeyApi.list(tokens.access);
  } catch (error) {
    $("passkeys-none").hidden = true;
    alertText(`Your passkeys could not be listed. ${explain(error, "passkeys")}`);
    return;
  }
  passkeysRpId = listed && typeof listed.rpId === "string" ? listed.rpId : "";
  renderPasskeys(listed && Array.isArray(listed.passkeys) ? listed.passkeys : []);
}

// The RP id the listed passkeys are for (the passkey API says), to tell the browser of one gone.
let passkeysRpId = "";

// Tell the browser that a deleted passkey is gone, so that its passkey manager stops offering it
// (the WebAuthn Signal API; advisory, and not in every browser). Whether it could be told.
async function signalDeleted(id) {
  const Credential = window.PublicKeyCredential;
  if (!Credential || typeof Credential.signalUnknownCredential !== "function" || !passkeysRpId) return false;
  try {
    await Credential.signalUnknownCredential({ rpId: passkeysRpId, credentialId: id });
    return true;
  } catch {
    return false;
  }
}

const DAY = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

function passkeyDates(passkey) {
  const day = (seconds) => DAY.format(new Date(seconds * 1000));
  const added = Number.isFinite(passkey.createdAt) ? `Added ${day(passkey.createdAt)}, ` : "";
  const used = Number.isFinite(passkey.lastUsedAt) ? `last used ${day(passkey.lastUsedAt)}` : "not used yet";
  const said = added + used;
  return said.charAt(0).toUpperCase() + said.slice(1);
}

function renderPasskeys(passkeys) {
  const items = passkeys
    .filter((passkey) => passkey && typeof passkey.id === "string")
    .map((passkey) => {
      const shown = typeof passkey.name === "string" && passkey.name ? passkey.name : "Passkey";
      const item = document.createElement("li");
      const about = document.createElement("span");
      const name = document.createElement("strong");
      name.textContent = shown;
      const when = document.createElement("span");
      when.className = "quiet";
      when.textContent = passkeyDates(passkey);
      about.append(name, document.createElement("br"), when);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = "Delete";
      // Said in full to a screen reader: which passkey (its visible name begins the same).
      remove.setAttribute("aria-label", `Delete passkey ${shown}`);
      remove.addEventListener("click", () => deletePasskey(passkey.id, shown));
      item.append(about, remove);
      return item;
    });
  $("passkey-list").replaceChildren(...items);
  $("passkey-list").hidden = !items.length;
  $("passkeys-none").hidden = items.length > 0;
}

// A new passkey: the API's creation options, navigator.credentials.create, and the API again.
async function addPasskey() {
  if (calling || !tokens || !passkeysOn()) return;
  alertText("");
  status("");
  const name = $("passkey-name").value.trim();
  busy(true);
  try {
    const options = creationOptions(await passkeyApi.registrationOptions(tokens.access));
    let credential;
    try {
      credential = await navigator.credentials.create({ publicKey: options });
    } catch (error) {
      throw new Ceremony(error, "create");
    }
    if (!credential) throw new Ceremony({ name: "NotAllowedError" }, "create");
    const added = await passkeyApi.register(tokens.access, registrationJSON(credential), name);
    $("passkey-name").value = "";
    await listPasskeys();
    status(`Passkey added: ${added && typeof added.name === "string" ? added.name : "Passkey"}. Next time, sign in with it.`);
  } catch (error) {
    alertText(explain(error, "add-passkey"));
  } finally {
    focusLater($("add-passkey"));
    busy(false);
  }
}

async function deletePasskey(id, shown) {
  if (calling || !tokens || !passkeysOn()) return;
  alertText("");
  status("");
  busy(true);
  try {
    try {
      await passkeyApi.remove(tokens.access, id);
    } catch (error) {
      if (!(error instanceof PasskeyApiError && error.status === 404)) throw error; // gone already
    }
    const told = await signalDeleted(id);
    await listPasskeys();
    status(
      told
        ? `Passkey deleted: ${shown}. It no longer signs you in, and this browser was asked to forget it.`
        : `Passkey deleted: ${shown}. It no longer signs you in; your device may still offer it until you remove it there too.`,
    );
  } catch (error) {
    alertText(explain(error, "delete-passkey"));
  } finally {
    focusLater($("passkeys-title"));
    busy(false);
  }
}

// --- sign-in links: the page opened from one ---------------------------------------------

// The page's own reading of a link, to say whom it signs in: its claims' u (the user name to
// sign in with), m (the address, masked), c (the app client) and x (the expiry), checked only
// for their types. The triggers check the rest, the MAC first.
function readLink(link) {
  if (link.length > MAX_LINK_CHARS || !LINK_SHAPE.test(link)) return null;
  try {
    const encoded = link.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(encoded + "=".repeat((4 - (encoded.length % 4)) % 4));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    const text = (value) => typeof value === "string" && value.length > 0 && value.length <= 256;
    if (!claims || !text(claims.u) || !text(claims.m) || !text(claims.c) || !Number.isSafeInteger(claims.x)) return null;
    return { link, user: claims.u, shown: claims.m, client: claims.c, expiresAt: claims.x * 1000 };
  } catch {
    return null;
  }
}

// The link in this page's URL, taken out of the URL (and so out of the history) at once:
// {link: null} for a fragment that cannot be a link, null when there is none.
function takeLink() {
  const fragment = location.hash;
  if (!fragment.startsWith(LINK_FRAGMENT)) return null;
  history.replaceState(history.state, "", location.pathname + location.search);
  const rest = fragment.slice(LINK_FRAGMENT.length);
  return readLink(rest.startsWith("=") ? rest.slice(1) : "") || { link: null };
}

// Whom the link signs in, and its button; nothing is called. A link for another app client,
// or past its own expiry, gets the sentence of every bad link at once.
function showLink() {
  alertText("");
  status("");
  if (!held.link || held.client !== config.clientId || Date.now() >= held.expiresAt) return linkRefused(BAD_LINK);
  $("link-who").textContent = held.shown;
  linkScreen(true);
  show("link-step", "link-title");
}

// The link page as it is while the link may be used (whom it signs in, its button), or once it
// cannot be (the alert says why; only Start again is left).
function linkScreen(usable) {
  for (const id of ["link-title", "link-for", "link-note", "use-link"]) $(id).hidden = !usable;
  $("link-start-again").hidden = usable;
}

function linkRefused(text) {
  held = null;
  signIn = null;
  $("link-who").textContent = "";
  linkScreen(false);
  status("");
  alertText(text);
  show("link-step", "link-start-again");
}

// The button: a tab of this browser whose sign-in waits for this link finishes that sign-in
// with it; with none (another browser, or that tab was closed), this tab signs in with it.
async function useLink() {
  if (calling || !held) return;
  alertText("");
  status("");
  if (Date.now() >= held.expiresAt) return linkRefused(BAD_LINK);
  const link = held;
  busy(true);
  try {
    const outcome = await handOver(link);
    status("");
    if (outcome === "unused") {
      await redeem(link);
    } else if (outcome === "signed-in") {
      held = null;
      show("link-done-step", "link-done-title");
    } else {
      linkRefused(outcome === "refused" ? BAD_LINK : OTHER_TAB_SILENT);
    }
  } finally {
    busy(false);
  }
}

// A round of a sign-in the page makes by itself (with a link, or after a sign-up): its
// parameters, the session kept.
function roundOf(response, Refused = BadLink) {
  if (response.ChallengeName !== "CUSTOM_CHALLENGE") throw new Refused();
  const parameters = parametersOf(response);
  signIn.session = response.Session;
  signIn.username = parameters.USERNAME || signIn.username;
  return parameters;
}

// A sign-in of its own with the link: the choice answered MAGIC_LINK in the redeem mode,
// which sends nothing, then the link. Whatever the service refuses is a bad link, in one
// sentence; trouble that says nothing about the link leaves its button, to try again.
async function redeem(link) {
  signIn = { ...fresh("", link.user), chose: true };
  try {
    const choice = roundOf(await cognito.initiateAuth(config.clientId, link.user));
    if (choice.SIGN_IN_METHOD !== SELECT || !(offeredIn(choice) || []).includes(MAGIC_LINK)) throw new BadLink();
    const redeemMode = { signInMethod: MAGIC_LINK, magicLink: "redeem" };
    const round = roundOf(await cognito.respond(config.clientId, signIn.session, signIn.username, MAGIC_LINK, redeemMode));
    if (round.SIGN_IN_METHOD !== MAGIC_LINK) throw new BadLink();
    const done = await cognito.respond(config.clientId, signIn.session, signIn.username, link.link, null);
    if (!done.AuthenticationResult) throw new BadLink();
    held = null;
    await signedIn(done.AuthenticationResult);
  } catch (error) {
    signIn = null;
    tokens = null;
    const trouble = linkTrouble(error);
    if (!trouble) return linkRefused(BAD_LINK);
    alertText(trouble);
    linkScreen(true);
    show("link-step", "use-link");
  }
}

// What to say when redeeming a link failed for a reason that is not the link (null: the link).
function linkTrouble(error) {
  if (error instanceof BadLink) return null;
  if (error instanceof CognitoError) {
    switch (error.type) {
      case "NotAuthorizedException":
        return /secret/i.test(error.detail) ? explain(error, "link") : null;
      case "InvalidParameterException":
        return /not enabled for the client/i.test(error.detail) ? explain(error, "link") : null;
      case "UserNotFoundException":
      case "UserNotConfirmedException":
      case "PasswordResetRequiredException":
      case "CodeMismatchException":
      case "ExpiredCodeException":
        return null;
      case "UserLambdaValidationException":
        return LINK_UNCHECKED;
      default:
    }
  }
  return explain(error, "link");
}

// --- sign-in links: the tabs of one browser ------------------------------------------------
//
// The tab holding a link posts an offer (the link's user and app client, not the link); a tab
// whose sign-in waits in a MAGIC_LINK round for that user says it is ready; the first one ready
// is sent the link, answers its round with it, and says how it went. A link is thus used by
// one tab at most: a second would only replay it, which counts towards the user's lockout.

function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const tabId = randomId();

function post(message) {
  channel.postMessage(message);
}

function awaitReply(id, type, from, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      replies.delete(id);
      resolve(null);
    }, ms);
    replies.set(id, (message) => {
      if (message.type !== type || (from && message.tab !== from)) return;
      clearTimeout(timer);
      replies.delete(id);
      resolve(message);
    });
  });
}

// "signed-in" or "refused" by a waiting tab, "unused" (no tab took it), or "unknown".
async function handOver(link) {
  if (!channel) return "unused";
  const id = randomId();
  const ready = awaitReply(id, "ready", null, READY_WAIT_MS);
  post({ type: "offer", id, user: link.user, client: link.client });
  const taker = await ready;
  if (!taker || typeof taker.tab !== "string") return "unused";
  status("Finishing the sign-in on the tab where you started it…");
  const result = awaitReply(id, "result", taker.tab, RESULT_WAIT_MS);
  post({ type: "link", id, tab: taker.tab, link: link.link });
  const done = await result;
  return done && ["signed-in", "refused", "unused"].includes(done.outcome) ? done.outcome : "unknown";
}

function waitingFor(user, client) {
  return Boolean(
    config && signIn && signIn.method === MAGIC_LINK && signIn.session && !calling &&
      !$("code-step").hidden && user === signIn.username && client === config.clientId,
  );
}

function heard(event) {
  const message = event.data;
  if (!message || typeof message !== "object" || typeof message.id !== "string") return;
  if (message.type === "offer") {
    if (claim || !waitingFor(message.user, message.client)) return;
    const id = message.id;
    claim = { id, user: message.user, timer: setTimeout(() => { if (claim && claim.id === id) claim = null; }, CLAIM_MS) };
    post({ type: "ready", id, tab: tabId });
  } else if (message.type === "link") {
    if (!claim || claim.id !== message.id) return;
    const { user } = claim;
    clearTimeout(claim.timer);
    claim = null;
    if (message.tab === tabId && typeof message.link === "string") finishWith(message.id, user, message.link);
  } else if (message.type === "ready" || message.type === "result") {
    const reply = replies.get(message.id);
    if (reply) reply(message);
  }
}

// This tab's waiting sign-in answered with a link from another tab: "signed-in", "refused"
// (judged wrong: that link is spent for good) or "unused" (the other tab may still try it).
async function finishWith(id, user, link) {
  let outcome = "unused";
  try {
    if (waitingFor(user, config.clientId)) outcome = await answerWithLink(link);
  } finally {
    post({ type: "result", id, tab: tabId, outcome });
  }
}

async function answerWithLink(link) {
  alertText("");
  let outcome = "refused";
  const failed = await act("link", respond(link, null), (response) => {
    if (response.AuthenticationResult) {
      outcome = "signed-in";
      return;
    }
    if (!signIn || (response.ChallengeParameters || {}).SIGN_IN_METHOD !== MAGIC_LINK) return;
    $("code").value = "";
    alertText(LINK_REFUSED_HERE);
    $("code").focus();
  });
  if (!failed) return outcome;
  const judged = failed instanceof CognitoError && failed.type === "NotAuthorizedException" && !/session/i.test(failed.detail);
  return judged ? "refused" : "unused";
}

// --- signed in -----------------------------------------------------------------------------

async function signedIn(result, signedUp = false) {
  if (!result.AccessToken || !result.RefreshToken) throw new UnexpectedAnswer();
  tokens = { access: result.AccessToken, refresh: result.RefreshToken };
  const typed = signIn ? signIn.typed : "";
  signIn = null;
  alertText("");
  $("account-ready").hidden = !signedUp;
  $("attributes").replaceChildren();
  $("who").textContent = "";
  hidePasskeys();
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
  await showPasskeys();
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
  hidePasskeys();
  $("username").value = "";
  status(note);
  show("username-step", "username");
}

// --- wiring ----------------------------------------------------------------------------------

function forget() {
  tokens = null;
  signIn = null;
  held = null;
  claim = null;
  hidePasskeys();
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
    const problem = addressProblem(typed);
    fieldError("username-error", problem);
    if (problem) {
      $("username").focus();
      return;
    }
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
  $("use-link").addEventListener("click", useLink);
  $("passkey-sign-in").addEventListener("click", passkeySignIn);
  $("use-passkey").addEventListener("click", usePasskey);
  $("passkey-switch").addEventListener("click", () => passkeySwitch($("passkey-switch").dataset.method));
  $("passkey-add").addEventListener("submit", (event) => {
    event.preventDefault();
    addPasskey();
  });
  $("link-start-again").addEventListener("click", () => {
    alertText("");
    status("");
    $("username").value = "";
    show("username-step", "username");
  });
  // A link pasted into this tab's address bar changes the fragment only: no new page loads.
  window.addEventListener("hashchange", () => {
    const pasted = takeLink();
    if (!pasted || calling) return;
    // As a new page would: whatever this tab was doing, or was signed in with, is forgotten.
    forget();
    held = pasted;
    showLink();
  });
  if (typeof BroadcastChannel === "function") {
    channel = new BroadcastChannel(CHANNEL);
    channel.addEventListener("message", heard);
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
  held = takeLink(); // first of all: the link leaves the URL
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
  if (config.passkeyApi) passkeyApi = new PasskeyApi(config.passkeyApi);
  $("passkey-start").hidden = !passkeysOn();
  if (config.outboxUrl) $("outbox-link").href = config.outboxUrl;
  $("sign-up-note").hidden = !config.signUp;
  // Where new addresses may sign up, a username of one's own is not one of them.
  if (config.signUp) $("username-label").textContent = "Email address or phone number";
  wire();
  if (held) showLink();
  else show("username-step", "username");
}

main();
