"""The signed links in emails, on the deployed stack (moto): a manager acts on a lead
from its email (GET shows, POST changes), every broken link says why without acting,
and a rejected lead's farewell carries a questionnaire that keeps one answer."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from leadflow.lifecycle.links.signing import ActionLinks, LinkAction, LinkClaims, sign
from leadflow.shared.events import LEAD_STATUS_CHANGED, SOURCE
from leadflow.shared.models import ContactCard, LeadStatus
from leadflow.shared.secrets import SecretKeys
from leadflow_local.stack import CallCounter, HttpResponse, LocalStack, api_gateway_event
from support import load_event, post_hot_lead, stores_of

S = LeadStatus
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
HOSTILE = '<script>alert("x")</script>'
# What a GET may do: read the lead, the manager, the submission, the key.
READS = {"dynamodb.GetItem", "dynamodb.Query", "dynamodb.BatchGetItem", "secretsmanager.GetSecretValue"}


class Bus:
    """A rule on the stack's bus sending `Lead Status Changed` to a queue this test reads."""

    def __init__(self, stack: LocalStack) -> None:
        name = f"{stack.stack_name}-leads"
        self.sqs = stack.client("sqs")
        self.url = self.sqs.create_queue(QueueName="link-events")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events = stack.client("events")
        events.put_rule(Name="link-events", EventBusName=name,
                        EventPattern=json.dumps({"source": [SOURCE], "detail-type": [LEAD_STATUS_CHANGED]}))
        events.put_targets(Rule="link-events", EventBusName=name, Targets=[{"Id": "q", "Arn": arn}])

    def received(self) -> list[dict[str, Any]]:
        found = []
        while messages := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                found.append(json.loads(message["Body"])["detail"])
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return found


@pytest.fixture
def bus(stack: LocalStack) -> Bus:
    return Bus(stack)


def links_in(body: str) -> dict[str, str]:
    """The action links of a manager's email (HTML part), as paths on the local stack."""
    found = dict(re.findall(r'<a class="action-([a-z-]+)" href="([^"]+)"', body))
    return {name.replace("-", "_"): urlsplit(url).path for name, url in found.items()}


def lead_with_links(stack: LocalStack, sent_emails: Any, email: str = "jane@acme-corp.com") -> tuple[str, dict]:
    """A hot lead through the pipeline; its id and the links in its manager's email."""
    lead_id = post_hot_lead(stack, email)
    [message] = [m for m in sent_emails() if m.subject.startswith("[HOT ")]
    return lead_id, links_in(message.body)


def keys(stack: LocalStack) -> SecretKeys:
    """The deployed key (the template's ActionLinkSecret, created on moto by the stack)."""
    return SecretKeys(stack.environments["ActionsFunction"]["ACTION_LINK_SECRET_ARN"], stack.client("secretsmanager"))


def token_for(stack: LocalStack, lead_id: str, manager_id: str | None, action: LinkAction,
              expires: datetime | None = None) -> str:
    expires = expires or datetime.now(timezone.utc) + timedelta(days=1)
    claims = LinkClaims(lead_id=lead_id, manager_id=manager_id, action=action, expires=int(expires.timestamp()))
    return sign(claims, keys(stack).signing_key())


def get(stack: LocalStack, path: str, **headers: str) -> HttpResponse:
    return stack.handle_http("GET", path, dict(headers), b"")


def post(stack: LocalStack, path: str, fields: dict[str, str]) -> HttpResponse:
    return stack.handle_http("POST", path, FORM, urlencode(fields).encode())


def code_of(response: HttpResponse) -> str:
    return response.headers["X-Leadflow-Code"]


def page(response: HttpResponse) -> str:
    return response.body.decode("utf-8")


def partition(stack: LocalStack, lead_id: str) -> list[dict[str, Any]]:
    ddb = stack.client("dynamodb")
    return ddb.query(TableName=stack.table_name(), KeyConditionExpression="PK = :pk", ConsistentRead=True,
                     ExpressionAttributeValues={":pk": {"S": f"LEAD#{lead_id}"}})["Items"]


def kinds(stack: LocalStack, lead_id: str) -> list[str]:
    return [a.kind for a in stores_of(stack).history(lead_id)]


