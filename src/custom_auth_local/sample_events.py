"""Trigger events in exactly the shape Cognito sends, one per situation.

``custom-auth generate-event`` prints them (the SAM CLI has no generator for these triggers);
the files in ``events/`` are these same events, issued at :data:`SAMPLE_TIME`, and a test keeps
the two identical. Code hashes are made with the local stand-ins' development key, so the
Verify samples hold a real hash of :data:`SAMPLE_CODE`.

Each custom-challenge round in a session carries the metadata Create writes
(``ca2:<SELECT or method>:<switched>:<sign-in id>:<the method's record>``, see
``custom_auth.rounds``), all of one sign-in (:data:`SAMPLE_SIGN_IN`), and each Verify event the
private parameters Create gives that round. Some samples are for a deployment other than the
template's default (one method, EMAIL_OTP): :data:`PARAMETERS` says which template parameters
each needs, and :data:`PRECEDED_BY` which need the choice a Verify sample records first.

The PASSKEY samples sign with :data:`SAMPLE_PASSKEY_PRIVATE_KEY`, a key published here for
them (deterministic ECDSA: the same signature on every run); the ones that read the sample
user's passkey (:data:`READ_THE_PASSKEY`) need :func:`passkey_items` stored first.
"""

import base64
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from custom_auth.credentials import Credential, _item, owner_key
from custom_auth.events import UNFILLED_RESPONSES, TriggerSource
from custom_auth.methods import METHOD_METADATA_KEY, SELECT
from custom_auth.otp import CodeRecord, hash_code
from custom_auth.passkeys import (
    Attestation,
    PasskeySettings,
    UserVerification,
    b64url,
    compact,
    request_options,
)
from custom_auth.passkeys import (
    round_parameters as passkey_round_parameters,
)
from custom_auth.rounds import Round
from custom_auth.rounds import private_parameters as round_parameters
from custom_auth.settings import Channel
from custom_auth.sign_up import ADDRESS_METADATA_KEY
from custom_auth_local.standins import DEVELOPMENT_CODE_KEY

#: When the sample events in events/ were issued: 2026-11-22T00:00:00Z.
SAMPLE_TIME = 1_795_305_600
#: The code the samples' hashes are made from.
SAMPLE_CODE = "123456"
#: The random id Create gives a sign-in (the same in each of its rounds), for the samples.
SAMPLE_SIGN_IN = "q7Hn2xKp9VbT4mWc1RzL0A"
#: How much later than the first code the samples' switched-to method sent its own.
SWITCH_DELAY = 30
DEFAULT_USER_POOL_ID = "us-east-1_EXAMPLE01"
DEFAULT_USERNAME = "7c1e1b7a-5d1f-4d4e-9f44-2f0c2b4c5a10"
DEFAULT_CLIENT_ID = "1example23456789abcdefghij"
#: ClientMetadata of RespondToAuthChallenge reaches the triggers; that of InitiateAuth does not.
RESPOND_METADATA = {"clientMetadata": {"app": "web"}}

EMAIL_OTP, SMS_OTP, PASSKEY = "EMAIL_OTP", "SMS_OTP", "PASSKEY"
#: What the deployments of the samples offer the sample user (who has both an email address
#: and a phone number).
ONE_METHOD = (EMAIL_OTP,)
BOTH = (EMAIL_OTP, SMS_OTP)
WITH_PASSKEY = (EMAIL_OTP, PASSKEY)

#: The relying party of the PASSKEY samples' deployment, and its sign-in page.
PASSKEY_RP_ID = "example.com"
PASSKEY_ORIGIN = "https://example.com"
#: A SAMPLE P-256 private key (its scalar), published here so that the PASSKEY samples'
#: assertions are the same on every run. NOT A SECRET: it is no real authenticator's, and a
#: deployment must never hold a credential made from it.
SAMPLE_PASSKEY_PRIVATE_KEY = 0x4A249219455FD2F77EF6B51D1F4DB6DDA1769AC5CD33F291C41E75728CA51853
#: The sample user's sample passkey: its credential id (base64url) and transports.
SAMPLE_CREDENTIAL_ID = "alLxkm3d_ydimmYcoDQlgg"
SAMPLE_TRANSPORTS = ("internal", "hybrid")
#: The challenge of the samples' PASSKEY round (32 bytes, base64url; Create makes a random one).
SAMPLE_PASSKEY_CHALLENGE = "qLSQwoFZRmVOu5xa43fwuN1ci3RXLoBRmMLfrYvLzb0"
#: The authenticatorData flags of the sample assertions: user present and verified.
_UP_UV = 0x05
#: The template resource the credentials are stored in (PASSKEY_TABLE_NAME).
PASSKEY_TABLE = "PasskeyCredentialsTable"

