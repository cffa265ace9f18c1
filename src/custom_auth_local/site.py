"""The local pool's web site: the sign-in page and the outbox, beside Cognito's API.

``custom-auth serve`` answers on one port: ``/signin/`` is the page of ``web/`` with a
``config.json`` made for the local pool, ``/outbox/`` shows the messages the triggers sent (so
a person can read a code and type it), and every other request goes to the API (moto's server,
whose custom-auth calls run the template's triggers).
"""

import html
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response

from custom_auth_local.standins import Outbox

PAGE_PATH = "/signin/"
OUTBOX_PATH = "/outbox/"

#: The files a static page is made of; anything else in the folder is not served.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self' http://localhost:* http://127.0.0.1:*; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'"
)
#: Host names only this machine uses: a page served on loopback answers only to them, so a
#: web site that rebinds its own name to 127.0.0.1 cannot read the outbox.
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})
_OUTBOX_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def page_config(
    *,
    region: str,
    client_id: str,
    endpoint_url: str | None,
    code_lifetime_seconds: int | None,
    auth_flow: str | None = None,
    sign_up: bool | None = None,
    passkey_api: str | None = None,
) -> dict[str, object]:
    """The page's config.json for a pool served at ``endpoint_url`` (None: wherever the page
    was fetched from, for a server bound to every interface); ``sign_up``: whether a new address
    gets an account (the functions' ``SIGN_UP``; None leaves the page's default, false);
    ``passkey_api``: where the passkey API is (a URL, or ``/`` for the page's own server), with
    PASSKEY on (None: off, and the page offers no passkey sign-in or registration)."""
    config: dict[str, object] = {"region": region, "userPoolClientId": client_id}
    if endpoint_url is not None:
        config["endpoint"] = endpoint_url.rstrip("/") + "/"
    config["outboxUrl"] = OUTBOX_PATH
    if code_lifetime_seconds is not None:
        config["codeLifetimeSeconds"] = code_lifetime_seconds
    if auth_flow is not None:
        config["authFlow"] = auth_flow
    if sign_up is not None:
        config["signUp"] = sign_up
    if passkey_api is not None:
        config["passkeyApi"] = passkey_api if passkey_api == "/" else passkey_api.rstrip("/") + "/"
    return config


#: An http(s) URL in a message's text, up to white space or a character that cannot be in one
#: unescaped; punctuation that ends a sentence is left out of it (:func:`linked`).
_URL = re.compile(r"https?://[^\s<>\"'`]+")
_TRAILING = ".,;:!?)]}"


def linked(text: str) -> str:
    """``text`` HTML-escaped, its http(s) URLs (a magic link) made links that open in a new
    tab, as a mail client would; no referrer, no opener, and nothing else is markup."""
    parts, last = [], 0
    for found in _URL.finditer(text):
        url = found.group().rstrip(_TRAILING)
        if url.split("://", 1)[1]:  # "http://" alone is text
            shown = html.escape(url, quote=True)
            parts.append(html.escape(text[last : found.start()]))
            parts.append(f'<a href="{shown}" target="_blank" rel="noreferrer noopener">{shown}</a>')
            last = found.start() + len(url)
    parts.append(html.escape(text[last:]))
    return "".join(parts)


def outbox_page(outbox: Outbox) -> str:
    """Every message in the outbox, newest first, as a page that refreshes itself."""
    items = []
    for message in reversed(outbox.messages()):
        items.append(
            "<article>"
            f"<h2>{html.escape(message.channel.upper())} to {html.escape(message.to)}</h2>"
            f"<p class=meta>{html.escape(message.sent_at)}"
            + (f" · {html.escape(message.subject)}" if message.subject else "")
            + f"</p><pre>{linked(message.body)}</pre></article>"
        )
    listing = "".join(items) or "<p>No messages yet. Sign in, and the code appears here.</p>"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta http-equiv=refresh content="2">'
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        "<title>Outbox · local user pool</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}"
        "article{border-top:1px solid #999;padding:.5rem 0}h2{font-size:1rem;margin:.3rem 0}"
        ".meta{color:#555;margin:0}pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:1rem}"
        "</style></head><body><h1>Outbox</h1>"
        "<p>What the local pool's triggers sent, newest first (this page refreshes itself). "
        "Nothing here leaves this machine.</p>"
        f"{listing}</body></html>"
    )


@dataclass(frozen=True)
class LocalSite:
    """A WSGI application: the page and the outbox, and ``api`` for everything else."""

    api: WsgiApp
    web: Path | None
    config: Mapping[str, object]
    outbox: Outbox
    #: The Host names the server answers to (None: any).
    hosts: frozenset[str] | None = LOOPBACK_NAMES

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if not self._known_host(request.host):
            # A web site that rebinds its own name to this address reaches nothing: not the
            # outbox's codes, not the API's administrator calls.
            refused = Response(
                f"Forbidden: this server answers to {', '.join(sorted(self.hosts or ()))} only\n",
                status=403,
                headers=_HEADERS,
            )
            return refused(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and (
            path in (PAGE_PATH.rstrip("/"), OUTBOX_PATH.rstrip("/"))
            or path.startswith((PAGE_PATH, OUTBOX_PATH))
        ):
            return self._site(request)(environ, start_response)
        return self.api(environ, start_response)

    def _known_host(self, host: str) -> bool:
        if self.hosts is None:
            return True
        name = host if host.endswith("]") else host.rsplit(":", 1)[0]
        return name in self.hosts

    def _site(self, request: Request) -> Response:
        path = request.path
        if path in (PAGE_PATH.rstrip("/"), OUTBOX_PATH.rstrip("/")):
            return Response(status=308, headers={"Location": path + "/", **_HEADERS})
        if path.startswith(OUTBOX_PATH):
            if path != OUTBOX_PATH:
                return self._missing("the outbox is one page: /outbox/")
            return self._respond(outbox_page(self.outbox), CONTENT_TYPES[".html"], _OUTBOX_POLICY)
        if self.web is None:
            return self._missing("this server has no sign-in page (custom-auth serve --web DIR)")
        name = path[len(PAGE_PATH) :] or "index.html"
        if name == "config.json":
            config = {"endpoint": request.host_url, **self.config}
            body = json.dumps(config, indent=2) + "\n"
            return self._respond(body, CONTENT_TYPES[".json"], None)
        file = safe_join(str(self.web), name)
        suffix = Path(name).suffix
        hidden = name.startswith(".") or "/" in name
        if file is None or hidden or suffix not in CONTENT_TYPES or not Path(file).is_file():
            return self._missing(f"no such file in the sign-in page: {name}")
        policy = _PAGE_POLICY if suffix == ".html" else None
        return self._respond(Path(file).read_bytes(), CONTENT_TYPES[suffix], policy)

    @staticmethod
    def _respond(body: str | bytes, content_type: str, policy: str | None) -> Response:
        headers = dict(_HEADERS)
        if policy:
            headers["Content-Security-Policy"] = policy
        return Response(body, content_type=content_type, headers=headers)

    @staticmethod
    def _missing(why: str) -> Response:
        return Response(f"Not Found: {why}\n", status=404, headers=_HEADERS)
