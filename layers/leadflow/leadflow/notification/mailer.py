"""Sending email through SES v2, with SES's failures sorted into what a retry can fix
and what it cannot.

Every email goes through the stack's configuration set, tagged with who reads it
(`audience`): SES publishes its bounces and complaints to EventBridge with that tag, and
notify marks a manager's address that cannot receive email
(leadflow.notification.bounces). Visitors' addresses need nothing of ours: SES's
account-level suppression list drops mail to an address that bounced or complained."""

from __future__ import annotations

from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel

from leadflow.shared import aws

# Throttling and SES's own trouble: the caller raises, the invocation is retried with
# backoff (Lambda's async retries), then the event goes to the dead-letter queue.
_TRANSIENT = {"TooManyRequestsException", "ThrottlingException", "LimitExceededException",
              "SendingPausedException", "ServiceUnavailable", "InternalFailure"}


# The `audience` message tag: who an email is for (values SES accepts in a tag).
Audience = Literal["manager", "visitor", "admin", "partner"]
AUDIENCE_TAG = "audience"


class Email(BaseModel):
    audience: Audience
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


def not_taken(error: BaseException) -> bool:
    """SES answered the send with an error (throttled, refused, any error answer): it did
    not take the email, so sending it again sends it once. A timeout or a lost answer
    says nothing of the kind."""
    return isinstance(error, (MailThrottled, MailRejected, ClientError))


class Mailer:
    def __init__(self, sender: str, configuration_set: str, client: Any | None = None) -> None:
        self.sender = sender
        self.configuration_set = configuration_set
        self.client = client or aws.client("sesv2", "mail")

    def send(self, email: Email) -> str:
        """Send one message with text and HTML parts; returns the SES message id.
        Raises MailThrottled (retry) or MailRejected (do not)."""
        request: dict[str, Any] = {
            "FromEmailAddress": self.sender,
            "ConfigurationSetName": self.configuration_set,
            "EmailTags": [{"Name": AUDIENCE_TAG, "Value": email.audience}],
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
