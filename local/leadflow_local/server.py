"""`make dev`: the whole Leadflow pipeline on one machine, with no AWS account.

moto is the AWS, inside this process: the stack and its functions call it in process
(`mock_aws`: no HTTP, no sockets, no second parse of every request), and moto's server
on AWS_PORT serves the same backends to what runs outside (the `leadflow` command,
`make token`, moto's dashboard and /moto-api/data.json). `LocalStack` creates
template.yaml's resources on it and runs its wiring (API routes, the table's stream, the
bus rules). This module adds what a developer needs around that: one HTTP port serving
the demo landing page (with web/leadflow.js), the API, a mailbox showing the emails
managers received, the stored leads as JSON and the stack's outputs for the `leadflow`
command (`leadflow --local`); and a clean start and stop.

    PYTHONPATH=layers/leadflow:local:cli python -m leadflow_local

Environment: PORT (HTTP, default 3000), AWS_PORT (moto, default 4566), LOG_LEVEL (the
functions' log level, default INFO), LOCAL_WEBHOOKS (default on: the template's chat and
CRM webhooks post to this server's /_local/webhooks page; off: not created, as by default
in AWS).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sys
import threading
import traceback
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import ProxyHandler, build_opener

from moto import mock_aws
from moto.server import ThreadedMotoServer

from leadflow.shared.brand import FAVICON_SVG
from leadflow_local.demo_pages import render_demo_page
from leadflow_local.domain import item_as_dict
from leadflow_local.mailbox import MAILBOX_CSP, MAILBOX_PATH, MAILBOX_SCRIPT, Mailbox, render_mailbox
from leadflow_local.managed_login import LOGIN_PATH
from leadflow_local.stack import CallCounter, HttpResponse, LocalStack
from leadflow_local.webhooks import WEBHOOKS_CSP, WEBHOOKS_PATH, WebhookInbox, local_webhook_parameters

HOST = "127.0.0.1"
PAGES_DIR = Path(__file__).resolve().parents[1] / "pages"
WEB_DIR = Path(__file__).resolve().parents[2] / "web"  # what landing pages include: leadflow.js
HTML = "text/html; charset=utf-8"
SVG = "image/svg+xml"
# Fixed paths only: nothing from the request ever becomes a file name.
PAGES = {"/leadflow.js": (WEB_DIR / "leadflow.js", "text/javascript; charset=utf-8"),
         f"{WEBHOOKS_PATH}.js": (PAGES_DIR / "webhooks.js", "text/javascript; charset=utf-8"),
         MAILBOX_SCRIPT: (PAGES_DIR / "mailbox.js", "text/javascript; charset=utf-8"),
         f"{WEBHOOKS_PATH}.css": (PAGES_DIR / "webhooks.css", "text/css; charset=utf-8"),
         # The ALTCHA widget, for pages without leadflow.js (web/vendor/README.md).
         "/vendor/altcha-2.3.0.js": (WEB_DIR / "vendor" / "altcha-2.3.0.js", "text/javascript; charset=utf-8"),
         # Leadflow's mark, on every page of make dev (browsers ask /favicon.ico of any site).
}
# Leadflow's mark (leadflow.shared.brand): the pages of make dev name it, and browsers ask
# /favicon.ico of any site (the JSON pages', say).
ICONS = ("/favicon.svg", "/favicon.ico")
LEADS_PATH = "/_local/leads.json"
# What `leadflow --local` reads to find the stack: its outputs and resources' physical
# ids, as DescribeStacks and ListStackResources give them for a deployed stack, and moto.
STACK_PATH = "/_local/stack.json"
# A sign-in form or a token request is small.
MAX_LOGIN_FORM_BYTES = 16 * 1024
# API Gateway refuses larger payloads before the function runs.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
# Headers this server computes itself; a function's value for them would lie about the body.
HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "keep-alive"}
COMMON_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

# Local URLs never go through a proxy from the environment.
_direct = build_opener(ProxyHandler({}))


@dataclass(frozen=True)
class DevSettings:
    port: int = 3000
    aws_port: int = 4566
    log_level: str = "INFO"
    webhooks: bool = True  # the chat and CRM webhooks post to /_local/webhooks

    @classmethod
    def from_env(cls) -> DevSettings:
        return cls(port=int(os.environ.get("PORT", "3000")), aws_port=int(os.environ.get("AWS_PORT", "4566")),
                   log_level=os.environ.get("LOG_LEVEL", "INFO").upper(),
                   webhooks=os.environ.get("LOCAL_WEBHOOKS", "on").lower() not in ("off", "0", "false", "no"))

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def aws_url(self) -> str:
        return f"http://{HOST}:{self.aws_port}"


def point_boto3_at_moto() -> None:
    """Every boto3 client of this process (the stack's and the functions') is answered by
    moto in process (`mock_aws`, entered in `run`), so the handlers need no local-only
    code. No endpoint URL from the environment may send them elsewhere: moto answers the
    AWS host names only. Must run before any client."""
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    # No X-Ray daemon and no CloudWatch agent here: keep stdout to the functions' logs.
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")


# -- what the table holds ------------------------------------------------------------------


def stored_leads(stack: LocalStack) -> dict[str, list[dict[str, Any]]]:
    """Every lead card with its submissions (oldest first), and the posts kept aside as
    spam. A Scan: fine for a local tool on a demo table; no request path of Leadflow scans."""
    leads: dict[str, dict[str, Any]] = {}
    submissions: dict[str, list[dict[str, Any]]] = {}
    spam: list[dict[str, Any]] = []
    pages = stack.client("dynamodb").get_paginator("scan").paginate(TableName=stack.table_name(),
                                                                   ConsistentRead=True)
    for item in (item for page in pages for item in page["Items"]):
        pk, sk = item["PK"]["S"], item["SK"]["S"]
        if pk.startswith("LEAD#") and sk == "LEAD":
            leads[pk] = item_as_dict(item)
        elif pk.startswith("LEAD#") and sk.startswith("SUB#"):
            submissions.setdefault(pk, []).append(item_as_dict(item))
        elif pk.startswith("SPAM#"):
            spam.append(item_as_dict(item))
    for pk, lead in leads.items():
        lead["submissions"] = sorted(submissions.get(pk, []), key=lambda s: str(s.get("received_at")))
    return {"leads": sorted(leads.values(), key=lambda lead: str(lead.get("created_at"))),
            "spam": sorted(spam, key=lambda item: str(item.get("received_at")))}


def stack_description(stack: LocalStack, aws_url: str) -> dict[str, Any]:
    """The stack as `leadflow --local` needs it (leadflow_cli.target.LocalStackDescription)."""
    return {"stack_name": stack.stack_name, "region": stack.region, "outputs": stack.outputs(),
            "resources": stack.resource_ids(), "aws_endpoint": aws_url}


def _plain(value: Any) -> Any:
    """JSON for what DynamoDB returns besides JSON types: numbers are Decimals, sets are sets."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


