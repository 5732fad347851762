"""`leadflow`: operate a Leadflow deployment from a terminal, with AWS credentials.

    leadflow --stack NAME [--region R] [--profile P] COMMAND ...   # a deployed stack
    leadflow --local COMMAND ...                                   # the running `make dev`
    leadflow ... --json                                            # JSON for scripts

The global options may also come after the command (`leadflow rules show --local`).
Each group of subcommands is a module of leadflow_cli.commands with a `register`
function; `main` parses, finds the target when a command needs one, runs the command
and turns its outcome into the exit code (leadflow_cli.output)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from leadflow_cli.commands import GROUPS
from leadflow_cli.context import Context, resolve_target
from leadflow_cli.output import OK, REFUSED, USAGE, Printer, Problem, Refused, UsageError
from leadflow_cli.target import Target, TargetError

PROG = "leadflow"


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """The target and output options, accepted before the command and after it. Below
    the top, they default to SUPPRESS so a value given before the command survives."""
    default = {} if top else {"default": argparse.SUPPRESS}
    where = parser.add_argument_group("target (commands that read or change a deployment)")
    where.add_argument("--stack", metavar="NAME", help="the deployed CloudFormation stack", **default)
    where.add_argument("--local", action="store_true", help="the running `make dev` (PORT, default 3000)",
                       **default)
    where.add_argument("--region", help="the stack's region (default: your AWS configuration's)", **default)
    where.add_argument("--profile", dest="aws_profile", metavar="PROFILE",
                       help="the AWS profile to use (default: your AWS configuration's)", **default)
    parser.add_argument("--json", action="store_true", help="print JSON (stable keys) instead of tables",
                        **default)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Operate a Leadflow deployment: forms, managers, logins, scoring rules, reports, erasure.",
        epilog="Exit codes: 0 done, 1 refused (every problem listed), 2 usage error.")
    _global_options(parser, top=True)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, top=False)
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(groups, common)
    return parser


def main(argv: Sequence[str] | None = None, *, target: Target | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run one command; returns the exit code (the console script exits with it).
    `target` replaces --stack/--local: tests hand in one built for their own stack."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # argparse: --help (0) or a usage error (2), already printed
        return done.code if isinstance(done.code, int) else USAGE
    printer = Printer(out, err, as_json=args.json)
    context = Context(args, printer, (lambda _args: target) if target else resolve_target)
    prog = f"{PROG} {args.command_name}"
    try:
        args.run(context)
    except Refused as refused:
        printer.refused(prog, refused)
        return REFUSED
    except (UsageError, TargetError) as error:
        print(f"{prog}: error: {error}", file=err)
        return USAGE
    except Exception as error:  # noqa: BLE001 - the services' refusals and AWS's answers, in the operator's words
        return _failure(prog, error, printer, err)
    return OK


def _failure(prog: str, error: Exception, printer: Printer, err: TextIO) -> int:
    """An admin service refusing (leadflow.shared.refusal: a field at fault, an unknown
    id, an id taken) and AWS refusing a call are refusals (exit 1, with their codes); AWS
    unreachable or no credentials is a usage error (exit 2). Anything else is a bug: raised."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

    from leadflow.shared.refusal import Refused as ServiceRefused

    if isinstance(error, ServiceRefused):
        printer.refused(prog, Refused([Problem(field=e.field, code=e.code, message=e.message) for e in error.errors]))
        return REFUSED

    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        printer.refused(prog, Refused([Problem(code=details.get("Code"), message=f"AWS refused: {error}")]))
        return REFUSED
    if isinstance(error, (NoCredentialsError, EndpointConnectionError)):
        print(f"{prog}: error: {error}", file=err)
        return USAGE
    if isinstance(error, BotoCoreError):
        printer.refused(prog, Refused([Problem(message=f"AWS call failed: {error}")]))
        return REFUSED
    raise error