TRIGGERS = {
    "define": "DefineAuthChallenge_Authentication",
    "create": "CreateAuthChallenge_Authentication",
    "verify": "VerifyAuthChallengeResponse_Authentication",
}
#: The folder of events/ each trigger's samples live in.
FOLDERS = {
    "define": "define_auth_challenge",
    "create": "create_auth_challenge",
    "verify": "verify_auth_challenge_response",
}

#: Template parameters (besides a SenderEmail) of the deployments the samples are for.
SEVERAL_METHODS = {"SignInMethods": "EMAIL_OTP,SMS_OTP", "SmsAllowedCountryCodes": "1"}
SMS_ONLY = {"SignInMethods": "SMS_OTP", "SmsAllowedCountryCodes": "1"}
PASSWORD_FIRST = {"AuthFlow": "password+otp"}
SIGN_UP = {**SEVERAL_METHODS, "PasswordlessSignUp": "true"}
PASSKEYS = {
    "SignInMethods": "EMAIL_OTP,PASSKEY",
    "PasskeyRpIds": PASSKEY_RP_ID,
    "PasskeyOrigins": PASSKEY_ORIGIN,
}
#: The address the sample sign-up proves.
SIGN_UP_ADDRESS = "newcomer@example.com"
#: The samples that need other template parameters than the defaults, by path under events/.
PARAMETERS: Mapping[str, Mapping[str, str]] = {
    "define_auth_challenge/after_srp_a.json": PASSWORD_FIRST,
    "define_auth_challenge/after_right_password.json": PASSWORD_FIRST,
    "define_auth_challenge/after_wrong_password.json": PASSWORD_FIRST,
    "define_auth_challenge/after_choice.json": SEVERAL_METHODS,
    "define_auth_challenge/after_refused_choice.json": SEVERAL_METHODS,
    "define_auth_challenge/after_choice_and_right_answer.json": SEVERAL_METHODS,
    "define_auth_challenge/after_switch_and_right_answer.json": SEVERAL_METHODS,
    "create_auth_challenge/sms_first_round.json": SMS_ONLY,
    "create_auth_challenge/choice_round.json": SEVERAL_METHODS,
    "create_auth_challenge/after_refused_choice.json": SEVERAL_METHODS,
    "create_auth_challenge/after_choice.json": SEVERAL_METHODS,
    "create_auth_challenge/after_switch.json": SEVERAL_METHODS,
    "verify_auth_challenge_response/choice.json": SEVERAL_METHODS,
    "verify_auth_challenge_response/bad_choice.json": SEVERAL_METHODS,
    "verify_auth_challenge_response/switch.json": SEVERAL_METHODS,
    "verify_auth_challenge_response/second_switch.json": SEVERAL_METHODS,
    "define_auth_challenge/sign_up_after_its_code.json": SIGN_UP,
    "create_auth_challenge/sign_up_first_round.json": SIGN_UP,
    "verify_auth_challenge_response/sign_up_choice.json": SIGN_UP,
    "define_auth_challenge/after_passkey_right_assertion.json": PASSKEYS,
    "create_auth_challenge/passkey_round.json": PASSKEYS,
    "verify_auth_challenge_response/passkey_choice.json": PASSKEYS,
    "verify_auth_challenge_response/passkey_right_assertion.json": PASSKEYS,
    "verify_auth_challenge_response/passkey_bad_signature.json": PASSKEYS,
}
#: Create samples that read a choice from the state table, and the Verify sample that records
#: it (run in the same stand-ins first). Alone, ``after_choice`` fails closed (no choice is
#: recorded: no challenge), and ``after_switch`` is a later round of EMAIL_OTP (no switch is).
PRECEDED_BY: Mapping[str, str] = {
    "create_auth_challenge/after_choice.json": "verify_auth_challenge_response/choice.json",
    "create_auth_challenge/after_switch.json": "verify_auth_challenge_response/switch.json",
    "create_auth_challenge/sign_up_first_round.json": (
        "verify_auth_challenge_response/sign_up_choice.json"
    ),
    "create_auth_challenge/passkey_round.json": (
        "verify_auth_challenge_response/passkey_choice.json"
    ),
}
#: The samples that read the sample user's passkey from the credentials table
#: (:data:`PASSKEY_TABLE`): store :func:`passkey_items` there first. Without it Create lists a
#: made-up credential instead, and Verify refuses the assertion (an unknown credential).
READ_THE_PASSKEY = frozenset(
    {
        "create_auth_challenge/passkey_round.json",
        "verify_auth_challenge_response/passkey_right_assertion.json",
        "verify_auth_challenge_response/passkey_bad_signature.json",
    }
)


