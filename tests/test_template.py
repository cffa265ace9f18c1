"""template.yaml keeps its promises, under each combination of parameters that changes it."""

import itertools
import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from custom_auth.sign_up import sign_up_sends_key
from custom_auth.state_store import choice_key, pool_sends_key
from custom_auth_local.cli import parse_overrides
from custom_auth_local.template import Template, TemplateError, load_yaml
from tests.triggers import ROOT

SENDER = {"SenderEmail": "no-reply@example.com"}
#: The Cognito triggers: LambdaConfig name -> function.
FUNCTIONS = {
    "DefineAuthChallenge": "DefineAuthChallengeFunction",
    "CreateAuthChallenge": "CreateAuthChallengeFunction",
    "VerifyAuthChallengeResponse": "VerifyAuthChallengeResponseFunction",
}
#: The one function that is not a trigger: Secrets Manager invokes it to rotate the code key.
ROTATION = "RotateCodeKeyFunction"
#: Codes by SMS alone, deployable: a country list is required with it.
SMS = {"SignInMethods": "SMS_OTP", "SenderEmail": "", "SmsAllowedCountryCodes": "1,44"}
#: Both methods, deployable: a sender (SENDER) and a country list.
BOTH = {"SignInMethods": "EMAIL_OTP,SMS_OTP", "SmsAllowedCountryCodes": "1,44"}
#: Each list of methods that changes the template: one method, and both in either order.
METHOD_LISTS = ("EMAIL_OTP", "SMS_OTP", "EMAIL_OTP,SMS_OTP", "SMS_OTP,EMAIL_OTP")
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:CodeKeySecret"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:custom-auth-alarms"


def load(**overrides: str) -> Template:
    return Template.load(ROOT / "template.yaml", {**SENDER, **overrides})


def methods(listed: str) -> Template:
    """The template deployed with the methods ``listed`` (and what each needs)."""
    return load(SignInMethods=listed, SmsAllowedCountryCodes="1,44" if "SMS_OTP" in listed else "")


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
    for logical_id in [*FUNCTIONS.values(), ROTATION]:
        props = template.properties(logical_id, "Runtime", "Architectures", "Timeout", "Layers")
        assert props["Runtime"] == "python3.13"
        assert props["Architectures"] == ["arm64"]
        assert props["Layers"] == ["CustomAuthLayer"]
        assert template.function(logical_id).handler == "app.lambda_handler"
        # Cognito waits five seconds for a trigger; Secrets Manager is not in such a hurry.
        assert props["Timeout"] < 5 if logical_id != ROTATION else props["Timeout"] <= 60
    layer = template.data["Resources"]["CustomAuthLayer"]
    # layers/custom_auth/Makefile: the python3.13 builder's work, plus precompiled bytecode.
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    makefile = (ROOT / "layers" / "custom_auth" / "Makefile").read_text(encoding="utf-8")
    assert "build-CustomAuthLayer:" in makefile
    assert "--invalidation-mode unchecked-hash" in makefile
    assert "--platform manylinux2014_aarch64" in makefile
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


def test_only_the_three_triggers_are_triggers() -> None:
    for template in (load(), load(ExistingUserPoolId="eu-west-1_AbCdEf123")):
        assert set(template.functions()) == {*FUNCTIONS.values(), ROTATION}
        assert set(template.triggers()) == set(FUNCTIONS.values())
    lambda_config = load().properties("UserPool", "LambdaConfig")["LambdaConfig"]
    assert not any(ROTATION in str(arn) for arn in lambda_config.values())
    # Only Secrets Manager may invoke the rotation function; Cognito may not.
    for name in load().resources_of_type("AWS::Lambda::Permission"):
        props = load().properties(name)
        if ROTATION in props["FunctionName"]:
            assert props["Principal"] == "secretsmanager.amazonaws.com"


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
    # Create also counts the pool's sends, an atomic ADD: UpdateItem, on the counters' keys
    # only (state_store.pool_sends_key), so it cannot change a user's state that way.
    count_sends = {
        "Sid": "CountThePoolsSendsOnly",
        "Effect": "Allow",
        "Action": "dynamodb:UpdateItem",
        "Resource": state["Resource"],
        "Condition": {
            "ForAllValues:StringLike": {
                "dynamodb:LeadingKeys": ["#pool-sends#*", "#sign-up-sends#*"]
            }
        },
    }
    assert pool_sends_key("us-east-1_X", 0).startswith("#pool-sends#")
    assert sign_up_sends_key("us-east-1_X", 0).startswith("#sign-up-sends#")
    # The choice of method Verify records (PutItem, attribute_not_exists) and Create reads
    # (GetItem) is an item of the same table: ReadAndWriteUserStateOnly covers it.
    assert choice_key("us-east-1_X", "sign-in", 0).startswith("#choice#")
    email, sms = load(), load(**SMS)
    assert statements(email, "DefineAuthChallengeFunction") == []
    assert statements(email, "VerifyAuthChallengeResponseFunction") == [secret_read, state]
    assert statements(email, ROTATION) == [
        {
            "Sid": "RotateTheCodeKeyOnly",
            "Effect": "Allow",
            "Action": [
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ],
            "Resource": "custom-auth-local/CodeKeySecret",
        }
    ]
    assert statements(email, "CreateAuthChallengeFunction") == [
        secret_read,
        state,
        count_sends,
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
        count_sends,
        {
            "Sid": "SendCodesBySmsOnlyNotToTopics",
            "Effect": "Allow",
            "Action": "sns:Publish",
            "NotResource": "arn:aws:sns:*:*:*",
        },
    ]


