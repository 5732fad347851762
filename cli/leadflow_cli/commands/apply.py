"""`leadflow apply FILE [--dry-run]`: make the stack's forms, managers, logins and partners what a
JSON file declares (leadflow_cli.setup_file says exactly what that means)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from leadflow_cli.commands.parsing import add_command
from leadflow_cli.context import Context
from leadflow_cli.output import table

DONE = {"create": "created", "update": "updated", "unchanged": "unchanged"}


def register(groups: Any, common: Any) -> None:
    apply = add_command(groups, common, "apply", run=apply_file,
                        help="create or update the forms, managers, users and partners a JSON file declares (shaped as "
                             "local/seed.json); applying it twice changes nothing")
    apply.add_argument("file")
    apply.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")


def apply_file(context: Context) -> None:
    from leadflow_cli import setup_file

    target = context.target
    setup = setup_file.read_file(context.args.file, variables(target))
    planned = setup_file.plan(target, setup)
    if not context.args.dry_run:
        setup_file.apply(target, planned)
    answer = {"dry_run": context.args.dry_run,
              "changes": [s.model_dump(mode="json") for s in planned.steps]}
    verb = (lambda action: f"would {action}" if action != "unchanged" else action) if context.args.dry_run \
        else DONE.get
    context.printer.answer(answer, lambda: table(
        ["kind", "id", "action", "settings"],
        [[s.kind, s.id, verb(s.action), ", ".join(s.changes)] for s in planned.steps]) or "(the file is empty)")


def variables(target: Any) -> dict[str, str]:
    """What `${NAME}` may name: the environment, and for `make dev` its own origins
    (local/seed.json allows the demo pages it serves, on whatever port)."""
    found = dict(os.environ)
    if target.local and target.api_url:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(target.api_url))
        found.setdefault("LOCAL_ORIGIN", origin)
        found.setdefault("LOCAL_ORIGIN_BY_NAME", origin.replace("://127.0.0.1", "://localhost"))
    return found
