"""Leads flowing on, through the local stack: with the template's ChatWebhookUrl and
CrmWebhookUrl set, a hot lead's chat message and the chosen events are POSTed over real
HTTP (API destinations with their connection's header, a pipe with its enrichment), a
refused post ends in the dead-letter queue, and without the parameters nothing exists."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from leadflow.shared.models import ChannelKind, ContactCard, Lead, Score, ScorePart, Source, Temperature
from leadflow.storage.codec import to_item
from leadflow.storage.keys import lead_key
from leadflow_local.stack import LocalStack
from support import load_event

HOSTILE = "<!channel> Eve & Co\n*fake line*"
EMAIL, PHONE = "eve.buyer@acme-corp.com", "+14155550134"


class Receiver(ThreadingHTTPServer):
    """A webhook receiver: every POST kept; answers `status[path]` (default 200)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.posts: list[dict[str, Any]] = []
        self.status: dict[str, int] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def to(self, path: str) -> list[dict[str, Any]]:
        return [p for p in self.posts if p["path"] == path]


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.posts.append({"path": self.path, "headers": dict(self.headers.items()), "body": json.loads(body)})
        self.send_response(self.server.status.get(self.path, 200))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def flowing(deploy_stack, receiver) -> LocalStack:
    receiver.posts.clear()
    receiver.status.clear()
    return deploy_stack(parameters={
        "ChatWebhookUrl": f"{receiver.url}/chat", "CrmWebhookUrl": f"{receiver.url}/crm",
        "CrmAuthHeaderName": "X-Api-Key", "CrmAuthHeaderValue": "s3cret", "CrmEventTypes": "Lead Assigned,Lead Converted",
        "ConsoleUrl": "https://console.example"})


def store_hot_lead(stack: LocalStack, event: dict[str, Any]) -> None:
    detail = event["detail"]
    received = datetime.fromisoformat(detail["received_at"].replace("Z", "+00:00"))
    contact = ContactCard(name=HOSTILE, email=EMAIL, phone=PHONE, company="Acme <Corp>")
    score = Score(points=95, temperature=Temperature.HOT, rule_set_version="1",
                  parts=[ScorePart(rule_id="intent", points=60, reason="Asked for a quote"),
                         ScorePart(rule_id="size", points=35, reason="200+ employees")])
    lead = Lead(lead_id=detail["lead_id"], contact=contact, source=Source(form_id="demo", channel=ChannelKind.INBOUND),
                created_at=received, last_seen_at=received, score=score, manager_id=detail["manager_id"])
    stack.client("dynamodb").put_item(TableName=stack.table_name(), Item=to_item(lead_key(lead.lead_id), "lead", lead))


def put_on_bus(stack: LocalStack, event: dict[str, Any]) -> None:
    stack.client("events").put_events(Entries=[{
        "EventBusName": stack.resolve({"Ref": "LeadsBus"}), "Source": event["source"],
        "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"])}])


def test_a_hot_lead_reaches_the_chat_and_the_crm(flowing, receiver):
    # GIVEN a hot lead with a hostile name, assigned to Olivia
    event = load_event("notify-lead-assigned")
    store_hot_lead(flowing, event)
    # WHEN its `Lead Assigned` is on the bus and the pipeline settles
    put_on_bus(flowing, event)
    flowing.drain()
    # THEN the chat got one message: the name escaped, the reason, the manager, the console link
    [chat] = receiver.to("/chat")
    text = chat["body"]["text"]
    assert "&lt;!channel&gt; Eve &amp; Co *fake line*" in text and "<!channel>" not in text
    assert "(Acme &lt;Corp&gt;)" in text and "top reason: Asked for a quote" in text
    assert "Manager: Olivia" in text and f"https://console.example/leads/{event['detail']['lead_id']}|" in text
    assert chat["headers"]["User-Agent"] == "Amazon/EventBridge/ApiDestinations"
    # AND never the email or phone
    assert EMAIL not in json.dumps(chat) and PHONE not in json.dumps(chat)
    # AND the CRM got the event as it is on the bus (ids only), with the connection's secret header
    [crm] = receiver.to("/crm")
    assert crm["headers"]["X-Api-Key"] == "s3cret"
    assert crm["body"]["detail-type"] == "Lead Assigned" and crm["body"]["detail"] == event["detail"]
    assert crm["body"]["source"] == "leadflow" and crm["body"]["id"]


def test_only_the_chosen_event_types_reach_the_crm_and_only_hot_ones_the_chat(flowing, receiver):
    warm = load_event("notify-lead-assigned")
    warm["detail"] = {**warm["detail"], "temperature": "warm", "points": 40}
    put_on_bus(flowing, warm)
    put_on_bus(flowing, load_event("notify-lead-scored"))  # not in CrmEventTypes
    flowing.drain()
    assert receiver.to("/chat") == []
    assert [p["body"]["detail-type"] for p in receiver.to("/crm")] == ["Lead Assigned"]


def test_a_refused_webhook_post_is_kept_in_the_dead_letter_queue(flowing, receiver):
    # GIVEN a CRM that refuses (a 400 is not retried by EventBridge)
    receiver.status["/crm"] = 400
    event = load_event("notify-lead-assigned")
    put_on_bus(flowing, event)
    flowing.drain()
    # THEN the event waits in the CRM's dead-letter queue, with EventBridge's error attributes
    sqs = flowing.client("sqs")
    url = flowing.resolve({"Ref": "CrmDeadLetterQueue"})
    [message] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"]).get("Messages", [])
    assert json.loads(message["Body"])["detail"] == event["detail"]
    assert message["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "400"


def test_a_failed_chat_post_stays_in_the_queue_to_be_retried(flowing, receiver):
    # GIVEN a chat that is down
    receiver.status["/chat"] = 503
    event = load_event("notify-lead-assigned")
    store_hot_lead(flowing, event)
    put_on_bus(flowing, event)
    flowing.drain()
    # THEN the message was tried, and is back in the chat queue (then its dead-letter queue)
    assert len(receiver.to("/chat")) == 1
    attributes = flowing.client("sqs").get_queue_attributes(
        QueueUrl=flowing.resolve({"Ref": "ChatQueue"}), AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_the_enrichment_makes_the_message_from_the_sample_pipe_event_and_writes_nothing(flowing):
    # GIVEN the pipe's batch of one SQS record (events/chat-hot-lead-assigned.json, the shape of
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-sqs.html) of a stored hot lead
    records = load_event("chat-hot-lead-assigned")
    store_hot_lead(flowing, json.loads(records[0]["body"]))
    before = flowing.client("dynamodb").scan(TableName=flowing.table_name())["Items"]
    # WHEN the enrichment runs twice (a redelivery)
    first, second = flowing.invoke("ChatFunction", records), flowing.invoke("ChatFunction", records)
    # THEN it returns the same one message, and the table is as it was
    assert first == second and first["text"].startswith(":fire: *Hot lead*")
    assert flowing.client("dynamodb").scan(TableName=flowing.table_name())["Items"] == before


def test_without_the_parameters_nothing_is_created(stack):
    assert "ChatFunction" not in stack.functions
    assert stack.destinations == {} and stack.destination_rules == [] and stack.pipes == []
