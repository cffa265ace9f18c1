"""Small SAM templates with hand-written triggers, for testing the local pool's edges."""

from pathlib import Path

# Triggers that do the minimum: ask for one CUSTOM_CHALLENGE, accept "42".
ASK_ONCE = """
def lambda_handler(event, context):
    session = event["request"]["session"]
    if session and session[-1]["challengeResult"] is True:
        event["response"].update(issueTokens=True, failAuthentication=False)
    elif len(session) >= 3:
        event["response"].update(issueTokens=False, failAuthentication=True)
    else:
        event["response"].update(
            challengeName="CUSTOM_CHALLENGE", issueTokens=False, failAuthentication=False
        )
    return event
"""
CREATE = """
def lambda_handler(event, context):
    event["response"].update(publicChallengeParameters={"hint": "the answer"},
                             privateChallengeParameters={"answer": "42"}, challengeMetadata="ROUND")
    return event
"""
VERIFY = """
def lambda_handler(event, context):
    event["response"]["answerCorrect"] = event["request"]["challengeAnswer"] == "42"
    return event
"""
RAISES = """
def lambda_handler(event, context):
    raise RuntimeError("the database is unreachable")
"""
UNREADABLE = """
def lambda_handler(event, context):
    event["response"]["issueTokens"] = "yes"
    return event
"""
SLOW = """
import time
def lambda_handler(event, context):
    time.sleep(0.3)
    return event
"""

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Define:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: define, Handler: app.lambda_handler, Runtime: python3.13}
  Create:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: create, Handler: app.lambda_handler, Runtime: python3.13}
  Verify:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: verify, Handler: app.lambda_handler, Runtime: python3.13}
  UserPool:
    Type: AWS::Cognito::UserPool
    Properties:
      LambdaConfig:
        DefineAuthChallenge: !GetAtt Define.Arn
        CreateAuthChallenge: !GetAtt Create.Arn
        VerifyAuthChallengeResponse: !GetAtt Verify.Arn
  UserPoolClient:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref UserPool
      ExplicitAuthFlows: [ALLOW_CUSTOM_AUTH]
      PreventUserExistenceErrors: ENABLED
"""


def write_template(
    directory: Path, *, define: str = ASK_ONCE, create: str = CREATE, verify: str = VERIFY
) -> Path:
    """A template in ``directory`` whose triggers are the given sources."""
    for folder, source in (("define", define), ("create", create), ("verify", verify)):
        (directory / folder).mkdir(parents=True, exist_ok=True)
        (directory / folder / "app.py").write_text(source)
    path = directory / "template.yaml"
    path.write_text(TEMPLATE)
    return path
