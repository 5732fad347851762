"""The local stack as `make dev` runs it (`python -m leadflow_local`), in a subprocess,
spoken to over real HTTP.

One stack serves the whole session: it takes a few seconds to start, and every test
makes its own lead (unique name, email and phone) so tests never see each other's data.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import HTTPRedirectHandler, ProxyHandler, Request, build_opener

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "Leadflow local stack ready"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20
EMAIL_TIMEOUT_S = 10


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningStack:
    base_url: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    aws_port: int = 0  # the stack's moto, where `make token` signs in

    def log_tail(self, lines: int = 60) -> str:
        """The server's last lines, to explain a failing assertion."""
        return "".join(self.output[-lines:])


@pytest.fixture(scope="session")
def local_stack() -> Iterator[RunningStack]:
    """`python -m leadflow_local` on free ports; stopped with Ctrl-C (SIGINT) at the end,
    which must end it cleanly with exit code 0."""
    with running_local_stacks(1, taking=_SESSION) as [stack]:
        yield stack


def _stop(process: subprocess.Popen[str]) -> int | None:
    """Ctrl-C, as a developer would; killed if it does not stop in time (never leaked)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirect(HTTPRedirectHandler):
    """Redirects are what some tests check, so they are returned, not followed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpClient:
    """Plain urllib against the local stack: no proxy from the environment, no redirects."""

    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack
        self._opener = build_opener(ProxyHandler({}), _NoRedirect())

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        url = self.stack.base_url + path  # always the local stack's http:// URL
        request = Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
        try:
            with self._opener.open(request, timeout=15) as response:
                return Reply(response.status, dict(response.headers.items()), response.read())
        except HTTPError as error:  # 3xx, 4xx and 5xx answers are answers too
            with error:
                return Reply(error.code, dict(error.headers.items()), error.read())

    def post_json(self, path: str, fields: dict[str, Any]) -> Reply:
        return self.request("POST", path, json.dumps(fields).encode("utf-8"),
                            {"Content-Type": "application/json", "Accept": "application/json"})

    def emails(self) -> list[dict[str, Any]]:
        reply = self.request("GET", "/_local/mailbox.json")
        assert reply.status == 200, reply.text
        return list(reply.json())

    def stored(self) -> dict[str, list[dict[str, Any]]]:
        """What the table holds: `leads` (each with its `submissions`) and `spam`, as the
        dev server's /_local/leads.json shows them."""
        reply = self.request("GET", "/_local/leads.json")
        assert reply.status == 200, reply.text
        return dict(reply.json())

    def wait_for_email(self, marker: str, timeout: float = EMAIL_TIMEOUT_S) -> dict[str, Any]:
        """The email whose subject names this lead, once the pipeline has sent it."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.emails() if marker in e["subject"]]
            if found:
                assert len(found) == 1, f"more than one email for {marker}: {found}"
                return found[0]
            if time.monotonic() > deadline:
                pytest.fail(f"no email for {marker} within {timeout} s:\n{self.stack.log_tail()}")
            time.sleep(0.2)


@pytest.fixture(scope="session")
def http(local_stack: RunningStack) -> HttpClient:
    return HttpClient(local_stack)


@dataclass(frozen=True)
class LeadIdentity:
    """Contact data nobody else in the session uses: dedupe never merges two tests' leads."""

    tag: str
    phone: str

    def email_at(self, domain: str) -> str:
        return f"lead.{self.tag}@{domain}"

    def ask_for_a_quote(self, page: Any, name: str) -> None:
        """What this person types on the demo page to ask for a quote (fields found by
        their labels, as a screen reader would): a hot lead."""
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_label("Work email").fill(self.email_at("acme-corp.com"))
        page.get_by_label("Phone").fill(self.phone)
        page.get_by_label("Company").fill("Acme Corp")
        page.get_by_label("Job title").fill("VP Sales")
        page.get_by_label("I would like to").select_option("quote")
        page.get_by_label("Message").fill("We need 40 seats by next month.")


@pytest.fixture
def new_lead() -> Callable[[], LeadIdentity]:
    def make() -> LeadIdentity:
        number = uuid.uuid4().int
        digits = number % 10**7
        return LeadIdentity(tag=f"{number % 16**8:08x}", phone=f"+1 415 {digits // 10**4:03d} {digits % 10**4:04d}")

    return make


@pytest.fixture(scope="session")
def id_token(local_stack: RunningStack, stack_id_token: Callable[[RunningStack, str | None], str]
             ) -> Callable[..., str]:
    """A seeded user's Cognito ID token (default: the admin) from the session's stack,
    got the way the README says (`make token`); each user's once."""
    tokens: dict[str | None, str] = {}

    def sign_in(user: str | None = None) -> str:
        if user not in tokens:
            tokens[user] = stack_id_token(local_stack, user)
        return tokens[user]

    return sign_in


# -- stacks for one module alone -----------------------------------------------------------


@dataclass
class _Launched:
    """A stack whose process is starting: ready once its output says so."""

    stack: RunningStack
    reader: threading.Thread
    ready: threading.Event


