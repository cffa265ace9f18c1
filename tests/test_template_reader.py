"""custom_auth_local.template: reading CloudFormation YAML and resolving it locally."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from custom_auth_local.standins import Outbox, OutboxMessage, _OutboxHooks
from custom_auth_local.template import Template, TemplateError

HEAD = """
Parameters:
  Name: {Type: String, Default: alice}
  Size: {Type: Number, Default: 2, MinValue: 1, MaxValue: 3}
  Floor: {Type: Number, Default: 0, MinValue: 0}
  Ceiling: {Type: Number, Default: 0, MaxValue: 9}
  Color: {Type: String, Default: red, AllowedValues: [red, blue]}
Conditions:
  IsBlue: !Equals [!Ref Color, blue]
  NotBlue: !Not [!Condition IsBlue]
  Both: !And [!Condition NotBlue, !Or [!Equals [!Ref Size, "2"], !Condition IsBlue]]
Globals:
  Function:
    Runtime: python3.13
    Timeout: 3
    Layers: [!Ref Layer]
    Environment: {Variables: {SHARED: one, OVERRIDDEN: global}}
Resources:
  Layer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layer}
  Secret:
    Type: AWS::SecretsManager::Secret
  Blue:
    Type: AWS::SNS::Topic
    Condition: IsBlue
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: code
      Handler: app.handler
      Timeout: 4
      Layers: [!Ref Layer]
      Environment:
        Variables:
          OVERRIDDEN: own
          SUB: !Sub "${Name}-${AWS::Region}-${Secret}"
          SUB_VARS: !Sub ["${X}/${Name}", {X: !Select [1, !Split [",", "a,b,c"]]}]
          JOINED: !Join ["-", [!Ref Name, !Ref Size]]
          PICKED: !If [Both, chosen, other]
          ARN: !GetAtt Secret.Arn
          FLAG: true
          DROPPED: !Ref AWS::NoValue
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


def test_intrinsics_globals_and_conditions_resolve_as_cloudformation_would(tmp_path: Path) -> None:
    spec = Template.load(write(tmp_path, HEAD)).function("Fn")
    assert spec.environment == {
        "SHARED": "one",
        "OVERRIDDEN": "own",  # maps merge, the function wins
        "SUB": "alice-us-east-1-custom-auth-local/Secret",
        "SUB_VARS": "b/alice",
        "JOINED": "alice-2",
        "PICKED": "chosen",
        "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:Secret",
        "FLAG": "true",
    }
    assert spec.timeout_seconds == 4  # scalars: the function wins
    assert spec.layers == (tmp_path / "layer", tmp_path / "layer")  # lists add up, globals first
    assert (spec.code_uri, spec.module, spec.function_name) == (tmp_path / "code", "app", "handler")


def test_the_role_sam_makes_for_a_function_can_be_named(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD.replace("OVERRIDDEN: own", "OVERRIDDEN: !Ref FnRole", 1))
    assert Template.load(path).function("Fn").environment["OVERRIDDEN"] == "FnRole"


def test_resources_under_a_false_condition_do_not_exist(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD)
    assert Template.load(path).resources_of_type("AWS::SNS::Topic") == {}
    assert set(Template.load(path, {"Color": "blue"}).resources_of_type("AWS::SNS::Topic")) == {
        "Blue"
    }


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        (
            "JOINED: !Join",
            "JOINED: !FindInMap",
            "Fn::FindInMap is not supported by the local tools",
        ),
        (
            "ARN: !GetAtt Secret.Arn",
            "ARN: !GetAtt Secret.Name",
            "!GetAtt Secret.Name is not known locally",
        ),
        ("ARN: !GetAtt Secret.Arn", "ARN: !GetAtt Nope.Arn", "!GetAtt Nope names no resource"),
        ("!Select [1,", "!Select [7,", "Fn::Select has no item 7"),
        (
            "OVERRIDDEN: own",
            "OVERRIDDEN: !Ref Nothing",
            "!Ref Nothing names nothing in the template",
        ),
        (
            "OVERRIDDEN: own",
            "OVERRIDDEN: !Ref SecretRole",  # a role SAM makes for functions, not secrets
            "!Ref SecretRole names nothing in the template",
        ),
        ("PICKED: !If [Both,", "PICKED: !If [Missing,", "Conditions: no condition named Missing"),
        (
            "Layers: [!Ref Layer]\n      Environment",
            "Layers: [!Ref Secret]\n      Environment",
            "layer custom-auth-local/Secret is not a layer of the template",
        ),
    ],
)
def test_what_cannot_be_resolved_is_named(
    tmp_path: Path, replace: str, by: str, message: str
) -> None:
    assert replace in HEAD
    with pytest.raises(TemplateError, match=message):
        Template.load(write(tmp_path, HEAD.replace(replace, by, 1))).function("Fn")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Resources: [unclosed", r"template.yaml:1: not valid YAML"),
        ("Parameters: {}", r"not a CloudFormation template \(no Resources\)"),
        ("Parameters: {P: {Type: String}}\nResources: {}", "parameter P: has no default"),
    ],
)
def test_unreadable_templates_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        Template.load(write(tmp_path, text))


