"""A local Cognito user pool whose sign-ins run the template's triggers, and which refuses what
Cognito refuses.

moto keeps the users and the app clients; this module runs every sign-in of the pool's app
clients itself, as ``shared/COGNITO_CONTRACT.md`` describes Cognito:

- ``CUSTOM_AUTH``: Define with the session so far; Create when Define asks for CUSTOM_CHALLENGE;
  the public parameters plus USERNAME back to the client; Verify with the private parameters,
  the answer and the respond call's ClientMetadata; one ChallengeResult per completed round;
  Define again. Password first (``CHALLENGE_NAME=SRP_A``) is checked with real SRP.
- ``USER_SRP_AUTH``, ``USER_PASSWORD_AUTH``, ``ADMIN_USER_PASSWORD_AUTH``: the password checked
  for real, on a client that allows them (they run no trigger).
- ``REFRESH_TOKEN_AUTH``, GetTokensFromRefreshToken, RevokeToken and sign-out.

An AuthFlow the app client does not allow (its ExplicitAuthFlows) is refused with Cognito's
InvalidParameterException. The tokens come from :mod:`custom_auth_local.token_issuer`, signed
with a key made for this pool.
"""

import hmac
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.cognitoidp.models import (
    CognitoIdpBackend,
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolClient,
    UserStatus,
    cognitoidp_backends,
)
from moto.core.models import DEFAULT_ACCOUNT_ID

from custom_auth.challenge_responses import secret_hash
from custom_auth_local import cognito_errors as errors
from custom_auth_local import srp
from custom_auth_local.auth_flows import NOT_ENABLED, allowed_settings, check_flow
from custom_auth_local.invoke import LocalFunction
from custom_auth_local.passwords import Passwords, password_matches
from custom_auth_local.sessions import SessionStore
from custom_auth_local.template import LOCAL_REGION, Template, TemplateError
from custom_auth_local.token_issuer import ClientTokenSettings, Principal, TokenIssuer
from custom_auth_local.trigger_calls import (
    TRIGGER_TIMEOUT_SECONDS,
    TRIGGERS,
    Caller,
    TriggerCalls,
    flag,
    string_map,
)

#: The app client settings the local pool takes from the template.
CLIENT_SETTINGS = (
    "ClientName",
    "ExplicitAuthFlows",
    "PreventUserExistenceErrors",
    "AuthSessionValidity",
    "GenerateSecret",
    "EnableTokenRevocation",
    "RefreshTokenRotation",
    "IdTokenValidity",
    "AccessTokenValidity",
    "RefreshTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
)
_NUMBERS = ("AuthSessionValidity", "IdTokenValidity", "AccessTokenValidity", "RefreshTokenValidity")


@dataclass
class Conversation:
    """One sign-in, between the calls of the client."""

    flow: str  # CUSTOM_AUTH or USER_SRP_AUTH
    client_id: str
    user_name: str
    names: frozenset[str]
    user_not_found: bool
    attributes: dict[str, str] = field(repr=False)
    #: The rounds so far; their challengeMetadata is the triggers' own (a code's record).
    session: list[dict[str, Any]] = field(default_factory=list, repr=False)
    challenge: str | None = None
    private: dict[str, str] = field(default_factory=dict, repr=False)
    metadata: str | None = field(default=None, repr=False)
    srp_a: str | None = field(default=None, repr=False)
    srp_challenge: srp.ServerChallenge | None = field(default=None, repr=False)


