"""template.yaml keeps its promises, under each combination of parameters that changes it."""

import tomllib
from typing import Any

import pytest

from custom_auth_local.cli import parse_overrides
from custom_auth_local.template import Template, TemplateError
from tests.triggers import ROOT

SENDER = {"SenderEmail": "no-reply@example.com"}
FUNCTIONS = {
    "DefineAuthChallenge": "DefineAuthChallengeFunction",
    "CreateAuthChallenge": "CreateAuthChallengeFunction",
    "VerifyAuthChallengeResponse": "VerifyAuthChallengeResponseFunction",
}


def load(**overrides: str) -> Template:
    return Template.load(ROOT / "template.yaml", {**SENDER, **overrides})


def statements(template: Template, function: str) -> list[dict[str, Any]]:
    """The IAM statements of a function's Policies (SAM policy templates named as such)."""
    found = []
    for policy in template.properties(function, "Policies").get("Policies", []):
        if "Statement" in policy:
            found.extend(policy["Statement"])
        else:
            found.append(policy)
    return found


def test_every_function_runs_python_3_13_on_arm64_within_cognitos_five_seconds() -> None:
    template = load()
    for logical_id in FUNCTIONS.values():
        props = template.properties(logical_id, "Runtime", "Architectures", "Timeout", "Layers")
        assert props["Runtime"] == "python3.13"
        assert props["Architectures"] == ["arm64"]
        assert props["Timeout"] < 5
        assert props["Layers"] == ["CustomAuthLayer"]
        assert template.function(logical_id).handler == "app.lambda_handler"
    layer = template.data["Resources"]["CustomAuthLayer"]
    assert layer["Metadata"] == {"BuildMethod": "python3.13", "BuildArchitecture": "arm64"}
    assert layer["Properties"]["ContentUri"] == "layers/custom_auth"


def test_the_pool_wires_each_trigger_to_its_functions_published_alias() -> None:
    config = load().properties("UserPool", "LambdaConfig")["LambdaConfig"]
    assert set(config) == set(FUNCTIONS)
    for trigger, function in FUNCTIONS.items():
        assert config[trigger] == f"arn:aws:lambda:us-east-1:123456789012:function:{function}:live"


@pytest.mark.parametrize(
    ("flow", "flows"),
    [
        ("otp", ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]),
        ("password+otp", ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]),
    ],
)
def test_the_app_client_allows_exactly_the_flows_it_needs(flow: str, flows: list[str]) -> None:
    client = load(AuthFlow=flow, AuthSessionValidity="7").properties("UserPoolClient")
    assert client["ExplicitAuthFlows"] == flows
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["AuthSessionValidity"] == "7"
    assert client["GenerateSecret"] == "false"  # no client secret unless asked for
    assert (
        load(GenerateClientSecret="true").properties("UserPoolClient")["GenerateSecret"] == "true"
    )


def test_cognito_may_invoke_each_trigger_for_this_pool_only() -> None:
    created, existing = load(), load(ExistingUserPoolId="eu-west-1_AbCdEf123")
    for trigger, function in FUNCTIONS.items():
        permission = f"{trigger}Permission"
        for template, pool in (
            (created, "arn:aws:cognito-idp:us-east-1:123456789012:userpool/UserPool"),
            (existing, "arn:aws:cognito-idp:us-east-1:123456789012:userpool/eu-west-1_AbCdEf123"),
        ):
            props = template.properties(permission)
            assert props["Principal"] == "cognito-idp.amazonaws.com"
            assert props["Action"] == "lambda:InvokeFunction"
            assert props["FunctionName"].endswith(f"function:{function}:live")
            assert props["SourceArn"] == pool
            assert props["SourceAccount"] == "123456789012"


def test_an_existing_pool_creates_no_pool_and_no_client() -> None:
    assert set(load().resources_of_type("AWS::Cognito::UserPool")) == {"UserPool"}
    existing = load(ExistingUserPoolId="us-east-1_AbCdEf123")
    assert existing.resources_of_type("AWS::Cognito::UserPool") == {}
    assert existing.resources_of_type("AWS::Cognito::UserPoolClient") == {}


