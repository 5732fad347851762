"""Lambda's side of the local stack: each function in an execution environment of its own.

A `LambdaFunction` is one function of the template in one container: its handler
module and the sibling modules of its folder, imported on its first invocation (a cold
start) and kept until the container is retired (`retire`: the next invocation starts a
new one, as after a deploy). While it is imported and while it runs, the process holds:

- exactly the process's own environment plus the function's variables (the template's
  `Environment.Variables`, resolved, and the region): nothing another function has, so
  a variable missing from the template is missing here too, as in AWS;
- its folder first on `sys.path` and its own sibling modules in `sys.modules` (Lambda's
  task root), never another container's copies of them;
- the process-wide lock that lets one invocation run at a time: Lambda never runs two
  in one process, and Powertools relies on it (the REST resolver keeps the current event
  in a class attribute, the Logger its keys per service).

Everything is put back afterwards. Every AWS call the function makes, at its start and
in its invocations, is checked against its role in the template as deployed (iam.py): a
call the role does not allow fails as AWS fails it. `CallCounter` patches botocore's one
call path for that check and counts the calls each function makes while it runs (not
while it starts)."""

from __future__ import annotations

import contextlib
import contextvars
import importlib.util
import os
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from botocore.client import BaseClient

from leadflow_local.aws import send_to_queue_arn
from leadflow_local.iam import Permissions
from leadflow_local.template import FunctionSpec, Resolver

Invoke = Callable[[str, dict[str, Any]], Any]

_one_invocation_at_a_time = threading.RLock()
_in_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("leadflow_in_function", default=None)
# The container whose code runs in this thread (starting or invoked): whose role a call is
# checked against. Per thread: the pumps and the server make their own calls meanwhile.
_in_container: contextvars.ContextVar[LambdaFunction | None] = contextvars.ContextVar(
    "leadflow_in_container", default=None)
# The functions running now, outermost first, each with the environment it was entered
# from: the first one's is the process's own (what every function starts from).
_running: list[tuple[LambdaFunction, dict[str, str]]] = []


class CallCounter:
    """Counts AWS API calls made while a function runs, by `service.Operation`, and checks
    every call a function makes (starting or running) against its role."""

    _installed = False
    _lock = threading.Lock()
    calls: Counter[str] = Counter()
    by_function: Counter[str] = Counter()  # "<FunctionId> <service>.<Operation>"

    @classmethod
    def install(cls) -> None:
        """Count and check through botocore's one call path (once per process)."""
        with cls._lock:
            if cls._installed:
                return
            original = BaseClient._make_api_call

            def counting(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
                function_id = _in_function.get()
                if function_id is not None:
                    call = f"{client.meta.service_model.service_name}.{operation_name}"
                    with cls._lock:
                        cls.calls[call] += 1
                        cls.by_function[f"{function_id} {call}"] += 1
                container = _in_container.get()
                if container is not None and container.permissions is not None:
                    # As the function's role: a call it does not allow fails here, as in AWS.
                    container.permissions.check(client, operation_name, api_params)
                return original(client, operation_name, api_params)

            BaseClient._make_api_call = counting  # type: ignore[method-assign]
            cls._installed = True

    @classmethod
    def reset(cls) -> Counter[str]:
        """Forget every count; returns the calls counted until now."""
        with cls._lock:
            snapshot = Counter(cls.calls)
            cls.calls.clear()
            cls.by_function.clear()
            return snapshot

    @staticmethod
    @contextlib.contextmanager
    def counting_for(function_id: str) -> Iterator[None]:
        """Count the calls made inside the block as `function_id`'s."""
        token = _in_function.set(function_id)
        try:
            yield
        finally:
            _in_function.reset(token)


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""
    timeout_ms: int = 15000
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self.timeout_ms - (time.monotonic() - self._started) * 1000))


@dataclass(frozen=True)
class AsyncInvocation:
    """How Lambda invokes a function asynchronously (a bus rule, a schedule): the first
    try plus the function's retries, then its dead-letter target."""

    attempts: int
    dead_letter_arn: str | None

    @classmethod
    def of(cls, spec: FunctionSpec, resolve: Resolver) -> AsyncInvocation:
        """The function's EventInvokeConfig and DeadLetterQueue, as the template sets them."""
        wanted = ("EventInvokeConfig", "DeadLetterQueue")
        props = resolve({k: v for k, v in spec.properties.items() if k in wanted})
        retries = int(props.get("EventInvokeConfig", {}).get("MaximumRetryAttempts", 2))
        dlq = props.get("DeadLetterQueue", {}).get("TargetArn") or \
            props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        return cls(1 + retries, dlq)


def invoke_async(invoke: Invoke, function_id: str, invocation: AsyncInvocation, event: dict[str, Any],
                 failures: list[str], sqs: Any) -> None:
    """An asynchronous invocation: the first try plus the function's retries, with a
    short backoff, then the event goes to the dead-letter target (and to `failures`)."""
    for attempt in range(invocation.attempts):
        try:
            invoke(function_id, event)
            return
        except Exception:  # noqa: BLE001 - a function error, as Lambda sees it
            if attempt + 1 < invocation.attempts:
                time.sleep(min(0.05 * 2**attempt, 1.0))
    failures.append(f"{function_id}: event {event.get('id')} sent to the dead-letter queue")
    if invocation.dead_letter_arn:
        send_to_queue_arn(sqs, invocation.dead_letter_arn, event)


