"""The local pool over HTTP: `custom-auth serve` in its own process, used with boto3, the AWS
CLI and `custom-auth sign-in`, as a developer would."""

import json
import re
import subprocess
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from custom_auth.model import AdminInitiateAuthResponse
from custom_auth_local import tokens
from tests.browser import SignInPage, chromium
from tests.serving import CLI, Served, aws_cli, serving
from tests.triggers import ROOT
from tests.web_pool import check_nothing_leaked

EMAIL = "alice@example.com"
#: A second user for wrong answers: the first one's code is then always fresh or unused.
OTHER_EMAIL = "bob@example.com"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("serve"), users=(EMAIL, OTHER_EMAIL)) as running:
        yield running


def test_the_stack_file_says_where_and_what(served: Served) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", served.endpoint)
    assert served.stack["region"] == "us-east-1"
    assert served.stack["user_pool_id"].startswith("us-east-1_")
    assert served.stack["client_id"] and EMAIL in served.stack["users"]
    assert served.stack["sign_in_page"] == served.endpoint + "/signin/"
    assert served.stack["outbox_page"] == served.endpoint + "/outbox/"
    printed = (served.directory / "serve.log").read_text()
    assert f"sign-in page  {served.endpoint}/signin/" in printed
    assert f"outbox page   {served.endpoint}/outbox/" in printed


def test_a_person_signs_in_on_the_page_it_prints(served: Served) -> None:
    """The page at the printed URL, in Chromium, against this process's pool."""
    served.create_user("carol@example.com", "Unused-Password-1")
    with chromium() as driver:
        page = SignInPage(driver, str(served.stack["sign_in_page"]), "test_serve/page").open()
        page.sign_in_as("carol@example.com")
        page.enter_code(served.latest_code(0, to="carol@example.com"))
        page.wait_for_step("signed-in-step")
        assert page.text("who") == "carol@example.com"
        page.shot("signed-in")
        check_nothing_leaked(page)


def test_boto3_signs_in_over_http_and_the_tokens_verify(served: Served) -> None:
    cognito, client_id = served.cognito(), served.stack["client_id"]
    sent = served.sent()
    challenge = AdminInitiateAuthResponse.from_dict(
        cognito.initiate_auth(
            ClientId=client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": EMAIL}
        )
    )
    responses = challenge.challenge_responses(client_id=client_id, ANSWER=served.latest_code(sent))
    done = AdminInitiateAuthResponse.from_dict(
        cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=str(challenge.session),
            ChallengeResponses=responses,
        )
    )
    result = done.authentication_result
    assert result is not None and result.id_token
    pool = served.stack["user_pool_id"]
    # The issuer is the endpoint's, and the JWKS is under it, over HTTP too.
    issuer = tokens.issuer("us-east-1", pool, served.endpoint)
    claims = tokens.verify(
        result.id_token,
        tokens.fetch_jwks(issuer),
        expected_issuer=issuer,
        client_id=client_id,
        use="id",
    )
    assert claims["email"] == EMAIL
    # The session was spent by that answer: replaying it is refused.
    with pytest.raises(ClientError) as caught:
        cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=str(challenge.session),
            ChallengeResponses=responses,
        )
    assert caught.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_the_aws_cli_signs_in_over_http(served: Served) -> None:
    client_id = served.stack["client_id"]
    sent = served.sent()
    started = aws_cli(
        served,
        "initiate-auth",
        "--client-id",
        client_id,
        "--auth-flow",
        "CUSTOM_AUTH",
        "--auth-parameters",
        f"USERNAME={EMAIL}",
    )
    assert started.returncode == 0, started.stderr
    challenge = json.loads(started.stdout)
    assert challenge["ChallengeName"] == "CUSTOM_CHALLENGE"
    username = challenge["ChallengeParameters"]["USERNAME"]
    done = aws_cli(
        served,
        "respond-to-auth-challenge",
        "--client-id",
        client_id,
        "--challenge-name",
        "CUSTOM_CHALLENGE",
        "--session",
        challenge["Session"],
        "--challenge-responses",
        f"USERNAME={username},ANSWER={served.latest_code(sent)}",
    )
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)["AuthenticationResult"]) >= {
        "AccessToken",
        "IdToken",
        "RefreshToken",
    }


def test_three_wrong_codes_through_the_aws_cli_are_not_authorized(served: Served) -> None:
    client_id = served.stack["client_id"]
    started = aws_cli(
        served,
        "initiate-auth",
        "--client-id",
        client_id,
        "--auth-flow",
        "CUSTOM_AUTH",
        "--auth-parameters",
        f"USERNAME={OTHER_EMAIL}",
    )
    challenge = json.loads(started.stdout)
    session, username = challenge["Session"], challenge["ChallengeParameters"]["USERNAME"]
    for attempt in range(3):
        replied = aws_cli(
            served,
            "respond-to-auth-challenge",
            "--client-id",
            client_id,
            "--challenge-name",
            "CUSTOM_CHALLENGE",
            "--session",
            session,
            "--challenge-responses",
            f"USERNAME={username},ANSWER=xx",
        )
        if attempt < 2:
            assert replied.returncode == 0, replied.stderr
            session = json.loads(replied.stdout)["Session"]
    assert replied.returncode != 0
    assert "NotAuthorizedException" in replied.stderr
    assert "Incorrect username or password." in replied.stderr


def test_custom_auth_sign_in_asks_for_the_code(served: Served) -> None:
    sent = served.sent()
    process = subprocess.Popen(
        [
            CLI,
            "sign-in",
            "--username",
            EMAIL,
            "--stack-file",
            str(served.directory / ".custom-auth" / "stack.json"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    code = served.latest_code(sent)
    out, err = process.communicate(code + "\n", timeout=60)
    assert process.returncode == 0, err
    assert "Code sent by email to ***@***: " in out
    assert f"Signed in as {EMAIL}: tokens issued, valid for 3600 s." in out


def test_a_taken_port_is_a_one_line_error(served: Served) -> None:
    port = int(served.endpoint.rsplit(":", 1)[1])
    done = subprocess.run(
        [CLI, "serve", "-t", str(ROOT / "template.yaml"), "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=served.directory,
    )
    assert done.returncode == 2
    assert re.fullmatch(
        rf"custom-auth: error: port {port} on 127\.0\.0\.1 is taken \(.+\)\n", done.stderr
    )