class UnknownScenarioError(ValueError):
    """No such scenario for that trigger."""


def _attributes(username: str, *, email: bool = True, phone: bool = True) -> dict[str, str]:
    attributes = {"sub": username, "cognito:user_status": "CONFIRMED"}
    if email:
        attributes |= {"email_verified": "true", "email": "alice@example.com"}
    if phone:
        attributes |= {"phone_number_verified": "true", "phone_number": "+12065550100"}
    return attributes


def private_parameters(
    method: str, index: int, offered: tuple[str, ...], *, may_switch: bool = False
) -> dict[str, str]:
    """What Create keeps private about round ``index`` of the sample sign-in, besides the code's
    record: :func:`custom_auth.rounds.private_parameters`, for the sample sign-in's id."""
    return round_parameters(method, SAMPLE_SIGN_IN, index, offered, may_switch=may_switch)


class _Builder:
    """Builds one trigger's events for a pool, a user and an issue time."""

    def __init__(self, user_pool_id: str, username: str, now: int) -> None:
        self.user_pool_id, self.username, self.now = user_pool_id, username, now

    def envelope(self, trigger: str, request: dict[str, Any], username: str = "") -> dict[str, Any]:
        return {
            "version": "1",
            "region": self.user_pool_id.split("_", 1)[0],
            "userPoolId": self.user_pool_id,
            "userName": username or self.username,
            "callerContext": {
                "awsSdkVersion": "aws-sdk-unknown-unknown",
                "clientId": DEFAULT_CLIENT_ID,
            },
            "triggerSource": TRIGGERS[trigger],
            "request": request,
            "response": dict(UNFILLED_RESPONSES[TriggerSource(TRIGGERS[trigger])]),
        }

    def record(self, issued_at: int | None = None, channel: Channel = Channel.EMAIL) -> CodeRecord:
        issued = self.now if issued_at is None else issued_at
        code_hash = hash_code(
            DEVELOPMENT_CODE_KEY.encode(),
            SAMPLE_CODE,
            user_pool_id=self.user_pool_id,
            user_name=self.username,
            issued_at=issued,
        )
        destination = "a***@e***.com" if channel is Channel.EMAIL else "+*******0100"
        return CodeRecord(code_hash, issued, channel, destination)

    # -- session entries: one per round, with the metadata Create gave it ------------------

    def round(
        self, result: bool, method: str = EMAIL_OTP, *, switched: bool = False
    ) -> dict[str, Any]:
        channel = Channel.SMS if method == SMS_OTP else Channel.EMAIL
        # A method switched to sends a code of its own, a little later.
        issued = self.now + SWITCH_DELAY if switched else self.now
        body = self.record(issued, channel).to_metadata()
        return _entry(result, Round(method, switched, SAMPLE_SIGN_IN, body).to_metadata())

    def choice(self, result: bool) -> dict[str, Any]:
        return _entry(result, Round(SELECT, False, SAMPLE_SIGN_IN, "").to_metadata())

    def passkey_round(self, result: bool) -> dict[str, Any]:
        return _entry(
            result, Round(PASSKEY, False, SAMPLE_SIGN_IN, self.passkey_body()).to_metadata()
        )

    # -- PASSKEY ----------------------------------------------------------------------------

    def passkey_body(self) -> str:
        """The record Create keeps of the samples' PASSKEY round (the round after the choice):
        ``<when its challenge was made>|<the challenge>|<the request options>``, the options
        listing the sample passkey, as Create lists the sample user's one."""
        settings = PasskeySettings(
            rp_ids=(PASSKEY_RP_ID,),
            origins=(PASSKEY_ORIGIN,),
            user_verification=UserVerification.REQUIRED,
            attestation=Attestation.NONE,
            timeout_seconds=120,
            table_name=PASSKEY_TABLE,
        )
        allowed = [(_from_b64url(SAMPLE_CREDENTIAL_ID), SAMPLE_TRANSPORTS)]
        options = request_options(settings, _from_b64url(SAMPLE_PASSKEY_CHALLENGE), allowed)
        return f"{self.now}|{SAMPLE_PASSKEY_CHALLENGE}|{compact(options)}"

    def passkey_parameters(self) -> dict[str, str]:
        """The private parameters Create gives the samples' PASSKEY round (round 1, after the
        choice; a switch to EMAIL_OTP is still allowed)."""
        _, own = passkey_round_parameters(self.passkey_body())
        return dict(own) | private_parameters(PASSKEY, 1, WITH_PASSKEY, may_switch=True)

    def assertion(self, *, tampered: bool = False) -> str:
        """The sample passkey's answer to the round's challenge, as a browser's
        ``credential.toJSON()`` gives it (AuthenticationResponseJSON, as JSON): signed for
        :data:`PASSKEY_RP_ID` on :data:`PASSKEY_ORIGIN`, user present and verified, sign count
        1. ``tampered``: the signature is of other bytes."""
        client_data = compact(
            {
                "type": "webauthn.get",
                "challenge": SAMPLE_PASSKEY_CHALLENGE,
                "origin": PASSKEY_ORIGIN,
                "crossOrigin": False,
            }
        ).encode()
        authenticator_data = (
            hashlib.sha256(PASSKEY_RP_ID.encode()).digest()
            + bytes([_UP_UV])
            + (1).to_bytes(4, "big")
        )
        signed = authenticator_data + hashlib.sha256(client_data).digest()
        if tampered:
            signed += b"tampered"
        signature = _sample_key().sign(
            signed, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
        )
        return compact(
            {
                "id": SAMPLE_CREDENTIAL_ID,
                "rawId": SAMPLE_CREDENTIAL_ID,
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(authenticator_data),
                    "signature": b64url(signature),
                    "userHandle": b64url(self.username.encode()),
                },
                "clientExtensionResults": {},
                "authenticatorAttachment": "platform",
            }
        )

    # -- Define -----------------------------------------------------------------------------

    def define(self, session: list[dict[str, Any]], **request: Any) -> dict[str, Any]:
        body = {"userAttributes": _attributes(self.username), "session": session}
        body |= {"userNotFound": False} | request
        return self.envelope("define", body)

    def define_scenarios(self) -> dict[str, Callable[[], dict[str, Any]]]:
        srp_a = {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None}

        def verifier(result: bool) -> dict[str, Any]:
            return {
                "challengeName": "PASSWORD_VERIFIER",
                "challengeResult": result,
                "challengeMetadata": None,
            }

        answered = RESPOND_METADATA
        chose = {"clientMetadata": {"app": "web", METHOD_METADATA_KEY: EMAIL_OTP}}
        forged = _entry(True, "code-123456")  # metadata Create never wrote
        return {
            "new_sign_in": lambda: self.define([]),
            "after_right_answer": lambda: self.define([self.round(True)], **answered),
            "after_wrong_answer": lambda: self.define([self.round(False)], **answered),
            "after_last_wrong_answer": lambda: self.define([self.round(False)] * 3, **answered),
            "after_srp_a": lambda: self.define([srp_a]),
            "after_right_password": lambda: self.define([srp_a, verifier(True)], **answered),
            "after_wrong_password": lambda: self.define([srp_a, verifier(False)], **answered),
            "unknown_user": lambda: self._unknown(self.define([], userNotFound=True)),
            "after_forged_round": lambda: self.define([forged], **answered),
            "after_choice": lambda: self.define([self.choice(True)], **chose),
            "after_refused_choice": lambda: self.define([self.choice(False)], **answered),
            "after_choice_and_right_answer": lambda: self.define(
                [self.choice(True), self.round(True)], **answered
            ),
            "after_switch_and_right_answer": lambda: self.define(
                [self.choice(True), self.round(False), self.round(True, SMS_OTP, switched=True)],
                **answered,
            ),
            # A new address's code, right or not, is answered False: another round (Create
            # makes it SIGNED_UP if Verify recorded that the code made the account).
            "sign_up_after_its_code": lambda: self._unknown(
                self.define([self.choice(True), self.round(False)], userNotFound=True, **answered)
            ),
            "after_passkey_right_assertion": lambda: self.define(
                [self.choice(True), self.passkey_round(True)], **answered
            ),
        }

    # -- Create -----------------------------------------------------------------------------

    def create(self, session: list[dict[str, Any]], **request: Any) -> dict[str, Any]:
        body = {
            "userAttributes": request.pop("userAttributes", _attributes(self.username)),
            "challengeName": "CUSTOM_CHALLENGE",
            "session": session,
        }
        body |= {"userNotFound": False} | request
        return self.envelope("create", body)

    def create_scenarios(self) -> dict[str, Callable[[], dict[str, Any]]]:
        answered = RESPOND_METADATA
        return {
            "first_round": lambda: self.create([]),
            "later_round": lambda: self.create([self.round(False)], **answered),
            "unknown_user": lambda: self._unknown(self.create([], userNotFound=True)),
            "sms_first_round": lambda: self.create(
                [], userAttributes=_attributes(self.username, email=False)
            ),
            "choice_round": lambda: self.create([]),
            "after_refused_choice": lambda: self.create([self.choice(False)], **answered),
            "after_choice": lambda: self.create([self.choice(True)], **answered),
            "after_switch": lambda: self.create([self.choice(True), self.round(False)], **answered),
            # An unknown user whose choice carried an address that may sign up: a real code.
            "sign_up_first_round": lambda: self._unknown(
                self.create([self.choice(True)], userNotFound=True, **answered)
            ),
            # PASSKEY chosen (Verify passkey_choice): the request options, nothing sent.
            "passkey_round": lambda: self.create([self.choice(True)], **answered),
        }

    # -- Verify -----------------------------------------------------------------------------

    def verify(self, answer: str, private: dict[str, str], **request: Any) -> dict[str, Any]:
        body = {
            "userAttributes": _attributes(self.username),
            "privateChallengeParameters": private,
            "challengeAnswer": answer,
        }
        body |= {"userNotFound": False} | RESPOND_METADATA | request
        return self.envelope("verify", body)

    def code_round(self, record: CodeRecord, index: int = 0, **method: Any) -> dict[str, str]:
        """The private parameters of an EMAIL_OTP round (one method, unless ``method`` says)."""
        name = method.pop("name", EMAIL_OTP)
        offered = method.pop("offered", ONE_METHOD)
        return record.private_parameters() | private_parameters(name, index, offered, **method)

    def verify_scenarios(self) -> dict[str, Callable[[], dict[str, Any]]]:
        wrong = f"{(int(SAMPLE_CODE) + 1) % 10 ** len(SAMPLE_CODE):0{len(SAMPLE_CODE)}d}"
        choosing = private_parameters(SELECT, 0, BOTH)
        choosing_passkey = private_parameters(SELECT, 0, WITH_PASSKEY)
        # The EMAIL_OTP round after the choice: a switch is still allowed...
        chosen = self.code_round(self.record(), 1, offered=BOTH, may_switch=True)
        # ...and the SMS_OTP round switched to: no second switch.
        sms = self.record(self.now + SWITCH_DELAY, Channel.SMS)
        switched = self.code_round(sms, 2, name=SMS_OTP, offered=BOTH)

        def naming(method: str) -> dict[str, Any]:
            return {"clientMetadata": {"app": "web", METHOD_METADATA_KEY: method}}

        return {
            "right_answer": lambda: self.verify(SAMPLE_CODE, self.code_round(self.record())),
            "wrong_answer": lambda: self.verify(wrong, self.code_round(self.record())),
            "expired_answer": lambda: self.verify(
                SAMPLE_CODE, self.code_round(self.record(self.now - 3600))
            ),
            "malformed_answer": lambda: self.verify("12ab56", self.code_round(self.record())),
            "unknown_user": lambda: self._unknown(
                self.verify(SAMPLE_CODE, self.code_round(self._unmatchable()), userNotFound=True)
            ),
            "choice": lambda: self.verify(EMAIL_OTP, choosing),
            "bad_choice": lambda: self.verify("WEB_AUTHN", choosing),
            "switch": lambda: self.verify(SMS_OTP, chosen, **naming(SMS_OTP)),
            "second_switch": lambda: self.verify(EMAIL_OTP, switched, **naming(EMAIL_OTP)),
            # An unknown user chooses, with the address typed: Verify records it.
            "sign_up_choice": lambda: self._unknown(
                self.verify(
                    EMAIL_OTP,
                    choosing,
                    userNotFound=True,
                    clientMetadata={
                        METHOD_METADATA_KEY: EMAIL_OTP,
                        ADDRESS_METADATA_KEY: SIGN_UP_ADDRESS,
                    },
                )
            ),
            "passkey_choice": lambda: self.verify(PASSKEY, choosing_passkey),
            "passkey_right_assertion": lambda: self.verify(
                self.assertion(), self.passkey_parameters()
            ),
            "passkey_bad_signature": lambda: self.verify(
                self.assertion(tampered=True), self.passkey_parameters()
            ),
        }

    def _unknown(self, event: dict[str, Any]) -> dict[str, Any]:
        event["userName"] = "nobody@example.com"
        event["request"]["userAttributes"] = {}
        return event

    def _unmatchable(self) -> CodeRecord:
        # What Create gives an unknown user: a random value no answer hashes to.
        return CodeRecord(
            "W7x0eVtQd0c4u9rNqJ2kD5mA8pL3sZ1yH6fG4bC2xE0", self.now, Channel.EMAIL, "n***@e***.com"
        )