def test_a_missing_template_is_named(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="cannot read it"):
        Template.load(tmp_path / "nope.yaml")


def test_parameters_are_checked_as_cloudformation_checks_them(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD)
    assert Template.load(path, {"Size": "3"}).parameters["Size"] == "3"
    for overrides, message in (
        ({"Size": "4"}, "parameter Size: must be from 1 to 3"),
        ({"Size": "two"}, "parameter Size: must be a number"),
        ({"Floor": "-1"}, "parameter Floor: must be at least 0$"),
        ({"Ceiling": "10"}, "parameter Ceiling: must be at most 9$"),
        ({"Color": "green"}, "parameter Color: must be one of red, blue"),
    ):
        with pytest.raises(TemplateError, match=message):
            Template.load(path, overrides)


LISTS = """
Parameters:
  Methods: {Type: CommaDelimitedList, Default: "A", AllowedValues: [A, B]}
  Free: {Type: CommaDelimitedList, Default: "x, y"}
  Needed: {Type: String, Default: ""}
Rules:
  NeedsForB:
    RuleCondition: !Contains [!Ref Methods, B]
    Assertions:
      - Assert: !Not [!Equals [!Ref Needed, ""]]
        AssertDescription: Needed is required with B.
Conditions:
  HasB: !Not
    - !Equals [!Join [",", !Ref Methods], !Join ["", !Split [B, !Join [",", !Ref Methods]]]]
  BFirst: !Equals [!Select [0, !Ref Methods], B]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: code
      Handler: app.handler
      Environment:
        Variables:
          METHODS: !Join [",", !Ref Methods]
          FREE: !Join ["|", !Ref Free]
          HAS_B: !If [HasB, "yes", "no"]
          B_FIRST: !If [BFirst, "yes", "no"]
"""


def test_a_comma_delimited_list_is_checked_item_by_item_and_refs_give_its_items(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, LISTS)
    found = {}
    for methods in ("A", "B", "A,B", "B,A", " B , A "):
        overrides = {"Methods": methods, "Needed": "yes"}
        found[methods] = Template.load(path, overrides).function("Fn").environment
    assert {k: (v["METHODS"], v["HAS_B"], v["B_FIRST"]) for k, v in found.items()} == {
        "A": ("A", "no", "no"),
        "B": ("B", "yes", "yes"),
        "A,B": ("A,B", "yes", "no"),
        "B,A": ("B,A", "yes", "yes"),
        " B , A ": ("B,A", "yes", "yes"),  # each item trimmed of spaces, as CloudFormation does
    }
    assert found["A"]["FREE"] == "x|y"  # no AllowedValues: any items
    for methods, item in (("C", "C"), ("A,C", "C"), ("", ""), ("A,", ""), ("a", "a")):
        with pytest.raises(
            TemplateError,
            match=rf"^parameter Methods: each item must be one of A, B; got '{item}'$",
        ):
            Template.load(path, {"Methods": methods, "Needed": "yes"})


