"""IAM in the local stack (leadflow_local/iam.py): every AWS call a function makes, at its
cold start and in its invocations, is checked against its role in the template as
deployed, and a call the role does not allow fails as it fails in AWS.

The mapping of calls to authorizations and the matching of grants need no AWS; the rest
runs on one stack deployed from a variant of template.yaml: NotifyFunction without its
ses:SendEmail statement, plus three probe functions that read a secret when imported."""

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from leadflow_local.iam import Permissions, function_permissions, required
from leadflow_local.stack import LocalStack
from leadflow_local.stack_pool import StackPool
from leadflow_local.template import ROOT, Resolver, Template, load_template

REGION, ACCOUNT = "us-east-1", "123456789012"


def needs(service: str, operation: str, **params: Any) -> list[tuple[str, str | None]]:
    return required(service, operation, params, region=REGION, account_id=ACCOUNT)


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def granting(*grants: tuple[tuple[str, ...], tuple[str, ...]]) -> Permissions:
    return Permissions("SomeFunction", "arn:aws:sts::123456789012:assumed-role/r/s", ACCOUNT, list(grants))


# -- what a call needs ------------------------------------------------------------------


def test_a_transaction_is_authorized_item_by_item_with_each_item_s_own_action():
    items = [{"Put": {"TableName": "a"}}, {"Update": {"TableName": "a"}}, {"Delete": {"TableName": "b"}},
             {"ConditionCheck": {"TableName": "a"}}, {"Put": {"TableName": "a"}}]
    assert needs("dynamodb", "TransactWriteItems", TransactItems=items) == [
        ("dynamodb:PutItem", arn("dynamodb", "table/a")), ("dynamodb:UpdateItem", arn("dynamodb", "table/a")),
        ("dynamodb:DeleteItem", arn("dynamodb", "table/b")),
        ("dynamodb:ConditionCheckItem", arn("dynamodb", "table/a"))]
    assert needs("dynamodb", "TransactGetItems", TransactItems=[{"Get": {"TableName": "a"}}]) == [
        ("dynamodb:GetItem", arn("dynamodb", "table/a"))]


def test_a_batch_is_its_own_action_on_every_table_it_names():
    assert needs("dynamodb", "BatchGetItem", RequestItems={"a": {}, "b": {}}) == [
        ("dynamodb:BatchGetItem", arn("dynamodb", "table/a")), ("dynamodb:BatchGetItem", arn("dynamodb", "table/b"))]
    assert needs("dynamodb", "BatchWriteItem", RequestItems={"a": []}) == [
        ("dynamodb:BatchWriteItem", arn("dynamodb", "table/a"))]


def test_a_query_or_scan_on_an_index_is_authorized_on_the_index():
    assert needs("dynamodb", "Query", TableName="t", IndexName="GSI1") == [
        ("dynamodb:Query", arn("dynamodb", "table/t/index/GSI1"))]
    assert needs("dynamodb", "Scan", TableName="t") == [("dynamodb:Scan", arn("dynamodb", "table/t"))]


def test_an_email_is_authorized_on_its_sender_identity_and_its_configuration_set():
    assert needs("sesv2", "SendEmail", FromEmailAddress="Leads <leads@example.com>", ConfigurationSetName="cs") == [
        ("ses:SendEmail", arn("ses", "identity/leads@example.com")),
        ("ses:SendEmail", arn("ses", "configuration-set/cs"))]
    assert needs("sesv2", "GetSuppressedDestination", EmailAddress="x@example.com") == [
        ("ses:GetSuppressedDestination", "*")]


def test_a_schedule_is_authorized_in_its_group_and_the_role_it_is_given_is_passed():
    role = "arn:aws:iam::123456789012:role/scheduler"
    assert needs("scheduler", "CreateSchedule", Name="lead-1", GroupName="g", Target={"RoleArn": role}) == [
        ("scheduler:CreateSchedule", arn("scheduler", "schedule/g/lead-1")), ("iam:PassRole", role)]
    assert needs("scheduler", "DeleteSchedule", Name="lead-1") == [
        ("scheduler:DeleteSchedule", arn("scheduler", "schedule/default/lead-1"))]
    assert needs("scheduler", "ListSchedules", NamePrefix="lead-") == [("scheduler:ListSchedules", "*")]


