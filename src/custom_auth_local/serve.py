"""``custom-auth serve``: the local stack behind an HTTP endpoint (moto's server).

boto3 with ``endpoint_url`` and the AWS CLI with ``--endpoint-url`` sign in through it; their
custom-auth calls run the template's triggers in this process. The same port serves the
sign-in page (``/signin/``, configured for this pool), the outbox (``/outbox/``) and, with
PASSKEY among the sign-in methods, the passkey API (``/passkeys...``, as API Gateway runs the
template's ``PasskeyApiFunction``: :class:`PasskeyRoutes`). ``.custom-auth/stack.json`` says
where it is and which pool and client to use.
"""

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from custom_auth.errors import CustomAuthError
from custom_auth.passkey_api import PasskeyApi
from custom_auth_local.passkeys import UNAUTHORIZED, api_event, passkey_api, route_key
from custom_auth_local.site import (
    LOOPBACK_NAMES,
    OUTBOX_PATH,
    PAGE_PATH,
    LocalSite,
    WsgiApp,
    page_config,
)
from custom_auth_local.stack import LOCAL_PAGE_PORT, LocalStack, local_stack

DEFAULT_STACK_FILE = Path(".custom-auth") / "stack.json"
DEFAULT_PORT = LOCAL_PAGE_PORT
#: The sign-in page's folder, looked for beside the template unless ``--web`` names one.
WEB_FOLDER = "web"


class ServeError(CustomAuthError):
    """The endpoint cannot start."""


