// The sign-in page: custom-auth's CUSTOM_CHALLENGE flow, one screen per step.
//
// What it keeps, and where: the sign-in's session string and, once signed in, the tokens live
// in this module's memory only. Nothing goes to localStorage, sessionStorage, cookies, the URL
// or the console, so reloading the page signs out of it (see the README).

import { Cognito, CognitoError, NetworkError } from "./cognito.js";
import { ConfigError, loadConfig } from "./config.js";

/** Cognito answered with something that is not a step of this flow. */
class UnexpectedAnswer extends Error {}

/** A sign-in link that was refused, or that cannot be one. */
class BadLink extends Error {}

const METHODS = {
  EMAIL_OTP: { choice: "Email me a code", sent: "by email", instead: "Email me a code instead" },
  SMS_OTP: { choice: "Text me a code", sent: "by text message", instead: "Text me a code instead" },
  MAGIC_LINK: { choice: "Email me a sign-in link", sent: "by email", instead: "Email me a sign-in link instead" },
};
const MAGIC_LINK = "MAGIC_LINK";
// Where a sign-in link carries its secret: the URL's fragment, which no server sees.
const LINK_FRAGMENT = "#magic-link=";
// Tabs of this page in one browser: a link opened in one finishes the sign-in waiting in another.
const CHANNEL = "custom-auth-magic-link";
const ACK_WAIT_MS = 1000;
const BAD_LINK = "This sign-in link cannot be used: it may have expired or been used already. Start again to get a new one.";
const SELECT = "SELECT";
const STEPS = ["config-step", "username-step", "method-step", "code-step", "link-step", "link-done-step", "signed-in-step"];
const UNEXPECTED = "The sign-in service gave an answer this page does not understand. Start again, or try later.";

const $ = (id) => document.getElementById(id);

let config = null;
let cognito = null;
let signIn = null; // the sign-in under way: {typed, username, session, offered, method, switched, since, chose}
let tokens = null; // once signed in: {access, refresh}
let calling = false; // a call to Cognito is under way: every form and button waits
let held = null; // a sign-in link this tab was opened with: {link, user, shown, expiresAt}
let channel = null; // the BroadcastChannel between this page's tabs

// --- what the person sees ------------------------------------------------------------------

function show(step, focus) {
  for (const id of STEPS) $(id).hidden = id !== step;
  $("loading").hidden = true;
  // Locally, where the codes are: while signing in.
  $("local-note").hidden = !(config && config.outboxUrl) || step === "signed-in-step" || step === "link-done-step";
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
  if (error instanceof BadLink) return BAD_LINK;
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
      if (during === "link") return BAD_LINK;
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
  const fromLink = Boolean(signIn && signIn.link);
  const typed = signIn && !fromLink ? signIn.typed : $("username").value;
  signIn = null;
  if (fromLink || during === "link") {
    // A link's own sign-in: there is nothing typed to go back to.
    tokens = null;
    return linkRefused(error instanceof BadLink || during === "link" ? BAD_LINK : explain(error, during));
  }
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
    if (signIn.link) {
      // A link in hand: choose MAGIC_LINK in its redeem mode, which sends nothing, once.
      if (signIn.chose || !offered.includes(MAGIC_LINK)) throw new BadLink();
      signIn.chose = true;
      return act("link", respond(MAGIC_LINK, { signInMethod: MAGIC_LINK, magicLink: "redeem" }));
    }
    if (offered.length > 1) return chooseMethod();
    // One method offered: nothing to choose, so the page answers the choice itself, once.
    if (signIn.chose) throw new UnexpectedAnswer();
    signIn.chose = true;
    return choose(offered[0]);
  }
  if (signIn.link) {
    // The redeem round: answered with the link, once; any other answer means it was refused.
    if (method !== MAGIC_LINK || signIn.method === MAGIC_LINK) throw new BadLink();
    signIn.method = MAGIC_LINK;
    return act("link", respond(signIn.link, null));
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
  $("code-sent").textContent =
    signIn.method === MAGIC_LINK
      ? `We sent you an email with a sign-in link and a code. Open the link, or type the code here. Either works once, for ${lasts}.`
      : `We sent you a sign-in code ${methodText(signIn.method, "sent")}. It works for ${lasts}.`;
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

// What a choice of (or switch to) `method` tells the triggers: MAGIC_LINK also names this page
// as where the link goes (it must be on the deployment's MagicLinkRedirectUris).
function chosen(method) {
  const metadata = { signInMethod: method };
  if (method === MAGIC_LINK) metadata.redirectUri = location.origin + location.pathname;
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


// --- sign-in links ---------------------------------------------------------------------------

// The link in this page's URL, if it was opened from one. Read once and taken out of the URL
// (and so out of the history), before anything else runs; nothing is called: opening the page,
// as a mail scanner does, uses nothing up. Only the button does.
function takeLink() {
  if (!location.hash.startsWith(LINK_FRAGMENT)) return null;
  const link = location.hash.slice(LINK_FRAGMENT.length);
  history.replaceState(null, "", location.pathname + location.search);
  // The claims are read to say whom the link signs in, never trusted: the triggers check them.
  const parts = link.split(".");
  let claims = null;
  try {
    if (parts.length !== 3 || parts[0] !== "ml1" || link.length > 2048) throw new BadLink();
    const text = atob(parts[1].replace(/-/g, "+").replace(/_/g, "/"));
    claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(text, (c) => c.charCodeAt(0))));
  } catch {
    claims = null;
  }
  const valid = claims && typeof claims.u === "string" && claims.u && typeof claims.m === "string" && Number.isInteger(claims.x);
  return valid ? { link, user: claims.u, shown: claims.m, expiresAt: claims.x * 1000 } : { link: null };
}