def test_verify_may_make_accounts_in_this_pool_only_and_only_with_sign_up_on() -> None:
    assert "VerifySignUpPolicy" not in load().resources_of_type("AWS::IAM::Policy")
    for overrides, pool in (
        ({}, "arn:aws:cognito-idp:us-east-1:123456789012:userpool/UserPool"),
        (
            {"ExistingUserPoolId": "us-east-1_EXAMPLE01"},
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_EXAMPLE01",
        ),
    ):
        template = load(PasswordlessSignUp="true", **overrides)
        assert "VerifySignUpPolicy" in template.resources_of_type("AWS::IAM::Policy")
        policy = template.properties("VerifySignUpPolicy", "Roles", "PolicyDocument")
        # The role SAM makes for Verify (the pool names Verify: Verify's own policies cannot
        # name the pool without a cycle).
        assert policy["Roles"] == ["VerifyAuthChallengeResponseFunctionRole"]
        assert policy["PolicyDocument"]["Statement"] == [
            {
                "Sid": "MakeAccountsInThisPoolOnly",
                "Effect": "Allow",
                "Action": [
                    "cognito-idp:AdminCreateUser",
                    "cognito-idp:AdminSetUserPassword",
                    "cognito-idp:AdminDeleteUser",
                ],
                "Resource": pool,
            },
            {
                "Sid": "CountThePoolsSignUpsOnly",
                "Effect": "Allow",
                "Action": "dynamodb:UpdateItem",
                "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/"
                "custom-auth-local-UserStateTable",
                "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["#sign-ups#*"]}},
            },
        ]
    from custom_auth.sign_up import sign_ups_key

    assert sign_ups_key("us-east-1_X", 0).startswith("#sign-ups#")


def test_sign_up_reaches_all_three_triggers_and_needs_proof_first() -> None:
    on = load(PasswordlessSignUp="true", SignUpEmailDomains="example.com", SignUpMaxPerHour="7")
    for function in FUNCTIONS.values():
        assert on.function(function).environment["SIGN_UP"] == "true"
    for function in ("CreateAuthChallengeFunction", "VerifyAuthChallengeResponseFunction"):
        environment = on.function(function).environment
        assert environment["SIGN_UP_EMAIL_DOMAINS"] == "example.com"
        assert environment["SIGN_UP_MAX_PER_HOUR"] == "7"
        assert environment["SIGN_UP_USERNAME_ATTRIBUTE"] == "email"
    phone_first = load(
        PasswordlessSignUp="true", SignInMethods="SMS_OTP", SmsAllowedCountryCodes="1"
    )
    for function in ("CreateAuthChallengeFunction", "VerifyAuthChallengeResponseFunction"):
        environment = phone_first.function(function).environment
        assert environment["SIGN_UP_USERNAME_ATTRIBUTE"] == "phone_number"
    assert load().function("DefineAuthChallengeFunction").environment["SIGN_UP"] == "false"
    # Create and Verify both check sign-up's send cap against the pool's: both need both.
    from custom_auth.sign_up import SignUpSettings

    raised = load(
        PasswordlessSignUp="true", PoolMaxSendsPerHour="1000", SignUpMaxSendsPerHour="400"
    )
    for function in ("CreateAuthChallengeFunction", "VerifyAuthChallengeResponseFunction"):
        environment = raised.function(function).environment
        assert environment["POOL_MAX_SENDS_PER_HOUR"] == "1000"
        assert SignUpSettings.from_env(environment).max_sends_per_hour == 400
    for refused in ({"AllowSelfSignUp": "true"}, {"AuthFlow": "password+otp"}):
        with pytest.raises(TemplateError, match="rule SignUpNeedsProof"):
            load(PasswordlessSignUp="true", **refused)


@pytest.mark.parametrize("listed", METHOD_LISTS)
def test_create_may_send_by_email_and_sms_only_for_the_methods_listed(listed: str) -> None:
    template = methods(listed)
    sids = {
        statement.get("Sid") for statement in statements(template, "CreateAuthChallengeFunction")
    }
    assert ("SendCodesFromTheSenderOnly" in sids) is ("EMAIL_OTP" in listed)
    assert ("SendCodesBySmsOnlyNotToTopics" in sids) is ("SMS_OTP" in listed)
    conditions = (
        template.resolver.condition("EmailChannel"),
        template.resolver.condition("SmsChannel"),
    )
    assert conditions == ("EMAIL_OTP" in listed, "SMS_OTP" in listed)
    # Verify builds the same methods but sends nothing, whatever is listed.
    for function in ("DefineAuthChallengeFunction", "VerifyAuthChallengeResponseFunction"):
        granted = json.dumps(statements(template, function))
        assert "ses:" not in granted and "sns:" not in granted


def test_the_conditions_tell_each_method_from_the_others() -> None:
    # EmailChannel and SmsChannel look for a name inside the joined list (Conditions have no
    # Fn::Contains): that holds only while no method's name is part of another's.
    names = [
        str(name)
        for name in load_yaml(ROOT / "template.yaml")["Parameters"]["SignInMethods"][
            "AllowedValues"
        ]
    ]
    assert all(a == b or a not in b for a in names for b in names)
    assert names == ["EMAIL_OTP", "SMS_OTP", "MAGIC_LINK", "PASSKEY"]


@pytest.mark.parametrize("listed", METHOD_LISTS)
def test_users_sign_in_with_the_attribute_of_the_first_method(listed: str) -> None:
    pool = methods(listed).properties("UserPool", "UsernameAttributes", "AccountRecoverySetting")
    phone = listed.startswith("SMS_OTP")
    assert pool["UsernameAttributes"] == (["phone_number"] if phone else ["email"])
    assert pool["AccountRecoverySetting"] == {
        "RecoveryMechanisms": [
            {"Name": "verified_phone_number" if phone else "verified_email", "Priority": 1}
        ]
    }


@pytest.mark.parametrize("listed", [*METHOD_LISTS, " EMAIL_OTP , SMS_OTP "])
def test_every_trigger_gets_the_methods_in_their_order(listed: str) -> None:
    template = methods(listed)
    expected = ",".join(part.strip() for part in listed.split(","))  # items trimmed
    for function in FUNCTIONS.values():
        assert template.function(function).environment["SIGN_IN_METHODS"] == expected
    assert "SIGN_IN_METHODS" not in template.function(ROTATION).environment
    # Verify builds the methods as Create does, each checking its own settings.
    create = template.function("CreateAuthChallengeFunction").environment
    verify = template.function("VerifyAuthChallengeResponseFunction").environment
    for variable in ("SENDER_EMAIL", "SMS_ALLOWED_COUNTRY_CODES"):
        assert verify[variable] == create[variable]
    assert not {"OTP_CHANNEL", "SENDER_EMAIL"} & set(
        template.function("DefineAuthChallengeFunction").environment
    )