class LocalUserPool:
    """The template's user pool and app client, in moto, with the triggers wired.

    Create it inside moto (``local_user_pool()`` does that, with the stand-ins and outbox).
    ``issuer_base`` is where the pool is served (``custom-auth serve``'s endpoint): its tokens'
    ``iss`` is then ``<issuer_base>/<pool id>``, where the pool's JWKS is, as on AWS.
    """

    def __init__(
        self,
        template: Template,
        *,
        env_overrides: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        trigger_timeout: float = TRIGGER_TIMEOUT_SECONDS,
        issuer_base: str | None = None,
    ) -> None:
        self.template = template
        self.clock = clock
        self.region = LOCAL_REGION
        self.sessions: SessionStore[Conversation] = SessionStore(clock)

        pools = template.resources_of_type("AWS::Cognito::UserPool")
        clients = template.resources_of_type("AWS::Cognito::UserPoolClient")
        if len(pools) != 1 or len(clients) != 1:
            raise TemplateError(
                f"{template.path.name}: the local pool needs exactly one AWS::Cognito::UserPool "
                "and one AWS::Cognito::UserPoolClient (is ExistingUserPoolId set?)"
            )
        [pool_logical_id], [client_logical_id] = pools, clients
        pool_props = template.properties(
            pool_logical_id,
            "UserPoolName",
            "UsernameAttributes",
            "LambdaConfig",
            "MfaConfiguration",
            "AdminCreateUserConfig",
        )
        client_props = template.properties(client_logical_id, *CLIENT_SETTINGS)
        try:
            allowed = allowed_settings(client_props.get("ExplicitAuthFlows"))
        except ValueError as error:
            raise TemplateError(f"{client_logical_id}: {error}") from None
        rotation = client_props.get("RefreshTokenRotation") or {}
        if rotation.get("Feature") == "ENABLED" and "ALLOW_REFRESH_TOKEN_AUTH" in allowed:
            raise TemplateError(
                f"{client_logical_id}: RefreshTokenRotation ENABLED cannot go with "
                "ALLOW_REFRESH_TOKEN_AUTH (Cognito refreshes rotating tokens with "
                "GetTokensFromRefreshToken only)"
            )
        self.triggers = TriggerCalls(
            {
                trigger: LocalFunction(template.function(_function_of(arn)), env_overrides)
                for trigger, arn in pool_props.get("LambdaConfig", {}).items()
                if trigger in TRIGGERS
            },
            trigger_timeout,
        )
        admin_only = (pool_props.get("AdminCreateUserConfig") or {}).get(
            "AllowAdminCreateUserOnly", False
        )
        #: Whether only administrators create users (the template's AllowSelfSignUp off): then
        #: SignUp is refused, as Cognito refuses it.
        self.admin_create_user_only = str(admin_only).lower() == "true"
        cognito = boto3.client("cognito-idp", region_name=self.region)
        created = cognito.create_user_pool(
            PoolName=pool_props.get("UserPoolName", "custom-auth-local"),
            UsernameAttributes=pool_props.get("UsernameAttributes", []),
            LambdaConfig=pool_props.get("LambdaConfig", {}),
            MfaConfiguration=pool_props.get("MfaConfiguration", "OFF"),
        )
        self.user_pool_id: str = created["UserPool"]["Id"]
        settings = {
            key: _client_setting(key, value)
            for key, value in client_props.items()
            if key not in ("ClientName", "GenerateSecret")
        }
        client = cognito.create_user_pool_client(
            UserPoolId=self.user_pool_id,
            ClientName=client_props.get("ClientName", "custom-auth-local"),
            GenerateSecret=str(client_props.get("GenerateSecret", "false")).lower() == "true",
            **settings,
        )["UserPoolClient"]
        self.client_id: str = client["ClientId"]
        self.client_secret: str | None = client.get("ClientSecret")
        self.cognito = cognito
        self.passwords = Passwords(self.user_pool_id, clock)
        self._nobody_key = secrets.token_bytes(32)
        self.tokens = TokenIssuer(self.user_pool_id, self.region, clock, issuer_base)

    @property
    def explicit_auth_flows(self) -> frozenset[str]:
        """What the template's app client allows (Cognito's default if it names nothing)."""
        config = self._client(self.client_id).extended_config
        return allowed_settings(config.get("ExplicitAuthFlows"))

    @property
    def functions(self) -> Mapping[str, LocalFunction]:
        """The pool's triggers: LambdaConfig name → function."""
        return self.triggers.functions

    @property
    def invocations(self) -> list[str]:
        """Every trigger invocation, in order: for tests and benchmarks."""
        return self.triggers.invocations

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
        set as that attribute, verified."""
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

    def _user(self, username: str) -> CognitoIdpUser | None:
        user: CognitoIdpUser | None = self._pool._get_user(username)  # moto's alias-aware lookup
        return user

    def _hides_unknown_users(self, client: CognitoIdpUserPoolClient) -> bool:
        return client.extended_config.get("PreventUserExistenceErrors") == "ENABLED"

    def _known_user(self, conversation: Conversation) -> CognitoIdpUser | None:
        """The user a sign-in is for; None for nobody (or one deleted since it started)."""
        return None if conversation.user_not_found else self._user(conversation.user_name)

    def _unknown_user_id(self, username: str) -> str:
        """The internal name an unknown user gets: a UUID, the same for the same name and pool,
        as Cognito answers USER_SRP_AUTH for nobody (its triggers never see the name typed)."""
        digest = hmac.digest(self._nobody_key, username.encode(), "sha256")
        return str(uuid.UUID(bytes=digest[:16], version=4))

    # --- InitiateAuth -----------------------------------------------------------------------------

    def initiate(
        self,
        client_id: str,
        auth_flow: str,
        auth_parameters: Mapping[str, str],
        *,
        admin: bool = False,
        user_pool_id: str | None = None,
    ) -> dict[str, Any]:
        """InitiateAuth (``admin=False``) or AdminInitiateAuth, any AuthFlow.

        ClientMetadata of this call is not given to the triggers, as Cognito does not.
        """
        if admin and user_pool_id != self.user_pool_id:
            raise errors.CognitoError(
                "ResourceNotFoundException", f"User pool {user_pool_id} does not exist."
            )
        client = self._client(client_id)
        check_flow(
            auth_flow,
            allowed_settings(client.extended_config.get("ExplicitAuthFlows")),
            admin=admin,
        )
        if auth_flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            return self._refresh_token_auth(client, auth_parameters)
        if auth_flow == "USER_AUTH":
            raise errors.not_emulated("choice-based sign-in (USER_AUTH)")
        username = _required(auth_parameters, "USERNAME")
        self._check_secret_hash(client, username, auth_parameters.get("SECRET_HASH"))
        if auth_flow == "CUSTOM_AUTH":
            return self._start_custom_auth(client, username, auth_parameters)
        if auth_flow == "USER_SRP_AUTH":
            return self._start_user_srp_auth(client, username, auth_parameters)
        return self._password_auth(client, username, _required(auth_parameters, "PASSWORD"))

    def _signing_in(
        self, client: CognitoIdpUserPoolClient, username: str
    ) -> tuple[CognitoIdpUser | None, str]:
        """The user ``username`` names (None if unknown, when the client hides that) and the
        name the challenges show."""
        user = self._user(username)
        if user is None:
            if not self._hides_unknown_users(client):
                raise errors.user_not_found()
            return None, self._unknown_user_id(username)
        if not user.enabled:
            raise errors.not_authorized("User is disabled.")
        if user.status == UserStatus.UNCONFIRMED:
            raise errors.user_not_confirmed()
        return user, user.username

    def _conversation(
        self, flow: str, client: CognitoIdpUserPoolClient, username: str
    ) -> Conversation:
        user, name = self._signing_in(client, username)
        if user is None:
            return Conversation(flow, client.id, name, frozenset({name, username}), True, {})
        attributes = {a["Name"]: a["Value"] for a in user.attributes}
        attributes["cognito:user_status"] = user.status
        return Conversation(flow, client.id, name, frozenset({name, username}), False, attributes)

    def _start_custom_auth(
        self, client: CognitoIdpUserPoolClient, username: str, parameters: Mapping[str, str]
    ) -> dict[str, Any]:
        conversation = self._conversation("CUSTOM_AUTH", client, username)
        if parameters.get("CHALLENGE_NAME") == "SRP_A":
            conversation.srp_a = _required(parameters, "SRP_A")
            conversation.session.append(_round("SRP_A", True, None))
        return self._next(conversation, client_metadata=None)

    def _start_user_srp_auth(
        self, client: CognitoIdpUserPoolClient, username: str, parameters: Mapping[str, str]
    ) -> dict[str, Any]:
        srp_a = _required(parameters, "SRP_A")
        conversation = self._conversation("USER_SRP_AUTH", client, username)
        conversation.srp_a = srp_a
        return self._password_challenge(conversation)

    def _password_auth(
        self, client: CognitoIdpUserPoolClient, username: str, password: str
    ) -> dict[str, Any]:
        """USER_PASSWORD_AUTH and ADMIN_USER_PASSWORD_AUTH: the password, checked."""
        user = self._user(username)
        if user is None:
            if not self._hides_unknown_users(client):
                raise errors.user_not_found()
            raise errors.not_authorized()
        # Cognito says a user is unconfirmed whatever the password (seen in public captures).
        if user.status == UserStatus.UNCONFIRMED:
            raise errors.user_not_confirmed()
        if not password_matches(password, user.password):
            raise errors.not_authorized()
        if not user.enabled:
            raise errors.not_authorized("User is disabled.")
        self._refuse_what_comes_after_the_password(user, mfa=True)
        return self._signed_in(client, user)

    # --- RespondToAuthChallenge -------------------------------------------------------------------

    def respond(
        self,
        client_id: str,
        challenge_name: str,
        session: str | None,
        responses: Mapping[str, str],
        client_metadata: Mapping[str, str] | None,
        *,
        admin: bool = False,
        user_pool_id: str | None = None,
    ) -> dict[str, Any]:
        """RespondToAuthChallenge (``admin=False``) / AdminRespondToAuthChallenge."""
        if admin and user_pool_id != self.user_pool_id:
            raise errors.CognitoError(
                "ResourceNotFoundException", f"User pool {user_pool_id} does not exist."
            )
        if challenge_name == "PASSWORD_VERIFIER" and not session:
            # PASSWORD_VERIFIER answers may come without the Session (pycognito sends none):
            # Cognito knows the sign-in by its SECRET_BLOCK, as unguessable as a session string.
            session = self.sessions.token_for(responses.get("PASSWORD_CLAIM_SECRET_BLOCK", ""))
        conversation = self.sessions.take(session)
        if conversation.client_id != client_id:
            raise errors.invalid_session()
        if challenge_name != conversation.challenge:
            raise errors.invalid_parameter(f"Invalid challenge name {challenge_name}")
        username = _required(responses, "USERNAME")
        if username not in conversation.names:
            raise errors.not_authorized()
        client = self._client(client_id)
        self._check_secret_hash(client, username, responses.get("SECRET_HASH"))

        if challenge_name == "CUSTOM_CHALLENGE":
            answer = responses.get("ANSWER")
            if answer is None:
                raise errors.invalid_parameter("Missing required parameter ANSWER")
            correct = self._verify(conversation, answer, client_metadata)
            conversation.session.append(_round("CUSTOM_CHALLENGE", correct, conversation.metadata))
            return self._next(conversation, client_metadata)
        # PASSWORD_VERIFIER
        proven = self._password_proven(conversation, responses)
        user = self._known_user(conversation)
        if proven and user is not None:
            # In a custom flow too: a reset or temporary password is no way in.
            self._refuse_what_comes_after_the_password(user, mfa=conversation.flow != "CUSTOM_AUTH")
        if conversation.flow == "USER_SRP_AUTH":
            if not proven or user is None:
                raise errors.not_authorized()
            return self._signed_in(client, user)
        conversation.session.append(_round("PASSWORD_VERIFIER", proven, None))
        return self._next(conversation, client_metadata)

    def _next(
        self, conversation: Conversation, client_metadata: Mapping[str, str] | None
    ) -> dict[str, Any]:
        request = {"session": [dict(entry) for entry in conversation.session]}
        response = self._call("DefineAuthChallenge", conversation, request, client_metadata)
        issue = flag(response, "issueTokens")
        fail = flag(response, "failAuthentication")
        name = response.get("challengeName")
        if name is not None and not isinstance(name, str):
            raise errors.lambda_unreadable()
        if fail:
            raise errors.not_authorized()
        if issue:
            user = self._known_user(conversation)
            if user is None:
                raise errors.not_authorized()
            return self._signed_in(self._client(conversation.client_id), user)
        if name == "CUSTOM_CHALLENGE":
            return self._custom_challenge(conversation, client_metadata)
        if name == "PASSWORD_VERIFIER":
            if conversation.srp_a is None:
                raise errors.invalid_parameter(
                    "PASSWORD_VERIFIER needs a sign-in started with SRP_A"
                )
            return self._password_challenge(conversation)
        if name is None:
            raise errors.lambda_unreadable()
        raise errors.invalid_parameter(f"{name} is not a challenge the local pool can present")

    def _custom_challenge(
        self, conversation: Conversation, client_metadata: Mapping[str, str] | None
    ) -> dict[str, Any]:
        request = {
            "challengeName": "CUSTOM_CHALLENGE",
            "session": [dict(entry) for entry in conversation.session],
        }
        response = self._call("CreateAuthChallenge", conversation, request, client_metadata)
        public = string_map(response.get("publicChallengeParameters"))
        private = string_map(response.get("privateChallengeParameters"))
        metadata = response.get("challengeMetadata")
        if metadata is not None and not isinstance(metadata, str):
            raise errors.lambda_unreadable()
        conversation.challenge = "CUSTOM_CHALLENGE"
        conversation.private, conversation.metadata = private, metadata
        return self._challenge(conversation, {**public, "USERNAME": conversation.user_name})

    def _password_challenge(self, conversation: Conversation) -> dict[str, Any]:
        user = self._known_user(conversation)
        password = None if user is None else user.password
        challenge = self.passwords.challenge(conversation.user_name, password)
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
            alias=challenge.secret_block,
        )

    def _password_proven(self, conversation: Conversation, responses: Mapping[str, str]) -> bool:
        challenge = conversation.srp_challenge
        if challenge is None or conversation.srp_a is None:
            return False
        proven = self.passwords.proven(
            challenge, conversation.srp_a, conversation.user_name, responses
        )
        return proven and not conversation.user_not_found

    def _challenge(
        self, conversation: Conversation, parameters: dict[str, str], *, alias: str | None = None
    ) -> dict[str, Any]:
        config = self._client(conversation.client_id).extended_config
        validity = int(config.get("AuthSessionValidity", 3))
        token = self.sessions.issue(conversation, validity, alias=alias)
        return {
            "ChallengeName": conversation.challenge,
            "Session": token,
            "ChallengeParameters": parameters,
        }

    def _verify(
        self, conversation: Conversation, answer: str, client_metadata: Mapping[str, str] | None
    ) -> bool:
        request = {"privateChallengeParameters": conversation.private, "challengeAnswer": answer}
        response = self._call("VerifyAuthChallengeResponse", conversation, request, client_metadata)
        correct = response.get("answerCorrect")
        if correct is None:
            return False
        if not isinstance(correct, bool):
            raise errors.lambda_unreadable()
        return correct

    def _call(
        self,
        trigger: str,
        conversation: Conversation,
        request: Mapping[str, Any],
        client_metadata: Mapping[str, str] | None,
    ) -> dict[str, Any]:
        caller = Caller(
            user_pool_id=self.user_pool_id,
            region=self.region,
            client_id=conversation.client_id,
            user_name=conversation.user_name,
            user_attributes=conversation.attributes,
            user_not_found=conversation.user_not_found,
        )
        return self.triggers.call(trigger, caller, request, client_metadata)

    # --- tokens -----------------------------------------------------------------------------------

    def _signed_in(self, client: CognitoIdpUserPoolClient, user: CognitoIdpUser) -> dict[str, Any]:
        """The tokens of a completed sign-in."""
        result = self.tokens.sign_in(self._token_settings(client), self._principal(client, user))
        self._pool.access_tokens[result["AccessToken"]] = (client.id, user.username)
        return {"ChallengeParameters": {}, "AuthenticationResult": result}

    def _refuse_what_comes_after_the_password(self, user: CognitoIdpUser, *, mfa: bool) -> None:
        """After a right password Cognito may ask for more (a new password; outside a custom
        flow, MFA); the local pool refuses what it does not emulate, and never skips it."""
        if user.status == UserStatus.RESET_REQUIRED:
            raise errors.CognitoError(
                "PasswordResetRequiredException", "Password reset required for the user"
            )
        if user.status == UserStatus.FORCE_CHANGE_PASSWORD:
            raise errors.not_emulated("the NEW_PASSWORD_REQUIRED challenge")
        if mfa and (
            self._pool.mfa_config != "OFF"
            or user.sms_mfa_enabled
            or user.software_token_mfa_enabled
        ):
            raise errors.not_emulated("multi-factor authentication after a password")

    def _token_settings(self, client: CognitoIdpUserPoolClient) -> ClientTokenSettings:
        return ClientTokenSettings.from_config(client.id, client.extended_config)

    def _principal(self, client: CognitoIdpUserPoolClient, user: CognitoIdpUser) -> Principal:
        readable = client.extended_config.get("ReadAttributes")
        claims: dict[str, Any] = {}
        for name, value in user.attribute_lookup.items():
            if name == "sub" or (readable and name not in readable):
                continue
            # The ID token carries the verified flags as booleans, the rest as strings.
            claims[name] = value.lower() == "true" if name.endswith("_verified") else value
        return Principal(
            username=user.username,
            sub=user.id,
            id_claims=claims,
            groups=tuple(sorted(group.group_name for group in user.groups)),
        )

    def _live_user(self, username: str) -> CognitoIdpUser:
        user = self._user(username)
        if user is None:
            raise errors.not_authorized("User does not exist.")
        if not user.enabled:
            raise errors.not_authorized("User is disabled.")
        return user

    def _refresh_token_auth(
        self, client: CognitoIdpUserPoolClient, parameters: Mapping[str, str]
    ) -> dict[str, Any]:
        refresh_token = _required(parameters, "REFRESH_TOKEN")
        settings = self._token_settings(client)
        if settings.rotation_enabled:
            # Cognito: rotating refresh tokens are renewed with GetTokensFromRefreshToken only.
            raise errors.invalid_parameter(NOT_ENABLED["REFRESH_TOKEN_AUTH"])
        origin = self.tokens.origin_of_refresh_token(settings, refresh_token)
        self._check_secret_hash(client, origin.username, parameters.get("SECRET_HASH"))
        result = self._renew(client, refresh_token, origin.username, rotate=False)
        return {"ChallengeParameters": {}, "AuthenticationResult": result}

    def get_tokens_from_refresh_token(
        self, client_id: str, refresh_token: str | None, client_secret: str | None
    ) -> dict[str, Any]:
        """GetTokensFromRefreshToken: new ID and access tokens, and a new refresh token when
        the client rotates them."""
        client = self._client(client_id)
        self._check_client_secret(client, client_secret)
        token = _required({"RefreshToken": refresh_token or ""}, "RefreshToken")
        settings = self._token_settings(client)
        # The user is looked up before the token is renewed (and, with rotation, replaced).
        origin = self.tokens.origin_of_refresh_token(settings, token)
        rotate = settings.rotation_enabled
        return {"AuthenticationResult": self._renew(client, token, origin.username, rotate=rotate)}

    def _renew(
        self, client: CognitoIdpUserPoolClient, refresh_token: str, username: str, *, rotate: bool
    ) -> dict[str, Any]:
        user = self._live_user(username)
        result = self.tokens.renew(
            self._token_settings(client),
            refresh_token,
            self._principal(client, user),
            rotate=rotate,
        )
        self._pool.access_tokens[result["AccessToken"]] = (client.id, user.username)
        return result

    def revoke_token(self, client_id: str, token: str | None, client_secret: str | None) -> None:
        """RevokeToken: the refresh token, and every access token renewed from it."""
        client = self._client(client_id)
        self._check_client_secret(client, client_secret)
        if not self._token_settings(client).revocation_enabled:
            raise errors.CognitoError(
                "UnsupportedOperationException", "Token revocation is not enabled for this client"
            )
        self.tokens.revoke(client.id, _required({"Token": token or ""}, "Token"))

    def user_of_access_token(self, access_token: str) -> str:
        """The username a live access token of this pool is for; NotAuthorizedException if it
        is expired, revoked, forged or the user is gone or disabled."""
        origin = self.tokens.access_token_origin(access_token)
        return self._live_user(origin.username).username

    def unverify(self, changed: set[str], username: str) -> None:
        """After a user changed their email or phone number, it is unverified (Cognito sends a
        code to the new one; the local pool does not emulate that verification)."""
        user = self._user(username)
        if user is None:
            return
        flags = [f"{name}_verified" for name in ("email", "phone_number") if name in changed]
        if flags:
            user.update_attributes([{"Name": flag, "Value": "false"} for flag in flags])

    def sign_out(self, username: str) -> None:
        """GlobalSignOut / AdminUserGlobalSignOut: every token of the user, revoked."""
        user = self._user(username)
        self.tokens.sign_out(user.username if user is not None else username)

    # --- secrets ----------------------------------------------------------------------------------

    def _check_secret_hash(
        self, client: CognitoIdpUserPoolClient, username: str, given: str | None
    ) -> None:
        if not client.generate_secret:
            return
        if not given:
            raise errors.not_authorized(
                f"Client {client.id} is configured with secret but SECRET_HASH was not received"
            )
        expected = secret_hash(username, client.id, client.secret)
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise errors.not_authorized(f"Unable to verify secret hash for client {client.id}")

    def _check_client_secret(self, client: CognitoIdpUserPoolClient, given: str | None) -> None:
        if not client.generate_secret:
            return
        if not given or not hmac.compare_digest(given.encode(), client.secret.encode()):
            raise errors.not_authorized(f"Unable to verify secret hash for client {client.id}")

    def close(self) -> None:
        """Stop the trigger threads."""
        self.triggers.close()


def _required(parameters: Mapping[str, str], key: str) -> str:
    value = parameters.get(key)
    if not value:
        raise errors.invalid_parameter(f"Missing required parameter {key}")
    return value


def _round(name: str, result: bool, metadata: str | None) -> dict[str, Any]:
    return {"challengeName": name, "challengeResult": result, "challengeMetadata": metadata}


def _client_setting(key: str, value: Any) -> Any:
    # The template gives numbers as strings, as CloudFormation does; boto3 wants them typed.
    if key in _NUMBERS:
        return int(value)
    if key == "EnableTokenRevocation":
        return str(value).lower() == "true"
    if key == "RefreshTokenRotation" and isinstance(value, dict):
        rotation = dict(value)
        if "RetryGracePeriodSeconds" in rotation:
            rotation["RetryGracePeriodSeconds"] = int(rotation["RetryGracePeriodSeconds"])
        return rotation
    return value


def _function_of(arn: Any) -> str:
    text = str(arn)
    if ":function:" not in text:
        raise TemplateError(f"LambdaConfig names {text}, not a function of the template")
    return text.split(":function:", 1)[1].split(":", 1)[0]
