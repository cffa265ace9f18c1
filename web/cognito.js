// Cognito's JSON API and the passkey API, called directly with fetch: no SDK, no build step.
//
// InitiateAuth, RespondToAuthChallenge, GetUser, RevokeToken and GlobalSignOut need no AWS
// credentials (the last three are authorized by the tokens they carry), so a page can call
// them as any browser client does. An error keeps Cognito's error type, for the page to put
// in words; Cognito's own message is kept out of `message` (it is for classifying, never for
// showing), and no error carries a session, code or token.

const TARGET = "AWSCognitoIdentityProviderService.";

/** The service could not be reached (no answer at all). */
export class NetworkError extends Error {
  constructor(operation) {
    super(`${operation}: the sign-in service could not be reached`);
    this.name = "NetworkError";
    this.operation = operation;
  }
}

/** Cognito answered with an error. */
export class CognitoError extends Error {
  constructor(operation, type, status, detail) {
    super(`${operation}: ${type} (HTTP ${status})`);
    this.name = "CognitoError";
    this.operation = operation;
    this.type = type;
    this.status = status;
    // Cognito's message, for telling apart errors of the same type ("session is expired");
    // not enumerable, so it stays out of anything that copies the error's fields.
    Object.defineProperty(this, "detail", { value: String(detail || ""), enumerable: false });
  }
}

// "com.amazonaws.cognito#NotAuthorizedException" and "NotAuthorizedException:..." both name
// NotAuthorizedException.
function errorType(body, response) {
  const raw = (body && (body.__type || body.code)) || response.headers.get("x-amzn-ErrorType") || "";
  const name = String(raw).split("#").pop().split(":")[0].trim();
  return /^[A-Za-z]+$/.test(name) ? name : "UnknownError";
}

export class Cognito {
  /** @param {string} endpoint the API's URL, e.g. https://cognito-idp.eu-west-1.amazonaws.com/ */
  constructor(endpoint) {
    this.endpoint = endpoint;
  }

  async call(operation, request) {
    let response;
    try {
      response = await fetch(this.endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": TARGET + operation,
        },
        body: JSON.stringify(request),
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
    } catch {
      throw new NetworkError(operation);
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      throw new CognitoError(operation, errorType(body, response), response.status, body && body.message);
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new CognitoError(operation, "UnreadableResponse", response.status, "");
    }
    return body;
  }

  initiateAuth(clientId, username) {
    return this.call("InitiateAuth", {
      ClientId: clientId,
      AuthFlow: "CUSTOM_AUTH",
      AuthParameters: { USERNAME: username },
    });
  }

  respond(clientId, session, username, answer, clientMetadata) {
    const request = {
      ClientId: clientId,
      ChallengeName: "CUSTOM_CHALLENGE",
      Session: session,
      ChallengeResponses: { USERNAME: username, ANSWER: answer },
    };
    if (clientMetadata) request.ClientMetadata = clientMetadata;
    return this.call("RespondToAuthChallenge", request);
  }

  getUser(accessToken) {
    return this.call("GetUser", { AccessToken: accessToken });
  }

  revokeToken(clientId, refreshToken) {
    return this.call("RevokeToken", { ClientId: clientId, Token: refreshToken });
  }

  globalSignOut(accessToken) {
    return this.call("GlobalSignOut", { AccessToken: accessToken });
  }
}

// --- the passkey API, and WebAuthn's JSON forms -----------------------------------------------
//
// The passkey API (the template's PasskeyApiUrl; locally custom-auth serve's own port) answers
// JSON; a refusal is {"error", "message"} (API Gateway's own 401 and 404: {"message"}). As for
// Cognito, the message is kept out of `message`: it is for classifying, never for showing.

/** The passkey API answered with an error. */
export class PasskeyApiError extends Error {
  constructor(operation, status, type, detail) {
    super(`${operation}: ${type} (HTTP ${status})`);
    this.name = "PasskeyApiError";
    this.operation = operation;
    this.status = status;
    this.type = type;
    Object.defineProperty(this, "detail", { value: String(detail || ""), enumerable: false });
  }
}

export class PasskeyApi {
  /** @param {string} base the API's URL, ending in "/": its routes are passkeys/... under it */
  constructor(base) {
    this.base = base;
  }

