"""`leadflow leads add --name N (--email E | --phone P) ...`: enter a lead that did not
come from a form, as `POST /leads` does for an admin (leadflow.capture.manual.enter_lead):
validated and deduplicated as a form post is (channel `outbound`, form `manual`), then
scored and assigned like every lead within seconds: to `--manager` (with room, or past it
with `--force`), or by the assignment rules. The lead records `cli:<the operator's AWS
identity>` as who entered it. Neither the answer nor any message repeats the email or
phone given."""

from __future__ import annotations

from typing import Any

from leadflow_cli.commands.erase import operator
from leadflow_cli.commands.parsing import add_command, add_group
from leadflow_cli.commands.unassigned import refused_of
from leadflow_cli.context import Context

# Option → ManualLead field.
FIELDS = ("name", "email", "phone", "company", "job_title", "country", "interest", "notes", "language")


def register(groups: Any, common: Any) -> None:
    commands = add_group(groups, "leads", help="leads that did not come from a form")
    add = add_command(commands, common, "add", run=add_lead, full_name="leads add",
                      help="enter a lead by hand: a name plus an email or a phone", description=__doc__)
    add.add_argument("--name", required=True, help="the person's name")
    add.add_argument("--email")
    add.add_argument("--phone", help="E.164 (+14155550134), or national in --country's numbering plan")
    add.add_argument("--company")
    add.add_argument("--job-title", dest="job_title")
    add.add_argument("--country", help="ISO 3166 code (US, ES...)")
    add.add_argument("--interest", help="what they asked for (quote, demo, ebook...): scored as a form's")
    add.add_argument("--notes", help="what the salesperson knows")
    add.add_argument("--language", help="the person's language (default en)")
    add.add_argument("--scoring-profile", dest="scoring_profile", choices=("b2b", "b2c"),
                     help="which default rules score it (default b2b)")
    add.add_argument("--manager", dest="manager_id", metavar="MANAGER_ID",
                     help="who gets it (default: the assignment rules choose)")
    add.add_argument("--force", action="store_true", help="to --manager even when they are full")


def add_lead(context: Context) -> None:
    from leadflow.capture.manual import InvalidLead, ManualLead, enter_lead
    from leadflow.capture.store import CaptureStore
    from leadflow.routing.roster import Roster
    from leadflow.shared.access import Caller
    from leadflow.shared.refusal import Refused as DomainRefusal
    from leadflow.shared.refusal import parsed
    from leadflow.storage.table import Table

    args = context.args
    given = {name: getattr(args, name) for name in (*FIELDS, "scoring_profile", "manager_id")
             if getattr(args, name) is not None}
    try:
        entry = parsed(ManualLead, {**given, "force": args.force}, InvalidLead)
        target = context.target
        table = Table(target.table_name, target.client("dynamodb"))
        by = operator(target)
        entered = enter_lead(CaptureStore(table), Roster(table), entry, Caller(user_id=by, is_admin=True), by=by)
    except DomainRefusal as error:
        raise refused_of(error) from None
    data = entered.model_dump(mode="json")
    context.printer.answer(data, lambda: (
        f"lead {data['lead_id']} " + ("entered" if data["is_new_lead"] else "(the person was known: a new "
                                      "submission on their lead, which keeps its manager)")
        + (f"; it goes to {data['assign_to']}" if data["assign_to"] else "; the assignment rules choose its manager")
        + ", once scored (within seconds)"))