def test_the_methods_default_to_email_codes_alone() -> None:
    template = load()
    assert template.parameters["SignInMethods"] == "EMAIL_OTP"
    assert template.function("DefineAuthChallengeFunction").environment["SIGN_IN_METHODS"] == (
        "EMAIL_OTP"
    )
    assert not any("OTP_CHANNEL" in spec.environment for spec in template.functions().values())


def test_snapstart_is_opt_in_on_the_published_versions() -> None:
    off = load().properties("CreateAuthChallengeFunction", "SnapStart", "AutoPublishAlias")
    on = load(EnableSnapStart="true").properties(
        "CreateAuthChallengeFunction", "SnapStart", "AutoPublishAlias"
    )
    assert off == {"AutoPublishAlias": "live"}
    assert on == {"AutoPublishAlias": "live", "SnapStart": {"ApplyOn": "PublishedVersions"}}


def test_logs_go_to_groups_with_a_retention_period() -> None:
    template = load(LogRetentionDays="90")
    for trigger, function in [*FUNCTIONS.items(), ("RotateCodeKey", ROTATION)]:
        group = template.properties(function, "LoggingConfig")["LoggingConfig"]["LogGroup"]
        assert group == f"{trigger}LogGroup"
        assert template.properties(group)["RetentionInDays"] == "90"
    assert set(template.resources_of_type("AWS::Logs::LogGroup")) == {
        f"{trigger}LogGroup" for trigger in [*FUNCTIONS, "RotateCodeKey"]
    }


def test_log_groups_are_encrypted_with_the_key_given() -> None:
    groups = list(load().resources_of_type("AWS::Logs::LogGroup"))
    assert len(groups) == 4
    for group in groups:
        assert "KmsKeyId" not in load().properties(group)  # CloudWatch Logs' own encryption
        assert load(LogKmsKeyArn=KEY_ARN).properties(group)["KmsKeyId"] == KEY_ARN


def test_environment_follows_the_parameters() -> None:
    template = load(
        AuthFlow="password+otp",
        MaxAttempts="5",
        OtpLength="8",
        SignInMethods="SMS_OTP",
        SmsAllowedCountryCodes="1",
        LogLevel="DEBUG",
    )
    functions = template.functions()
    assert functions["DefineAuthChallengeFunction"].environment["AUTH_FLOW"] == "password+otp"
    assert functions["DefineAuthChallengeFunction"].environment["MAX_ATTEMPTS"] == "5"
    assert "CODE_KEY_SECRET_ID" not in functions["DefineAuthChallengeFunction"].environment
    create = functions["CreateAuthChallengeFunction"].environment
    assert (create["OTP_LENGTH"], create["SIGN_IN_METHODS"], create["POWERTOOLS_LOG_LEVEL"]) == (
        "8",
        "SMS_OTP",
        "DEBUG",
    )
    assert functions["VerifyAuthChallengeResponseFunction"].environment["OTP_LENGTH"] == "8"


def test_code_format_and_length_reach_create_and_verify() -> None:
    default = load()
    alphanumeric = load(CodeFormat="alphanumeric", OtpLength="13")
    for function in ("CreateAuthChallengeFunction", "VerifyAuthChallengeResponseFunction"):
        assert default.function(function).environment["CODE_FORMAT"] == "digits"
        environment = alphanumeric.function(function).environment
        assert (environment["CODE_FORMAT"], environment["OTP_LENGTH"]) == ("alphanumeric", "13")
    assert "CODE_FORMAT" not in default.function("DefineAuthChallengeFunction").environment
    # 20 digits (66 bits) is the longest code; 6 the shortest.
    assert (
        load(OtpLength="20")
        .function("VerifyAuthChallengeResponseFunction")
        .environment["OTP_LENGTH"]
        == "20"
    )


def test_create_gets_the_delivery_rules_and_the_pool_cap() -> None:
    names = {
        "BindCodeToSignIn": "BIND_CODE_TO_SIGN_IN",
        "PoolMaxSendsPerHour": "POOL_MAX_SENDS_PER_HOUR",
        "SmsAllowedCountryCodes": "SMS_ALLOWED_COUNTRY_CODES",
        "AllowUnverifiedDestinations": "ALLOW_UNVERIFIED_DESTINATIONS",
    }
    defaults = load().function("CreateAuthChallengeFunction").environment
    assert {variable: defaults[variable] for variable in names.values()} == {
        "BIND_CODE_TO_SIGN_IN": "false",
        "POOL_MAX_SENDS_PER_HOUR": "500",
        "SMS_ALLOWED_COUNTRY_CODES": "",
        "ALLOW_UNVERIFIED_DESTINATIONS": "false",
    }
    values = {
        "BindCodeToSignIn": "true",
        "PoolMaxSendsPerHour": "1000000",
        "SmsAllowedCountryCodes": "1,44,33612",
        "AllowUnverifiedDestinations": "true",
    }
    template = load(**{**SMS, **values})
    create = template.function("CreateAuthChallengeFunction").environment
    assert {variable: create[variable] for variable in names.values()} == {
        names[parameter]: value for parameter, value in values.items()
    }
    assert not set(names.values()) & set(
        template.function("DefineAuthChallengeFunction").environment
    )
    # Verify builds the SMS method too (which checks its country list), and sends nothing; it
    # reads the pool's cap only to check sign-up's send cap against it.
    verify = template.function("VerifyAuthChallengeResponseFunction").environment
    assert set(names.values()) & set(verify) == {
        "SMS_ALLOWED_COUNTRY_CODES",
        "POOL_MAX_SENDS_PER_HOUR",
    }
    assert verify["SMS_ALLOWED_COUNTRY_CODES"] == "1,44,33612"


