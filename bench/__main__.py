"""`make bench`: run every figure, print one table, write bench/results.json.

    PYTHONPATH=layers/leadflow:local:cli python -m bench

Environment: BENCH_COLD_RUNS (fresh processes per cold-start case, default 15).
A figure that fails is reported as failed and the others still run; the exit code
says whether all of them succeeded."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import aws_calls, bots, cold_start, console, cost, handler_time, imports, reads, throughput
from bench.measure import use_offline_aws

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "15"))


def _progress(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def measure_all() -> dict[str, Any]:
    """Every figure in one run, in an order where none disturbs the next: the
    subprocess figures first, then the in-process ones (stubbed, then moto)."""
    use_offline_aws()
    figures: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
        ("cold_start", f"cold start, init + 1st request: {COLD_RUNS} runs each", lambda: cold_start.run(COLD_RUNS)),
        ("throughput", f"end to end: {throughput.LEADS} leads through python -m leadflow_local", throughput.run),
        ("console", f"console: sign-in to queue in chromium, {console.RUNS} fresh sessions", console.run),
        ("handler_time", "handler time with AWS stubbed", handler_time.run),
        ("aws_calls", f"AWS calls per lead: {aws_calls.LEADS} new + returning leads on moto", aws_calls.run),
        ("cost", "AWS cost per lead, from the counted calls", lambda: cost.run(results["aws_calls"],
                                                                                results.get("handler_time"))),
        ("reads", f"leads API reads with {' and '.join(f'{n:,}' for n in reads.SIZES)} leads on moto", reads.run),
        ("imports", f"CSV import: {imports.ROWS:,} rows through the local stack on moto", imports.run),
        ("bots", "bots: AWS calls per captcha mode, capture time with a proof of work", bots.run),
    ]
    results: dict[str, Any] = {"meta": {
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
        # Other work on the machine moves every figure but the call counts: this says how much there was.
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }}
    started = time.perf_counter()
    for key, label, measure in figures:
        _progress(f"{label}...")
        begun = time.perf_counter()
        try:
            results[key] = measure()
        except Exception as error:  # noqa: BLE001 - one broken figure must not hide the others
            results[key] = {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}
        results[key]["seconds"] = round(time.perf_counter() - begun, 1)
    results["meta"]["total_seconds"] = round(time.perf_counter() - started, 1)
    results["meta"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    return results


# -- the table -----------------------------------------------------------------------------


def _rows(header: list[str], rows: list[list[str]]) -> list[str]:
    """A text table: the first column left-aligned, the figures right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return [line(header), "  " + "  ".join("-" * w for w in widths), *map(line, rows)]


def _failed(figure: dict[str, Any]) -> list[str]:
    return [f"  FAILED: {figure['error']}"] if "error" in figure else []


def _cold_start(figure: dict[str, Any]) -> list[str]:
    lines = [f"1. Cold start: import of the handler module (init), then its first request on canned AWS, "
             f"median of {figure.get('runs', '?')} fresh processes; ratios of CPU time"]
    if "error" in figure:
        return lines + _failed(figure)
    rows = [[("baseline: " + figure["baseline"]) if name == cold_start.BASELINE else name,
             f"{c['init_ms']:.0f}", f"{c['init_cpu_ms']:.0f}", f"{c['ratio_to_baseline']:.2f}x",
             f"{c['init_first_request_ms']:.0f}", f"{c['init_first_request_cpu_ms']:.0f}",
             f"{c['first_request_ratio']:.2f}x"]
            for name, c in figure["cases"].items()]
    return lines + _rows(["case", "init ms", "init cpu ms", "init vs baseline", "init+1st ms", "init+1st cpu ms",
                          "init+1st vs baseline"], rows)


def _handler_time(figure: dict[str, Any]) -> list[str]:
    lines = [f"2. Handler time per request, every AWS call stubbed "
             f"({figure.get('iterations', '?')} calls after {figure.get('warmup', '?')} warm-up)"]
    if "error" in figure:
        return lines + _failed(figure)
    rows = [[label, f"{c['p50_ms']:.3f}", f"{c['p99_ms']:.3f}",
             " ".join(f"{op.split('.')[1]}x{n:g}" for op, n in c["stubbed_calls_per_request"].items())]
            for label, c in figure["cases"].items()]
    return lines + _rows(["case", "p50 ms", "p99 ms", "stubbed AWS calls per request"], rows)


