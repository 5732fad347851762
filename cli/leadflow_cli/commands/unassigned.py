"""`leadflow unassigned list|assign|rerun`: the leads nobody could take, as the admin API's
`/admin/unassigned` routes serve them (leadflow.routing.handover): list them, give one to
a manager (`--force` past their capacity, kept in the lead's history), or run assignment
again for all of them (after adding a manager, say). `rerun` follows the service's
cursor until the whole queue has been gone through; `--json` prints the calls' answers
merged into one.

The history entries name the operator as `cli:<their AWS identity>`."""

from __future__ import annotations

from typing import Any

from leadflow_cli.commands.erase import operator
from leadflow_cli.commands.parsing import add_command, add_group
from leadflow_cli.context import Context
from leadflow_cli.output import Problem, Refused, table

# Runs of `rerun` and `offboard` follow cursors; this many calls at most (a queue of
# 200 * 1000 leads), so a run that cannot make progress still ends.
MAX_CALLS = 1000


def register(groups: Any, common: Any) -> None:
    commands = add_group(groups, "unassigned", help="the leads nobody could take: list, hand out, assign again")
    listing = add_command(commands, common, "list", run=list_queue, full_name="unassigned list",
                          help="the leads waiting in the unassigned queue, newest first")
    listing.add_argument("--limit", type=int, default=100, help="leads per page (1-100, default 100)")
    listing.add_argument("--cursor", help="the `next_cursor` of the previous page")
    assign = add_command(commands, common, "assign", run=assign_lead, full_name="unassigned assign",
                         help="give a lead of the queue to a manager (who is emailed)")
    assign.add_argument("lead_id", metavar="LEAD_ID")
    assign.add_argument("--manager", required=True, metavar="MANAGER_ID", help="the manager who gets it")
    assign.add_argument("--force", action="store_true",
                        help="even when they are full (recorded in the lead's history); never to someone inactive "
                             "or away")
    rerun = add_command(commands, common, "rerun", run=rerun_queue, full_name="unassigned rerun",
                        help="run assignment again, through the normal rules, for every lead of the queue")
    rerun.add_argument("--limit", type=int, default=50, help="leads per call to the service (1-200, default 50)")


# -- what the commands share (offboard and leads too) ----------------------------------------

def refused_of(error: Any) -> Refused:
    """A domain refusal (leadflow.shared.refusal) as the command's: each field at fault,
    with its code; never the value given."""
    return Refused([Problem(field=e.field, code=e.code, message=e.message) for e in error.errors])


def handover_context(context: Context) -> tuple[Any, Any, Any]:
    """The queue store, the publisher on the stack's bus and the rule sets, on the target."""
    from leadflow.routing.queue_store import QueueStore
    from leadflow.routing.rule_sets import RuleSetSource
    from leadflow.routing.store import RoutingStore
    from leadflow.shared.bus import EventPublisher
    from leadflow.storage.table import Table

    target = context.target
    table = Table(target.table_name, target.client("dynamodb"))
    return (QueueStore(table), EventPublisher(target.event_bus_name, client=target.client("events")),
            RuleSetSource(RoutingStore(table).get_rule_set_json))


def check_limit(value: int, highest: int) -> None:
    if not 1 <= value <= highest:
        raise Refused.one(f"--limit is between 1 and {highest}", field="limit", code="invalid_limit")


def follow(call: Any, totals: tuple[str, ...]) -> dict[str, Any]:
    """Call a cursor-paged run (rerun, offboard) until it says it is done; its answers
    merged: the totals added up, every lead's outcome in order, `next_cursor` null."""
    merged: dict[str, Any] = {}
    cursor = None
    for _ in range(MAX_CALLS):
        answer = call(cursor).model_dump(mode="json")
        if not merged:
            merged = answer
        else:
            for name in totals:
                merged[name] += answer[name]
            merged["leads"] += answer["leads"]
        cursor = merged["next_cursor"] = answer["next_cursor"]
        if cursor is None:
            break
    return merged


def render_moves(moves: list[dict[str, Any]]) -> str:
    return table(("lead", "outcome", "manager", "why"),
                 [(m["lead_id"], m["outcome"], m["manager_id"] or "-", m["reason"] or "") for m in moves])


# -- the commands ------------------------------------------------------------------------------

def list_queue(context: Context) -> None:
    from leadflow.reporting.listing import InvalidListing
    from leadflow.reporting.store import ListingStore
    from leadflow.reporting.views import LeadList, summary_of
    from leadflow.routing.handover import list_unassigned
    from leadflow.storage.table import Table

    check_limit(context.args.limit, 100)
    target = context.target
    try:
        page = list_unassigned(ListingStore(Table(target.table_name, target.client("dynamodb"))),
                               limit=context.args.limit, cursor=context.args.cursor)
    except InvalidListing as error:
        raise Refused.one(str(error), field="cursor", code=error.code) from None
    data = LeadList(leads=[summary_of(lead) for lead in page.leads],
                    next_cursor=page.next_cursor).model_dump(mode="json")
    context.printer.answer(data, lambda: render_queue(data))


def render_queue(data: dict[str, Any]) -> str:
    if not data["leads"]:
        return "the unassigned queue is empty"
    rows = [(s["lead_id"], s["temperature"] or "-", "-" if s["points"] is None else s["points"], s["name"],
             s["company"] or "", s["country"] or "", s["created_at"][:16].replace("T", " "))
            for s in data["leads"]]
    text = table(("lead", "temperature", "points", "name", "company", "country", "created (UTC)"), rows)
    if data["next_cursor"]:
        text += f"\nmore: --cursor {data['next_cursor']}"
    return text


def assign_lead(context: Context) -> None:
    from leadflow.routing import handover
    from leadflow.shared.refusal import Refused as DomainRefusal
    from leadflow.storage.transactions import LeadChanged

    store, publisher, _rule_sets = handover_context(context)
    args = context.args
    try:
        done = handover.hand_out(store, publisher, args.lead_id, args.manager, by=operator(context.target),
                                 force=args.force)
    except DomainRefusal as error:
        raise refused_of(error) from None
    except LeadChanged:
        raise Refused.one("the lead kept changing: run the command again", code="lead_changed") from None
    data = done.model_dump(mode="json")
    context.printer.answer(data, lambda: (
        f"lead {data['lead_id']} → {data['manager_id']} ({data['open_leads']}/{data['capacity']} open leads"
        + (", forced past capacity)" if data["forced"] else ")") + "; they are emailed"))


def rerun_queue(context: Context) -> None:
    from leadflow.routing import handover
    from leadflow.shared.refusal import Refused as DomainRefusal

    check_limit(context.args.limit, handover.MAX_BATCH)
    store, publisher, rule_sets = handover_context(context)
    by = operator(context.target)
    try:
        data = follow(lambda cursor: handover.rerun_queue(store, publisher, rule_sets, by=by,
                                                          limit=context.args.limit, cursor=cursor),
                      ("checked", "assigned", "left", "skipped"))
    except DomainRefusal as error:
        raise refused_of(error) from None
    context.printer.answer(data, lambda: render_rerun(data))


def render_rerun(data: dict[str, Any]) -> str:
    summary = (f"{data['checked']} lead(s) of the queue looked at: {data['assigned']} assigned (their managers are "
               f"emailed), {data['left']} left in the queue, {data['skipped']} moved meanwhile")
    return summary if not data["leads"] else render_moves(data["leads"]) + "\n" + summary