  async call(operation, method, path, accessToken, body) {
    const headers = {};
    if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(new URL(path, this.base).href, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
    } catch {
      throw new NetworkError(operation);
    }
    let parsed = null;
    const text = await response.text().catch(() => "");
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    if (!response.ok) {
      const type = parsed && typeof parsed.error === "string" && /^[A-Za-z]+$/.test(parsed.error) ? parsed.error : `HTTP${response.status}`;
      throw new PasskeyApiError(operation, response.status, type, parsed && parsed.message);
    }
    if (response.status === 204) return null;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new PasskeyApiError(operation, response.status, "UnreadableResponse", "");
    }
    return parsed;
  }

  signInChallenge() {
    return this.call("SignInChallenge", "POST", "passkeys/sign-in-challenge", null, undefined);
  }

  registrationOptions(accessToken) {
    return this.call("RegistrationOptions", "POST", "passkeys/registration/options", accessToken, undefined);
  }

  register(accessToken, credential, name) {
    return this.call("Register", "POST", "passkeys/registration", accessToken, { credential, name });
  }

  list(accessToken) {
    return this.call("ListPasskeys", "GET", "passkeys", accessToken, undefined);
  }

  remove(accessToken, id) {
    return this.call("DeletePasskey", "DELETE", `passkeys/${encodeURIComponent(id)}`, accessToken, undefined);
  }
}

/** Options or an answer that are not WebAuthn's JSON forms. */
export class WebAuthnFormError extends Error {}

const B64URL = /^[A-Za-z0-9_-]*$/;

/** The bytes of base64url text (unpadded, as WebAuthn's JSON forms carry them). */
export function fromBase64url(text) {
  if (typeof text !== "string" || !B64URL.test(text) || text.length % 4 === 1) throw new WebAuthnFormError();
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Unpadded base64url of an ArrayBuffer or a view of one. */
export function toBase64url(buffer) {
  const bytes = ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function descriptors(list) {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new WebAuthnFormError();
  return list.map((item) => {
    const descriptor = { type: item.type || "public-key", id: fromBase64url(item.id) };
    if (Array.isArray(item.transports)) descriptor.transports = item.transports.filter((t) => typeof t === "string");
    return descriptor;
  });
}

/** PublicKeyCredentialRequestOptionsJSON as navigator.credentials.get takes it. */
export function requestOptions(json) {
  if (!json || typeof json !== "object") throw new WebAuthnFormError();
  const options = { challenge: fromBase64url(json.challenge), allowCredentials: descriptors(json.allowCredentials) };
  if (typeof json.rpId === "string") options.rpId = json.rpId;
  if (Number.isFinite(json.timeout)) options.timeout = json.timeout;
  if (typeof json.userVerification === "string") options.userVerification = json.userVerification;
  return options;
}

/** PublicKeyCredentialCreationOptionsJSON as navigator.credentials.create takes it. */
export function creationOptions(json) {
  if (!json || typeof json !== "object" || !json.rp || !json.user || !Array.isArray(json.pubKeyCredParams)) {
    throw new WebAuthnFormError();
  }
  const options = {
    rp: { name: String(json.rp.name || ""), ...(typeof json.rp.id === "string" ? { id: json.rp.id } : {}) },
    user: { id: fromBase64url(json.user.id), name: String(json.user.name || ""), displayName: String(json.user.displayName || "") },
    challenge: fromBase64url(json.challenge),
    pubKeyCredParams: json.pubKeyCredParams.map((p) => ({ type: p.type, alg: p.alg })),
    excludeCredentials: descriptors(json.excludeCredentials),
  };
  if (Number.isFinite(json.timeout)) options.timeout = json.timeout;
  if (json.authenticatorSelection && typeof json.authenticatorSelection === "object") options.authenticatorSelection = { ...json.authenticatorSelection };
  if (typeof json.attestation === "string") options.attestation = json.attestation;
  return options;
}

/** A credential from navigator.credentials.get as AuthenticationResponseJSON. */
export function assertionJSON(credential) {
  const response = credential.response;
  const answer = {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toBase64url(response.clientDataJSON),
      authenticatorData: toBase64url(response.authenticatorData),
      signature: toBase64url(response.signature),
    },
    clientExtensionResults: {},
  };
  if (response.userHandle) answer.response.userHandle = toBase64url(response.userHandle);
  if (credential.authenticatorAttachment) answer.authenticatorAttachment = credential.authenticatorAttachment;
  return answer;
}

/** A credential from navigator.credentials.create as RegistrationResponseJSON. */
export function registrationJSON(credential) {
  const response = credential.response;
  const transports = typeof response.getTransports === "function" ? response.getTransports() : [];
  const answer = {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toBase64url(response.clientDataJSON),
      attestationObject: toBase64url(response.attestationObject),
      transports,
    },
    clientExtensionResults: {},
  };
  if (credential.authenticatorAttachment) answer.authenticatorAttachment = credential.authenticatorAttachment;
  return answer;
}

/** The user name an assertion's userHandle names (UTF-8), or null. */
export function userHandleOf(assertion) {
  const handle = assertion.response.userHandle;
  if (!handle) return null;
  try {
    const name = new TextDecoder("utf-8", { fatal: true }).decode(fromBase64url(handle));
    return name && name.length <= 128 ? name : null;
  } catch {
    return null;
  }
}
