"""``ChallengeNameType``: the challenge names of the Cognito model, in a module of their own.

The triggers need the names and nothing else of the challenge model, so they import them from
here and a cold start does not pay for :mod:`custom_auth.model` (which re-exports them).
"""

from enum import StrEnum


class ChallengeName(StrEnum):
    """``ChallengeNameType``: the challenges Cognito can ask a client to answer."""

    # S105 mistakes the names of password challenges for passwords.
    SMS_MFA = "SMS_MFA"
    EMAIL_OTP = "EMAIL_OTP"
    SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"  # noqa: S105
    SELECT_MFA_TYPE = "SELECT_MFA_TYPE"
    MFA_SETUP = "MFA_SETUP"
    PASSWORD_VERIFIER = "PASSWORD_VERIFIER"  # noqa: S105
    CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
    SELECT_CHALLENGE = "SELECT_CHALLENGE"
    DEVICE_SRP_AUTH = "DEVICE_SRP_AUTH"
    DEVICE_PASSWORD_VERIFIER = "DEVICE_PASSWORD_VERIFIER"  # noqa: S105
    ADMIN_NO_SRP_AUTH = "ADMIN_NO_SRP_AUTH"
    NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"  # noqa: S105
    SMS_OTP = "SMS_OTP"
    PASSWORD = "PASSWORD"  # noqa: S105
    WEB_AUTHN = "WEB_AUTHN"
    PASSWORD_SRP = "PASSWORD_SRP"  # noqa: S105

    @classmethod
    def parse(cls, value: str) -> "ChallengeName | str":
        """The member named ``value``, or ``value`` itself when the enum lacks it.

        Cognito names challenges the model does not list (``EMAIL_MFA``, ``SRP_A``); they are
        kept as strings so they survive a round trip.
        """
        try:
            return cls(value)
        except ValueError:
            return value
