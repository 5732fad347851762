"""The local webhook receivers behind /_local/webhooks (leadflow_local.webhooks): they
answer as a real receiver would, and tell a retried event from a new one."""

import json

from leadflow_local.webhooks import CRM_HEADER, CRM_SECRET, WebhookInbox, local_webhook_parameters

EVENT = {"id": "e-1", "detail-type": "Lead Assigned", "source": "leadflow", "detail": {"lead_id": "l-1"}}


def test_the_crm_receiver_wants_the_secret_header_and_marks_a_retry():
    inbox = WebhookInbox()
    body = json.dumps(EVENT).encode()
    assert inbox.receive("crm", {}, body) == 401
    assert inbox.receive("crm", {CRM_HEADER.lower(): "Bearer wrong"}, body) == 401
    assert inbox.receive("crm", {CRM_HEADER: CRM_SECRET}, body) == 200
    assert inbox.receive("crm", {CRM_HEADER: CRM_SECRET}, body) == 200  # EventBridge retried it
    newest, first = inbox.posts()
    assert (first["repeat"], newest["repeat"]) == (False, True)
    assert newest["number"] == 2 and newest["event_id"] == "e-1" and newest["auth_header"] == CRM_HEADER
    assert CRM_SECRET not in json.dumps(inbox.posts())  # the secret is never shown


def test_chat_posts_are_kept_and_anything_else_refused():
    inbox = WebhookInbox()
    assert inbox.receive("chat", {"User-Agent": "Amazon/EventBridge/ApiDestinations"}, b'{"text": "hi"}') == 200
    assert inbox.receive("other", {}, b"{}") == 404
    assert inbox.receive("chat", {}, b"not json") == 400
    [post] = inbox.posts()
    assert post["body"] == {"text": "hi"} and post["user_agent"] == "Amazon/EventBridge/ApiDestinations"


def test_make_dev_points_both_webhooks_at_its_own_page():
    parameters = local_webhook_parameters("http://127.0.0.1:3000/")
    assert parameters["ChatWebhookUrl"] == "http://127.0.0.1:3000/_local/webhooks/chat"
    assert parameters["CrmWebhookUrl"] == "http://127.0.0.1:3000/_local/webhooks/crm"
    assert parameters["CrmAuthHeaderValue"] == CRM_SECRET
