"""The local webhook receiver of `make dev` (/_local/webhooks): what a company's CRM and
its chat would receive from the stack, shown on a page.

`make dev` sets the template's ChatWebhookUrl and CrmWebhookUrl to this server's own
/_local/webhooks/chat and /_local/webhooks/crm (LOCAL_WEBHOOKS=off leaves them empty, as
the template's defaults do), so the stack posts to them over real HTTP through its API
destinations and pipe (api_destinations.py), as EventBridge would post to Slack or a CRM.
Posts are kept in memory (the newest 200); the page renders them with textContent only."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

WEBHOOKS_PATH = "/_local/webhooks"
CHANNELS = ("chat", "crm")
# The local CRM's secret: the header EventBridge's connection adds, shown masked.
CRM_HEADER = "Authorization"
CRM_SECRET = "Bearer local-crm-secret"  # noqa: S105 - a local demo value, never deployed
MAX_KEPT = 200
MAX_BODY_BYTES = 256 * 1024  # EventBridge's own event limit
# Visitor text is shown, never run: only our own script and style, fetches to this server.
WEBHOOKS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def local_webhook_parameters(base_url: str) -> dict[str, str]:
    """The template parameters that point the chat and the CRM webhook at this server."""
    base = base_url.rstrip("/")
    return {"ChatWebhookUrl": f"{base}{WEBHOOKS_PATH}/chat", "CrmWebhookUrl": f"{base}{WEBHOOKS_PATH}/crm",
            "CrmAuthHeaderName": CRM_HEADER, "CrmAuthHeaderValue": CRM_SECRET}


@dataclass(frozen=True)
class ReceivedPost:
    number: int
    channel: str  # chat | crm
    received_at: str  # ISO 8601, UTC
    user_agent: str
    auth_header: str | None  # the CRM header's name, when the post carried the right secret
    event_id: str | None  # a CRM event's id: receivers dedupe on it
    repeat: bool  # an event id seen before (a retry): a receiver would ignore it
    body: Any


class WebhookInbox:
    """What was posted to the local receivers, newest first."""

    def __init__(self) -> None:
        self._posts: deque[ReceivedPost] = deque(maxlen=MAX_KEPT)
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def receive(self, channel: str, headers: dict[str, str], body: bytes) -> int:
        """Keep one post; the HTTP status to answer (a real receiver's: 401 without the secret)."""
        if channel not in CHANNELS:
            return 404
        if len(body) > MAX_BODY_BYTES:
            return 413
        lowered = {name.lower(): value for name, value in headers.items()}
        if channel == "crm" and lowered.get(CRM_HEADER.lower()) != CRM_SECRET:
            return 401
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            return 400
        event_id = parsed.get("id") if channel == "crm" and isinstance(parsed, dict) else None
        with self._lock:
            repeat = event_id is not None and event_id in self._seen
            if event_id:
                self._seen.add(str(event_id))
            self._posts.appendleft(ReceivedPost(
                number=(self._posts[0].number + 1) if self._posts else 1, channel=channel,
                received_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                user_agent=lowered.get("user-agent", ""), auth_header=CRM_HEADER if channel == "crm" else None,
                event_id=event_id, repeat=repeat, body=parsed))
        return 200

    def posts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(post) for post in self._posts]
