"""A person who posts again and again floods nobody's inbox: one email per window, then
one that says how many more visits there were; a rise to hot is told at once."""

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from leadflow.shared.clock import utc_now
from leadflow_local.stack import LocalStack
from support import items_of

PERSON = {"name": "Rita Repeat", "email": "rita@gmail.com", "interest": "ebook"}


def post(stack: LocalStack, n: int, **changes: str) -> None:
    # Each post its own message (else the double-submit check keeps one) and address.
    body = {**PERSON, "message": f"visit {n}", **changes}
    response = stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                                 json.dumps(body).encode(), source_ip=f"198.51.100.{n % 250}")
    assert response.status == 202, response.body


def to_manager(sent: list[Any]) -> list[Any]:
    return [m for m in sent if m.destinations["ToAddresses"] != ["admins@example.com"]]


def window_key(lead: dict[str, Any]) -> dict[str, Any]:
    return {"PK": {"S": f"LEAD#{lead['lead_id']}"}, "SK": {"S": "VISITS"}}


def window_item(stack: LocalStack, lead: dict[str, Any]) -> dict[str, Any]:
    return stack.client("dynamodb").get_item(TableName=stack.table_name(), Key=window_key(lead))["Item"]


def later(minutes: int) -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


def test_twenty_posts_in_a_minute_are_two_emails_not_twenty(stack, table, sent_emails):
    # GIVEN a person who posts the form 20 times in a minute
    for n in range(20):
        post(stack, n)
        stack.drain()

    # THEN the manager got one email (the new lead) and the rest were only noted
    first = to_manager(sent_emails())
    assert len(first) == 1 and "Came back" not in first[0].subject

    # WHEN the window closes
    assert stack.pump_schedules(now=later(31)) >= 1
    stack.drain()

    # THEN one more email says how many more visits there were, with the latest one
    emails = to_manager(sent_emails())
    assert len(emails) == 2
    digest = emails[1]
    assert digest.subject.startswith("Came back")
    assert "19 more visits since the last email" in digest.body and "visit 19" in digest.body
    assert digest.destinations == first[0].destinations  # the same manager

    # AND a window with nothing new tells nothing more
    assert stack.pump_schedules(now=later(70)) == 0
    assert len(to_manager(sent_emails())) == 2


def test_a_rise_to_hot_is_told_at_once_even_in_an_open_window(stack, sent_emails):
    # GIVEN a cold lead whose manager was just told of it, and a second cold visit (noted)
    post(stack, 1)
    stack.drain()
    post(stack, 2)
    stack.drain()
    assert len(to_manager(sent_emails())) == 1

    # WHEN the person comes back asking for a quote, for the company they lead
    post(stack, 3, interest="quote", company="Acme Corp", job_title="CEO", phone="+14155550177",
         company_size="200", country="US")
    stack.drain()

    # THEN the manager is told at once: hot, and what changed
    emails = to_manager(sent_emails())
    assert len(emails) == 2
    assert "→" in emails[1].subject and "HOT" in emails[1].subject.upper()


def test_a_visit_after_the_window_closed_is_told_at_once(stack, table, sent_emails):
    # GIVEN a lead whose manager was told of it, and whose window has since closed
    post(stack, 1)
    stack.drain()
    [lead] = items_of(table, "lead")
    past = utc_now() - timedelta(seconds=1)
    stack.client("dynamodb").update_item(
        TableName=stack.table_name(), Key=window_key(lead), UpdateExpression="SET window_until = :at, until_epoch = :epoch",
        ExpressionAttributeValues={":at": {"S": past.isoformat()}, ":epoch": {"N": str(int(past.timestamp()))}})

    # WHEN the person comes back
    post(stack, 2)
    stack.drain()

    # THEN the manager is told at once, in a plain "came back" email
    emails = to_manager(sent_emails())
    assert len(emails) == 2 and emails[1].subject.startswith("Came back")
    assert "more visits" not in emails[1].body


