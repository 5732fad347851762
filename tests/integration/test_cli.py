"""The `leadflow` command against a deployed stack (moto in process): each subcommand
drives the same domain services as the leads API, on the resources its target names;
`--stack` finds them through CloudFormation."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from leadflow.shared.events import LEAD_ERASED, SOURCE
from leadflow.shared.models import ContactCard
from leadflow_cli.main import main
from leadflow_cli.target import Target
from leadflow_local.stack import LocalStack
from support import api_event, claims_of, cli_target, running_clock, stores_of

ADMIN = claims_of(admin=True)


def leadflow(*argv: str, target: Target | None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), target=target, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def post(stack: LocalStack, **fields: str) -> str:
    """A form post through the whole pipeline (score, assign, notify, report counters); the lead's id."""
    response = stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                                 json.dumps(fields).encode())
    assert response.status == 202, response.body
    stack.drain()
    lead_id = stores_of(stack).capture.find_lead_id(ContactCard(name="-", email=fields.get("email")))
    assert lead_id
    return lead_id


# -- rules -----------------------------------------------------------------------------------


def test_rules_show_says_what_scores_each_profile_now(stack, tmp_path):
    target = cli_target(stack)
    document = json.loads(leadflow("rules", "default", "b2c", target=None)[1])
    path = tmp_path / "b2c.json"
    path.write_text(json.dumps({**document, "version": "acme-b2c-1"}), encoding="utf-8")
    assert leadflow("rules", "put", str(path), target=target)[0] == 0

    code, out, _err = leadflow("rules", "show", "--json", target=target)

    assert code == 0
    assert [(s["profile"], s["in_force"], s["rule_set"]["version"]) for s in json.loads(out)["rule_sets"]] == [
        ("b2b", "default", document["version"].replace("b2c", "b2b")), ("b2c", "override", "acme-b2c-1")]
    text = leadflow("rules", "show", "b2c", target=target)[1]
    assert text.startswith("b2c: override stored in the table, version acme-b2c-1\n")


def test_an_override_the_scorer_cannot_use_is_shown_as_ignored(stack):
    # Written around the command (an older version, a hand edit): the scorer skips it.
    stores_of(stack).routing.put_rule_set_json("b2b", json.dumps({"version": "x", "profile": "b2b"}), "x")

    code, out, _err = leadflow("--json", "rules", "show", "b2b", target=cli_target(stack))

    [shown] = json.loads(out)["rule_sets"]
    assert (code, shown["in_force"]) == (0, "default")
    assert "field 'thresholds': Field required" in shown["override_problems"]


# -- report ----------------------------------------------------------------------------------


def test_report_answers_what_get_reports_answers(stack):
    post(stack, name="Ana Ruiz", email="ana@acme-corp.com", phone="+14155550100", interest="quote",
         utm_source="google")
    post(stack, name="Bo Li", email="bo@gmail.com", interest="ebook")
    api = stack.invoke("LeadsApiFunction", api_event("GET", "/reports", claims=ADMIN,
                                                     query={"by": "channel,temperature"}))

    code, out, err = leadflow("report", "--by", "channel,temperature", "--json", target=cli_target(stack))

    assert (code, err) == (0, "")
    assert json.loads(out) == json.loads(api["body"])
    assert [(r["value"], r["leads"]) for r in json.loads(out)["dimensions"]["all"]] == [("all", 2)]


def test_report_prints_a_table_per_dimension(stack):
    post(stack, name="Ana Ruiz", email="ana@acme-corp.com", phone="+14155550100", interest="quote")

    code, out, _err = leadflow("report", "--by", "temperature", target=cli_target(stack))

    rows = [line.split() for line in out.splitlines()]
    assert code == 0
    assert ["all", "1", "0", "0", "0", "0.0%", "-", "-", "-", "-"] in rows
    assert ["hot", "1", "0", "0", "0", "0.0%", "-", "-", "-", "-"] in rows
    assert ["cold", "0", "0", "0", "0", "-", "-", "-", "-", "-"] in rows
    # and each temperature's first calls against the stack's SLA (its SpeedToLeadSla output)
    assert "speed to lead (first contact within the SLA)" in out
    assert ["hot", "15", "min", "1", "0", "0", "-", "-"] in rows
    assert ["cold", "2", "d", "0", "0", "0", "-", "-"] in rows


# -- erase -----------------------------------------------------------------------------------


