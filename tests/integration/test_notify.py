"""notify: the assigned manager gets one email, escaped, and nothing is lost on failure."""

import json
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from leadflow.shared.models import ChannelKind, ContactCard, Lead, Manager, Source, Submission
from leadflow.storage.codec import to_item
from leadflow.storage.keys import lead_key, submission_key
from leadflow_local.stack import CallCounter, LocalStack
from support import load_event, stores_of

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


def notify_module(stack: LocalStack) -> Any:
    return stack.module("NotifyFunction")


def put_on_bus(stack: LocalStack, event: dict[str, Any]) -> None:
    stack.client("events").put_events(Entries=[{
        "EventBusName": f"{stack.stack_name}-leads", "Source": event["source"],
        "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"])}])


def test_when_ses_throttles_the_event_is_retried_then_dead_lettered_and_sent_later(stack, monkeypatch):
    # GIVEN SES answers every send with throttling
    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event)
    client = notify_module(stack).mailer.client
    real_send = client.send_email
    throttled = ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate"},
                             "ResponseMetadata": {"HTTPStatusCode": 429}}, "SendEmail")

    def refuse(**kwargs: Any) -> Any:
        raise throttled

    monkeypatch.setattr(client, "send_email", refuse)
    attempts: list[str] = []
    handler = stack.functions["NotifyFunction"]
    stack.functions["NotifyFunction"] = lambda e, c: attempts.append(e["id"]) or handler(e, c)

    # WHEN the bus delivers the event to notify
    put_on_bus(stack, event)
    stack.pump_events()

    # THEN it was tried as often as the template says, nothing was sent, and the event
    # waits in the dead-letter queue
    assert len(attempts) == 1 + stack.specs["NotifyFunction"].properties["EventInvokeConfig"]["MaximumRetryAttempts"]
    assert sent(stack) == []
    [dead] = dead_letters(stack)
    assert dead["detail"]["submission_id"] == event["detail"]["submission_id"]

    # AND once SES accepts again, redriving the dead letter sends exactly one email
    monkeypatch.setattr(client, "send_email", real_send)
    stack.invoke("NotifyFunction", dead)
    stack.invoke("NotifyFunction", dead)
    assert len(sent(stack)) == 1


def test_a_sandbox_rejection_is_dead_lettered_at_once_with_advice_and_no_address(stack, caplog):
    # GIVEN SES refuses the message for good (sender or recipient not verified)
    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event)
    ses = ses_backends[DEFAULT_ACCOUNT_ID][stack.region]
    identity = ses.email_identities.pop("leads@example.com")
    attempts: list[str] = []
    handler = stack.functions["NotifyFunction"]
    stack.functions["NotifyFunction"] = lambda e, c: attempts.append(e["id"]) or handler(e, c)

    put_on_bus(stack, event)
    stack.pump_events()

    # THEN one attempt only (retrying cannot help), the event is parked in the DLQ, and
    # the log says what to do, naming the manager by id, not by address
    assert len(attempts) == 1
    [dead] = dead_letters(stack)
    assert dead["detail"]["submission_id"] == event["detail"]["submission_id"]
    [advice] = [r for r in caplog.records if "SES rejected" in r.getMessage()]
    assert "verify the recipient" in advice.getMessage() and "production access" in advice.getMessage()
    assert "olivia@" not in advice.getMessage() and advice.manager_id == "m-olivia"

    # AND once verified, the redriven event sends exactly one email
    ses.email_identities["leads@example.com"] = identity
    stack.invoke("NotifyFunction", dead)
    stack.invoke("NotifyFunction", dead)
    assert len(sent(stack)) == 1


def test_a_post_reaches_the_right_managers_inbox_through_the_whole_pipeline(stack):
    # GIVEN a Spanish-speaking visitor on a Spanish form
    forms = stores_of(stack).capture
    demo = forms.get_form("demo")
    forms.put_form(demo.model_copy(update={"form_id": "demo-es", "language": "es", "default_country": "ES"}))
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
    assert "Nuevo lead templado para ti, Diego Martín." in message.body and "Teléfono" in message.body
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


def as_manager(event: dict[str, Any], manager_id: str, **detail: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(event))
    copy["detail"].update(manager_id=manager_id, **detail)
    return copy


def test_an_arabic_reading_manager_gets_the_email_in_arabic_right_to_left(stack):
    event = as_manager(load_event("notify-lead-assigned"), "m-layla")
    seed_assignment(stack, event, name=f"ليلى {HOSTILE}")

    stack.invoke("NotifyFunction", event)

    [message] = sent(stack)
    assert message.destinations["ToAddresses"] == ["layla@sales.example.com"]
    assert '<html lang="ar" dir="rtl">' in message.body
    assert "عميل محتمل جديد (ساخن) لك يا Layla Haddad." in message.body
    assert "يريد عرض سعر" in message.subject and message.subject.startswith("[HOT 95] ليلى")
    assert "<script>" not in message.body and "&lt;script&gt;" in message.body


