"""The local pool's web site (custom_auth_local.site), without a browser: what it serves, what
it refuses, and that everything else reaches the API."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from custom_auth_local.serve import ServeError, code_lifetime, sign_up_allowed, web_folder
from custom_auth_local.site import LocalSite, outbox_page, page_config
from custom_auth_local.standins import Outbox, OutboxMessage
from tests.triggers import ROOT

CONFIG = page_config(
    region="us-east-1",
    client_id="1example23456789",
    endpoint_url="http://127.0.0.1:4566",
    code_lifetime_seconds=300,
)


def api(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"api {environ['REQUEST_METHOD']} {environ['PATH_INFO']}".encode()]


def client(tmp_path: Path, web: Path | None = ROOT / "web") -> Client:
    return Client(LocalSite(api=api, web=web, config=CONFIG, outbox=Outbox(tmp_path / "outbox")))


def test_the_page_and_its_files(tmp_path: Path) -> None:
    site = client(tmp_path)
    page = site.get("/signin/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert page.get_data() == (ROOT / "web" / "index.html").read_bytes()
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    script = site.get("/signin/signin.js")
    assert script.mimetype == "text/javascript"  # what a module script needs
    assert site.get("/signin/signin.css").mimetype == "text/css"
    assert site.get("/signin").status_code == 308  # to /signin/
    assert site.head("/signin/").status_code == 200


def test_config_json_is_the_local_pools(tmp_path: Path) -> None:
    config = client(tmp_path).get("/signin/config.json")
    assert config.mimetype == "application/json"
    assert config.get_json() == {
        "region": "us-east-1",
        "userPoolClientId": "1example23456789",
        "endpoint": "http://127.0.0.1:4566/",
        "outboxUrl": "/outbox/",
        "codeLifetimeSeconds": 300,
    }


@pytest.mark.parametrize(
    "path",
    [
        "/signin/../template.yaml",
        "/signin/%2e%2e/template.yaml",
        "/signin/..%2ftemplate.yaml",
        "/signin/config.example.json/x",
        "/signin/nothing.js",
        "/signin/sub/index.html",
    ],
)
def test_nothing_outside_the_folder(tmp_path: Path, path: str) -> None:
    answer = client(tmp_path).get(path)
    assert answer.status_code == 404, path
    assert b"AWSTemplateFormatVersion" not in answer.get_data()


def test_other_files_in_the_folder_are_not_served(tmp_path: Path) -> None:
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html>")
    (web / "notes.txt").write_text("private")
    (web / "deploy.py").write_text("private")
    (web / ".secret.js").write_text("private")
    site = client(tmp_path, web)
    assert site.get("/signin/").status_code == 200
    assert site.get("/signin/.secret.js").status_code == 404
    assert site.get("/signin/notes.txt").status_code == 404
    assert site.get("/signin/deploy.py").status_code == 404


@pytest.mark.parametrize("path", ["/outbox/index.html", "/outbox/config.json", "/outbox/x/"])
def test_the_outbox_is_one_page(tmp_path: Path, path: str) -> None:
    answer = client(tmp_path).get(path)
    assert answer.status_code == 404
    assert answer.get_data() == b"Not Found: the outbox is one page: /outbox/\n"


def test_only_this_machines_names_reach_the_page_and_the_outbox(tmp_path: Path) -> None:
    """A web site that rebinds its own name to 127.0.0.1 gets nothing from either."""
    site = client(tmp_path)
    for path in ("/signin/", "/outbox/", "/signin/config.json"):
        assert site.get(path, headers={"Host": "evil.example:4566"}).status_code == 403
        assert site.get(path, headers={"Host": "127.0.0.1:4566"}).status_code == 200
        assert site.get(path, headers={"Host": "[::1]:4566"}).status_code == 200
    assert site.post("/", headers={"Host": "evil.example:4566"}).status_code == 403  # the API too
    assert site.post("/", headers={"Host": "localhost:4566"}).get_data() == b"api POST /"
    anywhere = Client(
        LocalSite(api=api, web=ROOT / "web", config=CONFIG, outbox=Outbox(tmp_path), hosts=None)
    )
    assert anywhere.get("/outbox/", headers={"Host": "192.0.2.7:4566"}).status_code == 200


def test_bound_to_every_interface_the_page_calls_where_it_came_from(tmp_path: Path) -> None:
    config = page_config(
        region="us-east-1",
        client_id="c",
        endpoint_url=None,
        code_lifetime_seconds=None,
        auth_flow="otp",
    )
    site = Client(LocalSite(api=api, web=ROOT / "web", config=config, outbox=Outbox(tmp_path)))
    served = site.get("/signin/config.json", headers={"Host": "127.0.0.1:4566"}).get_json()
    assert served["endpoint"] == "http://127.0.0.1:4566/"
    assert served["authFlow"] == "otp" and "codeLifetimeSeconds" not in served


def test_everything_else_goes_to_the_api(tmp_path: Path) -> None:
    site = client(tmp_path)
    assert site.post("/").get_data() == b"api POST /"
    assert site.post("/signin/").get_data() == b"api POST /signin/"  # only GET and HEAD are ours
    assert site.get("/us-east-1_x/.well-known/jwks.json").get_data().startswith(b"api GET")
    assert site.get("/").get_data() == b"api GET /"


def test_without_a_page_it_says_so(tmp_path: Path) -> None:
    answer = client(tmp_path, web=None).get("/signin/")
    assert answer.status_code == 404
    assert b"custom-auth serve --web DIR" in answer.get_data()


def test_the_outbox_page_shows_messages_newest_first_and_escaped(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    assert "No messages yet" in outbox_page(outbox)
    outbox.write(
        OutboxMessage("email", "ada@example.com", "Code", "first 111111", "2026-12-02T06:00:00")
    )
    outbox.write(
        OutboxMessage(
            "sms", "+12065550100", "", "<script>alert(1)</script> 222222", "2026-12-02T06:01:00"
        )
    )
    page = client(tmp_path).get("/outbox/")
    assert page.mimetype == "text/html"
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    text = page.get_data(as_text=True)
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; 222222" in text
    assert text.index("222222") < text.index("first 111111")
    assert "SMS to +12065550100" in text and "EMAIL to ada@example.com" in text


def test_the_outbox_makes_links_of_urls_and_nothing_else(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    url = "http://localhost:4566/signin/#magic-link=ml1.abc.def"
    body = f'Sign in:\n\n{url}\n\nnot "javascript:alert(1)" nor <a href="x">'
    outbox.write(OutboxMessage("email", "ada@example.com", "Link", body, "2026-12-02T06:00:00"))
    text = client(tmp_path).get("/outbox/").get_data(as_text=True)
    assert f'<a href="{url}" target="_blank" rel="noreferrer noopener">{url}</a>' in text
    assert text.count("<a href=") == 1  # the body's own markup is text
    assert "&lt;a href=&quot;x&quot;&gt;" in text and "javascript:alert(1)" in text


@pytest.mark.parametrize(
    ("body", "href"),
    [
        ("Open https://app.example.com/signin/.", "https://app.example.com/signin/"),
        ("(see http://127.0.0.1:4566/outbox/)", "http://127.0.0.1:4566/outbox/"),
        ("http://a.example/?x=1&y=2 then", "http://a.example/?x=1&amp;y=2"),
        ('http://a.example/"onmouseover="alert(1)', "http://a.example/"),
        ("http://a.example/<script>", "http://a.example/"),
    ],
)
def test_an_outbox_link_is_escaped_and_ends_where_the_url_does(
    tmp_path: Path, body: str, href: str
) -> None:
    outbox = Outbox(tmp_path / "outbox")
    outbox.write(OutboxMessage("email", "ada@example.com", "Link", body, "2026-12-02T06:00:00"))
    text = client(tmp_path).get("/outbox/").get_data(as_text=True)
    assert f'<a href="{href}" target="_blank" rel="noreferrer noopener">{href}</a>' in text
    assert text.count("<a ") == 1 and "<script>" not in text and '"onmouseover' not in text


def test_http_alone_is_not_a_link(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    outbox.write(OutboxMessage("email", "ada@example.com", "", "http:// and https://.", "t"))
    assert "<a " not in client(tmp_path).get("/outbox/").get_data(as_text=True)


def test_code_lifetime_is_the_functions_setting() -> None:
    assert code_lifetime([{"CODE_TTL_SECONDS": "300"}, {}, {"CODE_TTL_SECONDS": "300"}]) == 300
    assert code_lifetime([{}]) is None  # the page's default (300) then applies
    with pytest.raises(ServeError, match=r"disagree on CODE_TTL_SECONDS: 120, 300$"):
        code_lifetime([{"CODE_TTL_SECONDS": "300"}, {"CODE_TTL_SECONDS": "120"}])


def test_sign_up_is_the_functions_setting(tmp_path: Path) -> None:
    """The page's signUp is the functions' SIGN_UP (the template's PasswordlessSignUp)."""
    assert sign_up_allowed([{"SIGN_UP": "true"}, {}, {"SIGN_UP": "true"}]) is True
    assert sign_up_allowed([{"SIGN_UP": "false"}]) is False
    assert sign_up_allowed([{}]) is None  # left out: the page's default (false)
    with pytest.raises(ServeError, match=r"disagree on SIGN_UP: false, true$"):
        sign_up_allowed([{"SIGN_UP": "true"}, {"SIGN_UP": "false"}])
    with pytest.raises(ServeError, match=r"SIGN_UP must be true or false, not 'yes'$"):
        sign_up_allowed([{"SIGN_UP": "yes"}])
    for allowed in (True, False):
        config = page_config(
            region="us-east-1",
            client_id="c",
            endpoint_url="http://127.0.0.1:4566",
            code_lifetime_seconds=300,
            sign_up=allowed,
        )
        site = Client(LocalSite(api=api, web=ROOT / "web", config=config, outbox=Outbox(tmp_path)))
        assert site.get("/signin/config.json").get_json()["signUp"] is allowed
    assert "signUp" not in CONFIG  # no SIGN_UP: no key


def test_the_page_folder(tmp_path: Path) -> None:
    assert web_folder(ROOT / "template.yaml", None) == ROOT / "web"  # beside the template
    assert web_folder(tmp_path / "template.yaml", None) is None  # none there: the API only
    with pytest.raises(ServeError, match=r"--web .*: no index.html there"):
        web_folder(tmp_path / "template.yaml", tmp_path)