def test_a_queue_is_authorized_by_the_arn_its_url_names():
    for url in ("https://sqs.us-east-1.amazonaws.com/111122223333/q", "http://localhost:4566/111122223333/q"):
        assert needs("sqs", "SendMessageBatch", QueueUrl=url) == [
            ("sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q")]


def test_events_are_authorized_on_the_bus_of_each_entry():
    other = "arn:aws:events:us-east-1:123456789012:event-bus/other"
    assert needs("events", "PutEvents", Entries=[{"EventBusName": "leads"}, {"EventBusName": other}, {}]) == [
        ("events:PutEvents", arn("events", "event-bus/leads")), ("events:PutEvents", other),
        ("events:PutEvents", arn("events", "event-bus/default"))]


def test_a_secret_granted_by_its_arn_is_readable_by_that_arn_a_partial_arn_or_its_name():
    secret = arn("secretsmanager", "secret:app-key-AbC123")
    role = granting((("secretsmanager:GetSecretValue",), (secret,)))
    for secret_id in (secret, arn("secretsmanager", "secret:app-key"), "app-key"):
        [(action, resource)] = needs("secretsmanager", "GetSecretValue", SecretId=secret_id)
        assert role.allows(action, resource), secret_id
    for other in ("app-key-old", "app", arn("secretsmanager", "secret:app-key-XyZ789")):
        [(action, resource)] = needs("secretsmanager", "GetSecretValue", SecretId=other)
        assert not role.allows(action, resource), other


# -- matching grants ---------------------------------------------------------------------


def test_actions_and_resources_match_with_iam_wildcards():
    table = arn("dynamodb", "table/t")
    role = granting((("dynamodb:*",), (table, f"{table}/index/*")),
                    (("scheduler:Get*",), (arn("scheduler", "schedule/default/lead-?"),)))
    assert role.allows("dynamodb:PutItem", table) and role.allows("DynamoDB:query", f"{table}/index/GSI1")
    assert not role.allows("dynamodb:PutItem", f"{table}2") and not role.allows("sqs:SendMessage", table)
    assert role.allows("scheduler:GetSchedule", arn("scheduler", "schedule/default/lead-1"))
    assert not role.allows("scheduler:GetSchedule", arn("scheduler", "schedule/default/lead-12"))
    assert not role.allows("scheduler:DeleteSchedule", arn("scheduler", "schedule/default/lead-1"))
    # An action with no resource-level permission wants a grant on "*".
    assert not role.allows("scheduler:ListSchedules", "*")
    assert granting((("scheduler:ListSchedules",), ("*",))).allows("scheduler:ListSchedules", "*")


def test_an_action_checked_without_a_resource_needs_a_grant_of_the_action_only():
    role = granting((("cloudformation:DescribeStacks",), (arn("cloudformation", "stack/x/*"),)))
    assert role.allows("cloudformation:DescribeStacks", None) and not role.allows("cloudformation:ListStacks", None)


def test_a_domain_s_ses_identity_covers_the_addresses_of_the_domain_only():
    role = granting((("ses:SendEmail",), (arn("ses", "identity/example.com"),)))
    assert role.allows("ses:SendEmail", arn("ses", "identity/leads@example.com"))
    assert not role.allows("ses:SendEmail", arn("ses", "identity/leads@example.org"))


class _OwnNames(dict):
    """Refs and attributes of resources nobody created: each resolves to its own name."""

    def __missing__(self, key: str) -> str:
        return key


def resolver(template: Template, **parameters: str) -> Resolver:
    refs = _OwnNames({**template.parameter_defaults(), **parameters, "AWS::Partition": "aws", "AWS::Region": REGION,
                      "AWS::AccountId": ACCOUNT, "AWS::StackName": "s"})
    return Resolver(refs, _OwnNames(), template.doc.get("Conditions", {}))


def roles(template: Template, **parameters: str) -> dict[str, Permissions]:
    return function_permissions(template, resolver(template, **parameters), stack_name="s", account_id=ACCOUNT)


def test_a_statement_under_a_condition_is_granted_only_when_the_condition_holds():
    topic = arn("sns", "HotLeadTopic.TopicName")
    assert roles(Template(), EnableHotLeadTopic="true")["NotifyFunction"].allows("sns:Publish", topic)
    assert not roles(Template(), EnableHotLeadTopic="false")["NotifyFunction"].allows("sns:Publish", topic)