def test_each_function_may_do_only_what_it_needs() -> None:
    secret_read = {
        "AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": "custom-auth-local/CodeKeySecret"}
    }
    state = {
        "Sid": "ReadAndWriteUserStateOnly",
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
        "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/"
        "custom-auth-local-UserStateTable",
    }
    email, sms = load(), load(OtpChannel="sms", SenderEmail="")
    assert statements(email, "DefineAuthChallengeFunction") == []
    assert statements(email, "VerifyAuthChallengeResponseFunction") == [secret_read, state]
    assert statements(email, "CreateAuthChallengeFunction") == [
        secret_read,
        state,
        {
            "Sid": "SendCodesFromTheSenderOnly",
            "Effect": "Allow",
            "Action": "ses:SendEmail",
            "Resource": [
                "arn:aws:ses:us-east-1:123456789012:identity/no-reply@example.com",
                "arn:aws:ses:us-east-1:123456789012:identity/example.com",
            ],
        },
    ]
    assert statements(sms, "CreateAuthChallengeFunction") == [
        secret_read,
        state,
        {
            "Sid": "SendCodesBySmsOnlyNotToTopics",
            "Effect": "Allow",
            "Action": "sns:Publish",
            "NotResource": "arn:aws:sns:*:*:*",
        },
    ]


def test_snapstart_is_opt_in_on_the_published_versions() -> None:
    off = load().properties("CreateAuthChallengeFunction", "SnapStart", "AutoPublishAlias")
    on = load(EnableSnapStart="true").properties(
        "CreateAuthChallengeFunction", "SnapStart", "AutoPublishAlias"
    )
    assert off == {"AutoPublishAlias": "live"}
    assert on == {"AutoPublishAlias": "live", "SnapStart": {"ApplyOn": "PublishedVersions"}}


def test_logs_go_to_groups_with_a_retention_period() -> None:
    template = load(LogRetentionDays="90")
    for trigger, function in FUNCTIONS.items():
        group = template.properties(function, "LoggingConfig")["LoggingConfig"]["LogGroup"]
        assert group == f"{trigger}LogGroup"
        assert template.properties(group)["RetentionInDays"] == "90"


def test_environment_follows_the_parameters() -> None:
    template = load(
        AuthFlow="password+otp", MaxAttempts="5", OtpLength="8", OtpChannel="sms", LogLevel="DEBUG"
    )
    functions = template.functions()
    assert functions["DefineAuthChallengeFunction"].environment["AUTH_FLOW"] == "password+otp"
    assert functions["DefineAuthChallengeFunction"].environment["MAX_ATTEMPTS"] == "5"
    assert "CODE_KEY_SECRET_ID" not in functions["DefineAuthChallengeFunction"].environment
    create = functions["CreateAuthChallengeFunction"].environment
    assert (create["OTP_LENGTH"], create["OTP_CHANNEL"], create["POWERTOOLS_LOG_LEVEL"]) == (
        "8",
        "sms",
        "DEBUG",
    )
    assert functions["VerifyAuthChallengeResponseFunction"].environment["OTP_LENGTH"] == "8"


def test_create_and_verify_share_the_state_table_and_the_limits() -> None:
    template = load(
        LockoutAfterFailures="20",
        LockoutSeconds="600",
        ResendCooldownSeconds="30",
        MaxSendsPerHour="3",
    )
    expected = {
        "STATE_TABLE_NAME": "custom-auth-local-UserStateTable",
        "LOCKOUT_AFTER_FAILURES": "20",
        "LOCKOUT_SECONDS": "600",
        "RESEND_COOLDOWN_SECONDS": "30",
        "MAX_SENDS_PER_HOUR": "3",
    }
    for function in ("CreateAuthChallengeFunction", "VerifyAuthChallengeResponseFunction"):
        environment = template.function(function).environment
        assert {name: environment[name] for name in expected} == expected
    assert not set(expected) & set(template.function("DefineAuthChallengeFunction").environment)


