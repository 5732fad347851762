"""What a subcommand runs with (`Context`), and how the target options become a `Target`."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from leadflow_cli.output import Printer, UsageError
from leadflow_cli.target import Target, local_target, stack_target


class Context:
    """What a subcommand runs with: its arguments, where to print, and the target,
    resolved on first use (commands that need no AWS never look for one)."""

    def __init__(self, args: argparse.Namespace, printer: Printer,
                 resolve: Callable[[argparse.Namespace], Target]) -> None:
        self.args = args
        self.printer = printer
        self._resolve = resolve
        self._target: Target | None = None

    @property
    def target(self) -> Target:
        if self._target is None:
            self._target = self._resolve(self.args)
        return self._target


def resolve_target(args: argparse.Namespace) -> Target:
    """The deployment the options name: exactly one of --stack and --local."""
    stack, local = getattr(args, "stack", None), getattr(args, "local", False)
    if stack and local:
        raise UsageError("give --stack NAME or --local, not both")
    if local:
        if getattr(args, "region", None) or getattr(args, "aws_profile", None):
            raise UsageError("--region and --profile are for --stack; `make dev` has its own")
        return local_target()
    if stack:
        return stack_target(stack, region=getattr(args, "region", None), profile=getattr(args, "aws_profile", None))
    raise UsageError("which deployment? give --stack NAME (its CloudFormation stack) or --local (`make dev`)")