def _aws_calls(figure: dict[str, Any]) -> list[str]:
    lines = [f"3. AWS API calls per lead, whole pipeline (moto, {figure.get('leads', '?')} leads each; "
             "fresh: the stack's first leads, its containers' first reads among them; warm: as many others after)"]
    if "error" in figure:
        return lines + _failed(figure)
    columns = {"new, fresh": figure["new_lead"], "returning, fresh": figure["returning_lead"]}
    if "steady_new_lead" in figure:
        columns |= {"new, warm": figure["steady_new_lead"], "returning, warm": figure["steady_returning_lead"]}
    figures = list(columns.values())
    operations = sorted(set().union(*(f["by_operation"] for f in figures)))
    rows = [[op, *(f"{f['by_operation'].get(op, 0):g}" for f in figures)] for op in operations]
    for name in dict.fromkeys(n for f in figures for n in f["by_function"]):
        runs = [f["invocations"].get(name, 0) for f in figures]
        # Usually the same for all; else in the columns' order
        invocations = f"{runs[0]:g}" if len(set(runs)) == 1 else " / ".join(f"{r:g}" for r in runs)
        rows.append([f"  by {name} ({invocations} invocation{'s' if max(runs) > 1 else ''})",
                     *(f"{f['by_function'].get(name, 0):g}" for f in figures)])
    rows.append(["total", *(f"{f['total']:g}" for f in figures)])
    if "steady_new_lead" in figure:
        rows.append(["per lead (warm, less the sweep's one Query a minute)", "", "",
                     f"{figure['steady_new_lead']['per_lead']:g}", f"{figure['steady_returning_lead']['per_lead']:g}"])
    return lines + _rows(["operation", *columns], rows)


def _throughput(figure: dict[str, Any]) -> list[str]:
    lines = [f"4. End to end through python -m leadflow_local "
             f"({figure.get('leads', throughput.LEADS)} leads, {figure.get('clients', throughput.CLIENTS)} clients)"]
    if "error" in figure:
        return lines + _failed(figure)
    latency = figure["post_latency"]
    rows = [
        ["leads/s (first post to last email), median of the runs",
         f"{figure.get('median_leads_per_s', figure['leads_per_s']):.2f}"
         + (f" ({', '.join(str(r['leads_per_s']) for r in figure['runs'])})" if "runs" in figure else "")],
        *([["the stack's CPU ms per lead (its one process)", f"{figure['cpu_ms_per_lead']:.1f}"],
           ["leads per CPU second (with a core to itself)", f"{figure['leads_per_cpu_s']:.2f}"
            + (f" ({', '.join(str(r['leads_per_cpu_s']) for r in figure['runs'])})" if "runs" in figure else "")],
           ["baseline CPU ms, same run (import boto3 + a client + a call)", f"{figure['baseline_cpu_ms']:.1f}"],
           ["CPU per lead / baseline", f"{figure['cpu_per_lead_vs_baseline']:.3f}x"]]
          if "baseline_cpu_ms" in figure else []),
        *([["  the same with make dev's webhooks delivered (chat, CRM): leads/s; per CPU s",
            f"{figure['with_webhooks']['leads_per_s']:.2f}; {figure['with_webhooks'].get('leads_per_cpu_s')}"]]
          if "with_webhooks" in figure else []),
        ["first post to last email, s", f"{figure['first_post_to_last_email_s']:.2f}"],
        ["all posts answered, s", f"{figure['all_posts_answered_s']:.2f}"],
        ["posts/s (capture only)", f"{figure['posted'] / figure['all_posts_answered_s']:.1f}"],
        ["POST latency p50 ms", f"{latency['p50_ms']:.0f}"],
        ["POST latency p99 ms", f"{latency['p99_ms']:.0f}"],
        ["posts sent / accepted (202)", f"{figure['posted']} / {figure['accepted']}"],
        ["emails in the mailbox", f"{figure['emails_sent']}"],
        ["one read of /_local/mailbox.json, p50 ms", f"{figure['mailbox_reads']['p50_ms']:.0f}"],
    ]
    lines += _rows(["figure", "value"], rows)
    if not figure["complete"]:
        lines.append(f"  INCOMPLETE within the {figure['budget_s']} s budget (other statuses: "
                     f"{figure['refused_statuses'] or 'none'}); the server's log is in results.json")
    if figure["server_exit_code"] != 0:
        lines.append(f"  the local stack did not stop cleanly on SIGINT (exit code {figure['server_exit_code']})")
    return lines


def _reads(figure: dict[str, Any]) -> list[str]:
    sizes = figure.get("leads", list(reads.SIZES))
    lines = [f"5. Leads API reads with {' and '.join(f'{n:,}' for n in sizes)} leads in the table "
             f"(median of {figure.get('repeats', '?')} requests each, through the local HTTP entry)"]
    if "error" in figure:
        return lines + _failed(figure)
    small, large = (figure["sizes"][str(n)]["cases"] for n in sizes)
    rows = []
    for label, a in small.items():
        b, ratio = large[label], figure["ratio_large_to_small"][label]
        rows.append([label, f"{a['items_read']}/{b['items_read']}",
                     f"{a['dynamodb_requests']}/{b['dynamodb_requests']}",
                     f"{a['p50_ms_without_moto']:.1f}/{b['p50_ms_without_moto']:.1f}",
                     f"{ratio['p50_without_moto']:.2f}x", f"{a['p50_ms']:.0f}/{b['p50_ms']:.0f}"])
    lines += _rows(["request", "items read", "DynamoDB requests", "p50 ms w/o moto", "ratio", "p50 ms total"], rows)
    lines.append("  (a/b: with the smaller/larger table. 'w/o moto' leaves out time inside moto, which walks the "
                 "whole table for every GSI Query; DynamoDB reads an index partition by key.)")
    return lines