# -- a manager acts from the email --------------------------------------------------------


def test_the_email_carries_three_links_whose_pages_show_the_lead_and_change_nothing(stack, sent_emails, bus):
    # GIVEN a manager's email about a new lead
    lead_id, links = lead_with_links(stack, sent_emails)
    [message] = sent_emails()
    assert set(links) == {"contacted", "not_interested", "call_later"}
    assert "Act from this email" in message.body and "the links work for 7 days" in message.body
    for path in links.values():  # ids only in a link: no name, no email
        assert path.startswith("/actions/")
        payload = json.loads(base64.urlsafe_b64decode(path.split("/")[-1].split(".")[0] + "=="))
        assert payload["l"] == lead_id and set(payload) == {"v", "l", "m", "a", "e"}
    before = partition(stack, lead_id)
    CallCounter.reset()

    # WHEN a mail scanner, then the manager, open every link (twice)
    answers = [get(stack, path) for path in list(links.values()) * 2]

    # THEN each shows its confirmation page, with the lead and a form posting to itself
    assert [a.status for a in answers] == [200] * 6 and {code_of(a) for a in answers} == {"confirm"}
    contacted = page(answers[0])
    assert "Mark as contacted" in contacted and "Jane Doe" in contacted and "Acme Corp" in contacted
    assert '<form method="post">' in contacted
    rejecting = page(answers[1])
    assert '<select id="reason" name="reason" required>' in rejecting
    assert '<option value="no_budget">No budget</option>' in rejecting and 'name="farewell"' in rejecting
    later = page(answers[2])
    tomorrow = datetime.now(timezone.utc).date() + timedelta(days=1)
    assert f'min="{tomorrow.isoformat()}"' in later and f'value="{(tomorrow + timedelta(days=6)).isoformat()}"' in later
    # AND nothing was written or announced: the lead and its history are as they were
    assert partition(stack, lead_id) == before
    operations = {call.split(" ", 1)[1] for call in CallCounter.by_function if call.startswith("ActionsFunction ")}
    assert operations and operations <= READS, operations
    assert bus.received() == []
    # AND every page is private, unframeable and runs no script
    for response in (answers[0], get(stack, "/actions/not-a-token")):
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "noindex" in response.headers["X-Robots-Tag"]
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
        assert "<script" not in page(response)


def test_contacted_from_the_email_changes_the_lead_with_history_and_an_event(stack, sent_emails, bus):
    lead_id, links = lead_with_links(stack, sent_emails)
    manager_id = stores_of(stack).lifecycle.get_lead(lead_id).manager_id

    response = post(stack, links["contacted"], {"note": "Called, demo on Friday"})

    assert response.status == 200 and code_of(response) == "contacted"
    assert "Jane Doe is marked as contacted." in page(response)
    lead = stores_of(stack).lifecycle.get_lead(lead_id)
    assert lead.status == S.CONTACTED and lead.contacted_at is not None
    [activity] = [a for a in stores_of(stack).history(lead_id) if a.kind == "contacted"]
    assert activity.detail["by"] == manager_id and activity.detail["note"] == "Called, demo on Friday"
    [event] = bus.received()
    assert (event["from_status"], event["to_status"], event["by"]) == ("assigned", "contacted", manager_id)


def test_not_interested_closes_the_lead_with_the_chosen_reason_and_note_and_no_farewell(stack, sent_emails, bus):
    lead_id, links = lead_with_links(stack, sent_emails)

    response = post(stack, links["not_interested"], {"reason": "competitor", "note": f"Went with X {HOSTILE}"})
    stack.drain()

    assert response.status == 200 and code_of(response) == "rejected"
    assert "Jane Doe is closed as not interested." in page(response) and "goodbye" not in page(response)
    lead = stores_of(stack).lifecycle.get_lead(lead_id)
    assert lead.status == S.REJECTED and lead.rejection_reason == "competitor"
    [activity] = [a for a in stores_of(stack).history(lead_id) if a.kind == "rejected"]
    assert activity.detail["reason"] == "competitor" and activity.detail["note"] == f"Went with X {HOSTILE}"
    [event] = bus.received()
    assert event["to_status"] == "rejected" and event["reason"] == "competitor" and event["farewell"] is False
    # No farewell was asked for: the lead gets no email
    assert farewells(sent_emails, "jane@acme-corp.com") == []