def _launch() -> _Launched:
    """`python -m leadflow_local` on free ports, as `make dev` runs it, with no AWS_*
    variable of the developer's (it talks to its own moto only); not waited for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(PYTHONPATH=os.pathsep.join(["layers/leadflow", "local", "cli"]), PYTHONUNBUFFERED="1",
               PORT=str(_free_port()), AWS_PORT=str(_free_port()))
    process = subprocess.Popen(
        [sys.executable, "-m", "leadflow_local"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace",
    )
    stack = RunningStack(f"http://127.0.0.1:{env['PORT']}", process, aws_port=int(env["AWS_PORT"]))
    ready = threading.Event()
    reader = threading.Thread(target=_read_output, args=(stack, ready), name="own-local-stack-output", daemon=True)
    reader.start()
    return _Launched(stack, reader, ready)


# Stacks launched ahead, by the module (file) that will take them: the next module with a
# stack of its own gets it booting while the one before runs (pytest_runtest_setup).
_AHEAD: dict[str, list[_Launched]] = {}


@pytest.hookimpl(tryfirst=True)  # before the fixtures of the test are set up
def pytest_runtest_setup(item: pytest.Item) -> None:
    """As an end-to-end module begins, the next module that has a stack of its own
    (`stack`) gets it launched, so it boots meanwhile (not all at once: a stack waiting
    idle costs CPU too); the first one also launches the session's stack."""
    items = item.session.items
    module = item.nodeid.split("::", 1)[0]
    if "tests/e2e/" not in module or module in _AHEAD:
        return
    _AHEAD[module] = []
    if not _AHEAD.keys() - {module} and "local_stack" in _fixtures_of(items, "tests/e2e/"):
        _AHEAD[_SESSION] = [_launch()]
    later = [i.nodeid.split("::", 1)[0] for i in items[items.index(item):] if "tests/e2e/" in i.nodeid]
    following = next((m for m in dict.fromkeys(later) if m != module and "stack" in _fixtures_of(items, m)), None)
    if following is not None and following not in _AHEAD:
        _AHEAD[following] = [_launch()]


_SESSION = "the session's local_stack"


def _fixtures_of(items: list[pytest.Item], prefix: str) -> set[str]:
    return {name for i in items if i.nodeid.startswith(prefix) for name in getattr(i, "fixturenames", ())}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stacks launched ahead for tests that did not run (a session stopped early) are stopped too."""
    for launched in _AHEAD.values():
        while launched:
            _stop(launched.pop().stack.process)


@contextmanager
def running_local_stacks(count: int, taking: str | None = None) -> Iterator[list[RunningStack]]:
    """`count` stacks as `make dev` runs one (`python -m leadflow_local` on free ports,
    no AWS_* variable of the developer's: each talks to its own moto only), started side
    by side (or launched ahead for `taking`, a module or the session), for as long as the
    block runs; each stopped with Ctrl-C at the end, which must end it cleanly (exit code 0)."""
    launched: list[_Launched] = []
    try:
        ahead = _AHEAD.get(taking, []) if taking else []
        while len(launched) < count:
            launched.append(ahead.pop(0) if ahead else _launch())
        deadline = time.monotonic() + START_TIMEOUT_S
        for one in launched:
            while not one.ready.wait(0.2):
                if one.stack.process.poll() is not None:
                    pytest.fail(f"the local stack exited with {one.stack.process.returncode}:\n{one.stack.log_tail()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"the local stack was not ready in {START_TIMEOUT_S} s:\n{one.stack.log_tail()}")
        yield [one.stack for one in launched]
    finally:
        exit_codes = [_stop(one.stack.process) for one in launched]
        for one in launched:
            one.reader.join(timeout=5)
    for one, exit_code in zip(launched, exit_codes, strict=True):
        assert exit_code == 0, f"the local stack did not stop cleanly ({exit_code}):\n{one.stack.log_tail()}"


def _read_output(stack: RunningStack, ready: threading.Event) -> None:
    # Read to the end, not only to "ready": a full pipe would block the server's prints.
    assert stack.process.stdout is not None
    for line in stack.process.stdout:
        stack.output.append(line)
        if READY_LINE in line:
            ready.set()


@pytest.fixture(scope="module")
def own_local_stacks(request: pytest.FixtureRequest) -> Iterator[Callable[[int], list[RunningStack]]]:
    """Local stacks for one test module alone (`own_local_stacks(2)`), stopped when it
    ends: for tests that change what every other test reads (erase people, move and
    convert leads, enter channel costs, change the managers' load), so the session's
    `local_stack` never sees it."""
    with ExitStack() as started:
        module = request.node.nodeid.split("::", 1)[0]
        yield lambda count: started.enter_context(running_local_stacks(count, taking=module))


@pytest.fixture(scope="module")
def stack(own_local_stacks: Callable[[int], list[RunningStack]]) -> RunningStack:
    """This module's own stack (own_local_stacks), for a module that changes what the
    session's `local_stack` serves to every other module."""
    [stack] = own_local_stacks(1)
    return stack


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A desktop browser page in a fresh context of its own (console_kit.console_page)."""
    from console_kit import console_page

    with console_page(browser) as page:
        yield page


@pytest.fixture(scope="session")
def http_client() -> Callable[[RunningStack], HttpClient]:
    """An HttpClient for any running stack (the `http` fixture's, for the session's)."""
    return HttpClient


def sign_in_as(stack: RunningStack, user: str | None = None) -> str:
    """A seeded user's Cognito ID token from a running stack (None: the admin), got the
    way the README says: `make token`, i.e. `python -m leadflow_local.token`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(PYTHONPATH=os.pathsep.join(["layers/leadflow", "local"]), AWS_PORT=str(stack.aws_port))
    done = subprocess.run([sys.executable, "-m", "leadflow_local.token", *([user] if user else [])],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="session")
def stack_id_token() -> Callable[[RunningStack, str | None], str]:
    return sign_in_as


# Debian's chromium, headless in a container: no network chatter of its own, no first-run screens.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A real browser (Playwright driving Debian's chromium), one for the session: each
    test opens its own context (cookies, storage, cache), as a new person would."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