# -- HTTP ---------------------------------------------------------------------------------


class DevServer(ThreadingHTTPServer):
    """The local pages and, for every other request, the template's API routes."""

    daemon_threads = True

    def __init__(self, port: int, stack: LocalStack, mailbox: Mailbox, aws_url: str,
                 webhooks: WebhookInbox | None = None) -> None:
        super().__init__((HOST, port), DevRequestHandler)
        self.stack = stack
        self.mailbox = mailbox
        self.aws_url = aws_url
        self.webhooks = webhooks or WebhookInbox()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser closing a connection early is normal; anything else is worth a trace.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class DevRequestHandler(BaseHTTPRequestHandler):
    server: DevServer
    server_version = "leadflow-local"
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries a Content-Length

    def do_GET(self) -> None:
        self._send(self._local_page() or self._webhook_receiver() or self._managed_login() or self._api())

    # Every method reaches the API as it would reach API Gateway (OPTIONS included).
    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: the functions log every request that matters."""

    def _local_page(self) -> HttpResponse | None:
        if self.command not in ("GET", "HEAD"):
            return None
        path = urlsplit(self.path).path
        static = _static_page(path)
        if static is not None:
            return static
        if path == WEBHOOKS_PATH:
            return HttpResponse(200, {"Content-Type": HTML, "Content-Security-Policy": WEBHOOKS_CSP},
                                (PAGES_DIR / "webhooks.html").read_bytes())
        if path == MAILBOX_PATH:
            page = render_mailbox(self.server.mailbox.emails())
            return HttpResponse(200, {"Content-Type": "text/html; charset=utf-8",
                                      "Content-Security-Policy": MAILBOX_CSP}, page.encode("utf-8"))
        data = self._local_data(path)
        if data is None:
            return None
        return HttpResponse(200, {"Content-Type": "application/json"}, json.dumps(data, default=_plain).encode("utf-8"))

    def _local_data(self, path: str) -> Any:
        """What the JSON pages show (None: not one of them)."""
        if path == f"{MAILBOX_PATH}.json":
            return [asdict(e) for e in self.server.mailbox.emails()]
        if path == LEADS_PATH:
            return stored_leads(self.server.stack)
        if path == f"{WEBHOOKS_PATH}.json":
            return self.server.webhooks.posts()
        if path == STACK_PATH:
            return stack_description(self.server.stack, self.server.aws_url)
        return None

    def _webhook_receiver(self) -> HttpResponse | None:
        """The local chat and CRM receivers (webhooks.py): what the stack's API destinations post."""
        url = urlsplit(self.path)
        if self.command != "POST" or not url.path.startswith(WEBHOOKS_PATH + "/"):
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_PAYLOAD_BYTES:
            self.close_connection = True
            return _gateway_error(400, "Bad Request")
        status = self.server.webhooks.receive(url.path.removeprefix(WEBHOOKS_PATH + "/"), dict(self.headers.items()),
                                              self.rfile.read(length))
        return HttpResponse(status, {"Content-Type": "application/json"}, b"{}")

    def _managed_login(self) -> HttpResponse | None:
        """The user pool domain's pages (managed_login.py), where the console signs in."""
        url = urlsplit(self.path)
        if not url.path.startswith(LOGIN_PATH + "/"):
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_LOGIN_FORM_BYTES:
            self.close_connection = True
            return _gateway_error(400, "Bad Request")
        body = self.rfile.read(length)
        answer = self.server.stack.managed_login().handle(self.command, url.path, url.query,
                                                           dict(self.headers.items()), body)
        return None if answer is None else HttpResponse(answer.status, answer.headers, answer.body)

    def _api(self) -> HttpResponse:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return _gateway_error(411, "Length Required")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_PAYLOAD_BYTES:
            self.close_connection = True  # the unread body must not be taken for the next request
            return _gateway_error(413, "Request Too Long") if length > 0 else _gateway_error(400, "Bad Request")
        body = self.rfile.read(length)
        url = urlsplit(self.path)
        # Repeated headers collapse to their last value, as in API Gateway's `headers`.
        headers = dict(self.headers.items())
        try:
            # Concurrent requests are safe: the stack runs each in its own execution environment.
            return self.server.stack.handle_http(self.command, unquote(url.path), headers, body,
                                                 url.query, self.client_address[0])
        except Exception:  # noqa: BLE001 - a function error, as API Gateway sees it
            traceback.print_exc()
            return _gateway_error(502, "Internal server error")

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        headers = {**COMMON_HEADERS, **response.headers}
        for name, value in headers.items():
            if name.lower() not in HOP_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