def test_a_returning_lead_gets_a_short_came_back_email_saying_what_changed(stack):
    event = as_manager(load_event("notify-lead-assigned"), "m-diego", is_new_lead=False,
                       previous_temperature="warm")
    seed_assignment(stack, event)

    stack.invoke("NotifyFunction", event)

    [message] = sent(stack)
    assert message.subject.startswith("Ha vuelto, templado → caliente: [HOT 95] Jane Doe")
    assert "Jane Doe ha vuelto con una nueva solicitud." in message.body
    assert "Qué ha cambiado: templado → caliente (puntuación 95)." in message.body
    assert "We need 40 seats before January." in message.body


def test_a_manager_whose_address_bounced_gets_no_email(stack):
    # GIVEN Olivia's address marked: SES reported it bounced (leadflow.notification.bounces)
    from datetime import datetime, timezone

    assert stores_of(stack).roster.set_email_status("m-olivia", "suppressed", datetime.now(timezone.utc))
    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event)

    # WHEN a lead is assigned to her
    result = stack.invoke("NotifyFunction", event)

    # THEN nothing is sent (the admins were told when it bounced), and SES is not asked
    assert sent(stack) == [] and result == {"message_id": None, "suppressed": True}
    calls = {k.split(" ", 1)[1] for k in CallCounter.by_function if k.startswith("NotifyFunction ")}
    assert not any(call.startswith("sesv2.") for call in calls)


def test_hot_leads_also_reach_the_optional_topic_without_contact_data(deploy_stack):
    stack = deploy_stack(parameters={"EnableHotLeadTopic": "true"})
    sqs, sns = stack.client("sqs"), stack.client("sns")
    url = sqs.create_queue(QueueName="team-chat")["QueueUrl"]
    topic = stack.resolve({"Ref": "HotLeadTopic"})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:team-chat",
                  Attributes={"RawMessageDelivery": "true"})
    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event)

    stack.invoke("NotifyFunction", event)

    [message] = sqs.receive_message(QueueUrl=url).get("Messages", [])
    alert = json.loads(message["Body"])
    assert alert["lead_id"] == event["detail"]["lead_id"] and alert["temperature"] == "hot"
    assert alert["points"] == 95 and alert["manager_id"] == "m-olivia" and alert["name"] == "Jane Doe"
    assert "jane.doe@acme-corp.com" not in message["Body"] and "+14155550134" not in message["Body"]


def scored_event(stack: LocalStack, form_id: str, email: str | None, language: str = "en") -> dict[str, Any]:
    """A `Lead Scored` event for a stored submission on `form_id`."""
    from datetime import datetime, timezone

    received = datetime.now(timezone.utc)
    lead_id, submission_id = f"lead-{email}-{received.timestamp()}", f"sub-{received.timestamp()}"
    contact = ContactCard(name=HOSTILE, email=email, phone="+14155550134")
    submission = Submission(submission_id=submission_id, lead_id=lead_id, form_id=form_id, received_at=received,
                            contact=contact, message=HOSTILE, source=Source(form_id=form_id), language=language)
    stack.client("dynamodb").put_item(TableName=stack.table_name(), Item=to_item(
        submission_key(lead_id, received, submission_id), "submission", submission))
    return {"id": submission_id, "source": "leadflow", "detail-type": "Lead Scored", "detail": {
        "lead_id": lead_id, "submission_id": submission_id, "received_at": received.isoformat(), "form_id": form_id,
        "is_new_lead": True, "profile": "b2b", "rule_set_version": "1", "points": 40, "temperature": "warm",
        "parts": [], "change": "first"}}


def with_autoresponder(stack: LocalStack, form_id: str, **update: Any) -> None:
    forms = stores_of(stack).capture
    forms.put_form(forms.get_form(form_id).model_copy(update={"autoresponder": True, **update}))


def test_the_autoresponder_is_off_by_default(stack):
    stack.invoke("NotifyFunction", scored_event(stack, "demo", "visitor@example.org"))

    assert sent(stack) == []


