"""Logging, metrics, and the guard that keeps a trigger's failures safe.

Logs are Powertools structured JSON; metrics are CloudWatch EMF through Powertools Metrics.
Neither ever carries a code, an answer, a hash, private challenge parameters or a whole event.
"""

import copy
import functools
import logging
import os
import traceback
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from custom_auth.errors import CustomAuthError

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "custom-auth"
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "CustomAuth"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

# At DEBUG, botocore and urllib3 log whole request bodies, and a code email's body carries the
# code: keep them at INFO or above even when the function's log level is DEBUG.
for _name in ("botocore", "boto3", "urllib3"):
    _sdk_logger = logging.getLogger(_name)
    if _sdk_logger.level < logging.INFO:
        _sdk_logger.setLevel(logging.INFO)


class Metric(StrEnum):
    """The metrics the triggers emit, one count each."""

    CHALLENGES_PRESENTED = "ChallengesPresented"
    CHALLENGES_CREATED = "ChallengesCreated"
    CODES_SENT = "CodesSent"
    CODES_REUSED = "CodesReused"
    CODES_WITHHELD = "CodesWithheld"
    CODES_REPLAYED = "CodesReplayed"
    DELIVERIES_IMPOSSIBLE = "DeliveriesImpossible"
    DELIVERIES_REFUSED = "DeliveriesRefused"
    POOL_SEND_CAP_REACHED = "PoolSendCapReached"
    LOCKOUT_CODES_SENT = "LockoutCodesSent"
    LOCKOUT_CODES_USED = "LockoutCodesUsed"
    ANSWERS_RIGHT = "AnswersRight"
    ANSWERS_WRONG = "AnswersWrong"
    ANSWERS_REFUSED_LOCKED_OUT = "AnswersRefusedLockedOut"
    LOCKOUTS = "Lockouts"
    STATE_UNAVAILABLE = "StateUnavailable"
    METHODS_CHOSEN = "MethodsChosen"
    METHODS_SWITCHED = "MethodsSwitched"
    CHOICES_REFUSED = "ChoicesRefused"
    MAGIC_LINKS_SENT = "MagicLinksSent"
    MAGIC_LINKS_REFUSED = "MagicLinksRefused"
    PASSKEYS_ACCEPTED = "PasskeysAccepted"
    PASSKEYS_REFUSED = "PasskeysRefused"
    ACCOUNTS_SIGNED_UP = "AccountsSignedUp"
    SIGN_UPS_REFUSED = "SignUpsRefused"
    SIGN_UPS_FAILED = "SignUpsFailed"
    SIGN_UP_CAP_REACHED = "SignUpCapReached"
    SIGN_UP_SEND_CAP_REACHED = "SignUpSendCapReached"
    SIGN_INS_SUCCEEDED = "SignInsSucceeded"
    SIGN_INS_FAILED = "SignInsFailed"
    TRIGGER_ERRORS = "TriggerErrors"


def count(metric: Metric) -> None:
    """Add one to ``metric``."""
    metrics.add_metric(name=metric.value, unit=MetricUnit.Count, value=1)


def state_unavailable(consequence: str, error: Exception) -> None:
    """Log and count that the state table failed, and what follows from it."""
    logger.error(
        f"the user's sign-in state is unavailable: {consequence}", extra={"error": str(error)}
    )
    count(Metric.STATE_UNAVAILABLE)


class TriggerError(CustomAuthError):
    """What a trigger raises to Cognito when it cannot do its job: no detail, see the logs."""


def log_unexpected(trigger: str, error: BaseException) -> None:
    """Log ``error`` without anything it might carry.

    Our own errors are written never to hold a secret, so their message is logged; of any other
    error only its type and where it was raised are, since its message could hold anything.
    """
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else "?"
    detail = str(error) if isinstance(error, CustomAuthError) else None
    logger.error(
        f"{trigger} failed",
        extra={"error_type": type(error).__name__, "error": detail, "raised_at": where},
    )
    count(Metric.TRIGGER_ERRORS)


Handler = Callable[[Any, Any], dict[str, Any]]


def guarded(
    trigger: str,
    *,
    fallback: Callable[[Any], dict[str, Any]] | None = None,
    fallback_on: tuple[type[BaseException], ...] = (Exception,),
) -> Callable[[Handler], Handler]:
    """Wrap a handler so that an error never leaves it with a secret in it.

    An error of a ``fallback_on`` type is answered with ``fallback(event)`` (Define fails the
    sign-in, Verify calls the answer wrong); any other error is logged without secrets and
    re-raised as a generic :class:`TriggerError`, which Cognito reports as the trigger failing.
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapper(event: Any, context: Any) -> dict[str, Any]:
            try:
                return handler(event, context)
            except Exception as error:  # noqa: BLE001 - this is the one place errors end
                log_unexpected(trigger, error)
                if fallback is not None and isinstance(error, fallback_on):
                    return fallback(event)
                request = getattr(context, "aws_request_id", "unknown")
                raise TriggerError(
                    f"{trigger} could not complete; see the function's logs (request {request})"
                ) from None

        return wrapper

    return decorate


def with_response(event: Any, response: dict[str, Any]) -> dict[str, Any]:
    """``event`` (as received) with ``response`` in place, for answering unreadable events."""
    out = copy.copy(event) if isinstance(event, dict) else {}
    out["response"] = response
    return out