def _static_page(path: str) -> HttpResponse | None:
    """A file, the icon or a demo page (the same for everyone), or None."""
    if path in PAGES:
        file, content_type = PAGES[path]
        return HttpResponse(200, {"Content-Type": content_type}, file.read_bytes())
    if path in ICONS:
        return HttpResponse(200, {"Content-Type": SVG}, FAVICON_SVG.encode("utf-8"))
    demo = render_demo_page(path)
    return HttpResponse(200, {"Content-Type": HTML}, demo.encode("utf-8")) if demo is not None else None


def _gateway_error(status: int, message: str) -> HttpResponse:
    """An error API Gateway itself would answer, before any function runs."""
    return HttpResponse(status, {"Content-Type": "application/json"}, json.dumps({"message": message}).encode())


# -- running ------------------------------------------------------------------------------


def watch_activity(stack: LocalStack, mailbox: Mailbox, stop: threading.Event, interval: float = 0.5) -> None:
    """Print pump failures and each email sent, as they happen.

    moto's data.json dumps every object moto holds (items, messages...), so it is read
    only after a function called SES (the stack's call counter says so), not every poll."""
    failures_seen, sends_seen = 0, 0
    printed: set[str] = set()
    while not stop.wait(interval):
        for failure in stack.failures[failures_seen:]:
            print(f"[leadflow-local] pipeline failure: {failure}")
        failures_seen = len(stack.failures)
        sends = CallCounter.calls.get("sesv2.SendEmail", 0)
        if sends == sends_seen:
            continue
        sends_seen = sends
        try:
            emails = mailbox.emails()
        except OSError:
            continue  # moto is stopping; nothing to report
        for sent in reversed(emails):
            if sent.message_id not in printed:
                printed.add(sent.message_id)
                # Ids only, as in the functions' logs: a subject names the lead, and the
                # autoresponder's recipient is the visitor. The mailbox page shows them.
                print(f"[leadflow-local] email {sent.message_id} sent (see {MAILBOX_PATH})")


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True