function showLink() {
  alertText("");
  status("");
  if (!held.link) return linkRefused(BAD_LINK);
  // Past its own expiry: the same sentence as any bad link, without asking the service.
  if (Date.now() >= held.expiresAt) return linkRefused(BAD_LINK);
  $("link-who").textContent = held.shown;
  $("link-for").hidden = false;
  $("link-note").hidden = false;
  $("use-link").hidden = false;
  $("link-start-again").hidden = true;
  show("link-step", "link-title");
}

function linkRefused(text) {
  held = null;
  signIn = null;
  $("link-who").textContent = "";
  $("link-for").hidden = true;
  $("link-note").hidden = true;
  status("");
  alertText(text);
  $("use-link").hidden = true;
  $("link-start-again").hidden = false;
  show("link-step", "link-start-again");
}

// The button: a tab of this browser waiting for this link finishes its own sign-in with it;
// with none (another browser, or the tab was closed), this tab signs in with the link itself.
async function useLink() {
  if (calling || !held) return;
  const { link, user } = held;
  busy(true);
  status("Signing you in…");
  const taken = await offerToWaitingTab(link, user);
  busy(false);
  if (taken) return; // the other tab reports how it went
  signIn = { typed: held.shown, username: user, link, session: null, offered: [], method: null, switched: false, since: 0, chose: false };
  held = null;
  await act("link", () => cognito.initiateAuth(config.clientId, user));
}

function offerToWaitingTab(link, user) {
  if (!channel) return Promise.resolve(false);
  const id = crypto.randomUUID();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      channel.removeEventListener("message", listen);
      resolve(false);
    }, ACK_WAIT_MS);
    function listen(event) {
      const message = event.data || {};
      if (message.id !== id) return;
      if (message.type === "taken") {
        clearTimeout(timer);
        $("use-link").hidden = true;
        status("Signing you in on the tab where you started…");
        resolve(true);
      } else if (message.type === "signed-in") {
        channel.removeEventListener("message", listen);
        held = null;
        status("");
        alertText("");
        show("link-done-step", "link-done-title");
      } else if (message.type === "refused") {
        channel.removeEventListener("message", listen);
        linkRefused(BAD_LINK);
      }
    }
    channel.addEventListener("message", listen);
    channel.postMessage({ type: "link", id, user, link });
  });
}

// A tab waiting in a MAGIC_LINK round takes a link for its user from another tab, once.
function takeLinkFromTab(event) {
  const message = event.data || {};
  if (message.type !== "link" || typeof message.link !== "string" || typeof message.id !== "string") return;
  if (calling || !signIn || signIn.link || signIn.method !== MAGIC_LINK || message.user !== signIn.username) return;
  const { id, link } = message;
  channel.postMessage({ type: "taken", id });
  alertText("");
  let ok = false;
  // Answered as a code would be: a refusal here is this sign-in's wrong answer.
  act("code", respond(link, null), (response) => {
    ok = Boolean(response.AuthenticationResult);
    if (!ok) {
      alertText("The sign-in link you opened cannot be used: it may have expired or been used already. Type the code from the same email, or start again.");
      $("code").focus();
    }
  }).then(() => channel.postMessage({ type: ok ? "signed-in" : "refused", id }));
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
  held = null;
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
  $("use-link").addEventListener("click", useLink);
  $("link-start-again").addEventListener("click", () => {
    alertText("");
    $("username").value = "";
    show("username-step", "username");
  });
  // A link pasted into this tab's address bar changes only the fragment: no new page loads.
  window.addEventListener("hashchange", () => {
    const pasted = takeLink();
    if (!pasted || calling) return;
    held = pasted;
    signIn = null;
    showLink();
  });
  if (typeof BroadcastChannel === "function") {
    channel = new BroadcastChannel(CHANNEL);
    channel.addEventListener("message", takeLinkFromTab);
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
  held = takeLink(); // first: the link leaves the URL before anything can fail
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
  if (held) showLink();
  else show("username-step", "username");
}

main();