def test_the_state_table_is_on_demand_with_ttl_and_point_in_time_recovery() -> None:
    table = load().properties("UserStateTable")
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_limit_parameters_default_to_what_the_functions_default_to() -> None:
    from custom_auth.settings import LimitSettings

    parameters = load().parameters
    defaults = LimitSettings("t" * 3)
    assert int(parameters["LockoutAfterFailures"]) == defaults.lockout_after_failures
    assert int(parameters["LockoutSeconds"]) == defaults.lockout_seconds
    assert int(parameters["ResendCooldownSeconds"]) == defaults.resend_cooldown_seconds
    assert int(parameters["MaxSendsPerHour"]) == defaults.max_sends_per_hour


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"AuthFlow": "password"}, "parameter AuthFlow: must be one of otp, password+otp"),
        ({"OtpChannel": "fax"}, "parameter OtpChannel: must be one of email, sms"),
        ({"OtpLength": "12"}, "parameter OtpLength: must be from 6 to 10"),
        ({"CodeTtlSeconds": "900"}, "parameter CodeTtlSeconds: must be from 30 to 600"),
        ({"MaxAttempts": "0"}, "parameter MaxAttempts: must be from 1 to 10"),
        ({"AuthSessionValidity": "20"}, "parameter AuthSessionValidity: must be from 3 to 15"),
        ({"LogLevel": "TRACE"}, "parameter LogLevel: must be one of DEBUG, INFO, WARNING, ERROR"),
        ({"SenderEmail": "not-an-address"}, "parameter SenderEmail: must be an email address"),
        ({"ExistingUserPoolId": "my pool"}, "parameter ExistingUserPoolId: must be a user pool id"),
        ({"AppName": ""}, "parameter AppName: must be at least 1 characters"),
        (
            {"LockoutAfterFailures": "101"},
            "parameter LockoutAfterFailures: must be from 1 to 100",
        ),
        ({"MaxSendsPerHour": "0"}, "parameter MaxSendsPerHour: must be from 1 to 60"),
        (
            {"SenderEmail": ""},
            "rule SenderRequiredForEmail: SenderEmail is required when OtpChannel is email.",
        ),
    ],
)
def test_a_wrong_parameter_fails_before_anything_runs(
    overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        load(**overrides)
    assert str(caught.value).startswith(message)


def test_outputs_name_the_pool_the_client_and_the_functions() -> None:
    outputs = load().data["Outputs"]
    assert set(outputs) == {
        "UserPoolId",
        "UserPoolClientId",
        "DefineAuthChallengeFunctionArn",
        "CreateAuthChallengeFunctionArn",
        "VerifyAuthChallengeResponseFunctionArn",
        "CodeKeySecretArn",
        "UserStateTableName",
    }


# --- samconfig.toml ----------------------------------------------------------------------------


def samconfig() -> dict[str, Any]:
    return tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("env", "command"), [("default", "deploy"), ("prod", "deploy"), ("default", "local_invoke")]
)
def test_each_samconfig_environment_deploys_valid_parameters(env: str, command: str) -> None:
    entries = samconfig()[env][command]["parameters"]["parameter_overrides"]
    overrides = parse_overrides(entries, f"samconfig {env}.{command}")
    template = Template.load(ROOT / "template.yaml", overrides)  # raises on any bad value
    assert template.parameters["AppName"] == "My App"  # quoted, so not cut at the space


def test_prod_differs_from_default_where_production_should() -> None:
    config = samconfig()
    default = parse_overrides(
        config["default"]["deploy"]["parameters"]["parameter_overrides"], "default"
    )
    prod = parse_overrides(config["prod"]["deploy"]["parameters"]["parameter_overrides"], "prod")
    assert (
        config["prod"]["global"]["parameters"]["stack_name"]
        != config["default"]["global"]["parameters"]["stack_name"]
    )
    assert prod["EnableSnapStart"] == "true" and "EnableSnapStart" not in default
    assert prod["UserPoolDeletionProtection"] == "ACTIVE"
    for env in ("default", "prod"):
        deploy = config[env]["deploy"]["parameters"]
        assert deploy["capabilities"] == "CAPABILITY_IAM"
        assert deploy["resolve_s3"] is True and deploy["confirm_changeset"] is True