@pytest.mark.parametrize(("form_id", "expected_subject", "expected_text", "direction"), [
    ("demo", "Thank you for your request", "We received your request", "ltr"),
    ("demo-es", "Gracias por su solicitud", "Hemos recibido su solicitud", "ltr"),
    ("demo-ar", "شكرًا لطلبك", "لقد استلمنا طلبك", "rtl"),
])
def test_the_autoresponder_thanks_the_visitor_in_the_forms_language(stack, form_id, expected_subject, expected_text,
                                                                     direction):
    with_autoresponder(stack, form_id)

    stack.invoke("NotifyFunction", scored_event(stack, form_id, "visitor@example.org"))

    [message] = sent(stack)
    assert message.destinations["ToAddresses"] == ["visitor@example.org"]
    assert message.source == "leads@example.com"
    assert message.subject == expected_subject and expected_text in message.body
    assert f'dir="{direction}"' in message.body
    # No open relay: nothing the visitor typed is in the email, only the address
    assert "script" not in message.body and "+14155550134" not in message.body


def test_the_autoresponder_needs_an_email_and_is_rate_limited_per_address(stack):
    with_autoresponder(stack, "demo", autoresponder_subject="Thanks from Acme")

    stack.invoke("NotifyFunction", scored_event(stack, "demo", None))
    for _ in range(5):
        stack.invoke("NotifyFunction", scored_event(stack, "demo", "Visitor@Example.org"))
    event = scored_event(stack, "demo", "other@example.org")
    stack.invoke("NotifyFunction", event)
    stack.invoke("NotifyFunction", event)  # a redelivery

    recipients = [m.destinations["ToAddresses"][0] for m in sent(stack)]
    assert recipients == ["Visitor@Example.org"] * 3 + ["other@example.org"]
    assert {m.subject for m in sent(stack)} == {"Thanks from Acme"}
    # The counter's key does not reveal the address
    items = stack.client("dynamodb").scan(TableName=stack.table_name())["Items"]
    counters = [item["PK"]["S"] for item in items if item["PK"]["S"].startswith("AUTOREPLY#")]
    assert len(counters) == 2 and not any("example" in key.lower() for key in counters)


def test_the_bus_wakes_the_autoresponder_only_for_forms_that_thank_visitors(stack):
    # GIVEN two visitors, one on a form without autoresponder and one on a form with it
    calls: list[str] = []
    handler = stack.functions["NotifyFunction"]
    stack.functions["NotifyFunction"] = lambda e, c: calls.append(e["detail-type"]) or handler(e, c)
    with_autoresponder(stack, "demo-es")
    for form_id, email in (("demo", "ana@acme-corp.com"), ("demo-es", "sofia@consultora.es")):
        stack.handle_http("POST", f"/forms/{form_id}/submissions", {"Content-Type": "application/json"},
                          json.dumps({"name": "X", "email": email, "interest": "quote"}).encode())

    # WHEN the pipeline settles
    stack.drain()

    # THEN notify ran for two assignments and one thank-you, not for the other form's score
    assert sorted(calls) == ["Lead Assigned", "Lead Assigned", "Lead Scored"]
    assert "sofia@consultora.es" in [m.destinations["ToAddresses"][0] for m in sent(stack)]


# -- the signed action links and the farewell ------------------------------------------------


def action_tokens(body: str) -> dict[str, str]:
    return {name: url.rsplit("/", 1)[1]
            for name, url in re.findall(r'<a class="action-([a-z-]+)" href="([^"]+)"', body)}


def deployed_keys(stack: LocalStack) -> Any:
    from leadflow.shared.secrets import SecretKeys

    return SecretKeys(stack.environments["NotifyFunction"]["ACTION_LINK_SECRET_ARN"], stack.client("secretsmanager"))


def test_the_managers_email_carries_links_signed_with_the_deployed_key(stack):
    from datetime import datetime, timedelta, timezone

    from leadflow.lifecycle.links.signing import verify

    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event)
    stack.client("dynamodb").update_item(
        TableName=stack.table_name(), Key={"PK": {"S": f"LEAD#{event['detail']['lead_id']}"}, "SK": {"S": "LEAD"}},
        UpdateExpression="SET manager_id = :m, #s = :s", ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":m": {"S": "m-olivia"}, ":s": {"S": "assigned"}})

    stack.invoke("NotifyFunction", event)

    [message] = sent(stack)
    tokens = action_tokens(message.body)
    assert set(tokens) == {"contacted", "not-interested", "call-later"}
    now = datetime.now(timezone.utc)
    for name, token in tokens.items():
        claims = verify(token, deployed_keys(stack).verification_keys(), now=now)
        assert (claims.lead_id, claims.manager_id, claims.action.value.replace("_", "-")) == (
            event["detail"]["lead_id"], "m-olivia", name)
        assert now + timedelta(days=6) < claims.expires_at() <= now + timedelta(days=7)
    assert f"{stack.public_url}/actions/" in message.body