def test_fn_contains_holds_a_rule_to_the_items_listed(tmp_path: Path) -> None:
    path = write(tmp_path, LISTS)
    assert Template.load(path).parameters["Methods"] == "A"  # no B: Needed may stay empty
    for methods in ("B", "A,B", "B,A"):
        with pytest.raises(TemplateError, match=r"^rule NeedsForB: Needed is required with B\.$"):
            Template.load(path, {"Methods": methods})


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        # CloudFormation: Fn::Contains is a rule function, refused in Conditions.
        (
            "BFirst: !Equals [!Select [0, !Ref Methods], B]",
            "BFirst: !Contains [!Ref Methods, B]",
            r"Conditions\.BFirst: Fn::Contains is for Rules only",
        ),
        # A list is no string to compare: it needs Fn::Join or Fn::Select first.
        (
            "BFirst: !Equals [!Select [0, !Ref Methods], B]",
            "BFirst: !Equals [!Ref Methods, B]",
            r"Conditions\.BFirst: Fn::Equals compares strings, not a list",
        ),
        (
            "RuleCondition: !Contains [!Ref Methods, B]",
            "RuleCondition: !Contains [!Ref Needed, B]",
            r"Rules\.NeedsForB: Fn::Contains needs a list",
        ),
    ],
)
def test_lists_are_used_only_where_cloudformation_takes_them(
    tmp_path: Path, replace: str, by: str, message: str
) -> None:
    assert replace in LISTS
    with pytest.raises(TemplateError, match=message):
        Template.load(write(tmp_path, LISTS.replace(replace, by, 1))).function("Fn")


TRIGGERS = """
Parameters:
  Existing: {Type: String, Default: ""}
Conditions:
  Create: !Equals [!Ref Existing, ""]
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
    Condition: Create
  Secret:
    Type: AWS::SecretsManager::Secret
  Trigger:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: trigger, Handler: app.handler}
  Rotation:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: rotation, Handler: app.handler}
  TriggerPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Trigger.Alias
      Principal: cognito-idp.amazonaws.com
      SourceArn: !If [Create, !GetAtt Pool.Arn, !Ref Existing]
  RotationPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !GetAtt Rotation.Arn
      Principal: secretsmanager.amazonaws.com
"""


def test_triggers_are_the_functions_cognito_may_invoke(tmp_path: Path) -> None:
    path = write(tmp_path, TRIGGERS)
    for overrides in ({}, {"Existing": "us-east-1_AbCdEf123"}):
        template = Template.load(path, overrides)
        assert set(template.functions()) == {"Trigger", "Rotation"}
        assert set(template.triggers()) == {"Trigger"}
        assert template.triggers()["Trigger"].code_uri == tmp_path / "trigger"
    odd = write(tmp_path, TRIGGERS.replace("FunctionName: !Ref Trigger.Alias", "FunctionName: x"))
    with pytest.raises(
        TemplateError, match=r"TriggerPermission\.FunctionName: x is not a function"
    ):
        Template.load(odd).triggers()


def test_the_loader_reads_every_short_form_tag() -> None:
    from custom_auth_local.template import _Loader

    text = "a: !GetAtt X.Arn\nb: !Sub [s, {k: v}]\nc: !Base64 {x: 1}"
    data: Any = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    assert data == {
        "a": {"Fn::GetAtt": ["X", "Arn"]},
        "b": {"Fn::Sub": ["s", {"k": "v"}]},
        "c": {"Fn::Base64": {"x": 1}},
    }


def test_the_outbox_keeps_only_messages_the_service_accepted(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    hooks = _OutboxHooks(outbox)

    class Response:
        def __init__(self, status: int) -> None:
            self.status_code = status

    for status in (400, 200):
        context: dict[str, Any] = {}
        hooks.remember_sms({"PhoneNumber": "+15550100", "Message": f"code {status}"}, context)
        hooks.written(Response(status), context)
    topic: dict[str, Any] = {}
    hooks.remember_sms(
        {"TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": "not to a person"}, topic
    )
    hooks.written(Response(200), topic)
    [message] = outbox.messages()
    assert message == OutboxMessage("sms", "+15550100", "", "code 200", message.sent_at)
