"""Detailed tracing: Powertools' Tracer (a subsegment per decorated method, botocore and
the HTTP libraries patched by the X-Ray SDK) only when the stack switches it on.

Lambda's active tracing (template: `Tracing: Active`) traces every invocation without
any SDK in the function: the invocation, its init and its duration show in X-Ray, and
the downstream services that propagate the trace header (EventBridge, SQS) join it.
What the SDK adds is a subsegment per method and per AWS call, bought with a cold start:
importing aws_xray_sdk and patching every library costs 100-170 ms of init on each
function, even when the Tracer is disabled (Powertools imports the SDK either way).

So the functions take their tracer from `tracer()`: the real one when
`DETAILED_TRACING` is "true" (template parameter `DetailedTracing`, default "false"),
else a stand-in whose decorators return the function itself and whose annotations go
nowhere, imported from nothing."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

DETAILED_TRACING_ENV = "DETAILED_TRACING"


def detailed_tracing() -> bool:
    return os.environ.get(DETAILED_TRACING_ENV, "false").strip().lower() in ("true", "1", "yes", "on")


class NoTracer:
    """What the handlers use of Powertools' Tracer, doing nothing: `@capture_method` and
    `@capture_lambda_handler` (bare or called with options) leave the function as it is."""

    def capture_lambda_handler(self, handler: Callable[..., Any] | None = None, **_options: Any) -> Any:
        return handler if handler is not None else (lambda function: function)

    def capture_method(self, method: Callable[..., Any] | None = None, **_options: Any) -> Any:
        return method if method is not None else (lambda function: function)

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        pass


def tracer() -> Any:
    """Powertools' Tracer when detailed tracing is on, else a `NoTracer`."""
    if detailed_tracing():
        from aws_lambda_powertools import Tracer

        return Tracer()
    return NoTracer()