def function(**properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::Serverless::Function", "Properties": {
        "CodeUri": "functions/capture/", "Handler": "app.handler", "Runtime": "python3.13", **properties}}


def test_a_role_is_resolved_as_in_an_aws_account_even_where_the_local_stack_sets_local_emulation():
    local_only = {"Fn::If": ["IsLocalEmulation", {"Statement": [{"Effect": "Allow", "Action": "sqs:*",
                                                                 "Resource": "*"}]}, {"Ref": "AWS::NoValue"}]}
    template = Template({
        "Parameters": {"LocalEmulation": {"Type": "String", "Default": "false"}},
        "Conditions": {"IsLocalEmulation": {"Fn::Equals": [{"Ref": "LocalEmulation"}, "true"]}},
        "Resources": {"F": function(Policies=[local_only])}})

    assert not roles(template, LocalEmulation="true")["F"].allows("sqs:SendMessage", "*")


@pytest.mark.parametrize("statement", [
    {"Effect": "Deny", "Action": "sqs:*", "Resource": "*"},
    {"Effect": "Allow", "NotAction": "sqs:DeleteQueue", "Resource": "*"},
    {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
])
def test_a_statement_the_local_stack_cannot_check_is_refused_at_deploy(statement):
    template = Template({"Resources": {"F": function(Policies=[{"Statement": [statement]}])}})
    with pytest.raises(ValueError, match="not emulated"):
        roles(template)


def test_a_role_from_outside_the_template_is_refused_at_deploy():
    template = Template({"Resources": {"F": function(Role="arn:aws:iam::123456789012:role/elsewhere")}})
    with pytest.raises(ValueError, match="not a role of the template"):
        roles(template)


# -- on a deployed stack -----------------------------------------------------------------

PROBE = '''import os

import boto3

# At import, as a function reads its configuration at a cold start.
SECRET = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["HASH_KEY_SECRET_ARN"])["ARN"]


def handler(event, context):
    return SECRET
'''


def variant(probe_dir: Path) -> Template:
    """template.yaml with NotifyFunction's ses:SendEmail statement removed (it sends with it), and
    three probes that read the hash key when imported: with SAM's role granting it, with
    SAM's role granting nothing, and with a role of the template's own."""
    doc = load_template()
    notify = doc["Resources"]["NotifyFunction"]["Properties"]
    kept = [p for p in notify["Policies"]
            if not any(s.get("Action") == "ses:SendEmail" for s in (p.get("Statement", []) if isinstance(p, dict) else []))]
    assert len(kept) == len(notify["Policies"]) - 1
    notify["Policies"] = kept
    (probe_dir / "app.py").write_text(PROBE)
    reads_key = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": {"Ref": "HashKeySecret"}}
    probe = {"CodeUri": str(probe_dir), "Handler": "app.handler",
             "Environment": {"Variables": {"HASH_KEY_SECRET_ARN": {"Ref": "HashKeySecret"}}}}
    doc["Resources"].update({
        "GrantedProbe": function(**probe, Policies=[{"Statement": [reads_key]}]),
        "BareProbe": function(**probe),
        "OwnRoleProbe": function(**probe, Role={"Fn::GetAtt": ["ProbeRole", "Arn"]}),
        "ProbeRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "lambda.amazonaws.com"}}]},
            "Policies": [{"PolicyName": "reads-key", "PolicyDocument": {"Statement": [reads_key]}}]}},
    })
    return Template(doc, root=ROOT)


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackPool]:
    with mock_aws():
        yield StackPool(variant(tmp_path_factory.mktemp("probe")))


@pytest.fixture
def stack(pool: StackPool) -> LocalStack:
    stack = pool.stack()  # deployed on the first request only
    pool.restore()
    return stack


@contextmanager
def roles_of(stack: LocalStack, template: Template) -> Iterator[None]:
    """Within the block, the stack's functions have the roles `template` gives them (the
    same resources: the variant only changed roles)."""
    kept = {lid: container.permissions for lid, container in stack.containers.items()}
    for lid, permissions in function_permissions(template, stack.resolve, stack_name=stack.stack_name,
                                                 account_id=stack.account_id).items():
        stack.containers[lid].permissions = permissions
    try:
        yield
    finally:
        for lid, permissions in kept.items():
            stack.containers[lid].permissions = permissions


def sent(stack: LocalStack) -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][stack.region].sent_messages)


