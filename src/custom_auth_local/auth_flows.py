"""Which authentication flows an app client allows (its ExplicitAuthFlows), as Cognito reads it.

Only CUSTOM_AUTH runs the Define, Create and Verify triggers. USER_SRP_AUTH, USER_PASSWORD_AUTH,
ADMIN_USER_PASSWORD_AUTH and USER_AUTH sign a user in with the password (or a native factor)
alone; a client that allows one of them lets anyone who knows the password skip whatever the
triggers ask for. Password first in a custom flow is SRP *inside* CUSTOM_AUTH
(``CHALLENGE_NAME=SRP_A``), which ALLOW_CUSTOM_AUTH covers.
"""

from collections.abc import Sequence

from custom_auth_local import cognito_errors as errors

#: The ExplicitAuthFlows value that lets each AuthFlow through.
REQUIRED_SETTING = {
    "CUSTOM_AUTH": "ALLOW_CUSTOM_AUTH",
    "USER_SRP_AUTH": "ALLOW_USER_SRP_AUTH",
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ADMIN_NO_SRP_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "REFRESH_TOKEN_AUTH": "ALLOW_REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN": "ALLOW_REFRESH_TOKEN_AUTH",
    "USER_AUTH": "ALLOW_USER_AUTH",
}
#: Every AuthFlow the API takes, in the order of botocore's AuthFlowType.
AUTH_FLOWS = (
    "USER_SRP_AUTH",
    "REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN",
    "CUSTOM_AUTH",
    "ADMIN_NO_SRP_AUTH",
    "USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH",
    "USER_AUTH",
)
#: The flows only AdminInitiateAuth takes, and the one only InitiateAuth takes.
ADMIN_ONLY = frozenset({"ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"})
PUBLIC_ONLY = frozenset({"USER_PASSWORD_AUTH"})
#: What a client allows when it was created without ExplicitAuthFlows (CreateUserPoolClient).
DEFAULT_SETTINGS = ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH")
#: Settings that let a sign-in end without any trigger running.
SKIP_THE_TRIGGERS = frozenset(
    {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_USER_AUTH",
    }
)
#: The names from before the ALLOW_ settings, which the local pool does not emulate.
LEGACY_SETTINGS = frozenset({"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"})


def allowed_settings(explicit_auth_flows: Sequence[str] | None) -> frozenset[str]:
    """The ALLOW_ settings a client has: its ExplicitAuthFlows, or Cognito's default."""
    if explicit_auth_flows is None:
        return frozenset(DEFAULT_SETTINGS)
    legacy = sorted(LEGACY_SETTINGS.intersection(explicit_auth_flows))
    if legacy:
        raise ValueError(
            f"ExplicitAuthFlows: {legacy[0]} is a legacy value the local pool does not emulate; "
            "use the ALLOW_ settings (ALLOW_ADMIN_USER_PASSWORD_AUTH, ALLOW_CUSTOM_AUTH, "
            "ALLOW_USER_PASSWORD_AUTH...)"
        )
    return frozenset(explicit_auth_flows)


def settings_that_skip_the_triggers(explicit_auth_flows: Sequence[str] | None) -> list[str]:
    """The client's settings that sign users in without the triggers, sorted."""
    return sorted(SKIP_THE_TRIGGERS & allowed_settings(explicit_auth_flows))


#: Cognito's words for a flow the client does not allow: they differ from flow to flow.
#: REFRESH_TOKEN_AUTH's and USER_AUTH's were not found in any public capture; they follow
#: USER_PASSWORD_AUTH's.
NOT_ENABLED = {
    "CUSTOM_AUTH": "CUSTOM_AUTH is not enabled for the client.",
    "USER_SRP_AUTH": "USER_SRP_AUTH is not enabled for the client.",
    "USER_PASSWORD_AUTH": "USER_PASSWORD_AUTH flow not enabled for this client",
    "ADMIN_USER_PASSWORD_AUTH": "Auth flow not enabled for this client",
    "ADMIN_NO_SRP_AUTH": "Auth flow not enabled for this client",
    "REFRESH_TOKEN_AUTH": "REFRESH_TOKEN_AUTH flow not enabled for this client",
    "REFRESH_TOKEN": "REFRESH_TOKEN_AUTH flow not enabled for this client",
    "USER_AUTH": "USER_AUTH flow not enabled for this client",
}


def check_flow(auth_flow: str, allowed: frozenset[str], *, admin: bool) -> None:
    """Refuse, as Cognito does, an AuthFlow the API or the app client does not allow."""
    if auth_flow not in REQUIRED_SETTING:
        raise errors.invalid_parameter(
            f"1 validation error detected: Value '{auth_flow}' at 'authFlow' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(AUTH_FLOWS)}]"
        )
    if (auth_flow in ADMIN_ONLY and not admin) or (auth_flow in PUBLIC_ONLY and admin):
        raise errors.invalid_parameter("Initiate Auth method not supported.")
    if REQUIRED_SETTING[auth_flow] not in allowed:
        raise errors.invalid_parameter(NOT_ENABLED[auth_flow])