def test_call_later_postpones_the_lead_to_the_chosen_day(stack, sent_emails, bus):
    lead_id, links = lead_with_links(stack, sent_emails)
    day = datetime.now(timezone.utc).date() + timedelta(days=10)

    response = post(stack, links["call_later"], {"follow_up_on": day.isoformat()})

    assert response.status == 200 and code_of(response) == "postponed"
    assert f"Jane Doe comes back to you on {day.isoformat()}." in page(response)
    lead = stores_of(stack).lifecycle.get_lead(lead_id)
    assert lead.status == S.POSTPONED and lead.follow_up_on == day
    assert "postponed" in kinds(stack, lead_id)
    [event] = bus.received()
    assert event["to_status"] == "postponed"


MISTAKES = [
    ("not_interested", {"reason": ""}, "reason_required", "Choose a reason from the list."),
    ("not_interested", {"reason": "we_hate_them"}, "reason_unknown", "Choose a reason from the list."),
    ("call_later", {"follow_up_on": "someday"}, "follow_up_required", "Choose a day after today."),
    ("call_later", {"follow_up_on": "2020-01-01"}, "follow_up_not_in_future", "Choose a day after today."),
    ("contacted", {"note": "x" * 2001}, "note_too_long", "The note is too long."),
]


def test_a_form_that_is_not_right_is_shown_again_with_what_to_fix_and_changes_nothing(stack, sent_emails, bus):
    lead_id, links = lead_with_links(stack, sent_emails)
    before = partition(stack, lead_id)

    for action, fields, code, says in MISTAKES:
        response = post(stack, links[action], fields)

        assert (response.status, code_of(response)) == (400, code), action
        assert says in page(response) and '<form method="post">' in page(response)
    # What was typed is shown back, escaped, so nothing is lost
    again = page(post(stack, links["not_interested"], {"reason": "", "note": HOSTILE}))
    assert "&lt;script&gt;" in again and "<script>alert" not in again
    assert partition(stack, lead_id) == before and bus.received() == []


def test_acting_twice_is_refused_saying_where_the_lead_stands(stack, sent_emails, bus):
    lead_id, links = lead_with_links(stack, sent_emails)
    assert post(stack, links["contacted"], {}).status == 200
    bus.received()

    again = post(stack, links["contacted"], {})
    shown = get(stack, links["contacted"])

    assert again.status == 409 and code_of(again) == "transition_not_allowed"
    assert "Jane Doe is already contacted." in page(again)
    assert shown.status == 409 and "<form" not in page(shown)
    assert kinds(stack, lead_id).count("contacted") == 1 and bus.received() == []


def test_a_link_to_a_lead_that_was_reassigned_or_is_gone_no_longer_works(stack, sent_emails, bus):
    # GIVEN the lead moved from the emailed manager to another one
    lead_id, links = lead_with_links(stack, sent_emails)
    stores = stores_of(stack)
    lead = stores.lifecycle.get_lead(lead_id)
    emailed, other = stores.roster.get(lead.manager_id), stores.roster.get("m-sam")
    stores.lifecycle.reassign_lead(lead_id, emailed, other, datetime.now(timezone.utc), reason="test")
    before = partition(stack, lead_id)

    # WHEN the first manager opens and posts their old link
    shown, posted = get(stack, links["contacted"]), post(stack, links["contacted"], {})

    # THEN both say the lead is no longer theirs, and nothing changed
    for response in (shown, posted):
        assert response.status == 403 and code_of(response) == "lead_reassigned"
        assert "This lead is no longer yours" in page(response)
    assert partition(stack, lead_id) == before and bus.received() == []

    # AND once the lead is gone (erased), its links say so
    stack.client("dynamodb").delete_item(TableName=stack.table_name(),
                                         Key={"PK": {"S": f"LEAD#{lead_id}"}, "SK": {"S": "LEAD"}})
    gone = get(stack, links["call_later"])
    assert gone.status == 404 and code_of(gone) == "lead_not_found"