def test_an_email_about_a_lead_no_longer_theirs_has_no_links(stack):
    # The seeded lead has no manager (as if moved on meanwhile): a link would only say so
    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event)

    stack.invoke("NotifyFunction", event)

    [message] = sent(stack)
    assert "/actions/" not in message.body


def test_when_the_key_cannot_be_read_the_email_still_goes_without_links(stack, monkeypatch, caplog):
    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event)
    stack.client("dynamodb").update_item(
        TableName=stack.table_name(), Key={"PK": {"S": f"LEAD#{event['detail']['lead_id']}"}, "SK": {"S": "LEAD"}},
        UpdateExpression="SET manager_id = :m", ExpressionAttributeValues={":m": {"S": "m-olivia"}})
    keys = notify_module(stack).links.keys

    def denied(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetSecretValue")

    monkeypatch.setattr(keys.client, "get_secret_value", denied)

    stack.invoke("NotifyFunction", event)

    [message] = sent(stack)
    assert message.subject.startswith("[HOT 95] Jane Doe") and "/actions/" not in message.body
    assert any("action links left out" in r.getMessage() for r in caplog.records)


def seed_rejected_lead(stack: LocalStack, event: dict[str, Any], email: str | None = "jane.doe@acme-corp.com",
                       status: str = "rejected", language: str = "en") -> None:
    """The lead a farewell sample event names, rejected, with one submission in `language`."""
    from datetime import datetime, timezone

    received = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
    lead_id = event["detail"]["lead_id"]
    contact = ContactCard(name=HOSTILE, email=email, phone="+14155550134", company="Acme Corp")
    source = Source(form_id="demo", channel=ChannelKind.INBOUND)
    lead = Lead(lead_id=lead_id, contact=contact, source=source, created_at=received, last_seen_at=received,
                status=status, manager_id="m-olivia")
    submission = Submission(submission_id="s-1", lead_id=lead_id, form_id="demo", received_at=received,
                            contact=contact, source=source, language=language, message=HOSTILE)
    ddb = stack.client("dynamodb")
    ddb.put_item(TableName=stack.table_name(), Item=to_item(lead_key(lead_id), "lead", lead))
    ddb.put_item(TableName=stack.table_name(),
                 Item=to_item(submission_key(lead_id, received, "s-1"), "submission", submission))


def test_a_rejected_lead_gets_one_farewell_in_its_language_with_its_questionnaire(stack):
    from leadflow.lifecycle.links.signing import LinkAction, verify

    event = load_event("notify_farewell")
    seed_rejected_lead(stack, event, language="ar")

    stack.invoke("NotifyFunction", event)
    stack.invoke("NotifyFunction", event)  # redelivered
    stack.invoke("NotifyFunction", {**event, "id": "published-again"})

    [message] = sent(stack)
    assert message.destinations["ToAddresses"] == ["jane.doe@acme-corp.com"]
    assert message.subject == "شكرًا لاهتمامك" and '<html lang="ar" dir="rtl">' in message.body
    assert "script" not in message.body and "Olivia Closer" in message.body
    [url] = re.findall(r'class="feedback-link" href="([^"]+)"', message.body)
    assert url.startswith(f"{stack.public_url}/feedback/")
    claims = verify(url.rsplit("/", 1)[1], deployed_keys(stack).verification_keys(), kinds=[LinkAction.FEEDBACK])
    assert claims.lead_id == event["detail"]["lead_id"] and claims.manager_id is None


@pytest.mark.parametrize(("email", "status", "outcome"), [
    (None, "rejected", "no_email"), ("jane.doe@acme-corp.com", "assigned", "not_rejected"),
], ids=["no-email", "not-rejected"])
def test_no_farewell_without_an_address_or_a_rejection(stack, email, status, outcome):
    event = load_event("notify_farewell")
    seed_rejected_lead(stack, event, email=email, status=status)

    result = stack.invoke("NotifyFunction", event)

    assert sent(stack) == [] and result["outcome"] == outcome


def test_the_bus_wakes_notify_for_a_farewell_only(stack):
    calls: list[str] = []
    handler = stack.functions["NotifyFunction"]
    stack.functions["NotifyFunction"] = lambda e, c: calls.append(e["detail"].get("farewell")) or handler(e, c)
    event = load_event("notify_farewell")
    seed_rejected_lead(stack, event)

    put_on_bus(stack, {**event, "detail": {**event["detail"], "farewell": False}})
    put_on_bus(stack, event)
    stack.pump_events()

    assert calls == [True] and len(sent(stack)) == 1


# -- one email per assignment: the claim on the submission -------------------------------------------------


def notify_calls() -> dict[str, int]:
    return {k.split(" ", 1)[1]: v for k, v in CallCounter.by_function.items() if k.startswith("NotifyFunction ")}


def test_a_new_leads_email_costs_two_calls_and_leaves_no_copy_of_the_contact(stack, table):
    from support import post_hot_lead

    # WHEN a new lead goes through the pipeline
    CallCounter.reset()
    lead_id = post_hot_lead(stack)

    # THEN notify claimed the email and read what it needs (the notice the assignment left
    # on the submission) in one call, and sent it: the assignment itself started the
    # speed-to-lead clock and opened the visits window (the links' key is read once
    # per container)
    calls = notify_calls()
    calls.pop("secretsmanager.GetSecretValue", None)
    assert calls == {"dynamodb.UpdateItem": 1, "sesv2.SendEmail": 1}
    assert len(sent(stack)) == 1
    # AND the claim took the notice off the submission: no second copy of the contact stays
    [submission] = [i for i in table.query(KeyConditionExpression="PK = :pk",
                                           ExpressionAttributeValues={":pk": f"LEAD#{lead_id}"})["Items"]
                    if i["SK"].startswith("SUB#")]
    assert "notice" not in submission and submission["email_done#m-olivia"].startswith("claimed ")


def claim_held(stack: LocalStack, event: dict[str, Any], *, until_ms: int) -> None:
    """A claim of the kind notify made before claims were for good: held until a time
    (deployed while one such invocation was still running)."""
    detail = event["detail"]
    stack.client("dynamodb").update_item(
        TableName=stack.table_name(),
        Key={"PK": {"S": f"LEAD#{detail['lead_id']}"},
             "SK": {"S": f"SUB#{detail['received_at'].replace('Z', '+00:00')}#{detail['submission_id']}"}},
        UpdateExpression="SET #claim = :until", ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeNames={"#claim": f"email_claim#{detail['manager_id']}"},
        ExpressionAttributeValues={":until": {"N": str(until_ms)}})


def test_a_delivery_while_an_earlier_kind_of_claim_is_held_is_retried_and_sends_nothing(stack):
    import time

    from leadflow.notification.store import EmailInProgress

    # GIVEN an invocation of the previous version claimed the email a moment ago
    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event)
    claim_held(stack, event, until_ms=int(time.time() * 1000) + 60_000)

    # WHEN a duplicate delivery comes meanwhile
    with pytest.raises(EmailInProgress):
        stack.invoke("NotifyFunction", event)

    # THEN it sent nothing (Lambda retries it later, when the claim ran out)
    assert sent(stack) == []


