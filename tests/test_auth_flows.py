"""custom_auth_local.auth_flows: which flows an app client allows, and Cognito's refusals."""

import json

import pytest

from custom_auth_local.auth_flows import (
    AUTH_FLOWS,
    NOT_ENABLED,
    allowed_settings,
    check_flow,
    settings_that_skip_the_triggers,
)
from custom_auth_local.cognito_errors import CognitoError

CUSTOM_ONLY = frozenset({"ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"})


def refusal(auth_flow: str, allowed: frozenset[str], *, admin: bool) -> tuple[str, str] | None:
    try:
        check_flow(auth_flow, allowed, admin=admin)
    except CognitoError as error:
        body = json.loads(error.get_body())
        return body["__type"], body["message"]
    return None


def test_no_explicit_auth_flows_means_cognitos_default_which_allows_srp() -> None:
    assert allowed_settings(None) == {
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_CUSTOM_AUTH",
    }
    assert settings_that_skip_the_triggers(None) == ["ALLOW_USER_SRP_AUTH"]
    assert settings_that_skip_the_triggers(sorted(CUSTOM_ONLY)) == []


def test_legacy_values_are_refused_with_the_name() -> None:
    with pytest.raises(ValueError, match="USER_PASSWORD_AUTH is a legacy value"):
        allowed_settings(["USER_PASSWORD_AUTH"])


@pytest.mark.parametrize("auth_flow", AUTH_FLOWS)
def test_each_flow_needs_its_own_setting(auth_flow: str) -> None:
    admin = auth_flow.startswith("ADMIN_")  # USER_PASSWORD_AUTH is for InitiateAuth only
    everything = frozenset(
        {
            "ALLOW_CUSTOM_AUTH",
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
            "ALLOW_USER_AUTH",
        }
    )
    assert refusal(auth_flow, everything, admin=admin) is None
    assert refusal(auth_flow, frozenset(), admin=admin) == (
        "InvalidParameterException",
        NOT_ENABLED[auth_flow],
    )


def test_only_custom_auth_and_refresh_pass_a_custom_only_client() -> None:
    passing = [flow for flow in AUTH_FLOWS if refusal(flow, CUSTOM_ONLY, admin=True) is None]
    assert passing == ["REFRESH_TOKEN_AUTH", "REFRESH_TOKEN", "CUSTOM_AUTH"]


def test_each_api_takes_only_its_own_password_flow() -> None:
    everything = frozenset({"ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"})
    wrong_call = ("InvalidParameterException", "Initiate Auth method not supported.")
    assert refusal("ADMIN_USER_PASSWORD_AUTH", everything, admin=False) == wrong_call
    assert refusal("ADMIN_NO_SRP_AUTH", everything, admin=False) == wrong_call
    assert refusal("USER_PASSWORD_AUTH", everything, admin=True) == wrong_call
    assert refusal("USER_PASSWORD_AUTH", everything, admin=False) is None


def test_an_unknown_flow_is_a_validation_error_naming_the_value() -> None:
    found = refusal("PASSWORD", CUSTOM_ONLY, admin=False)
    assert found is not None and found[0] == "InvalidParameterException"
    assert "Value 'PASSWORD' at 'authFlow' failed to satisfy constraint" in found[1]