def test_an_expired_link_says_to_use_the_console(stack, sent_emails, bus):
    # GIVEN links made as the stack makes them, 7 days (ActionLinkDays) and a second ago
    lead_id = post_hot_lead(stack)
    notify = stack.environments["NotifyFunction"]
    links = ActionLinks(notify["PUBLIC_API_URL"], keys(stack), days=int(notify["ACTION_LINK_DAYS"]))
    made = links.for_manager(lead_id, "m-olivia", datetime.now(timezone.utc) - timedelta(days=7, seconds=1))
    path = urlsplit(made.contacted).path

    # WHEN the manager opens one, or posts it
    for response in (get(stack, path), post(stack, path, {})):
        # THEN it says it expired and where to go instead
        assert response.status == 410 and code_of(response) == "link_expired"
        assert "This link has expired" in page(response) and "Leadflow console" in page(response)
        # the stack's own console, ConsoleUrl being empty
        assert f'href="{stack.public_url}/console/leads/{lead_id}"' in page(response)
    assert stores_of(stack).lifecycle.get_lead(lead_id).status == S.ASSIGNED and bus.received() == []


def tampered(path: str) -> str:
    """The link with its lead id changed and the signature kept."""
    payload, signature = path.rsplit("/", maxsplit=1)[-1].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["l"] = "someone-elses-lead"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"/actions/{forged}.{signature}"


def test_a_broken_or_forged_link_is_refused_and_changes_nothing(stack, sent_emails, bus):
    lead_id, links = lead_with_links(stack, sent_emails)
    path = links["not_interested"]
    feedback = f"/actions/{token_for(stack, lead_id, None, LinkAction.FEEDBACK)}"
    before = partition(stack, lead_id)

    for broken, status, code in ((tampered(path), 403, "link_tampered"),
                                 (path[:-3], 403, "link_tampered"),  # cut short when copied
                                 ("/actions/" + "A" * 600, 400, "link_malformed"),
                                 ("/actions/not-a-token", 400, "link_malformed"),
                                 ("/actions/%3Cscript%3E.x", 400, "link_malformed"),
                                 (feedback, 400, "link_wrong_kind")):  # the questionnaire's, on this page
        for response in (get(stack, broken), post(stack, broken, {"reason": "spam"})):
            assert (response.status, code_of(response)) == (status, code), broken
            assert "This link does not work" in page(response)
    assert partition(stack, lead_id) == before and bus.received() == []
    # Said in the browser's language, the lead's and manager's being unknown
    spanish = get(stack, "/actions/nope", **{"Accept-Language": "fr-FR,es;q=0.8,en;q=0.5"})
    assert '<html lang="es" dir="ltr">' in page(spanish) and "Este enlace no funciona" in page(spanish)
    # And a path under the pages that is no page is a page too
    route = next(r for r in stack.routes if r.path == "/actions/{token}")
    answer = stack.invoke("ActionsFunction", api_gateway_event(route, {}, "GET", "/actions", {}, b"", "", "127.0.0.1"))
    assert answer["statusCode"] == 404 and answer["multiValueHeaders"]["X-Leadflow-Code"] == ["not_found"]


def test_the_page_is_in_the_managers_language_and_escapes_the_lead(stack, bus):
    # GIVEN an Arabic lead with a hostile name, assigned to Layla (who reads Arabic)
    response = stack.handle_http("POST", "/forms/demo-ar/submissions", {"Content-Type": "application/json"},
                                 json.dumps({"name": f"ليلى {HOSTILE}", "email": "layla.lead@acme-corp.com",
                                             "phone": "+971501234567", "company": HOSTILE,
                                             "interest": "quote"}).encode())
    assert response.status == 202
    stack.drain()
    lead_id = stores_of(stack).capture.find_lead_id(ContactCard(name="x", email="layla.lead@acme-corp.com"))
    assert stores_of(stack).lifecycle.get_lead(lead_id).manager_id == "m-layla"

    shown = page(get(stack, f"/actions/{token_for(stack, lead_id, 'm-layla', LinkAction.NOT_INTERESTED)}"))

    assert '<html lang="ar" dir="rtl">' in shown and "غير مهتم" in shown
    assert "<script>alert" not in shown and "&lt;script&gt;" in shown