def test_an_earlier_kind_of_claim_that_ran_out_is_taken_over_and_the_email_sent_once(stack):
    import time

    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event)
    claim_held(stack, event, until_ms=int(time.time() * 1000) - 100_000)

    stack.invoke("NotifyFunction", event)

    assert len(sent(stack)) == 1
    assert stack.invoke("NotifyFunction", event) == {"duplicate": True}
    assert len(sent(stack)) == 1


def test_when_ses_may_have_taken_the_email_the_retry_sends_nothing_and_the_clock_still_runs(stack, monkeypatch):
    from botocore.exceptions import ReadTimeoutError

    from support import post_hot_lead, running_clock

    # GIVEN SES does not answer in time: it may have taken the email, or not
    client = notify_module(stack).mailer.client
    real_send = client.send_email
    answers: list[str] = []

    def slow(**kwargs: Any) -> Any:
        answers.append("sent, answer lost")
        real_send(**kwargs)  # SES took it; the answer never came back
        raise ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com")

    monkeypatch.setattr(client, "send_email", slow)

    # WHEN a new lead's email meets it, and Lambda retries the failed invocation
    lead_id = post_hot_lead(stack)
    monkeypatch.setattr(client, "send_email", real_send)

    # THEN the retries sent no second email (the claim was kept: never two emails for one)
    assert answers == ["sent, answer lost"] and len(sent(stack)) == 1
    # AND had SES not taken it, the lead's speed-to-lead clock still reminds the manager
    assert running_clock(stack, lead_id)["attempt"] == 1


def test_concurrent_deliveries_of_one_assignment_send_one_email(stack):
    import threading

    from leadflow.notification.store import EmailDone

    event = load_event("notify-lead-assigned")
    seed_assignment(stack, event)
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def deliver() -> None:
        start.wait()
        try:
            outcomes.append(str(stack.invoke("NotifyFunction", event)))
        except EmailDone as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == 4 and len(sent(stack)) == 1
