"""Sending email through SES v2, with SES's failures sorted into what a retry can fix
and what it cannot."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from leadflow.shared import aws

# Throttling and SES's own trouble: the caller raises, the invocation is retried with
# backoff (Lambda's async retries), then the event goes to the dead-letter queue.
_TRANSIENT = {"TooManyRequestsException", "ThrottlingException", "LimitExceededException",
              "SendingPausedException", "ServiceUnavailable", "InternalFailure"}


class Email(BaseModel):
    to: str
    subject: str
    text: str
    html: str
    reply_to: str | None = None


class MailThrottled(Exception):
    """SES is throttling or failing for a while: retry later."""


class MailRejected(Exception):
    """SES refused this message and retrying will not change it: in the sandbox, a
    recipient (or the sender) that is not verified. `code` is SES's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class Mailer:
    def __init__(self, sender: str, client: Any | None = None) -> None:
        self.sender = sender
        self.client = client or aws.client("sesv2", "mail")

    def send(self, email: Email) -> str:
        """Send one message with text and HTML parts; returns the SES message id.
        Raises MailThrottled (retry) or MailRejected (do not)."""
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
        try:
            return str(self.client.send_email(**request)["MessageId"])
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, status = str(error.get("Code", "")), int(exc.response.get("ResponseMetadata", {}).get(
                "HTTPStatusCode", 0))
            if code in _TRANSIENT or status >= 500:
                raise MailThrottled(code or str(status)) from exc
            if code in ("MessageRejected", "MailFromDomainNotVerifiedException", "AccountSuspendedException"):
                raise MailRejected(code, str(error.get("Message", ""))) from exc
            raise

    def is_suppressed(self, address: str) -> bool:
        """Whether SES's account-level suppression list holds the address (it bounced or
        complained): SES would accept a message to it and silently drop it."""
        try:
            self.client.get_suppressed_destination(EmailAddress=address)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NotFoundException":
                return False
            raise
        return True
