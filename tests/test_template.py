"""template.yaml keeps its promises, under each combination of parameters that changes it."""

import itertools
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from custom_auth_local.cli import parse_overrides
from custom_auth_local.template import Template, TemplateError, load_yaml
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


def test_the_app_client_is_a_public_custom_auth_client() -> None:
    client = load(AuthSessionValidity="7").properties("UserPoolClient")
    assert client["ExplicitAuthFlows"] == ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["EnableTokenRevocation"] is True
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


# --- no sign-in that skips the triggers --------------------------------------------------------

#: What an app client of this template may allow: CUSTOM_AUTH runs the triggers (password first
#: included: SRP inside CUSTOM_AUTH), and a refresh only renews what a custom sign-in issued.
#: Anything else (USER_SRP_AUTH, USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, USER_AUTH, or no
#: ExplicitAuthFlows at all, which Cognito reads as SRP, refresh and custom) lets the password
#: alone return tokens.
SAFE_FLOWS = {"ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
#: The client's properties that decide how a user can sign in through it.
SIGN_IN_PROPERTIES = ("ExplicitAuthFlows", "AllowedOAuthFlows", "AllowedOAuthFlowsUserPoolClient")
#: Resources that could make or change an app client, or sign users in, out of this check's
#: sight: nested stacks and applications, custom resources, managed login, included snippets.
#: A valid value for each free-text parameter that conditions compare, besides its default and
#: the literals they compare it with.
SAMPLES = {
    "SenderEmail": "no-reply@example.com",
    "AppName": "Another App",
    "ExistingUserPoolId": "eu-west-1_AbCdEf123",
}
OPAQUE_RESOURCES = (
    "AWS::CloudFormation::Stack",
    "AWS::Serverless::Application",
    "AWS::CloudFormation::CustomResource",
    "AWS::Cognito::UserPoolDomain",
    "AWS::Cognito::ManagedLoginBranding",
    "AWS::Cognito::UserPoolUICustomizationAttachment",
)


def dependencies(
    data: dict[str, Any], logical_id: str, *properties: str
) -> tuple[set[str], set[str]]:
    """What a resource's ``properties`` (all if none are named) depend on: the parameters and
    pseudo parameters (``AWS::Region``...) they name themselves, and those that the conditions
    they use (and the resource's own condition) name."""
    conditions = data.get("Conditions", {})
    direct: set[str] = set()
    through_conditions: set[str] = set()
    seen: set[str] = set()

    def condition(name: str) -> None:
        if name not in seen:
            seen.add(name)
            walk(conditions[name], through_conditions)

    def walk(node: Any, found: set[str]) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, found)
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Condition" and isinstance(value, str):
                condition(value)
            elif key == "Fn::If":
                condition(value[0])
                walk(value[1:], found)
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found.update(re.findall(r"\$\{([^}!.]+)\}", text))
                walk(value if isinstance(value, str) else value[1], found)
            else:
                walk(value, found)

    resource = data["Resources"][logical_id]
    own = resource.get("Properties", {})
    walk({key: own[key] for key in properties if key in own} if properties else own, direct)
    if "Condition" in resource:
        condition(resource["Condition"])
    ignored = set(data["Resources"]) | {"AWS::NoValue"}
    return direct - ignored, through_conditions - ignored