def test_sms_goes_nowhere_until_the_countries_are_listed() -> None:
    for listed in ("SMS_OTP", "EMAIL_OTP,SMS_OTP", "SMS_OTP,EMAIL_OTP"):
        with pytest.raises(TemplateError, match="rule SmsCountriesRequiredForSms"):
            load(SignInMethods=listed)
    assert (
        load(**SMS).function("CreateAuthChallengeFunction").environment["SMS_ALLOWED_COUNTRY_CODES"]
        == "1,44"
    )
    assert load().parameters["SmsAllowedCountryCodes"] == ""  # email needs no list


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
    assert int(parameters["PoolMaxSendsPerHour"]) == defaults.pool_max_sends_per_hour
    assert parameters["BindCodeToSignIn"] == str(defaults.bind_code_to_sign_in).lower()


def test_code_and_delivery_parameters_default_to_what_the_functions_default_to() -> None:
    from custom_auth.settings import CodeSettings, DeliverySettings

    parameters = load().parameters
    code, delivery = CodeSettings("secret"), DeliverySettings()
    assert parameters["CodeFormat"] == code.code_format.value
    assert int(parameters["OtpLength"]) == code.otp_length
    assert (
        parameters["AllowUnverifiedDestinations"]
        == str(delivery.allow_unverified_destinations).lower()
    )
    assert delivery.sms_allowed_country_codes == ()
    assert parameters["SmsAllowedCountryCodes"] == ""


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"AuthFlow": "password"}, "parameter AuthFlow: must be one of otp, password+otp"),
        (
            {"SignInMethods": "FAX_OTP"},
            "parameter SignInMethods: each item must be one of EMAIL_OTP, SMS_OTP, MAGIC_LINK, "
            "PASSKEY; got 'FAX_OTP'",
        ),
        (
            {"SignInMethods": "EMAIL_OTP,TOTP"},
            "parameter SignInMethods: each item must be one of EMAIL_OTP, SMS_OTP, MAGIC_LINK, "
            "PASSKEY; got 'TOTP'",
        ),
        (
            {"SignInMethods": "email"},  # OtpChannel's value is no method's name
            "parameter SignInMethods: each item must be one of EMAIL_OTP, SMS_OTP, MAGIC_LINK, "
            "PASSKEY; got 'email'",
        ),
        (
            {"SignInMethods": ""},
            "parameter SignInMethods: each item must be one of EMAIL_OTP, SMS_OTP, MAGIC_LINK, "
            "PASSKEY; got ''",
        ),
        (
            {"SignInMethods": "EMAIL_OTP,"},
            "parameter SignInMethods: each item must be one of EMAIL_OTP, SMS_OTP, MAGIC_LINK, "
            "PASSKEY; got ''",
        ),
        ({"OtpChannel": "email"}, "unknown parameter OtpChannel;"),  # replaced by SignInMethods
        ({"OtpLength": "21"}, "parameter OtpLength: must be from 6 to 20"),
        ({"OtpLength": "5"}, "parameter OtpLength: must be from 6 to 20"),
        ({"CodeFormat": "hex"}, "parameter CodeFormat: must be one of digits, alphanumeric"),
        ({"BindCodeToSignIn": "yes"}, "parameter BindCodeToSignIn: must be one of true, false"),
        (
            {"PoolMaxSendsPerHour": "0"},
            "parameter PoolMaxSendsPerHour: must be from 1 to 1000000",
        ),
        (
            {"SmsAllowedCountryCodes": "+1,44"},
            "parameter SmsAllowedCountryCodes: must be calling codes",
        ),
        (
            {"SmsAllowedCountryCodes": "1,,44"},
            "parameter SmsAllowedCountryCodes: must be calling codes",
        ),
        (
            {"SmsAllowedCountryCodes": "1234567"},
            "parameter SmsAllowedCountryCodes: must be calling codes",
        ),
        (
            {"SmsAllowedCountryCodes": "044"},  # no calling code starts with 0
            "parameter SmsAllowedCountryCodes: must be calling codes",
        ),
        (
            {"AllowUnverifiedDestinations": "1"},
            "parameter AllowUnverifiedDestinations: must be one of true, false",
        ),
        ({"AllowSelfSignUp": "yes"}, "parameter AllowSelfSignUp: must be one of true, false"),
        (
            {"Tracing": "On"},
            "parameter Tracing: must be one of Disabled, PassThrough, Active",
        ),
        (
            {"CodeKeyRotationDays": "366"},
            "parameter CodeKeyRotationDays: must be from 1 to 365",
        ),
        (
            {"TriggerReservedConcurrency": "-1"},
            "parameter TriggerReservedConcurrency: must be at least 0",
        ),
        (
            {"LogKmsKeyArn": "alias/aws/logs"},
            "parameter LogKmsKeyArn: must be the ARN of a KMS key",
        ),
        (
            {"AlarmTopicArn": "custom-auth-alarms"},
            "parameter AlarmTopicArn: must be the ARN of an SNS topic",
        ),
        ({"AlarmCodesSentPerHour": "0"}, "parameter AlarmCodesSentPerHour: must be from 1"),
        ({"EnableWaf": "yes"}, "parameter EnableWaf: must be one of true, false"),
        ({"WafRateLimit": "9"}, "parameter WafRateLimit: must be from 10 to 2000000000"),
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
            "rule SenderRequiredForEmail: SenderEmail is required when SignInMethods includes "
            "EMAIL_OTP.",
        ),
        (
            {
                "SignInMethods": "SMS_OTP,EMAIL_OTP",
                "SmsAllowedCountryCodes": "1",
                "SenderEmail": "",
            },
            "rule SenderRequiredForEmail: SenderEmail is required when SignInMethods includes "
            "EMAIL_OTP.",
        ),
        (
            {"SignInMethods": "SMS_OTP", "SenderEmail": ""},
            "rule SmsCountriesRequiredForSms: SmsAllowedCountryCodes is required when "
            "SignInMethods includes SMS_OTP",
        ),
        (
            {"SignInMethods": "EMAIL_OTP,SMS_OTP"},
            "rule SmsCountriesRequiredForSms: SmsAllowedCountryCodes is required when "
            "SignInMethods includes SMS_OTP",
        ),
        (
            {
                "SignInMethods": "EMAIL_OTP,PASSKEY",
                "PasskeyRpIds": "example.com",
                "PasskeyOrigins": "https://app.example.com",
                "PasskeyAttestationRoots": "roots.pem",
            },
            "rule PasskeySettingsRequired: PasskeyAttestationRoots is only for "
            "PasskeyAttestation=direct.",
        ),
        (
            {"PasskeyAttestationRoots": "../../etc/passwd"},
            "parameter PasskeyAttestationRoots: a relative path inside functions/passkeys",
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
        "SignInWebAclArn",
        "SignInPageConfig",
        "PasskeyApiUrl",
        "PasskeyCredentialsTableName",
    }
    # What an existing pool needs to be associated with: only when there is a web ACL.
    assert outputs["SignInWebAclArn"]["Condition"] == "WafOn"


