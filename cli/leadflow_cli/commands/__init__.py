"""The `leadflow` subcommands, one module per group, each with a `register` function
that adds its parsers (leadflow_cli.commands.parsing.add_command). A new group is a
module here and a place in GROUPS (the order `leadflow --help` lists them in)."""

from __future__ import annotations

from types import ModuleType

from leadflow_cli.commands import (
    apply,
    erase,
    forms,
    imports,
    leads,
    managers,
    offboard,
    partners,
    referrals,
    report,
    rules,
    spam,
    unassigned,
    users,
)

GROUPS: tuple[ModuleType, ...] = (forms, managers, offboard, users, apply, imports, leads, unassigned, rules, report,
                                  erase, spam, partners, referrals)