def _from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sample_key() -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(SAMPLE_PASSKEY_PRIVATE_KEY, ec.SECP256R1())


def sample_public_key() -> bytes:
    """The COSE key (EC2, ES256, P-256) of :data:`SAMPLE_PASSKEY_PRIVATE_KEY`, as a
    registration stores it."""
    numbers = _sample_key().public_key().public_numbers()
    key = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
    return cbor2.dumps(key, canonical=True)


def passkey_items(
    user_pool_id: str = DEFAULT_USER_POOL_ID, username: str = DEFAULT_USERNAME
) -> list[dict[str, Any]]:
    """What the credentials table (:data:`PASSKEY_TABLE`) holds for the samples that read the
    sample user's passkey (:data:`READ_THE_PASSKEY`): the one item of that passkey, as a
    registration stores it (its COSE public key, sign count 0, registered a day before the
    samples were issued), in boto3's typed form ({"S": ...}; binary values as bytes)."""
    credential = Credential(
        credential_id=_from_b64url(SAMPLE_CREDENTIAL_ID),
        owner=owner_key(user_pool_id, username),
        sub=username,  # the sample user's sub (its attributes)
        public_key=sample_public_key(),
        sign_count=0,
        transports=SAMPLE_TRANSPORTS,
        name="Laptop",
        created_at=SAMPLE_TIME - 86_400,
        aaguid="00000000-0000-0000-0000-000000000000",
        backed_up=False,
        attestation_format="none",
    )
    return [_item(credential)]