def sign_in_page_config(**overrides: str) -> dict[str, Any] | None:
    """The SignInPageConfig output as CloudFormation would give it (None when it has none)."""
    template = load(**overrides)
    output = template.data["Outputs"]["SignInPageConfig"]
    if not template.resolver.condition(output["Condition"]):
        return None
    config: dict[str, Any] = json.loads(template.resolver.resolve(output["Value"], "Outputs"))
    return config


def test_the_sign_in_pages_config_is_an_output_for_a_client_without_a_secret() -> None:
    assert sign_in_page_config(CodeTtlSeconds="120") == {
        "region": "us-east-1",
        "userPoolClientId": "UserPoolClient",  # CloudFormation gives the client's id
        "codeLifetimeSeconds": 120,
        "authFlow": "otp",  # the page refuses password+otp by name (it has no SRP)
        "signUp": False,
    }
    assert sign_in_page_config(PasswordlessSignUp="true") == {
        **(sign_in_page_config() or {}),
        "signUp": True,
    }
    passkeys = {
        "SignInMethods": "EMAIL_OTP,PASSKEY",
        "PasskeyRpIds": "example.com",
        "PasskeyOrigins": "https://app.example.com",
    }
    assert sign_in_page_config(**passkeys) == {
        **(sign_in_page_config() or {}),
        # CloudFormation gives the API's id; the page calls <passkeyApi>passkeys/...
        "passkeyApi": "https://PasskeyApi.execute-api.us-east-1.amazonaws.com/",
    }
    assert sign_in_page_config(GenerateClientSecret="true") is None  # no page can keep one
    assert sign_in_page_config(ExistingUserPoolId="us-east-1_EXAMPLE01") is None  # no client


