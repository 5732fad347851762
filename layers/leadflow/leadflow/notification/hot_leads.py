"""The hot-lead topic: an SNS topic that also hears of every hot lead, so a team can
subscribe SMS or chat to it without code (template: EnableHotLeadTopic)."""

from __future__ import annotations

import json
from typing import Any

from leadflow.notification.render import lead_url
from leadflow.shared import aws
from leadflow.shared.events import LeadAssigned
from leadflow.shared.models import Lead, Manager


class HotLeadAlerts:
    """An SNS topic that also hears of every hot lead (SMS, chat, ... without code).

    The message carries ids, temperature, score, the manager, the lead's name and company
    and the console link: enough to act on from a phone, but never the lead's email or
    phone number (an SMS or chat channel is not where contact data should travel)."""

    def __init__(self, topic_arn: str, client: Any | None = None) -> None:
        self.topic_arn = topic_arn
        self.client = client or aws.client("sns")

    def publish(self, lead: Lead, manager: Manager, assignment: LeadAssigned, console_url: str) -> None:
        detail = {
            "lead_id": lead.lead_id, "submission_id": assignment.submission_id,
            "temperature": assignment.temperature.value, "points": assignment.points,
            "manager_id": manager.manager_id, "manager_name": manager.name,
            "name": lead.contact.name, "company": lead.contact.company,
            "lead_url": lead_url(console_url, lead.lead_id),
        }
        text = f"HOT {assignment.points}: {lead.contact.name}"
        if lead.contact.company:
            text += f" ({lead.contact.company})"
        text += f" → {manager.name}"
        self.client.publish(TopicArn=self.topic_arn, Subject=f"Hot lead {assignment.points}"[:100],
                            Message=json.dumps({"default": text, "email": text, "sqs": json.dumps(detail),
                                                "lambda": json.dumps(detail), "http": json.dumps(detail),
                                                "https": json.dumps(detail)}),
                            MessageStructure="json")
