"""notify: the assigned manager gets one email, escaped, and nothing is lost on failure."""

import json
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from leadflow.models import ChannelKind, ContactCard, Lead, Manager, Source, Submission
from leadflow.repository import LeadRepository, lead_key, submission_key, to_item
from leadflow_local.stack import LocalStack
from support import load_event

HOSTILE = '<script>alert("x")</script>'


def seed_assignment(stack: LocalStack, event: dict[str, Any], name: str = "Jane Doe",
                    message: str = "We need 40 seats before January.") -> None:
    """Store the lead and submission a `Lead Assigned` sample event refers to."""
    detail = event["detail"]
    from datetime import datetime

    received = datetime.fromisoformat(detail["received_at"].replace("Z", "+00:00"))
    contact = ContactCard(name=name, email="jane.doe@acme-corp.com", phone="+14155550134", company="Acme Corp")
    source = Source(form_id="demo", channel=ChannelKind.INBOUND, utm_source="google", utm_medium="cpc",
                    utm_campaign="winter-sale")
    submission = Submission(submission_id=detail["submission_id"], lead_id=detail["lead_id"], form_id="demo",
                            received_at=received, contact=contact, interest="quote", message=message, source=source)
    lead = Lead(lead_id=detail["lead_id"], contact=contact, source=source, created_at=received, last_seen_at=received)
    ddb = stack.client("dynamodb")
    ddb.put_item(TableName=stack.table_name(), Item=to_item(lead_key(lead.lead_id), "lead", lead))
    ddb.put_item(TableName=stack.table_name(),
                 Item=to_item(submission_key(lead.lead_id, received, submission.submission_id), "submission", submission))


def sent(stack: LocalStack) -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][stack.region].sent_messages)


def dead_letters(stack: LocalStack) -> list[dict[str, Any]]:
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=f"{stack.stack_name}-NotifyDeadLetterQueue")["QueueUrl"]
    return [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]


def test_the_assigned_manager_gets_the_lead_by_email(stack):
    # GIVEN a stored lead assigned to Olivia (tier 1), as the sample event says
    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event)

    # WHEN notify receives the event
    stack.invoke("NotifyFunction", event)

    # THEN Olivia has one email with the temperature, score, name, company and intent
    [message] = sent(stack)
    assert message.destinations["ToAddresses"] == ["olivia@sales.example.com"]
    assert message.source == "leads@example.com"
    assert message.subject == "[HOT 95] Jane Doe — Acme Corp — wants a quote"
    # AND the body has what she needs to call: contact links, message, source, score
    for expected in ('href="tel:+14155550134"', 'href="mailto:jane.doe@acme-corp.com"',
                     "We need 40 seats before January.", "inbound / google / winter-sale", "95 (hot)"):
        assert expected in message.body


def test_user_input_is_escaped_in_the_email(stack):
    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event, name=f"Jane {HOSTILE}", message=f"<img src=x onerror=alert(1)>{HOSTILE}")

    stack.invoke("NotifyFunction", event)

    [message] = sent(stack)
    assert "<script>" not in message.body and "<img src=x" not in message.body
    assert "&lt;script&gt;" in message.body and "&lt;img src=x onerror=alert(1)&gt;" in message.body
    assert "\n" not in message.subject and "\r" not in message.subject


def test_a_redelivered_event_sends_nothing_twice(stack):
    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event)

    stack.invoke("NotifyFunction", event)
    # EventBridge delivers at least once; the score function may also republish the
    # same assignment (with a new event id) when its stream record is retried.
    stack.invoke("NotifyFunction", event)
    stack.invoke("NotifyFunction", {**event, "id": "another-delivery-of-the-same-assignment"})

    assert len(sent(stack)) == 1


def test_a_reassignment_to_another_manager_is_a_new_email(stack):
    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event)
    stack.invoke("NotifyFunction", event)

    reassigned = json.loads(json.dumps(event))
    reassigned["detail"]["manager_id"] = "m-layla"
    stack.invoke("NotifyFunction", reassigned)

    assert [m.destinations["ToAddresses"] for m in sent(stack)] == [
        ["olivia@sales.example.com"], ["layla@sales.example.com"]]


def test_when_ses_refuses_the_event_is_retried_then_dead_lettered_and_sent_later(stack):
    # GIVEN the sender identity is not verified (SES refuses every message)
    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event)
    ses = ses_backends[DEFAULT_ACCOUNT_ID][stack.region]
    identity = ses.email_identities.pop("leads@example.com")
    attempts: list[str] = []
    handler = stack.functions["NotifyFunction"]
    stack.functions["NotifyFunction"] = lambda e, c: attempts.append(e["id"]) or handler(e, c)

    # WHEN the bus delivers the event to notify
    stack.client("events").put_events(Entries=[{
        "EventBusName": f"{stack.stack_name}-leads", "Source": event["source"],
        "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"])}])
    stack.pump_events()

    # THEN it was tried as often as the template says, nothing was sent, and the event
    # waits in the dead-letter queue
    assert len(attempts) == 1 + stack.specs["NotifyFunction"].properties["EventInvokeConfig"]["MaximumRetryAttempts"]
    assert sent(stack) == []
    [dead] = dead_letters(stack)
    assert dead["detail"]["submission_id"] == event["detail"]["submission_id"]

    # AND once SES accepts again, redriving the dead letter sends exactly one email
    ses.email_identities["leads@example.com"] = identity
    stack.invoke("NotifyFunction", dead)
    stack.invoke("NotifyFunction", dead)
    assert len(sent(stack)) == 1


def test_a_post_reaches_the_right_managers_inbox_through_the_whole_pipeline(stack):
    # GIVEN a Spanish-speaking visitor on a Spanish form
    repository = LeadRepository(stack.table_name(), stack.client("dynamodb"))
    demo = repository.get_form("demo")
    repository.put_form(demo.model_copy(update={"form_id": "demo-es", "language": "es", "default_country": "ES"}))
    body = {"name": "María José Núñez", "email": "mjose@consultora.es", "phone": "612 345 678", "interest": "question"}

    # WHEN the form is posted and the pipeline settles
    response = stack.handle_http("POST", "/forms/demo-es/submissions", {"Content-Type": "application/json"},
                                 json.dumps(body).encode())
    stack.drain()

    # THEN the warm lead went to the tier-2 manager who reads Spanish, exactly once
    assert response.status == 202
    [message] = sent(stack)
    assert message.destinations["ToAddresses"] == ["diego@sales.example.com"]
    assert message.subject.startswith("[WARM ") and "María José Núñez" in message.subject
    assert stack.failures == []


def test_managers_never_see_each_others_leads_in_their_email(stack):
    # Two leads for two managers: each email holds only its own lead's contact data.
    for email in ("one@acme-corp.com", "two@acme-corp.com"):
        stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"}, json.dumps({
            "name": email.split("@")[0], "email": email, "interest": "quote", "company": "Acme"}).encode())
    stack.drain()

    messages = sent(stack)
    assert len(messages) == 2
    assert len({m.destinations["ToAddresses"][0] for m in messages}) == 2
    for message in messages:
        assert ("one@acme-corp.com" in message.body) != ("two@acme-corp.com" in message.body)


def test_managers_are_models_the_email_can_use():
    # The seed file is valid data: every demo manager parses and has a reachable address.
    from leadflow_local.stack import SEED_PATH

    managers = [Manager.model_validate(m) for m in json.loads(SEED_PATH.read_text("utf-8"))["managers"]]
    assert {m.tier for m in managers} == {1, 2, 3}
    assert any("es" in m.languages for m in managers) and any("ar" in m.languages for m in managers)
