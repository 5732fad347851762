"""The `leadflow` subcommands, one module per group, each with a `register` function
that adds its parsers (leadflow_cli.commands.parsing.add_command). A new group (forms,
managers, users, apply, import, unassigned) is a module here and a line in GROUPS."""

from __future__ import annotations

from types import ModuleType

from leadflow_cli.commands import erase, imports, report, rules

GROUPS: tuple[ModuleType, ...] = (rules, report, erase, imports)
