"""`leadflow managers list|show|add|update`: the sales managers leads are assigned to,
with their load, through the admin services the admin API calls
(leadflow.routing.manager_admin). A change writes what was named and nothing else: the
load (open leads, last assignment) is the assignments' to keep."""

from __future__ import annotations

from typing import Any

from leadflow_cli import services
from leadflow_cli.commands.parsing import add_command, add_group
from leadflow_cli.context import Context
from leadflow_cli.output import table

SET_HELP = ("a setting, KEY=VALUE (repeatable), VALUE read as JSON when it is JSON: capacity=30, active=false, "
            "territories='[\"US\",\"CA\"]', languages='[\"en\",\"es\"]', on_leave_until=2026-12-24, "
            "on_leave_until=null (back from leave)")


def register(groups: Any, common: Any) -> None:
    managers = add_group(groups, "managers", help="the sales managers leads are assigned to")
    add_command(managers, common, "list", full_name="managers list", run=list_managers,
                help="every manager with their load (open leads, capacity, last assignment)")
    show = add_command(managers, common, "show", full_name="managers show", run=show_manager,
                       help="one manager with their load")
    show.add_argument("manager_id")
    add = add_command(managers, common, "add", full_name="managers add", run=add_manager, help="a new manager")
    add.add_argument("manager_id", help="letters, digits, - and _ (m-nora)")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True, help="where their lead emails go")
    add.add_argument("--tier", required=True, type=int, choices=(1, 2, 3),
                     help="1: the best closers (hot leads first), 3: beginners")
    add.add_argument("--set", action="append", metavar="KEY=VALUE", help=SET_HELP)
    update = add_command(managers, common, "update", full_name="managers update", run=update_manager,
                         help="change some of a manager's settings (tier, territories, languages, capacity, "
                              "active, on_leave_until, name, email)")
    update.add_argument("manager_id")
    update.add_argument("--set", action="append", metavar="KEY=VALUE", required=True, help=SET_HELP)


def list_managers(context: Context) -> None:
    from leadflow.routing import manager_admin

    answer = manager_admin.list_managers(services.roster(context.target), services.today()).model_dump(mode="json")
    context.printer.answer(answer, lambda: table(
        ["manager", "name", "tier", "open", "capacity", "last assigned", "available", "languages", "territories"],
        [[m["manager_id"], m["name"], m["tier"], m["open_leads"], m["capacity"], _minute(m["last_assigned_at"]),
          _availability(m), ",".join(m["languages"]), ",".join(m["territories"]) or "any"]
         for m in answer["managers"]]))


def show_manager(context: Context) -> None:
    from leadflow.routing import manager_admin

    manager = manager_admin.get_manager(services.roster(context.target), context.args.manager_id, services.today())
    _answer_manager(context, manager.model_dump(mode="json"))


def add_manager(context: Context) -> None:
    from leadflow.routing import manager_admin
    from leadflow.shared.refusal import parsed

    args = context.args
    new = parsed(manager_admin.NewManager, {**services.settings_of(args.set), "manager_id": args.manager_id,
                                            "name": args.name, "email": args.email, "tier": args.tier},
                 manager_admin.InvalidManager)
    manager = manager_admin.create_manager(services.roster(context.target), new, services.today())
    _answer_manager(context, manager.model_dump(mode="json"), done="added")


def update_manager(context: Context) -> None:
    from leadflow.routing import manager_admin
    from leadflow.shared.refusal import parsed

    changes = parsed(manager_admin.ManagerChanges, services.settings_of(context.args.set),
                     manager_admin.InvalidManager)
    manager = manager_admin.update_manager(services.roster(context.target), context.args.manager_id, changes,
                                           services.today())
    _answer_manager(context, manager.model_dump(mode="json"), done="changed")


def _answer_manager(context: Context, manager: dict[str, Any], *, done: str | None = None) -> None:
    def text() -> str:
        head = f"manager {manager['manager_id']}" + (f": {done}" if done else "")
        rows = [[k, "-" if v is None else (", ".join(v) or "(none)") if isinstance(v, list) else v]
                for k, v in manager.items() if k != "manager_id"]
        return f"{head}\n\n{table(['setting', 'value'], rows)}"

    context.printer.answer(manager, text)


def _availability(manager: dict[str, Any]) -> str:
    if not manager["active"]:
        return "inactive"
    if manager["on_leave"]:
        return f"on leave to {manager['on_leave_until']}"
    if manager["open_leads"] >= manager["capacity"]:
        return "full"
    return "yes"


def _minute(timestamp: str | None) -> str:
    return "-" if not timestamp else timestamp[:16].replace("T", " ")
