"""Deployed stacks kept for a whole test session, put back as just deployed before each test.

Deploying and seeding takes a second or two (creating the resources, and each
function's first import); putting everything back takes milliseconds. A `StackPool`
deploys each distinct stack once, on first request, under its own stack name (so no
two collide on one moto), and `restore()` puts back, for every stack deployed so far:
moto's whole state (moto_state.py), each stack's own state (stream positions, failures,
the scheduler's cache, the functions tests replaced), a new container for every
function (their caches do not leak into the next test) and the AWS call counts.

`checkpoint()` makes the state of the moment the one to restore, for data several tests
share (a dataset built once for a class); leaving it goes back to the one before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from leadflow_local.functions import CallCounter
from leadflow_local.moto_state import MotoSnapshot
from leadflow_local.stack import LocalStack, StackState
from leadflow_local.template import Template

DEFAULT_STACK_NAME = "leadflow-local"
DEFAULT_REGION = "us-east-1"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:3000"


@dataclass(frozen=True)
class _Checkpoint:
    moto: MotoSnapshot
    stacks: dict[int, StackState]  # id(stack) -> its state


class StackPool:
    """Stacks deployed on the moto of this process (in-process `mock_aws`)."""

    def __init__(self, template: Template | None = None) -> None:
        self._template = template or Template()
        self._stacks: dict[tuple[object, ...], LocalStack] = {}
        # The bottom one is moto with every stack deployed so far; others are pushed by checkpoint().
        self._checkpoints: list[_Checkpoint] = [self._take()]

    def stack(self, *, parameters: dict[str, str] | None = None, public_url: str = DEFAULT_PUBLIC_URL,
              seed: bool = True, stack_name: str | None = None, region: str = DEFAULT_REGION) -> LocalStack:
        """The stack deployed with these settings (seeded with local/seed.json unless
        `seed` is false), deployed now if it is the first request for them.

        Another stack's stack name is taken from `leadflow-local-2` on, unless given;
        `region` separates stacks that need the same names. Deploying puts everything
        back first (the new stack joins the clean state), so ask for stacks before
        changing anything."""
        public_url = public_url.rstrip("/")
        key = (tuple(sorted((parameters or {}).items())), public_url, seed, stack_name, region)
        if key in self._stacks:
            return self._stacks[key]
        if len(self._checkpoints) > 1:
            raise RuntimeError("a new stack must be deployed before any checkpoint(): ask for it earlier")
        self.restore()
        default = key == ((), DEFAULT_PUBLIC_URL, True, None, DEFAULT_REGION)
        name = stack_name or (DEFAULT_STACK_NAME if default else self._next_name())
        if any((s.stack_name, s.region) == (name, region) for s in self._stacks.values()):
            raise ValueError(f"stack {name} in {region} is deployed with other settings: give another name or region")
        stack = LocalStack(self._template, stack_name=name, region=region, parameters=parameters,
                           public_url=public_url).deploy(start_functions=False)
        if seed:
            stack.seed()
        self._stacks[key] = stack
        self._checkpoints[0] = self._take()
        self.restore()
        return stack

    def _next_name(self) -> str:
        taken = {s.stack_name for s in self._stacks.values()}
        return next(f"{DEFAULT_STACK_NAME}-{n}" for n in range(2, len(taken) + 3)
                    if f"{DEFAULT_STACK_NAME}-{n}" not in taken)

    def restore(self) -> None:
        """Every stack and moto as at the last checkpoint (or as just deployed)."""
        checkpoint = self._checkpoints[-1]
        checkpoint.moto.restore()
        for stack in self._stacks.values():
            stack.restore(checkpoint.stacks[id(stack)])
        CallCounter.reset()

    @contextmanager
    def checkpoint(self) -> Iterator[None]:
        """Within the block, `restore()` goes back to the state of its start."""
        self._checkpoints.append(self._take())
        try:
            yield
        finally:
            self._checkpoints.pop()
            self.restore()

    def _take(self) -> _Checkpoint:
        return _Checkpoint(MotoSnapshot.take(), {id(s): s.state() for s in self._stacks.values()})
