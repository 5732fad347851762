"""Figure 4: leads per second end to end through the local stack, over real HTTP.

`python -m leadflow_local` (what `make dev` runs) is started on free ports; a pool of
clients posts distinct leads, and the clock runs from the first post until the stack
has sent every lead's email. So the figure covers capture, the stream, scoring, the bus
and notify: the local stack's whole pipeline, which is what developers and the e2e
tests wait on (its moto is the AWS here, so it says nothing about AWS itself).

The stack is one Python process: its functions, moto and the pumps share one core (the
GIL). Its wall-clock figure therefore moves with whatever else the machine runs, so the
process's own CPU time from the first post to the last email is read too (/proc: Linux):
CPU ms per lead, and the leads per CPU second that gives (what the stack does with a core
to itself), against the cold start's baseline CPU (`import boto3` + one client + one
call) measured in the same run, so the ratio compares machines and moments fairly.

Emails are counted by polling the managers' mailbox (/_local/mailbox.json) every POLL_S
once every post is answered (no lead can be emailed before it is posted); each read is
timed and reported, since the polling shares the server's CPU with the pipeline."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.request import ProxyHandler, build_opener

from bench import cold_start
from bench.measure import sample_post, summary_ms
from leadflow_local.template import ROOT

LEADS = 200
CLIENTS = 8
RUNS = 3  # of the pipeline with webhooks off: the figure is their median
BASELINE_RUNS = 9
POLL_S = 0.25  # resolution of the end time
HOST = "127.0.0.1"
READY_LINE = "Leadflow local stack ready"
SERVER_MODULE = ROOT / "local" / "leadflow_local" / "server.py"
SERVER_ARGS = ["-m", "leadflow_local"]  # what `make dev` runs
START_TIMEOUT_S = 60
# From the first post: posts not answered by then are cut, emails not sent by then are
# missing, and the figure says it is incomplete. 200 leads at 2.5 leads/s fit in it.
BUDGET_S = 90
STOP_TIMEOUT_S = 20

# Local URLs never go through a proxy from the environment.
_http = build_opener(ProxyHandler({}))


class StackUnavailable(RuntimeError):
    """The local stack could not be started (or is not written yet)."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class _Server:
    port: int
    aws_port: int
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def tail(self, lines: int = 40) -> str:
        return "".join(self.output[-lines:])


