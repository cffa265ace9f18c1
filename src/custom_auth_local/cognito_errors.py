"""The errors Cognito answers custom-auth calls with, as moto serializes them.

Raised inside moto's request handling, each reaches boto3 (and the AWS CLI) with its real
error code, so ``client.exceptions.UserLambdaValidationException`` and the rest catch them.
"""

from moto.core.exceptions import JsonRESTError


class CognitoError(JsonRESTError):
    """One Cognito error: its code (``NotAuthorizedException``...) and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(error_type=code, message=message)


def not_authorized(message: str = "Incorrect username or password.") -> CognitoError:
    """What failAuthentication, a bad session or a bad secret hash give the caller."""
    return CognitoError("NotAuthorizedException", message)


def invalid_parameter(message: str) -> CognitoError:
    """A call Cognito refuses before any trigger runs."""
    return CognitoError("InvalidParameterException", message)


def invalid_session() -> CognitoError:
    """A session string Cognito never issued, or issued to another app client."""
    return not_authorized("Invalid session for the user.")


def user_not_confirmed() -> CognitoError:
    """A user who signed up and never confirmed."""
    return CognitoError("UserNotConfirmedException", "User is not confirmed.")


def not_emulated(what: str) -> CognitoError:
    """Something Cognito would do that the local pool does not: refused, never skipped."""
    return CognitoError(
        "UnsupportedOperationException", f"The local user pool does not emulate {what}."
    )


def user_not_found() -> CognitoError:
    """An unknown user, on an app client with PreventUserExistenceErrors LEGACY."""
    return CognitoError("UserNotFoundException", "User does not exist.")


def lambda_failed(trigger: str, message: str) -> CognitoError:
    """A trigger raised: Cognito passes its message on."""
    return CognitoError("UserLambdaValidationException", f"{trigger} failed with error {message}.")


def lambda_unreadable() -> CognitoError:
    """A trigger returned something Cognito cannot read."""
    return CognitoError("InvalidLambdaResponseException", "Unrecognizable lambda output")


def lambda_timed_out(trigger: str, seconds: float, tries: int) -> CognitoError:
    """A trigger did not answer in time, try after try.

    The documentation says Cognito retries and then fails the call, not with which error;
    UnexpectedLambdaException ("an unexpected exception with Lambda") is the closest it names.
    """
    return CognitoError(
        "UnexpectedLambdaException",
        f"{trigger} failed with error Task timed out after {seconds:g} seconds ({tries} tries).",
    )