def test_a_post_must_be_a_readable_form_which_may_come_base64_encoded(stack, sent_emails, bus):
    lead_id, links = lead_with_links(stack, sent_emails)

    as_json = stack.handle_http("POST", links["contacted"], {"Content-Type": "application/json"}, b"{}")
    garbled = stack.handle_http("POST", links["contacted"], FORM, b"note=%ff%fe")

    assert (as_json.status, code_of(as_json)) == (415, "unsupported_media_type")
    assert (garbled.status, code_of(garbled)) == (400, "malformed_body")
    assert stores_of(stack).lifecycle.get_lead(lead_id).status == S.ASSIGNED and bus.received() == []

    # API Gateway may pass a form body base64-encoded (binary media types)
    route = next(r for r in stack.routes if r.method == "POST" and r.path == "/actions/{token}")
    event = api_gateway_event(route, {"token": links["contacted"].split("/")[-1]}, "POST", links["contacted"],
                              FORM, b"", "", "127.0.0.1")
    event.update(body=base64.b64encode(b"note=by+phone").decode(), isBase64Encoded=True)
    assert stack.invoke("ActionsFunction", event)["statusCode"] == 200
    [activity] = [a for a in stores_of(stack).history(lead_id) if a.kind == "contacted"]
    assert activity.detail["note"] == "by phone"


# -- the farewell and its questionnaire ----------------------------------------------------


def farewells(sent_emails: Any, to: str) -> list[Any]:
    return [m for m in sent_emails() if m.destinations["ToAddresses"] == [to]]


def reject_with_farewell(stack: LocalStack, sent_emails: Any, email: str = "jane@acme-corp.com") -> str:
    lead_id, links = lead_with_links(stack, sent_emails, email)
    response = post(stack, links["not_interested"], {"reason": "no_budget", "farewell": "yes"})
    assert response.status == 200 and "A short goodbye email is on its way to them." in page(response)
    stack.drain()
    return lead_id


def feedback_path(message: Any) -> str:
    [url] = re.findall(r'<a class="feedback-link" href="([^"]+)"', message.body)
    return urlsplit(url).path


def test_rejecting_with_a_farewell_emails_the_lead_once_with_a_working_questionnaire(stack, sent_emails):
    # WHEN the manager closes the lead from the email and asks for a farewell
    lead_id = reject_with_farewell(stack, sent_emails)

    # THEN the lead got exactly one goodbye, from the sender, replies going to the manager
    [farewell] = farewells(sent_emails, "jane@acme-corp.com")
    assert farewell.subject == "Thank you for your interest" and farewell.source == "leads@example.com"
    assert "we will not contact you again about this request" in farewell.body
    assert "Jane Doe" not in farewell.body  # nothing the visitor typed
    assert "farewell_sent" in kinds(stack, lead_id)
    # AND its link opens the questionnaire
    questions = get(stack, feedback_path(farewell))
    assert questions.status == 200 and code_of(questions) == "question"
    assert 'name="why" value="price"' in page(questions)

    # WHEN the event comes again (EventBridge delivers at least once; a redrive)
    event = {"id": "again", "source": SOURCE, "detail-type": LEAD_STATUS_CHANGED, "detail": {
        "lead_id": lead_id, "from_status": "assigned", "to_status": "rejected", "by": "m-olivia",
        "reason": "no_budget", "at": datetime.now(timezone.utc).isoformat(), "farewell": True}}
    stack.invoke("NotifyFunction", event)
    stack.invoke("NotifyFunction", {**event, "id": "and-again"})

    # THEN no second goodbye
    assert len(farewells(sent_emails, "jane@acme-corp.com")) == 1


def test_the_farewell_speaks_the_leads_language(stack, sent_emails):
    response = stack.handle_http("POST", "/forms/demo-es/submissions", {"Content-Type": "application/json"},
                                 json.dumps({"name": "Lucía", "email": "lucia@consultora.es", "phone": "612345678",
                                             "interest": "quote"}).encode())
    assert response.status == 202
    stack.drain()
    [assignment] = sent_emails()
    links = links_in(assignment.body)

    post(stack, links["not_interested"], {"reason": "no_need", "farewell": "yes"})
    stack.drain()

    [farewell] = farewells(sent_emails, "lucia@consultora.es")
    assert farewell.subject == "Gracias por su interés" and "Responder dos preguntas" in farewell.body
    shown = page(get(stack, feedback_path(farewell)))
    assert '<html lang="es"' in shown and "El precio" in shown


