"""A local Cognito user pool whose CUSTOM_AUTH sign-ins run the template's triggers.

moto keeps the users, the app clients and the tokens (real RS256 JWTs, with a JWKS); this
module runs the custom-authentication conversation moto lacks, as
``shared/COGNITO_CONTRACT.md`` describes it: Define with the session so far; Create when Define
asks for CUSTOM_CHALLENGE; the public parameters plus USERNAME back to the client; Verify with
the private parameters, the answer and the respond call's ClientMetadata; one ChallengeResult
per completed round; Define again. Password first (SRP_A) is checked with real SRP.
"""

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from moto.cognitoidp.models import (
    CognitoIdpBackend,
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolClient,
    cognitoidp_backends,
)
from moto.core.models import DEFAULT_ACCOUNT_ID

from custom_auth.challenge_responses import secret_hash
from custom_auth.events import UNFILLED_RESPONSES, TriggerSource
from custom_auth_local import cognito_errors as errors
from custom_auth_local import srp
from custom_auth_local.invoke import LocalFunction
from custom_auth_local.sessions import SessionStore
from custom_auth_local.template import LOCAL_REGION, Template, TemplateError

TRIGGERS = ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse")
#: Each LambdaConfig trigger's triggerSource.
SOURCES = {
    "DefineAuthChallenge": TriggerSource.DEFINE_AUTH_CHALLENGE,
    "CreateAuthChallenge": TriggerSource.CREATE_AUTH_CHALLENGE,
    "VerifyAuthChallengeResponse": TriggerSource.VERIFY_AUTH_CHALLENGE_RESPONSE,
}
#: Cognito waits this long for a trigger, and tries this many times.
TRIGGER_TIMEOUT_SECONDS = 5.0
TRIGGER_TRIES = 3
#: How far a PASSWORD_VERIFIER TIMESTAMP may be from the pool's clock.
TIMESTAMP_TOLERANCE_SECONDS = 300


@dataclass
class Conversation:
    """One sign-in, between the calls of the client."""

    client_id: str
    user_name: str
    names: frozenset[str]
    user_not_found: bool
    attributes: dict[str, str]
    session: list[dict[str, Any]] = field(default_factory=list)
    challenge: str | None = None
    private: dict[str, str] = field(default_factory=dict)
    metadata: str | None = None
    srp_a: str | None = None
    srp_challenge: srp.ServerChallenge | None = None


