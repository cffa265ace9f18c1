"""Rotate the magic-link key: the function a schedule invokes every MagicLinkKeyRotationDays.

KMS cannot rotate an HMAC key, so each run makes a new one and moves the aliases on (see
:mod:`custom_auth.link_key_rotation`). The schedule's event says nothing the run needs, so it
is not read. A run that fails raises, and Lambda tries it again; starting again is safe at any
point. The error names the step and the AWS error code; nothing logged holds more than key ids.
"""

from typing import Any

from custom_auth import cold_start  # noqa: F401 - first: Powertools in, then gc.freeze()
from custom_auth.link_key_rotation import LinkKeyRotation, LinkKeyRotationSettings
from custom_auth.observability import logger

ROTATION = LinkKeyRotation(LinkKeyRotationSettings.from_env())


@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    result = ROTATION.rotate()
    logger.info(
        "magic-link key rotation: done",
        extra={
            "current_key_id": result.current_key_id,
            "previous_key_id": result.previous_key_id,
            "created_key_id": result.created_key_id,
            "deleted_key_ids": list(result.deleted_key_ids),
            "disabled_key_ids": list(result.disabled_key_ids),
        },
    )
