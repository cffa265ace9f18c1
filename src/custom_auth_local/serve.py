"""``custom-auth serve``: the local stack behind an HTTP endpoint (moto's server).

boto3 with ``endpoint_url`` and the AWS CLI with ``--endpoint-url`` sign in through it; their
custom-auth calls run the template's triggers in this process. ``.custom-auth/stack.json``
says where it is and which pool and client to use.
"""

import json
import logging
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from moto.server import ThreadedMotoServer

from custom_auth.errors import CustomAuthError
from custom_auth_local.stack import LocalStack, local_stack

DEFAULT_STACK_FILE = Path(".custom-auth") / "stack.json"


class ServeError(CustomAuthError):
    """The endpoint cannot start."""


def check_port(host: str, port: int) -> None:
    """Raise :class:`ServeError` if ``host:port`` is taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ServeError(f"port {port} on {host} is taken ({error.strerror})") from None


def stack_description(
    stack: LocalStack, endpoint_url: str, users: Mapping[str, str]
) -> dict[str, object]:
    """What stack.json holds."""
    description: dict[str, object] = {
        "endpoint_url": endpoint_url,
        "region": stack.region,
        "user_pool_id": stack.user_pool_id,
        "client_id": stack.client_id,
        "explicit_auth_flows": sorted(stack.pool.explicit_auth_flows),
        "users": dict(users),
        "outbox": str(stack.outbox.directory),
    }
    if stack.client_secret:
        description["client_secret"] = stack.client_secret
    return description


def serve(
    template: Path,
    *,
    host: str,
    port: int,
    users: Sequence[str],
    outbox: Path,
    stack_file: Path,
    parameter_overrides: Mapping[str, str],
    env_overrides: Mapping[str, str],
    announce: Callable[[dict[str, object]], None],
    stop: threading.Event,
    log_requests: bool = False,
) -> None:
    """Serve until ``stop`` is set (Ctrl-C sets it); stack.json is removed on the way out."""
    check_port(host, port)
    if not log_requests:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    endpoint_url = f"http://{host}:{port}"
    with local_stack(
        template,
        parameter_overrides=parameter_overrides,
        env_overrides=env_overrides,
        outbox=outbox,
        endpoint_url=endpoint_url,
    ) as stack:
        created = {user: stack.create_user(user) for user in users}
        server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        server.start()
        try:
            description = stack_description(stack, endpoint_url, created)
            stack_file.parent.mkdir(parents=True, exist_ok=True)
            stack_file.write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
            announce(description)
            while not stop.wait(0.2):
                pass
        finally:
            server.stop()
            stack_file.unlink(missing_ok=True)
