// Cognito's JSON API, called directly with fetch: no SDK, no build step.
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
