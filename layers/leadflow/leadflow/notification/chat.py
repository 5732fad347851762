"""The hot-lead chat message (Slack, or any incoming-webhook chat): what a team channel
reads when a lead becomes hot (template: ChatWebhookUrl).

The bus carries ids only, so the message is made here, in the enrichment step of the
chat pipe (rule → queue → EventBridge Pipe → this → API destination): the lead's name
and company are read from the table and travel only to the chat, never on the bus.
The message carries the name, company, temperature, score, top reason, manager and the
console link — never the lead's email or phone (a chat channel is read by many)."""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from leadflow.notification.render import lead_url
from leadflow.shared.events import LeadAssigned
from leadflow.shared.models import Lead, Manager, Temperature
from leadflow.storage import keys
from leadflow.storage.codec import from_item
from leadflow.storage.table import Table

# A name or company is a label, not a paragraph: long text is cut, and no line break
# may let a visitor write a fake line of their own into the channel.
MAX_LABEL = 80
_WHITESPACE = re.compile(r"\s+")


class ChatReads(Protocol):
    """What the chat message reads: the lead card and its manager."""

    def lead_and_manager(self, lead_id: str, manager_id: str) -> tuple[Lead | None, Manager | None]: ...


class ChatStore:
    """The chat message's reads over the one table: one BatchGetItem, nothing written."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def lead_and_manager(self, lead_id: str, manager_id: str) -> tuple[Lead | None, Manager | None]:
        """The lead card and the manager, each None when it is not there (a removed
        manager's lead is still posted, without a name)."""
        lead_key, manager_key = keys.lead_key(lead_id), keys.manager_key(manager_id)
        found = {item["SK"]["S"]: from_item(item) for item in self.table.batch_get([lead_key, manager_key])}
        lead, manager = found.get(lead_key["SK"]), found.get(manager_key["SK"])
        return Lead.model_validate(lead) if lead else None, Manager.model_validate(manager) if manager else None


def mrkdwn(text: str, limit: int = MAX_LABEL) -> str:
    """Visitor text made safe for Slack's mrkdwn: one line, cut to `limit` characters,
    and `&`, `<`, `>` escaped as Slack asks (https://api.slack.com/reference/surfaces/formatting#escaping),
    so `<!channel>`, `<@U123>` or `<https://evil|click>` stay text."""
    one_line = _WHITESPACE.sub(" ", text).strip()
    if len(one_line) > limit:
        one_line = one_line[: limit - 1].rstrip() + "…"
    return one_line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def should_post(assignment: LeadAssigned) -> bool:
    """A message when a lead becomes hot (a new hot lead, a lead that warmed up) or a hot
    lead changes hands; not for every visit of a lead that was already hot (its manager
    hears of those), nor for a CSV import's leads (its summary says it)."""
    if assignment.temperature != Temperature.HOT or assignment.imported:
        return False
    return assignment.previous_temperature != Temperature.HOT or assignment.reassigned_from is not None


def chat_message(assignment: LeadAssigned, lead: Lead, manager: Manager | None, console_url: str) -> dict[str, Any]:
    """The incoming-webhook body (`text` in mrkdwn: Slack's, and what Mattermost,
    Rocket.Chat and Discord's /slack endpoint read). Built from named fields only: the
    lead's email and phone are never read here."""
    name = mrkdwn(lead.contact.name) or "(no name)"
    company = mrkdwn(lead.contact.company) if lead.contact.company else ""
    url = lead_url(console_url, lead.lead_id)
    who = f"<{_url(url)}|{name}>" if url else f"*{name}*"
    headline = f":fire: *Hot lead*: {who}" + (f" ({company})" if company else "")
    if assignment.reassigned_from:
        headline += " (reassigned)"
    top = lead.score.top_reasons(1) if lead.score else []
    lines = [
        headline,
        f"Score {assignment.points} · {assignment.temperature.value}"
        + (f" · top reason: {mrkdwn(top[0].reason, 120)}" if top else ""),
        f"Manager: {mrkdwn(manager.name) if manager else mrkdwn(assignment.manager_id)}",
    ]
    # No link previews: the console page needs a sign-in, and its preview would be empty.
    return {"text": "\n".join(lines), "unfurl_links": False, "unfurl_media": False}


def _url(url: str) -> str:
    """A URL inside `<...|...>`: the console URL and the lead id are ours, but a `|` or
    `>` would still end the link early."""
    return url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")


def message_for(event: dict[str, Any], reads: ChatReads, console_url: str) -> dict[str, Any] | None:
    """The message for one `Lead Assigned` event (an EventBridge envelope), or None when
    there is nothing to say: not a hot lead's news, or the lead is gone or erased (its
    name must not reach the chat any more). Reads only: the same event always makes the
    same message, so a redelivery repeats it and changes nothing."""
    assignment = LeadAssigned.model_validate(event["detail"])
    if not should_post(assignment):
        return None
    lead, manager = reads.lead_and_manager(assignment.lead_id, assignment.manager_id)
    if lead is None or lead.erased_at is not None:
        return None
    return chat_message(assignment, lead, manager, console_url)


def messages_for(records: list[dict[str, Any]], reads: ChatReads, console_url: str) -> list[dict[str, Any]]:
    """The pipe's enrichment: its SQS records (each body an EventBridge event) to the
    messages the API destination posts. Empty: the pipe calls no target."""
    found = (message_for(json.loads(record["body"]), reads, console_url) for record in records)
    return [message for message in found if message is not None]
