"""`leadflow offboard MANAGER_ID`: a manager leaves, as `POST /admin/managers/{id}/offboard`
does (leadflow.routing.handover.offboard_manager): they become inactive, and each of
their open leads goes to another eligible manager through the normal rules (who is
emailed), or to the unassigned queue when nobody can take it (the admins are alerted).
The command follows the service's cursor until every open lead has been moved; run it
again at any time: it finishes whatever is left. History entries name the operator as
`cli:<their AWS identity>`."""

from __future__ import annotations

from typing import Any

from leadflow_cli.commands.erase import operator
from leadflow_cli.commands.parsing import add_command
from leadflow_cli.commands.unassigned import check_limit, follow, handover_context, refused_of, render_moves
from leadflow_cli.context import Context


def register(groups: Any, common: Any) -> None:
    offboard = add_command(groups, common, "offboard", run=offboard_manager,
                           help="deactivate a manager and move their open leads to other managers (or the queue)",
                           description=__doc__)
    offboard.add_argument("manager_id", metavar="MANAGER_ID")
    offboard.add_argument("--limit", type=int, default=50, help="leads per call to the service (1-200, default 50)")


def offboard_manager(context: Context) -> None:
    from leadflow.routing import handover
    from leadflow.shared.refusal import Refused as DomainRefusal

    check_limit(context.args.limit, handover.MAX_BATCH)
    store, publisher, rule_sets = handover_context(context)
    by = operator(context.target)
    try:
        data = follow(lambda cursor: handover.offboard_manager(
            store, publisher, rule_sets, context.args.manager_id, by=by, limit=context.args.limit, cursor=cursor),
            ("checked", "reassigned", "queued", "skipped"))
    except DomainRefusal as error:
        raise refused_of(error) from None
    context.printer.answer(data, lambda: render_offboarding(data))


def render_offboarding(data: dict[str, Any]) -> str:
    summary = (f"{data['manager_id']} is inactive. {data['checked']} open lead(s): {data['reassigned']} reassigned "
               f"(their new managers are emailed), {data['queued']} to the unassigned queue (the admins are "
               f"alerted), {data['skipped']} moved meanwhile")
    return summary if not data["leads"] else render_moves(data["leads"]) + "\n" + summary