def compared_literals(data: dict[str, Any], name: str) -> set[str]:
    """Every literal that a condition compares parameter ``name`` with (Fn::Equals)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "Fn::Equals" and {"Ref": name} in value:
                    found.update(str(side) for side in value if not isinstance(side, dict))
                walk(value)

    walk(data.get("Conditions", {}))
    return found


def domain(data: dict[str, Any], name: str, *, direct: bool) -> list[str] | None:
    """The values of a parameter that decide every outcome: all it may take when they can be
    listed (numbers: every integer in range); for free text that only conditions compare,
    each literal compared, the default and one other valid value; else None."""
    spec = data.get("Parameters", {}).get(name)
    if spec is None:
        return None  # a pseudo parameter: the same template deploys with any value of it
    if "AllowedValues" in spec:
        return [str(value) for value in spec["AllowedValues"]]
    if spec.get("Type") == "Number":
        return [str(n) for n in range(int(spec["MinValue"]), int(spec["MaxValue"]) + 1)]
    if direct:
        return None
    assert name in SAMPLES, f"SAMPLES needs a valid value of the free-text parameter {name}"
    values = {str(spec.get("Default", "")), SAMPLES[name], *compared_literals(data, name)}
    pattern = spec.get("AllowedPattern")
    return sorted(v for v in values if pattern is None or re.fullmatch(pattern, v))


def flows_that_skip_the_triggers(path: Path) -> list[str]:
    """Every deployable combination of what an app client's sign-in settings depend on,
    resolved: one line per combination whose client allows more than SAFE_FLOWS (or OAuth
    sign-in), and one per dependency that cannot be gone through (a pseudo parameter, free
    text used as a value), per resource that could change a client unseen, and per IAM grant
    of a Cognito action."""
    data = load_yaml(path)
    found = [
        f"{name}: a {resource['Type']} could change an app client out of this check's sight"
        for name, resource in data["Resources"].items()
        if resource["Type"] in OPAQUE_RESOURCES or resource["Type"].startswith("Custom::")
    ]
    if data.get("Transform") not in ("AWS::Serverless-2016-10-31", None):
        found.append(f"Transform {data['Transform']}: could add an app client unseen")
    found += [
        f"IAM grants {action}"
        for action in actions(data["Resources"])
        if action.startswith(("cognito-idp:", "*"))
    ]
    clients = [
        name
        for name, resource in data["Resources"].items()
        if resource["Type"] == "AWS::Cognito::UserPoolClient"
    ]
    assert clients, "the template creates no app client"
    for client in clients:
        direct, through_conditions = dependencies(data, client, *SIGN_IN_PROPERTIES)
        names = sorted(direct | through_conditions)
        domains = {name: domain(data, name, direct=name in direct) for name in names}
        unlisted = [name for name, values in domains.items() if values is None]
        found += [
            f"{client}: its sign-in settings depend on {name}, whose values cannot all be tried"
            for name in unlisted
        ]
        if unlisted:
            continue
        checked = 0
        for values in itertools.product(*(domains[name] or [] for name in names)):
            overrides = {**SENDER, **dict(zip(names, values, strict=True))}
            try:
                template = Template.load(path, overrides)
            except TemplateError as error:
                assert str(error).startswith("rule "), error  # not deployable: refused
                continue
            checked += 1
            if client not in template.resources_of_type("AWS::Cognito::UserPoolClient"):
                continue
            props = template.properties(client)
            flows = props.get("ExplicitAuthFlows")
            if (
                flows is None
                or not set(flows) <= SAFE_FLOWS
                or "ALLOW_CUSTOM_AUTH" not in flows
                or props.get("AllowedOAuthFlows")
                or str(props.get("AllowedOAuthFlowsUserPoolClient", "false")).lower() == "true"
            ):
                found.append(f"{client} with {overrides}: {flows}")
        assert checked, f"no deployable combination of {names}"
    return found


def actions(node: Any) -> list[str]:
    """Every IAM action named anywhere in the template."""
    if isinstance(node, list):
        return [action for item in node for action in actions(item)]
    if not isinstance(node, dict):
        return []
    found = []
    for key, value in node.items():
        if key in ("Action", "NotAction"):
            found += [str(v) for v in (value if isinstance(value, list) else [value])]
        else:
            found += actions(value)
    return found


def test_no_deployable_parameters_enable_a_flow_that_skips_the_triggers() -> None:
    data = load_yaml(ROOT / "template.yaml")
    # The client's sign-in settings depend only on whether it exists at all.
    assert dependencies(data, "UserPoolClient", *SIGN_IN_PROPERTIES) == (
        set(),
        {"ExistingUserPoolId"},
    )
    assert dependencies(data, "UserPoolClient")[0] >= {"AuthSessionValidity", "AWS::StackName"}
    assert flows_that_skip_the_triggers(ROOT / "template.yaml") == []


def doctored(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    (tmp_path / "template.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "template.yaml"


FLOWS = "ExplicitAuthFlows: [ALLOW_CUSTOM_AUTH, ALLOW_REFRESH_TOKEN_AUTH]"


def conditional_srp(condition: str) -> tuple[tuple[str, str], tuple[str, str]]:
    return (
        (
            FLOWS,
            "ExplicitAuthFlows: !If "
            "[Srp, [ALLOW_CUSTOM_AUTH, ALLOW_USER_SRP_AUTH], [ALLOW_CUSTOM_AUTH]]",
        ),
        ("Conditions:\n", f"Conditions:\n  Srp: {condition}\n"),
    )


def test_the_check_finds_srp_enabled_by_a_parameter(tmp_path: Path) -> None:
    # The template as it was before this check: password+otp also allowed USER_SRP_AUTH.
    path = doctored(tmp_path, *conditional_srp("!Equals [!Ref AuthFlow, password+otp]"))
    found = flows_that_skip_the_triggers(path)
    assert found and all("'AuthFlow': 'password+otp'" in line for line in found)
    assert all("ALLOW_USER_SRP_AUTH" in line for line in found)


@pytest.mark.parametrize(
    ("replacements", "finding"),
    [
        # Leaving ExplicitAuthFlows out: Cognito then allows SRP.
        (((f"      {FLOWS}\n", ""),), "UserPoolClient with"),
        # A condition on where it is deployed, which no parameter shows.
        (conditional_srp("!Equals [!Ref AWS::Region, eu-west-1]"), "depend on AWS::Region"),
        # A condition on free text: the literal it is compared with is tried too.
        (conditional_srp("!Equals [!Ref AppName, legacy]"), "'AppName': 'legacy'"),
        # Free text as the flows themselves: no list of values can go through it.
        (((FLOWS, 'ExplicitAuthFlows: !Split [",", !Ref AppName]'),), "depend on AppName"),
        (
            (("Resources:\n", "Resources:\n  Clients:\n    Type: Custom::AppClient\n"),),
            "Clients: a Custom::AppClient could change an app client",
        ),
        (
            (
                (
                    "Action: [dynamodb:GetItem, dynamodb:PutItem]",
                    "Action: [dynamodb:GetItem, cognito-idp:UpdateUserPoolClient]",
                ),
            ),
            "IAM grants cognito-idp:UpdateUserPoolClient",
        ),
    ],
    ids=[
        "no-explicit-flows",
        "pseudo-parameter",
        "free-text-compared",
        "free-text-as-flows",
        "custom-resource",
        "iam",
    ],
)
def test_the_check_finds_what_it_cannot_go_through(
    tmp_path: Path, replacements: tuple[tuple[str, str], ...], finding: str
) -> None:
    found = flows_that_skip_the_triggers(doctored(tmp_path, *replacements))
    assert any(finding in line for line in found), found