def post_hot_lead(stack: LocalStack) -> None:
    body = {"name": "Jane Doe", "email": "jane@acme-corp.com", "phone": "+14155550134", "interest": "quote",
            "company": "Acme"}
    response = stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                                 json.dumps(body).encode())
    assert response.status == 202, response.body
    stack.drain()


def parked(stack: LocalStack, detail_type: str) -> dict[str, Any]:
    """The event of `detail_type` that NotifyFunction's dead-letter queue holds."""
    sqs = stack.client("sqs")
    messages = sqs.receive_message(QueueUrl=stack.resolve({"Ref": "NotifyDeadLetterQueue"}),
                                   MaxNumberOfMessages=10)["Messages"]
    [event] = [e for e in (json.loads(m["Body"]) for m in messages) if e["detail-type"] == detail_type]
    return event


def test_a_function_whose_role_lost_an_action_it_uses_fails_as_in_aws(stack):
    # GIVEN NotifyFunction's role without ses:SendEmail on the sender's identity
    # WHEN a hot lead is captured, scored and assigned
    post_hot_lead(stack)

    # THEN no email goes out: every try is refused, the events land in the dead-letter queue
    assert sent(stack) == []
    assert any(failure.startswith("NotifyFunction:") for failure in stack.failures)
    # AND the call fails as AWS fails it, naming the function, the action and the resource
    with pytest.raises(ClientError) as refused:
        stack.invoke("NotifyFunction", parked(stack, "Lead Assigned"))
    error = refused.value.response["Error"]
    sender = arn("ses", f"identity/{stack.parameters['SenderEmail']}")
    assert error["Code"] == "AccessDeniedException"
    assert "NotifyFunction" in error["Message"] and f"ses:SendEmail on resource: {sender}" in error["Message"]


def test_the_same_call_passes_with_the_role_of_the_real_template(stack):
    post_hot_lead(stack)
    event = parked(stack, "Lead Assigned")

    with roles_of(stack, Template()):
        stack.invoke("NotifyFunction", event)

    assert [m.destinations["ToAddresses"] for m in sent(stack)] == [["olivia@sales.example.com"]]


def test_a_call_at_a_cold_start_is_checked_against_the_function_s_role(stack):
    secret = stack.resolve({"Ref": "HashKeySecret"})
    with pytest.raises(ClientError) as refused:
        stack.module("BareProbe")
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "BareProbe" in refused.value.response["Error"]["Message"]
    assert f"secretsmanager:GetSecretValue on resource: {secret}" in refused.value.response["Error"]["Message"]
    assert stack.containers["BareProbe"].is_cold  # the next invocation starts it again

    # A SAM role granting it, and a role of the template's own, let it start.
    assert stack.module("GrantedProbe").SECRET == secret
    assert stack.module("OwnRoleProbe").SECRET == secret


def test_a_call_outside_any_function_is_not_checked(stack):
    # The stack's and the tests' own calls act as the account: NotifyFunction's role may
    # not send (this variant), the stack's client may.
    answer = stack.client("sesv2").send_email(
        FromEmailAddress=stack.parameters["SenderEmail"], Destination={"ToAddresses": ["olivia@sales.example.com"]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}})
    assert answer["MessageId"] and len(sent(stack)) == 1


def later(minutes: int) -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


def test_with_the_template_s_own_roles_every_function_starts_and_a_lead_s_whole_path_runs(stack):
    """The rest of the suite runs every path under the same check; this names it."""
    functions = {spec.logical_id for spec in Template().functions(stack.resolve)}
    with roles_of(stack, Template()):
        for lid in functions:
            stack.module(lid)  # each cold start's calls
        post_hot_lead(stack)  # capture, score, notify, report
        assert stack.pump_schedules(now=later(16)) == 1  # remind: the SLA passed
        stack.drain()
        [token, *_] = re.findall(r"/actions/([\w.~-]+)", sent(stack)[-1].body)
        assert stack.handle_http("GET", f"/actions/{token}", {}, b"").status == 200
        admin = stack.id_token("admin@sales.example.com")
        assert stack.handle_http("GET", "/leads", {"Authorization": admin}, b"").status == 200
        queued = json.loads((ROOT / "events" / "store-fallback-queued.json").read_text("utf-8"))
        assert stack.invoke("StoreFallbackFunction", queued) == {"batchItemFailures": []}

    assert stack.failures == []
    assert len(sent(stack)) == 2  # the manager's email and the reminder
