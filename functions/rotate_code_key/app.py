"""Rotate the code key: the rotation function Secrets Manager calls, once per step.

A step that fails raises, and Secrets Manager tries it again; the error names the secret and
the version, never a key. Only boto3's secretsmanager client is used.
"""

from typing import Any

from custom_auth import cold_start  # noqa: F401 - first: Powertools in, then gc.freeze()
from custom_auth.key_rotation import CodeKeyRotation, RotationEvent
from custom_auth.observability import logger

ROTATION = CodeKeyRotation()


@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    ROTATION.rotate(RotationEvent.from_dict(event))
