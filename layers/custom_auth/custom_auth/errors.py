"""The exceptions of custom_auth.

Every message names the field and the rule that was broken and never the offending value, so
an error can be logged without leaking a session, a token, a code or an answer.
"""


class CustomAuthError(Exception):
    """Base class of every error this package raises on purpose."""


class InvalidResponseError(CustomAuthError, ValueError):
    """An InitiateAuth / RespondToAuthChallenge response does not fit the Cognito model."""


class InvalidEventError(CustomAuthError, ValueError):
    """A Lambda trigger event (or the response a handler builds into it) is malformed."""


class ChallengeResponsesError(CustomAuthError, ValueError):
    """The answers given for a challenge are not what the challenge requires."""