class LambdaFunction:
    """One function of the template in its current container (see the module's doc).

    Callable as its handler: `function(event, context)`."""

    def __init__(self, spec: FunctionSpec, environment: Mapping[str, str],
                 permissions: Permissions | None = None) -> None:
        self.spec = spec
        self.environment = dict(environment)
        # What its role allows; the local stack always gives it (None: unchecked, for a
        # bench that runs a handler on canned answers).
        self.permissions = permissions
        self.module_name = f"leadflow_fn_{spec.logical_id}"
        self.code_dir = Path(spec.code_uri).resolve()
        module_file, self.handler_name = spec.handler.rsplit(".", 1)
        self.handler_path = self.code_dir / f"{module_file}.py"
        # What the handler may import from its folder, as Lambda's task root allows.
        self._sibling_names = _importable_names(self.code_dir) - {module_file}
        self._sibling_packages = {p.parent.name for p in self.code_dir.glob("*/__init__.py")}
        self._module: ModuleType | None = None
        self._siblings: dict[str, ModuleType] = {}
        self.cold_starts = 0

    @property
    def logical_id(self) -> str:
        return self.spec.logical_id

    @property
    def is_cold(self) -> bool:
        """Whether the next invocation starts a new container (imports the handler)."""
        return self._module is None

    def retire(self) -> None:
        """Drop this container: the next invocation imports the handler and its siblings
        anew, so nothing a container cached (forms, rule sets, keys) outlives it."""
        with _one_invocation_at_a_time:
            self._module = None
            self._siblings = {}

    def module(self) -> ModuleType:
        """The handler module of the current container, started if cold (for tests that
        replace one of its collaborators)."""
        with self.running() as module:
            return module

    def __call__(self, event: Any, context: Any) -> Any:
        with self.running() as module:
            return getattr(module, self.handler_name)(event, context)

    @contextlib.contextmanager
    def running(self) -> Iterator[ModuleType]:
        """Inside this function's container (started if cold): its environment, path and
        modules in place, no other invocation in the process; all put back after."""
        with _one_invocation_at_a_time:
            if _running and _running[-1][0] is self:
                yield self._start()  # already inside (a test's wrapper calling the handler)
                return
            entered_from = dict(os.environ)
            process_env = _running[0][1] if _running else entered_from
            _set_environment({**process_env, **self.environment})
            displaced = self._install_modules()
            on_path = str(self.code_dir) in sys.path
            if not on_path:
                sys.path.insert(0, str(self.code_dir))
            _running.append((self, entered_from))
            in_container = _in_container.set(self)
            try:
                yield self._start()
            finally:
                _in_container.reset(in_container)
                _running.pop()
                if not on_path:
                    sys.path.remove(str(self.code_dir))
                self._uninstall_modules(displaced)
                _set_environment(entered_from)

    def _start(self) -> ModuleType:
        """The handler module; imported first if the container is cold (its siblings are
        imported with it, from this folder, as fresh modules)."""
        if self._module is None:
            spec = importlib.util.spec_from_file_location(self.module_name, self.handler_path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[self.module_name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(self.module_name, None)
                raise
            self._module = module
            self.cold_starts += 1
        return self._module

    def _install_modules(self) -> dict[str, ModuleType]:
        """Put this container's modules in sys.modules; returns what they displaced (a
        module of the same name imported elsewhere, never to be used by this handler)."""
        displaced: dict[str, ModuleType] = {}
        names = {self.module_name, *self._sibling_names}
        if self._sibling_packages:
            names |= {n for n in sys.modules if n.partition(".")[0] in self._sibling_packages}
        for name in names:
            present = sys.modules.pop(name, None)
            if present is not None:
                displaced[name] = present
        if self._module is not None:
            sys.modules[self.module_name] = self._module
        sys.modules.update(self._siblings)
        return displaced

    def _uninstall_modules(self, displaced: dict[str, ModuleType]) -> None:
        """Keep the siblings this container imported (now or lazily in a handler) and
        take them out of sys.modules, putting back what was there before."""
        names = set(self._sibling_names)
        if self._sibling_packages:  # their submodules too ("pkg.sub")
            names |= {n for n in sys.modules if n.partition(".")[0] in self._sibling_packages}
        for name in names:
            module = sys.modules.pop(name, None)
            if module is not None and self._module is not None:
                self._siblings[name] = module
        sys.modules.pop(self.module_name, None)
        sys.modules.update(displaced)


def _importable_names(folder: Path) -> set[str]:
    """Top-level module names a file or package in `folder` provides."""
    if not folder.is_dir():
        return set()
    return {p.stem for p in folder.glob("*.py")} | {p.parent.name for p in folder.glob("*/__init__.py")}


def _set_environment(target: Mapping[str, str]) -> None:
    """Make os.environ equal `target`, changing only what differs: a variable both have
    is never absent, not even for a moment (other threads read credentials from it)."""
    for name in [name for name in os.environ if name not in target]:
        del os.environ[name]
    for name, value in target.items():
        if os.environ.get(name) != value:
            os.environ[name] = value