@pytest.fixture
def erased_events(stack: LocalStack):
    """`Lead Erased` events on the stack's bus, through a rule of this test's own."""
    sqs, events = stack.client("sqs"), stack.client("events")
    url = sqs.create_queue(QueueName="cli-erasures")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = cli_target(stack).event_bus_name
    events.put_rule(Name="cli-erasures", EventBusName=bus,
                    EventPattern=json.dumps({"source": [SOURCE], "detail-type": [LEAD_ERASED]}))
    events.put_targets(Rule="cli-erasures", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

    def received() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"])["detail"] for m in messages]

    return received


def test_erase_erases_the_person_records_the_operator_and_announces_it(stack, erased_events):
    lead_id = post(stack, name="Jane Doe", email="jane.doe@acme-corp.com", phone="+14155550134", interest="quote",
                   company="Acme Corp")
    assert running_clock(stack, lead_id)  # the speed-to-lead reminder the erasure must cancel

    code, out, err = leadflow("--json", "erase", "--email", "Jane.Doe@Acme-Corp.com", target=cli_target(stack))

    assert (code, err) == (0, "")
    record = json.loads(out)
    assert record["lead_ids"] == [lead_id] and record["matched_by"] == "email"
    assert record["by"].startswith("cli:arn:aws:")  # the operator's AWS identity
    assert record["counts"]["reminders_cancelled"] == 1 and record["events_published"] is True
    assert running_clock(stack, lead_id) is None
    assert [(e["lead_id"], e["erasure_id"]) for e in erased_events()] == [(lead_id, record["erasure_id"])]
    card = stores_of(stack).lifecycle.get_lead(lead_id)
    assert card.contact.name == "erased" and card.contact.email is None and card.contact.phone is None
    assert "jane" not in out.casefold() and "4155550134" not in out  # the answer holds no personal data


def test_erase_by_a_national_phone_with_its_country_finds_the_person(stack):
    lead_id = post(stack, name="Jane Doe", email="jane.doe@acme-corp.com", phone="+14155550134", interest="quote")

    code, out, _err = leadflow("erase", "--phone", "(415) 555-0134", "--country", "US", target=cli_target(stack))

    assert code == 0
    assert out.startswith("erasure ") and f"by phone: 1 lead(s) erased: {lead_id}\n" in out
    assert "Lead Erased published on the bus" in out


def test_erasing_nobody_is_recorded_and_said(stack):
    code, out, _err = leadflow("erase", "--email", "nobody@example.com", target=cli_target(stack))

    assert code == 0
    assert "nobody found (or erased before); the request is recorded" in out


# -- --stack: the target from CloudFormation -------------------------------------------------


def _create_stack(stack: LocalStack, name: str, outputs: dict[str, str]) -> None:
    """A CloudFormation stack (moto's) whose outputs this test chooses."""
    template = {"Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {key: {"Value": value} for key, value in outputs.items()}}
    stack.client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))


def test_stack_finds_the_resources_from_the_stacks_outputs(stack):
    deployed = cli_target(stack)
    _create_stack(stack, "acme-leads", {"TableName": deployed.table_name, "EventBusName": deployed.event_bus_name})
    stores_of(stack).routing.put_rule_set_json("b2b", leadflow("rules", "default", "b2b", target=None)[1], "v")

    code, out, err = leadflow("--stack", "acme-leads", "--region", stack.region, "rules", "show", "b2b", "--json",
                              target=None)

    assert (code, err) == (0, "")
    assert json.loads(out)["rule_sets"][0]["in_force"] == "override"  # read from the deployed table


def test_stack_names_what_it_cannot_find(stack):
    _create_stack(stack, "not-leadflow", {"Something": "else"})
    deployed = cli_target(stack)
    _create_stack(stack, "half-leadflow", {"TableName": deployed.table_name, "EventBusName": "b"})

    missing = leadflow("--stack", "nope", "--region", stack.region, "report", target=None)
    foreign = leadflow("--stack", "not-leadflow", "--region", stack.region, "report", target=None)
    no_key = leadflow("--stack", "half-leadflow", "--region", stack.region, "erase", "--email", "a@b.co", target=None)

    assert missing == (2, "", f"leadflow report: error: no stack 'nope' in {stack.region} (check --stack and "
                              f"--region)\n")
    assert foreign[0] == 2 and "has no TableName or EventBusName output: is it a Leadflow stack?" in foreign[2]
    assert no_key[0] == 2 and "stack half-leadflow (us-east-1) has no HashKeySecret" in no_key[2]


def test_the_local_stack_describes_itself_as_cloudformation_would(stack, deploy_stack):
    # What the dev server answers on /_local/stack.json for `leadflow --local`.
    with_topic = deploy_stack(parameters={"EnableHotLeadTopic": "true"})

    outputs = stack.outputs()
    assert outputs["ApiUrl"] == "http://127.0.0.1:3000"  # the local server, which serves the stage at its root
    assert outputs["TableName"] == stack.table_name()
    assert "HotLeadTopicArn" not in outputs  # its Condition does not hold
    assert with_topic.outputs()["HotLeadTopicArn"].startswith("arn:aws:sns:")
    resources = stack.resource_ids()
    assert resources["HashKeySecret"].startswith("arn:aws:secretsmanager:")
    assert resources["ReminderScheduleGroup"] == stack.schedule_group()