def test_a_window_waits_among_the_clocks_only_once_a_visit_is_noted_and_its_digest_is_taken_once(
        stack, table, sent_emails):
    # GIVEN a new lead: its email opened a window, with nothing to tell at its end
    post(stack, 1)
    stack.drain()
    [lead] = items_of(table, "lead")
    assert "GSI3PK" not in window_item(stack, lead)  # no sweep will read it

    # WHEN the person comes back within it
    post(stack, 2)
    stack.drain()

    # THEN the window waits among the clocks, due at its end, for its digest
    item = window_item(stack, lead)
    until = item["window_until"]["S"]
    assert item["GSI3PK"] == {"S": "CLOCKS"} and item["GSI3SK"]["S"].startswith(until[:19])
    digest = {"kind": "visits_digest", "lead_id": lead["lead_id"], "manager_id": lead["manager_id"],
              "window_until": until}
    # AND two deliveries of it (two sweeps at once) tell the manager once
    outcomes = [stack.invoke("RemindFunction", digest)["outcome"] for _ in range(2)]
    assert outcomes == ["told", "nothing"]
    assert len(to_manager(sent_emails())) == 2
    assert "GSI3PK" not in window_item(stack, lead)


def test_a_digest_ses_did_not_take_gives_its_visits_to_the_next_window(stack, table, sent_emails, monkeypatch):
    from leadflow.notification.mailer import MailThrottled

    # GIVEN two visits noted in a lead's window, and SES throttling when it closes
    for n in range(3):
        post(stack, n)
        stack.drain()
    remind = stack.module("RemindFunction")
    real_send = remind.mailer.send

    def throttled(email: Any) -> str:
        raise MailThrottled("TooManyRequestsException")

    monkeypatch.setattr(remind.mailer, "send", throttled)

    # WHEN the sweep finds the window closed
    stack.pump_schedules(now=later(31))

    # THEN nothing was sent, and the visits wait in the next window, among the clocks
    assert len(to_manager(sent_emails())) == 1
    [lead] = items_of(table, "lead")
    item = window_item(stack, lead)
    assert item["pending"] == {"N": "2"} and item["GSI3PK"] == {"S": "CLOCKS"}

    # AND when that window closes, with SES back, the manager is told of both
    monkeypatch.setattr(remind.mailer, "send", real_send)
    stack.pump_schedules(now=later(62))
    emails = to_manager(sent_emails())
    assert len(emails) == 2 and "2 more visits since the last email" in emails[1].body


def test_a_noted_visit_wakes_nobody_and_its_redelivery_announces_it_noted_again(stack, table, sent_emails,
                                                                                monkeypatch):
    from leadflow.routing.service import score_and_assign
    from leadflow.shared.events import LEAD_ASSIGNED
    from leadflow.shared.models import Submission

    # GIVEN a new lead, told to its manager
    post(stack, 1)
    stack.drain()
    woken: list[str] = []
    invoke = stack.invoke
    monkeypatch.setattr(stack, "invoke", lambda function_id, event: woken.append(function_id) or invoke(function_id,
                                                                                                         event))

    # WHEN the person comes back within the window
    post(stack, 2)
    stack.drain()

    # THEN the visit is noted: notify is not even woken (its rule filters on `noted_until`)
    assert "NotifyFunction" not in woken and len(to_manager(sent_emails())) == 1
    [lead] = items_of(table, "lead")
    noted = max(items_of(table, "submission"), key=lambda s: s["received_at"])
    assert noted["noted_until"] == window_item(stack, lead)["window_until"]["S"]

    # AND a redelivery of its stream record announces it exactly so again, noted
    published: list[Any] = []

    class Recorder:
        def publish_all(self, entries: list[Any]) -> None:
            published.extend(entries)

    score = stack.module("ScoreFunction")
    routed = score_and_assign(Submission.model_validate(noted), score.store, Recorder(), score.rule_sets,
                              speed_to_lead=score.sla)
    assert routed is not None and routed.replayed
    [assigned] = [detail for detail_type, detail in published if detail_type == LEAD_ASSIGNED]
    assert assigned.noted_until is not None
    assert assigned.model_dump(mode="json")["noted_until"] == noted["noted_until"]
