"""Leads flowing on (template.yaml, as deployed after aws-sam-translator): the hot-lead
chat (ChatWebhookUrl) and the CRM webhook (CrmWebhookUrl) exist exactly when their
parameter is set, go through EventBridge API destinations with retries and alarmed
dead-letter queues, and their roles grant only what they use."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow_local.template import Resolver, Template
from translated_template import ref_of

CHAT = {"ChatQueue", "ChatDeadLetterQueue", "ChatQueuePolicy", "ChatDeadLetterQueuePolicy", "ChatRule",
        "ChatDeadLetterAlarm", "ChatBacklogAlarm", "ChatLogs", "ChatFunction", "ChatConnection", "ChatDestination",
        "ChatPipeRole", "ChatPipe"}
CRM = {"CrmConnection", "CrmDestination", "CrmRule", "CrmWebhookRole", "CrmDeadLetterQueue",
       "CrmDeadLetterQueuePolicy", "CrmDeadLetterAlarm"}


def conditions_hold(translated: dict[str, Any], **parameters: str) -> Resolver:
    refs = {**Template().parameter_defaults(), **parameters}
    return Resolver(refs, {}, translated["Conditions"])


def resources_under(translated: dict[str, Any], condition: str) -> set[str]:
    """Logical ids created only under `condition` (SAM's own, the function's role, too)."""
    return {lid for lid, r in translated["Resources"].items() if r.get("Condition") == condition}


def test_by_default_nothing_of_either_exists(translated):
    resolve = conditions_hold(translated)
    assert not resolve.condition("HasChatWebhook") and not resolve.condition("HasCrmWebhook")
    assert resources_under(translated, "HasChatWebhook") >= CHAT | {"ChatFunctionRole"}
    assert resources_under(translated, "HasCrmWebhook") == CRM
    # AND nothing else mentions them unconditionally (an output would fail the stack)
    outputs = translated["Outputs"]
    assert outputs["ChatDeadLetterQueueUrl"]["Condition"] == "HasChatWebhook"
    assert outputs["CrmDeadLetterQueueUrl"]["Condition"] == "HasCrmWebhook"


def test_setting_a_url_creates_its_path(translated):
    resolve = conditions_hold(translated, ChatWebhookUrl="https://hooks.slack.com/services/T0/B0/x",
                              CrmWebhookUrl="https://crm.example/hooks/leadflow")
    assert resolve.condition("HasChatWebhook") and resolve.condition("HasCrmWebhook")


def test_the_secrets_are_no_echo_and_the_crm_secret_is_required(translated):
    parameters = Template().doc["Parameters"]
    assert parameters["ChatWebhookUrl"]["NoEcho"] is True and parameters["CrmAuthHeaderValue"]["NoEcho"] is True
    rule = translated["Rules"]["CrmWebhookHasASecret"]
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "CrmWebhookUrl"}, ""]}]}
    assert rule["Assertions"][0]["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "CrmAuthHeaderValue"},
                                                                            parameters["CrmAuthHeaderValue"]["Default"]]}]}


def test_hot_assignments_are_queued_then_piped_through_the_enrichment_to_the_api_destination(translated):
    resources = translated["Resources"]
    rule = resources["ChatRule"]["Properties"]
    assert rule["EventPattern"]["detail-type"] == ["Lead Assigned"]
    assert rule["EventPattern"]["detail"]["temperature"] == ["hot"]
    (target,) = rule["Targets"]
    assert ref_of(target["Arn"]) == "ChatQueue" and ref_of(target["DeadLetterConfig"]["Arn"]) == "ChatDeadLetterQueue"
    queue = resources["ChatQueue"]["Properties"]
    assert ref_of(queue["RedrivePolicy"]["deadLetterTargetArn"]) == "ChatDeadLetterQueue"
    assert 1 < queue["RedrivePolicy"]["maxReceiveCount"] <= 10  # retried, not forever
    pipe = resources["ChatPipe"]["Properties"]
    assert ref_of(pipe["Source"]) == "ChatQueue" and ref_of(pipe["Enrichment"]) == "ChatFunction"
    assert ref_of(pipe["Target"]) == "ChatDestination"
    assert pipe["SourceParameters"]["SqsQueueParameters"]["BatchSize"] == 1
    destination = resources["ChatDestination"]["Properties"]
    assert destination["InvocationEndpoint"] == {"Ref": "ChatWebhookUrl"} and destination["HttpMethod"] == "POST"
    assert ref_of(destination["ConnectionArn"]) == "ChatConnection"


def test_the_crm_rule_posts_the_chosen_events_with_the_secret_header(translated):
    resources = translated["Resources"]
    rule = resources["CrmRule"]["Properties"]
    assert rule["EventPattern"] == {"source": ["leadflow"],
                                    "detail-type": {"Fn::Split": [",", {"Ref": "CrmEventTypes"}]}}
    (target,) = rule["Targets"]
    assert ref_of(target["Arn"]) == "CrmDestination" and ref_of(target["RoleArn"]) == "CrmWebhookRole"
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 100  # a CRM down for hours misses nothing
    assert ref_of(target["DeadLetterConfig"]["Arn"]) == "CrmDeadLetterQueue"
    auth = resources["CrmConnection"]["Properties"]
    assert auth["AuthorizationType"] == "API_KEY"
    assert auth["AuthParameters"]["ApiKeyAuthParameters"] == {"ApiKeyName": {"Ref": "CrmAuthHeaderName"},
                                                              "ApiKeyValue": {"Ref": "CrmAuthHeaderValue"}}
    assert resources["CrmDestination"]["Properties"]["InvocationEndpoint"] == {"Ref": "CrmWebhookUrl"}


@pytest.mark.parametrize(("role", "principal", "grants"), [
    ("ChatPipeRole", "pipes.amazonaws.com", {
        ("sqs:DeleteMessage", "ChatQueue"), ("sqs:GetQueueAttributes", "ChatQueue"),
        ("sqs:ReceiveMessage", "ChatQueue"), ("lambda:InvokeFunction", "ChatFunction"),
        ("events:InvokeApiDestination", "ChatDestination")}),
    ("CrmWebhookRole", "events.amazonaws.com", {("events:InvokeApiDestination", "CrmDestination")}),
])
def test_the_service_roles_grant_only_their_own_resources(translated, role, principal, grants):
    props = translated["Resources"][role]["Properties"]
    (trust,) = props["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": principal}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    granted = set()
    for policy in props["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            granted |= {(action, ref_of(statement["Resource"])) for action in actions}
    assert granted == grants


def test_every_new_queue_is_alarmed(translated):
    watched = {ref_of(d["Value"]) for r in translated["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"
               for d in r["Properties"].get("Dimensions", [])}
    assert {"ChatQueue", "ChatDeadLetterQueue", "CrmDeadLetterQueue"} <= watched