class LocalUserPool:
    """The template's user pool and app client, in moto, with the triggers wired.

    Create it inside moto (``local_user_pool()`` does that, with the stand-ins and outbox).
    """

    def __init__(
        self,
        template: Template,
        *,
        env_overrides: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        trigger_timeout: float = TRIGGER_TIMEOUT_SECONDS,
    ) -> None:
        self.template = template
        self.clock = clock
        self.trigger_timeout = trigger_timeout
        self.region = LOCAL_REGION
        self.sessions: SessionStore[Conversation] = SessionStore(clock)
        #: Every trigger invocation, in order: for tests and benchmarks.
        self.invocations: list[str] = []
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="trigger")
        self._salts: dict[str, str] = {}
        self._decoy_key = secrets.token_bytes(32)
        self._lock = threading.Lock()

        pools = template.resources_of_type("AWS::Cognito::UserPool")
        clients = template.resources_of_type("AWS::Cognito::UserPoolClient")
        if len(pools) != 1 or len(clients) != 1:
            raise TemplateError(
                f"{template.path.name}: the local pool needs exactly one AWS::Cognito::UserPool "
                "and one AWS::Cognito::UserPoolClient (is ExistingUserPoolId set?)"
            )
        [pool_logical_id], [client_logical_id] = pools, clients
        pool_props = template.properties(
            pool_logical_id, "UserPoolName", "UsernameAttributes", "LambdaConfig"
        )
        client_props = template.properties(
            client_logical_id,
            "ClientName",
            "ExplicitAuthFlows",
            "PreventUserExistenceErrors",
            "AuthSessionValidity",
            "GenerateSecret",
        )
        self.functions = {
            trigger: LocalFunction(template.function(_function_of(arn)), env_overrides)
            for trigger, arn in pool_props.get("LambdaConfig", {}).items()
            if trigger in TRIGGERS
        }
        cognito = boto3.client("cognito-idp", region_name=self.region)
        created = cognito.create_user_pool(
            PoolName=pool_props.get("UserPoolName", "custom-auth-local"),
            UsernameAttributes=pool_props.get("UsernameAttributes", []),
            LambdaConfig=pool_props.get("LambdaConfig", {}),
        )
        self.user_pool_id: str = created["UserPool"]["Id"]
        client = cognito.create_user_pool_client(
            UserPoolId=self.user_pool_id,
            ClientName=client_props.get("ClientName", "custom-auth-local"),
            ExplicitAuthFlows=client_props.get("ExplicitAuthFlows", []),
            PreventUserExistenceErrors=client_props.get("PreventUserExistenceErrors", "LEGACY"),
            AuthSessionValidity=int(client_props.get("AuthSessionValidity", 3)),
            GenerateSecret=str(client_props.get("GenerateSecret", "false")).lower() == "true",
        )["UserPoolClient"]
        self.client_id: str = client["ClientId"]
        self.client_secret: str | None = client.get("ClientSecret")
        self.cognito = cognito

    # --- users ------------------------------------------------------------------------------------

    def create_user(
        self,
        username: str,
        *,
        password: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> str:
        """A confirmed user; returns the username Cognito gave it (a UUID when the pool signs
        in by email or phone). ``username`` that looks like an email or phone number is also
        set as that attribute."""
        attrs = dict(attributes or {})
        if "@" in username:
            attrs.setdefault("email", username)
            attrs.setdefault("email_verified", "true")
        elif username.startswith("+"):
            attrs.setdefault("phone_number", username)
            attrs.setdefault("phone_number_verified", "true")
        created = self.cognito.admin_create_user(
            UserPoolId=self.user_pool_id,
            Username=username,
            UserAttributes=[{"Name": k, "Value": v} for k, v in attrs.items()],
            MessageAction="SUPPRESS",
        )["User"]
        name: str = created["Username"]
        self.cognito.admin_set_user_password(
            UserPoolId=self.user_pool_id,
            Username=name,
            Password=password or f"Local-{secrets.token_urlsafe(12)}-1a",
            Permanent=True,
        )
        return name

    # --- moto's records ---

    @property
    def _backend(self) -> CognitoIdpBackend:
        return cognitoidp_backends[DEFAULT_ACCOUNT_ID][self.region]

    @property
    def _pool(self) -> CognitoIdpUserPool:
        return self._backend.user_pools[self.user_pool_id]

    def owns_client(self, client_id: str | None) -> bool:
        """Whether ``client_id`` is an app client of this pool."""
        return client_id is not None and client_id in self._pool.clients

    def _client(self, client_id: str) -> CognitoIdpUserPoolClient:
        client = self._pool.clients.get(client_id)
        if client is None:
            raise errors.CognitoError("ResourceNotFoundException", f"Client {client_id} not found.")
        return client

    def _login_name(self, conversation: Conversation) -> str:
        # moto's tokens take the sign-in name: in a pool that signs in by email, the email
        # (it becomes the ID token's email claim; sub and username come from the user).
        user = self._user(conversation.user_name)
        if user is not None and "email" in self._pool.extended_config.get("UsernameAttributes", []):
            return str(user.attribute_lookup.get("email", conversation.user_name))
        return conversation.user_name

    def _user(self, username: str) -> CognitoIdpUser | None:
        user: CognitoIdpUser | None = self._pool._get_user(username)  # moto's alias-aware lookup
        return user

    # --- the conversation -------------------------------------------------------------------------

    def initiate(
        self,
        client_id: str,
        auth_parameters: Mapping[str, str],
        *,
        user_pool_id: str | None = None,
    ) -> dict[str, Any]:
        """InitiateAuth / AdminInitiateAuth with AuthFlow=CUSTOM_AUTH.

        ClientMetadata of this call is not given to the triggers, as Cognito does not.
        """
        if user_pool_id is not None and user_pool_id != self.user_pool_id:
            raise errors.CognitoError(
                "ResourceNotFoundException", f"User pool {user_pool_id} does not exist."
            )
        client = self._client(client_id)
        config = client.extended_config
        if "ALLOW_CUSTOM_AUTH" not in config.get("ExplicitAuthFlows", []):
            raise errors.invalid_parameter("CUSTOM_AUTH flow not enabled for this client")
        username = auth_parameters.get("USERNAME")
        if not username:
            raise errors.invalid_parameter("Missing required parameter USERNAME")
        self._check_secret_hash(client, username, auth_parameters.get("SECRET_HASH"))

        user = self._user(username)
        if user is None:
            if config.get("PreventUserExistenceErrors") != "ENABLED":
                raise errors.user_not_found()
            conversation = Conversation(client_id, username, frozenset({username}), True, {})
        else:
            if not user.enabled:
                raise errors.not_authorized("User is disabled.")
            if user.status == "UNCONFIRMED":
                raise errors.CognitoError("UserNotConfirmedException", "User is not confirmed.")
            attributes = {a["Name"]: a["Value"] for a in user.attributes}
            attributes["cognito:user_status"] = user.status
            conversation = Conversation(
                client_id, user.username, frozenset({user.username, username}), False, attributes
            )

        if auth_parameters.get("CHALLENGE_NAME") == "SRP_A":
            srp_a = auth_parameters.get("SRP_A")
            if not srp_a:
                raise errors.invalid_parameter("Missing required parameter SRP_A")
            conversation.srp_a = srp_a
            conversation.session.append(_round("SRP_A", True, None))
        return self._next(conversation, client_metadata=None)

    def respond(
        self,
        client_id: str,
        challenge_name: str,
        session: str | None,
        responses: Mapping[str, str],
        client_metadata: Mapping[str, str] | None,
    ) -> dict[str, Any]:
        """RespondToAuthChallenge / AdminRespondToAuthChallenge for this pool's sessions."""
        conversation = self.sessions.take(session)
        if conversation.client_id != client_id:
            raise errors.not_authorized("Invalid session for the user.")
        if challenge_name != conversation.challenge:
            raise errors.invalid_parameter(f"Invalid challenge name {challenge_name}")
        username = responses.get("USERNAME")
        if not username:
            raise errors.invalid_parameter("Missing required parameter USERNAME")
        if username not in conversation.names:
            raise errors.not_authorized()
        self._check_secret_hash(self._client(client_id), username, responses.get("SECRET_HASH"))

        if challenge_name == "CUSTOM_CHALLENGE":
            answer = responses.get("ANSWER")
            if answer is None:
                raise errors.invalid_parameter("Missing required parameter ANSWER")
            correct = self._verify(conversation, answer, client_metadata)
            conversation.session.append(_round("CUSTOM_CHALLENGE", correct, conversation.metadata))
        else:  # PASSWORD_VERIFIER
            proven = self._password_proven(conversation, responses)
            conversation.session.append(_round("PASSWORD_VERIFIER", proven, None))
        return self._next(conversation, client_metadata)

    def _next(
        self, conversation: Conversation, client_metadata: Mapping[str, str] | None
    ) -> dict[str, Any]:
        response = self._call("DefineAuthChallenge", conversation, client_metadata, {})
        issue = _flag(response, "issueTokens")
        fail = _flag(response, "failAuthentication")
        name = response.get("challengeName")
        if name is not None and not isinstance(name, str):
            raise errors.lambda_unreadable()
        if fail:
            raise errors.not_authorized()
        if issue:
            if conversation.user_not_found:
                raise errors.not_authorized()
            tokens: dict[str, Any] = self._backend._log_user_in(  # moto's own tokens
                self._pool, self._client(conversation.client_id), self._login_name(conversation)
            )
            return tokens
        if name == "CUSTOM_CHALLENGE":
            return self._custom_challenge(conversation, client_metadata)
        if name == "PASSWORD_VERIFIER":
            return self._password_challenge(conversation)
        if name is None:
            raise errors.lambda_unreadable()
        raise errors.invalid_parameter(f"{name} is not a challenge the local pool can present")

    def _custom_challenge(
        self, conversation: Conversation, client_metadata: Mapping[str, str] | None
    ) -> dict[str, Any]:
        extra = {"challengeName": "CUSTOM_CHALLENGE"}
        response = self._call("CreateAuthChallenge", conversation, client_metadata, extra)
        public = _string_map(response.get("publicChallengeParameters"))
        private = _string_map(response.get("privateChallengeParameters"))
        metadata = response.get("challengeMetadata")
        if metadata is not None and not isinstance(metadata, str):
            raise errors.lambda_unreadable()
        conversation.challenge = "CUSTOM_CHALLENGE"
        conversation.private, conversation.metadata = private, metadata
        return self._challenge(conversation, {**public, "USERNAME": conversation.user_name})

    def _password_challenge(self, conversation: Conversation) -> dict[str, Any]:
        if conversation.srp_a is None:
            raise errors.invalid_parameter("PASSWORD_VERIFIER needs a sign-in started with SRP_A")
        salt, verifier = self._srp_record(conversation)
        challenge = srp.ServerChallenge.start(verifier, salt)
        conversation.challenge = "PASSWORD_VERIFIER"
        conversation.srp_challenge = challenge
        return self._challenge(
            conversation,
            {
                "SALT": challenge.salt_hex,
                "SRP_B": f"{challenge.big_b:x}",
                "SECRET_BLOCK": challenge.secret_block,
                "USER_ID_FOR_SRP": conversation.user_name,
                "USERNAME": conversation.user_name,
            },
        )

    def _challenge(self, conversation: Conversation, parameters: dict[str, str]) -> dict[str, Any]:
        config = self._client(conversation.client_id).extended_config
        token = self.sessions.issue(conversation, int(config.get("AuthSessionValidity", 3)))
        return {
            "ChallengeName": conversation.challenge,
            "Session": token,
            "ChallengeParameters": parameters,
        }

    def _verify(
        self, conversation: Conversation, answer: str, client_metadata: Mapping[str, str] | None
    ) -> bool:
        extra = {"privateChallengeParameters": conversation.private, "challengeAnswer": answer}
        response = self._call("VerifyAuthChallengeResponse", conversation, client_metadata, extra)
        correct = response.get("answerCorrect")
        if correct is None:
            return False
        if not isinstance(correct, bool):
            raise errors.lambda_unreadable()
        return correct

    # --- SRP --------------------------------------------------------------------------------------

    def _srp_record(self, conversation: Conversation) -> tuple[str, int]:
        """The user's salt and verifier; for an unknown user, a decoy no password matches."""
        user = None if conversation.user_not_found else self._user(conversation.user_name)
        if user is None or user.password is None:
            # Keyed on the name: as stable from one sign-in to the next as a real user's salt,
            # and as random-looking, so the salt cannot tell that nobody is there.
            name = conversation.user_name.encode()
            salt = hmac.new(self._decoy_key, name, hashlib.sha256).hexdigest()[:32]
            decoy_password = secrets.token_hex(16)
            return salt, srp.verifier(
                self.user_pool_id, conversation.user_name, decoy_password, salt
            )
        with self._lock:
            salt = self._salts.setdefault(user.username, secrets.token_hex(16))
        return salt, srp.verifier(self.user_pool_id, user.username, user.password, salt)

    def _password_proven(self, conversation: Conversation, responses: Mapping[str, str]) -> bool:
        challenge = conversation.srp_challenge
        needed = ("PASSWORD_CLAIM_SIGNATURE", "PASSWORD_CLAIM_SECRET_BLOCK", "TIMESTAMP")
        missing = [key for key in needed if not responses.get(key)]
        if missing:
            raise errors.invalid_parameter(f"Missing required parameter {missing[0]}")
        if challenge is None or conversation.srp_a is None or conversation.user_not_found:
            return False
        if responses["PASSWORD_CLAIM_SECRET_BLOCK"] != challenge.secret_block:
            return False
        try:
            stamp = datetime.strptime(responses["TIMESTAMP"], srp.TIMESTAMP_FORMAT).replace(
                tzinfo=UTC
            )
        except ValueError:
            raise errors.invalid_parameter("TIMESTAMP is not in Cognito's format") from None
        if abs(stamp.timestamp() - self.clock()) > TIMESTAMP_TOLERANCE_SECONDS:
            return False
        return challenge.check(
            conversation.srp_a,
            self.user_pool_id,
            conversation.user_name,
            responses["TIMESTAMP"],
            responses["PASSWORD_CLAIM_SIGNATURE"],
        )

    # --- triggers ---------------------------------------------------------------------------------

    def _event(
        self,
        trigger: str,
        conversation: Conversation,
        client_metadata: Mapping[str, str] | None,
        extra: Mapping[str, Any],
    ) -> dict[str, Any]:
        request: dict[str, Any] = {"userAttributes": dict(conversation.attributes)}
        if trigger != "VerifyAuthChallengeResponse":
            request["session"] = [dict(entry) for entry in conversation.session]
        request.update(extra)
        if client_metadata is not None:
            request["clientMetadata"] = dict(client_metadata)
        request["userNotFound"] = conversation.user_not_found
        return {
            "version": "1",
            "region": self.region,
            "userPoolId": self.user_pool_id,
            "userName": conversation.user_name,
            "callerContext": {
                "awsSdkVersion": "aws-sdk-unknown-unknown",
                "clientId": conversation.client_id,
            },
            "triggerSource": SOURCES[trigger].value,
            "request": request,
            "response": dict(UNFILLED_RESPONSES[SOURCES[trigger]]),
        }

    def _call(
        self,
        trigger: str,
        conversation: Conversation,
        client_metadata: Mapping[str, str] | None,
        extra: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Invoke a trigger as Cognito does: retried on timeout, its errors mapped."""
        function = self.functions.get(trigger)
        if function is None:
            raise errors.invalid_parameter(f"the pool has no {trigger} trigger")
        event = self._event(trigger, conversation, client_metadata, extra)
        for _ in range(TRIGGER_TRIES):
            self.invocations.append(trigger)
            future = self._executor.submit(function.invoke, event)
            try:
                invocation = future.result(timeout=self.trigger_timeout)
            except FutureTimeout:
                continue
            if invocation.error is not None:
                raise errors.lambda_failed(trigger, str(invocation.error))
            result = invocation.result
            if not isinstance(result, dict) or not isinstance(result.get("response"), dict):
                raise errors.lambda_unreadable()
            response: dict[str, Any] = result["response"]
            return response
        raise errors.lambda_timed_out(trigger, self.trigger_timeout, TRIGGER_TRIES)

    def _check_secret_hash(
        self, client: CognitoIdpUserPoolClient, username: str, given: str | None
    ) -> None:
        if not client.generate_secret:
            return
        if not given:
            raise errors.not_authorized(
                f"Client {client.id} is configured for secret but secret was not received"
            )
        expected = secret_hash(username, client.id, client.secret)
        if not hmac.compare_digest(expected, given):
            raise errors.not_authorized(f"Unable to verify secret hash for client {client.id}")

    def close(self) -> None:
        """Stop the trigger threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def _round(name: str, result: bool, metadata: str | None) -> dict[str, Any]:
    return {"challengeName": name, "challengeResult": result, "challengeMetadata": metadata}


def _flag(response: Mapping[str, Any], key: str) -> bool:
    value = response.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise errors.lambda_unreadable()
    return value


def _string_map(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise errors.lambda_unreadable()
    return dict(value)


def _function_of(arn: Any) -> str:
    text = str(arn)
    if ":function:" not in text:
        raise TemplateError(f"LambdaConfig names {text}, not a function of the template")
    return text.split(":function:", 1)[1].split(":", 1)[0]