def test_an_answer_to_the_questionnaire_is_kept_once(stack, sent_emails):
    # GIVEN a lead that got the farewell
    lead_id = reject_with_farewell(stack, sent_emails)
    path = feedback_path(farewells(sent_emails, "jane@acme-corp.com")[0])
    before = partition(stack, lead_id)

    # WHEN they open it (nothing changes), send it without a choice, answer, answer again
    assert get(stack, path).status == 200 and partition(stack, lead_id) == before
    unanswered = post(stack, path, {"why": "<b>meh</b>", "comment": "hi"})
    first = post(stack, path, {"why": "price", "comment": f"Too dear {HOSTILE}"})
    second = post(stack, path, {"why": "timing"})

    # THEN the one without a choice is asked again, the others thanked
    assert (unanswered.status, code_of(unanswered)) == (400, "why_required")
    assert "Please choose an answer." in page(unanswered) and "<b>meh" not in page(unanswered)
    assert (first.status, code_of(first)) == (200, "feedback_recorded")
    assert (second.status, code_of(second)) == (200, "feedback_already")
    # AND the first answer is the one kept
    [answer] = [a for a in stores_of(stack).history(lead_id) if a.kind == "feedback"]
    assert answer.detail == {"by": "lead", "why": "price", "comment": f"Too dear {HOSTILE}"}
    # AND opening the link again says it was answered
    assert code_of(get(stack, path)) == "feedback_already"


def test_an_expired_or_forged_questionnaire_link_keeps_nothing(stack, sent_emails):
    lead_id = reject_with_farewell(stack, sent_emails)
    expired = token_for(stack, lead_id, None, LinkAction.FEEDBACK,
                        expires=datetime.now(timezone.utc) - timedelta(days=1))
    manager_link = token_for(stack, lead_id, "m-olivia", LinkAction.CONTACTED)

    closed = post(stack, f"/feedback/{expired}", {"why": "price"})
    wrong = post(stack, f"/feedback/{manager_link}", {"why": "price"})
    forged = post(stack, "/feedback/abc.def", {"why": "price"})

    assert (closed.status, code_of(closed)) == (410, "link_expired")
    assert "This questionnaire has closed" in page(closed)
    assert (wrong.status, code_of(wrong)) == (400, "link_wrong_kind")
    assert (forged.status, code_of(forged)) == (403, "link_tampered")
    assert "feedback" not in kinds(stack, lead_id)


def test_the_sample_events_do_what_they_say_with_a_token_of_this_deployment(stack, sent_emails):
    # The samples' tokens are signed with no real key: `sam local invoke` shows the
    # "does not work" page. With a token of this deployment each does its part.
    lead_id, _ = lead_with_links(stack, sent_emails)
    manager_id = stores_of(stack).lifecycle.get_lead(lead_id).manager_id
    tokens = {"/actions/{token}": token_for(stack, lead_id, manager_id, LinkAction.NOT_INTERESTED),
              "/feedback/{token}": token_for(stack, lead_id, None, LinkAction.FEEDBACK)}
    answers = {}
    for name in ("actions_show", "actions_take", "actions_show_feedback", "actions_send_feedback"):
        event = load_event(name)
        assert code_of_event(stack.invoke("ActionsFunction", event)) == "link_tampered"
        token = tokens[event["resource"]]
        event.update(path=event["resource"].replace("{token}", token), pathParameters={"token": token})
        answers[name] = code_of_event(stack.invoke("ActionsFunction", event))
        stack.drain()

    assert answers == {"actions_show": "confirm", "actions_take": "rejected", "actions_show_feedback": "question",
                       "actions_send_feedback": "feedback_recorded"}
    assert len(farewells(sent_emails, "jane@acme-corp.com")) == 1  # the sample asks for a farewell


def code_of_event(answer: dict[str, Any]) -> str:
    return answer["multiValueHeaders"]["X-Leadflow-Code"][0]