def start_stack(webhooks: bool = False) -> _Server:
    if not SERVER_MODULE.exists():
        raise StackUnavailable(f"{SERVER_MODULE.relative_to(ROOT)} does not exist yet")
    # No AWS_* variable of the developer's reaches the stack: it talks to its own moto.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    port, aws_port = _free_port(), _free_port()
    env.update(PYTHONPATH=os.pathsep.join(["layers/leadflow", "local", "cli"]), PYTHONUNBUFFERED="1",
               PORT=str(port), AWS_PORT=str(aws_port), LOCAL_WEBHOOKS="on" if webhooks else "off")
    process = subprocess.Popen(
        [sys.executable, *SERVER_ARGS], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace",
    )
    server = _Server(port, aws_port, process)

    def read_output() -> None:
        # To the end, not only to "ready": a full pipe would block the functions' logs.
        assert process.stdout is not None
        for line in process.stdout:
            server.output.append(line)
            if READY_LINE in line:
                server.ready.set()

    threading.Thread(target=read_output, name="local-stack-output", daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_stack(process)
            raise StackUnavailable(f"the local stack did not become ready:\n{server.tail()}")
    return server


def stop_stack(process: subprocess.Popen[str]) -> int | None:
    """Ctrl-C, as a developer would; killed only if it does not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def _visitor_ip(n: int) -> str:
    """A loopback address of its own per visitor (all of 127/8 is local on Linux):
    capture limits posts per client IP, and 200 people do not share one address."""
    return f"127.0.{1 + n // 250}.{1 + n % 250}"


def post_lead(port: int, n: int, deadline: float) -> tuple[int, float] | None:
    """The n-th visitor's form post: its status (0 for no answer) and latency in ms;
    None when the time budget ran out before it was sent."""
    if time.perf_counter() > deadline:
        return None
    body = json.dumps(sample_post(n)).encode("utf-8")
    timeout = max(1.0, deadline - time.perf_counter())
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout, source_address=(_visitor_ip(n), 0))
    start = time.perf_counter()
    try:
        connection.request("POST", "/forms/demo/submissions", body=body,
                           headers={"Content-Type": "application/json", "Accept": "application/json"})
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = 0  # a reset, or cut at the deadline: counted, not fatal
    finally:
        connection.close()
    return status, (time.perf_counter() - start) * 1000


def emails_sent(port: int) -> tuple[int | None, float]:
    """How many emails /_local/mailbox.json lists (None if it failed), and the read's ms."""
    start = time.perf_counter()
    try:
        with _http.open(f"http://{HOST}:{port}/_local/mailbox.json", timeout=30) as response:
            sent: int | None = len(json.load(response))
    except (OSError, http.client.HTTPException, ValueError):
        sent = None  # the stack died or choked: reported with its log
    return sent, (time.perf_counter() - start) * 1000


def run(leads: int = LEADS, clients: int = CLIENTS, runs: int = RUNS) -> dict[str, Any]:
    """The pipeline's figure (`once`, webhooks off: the median run of `runs`, by leads per
    CPU second), and the same with make dev's webhooks on (`with_webhooks`: the chat and
    CRM deliveries emulated in the same process); the baseline's CPU ms before and after."""
    baseline = [cold_start.baseline_cpu_ms(BASELINE_RUNS)]
    results = [once(leads, clients, webhooks=False) for _ in range(runs)]
    with_webhooks = once(leads, clients, webhooks=True)
    baseline.append(cold_start.baseline_cpu_ms(BASELINE_RUNS))
    result = sorted(results, key=lambda r: r["leads_per_cpu_s"])[len(results) // 2]
    result["runs"] = [{key: r[key] for key in ("leads_per_s", "leads_per_cpu_s", "cpu_ms_per_lead", "complete")}
                      for r in results]
    result["median_leads_per_s"] = statistics.median(r["leads_per_s"] for r in results)
    result["baseline_cpu_ms"] = round(statistics.median(baseline), 1)
    result["cpu_per_lead_vs_baseline"] = round(result["cpu_ms_per_lead"] / result["baseline_cpu_ms"], 3)
    result["with_webhooks"] = {key: with_webhooks[key] for key in
                               ("leads_per_s", "leads_per_cpu_s", "cpu_ms_per_lead", "first_post_to_last_email_s",
                                "emails_sent", "complete")}
    return result


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def once(leads: int = LEADS, clients: int = CLIENTS, *, webhooks: bool = False) -> dict[str, Any]:
    """Leads per second, from the first post to the last email; post latency percentiles.

    `webhooks` off: the pipeline a lead takes to its manager. In AWS, EventBridge delivers
    the chat and CRM webhooks itself (API destinations, a pipe): here the local stack
    emulates that delivery in the same single process, on the same core as the pipeline."""
    server = start_stack(webhooks)
    try:
        cpu_start = process_cpu_s(server.process.pid)
        start = time.perf_counter()
        deadline = start + BUDGET_S
        with ThreadPoolExecutor(clients) as pool:
            answers = [a for a in pool.map(lambda n: post_lead(server.port, n, deadline), range(leads)) if a]
        posted_s = time.perf_counter() - start
        accepted = sum(status == 202 for status, _ in answers)  # each owes one email
        reads_ms: list[float] = []
        while True:
            sent, read_ms = emails_sent(server.port)
            reads_ms.append(read_ms)
            if sent is None or sent >= accepted or time.perf_counter() > deadline:
                break
            time.sleep(POLL_S)
        elapsed_s = time.perf_counter() - start
        cpu_s = process_cpu_s(server.process.pid) - cpu_start
    finally:
        exit_code = stop_stack(server.process)
    sent = sent or 0
    refused = sorted({status for status, _ in answers if status != 202})
    result: dict[str, Any] = {
        "leads": leads, "clients": clients, "budget_s": BUDGET_S,
        "complete": len(answers) == leads and not refused and sent == leads,
        "posted": len(answers), "accepted": accepted, "emails_sent": sent, "refused_statuses": refused,
        "leads_per_s": round(sent / elapsed_s, 2),
        "cpu_ms_per_lead": round(cpu_s * 1000 / max(sent, 1), 1),
        "leads_per_cpu_s": round(sent / cpu_s, 2) if cpu_s else None,
        "first_post_to_last_email_s": round(elapsed_s, 2), "all_posts_answered_s": round(posted_s, 2),
        "post_latency": summary_ms([ms for _, ms in answers]),
        "mailbox_reads": summary_ms(reads_ms),
        "server_exit_code": exit_code,  # 0: stopped cleanly by SIGINT; None: had to be killed
    }
    if not result["complete"] or exit_code != 0:
        result["server_log_tail"] = server.tail()
    return result
