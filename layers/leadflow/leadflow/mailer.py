"""Sending email through SES v2."""

from __future__ import annotations

from typing import Any

import boto3
from pydantic import BaseModel


class Email(BaseModel):
    to: str
    subject: str
    text: str
    html: str
    reply_to: str | None = None


class Mailer:
    def __init__(self, sender: str, client: Any | None = None) -> None:
        self.sender = sender
        self.client = client or boto3.client("sesv2")

    def send(self, email: Email) -> str:
        """Send one message with text and HTML parts; returns the SES message id."""
        request: dict[str, Any] = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": [email.to]},
            "Content": {"Simple": {
                "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": email.text, "Charset": "UTF-8"},
                    "Html": {"Data": email.html, "Charset": "UTF-8"},
                },
            }},
        }
        if email.reply_to:
            request["ReplyToAddresses"] = [email.reply_to]
        return str(self.client.send_email(**request)["MessageId"])
