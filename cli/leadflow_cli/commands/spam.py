"""`leadflow spam list|release`: a form's posts kept as spam (honeypots, fill time, a failed
or missing proof of work or Turnstile check), as the admin API's `/admin/forms/{id}/spam`
routes serve them (leadflow.capture.spam_review); `release` puts a false positive into
the normal pipeline (scored, assigned, emailed, counted), once."""

from __future__ import annotations

from typing import Any

from leadflow_cli.commands.parsing import add_command, add_group
from leadflow_cli.commands.unassigned import refused_of
from leadflow_cli.context import Context
from leadflow_cli.output import table


def register(groups: Any, common: Any) -> None:
    commands = add_group(groups, "spam", help="a form's posts kept as spam: list them, release a false positive")
    listing = add_command(commands, common, "list", run=list_spam, full_name="spam list",
                          help="a form's spam (kept 30 days), newest first, with why")
    listing.add_argument("form_id", metavar="FORM_ID")
    release = add_command(commands, common, "release", run=release_spam, full_name="spam release",
                          help="make a post kept as spam a lead (scored, assigned, emailed); once")
    release.add_argument("spam_id", metavar="SPAM_ID", help="as `spam list` shows it")


def _store(context: Context) -> Any:
    from leadflow.capture.store import CaptureStore
    from leadflow.storage.table import Table

    return CaptureStore(Table(context.target.table_name, context.target.client("dynamodb")))


def list_spam(context: Context) -> None:
    from leadflow.capture import spam_review

    data = spam_review.list_spam(_store(context), context.args.form_id).model_dump(mode="json")
    context.printer.answer(data, lambda: table(
        ("spam id", "received", "reason", "name", "email", "released as"),
        [(s["spam_id"], s["received_at"][:19], s["reason"], s["fields"].get("name", ""),
          s["fields"].get("email", ""), s["lead_id"] or "") for s in data["spam"]]))


def release_spam(context: Context) -> None:
    from leadflow.capture import spam_review
    from leadflow.shared.hashing import PersonalDataHasher
    from leadflow.shared.refusal import Refused as DomainRefusal
    from leadflow.shared.secrets import SecretKeys

    target = context.target
    hash_key = target.require("hash_key_secret_arn", "HashKeySecret (the key of personal-data hashes)")
    hasher = PersonalDataHasher(SecretKeys(hash_key, client=target.client("secretsmanager")))
    try:
        released = spam_review.release_spam(_store(context), hasher, context.args.spam_id)
    except DomainRefusal as error:
        raise refused_of(error) from None
    data = released.model_dump(mode="json")
    context.printer.answer(data, lambda: (
        f"Released {data['spam_id']}: lead {data['lead_id']}"
        + (" (released before: the same lead)" if data["already_released"] else "")))
