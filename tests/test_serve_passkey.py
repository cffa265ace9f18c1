"""The passkey API on `custom-auth serve`'s port (``served()`` in this process, called with
``requests`` as a browser's fetch would): API Gateway's routes, JWT authorizer and CORS in front
of the template's PasskeyApiFunction, and the page's config.json saying where it is."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from werkzeug.test import Client

from custom_auth_local.serve import PasskeyRoutes, Serving
from custom_auth_local.site import PAGE_PATH, page_config
from tests.authenticator import SoftwareAuthenticator
from tests.web_pool import code_for, localhost_page, new_user, passkey_page_pool

EMAIL = "pat@example.com"


@pytest.fixture(scope="module")
def serving() -> Iterator[Serving]:
    with passkey_page_pool() as pool:
        new_user(pool, EMAIL)
        yield pool


@pytest.fixture(scope="module")
def signed_in(serving: Serving) -> dict[str, Any]:
    """The tokens of an email-code sign-in over HTTP, as any client makes one."""
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=serving.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    client_id = serving.stack.client_id
    choice = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": EMAIL}
    )
    assert json.loads(choice["ChallengeParameters"]["SIGN_IN_METHODS"]) == ["EMAIL_OTP", "PASSKEY"]
    username = choice["ChallengeParameters"]["USERNAME"]

    def respond(session: str, answer: str) -> dict[str, Any]:
        answered: dict[str, Any] = cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=session,
            ChallengeResponses={"USERNAME": username, "ANSWER": answer},
        )
        return answered

    code_round = respond(choice["Session"], "EMAIL_OTP")
    done = respond(code_round["Session"], code_for(serving, EMAIL))
    result: dict[str, Any] = done["AuthenticationResult"]
    return result


def url(serving: Serving, path: str) -> str:
    return serving.endpoint_url + path


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_without_a_token_it_is_a_json_401(serving: Serving) -> None:
    for method, path in [
        ("POST", "/passkeys/registration/options"),
        ("POST", "/passkeys/registration"),
        ("GET", "/passkeys"),
        ("PATCH", "/passkeys/abc"),
        ("DELETE", "/passkeys/abc"),
    ]:
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            answer = requests.request(method, url(serving, path), headers=headers, timeout=10)
            assert answer.status_code == 401, (method, path)
            assert answer.headers["Content-Type"] == "application/json"
            assert answer.json() == {"message": "Unauthorized"}  # API Gateway's own


def test_an_access_token_gets_creation_options(serving: Serving, signed_in: dict[str, Any]) -> None:
    answer = requests.post(
        url(serving, "/passkeys/registration/options"),
        headers=bearer(signed_in["AccessToken"]),
        timeout=10,
    )
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    options = answer.json()
    assert options["rp"]["id"] == "localhost"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["challenge"] and options["user"]["id"]
    # An ID token is the authorizer's, but not the function's: a JSON 403 from the function.
    refused = requests.post(
        url(serving, "/passkeys/registration/options"),
        headers=bearer(signed_in["IdToken"]),
        timeout=10,
    )
    assert refused.status_code == 403 and refused.json()["error"] == "Forbidden"


def test_register_list_rename_and_delete_over_http(
    serving: Serving, signed_in: dict[str, Any]
) -> None:
    token = signed_in["AccessToken"]
    authenticator = SoftwareAuthenticator(origin=localhost_page(serving).rsplit("/signin/")[0])
    options = requests.post(
        url(serving, "/passkeys/registration/options"), headers=bearer(token), timeout=10
    ).json()
    credential = authenticator.create(options)
    added = requests.post(
        url(serving, "/passkeys/registration"),
        headers=bearer(token),
        json={"credential": credential, "name": "Laptop"},
        timeout=10,
    )
    assert added.status_code == 201, added.text
    passkey_id = added.json()["id"]
    listed = requests.get(url(serving, "/passkeys"), headers=bearer(token), timeout=10).json()
    assert [p["name"] for p in listed["passkeys"]] == ["Laptop"]
    renamed = requests.patch(
        url(serving, f"/passkeys/{passkey_id}"),
        headers=bearer(token),
        json={"name": "Phone"},
        timeout=10,
    )
    assert renamed.status_code == 204 and renamed.content == b""
    deleted = requests.delete(
        url(serving, f"/passkeys/{passkey_id}"), headers=bearer(token), timeout=10
    )
    assert deleted.status_code == 204
    again = requests.delete(
        url(serving, f"/passkeys/{passkey_id}"), headers=bearer(token), timeout=10
    )
    assert again.status_code == 404 and again.json()["error"] == "NotFound"


def test_the_sign_in_challenge_needs_no_token(serving: Serving) -> None:
    answer = requests.post(url(serving, "/passkeys/sign-in-challenge"), timeout=10)
    assert answer.status_code == 200
    options = answer.json()
    assert options["allowCredentials"] == [] and options["rpId"] == "localhost"
    assert len(options["challenge"]) >= 43  # 32 bytes, base64url
    second = requests.post(url(serving, "/passkeys/sign-in-challenge"), timeout=10).json()
    assert second["challenge"] != options["challenge"]


def test_no_route_is_a_json_404(serving: Serving, signed_in: dict[str, Any]) -> None:
    for method, path in [
        ("GET", "/passkeys/nothing/here"),
        ("POST", "/passkeys/unknown"),
        ("GET", "/passkeys/registration/options"),  # the route is POST
        ("PUT", "/passkeys"),
        ("GET", "/passkeys/"),
    ]:
        answer = requests.request(
            method, url(serving, path), headers=bearer(signed_in["AccessToken"]), timeout=10
        )
        assert answer.status_code == 404, (method, path)
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.json() == {"message": "Not Found"}


def test_what_the_function_refuses_is_its_json_error(
    serving: Serving, signed_in: dict[str, Any]
) -> None:
    token = signed_in["AccessToken"]
    bad = requests.post(
        url(serving, "/passkeys/registration"), headers=bearer(token), data=b"[1]", timeout=10
    )
    assert bad.status_code == 400 and set(bad.json()) == {"error", "message"}
    not_text = requests.post(
        url(serving, "/passkeys/registration"), headers=bearer(token), data=b"\xff\xfe", timeout=10
    )
    assert not_text.status_code == 400 and not_text.json()["error"] == "BadRequest"
    huge = requests.post(
        url(serving, "/passkeys/registration"),
        headers=bearer(token),
        data=b"x" * (65 * 1024),
        timeout=10,
    )
    assert huge.status_code == 413 and huge.json()["error"] == "TooLarge"


def test_cors_for_the_page_origins_only(serving: Serving) -> None:
    origin = localhost_page(serving).rsplit("/signin/")[0]
    preflight = requests.options(
        url(serving, "/passkeys/registration/options"),
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "DELETE" in preflight.headers["Access-Control-Allow-Methods"]
    answer = requests.post(
        url(serving, "/passkeys/sign-in-challenge"), headers={"Origin": origin}, timeout=10
    )
    assert answer.headers["Access-Control-Allow-Origin"] == origin
    unauthorized = requests.get(url(serving, "/passkeys"), headers={"Origin": origin}, timeout=10)
    assert unauthorized.headers["Access-Control-Allow-Origin"] == origin  # the page reads the 401
    for other in ("https://evil.example", serving.endpoint_url):
        elsewhere = requests.options(
            url(serving, "/passkeys/sign-in-challenge"),
            headers={"Origin": other, "Access-Control-Request-Method": "POST"},
            timeout=10,
        )
        assert "Access-Control-Allow-Origin" not in elsewhere.headers
        posted = requests.post(
            url(serving, "/passkeys/sign-in-challenge"), headers={"Origin": other}, timeout=10
        )
        assert "Access-Control-Allow-Origin" not in posted.headers


def test_only_this_machines_names_reach_it(serving: Serving) -> None:
    port = serving.endpoint_url.rsplit(":", 1)[1]
    answer = requests.post(
        url(serving, "/passkeys/sign-in-challenge"),
        headers={"Host": f"evil.example:{port}"},
        timeout=10,
    )
    assert answer.status_code == 403


def test_the_page_is_told_where_the_api_is(serving: Serving) -> None:
    config = requests.get(localhost_page(serving) + "config.json", timeout=10).json()
    assert config["passkeyApi"] == serving.endpoint_url + "/"
    assert serving.description["passkey_api"] == serving.endpoint_url
    # The Cognito API beside it is untouched.
    assert requests.get(url(serving, PAGE_PATH), timeout=10).status_code == 200


def test_without_passkey_every_passkeys_path_is_a_json_404() -> None:
    """PASSKEY off (no PasskeyApiFunction: ``passkey_api`` is None): nothing under /passkeys,
    and the page is not told of an API. (One moto per process: this pool is not served.)"""

    def moto(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"moto"]

    off = Client(PasskeyRoutes(api=None, stack=None, fallback=moto))  # type: ignore[arg-type]
    for method, path in [("POST", "/passkeys/sign-in-challenge"), ("GET", "/passkeys")]:
        answer = off.open(path, method=method)
        assert answer.status_code == 404 and answer.get_json() == {"message": "Not Found"}
    assert off.post("/").get_data() == b"moto"
    assert off.get("/passkeysfoo").get_data() == b"moto"  # not under /passkeys
    config = page_config(
        region="us-east-1", client_id="c", endpoint_url=None, code_lifetime_seconds=None
    )
    assert "passkeyApi" not in config
    on = page_config(
        region="us-east-1",
        client_id="c",
        endpoint_url=None,
        code_lifetime_seconds=None,
        passkey_api="/",
    )
    assert on["passkeyApi"] == "/"  # bound to every interface: where the page came from
