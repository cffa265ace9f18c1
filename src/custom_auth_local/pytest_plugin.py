"""pytest fixtures for testing custom-auth triggers (ours or yours) through a local user pool.

Installed with the project and loaded by pytest automatically::

    def test_sign_in(custom_auth_stack):
        cognito = custom_auth_stack.cognito()
        custom_auth_stack.create_user("alice@example.com")
        started = cognito.initiate_auth(
            ClientId=custom_auth_stack.client_id,
            AuthFlow="CUSTOM_AUTH",
            AuthParameters={"USERNAME": "alice@example.com"},
        )
        ...  # the code is in custom_auth_stack.outbox.messages()[-1].body

The template is the project's ``template.yaml`` (``--custom-auth-template`` picks another);
``make_custom_auth_stack(parameter_overrides=..., env_overrides=..., clock=...)`` builds a
stack with other settings. Each stack runs inside moto and writes its outbox under tmp_path.
"""

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    # Imported by the fixtures, not here: pytest loads plugins before coverage starts, and
    # importing the stack here would hide the packages' import-time lines from it.
    from custom_auth_local.stack import LocalStack


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--custom-auth-template``: the SAM template the fixtures read."""
    parser.addoption(
        "--custom-auth-template",
        default=None,
        help="SAM template for the custom_auth_stack fixtures (default: <rootdir>/template.yaml)",
    )


@pytest.fixture
def make_custom_auth_stack(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., "LocalStack"]]:
    """A factory of local stacks; each is torn down at the end of the test."""
    option = request.config.getoption("--custom-auth-template")
    template = Path(option) if option else request.config.rootpath / "template.yaml"
    from custom_auth_local.stack import local_stack

    made = 0
    with ExitStack() as stacks:

        def make(**kwargs: Any) -> "LocalStack":
            nonlocal made
            made += 1
            kwargs.setdefault("outbox", tmp_path / f"outbox-{made}")
            return stacks.enter_context(local_stack(kwargs.pop("template", template), **kwargs))

        yield make


@pytest.fixture
def custom_auth_stack(make_custom_auth_stack: Callable[..., "LocalStack"]) -> "LocalStack":
    """The template's user pool, app client and triggers, local (email sender made up)."""
    return make_custom_auth_stack(parameter_overrides={"SenderEmail": "no-reply@example.com"})
