"""Adding a subcommand: its parser (with the global options, so they may come after
it) and what runs it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from leadflow_cli.context import Context

Run = Callable[[Context], None]


def add_command(subparsers: Any, common: argparse.ArgumentParser, name: str, *, help: str,  # noqa: A002 - argparse's
                run: Run, full_name: str | None = None, description: str | None = None) -> argparse.ArgumentParser:
    """A leaf command: `run(context)` prints its answer or raises Refused / UsageError.
    `full_name` ("rules put") is how its messages are prefixed."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help, description=description or help, parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(run=run, command_name=full_name or name)
    return parser


def add_group(subparsers: Any, name: str, *, help: str) -> Any:  # noqa: A002 - argparse's
    """A group of commands (`leadflow rules ...`); its own subparsers."""
    parser = subparsers.add_parser(name, help=help, description=help)
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")
