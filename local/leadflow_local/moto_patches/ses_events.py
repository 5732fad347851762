"""SES v2 SendEmail through a configuration set, which moto ignores.

- A `ConfigurationSetName` that does not exist is refused (NotFoundException), as SES
  refuses it: a stack that names the wrong set fails here as it would in AWS.
- SES's mailbox simulator: a message to `bounce@simulator.amazonses.com` or
  `complaint@simulator.amazonses.com` (with a `+label` or not, as SES allows) produces the bounce or complaint event SES
  publishes to the configuration set's EventBridge destination, with the message's tags
  (and SES's own `ses:configuration-set` and `ses:from-domain`), so what the stack does
  with a bounce can be tried locally, end to end.

The local stack records a set's event destination with `add_event_destination` (moto's
SESv2 API has no CreateConfigurationSetEventDestination); it is kept in moto's own SES
backend, so moto_state snapshots and restores it with everything else.

Relies on moto internals (tests/local/test_moto_patches.py checks each one): the
`SESV2Response.send_email` method (its `body`, `current_account`, `region`), the SES
backend's `config_sets` and `config_set_event_destination` dicts, `JsonRESTError`, and the
events backend's `put_events(entries)`."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timezone
from typing import Any

# SES's mailbox simulator: what each address makes SES report.
SIMULATOR = {"bounce@simulator.amazonses.com": "Bounce", "complaint@simulator.amazonses.com": "Complaint"}
_DETAIL_TYPES = {"Bounce": "Email Bounced", "Complaint": "Email Complaint Received"}

_lock = threading.Lock()
_patched = False
# moto's own SendEmail, kept so its test can tell when moto starts honouring sets itself.
moto_send_email: Any = None


def add_event_destination(account_id: str, region: str, configuration_set: str, destination: dict[str, Any]) -> None:
    """Record a configuration set's event destination (its CloudFormation
    `EventDestination`: Name, Enabled, MatchingEventTypes, EventBridgeDestination)."""
    from moto.ses.models import ses_backends

    backend = ses_backends[account_id][region]
    if configuration_set not in backend.config_sets:
        raise LookupError(f"configuration set {configuration_set} does not exist")
    # moto's own create_configuration_set_event_destination checks destination names
    # account-wide; SES scopes them to their set (two stacks may use the same name).
    backend.config_set_event_destination[configuration_set] = destination


def publish_ses_events() -> None:
    """Install the patch (once per process)."""
    global _patched, moto_send_email  # noqa: PLW0603 - one process-wide patch
    with _lock:
        if _patched:
            return
        from moto.core.exceptions import JsonRESTError
        from moto.ses.models import ses_backends
        from moto.sesv2.responses import SESV2Response

        original = moto_send_email = SESV2Response.send_email

        def send_email(self: Any) -> str:
            params = json.loads(self.body)
            name = params.get("ConfigurationSetName")
            backend = ses_backends[self.current_account][self.region]
            if name and name not in backend.config_sets:
                raise JsonRESTError("NotFoundException", f"Configuration set <{name}> does not exist.")
            answer = original(self)
            if name:
                _publish(self.current_account, self.region, name, params, json.loads(answer)["MessageId"])
            return answer

        SESV2Response.send_email = send_email  # type: ignore[method-assign]
        _patched = True


def _publish(account_id: str, region: str, configuration_set: str, params: dict[str, Any], message_id: str) -> None:
    """The simulator's events for this message, on the set's EventBridge destination."""
    from moto.events.models import events_backends
    from moto.ses.models import ses_backends

    destination = ses_backends[account_id][region].config_set_event_destination.get(configuration_set)
    if not destination or not destination.get("Enabled", False) or "EventBridgeDestination" not in destination:
        return
    wanted = {str(t).lower() for t in destination.get("MatchingEventTypes", [])}
    addresses = [a for kind in ("ToAddresses", "CcAddresses", "BccAddresses")
                 for a in params.get("Destination", {}).get(kind, [])]
    entries = []
    for address in addresses:
        event_type = _simulated(address)
        if event_type is None or event_type.lower() not in wanted:
            continue
        detail = _detail(event_type, address, account_id, configuration_set, params, message_id)
        entries.append({"Source": "aws.ses", "DetailType": _DETAIL_TYPES[event_type], "Detail": json.dumps(detail),
                        "EventBusName": destination["EventBridgeDestination"]["EventBusArn"],
                        "Resources": [f"arn:aws:ses:{region}:{account_id}:configuration-set/{configuration_set}"]})
    if entries:
        events_backends[account_id][region].put_events(entries)


def _simulated(address: str) -> str | None:
    """What the simulator does with an address: `bounce+olivia@…` is `bounce@…`."""
    local, _, domain = address.strip().lower().partition("@")
    return SIMULATOR.get(f"{local.split('+', 1)[0]}@{domain}")


def _detail(event_type: str, address: str, account_id: str, configuration_set: str, params: dict[str, Any],
            message_id: str) -> dict[str, Any]:
    """What SES puts in the event's detail (the fields its documentation shows)."""
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    sender = params.get("FromEmailAddress", "")
    tags = {t["Name"]: [t["Value"]] for t in params.get("EmailTags", [])}
    tags |= {"ses:configuration-set": [configuration_set], "ses:from-domain": [sender.rpartition("@")[2]]}
    mail = {"timestamp": now, "source": sender, "sendingAccountId": account_id, "messageId": message_id,
            "destination": [address], "headersTruncated": False, "tags": tags}
    feedback_id = f"{uuid.uuid4().hex}-000000"
    if event_type == "Bounce":
        return {"eventType": "Bounce", "mail": mail, "bounce": {
            "bounceType": "Permanent", "bounceSubType": "General", "timestamp": now, "feedbackId": feedback_id,
            "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1",
                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}}
    return {"eventType": "Complaint", "mail": mail, "complaint": {
        "complainedRecipients": [{"emailAddress": address}], "timestamp": now, "feedbackId": feedback_id,
        "complaintFeedbackType": "abuse"}}
