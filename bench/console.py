"""Figure 7: the console in a real browser (Playwright driving Debian's chromium) against
`python -m leadflow_local`, what `make dev` runs.

- first load: every file of the console that a sign-in and the queue page fetch, as the
  browser received them (the API gzips answers of 1 KiB or more, as deployed), and the
  API requests the queue page makes;
- time from the click on "Sign in" (the managed login page) to the queue rendered,
  median over fresh browser sessions; the baseline, measured in the same run and
  browser, is one load of the demo landing page from the same server.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from bench.throughput import emails_sent, post_lead, start_stack, stop_stack

RUNS = int(os.environ.get("BENCH_CONSOLE_RUNS", "7"))
LEADS = 12  # in the queue being measured, a mix of hot, warm and cold
PASSWORD = "Local-demo-only-1"  # noqa: S105 - local/seed.json's demo users, for the local stack only
RENDERED = "table.leads:not([hidden]), .state.empty"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
EMAIL_WAIT_S = 60


def _seed(port: int) -> None:
    """LEADS leads through the demo form, each emailed to its manager before we measure."""
    deadline = time.perf_counter() + EMAIL_WAIT_S
    accepted = sum(1 for n in range(LEADS) if (post_lead(port, n, deadline) or (0, 0))[0] == 202)
    while (emails_sent(port)[0] or 0) < accepted and time.perf_counter() < deadline:
        time.sleep(0.25)


def _sign_in_to_queue(browser: Any, base: str, email: str, record: bool) -> tuple[float, list[dict[str, Any]]]:
    """One fresh session: the console, its sign-in page, then the queue. The ms from the
    click to the queue rendered, and (when `record`) what the browser fetched."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    fetched: list[dict[str, Any]] = []
    try:
        page = context.new_page()
        if record:
            def finished(request: Any) -> None:
                response = request.response()
                fetched.append({"path": urlsplit(request.url).path, "status": response.status if response else 0,
                                "wire_bytes": request.sizes()["responseBodySize"],
                                "encoding": (response.headers.get("content-encoding") if response else None)})
            page.on("requestfinished", finished)
        page.goto(f"{base}/console/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        start = time.perf_counter()
        page.get_by_role("button", name="Sign in").click()
        page.locator(RENDERED).first.wait_for()
        elapsed_ms = (time.perf_counter() - start) * 1000
        page.wait_for_load_state("networkidle")
        return elapsed_ms, fetched
    finally:
        context.close()


def _page_load(browser: Any, base: str) -> float:
    context = browser.new_context()
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(f"{base}/", wait_until="load")
        return (time.perf_counter() - start) * 1000
    finally:
        context.close()


def _first_load(fetched: list[dict[str, Any]]) -> dict[str, Any]:
    console = [f for f in fetched if f["path"].startswith("/console")]
    api = [f for f in fetched if not f["path"].startswith(("/console", "/_local"))]
    # A file the browser took from its cache again (the versioned assets after the
    # sign-in's redirect back) reports a size of 0 or less: nothing crossed the wire.
    return {
        "console_files": len({f["path"] for f in console}),
        "console_wire_bytes": sum(max(0, f["wire_bytes"]) for f in console),
        "from_cache": sum(1 for f in console if f["wire_bytes"] <= 0),
        "gzipped_files": len({f["path"] for f in console if f["encoding"] == "gzip"}),
        "files": console,
        "api_requests": len(api),
        "api_requests_by_path": dict(Counter(f["path"] for f in api)),
    }


def run(runs: int = RUNS) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    server = start_stack()
    base = f"http://127.0.0.1:{server.port}"
    try:
        _seed(server.port)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                _page_load(browser, base)  # the browser's own first start is nobody's cost
                # interleaved, so a slower moment of the machine falls on both alike
                baseline_ms, sign_in_ms, first = [], [], []
                for n in range(runs):
                    baseline_ms.append(_page_load(browser, base))
                    ms, fetched = _sign_in_to_queue(browser, base, "olivia@sales.example.com", record=n == 0)
                    sign_in_ms.append(ms)
                    first = first or fetched
            finally:
                browser.close()
    finally:
        exit_code = stop_stack(server.process)
    baseline, signed_in = statistics.median(baseline_ms), statistics.median(sign_in_ms)
    return {
        "runs": runs, "leads_seeded": LEADS, "first_load": _first_load(first),
        "sign_in_to_queue_ms": {"median": round(signed_in), "min": round(min(sign_in_ms)),
                                "max": round(max(sign_in_ms))},
        "baseline_page_load_ms": {"median": round(baseline), "min": round(min(baseline_ms)),
                                  "max": round(max(baseline_ms))},
        "ratio_to_baseline": round(signed_in / baseline, 2),
        "server_exit_code": exit_code,
    }
