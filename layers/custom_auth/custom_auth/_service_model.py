"""The cognito-idp response shapes of botocore 1.44.5, as data. Generated: do not edit.

Regenerate with ``make generate`` (tools/generate_service_model.py) after changing the pinned
botocore; the test suite fails while this file and the installed model disagree.
"""

from typing import Final, TypedDict


class Shape(TypedDict, total=False):
    """One shape of the service model, reduced to the traits the validator checks."""

    type: str
    min: int
    max: int
    pattern: str
    sensitive: bool
    enum: list[str]
    required: list[str]
    members: dict[str, str]
    member: str
    key: str
    value: str


BOTOCORE_VERSION: Final = "1.44.5"

SHAPES: Final[dict[str, Shape]] = {
    "AdminInitiateAuthResponse": {
        "type": "structure",
        "members": {
            "ChallengeName": "ChallengeNameType",
            "Session": "SessionType",
            "ChallengeParameters": "ChallengeParametersType",
            "AuthenticationResult": "AuthenticationResultType",
            "AvailableChallenges": "AvailableChallengeListType",
        },
    },
    "AuthenticationResultType": {
        "type": "structure",
        "members": {
            "AccessToken": "TokenModelType",
            "ExpiresIn": "IntegerType",
            "TokenType": "StringType",
            "RefreshToken": "TokenModelType",
            "IdToken": "TokenModelType",
            "NewDeviceMetadata": "NewDeviceMetadataType",
        },
    },
    "AvailableChallengeListType": {"type": "list", "member": "ChallengeNameType"},
    "ChallengeNameType": {
        "type": "string",
        "enum": [
            "SMS_MFA",
            "EMAIL_OTP",
            "SOFTWARE_TOKEN_MFA",
            "SELECT_MFA_TYPE",
            "MFA_SETUP",
            "PASSWORD_VERIFIER",
            "CUSTOM_CHALLENGE",
            "SELECT_CHALLENGE",
            "DEVICE_SRP_AUTH",
            "DEVICE_PASSWORD_VERIFIER",
            "ADMIN_NO_SRP_AUTH",
            "NEW_PASSWORD_REQUIRED",
            "SMS_OTP",
            "PASSWORD",
            "WEB_AUTHN",
            "PASSWORD_SRP",
        ],
    },
    "ChallengeParametersType": {"type": "map", "key": "StringType", "value": "StringType"},
    "DeviceKeyType": {"type": "string", "min": 1, "max": 55, "pattern": "[\\w-]+_[0-9a-f-]+"},
    "IntegerType": {"type": "integer"},
    "NewDeviceMetadataType": {
        "type": "structure",
        "members": {"DeviceKey": "DeviceKeyType", "DeviceGroupKey": "StringType"},
    },
    "SessionType": {"type": "string", "min": 20, "max": 4096, "sensitive": True},
    "StringType": {"type": "string", "min": 0, "max": 131072},
    "TokenModelType": {"type": "string", "pattern": "[A-Za-z0-9-_=.]+", "sensitive": True},
}