def _start_moto(port: int) -> ThreadedMotoServer:
    # moto's server logs every AWS call through werkzeug; the functions' logs say more.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    moto.start()
    return moto


def run(settings: DevSettings) -> int:
    """Start moto, deploy and seed the stack, serve until SIGINT or SIGTERM; returns the exit code."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        stop.set()
        # A second Ctrl-C ends the process at once, should the orderly stop ever hang.
        signal.signal(signum, signal.SIG_DFL)

    # Installed first, so even a Ctrl-C during start-up shuts down in order.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, request_stop)

    for name, port in (("AWS_PORT", settings.aws_port), ("PORT", settings.port)):
        # ThreadedMotoServer would wait forever for a server that failed to bind.
        if not _port_is_free(port):
            print(f"[leadflow-local] port {port} is in use: set {name} to a free port", file=sys.stderr)
            return 1
    point_boto3_at_moto()

    with ExitStack() as cleanup:  # undone in reverse: HTTP, then pumps, then moto
        # In process for this process's calls (measured: x1.35 leads/s over going through
        # moto's own HTTP server); the server shares its backends for the outside.
        cleanup.enter_context(mock_aws())
        moto = _start_moto(settings.aws_port)
        cleanup.callback(moto.stop)

        # Signed links in emails point at this server, not at an execute-api host.
        parameters = {"LogLevel": settings.log_level,
                      **(local_webhook_parameters(settings.base_url) if settings.webhooks else {})}
        stack = LocalStack(parameters=parameters, public_url=settings.base_url).deploy()
        stack.seed(local_origin=settings.base_url)
        mailbox = Mailbox(stack.account_id, stack.region)
        threads = stack.run_pumps(stop)
        threads.append(threading.Thread(target=watch_activity, args=(stack, mailbox, stop),
                                        name="activity", daemon=True))
        threads[-1].start()
        cleanup.callback(_join, threads)
        cleanup.callback(stop.set)  # also when start-up fails below

        httpd = DevServer(settings.port, stack, mailbox, settings.aws_url)
        cleanup.callback(httpd.server_close)
        threading.Thread(target=httpd.serve_forever, name="http", daemon=True).start()
        cleanup.callback(httpd.shutdown)

        _print_banner(settings, stack)
        # Waking now and then lets the main thread run the SIGINT handler: when the kernel
        # hands the signal to another thread, a wait without a timeout would never return.
        while not stop.wait(0.5):
            pass
        print("[leadflow-local] stopping", flush=True)
    print("[leadflow-local] stopped", flush=True)
    return 0


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=10)


def _print_banner(settings: DevSettings, stack: LocalStack) -> None:
    base = settings.base_url
    print("", f"  Landing page   {base}/   (in Spanish {base}/es, in Arabic {base}/ar)",
          f"  Console        {base}/console   (sign in as a user below)",
          f"  Mailbox        {base}{MAILBOX_PATH}",
          f"  Webhooks       {base}{WEBHOOKS_PATH}" + ("" if stack.pipes else "   (off: LOCAL_WEBHOOKS=off)"),
          f"  Stored leads   {base}{LEADS_PATH}", f"  API base       {base}", sep="\n")
    for route in stack.routes:  # read from the template, like the routing itself
        needs = "  (ID token)" if route.authorizer else ""
        print(f"                 {route.method} {base}{route.path}{needs}")
    # The routes marked above want a Cognito ID token: one command gets one.
    port = "" if settings.aws_port == 4566 else f"AWS_PORT={settings.aws_port} "
    print(f"  ID token       {port}make -s token USER=<email>   (default: the admin)",
          f"                 users: {', '.join(stack.passwords) or 'none seeded'} (local/seed.json)",
          f'                 curl -H "Authorization: $({port}make -s token)" {base}/leads', sep="\n")
    port_env = "" if settings.port == 3000 else f"PORT={settings.port} "
    print(f"  leadflow       {port_env}leadflow --local forms list   (the stack: {base}{STACK_PATH})",
          f"  AWS (moto)     {settings.aws_url}  (dashboard {settings.aws_url}/moto-api/)", "",
          "Leadflow local stack ready (Ctrl-C to stop)", sep="\n", flush=True)


def main() -> int:
    # Piped output (make, CI, the e2e tests) must arrive line by line; a visitor's name in
    # an email subject must never crash a print on a non-UTF-8 console.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True, errors="backslashreplace")
    return run(DevSettings.from_env())