def test_every_parameter_is_in_exactly_one_parameter_group() -> None:
    data = load().data
    groups = data["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    grouped = [name for group in groups for name in group["Parameters"]]
    assert sorted(grouped) == sorted(data["Parameters"])
    assert len(grouped) == len(set(grouped))


# --- hardening ---------------------------------------------------------------------------------


def test_only_administrators_create_users_unless_self_sign_up_is_allowed() -> None:
    def admin_only(template: Template) -> Any:
        config = template.properties("UserPool", "AdminCreateUserConfig")
        return config["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]

    assert admin_only(load()) is True
    assert admin_only(load(AllowSelfSignUp="false")) is True
    assert admin_only(load(AllowSelfSignUp="true")) is False


def test_tracing_is_off_unless_asked_for() -> None:
    for overrides, mode, disabled in (
        ({}, "Disabled", "true"),
        ({"Tracing": "PassThrough"}, "PassThrough", "false"),
        ({"Tracing": "Active"}, "Active", "false"),
    ):
        template = load(**overrides)
        for function in [*FUNCTIONS.values(), ROTATION]:
            assert template.properties(function, "Tracing") == {"Tracing": mode}
            environment = template.function(function).environment
            assert environment["POWERTOOLS_TRACE_DISABLED"] == disabled


SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
needs_sam = pytest.mark.skipif(
    not SAM_PYTHON.exists(), reason="the SAM virtualenv (make .venv-sam/.installed) is missing"
)


def sam_translate(path: Path, *parameters: str) -> tuple[int, dict[str, Any], str]:
    """tools/sam_translate.py's exit status, translation and complaints, for ``path``."""
    done = subprocess.run(
        [str(SAM_PYTHON), str(ROOT / "tools" / "sam_translate.py"), str(path), *parameters],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


def xray_roles(translated: dict[str, Any]) -> dict[str, bool]:
    """Each function of a translation: whether its role has AWSXrayWriteOnlyAccess."""
    resources = translated["Resources"]
    return {
        name: "AWSXrayWriteOnlyAccess"
        in json.dumps(resources[resource["Properties"]["Role"]["Fn::GetAtt"][0]])
        for name, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Function"
    }


@needs_sam
def test_translated_with_tracing_off_no_role_may_write_to_xray() -> None:
    status, translated, complaints = sam_translate(ROOT / "template.yaml")
    assert (status, complaints) == (0, "")
    # Conditions kept: the magic-link key's rotation and the passkey API are there too.
    every = [*FUNCTIONS.values(), ROTATION, "RotateMagicLinkKeyFunction", "PasskeyApiFunction"]
    assert xray_roles(translated) == dict.fromkeys(every, False)
    functions = [
        r for r in translated["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
    ]
    assert not any("TracingConfig" in function["Properties"] for function in functions)
    status, traced, _ = sam_translate(ROOT / "template.yaml", "Tracing=Active")
    assert status == 0
    assert xray_roles(traced) == dict.fromkeys(every, True)


@needs_sam
def test_the_translation_check_refuses_xray_without_tracing(tmp_path: Path) -> None:
    path = doctored(
        tmp_path,
        (
            "            - Sid: RotateTheCodeKeyOnly\n",
            "            - Effect: Allow\n"
            "              Action: xray:PutTraceSegments\n"
            '              Resource: "*"\n'
            "            - Sid: RotateTheCodeKeyOnly\n",
        ),
    )
    status, _, complaints = sam_translate(path)
    assert status == 1
    assert f"{ROTATION}: tracing is off, but its role {ROTATION}Role has action xray:" in complaints


def test_reserved_concurrency_is_opt_in_for_the_triggers() -> None:
    key = "ReservedConcurrentExecutions"
    for function in [*FUNCTIONS.values(), ROTATION]:
        assert key not in load().properties(function, key)
        reserved = load(TriggerReservedConcurrency="25").properties(function, key)
        assert reserved == ({} if function == ROTATION else {key: "25"})


def test_the_code_key_rotates_on_a_schedule_through_its_own_function() -> None:
    template = load()
    [schedule] = template.resources_of_type("AWS::SecretsManager::RotationSchedule")
    props = template.properties(schedule)
    assert props["SecretId"] == "custom-auth-local/CodeKeySecret"
    assert props["RotationLambdaARN"] == (
        f"arn:aws:lambda:us-east-1:123456789012:function:{ROTATION}:live"
    )
    # Days, not a rate expression: "rate(1 days)" would be refused for CodeKeyRotationDays=1.
    assert props["RotationRules"] == {"AutomaticallyAfterDays": "30"}
    daily = load(CodeKeyRotationDays="1").properties(schedule, "RotationRules")
    assert daily["RotationRules"] == {"AutomaticallyAfterDays": "1"}
    # Secrets Manager checks that it may invoke the function when the schedule is made.
    assert template.data["Resources"][schedule]["DependsOn"] == "RotateCodeKeyPermission"
    permission = template.properties("RotateCodeKeyPermission")
    assert permission == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": props["RotationLambdaARN"],
        "Principal": "secretsmanager.amazonaws.com",
        "SourceAccount": "123456789012",
        "SourceArn": "custom-auth-local/CodeKeySecret",  # !Ref of a secret: its ARN
    }
    rotation = template.function(ROTATION)
    assert rotation.code_uri == ROOT / "functions" / "rotate_code_key"
    assert rotation.environment["CODE_KEY_SECRET_ID"] == "custom-auth-local/CodeKeySecret"
    description = template.properties("CodeKeySecret")["Description"]
    assert "void" not in description.replace("does not void", "")
    assert "previous key" in description


# The alarms, the metric each watches, its period (seconds) and its threshold.
ALARMS = {
    "LockoutsAlarm": ("Lockouts", 3600, "AlarmLockoutsPerHour"),
    "CodesSentAlarm": ("CodesSent", 3600, "AlarmCodesSentPerHour"),
    "PoolSendCapReachedAlarm": ("PoolSendCapReached", 300, 1),
    "StateUnavailableAlarm": ("StateUnavailable", 300, 1),
    "DeliveriesImpossibleAlarm": ("DeliveriesImpossible", 300, 1),
    "DeliveriesRefusedAlarm": ("DeliveriesRefused", 300, 1),
    "TriggerErrorsAlarm": ("TriggerErrors", 300, 1),
}


def test_alarms_watch_the_metrics_the_triggers_emit() -> None:
    template = load(AlarmCodesSentPerHour="400", AlarmLockoutsPerHour="7")
    environment = template.function("CreateAuthChallengeFunction").environment
    assert set(template.resources_of_type("AWS::CloudWatch::Alarm")) == {*ALARMS, ROTATION_ALARM}
    for alarm, (metric, period, threshold) in ALARMS.items():
        props = template.properties(alarm)
        assert props["MetricName"] == metric
        # Powertools Metrics: the namespace, and the service as the one dimension.
        assert props["Namespace"] == environment["POWERTOOLS_METRICS_NAMESPACE"]
        assert props["Dimensions"] == [
            {"Name": "service", "Value": environment["POWERTOOLS_SERVICE_NAME"]}
        ]
        assert (props["Statistic"], props["Period"], props["EvaluationPeriods"]) == (
            "Sum",
            period,
            1,
        )
        assert str(props["Threshold"]) == str(template.parameters.get(str(threshold), threshold))
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert props["TreatMissingData"] == "notBreaching"
        assert "AlarmActions" not in props and "OKActions" not in props  # no topic given
        notifying = load(AlarmTopicArn=TOPIC_ARN).properties(alarm)
        assert notifying["AlarmActions"] == notifying["OKActions"] == [TOPIC_ARN]
    assert template.properties("CodesSentAlarm")["Threshold"] == "400"


ROTATION_ALARM = "CodeKeyRotationErrorsAlarm"


def test_a_failed_rotation_of_the_code_key_alarms() -> None:
    props = load(AlarmTopicArn=TOPIC_ARN).properties(ROTATION_ALARM)
    assert (props["Namespace"], props["MetricName"]) == ("AWS/Lambda", "Errors")
    assert props["Dimensions"] == [{"Name": "FunctionName", "Value": ROTATION}]
    assert (props["Threshold"], props["TreatMissingData"]) == (1, "notBreaching")
    assert props["AlarmActions"] == props["OKActions"] == [TOPIC_ARN]


def test_every_alarmed_metric_is_one_the_layer_emits() -> None:
    from custom_auth.observability import Metric

    emitted = {metric.value for metric in Metric}
    assert {metric for metric, _, _ in ALARMS.values()} <= emitted


def waf_matches(statement: dict[str, Any], headers: dict[str, str]) -> bool:
    """Whether a request with ``headers`` matches a WAF statement (the kinds the template uses)."""
    if "OrStatement" in statement:
        return any(waf_matches(s, headers) for s in statement["OrStatement"]["Statements"])
    match = statement["ByteMatchStatement"]
    value = headers.get(match["FieldToMatch"]["SingleHeader"]["Name"].lower(), "")
    for transformation in sorted(match["TextTransformations"], key=lambda t: t["Priority"]):
        assert transformation["Type"] in ("NONE", "LOWERCASE")
        value = value.lower() if transformation["Type"] == "LOWERCASE" else value
    assert match["PositionalConstraint"] == "EXACTLY"
    return bool(value == match["SearchString"])


def test_waf_is_opt_in_and_limits_each_ips_sign_in_calls() -> None:
    waf_types = ("AWS::WAFv2::WebACL", "AWS::WAFv2::WebACLAssociation")
    assert not any(load().resources_of_type(kind) for kind in waf_types)
    template = load(EnableWaf="true", WafRateLimit="50")
    [acl] = template.resources_of_type("AWS::WAFv2::WebACL")
    props = template.properties(acl)
    assert (props["Scope"], props["DefaultAction"]) == ("REGIONAL", {"Allow": {}})
    [rule] = props["Rules"]
    assert rule["Action"] == {"Block": {}}
    rate = rule["Statement"]["RateBasedStatement"]
    assert (rate["AggregateKeyType"], rate["Limit"], rate["EvaluationWindowSec"]) == (
        "IP",
        "50",
        300,
    )
    scope = rate["ScopeDownStatement"]
    for target, counted in (
        ("AWSCognitoIdentityProviderService.InitiateAuth", True),
        ("AWSCognitoIdentityProviderService.RespondToAuthChallenge", True),
        ("awscognitoidentityproviderservice.INITIATEAUTH", True),
        # Calls that make Cognito send a message of its own, outside the triggers' caps.
        ("AWSCognitoIdentityProviderService.ForgotPassword", True),
        ("AWSCognitoIdentityProviderService.ResendConfirmationCode", True),
        ("AWSCognitoIdentityProviderService.SignUp", True),
        ("AWSCognitoIdentityProviderService.GetUser", False),
        ("AWSCognitoIdentityProviderService.InitiateAuthX", False),
    ):
        assert waf_matches(scope, {"x-amz-target": target}) is counted, target
    assert waf_matches(scope, {}) is False
    [association] = template.resources_of_type("AWS::WAFv2::WebACLAssociation")
    assert template.properties(association) == {
        "ResourceArn": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/UserPool",
        "WebACLArn": f"arn:aws:local:us-east-1:123456789012:{acl}",
    }
    # An existing pool: the web ACL is made, associating it is the operator's.
    existing = load(EnableWaf="true", ExistingUserPoolId="eu-west-1_AbCdEf123")
    assert set(existing.resources_of_type("AWS::WAFv2::WebACL")) == {acl}
    assert existing.resources_of_type("AWS::WAFv2::WebACLAssociation") == {}


# --- samconfig.toml ----------------------------------------------------------------------------


#: Each samconfig.toml environment and command with parameter overrides.
ENVIRONMENTS = [
    ("default", "deploy"),
    ("prod", "deploy"),
    ("sms", "deploy"),
    ("multi", "deploy"),
    ("default", "local_invoke"),
    ("multi", "local_invoke"),
]


def samconfig() -> dict[str, Any]:
    return tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("env", "command"),
    ENVIRONMENTS,
)
def test_each_samconfig_environment_deploys_valid_parameters(env: str, command: str) -> None:
    entries = samconfig()[env][command]["parameters"]["parameter_overrides"]
    overrides = parse_overrides(entries, f"samconfig {env}.{command}")
    template = Template.load(ROOT / "template.yaml", overrides)  # raises on any bad value
    assert template.parameters["AppName"] == "My App"  # quoted, so not cut at the space
    listed = template.function("CreateAuthChallengeFunction").environment["SIGN_IN_METHODS"]
    assert listed == {"sms": "SMS_OTP", "multi": "EMAIL_OTP,SMS_OTP"}.get(env, "EMAIL_OTP")


def test_the_multi_environment_offers_both_methods_email_first() -> None:
    config = samconfig()
    for command in ("deploy", "local_invoke"):
        entries = config["multi"][command]["parameters"]["parameter_overrides"]
        template = Template.load(ROOT / "template.yaml", parse_overrides(entries, "multi"))
        assert template.resolver.condition("EmailChannel") is True
        assert template.resolver.condition("SmsChannel") is True
        assert template.properties("UserPool", "UsernameAttributes") == {
            "UsernameAttributes": ["email"]
        }
        environment = template.function("VerifyAuthChallengeResponseFunction").environment
        assert environment["SIGN_IN_METHODS"] == "EMAIL_OTP,SMS_OTP"
        assert environment["SMS_ALLOWED_COUNTRY_CODES"] == "1,44"


@needs_sam
def test_the_sam_cli_reads_each_samconfig_environment_as_the_local_tools_do() -> None:
    # The SAM CLI's own reading of parameter_overrides (samcli.cli.types): values split at
    # spaces only, so a comma list stays one value, and quotes are taken off.
    probe = (
        "import json, sys\n"
        "from samcli.lib.config.samconfig import SamConfig\n"
        "from samcli.cli.types import CfnParameterOverridesType\n"
        "found = {}\n"
        "for env, command in json.loads(sys.argv[1]):\n"
        "    params = SamConfig('.', 'samconfig.toml').get_all([command], 'parameters', env=env)\n"
        "    found[f'{env}.{command}'] = CfnParameterOverridesType().convert(\n"
        "        params['parameter_overrides'], None, None)\n"
        "print(json.dumps(found))\n"
    )
    done = subprocess.run(
        [str(SAM_PYTHON), "-c", probe, json.dumps(ENVIRONMENTS)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    by_sam = json.loads(done.stdout)
    config = samconfig()
    for env, command in ENVIRONMENTS:
        entries = config[env][command]["parameters"]["parameter_overrides"]
        assert by_sam[f"{env}.{command}"] == parse_overrides(entries, env), (env, command)
    assert by_sam["multi.deploy"]["SignInMethods"] == "EMAIL_OTP,SMS_OTP"


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
    assert prod["EnableWaf"] == "true" and "EnableWaf" not in default
    assert int(prod["TriggerReservedConcurrency"]) > 0
    assert int(prod["AlarmCodesSentPerHour"]) < int(prod["PoolMaxSendsPerHour"])
    assert prod.get("AlarmTopicArn", "") == ""  # the operator's own topic, when they have one
    # The default environment stays one email deployment to try things with.
    assert (default["SignInMethods"], default["AuthFlow"]) == ("EMAIL_OTP", "otp")
    for env in ("default", "prod", "sms", "multi"):
        deploy = config[env]["deploy"]["parameters"]
        assert deploy["capabilities"] == "CAPABILITY_IAM"
        assert deploy["resolve_s3"] is True and deploy["confirm_changeset"] is True


def test_the_sms_environment_lists_the_countries_it_sends_to() -> None:
    config = samconfig()
    sms = parse_overrides(config["sms"]["deploy"]["parameters"]["parameter_overrides"], "sms")
    assert sms["SignInMethods"] == "SMS_OTP"
    assert sms["SmsAllowedCountryCodes"] == "1,44"
    names = {
        config[env]["global"]["parameters"]["stack_name"]
        for env in ("default", "prod", "sms", "multi")
    }
    assert len(names) == 4


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
    "SmsAllowedCountryCodes": "1,44",
    "LogKmsKeyArn": KEY_ARN,
    "AlarmTopicArn": TOPIC_ARN,
    "MagicLinkRedirectUris": "https://app.example.com/signin/",
    "PasskeyRpIds": "example.com",
    "PasskeyOrigins": "https://app.example.com",
    "PasskeyClientIds": "1example23456789abcdefghij",
    "PasskeyAttestationRoots": "attestation-roots.pem",
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
    if spec.get("Type") == "CommaDelimitedList" and "AllowedValues" in spec:
        # Every list of distinct allowed items, in every order.
        items = [str(value) for value in spec["AllowedValues"]]
        return [
            ",".join(chosen)
            for size in range(1, len(items) + 1)
            for chosen in itertools.permutations(items, size)
        ]
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


#: Cognito actions that make or change users, never an app client or its flows: sign-up's
#: (Verify makes the accounts of proven addresses).
USER_ACTIONS = frozenset(
    {
        "cognito-idp:AdminCreateUser",
        "cognito-idp:AdminSetUserPassword",
        "cognito-idp:AdminDeleteUser",
    }
)


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
        if action.startswith(("cognito-idp:", "*")) and action not in USER_ACTIONS
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


def test_samples_cover_every_free_text_parameter_that_conditions_or_rules_compare() -> None:
    data = load_yaml(ROOT / "template.yaml")
    compared = {
        name
        for name, spec in data["Parameters"].items()
        if spec.get("Type") == "String"
        and "AllowedValues" not in spec
        and (
            compared_literals(data, name) or compared_literals({"Conditions": data["Rules"]}, name)
        )
    }
    assert compared >= {"ExistingUserPoolId", "SmsAllowedCountryCodes", "LogKmsKeyArn"}
    missing = compared - set(SAMPLES)
    assert not missing, f"SAMPLES needs a valid value of {sorted(missing)}"
    for name in SAMPLES:
        spec = data["Parameters"][name]
        assert SAMPLES[name] != str(spec.get("Default", ""))
        assert re.fullmatch(spec.get("AllowedPattern", ".*"), SAMPLES[name]), name


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


def test_create_and_verify_move_after_define_and_roll_back_before_it() -> None:
    """A new Create (choice rounds, which Verify answers true) beside an old Define (which
    knows no choices) would read a choice as a right answer: so Create and Verify depend on
    Define's alias, and CloudFormation updates Define first and rolls it back last."""
    resources = load().data["Resources"]
    for logical_id in ("CreateAuthChallengeFunction", "VerifyAuthChallengeResponseFunction"):
        assert resources[logical_id]["DependsOn"] == "DefineAuthChallengeFunctionAliaslive"
    assert "DependsOn" not in resources["DefineAuthChallengeFunction"]


def test_the_passkey_triggers_may_touch_only_their_own_items_and_keys() -> None:
    from fnmatch import fnmatchcase

    from custom_auth.credentials import challenge_key, credential_key
    from custom_auth.passkeys import REGISTRATION, SIGN_IN

    template = load(
        SignInMethods="EMAIL_OTP,PASSKEY",
        PasskeyRpIds="example.com",
        PasskeyOrigins="https://app.example.com",
    )
    create = {s.get("Sid"): s for s in statements(template, "CreateAuthChallengeFunction")}
    verify = {s.get("Sid"): s for s in statements(template, "VerifyAuthChallengeResponseFunction")}
    decoy_key = template.function("CreateAuthChallengeFunction").environment[
        "PASSKEY_DECOY_KEY_SECRET_ID"
    ]
    assert create["ReadTheDecoyKeyOnly"]["Resource"] == decoy_key
    assert create["ListUsersPasskeysOnly"]["Action"] == "dynamodb:Query"
    assert decoy_key not in json.dumps(statements(template, "VerifyAuthChallengeResponseFunction"))

    def may(sid: str, key: str) -> bool:
        condition = verify[sid]["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        return any(fnmatchcase(key, pattern) for pattern in condition)

    # Verify reads and counts passkeys, and takes usernameless challenges: nothing else.
    assert verify["CheckPasskeysOnly"]["Action"] == ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    assert verify["TakeSignInChallengesOnly"]["Action"] == "dynamodb:DeleteItem"
    assert may("CheckPasskeysOnly", credential_key(b"\x01" * 16))
    assert not may("CheckPasskeysOnly", challenge_key(SIGN_IN, b"c" * 32))
    assert may("TakeSignInChallengesOnly", challenge_key(SIGN_IN, b"c" * 32))
    assert not may("TakeSignInChallengesOnly", challenge_key(REGISTRATION, b"c" * 32))
    assert not may("TakeSignInChallengesOnly", credential_key(b"\x01" * 16))
    # The decoy key is never rotated: a user's made-up ids would change and a real user's not.
    rotated = [
        template.properties(name)["SecretId"]
        for name in template.resources_of_type("AWS::SecretsManager::RotationSchedule")
    ]
    assert decoy_key not in rotated and rotated


def test_the_passkey_api_takes_live_user_admin_tokens_and_throttles_its_anonymous_route() -> None:
    from custom_auth.model import USER_ADMIN_SCOPE
    from custom_auth.passkey_api import SIGN_IN_CHALLENGE

    template = load(
        SignInMethods="EMAIL_OTP,PASSKEY",
        PasskeyRpIds="example.com",
        PasskeyOrigins="https://app.example.com",
        PasskeyFreshSignInSeconds="600",
    )
    api = template.properties("PasskeyApi")
    authorizer = api["Auth"]["Authorizers"]["CognitoAccessToken"]
    assert authorizer["AuthorizationScopes"] == [USER_ADMIN_SCOPE]
    own = api["RouteSettings"][SIGN_IN_CHALLENGE]
    default = api["DefaultRouteSettings"]
    assert own["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
    assert own["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]
    environment = template.function("PasskeyApiFunction").environment
    assert environment["PASSKEY_FRESH_SIGN_IN_SECONDS"] == "600"
    assert environment["PASSKEY_ATTESTATION_ROOTS"] == ""
