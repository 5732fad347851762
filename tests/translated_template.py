"""Reading the template as deployed (after aws-sam-translator): what the template tests
ask of it, in one place."""

from __future__ import annotations

import re
from typing import Any

from leadflow_local.template import Template


def ref_of(value: Any) -> str | None:
    """The logical id a `Ref` or `Fn::GetAtt` names; None for anything else."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else target.split(".", 1)[0])
    return None


def alarmed_queues(translated: dict[str, Any]) -> set[str]:
    """Queues an alarm watches (by the QueueName dimension)."""
    watched = set()
    for resource in translated["Resources"].values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            for dimension in resource["Properties"].get("Dimensions", []):
                if dimension["Name"] == "QueueName":
                    watched.add(ref_of(dimension["Value"]))
    return watched


def asynchronous_functions(translated: dict[str, Any]) -> set[str]:
    """Functions invoked asynchronously: targets of EventBridge rules, and the function
    that EventBridge Scheduler's role may invoke."""
    resources = translated["Resources"]
    found = {ref_of(target["Arn"]) for r in resources.values() if r["Type"] == "AWS::Events::Rule"
             for target in r["Properties"]["Targets"]}
    for resource in resources.values():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        principal = resource["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        if principal.get("Service") != "scheduler.amazonaws.com":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                if statement["Action"] != "lambda:InvokeFunction":
                    continue
                for target in statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]:
                    found.add(ref_of(target) or _function_named(resources, target))
    return {lid for lid in found if lid and resources.get(lid, {}).get("Type") == "AWS::Lambda::Function"}


def _function_named(resources: dict[str, Any], arn: Any) -> str | None:
    """The function whose `FunctionName` (`${AWS::StackName}-remind`) an ARN built with
    Fn::Sub ends in (`...:function:${AWS::StackName}-remind`, or with `:*` after it)."""
    text = arn.get("Fn::Sub") if isinstance(arn, dict) else None
    if not isinstance(text, str):
        return None
    for lid, resource in resources.items():
        name = resource["Properties"].get("FunctionName") if resource["Type"] == "AWS::Lambda::Function" else None
        name = name.get("Fn::Sub") if isinstance(name, dict) else name
        if isinstance(name, str) and re.search(rf":function:{re.escape(name)}(:\*)?$", text):
            return lid
    return None


def _expected_generated() -> dict[str, str]:
    """What SAM may add on its own, reviewed: logical id pattern → type. Each function
    gets its role; each Api or EventBridgeRule event its permission; each rule event its
    rule; each ScheduleV2 event its schedule and the role Scheduler invokes with; each
    stream or queue event its mapping; an EventInvokeConfig its resource; the
    API its stage and deployment; the layer its version."""
    expected: dict[str, str] = {}
    for spec in Template().functions():
        fn = spec.logical_id
        expected[f"{fn}Role"] = "AWS::IAM::Role"
        if "EventInvokeConfig" in spec.properties:
            expected[f"{fn}EventInvokeConfig"] = "AWS::Lambda::EventInvokeConfig"
        for event in spec.events:
            if event.type == "Api":
                expected[f"{fn}{event.name}Permission(v1|Prod)?"] = "AWS::Lambda::Permission"
            elif event.type == "EventBridgeRule":
                expected[f"{fn}{event.name}"] = "AWS::Events::Rule"
                expected[f"{fn}{event.name}Permission"] = "AWS::Lambda::Permission"
            elif event.type == "ScheduleV2":
                expected[f"{fn}{event.name}"] = "AWS::Scheduler::Schedule"
                expected[f"{fn}{event.name}Role"] = "AWS::IAM::Role"
            elif event.type in ("DynamoDB", "SQS"):
                expected[f"{fn}{event.name}"] = "AWS::Lambda::EventSourceMapping"
    for lid, resource in Template().resources.items():
        if resource["Type"] == "AWS::Serverless::Api":
            stage = resource["Properties"]["StageName"]
            expected[f"{lid}Deployment[0-9a-f]{{10}}"] = "AWS::ApiGateway::Deployment"
            expected[f"{lid}{stage}Stage"] = "AWS::ApiGateway::Stage"
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            expected[f"{lid}[0-9a-f]{{10}}"] = "AWS::Lambda::LayerVersion"
    return expected


def generated_resources_unexplained(translated: dict[str, Any]) -> list[tuple[str, str]]:
    """Resources in the translated template that template.yaml does not declare and no
    reviewed SAM expansion explains: (logical id, type), sorted."""
    declared = set(Template().resources)
    expected = _expected_generated()
    return sorted((lid, r["Type"]) for lid, r in translated["Resources"].items()
                  if lid not in declared
                  and not any(re.fullmatch(pattern, lid) and kind == r["Type"] for pattern, kind in expected.items()))


def as_deployed(value: Any, *, local_emulation: bool = False) -> Any:
    """A property value as a stack gets it: `Fn::If` on IsLocalEmulation decided (false
    in every AWS account), `AWS::NoValue` left out."""
    if isinstance(value, list):
        return [v for v in (as_deployed(item, local_emulation=local_emulation) for item in value) if v is not _GONE]
    if not isinstance(value, dict):
        return value
    if value == {"Ref": "AWS::NoValue"}:
        return _GONE
    if set(value) == {"Fn::If"} and value["Fn::If"][0] == "IsLocalEmulation":
        _, when_local, otherwise = value["Fn::If"]
        return as_deployed(when_local if local_emulation else otherwise, local_emulation=local_emulation)
    resolved = {k: as_deployed(v, local_emulation=local_emulation) for k, v in value.items()}
    return {k: v for k, v in resolved.items() if v is not _GONE}


_GONE = object()


def role_statements(translated: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    """Every statement of a function's role (its inline policies as SAM wrote them),
    conditional ones (`Fn::If`) included: what the role can be given at most."""
    resources = translated["Resources"]
    role = resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = []
    for policy in resources[role]["Properties"].get("Policies", []):
        document = policy["Fn::If"][1] if "Fn::If" in policy else policy
        statements += document["PolicyDocument"]["Statement"]
    return statements


def actions_of(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]