def _entry(result: bool, metadata: str) -> dict[str, Any]:
    return {
        "challengeName": "CUSTOM_CHALLENGE",
        "challengeResult": result,
        "challengeMetadata": metadata,
    }


def scenarios(trigger: str) -> list[str]:
    """The scenario names of ``trigger`` (define, create or verify)."""
    return list(_table(_Builder(DEFAULT_USER_POOL_ID, DEFAULT_USERNAME, SAMPLE_TIME), trigger))


def _table(builder: _Builder, trigger: str) -> dict[str, Callable[[], dict[str, Any]]]:
    if trigger not in TRIGGERS:
        raise UnknownScenarioError(f"trigger must be one of {', '.join(TRIGGERS)}")
    table: dict[str, Callable[[], dict[str, Any]]] = getattr(builder, f"{trigger}_scenarios")()
    return table


def parameters(trigger: str, scenario: str) -> Mapping[str, str]:
    """The template parameters (besides a sender) the scenario's deployment needs."""
    return PARAMETERS.get(f"{FOLDERS[trigger]}/{scenario}.json", {})


def generate(
    trigger: str,
    scenario: str | None = None,
    *,
    user_pool_id: str = DEFAULT_USER_POOL_ID,
    username: str = DEFAULT_USERNAME,
    now: int = SAMPLE_TIME,
) -> dict[str, Any]:
    """The event of ``trigger`` for ``scenario`` (its first scenario if None)."""
    table = _table(_Builder(user_pool_id, username, now), trigger)
    name = scenario or next(iter(table))
    if name not in table:
        raise UnknownScenarioError(
            f"no scenario {name!r} for {trigger}; choose one of {', '.join(table)}"
        )
    return table[name]()


def all_samples(now: int = SAMPLE_TIME) -> dict[str, dict[str, Any]]:
    """Every sample event, by its path under events/."""
    return {
        f"{FOLDERS[trigger]}/{scenario}.json": generate(trigger, scenario, now=now)
        for trigger in TRIGGERS
        for scenario in scenarios(trigger)
    }