def check_port(host: str, port: int) -> None:
    """Raise :class:`ServeError` if ``host:port`` is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ServeError(f"port {port} on {host} is taken ({error.strerror})") from None


#: Where the passkey API's routes are, on the API's port (as on its own HTTP API, deployed).
PASSKEY_PREFIX = "/passkeys"
#: The most a request to the passkey API may send (its own limits are lower: a registration
#: is at most 16 KiB); more is refused before it is read.
MAX_PASSKEY_BODY = 64 * 1024
_JSON = "application/json"


def _json_response(status: int, body: Mapping[str, object], headers: Mapping[str, str]) -> Response:
    return Response(json.dumps(body), status=status, content_type=_JSON, headers=dict(headers))


@dataclass(frozen=True)
class PasskeyRoutes:
    """A WSGI application: requests under ``/passkeys`` go to the stack's passkey API (None:
    PASSKEY is off, and every one is a 404), everything else to ``fallback`` (moto's server).

    It does what API Gateway's HTTP API does in front of the function: a route for the method
    and path or a JSON 404 (``{"message": "Not Found"}``), the JWT authorizer (a token that
    fails it is a JSON 401 before the function runs: :func:`custom_auth_local.passkeys.api_event`),
    and the template's CORS configuration: a preflight from one of ``PasskeyOrigins`` is
    answered with the methods and headers the API allows, and every answer to such an origin
    names it in ``Access-Control-Allow-Origin``; other origins get no CORS headers, so a
    browser keeps the answer from their pages.
    """

    api: PasskeyApi | None
    stack: LocalStack
    fallback: WsgiApp

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path != PASSKEY_PREFIX and not path.startswith(PASSKEY_PREFIX + "/"):
            return self.fallback(environ, start_response)
        return self.answer(Request(environ))(environ, start_response)

    def answer(self, request: Request) -> Response:
        cors = self._cors(request.headers.get("Origin"))
        if self.api is None:
            return _json_response(404, {"message": "Not Found"}, cors)
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            # A preflight: API Gateway answers it itself, for an allowed origin or not.
            if cors:
                cors = {
                    **cors,
                    "Access-Control-Allow-Methods": "DELETE,GET,PATCH,POST",
                    "Access-Control-Allow-Headers": "authorization,content-type",
                    "Access-Control-Max-Age": "600",
                }
            return Response(status=204, headers=cors)
        found = route_key(request.method, request.path)
        if found is None:
            return _json_response(404, {"message": "Not Found"}, cors)
        route, parameters = found
        # Read no more than the limit, whatever Content-Length says (or without one: chunked).
        raw = (
            b""
            if (request.content_length or 0) > MAX_PASSKEY_BODY
            else request.stream.read(MAX_PASSKEY_BODY + 1)
        )
        if (request.content_length or 0) > MAX_PASSKEY_BODY or len(raw) > MAX_PASSKEY_BODY:
            return _json_response(413, {"error": "TooLarge", "message": "body: too large"}, cors)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _json_response(
                400, {"error": "BadRequest", "message": "body: must be UTF-8 text"}, cors
            )
        event = api_event(
            self.stack,
            route,
            authorization=request.headers.get("Authorization"),
            body=body,
            path_parameters=parameters,
        )
        answered: Mapping[str, Any] = UNAUTHORIZED if event is None else self.api.handle(event)
        headers = {str(k): str(v) for k, v in (answered.get("headers") or {}).items()}
        return Response(
            answered.get("body") or "",
            status=int(answered["statusCode"]),
            headers={**headers, "X-Content-Type-Options": "nosniff", **cors},
        )

    def _cors(self, origin: str | None) -> dict[str, str]:
        if self.api is None or not origin or origin not in self.api.settings.origins:
            return {}
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def stack_description(
    stack: LocalStack,
    endpoint_url: str,
    users: Mapping[str, str],
    *,
    page: bool = False,
    passkeys: bool = False,
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
        "outbox_page": endpoint_url + OUTBOX_PATH,
    }
    if page:
        description["sign_in_page"] = endpoint_url + PAGE_PATH
    if passkeys:
        # The template's PasskeyApiUrl output: the routes are under it, /passkeys/...
        description["passkey_api"] = endpoint_url
    if stack.client_secret:
        description["client_secret"] = stack.client_secret
    return description


def one_value(environments: Iterable[Mapping[str, str]], name: str) -> str | None:
    """The value the functions that have ``name`` agree on; None if none has it. The template
    gives them all the same; if they differ, say so."""
    values = {env[name] for env in environments if env.get(name)}
    if len(values) > 1:
        raise ServeError(f"the functions disagree on {name}: {', '.join(sorted(values))}")
    return values.pop() if values else None


def code_lifetime(environments: Iterable[Mapping[str, str]]) -> int | None:
    """``CODE_TTL_SECONDS`` of the functions (the page's ``codeLifetimeSeconds``)."""
    value = one_value(environments, "CODE_TTL_SECONDS")
    return int(value) if value is not None else None


def sign_up_allowed(environments: Iterable[Mapping[str, str]]) -> bool | None:
    """``SIGN_UP`` of the functions (the page's ``signUp``): None if none has it."""
    value = one_value(environments, "SIGN_UP")
    if value is None:
        return None
    if value not in ("true", "false"):
        raise ServeError(f"the functions' SIGN_UP must be true or false, not {value!r}")
    return value == "true"


def web_folder(template: Path, web: Path | None) -> Path | None:
    """The sign-in page's folder: ``web`` if given (it must exist), else ``web/`` beside the
    template if there is one."""
    if web is not None:
        if not (web / "index.html").is_file():
            raise ServeError(f"--web {web}: no index.html there (the sign-in page's folder)")
        return web
    beside = template.parent / WEB_FOLDER
    return beside if (beside / "index.html").is_file() else None


@dataclass(frozen=True)
class Serving:
    """A running endpoint: its stack, and what stack.json says about it."""

    stack: LocalStack
    description: dict[str, object]

    @property
    def endpoint_url(self) -> str:
        return str(self.description["endpoint_url"])


@contextmanager
def served(
    template: Path,
    *,
    host: str,
    port: int,
    users: Sequence[str],
    outbox: Path,
    parameter_overrides: Mapping[str, str],
    env_overrides: Mapping[str, str],
    web: Path | None = None,
    clock: Callable[[], float] = time.time,
) -> Iterator[Serving]:
    """The local stack served on ``host:port`` (API, sign-in page, outbox) for the ``with``."""
    check_port(host, port)
    page = web_folder(template, web)
    endpoint_url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    with local_stack(
        template,
        parameter_overrides=parameter_overrides,
        env_overrides=env_overrides,
        outbox=outbox,
        endpoint_url=endpoint_url,
        clock=clock,
    ) as stack:
        created = {user: stack.create_user(user) for user in users}
        environments = [
            {**function.environment, **env_overrides}
            for function in stack.template.functions().values()
        ]
        bound_everywhere = host in ("0.0.0.0", "::", "")  # noqa: S104 (what we look for)
        passkeys = passkey_api(stack)
        if passkeys is not None:
            passkeys = replace(passkeys, clock=clock)
        site = LocalSite(
            api=PasskeyRoutes(
                api=passkeys, stack=stack, fallback=DomainDispatcherApplication(create_backend_app)
            ),
            web=page,
            config=page_config(
                region=stack.region,
                client_id=stack.client_id,
                # Bound to every interface, the page calls the API where it was fetched from.
                endpoint_url=None if bound_everywhere else endpoint_url,
                code_lifetime_seconds=code_lifetime(environments),
                auth_flow=one_value(environments, "AUTH_FLOW"),
                sign_up=sign_up_allowed(environments),
                # Where the page was fetched from, when bound to every interface (as endpoint).
                passkey_api=None
                if passkeys is None
                else ("/" if bound_everywhere else endpoint_url),
            ),
            outbox=stack.outbox,
            hosts=None
            if bound_everywhere
            else LOOPBACK_NAMES | {urlsplit(endpoint_url).netloc.rsplit(":", 1)[0]},
        )
        server = make_server(host, port, site, threaded=True, request_handler=MotoRequestHandler)
        thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="custom-auth-serve", daemon=True
        )
        thread.start()
        try:
            yield Serving(
                stack,
                stack_description(
                    stack,
                    endpoint_url,
                    created,
                    page=page is not None,
                    passkeys=passkeys is not None,
                ),
            )
        finally:
            server.shutdown()
            thread.join()
            server.server_close()


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
    web: Path | None = None,
) -> None:
    """Serve until ``stop`` is set (Ctrl-C sets it); stack.json is removed on the way out."""
    if not log_requests:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with served(
        template,
        host=host,
        port=port,
        users=users,
        outbox=outbox,
        parameter_overrides=parameter_overrides,
        env_overrides=env_overrides,
        web=web,
    ) as serving:
        try:
            stack_file.parent.mkdir(parents=True, exist_ok=True)
            stack_file.write_text(
                json.dumps(serving.description, indent=2) + "\n", encoding="utf-8"
            )
            announce(serving.description)
            while not stop.wait(0.2):
                pass
        finally:
            stack_file.unlink(missing_ok=True)
