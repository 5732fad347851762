"""`leadflow erase --email X | --phone Y [--country C]`: erase a person, as `POST
/erasures` does (leadflow.privacy.service.erase_person): their submissions, history and
identities go, their lead card stays anonymized, the erasure is recorded with a keyed
hash of the identifier (never the identifier), and `Lead Erased` goes on the stack's bus.

The erasure record names who asked: `cli:<the operator's AWS identity>`, as the API's
records name the admin's user. Neither the answer nor any message repeats the email or
phone given."""

from __future__ import annotations

from typing import Any

from leadflow_cli.commands.parsing import add_command
from leadflow_cli.context import Context
from leadflow_cli.output import Refused, table

# The request field each refusal is about (leadflow.privacy.erasure.ErasureRefused).
FIELD_OF_CODE = {"invalid_email": "email", "invalid_phone": "phone", "country_required": "country"}


def register(groups: Any, common: Any) -> None:
    erase = add_command(groups, common, "erase", run=erase_person,
                        help="erase a person by email or phone (their lead card stays, anonymized)",
                        description=__doc__)
    who = erase.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="the person's email address")
    who.add_argument("--phone", help="the person's phone: E.164 (+14155550134), or national with --country")
    erase.add_argument("--country", help="ISO 3166 country of a phone given without +<country code> (US, ES...)")


def erase_person(context: Context) -> None:
    from pydantic import ValidationError

    from leadflow.lifecycle.clocks import ReminderClocks
    from leadflow.lifecycle.schedules import Reminders, ReminderTarget
    from leadflow.privacy import service
    from leadflow.privacy.erasure import ErasureRefused, ErasureRequest, identifier_of
    from leadflow.privacy.store import ErasureStore
    from leadflow.shared.bus import EventPublisher
    from leadflow.shared.hashing import PersonalDataHasher
    from leadflow.shared.secrets import KeyUnavailable, SecretKeys
    from leadflow.storage.table import Table
    from leadflow.storage.transactions import LeadChanged

    args = context.args
    try:
        request = ErasureRequest(email=args.email, phone=args.phone, country=args.country)
        identifier_of(request)  # refused here, before any AWS call (the service checks it again)
    except ValidationError as error:
        raise Refused.of_validation(error) from None
    except ErasureRefused as error:
        raise _refused(error) from None
    target = context.target
    hash_key = target.require("hash_key_secret_arn", "HashKeySecret (the key of personal-data hashes)")
    # Only `cancel` is used: the erased lead's pending schedules go; nothing is scheduled
    # (its speed-to-lead clock stops in the erasure's own write).
    table = Table(target.table_name, target.client("dynamodb"))
    reminders = Reminders(ReminderTarget(target.require("schedule_group", "ReminderScheduleGroup"), "", ""),
                          ReminderClocks(table), client=target.client("scheduler"))
    try:
        record = service.erase_person(
            ErasureStore(table), request, by=operator(target),
            hasher=PersonalDataHasher(SecretKeys(hash_key, client=target.client("secretsmanager"))),
            publisher=EventPublisher(target.event_bus_name, client=target.client("events")), reminders=reminders)
    except ErasureRefused as error:
        raise _refused(error) from None
    except KeyUnavailable:
        raise Refused.one("the hash key could not be read: nothing was done, try again in a minute",
                          code="unavailable") from None
    except LeadChanged:
        raise Refused.one("a lead kept changing while it was erased: run the command again (it finishes the job)",
                          code="lead_changed") from None
    data = record.model_dump(mode="json")
    context.printer.answer(data, lambda: render_erasure(data))


def _refused(error: Any) -> Refused:
    # The message names the problem, never the value given (leadflow.privacy.erasure).
    return Refused.one(str(error), field=FIELD_OF_CODE.get(error.code), code=error.code)


def operator(target: Any) -> str:
    """Who asks, for the erasure record: the caller's AWS identity (an IAM user or role)."""
    return f"cli:{target.client('sts').get_caller_identity()['Arn']}"


def render_erasure(record: dict[str, Any]) -> str:
    erased = record["lead_ids"]
    lines = [f"erasure {record['erasure_id']} by {record['matched_by']}: "
             + (f"{len(erased)} lead(s) erased: {', '.join(erased)}" if erased
                else "nobody found (or erased before); the request is recorded")]
    if record["contact_ids"]:
        lines.append(f"contacts anonymized: {', '.join(record['contact_ids'])}")
    if record["related_lead_ids"]:
        lines.append("not erased, holding another of the person's identifiers (erase by that one if it is the same "
                     f"person): {', '.join(record['related_lead_ids'])}")
    counts = [(name.replace("_", " "), count) for name, count in record["counts"].items() if count]
    if counts:
        lines.append(table(("what", "count"), counts))
    if erased:
        lines.append("Lead Erased published on the bus" if record["events_published"] else
                     "Lead Erased could NOT be published on the bus: tell subscribers (CRM) by hand")
    return "\n".join(lines)