def _imports(figure: dict[str, Any]) -> list[str]:
    lines = [f"6. CSV import through the local stack on moto ({figure.get('rows', imports.ROWS):,} rows, "
             "upload to completed job: stored, scored, assigned, summaries sent)"]
    if "error" in figure:
        return lines + _failed(figure)
    calls = figure["calls_per_row"]
    rows = [["rows/s (upload to completed job)", f"{figure['rows_per_s']:.1f}"],
            ["upload answered (file read, rows checked, chunks queued), s", f"{figure['upload_answered_s']:.2f}"],
            ["upload to completed job, s", f"{figure['completed_s']:.1f}"],
            ["chunks", f"{figure['chunks']}"],
            ["assigned / unassigned", f"{figure['assigned']} / {figure['unassigned']}"],
            ["summary emails (one per manager)", f"{figure['summaries_sent']}"],
            ["AWS calls per imported row", f"{calls['total']:g}"]]
    rows += [[f"  {op}", f"{n:g}"] for op, n in calls["by_operation"].items()]
    rows += [[f"  by {name} ({calls['invocations'][name]:g} invocations per row)", f"{n:g}"]
             for name, n in calls["by_function"].items() if n]
    return lines + _rows(["figure", "value"], rows)


def _console(figure: dict[str, Any]) -> list[str]:
    lines = [f"7. The console in chromium against the local stack (median of {figure.get('runs', '?')} fresh "
             "sessions; baseline: one load of the demo landing page, same run)"]
    if "error" in figure:
        return lines + _failed(figure)
    first, timing, baseline = figure["first_load"], figure["sign_in_to_queue_ms"], figure["baseline_page_load_ms"]
    rows = [["console files fetched for sign-in + queue", f"{first['console_files']} "
             f"({first['gzipped_files']} gzipped, {first['from_cache']} fetches from cache)"],
            ["  transferred, KiB (gzip where 1 KiB or more)", f"{first['console_wire_bytes'] / 1024:.1f}"],
            ["API requests of the queue page", f"{first['api_requests']} ("
             + ", ".join(f"{path} x{n}" for path, n in first["api_requests_by_path"].items()) + ")"],
            ["sign-in click to queue rendered, median ms", f"{timing['median']} ({timing['min']}-{timing['max']})"],
            ["baseline page load, median ms", f"{baseline['median']} ({baseline['min']}-{baseline['max']})"],
            ["sign-in to queue / baseline", f"{figure['ratio_to_baseline']:.2f}x"]]
    return lines + _rows(["figure", "value"], rows)


def _cost(figure: dict[str, Any]) -> list[str]:
    lines = [f"8. AWS cost per new lead, from figure 3's calls ({figure.get('region', '?')} on-demand prices of "
             f"{figure.get('prices_as_of', '?')}, no free tier)"]
    if "error" in figure:
        return lines + _failed(figure)
    month = figure["month"]
    rows = [[service, f"{usd:.4f}", f"{month['by_service_usd'].get(service, 0):.2f}"]
            for service, usd in figure["per_1000_new_leads_usd"].items()]
    rows += [[service, "-", f"{usd:.2f}"] for service, usd in month["by_service_usd"].items()
             if service not in figure["per_1000_new_leads_usd"]]
    rows.append(["total", f"{figure['per_1000_new_leads_total_usd']:.4f}", f"{month['total_usd']:.2f}"])
    lines += _rows(["service", "USD per 1,000 new leads",
                    f"USD per month ({month['leads']:,} leads, {month['managers']} managers)"], rows)
    if month.get("recurring_runs"):
        lines.append(f"  of the month: {month['recurring_runs']:,} runs of the speed-to-lead sweep, "
                     f"{month['recurring_usd']:.2f} USD")
    return lines + [f"  ({note})" for note in figure["notes"]]


def render(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [f"Leadflow bench, {meta['started_at']}, Python {meta['python']}, {meta['cpus']} CPUs, "
             f"{meta['total_seconds']:.0f} s, load average {meta['load_average_at_start']:.1f} at start "
             f"and {meta['load_average_at_end']:.1f} at end", ""]
    for figure in (_cold_start(results["cold_start"]), _handler_time(results["handler_time"]),
                   _aws_calls(results["aws_calls"]), _throughput(results["throughput"]), _reads(results["reads"]),
                   _imports(results["imports"]), _console(results["console"]), _cost(results["cost"]),
                   bots.render(results["bots"], _rows)):
        lines += [*figure, ""]
    return "\n".join(lines)


def main() -> int:
    results = measure_all()
    print(render(results))
    RESULTS_PATH.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(f"Figures written to {RESULTS_PATH}")
    failed = [key for key, figure in results.items() if "error" in figure]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
