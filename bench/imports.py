"""Figure 6: a CSV import through the local stack (moto in process): rows per second
from the upload to the completed job (every row stored, scored, assigned, and the
managers' summaries sent), and AWS calls per imported row by function.

The file is uploaded through the template's own `POST /admin/imports` route (the API
checks every row and queues the chunks), then the stack's pumps run the import queue,
the stream, the bus and ImportFunction's summaries until the job completes. The calls
are counted as in figure 3: inside function invocations only."""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from typing import Any

from moto import mock_aws

from bench.aws_calls import _Tally
from bench.measure import functions_output_discarded
from leadflow_local.api_gateway import api_gateway_event
from leadflow_local.stack import LocalStack

ROWS = 2000
BUDGET_S = 1800
ADMIN = {"sub": "bench-admin", "token_use": "id", "cognito:groups": "admins"}
INTERESTS = ("quote", "demo", "ebook", "newsletter")


def sample_csv(rows: int) -> bytes:
    """A trade show's scans: names, work emails, some phones and companies, `;`-separated."""
    lines = ["Nombre;Apellido;E-mail;Teléfono;Empresa;Cargo;País;Interés"]
    for n in range(rows):
        phone = f"+1 415 555 {n % 10000:04d}" if n % 3 == 0 else ""
        lines.append(f"Visitor{n};Expo;visitor{n}@company{n % 500}.com;{phone};Company {n % 500};"
                     f"{'VP Sales' if n % 4 == 0 else 'Analyst'};US;{INTERESTS[n % len(INTERESTS)]}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _api(stack: LocalStack, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    for route in stack.routes:
        match = route.regex.match(path)
        if match and route.method == method:
            raw = b"" if body is None else json.dumps(body).encode()
            event = api_gateway_event(route, match.groupdict(), method, path, {"Content-Type": "application/json"},
                                      raw, "", "127.0.0.1", ADMIN)
            result = stack.invoke(route.function_id, event)
            return int(result["statusCode"]), json.loads(result["body"])
    raise LookupError(f"no route {method} {path}")


def run(rows: int = ROWS) -> dict[str, Any]:
    data = sample_csv(rows)
    with functions_output_discarded(), mock_aws():
        stack = LocalStack().deploy()
        stack.seed()
        # Room for every row: the figure is the import's, not the roster running full.
        roster = stack.client("dynamodb")
        for item in roster.query(TableName=stack.table_name(), KeyConditionExpression="PK = :r",
                                 ExpressionAttributeValues={":r": {"S": "ROSTER"}})["Items"]:
            roster.update_item(TableName=stack.table_name(), Key={"PK": item["PK"], "SK": item["SK"]},
                               UpdateExpression="SET #c = :c", ExpressionAttributeNames={"#c": "capacity"},
                               ExpressionAttributeValues={":c": {"N": "100000"}})
        tally = _Tally(stack)
        started = time.perf_counter()
        status, job = _api(stack, "POST", "/admin/imports", {"form_id": "demo", "file": base64.b64encode(data).decode(),
                                                             "campaign": "bench-expo"})
        answered = time.perf_counter() - started
        assert status == 202, job
        stack.drain(timeout=BUDGET_S)
        elapsed = time.perf_counter() - started
        calls, invocations = tally.take()
        _status, final = _api(stack, "GET", f"/admin/imports/{job['import_id']}")
        assert final["status"] == "completed" and final["stored_new"] == rows, final
        assert not stack.failures, stack.failures[:3]
    return {
        "rows": rows, "file_bytes": len(data), "chunks": final["chunks"], "upload_answered_s": round(answered, 2),
        "completed_s": round(elapsed, 1), "rows_per_s": round(rows / elapsed, 1),
        "assigned": final["assigned"], "unassigned": final["unassigned"], "summaries_sent": final["summaries_sent"],
        "calls_per_row": _per_row(calls, invocations, rows),
    }


def _per_row(calls: dict[str, Counter[str]], invocations: Counter[str], rows: int) -> dict[str, Any]:
    """As figure 3's per lead, to four decimals: a chunk's or a summary's calls are a
    few thousandths of a call per row."""
    by_operation: Counter[str] = Counter()
    for counter in calls.values():
        by_operation += counter
    return {
        "total": round(sum(by_operation.values()) / rows, 4),
        "by_operation": {op: round(n / rows, 4) for op, n in sorted(by_operation.items())},
        "by_function": {name: round(sum(c.values()) / rows, 4) for name, c in calls.items()},
        "invocations": {name: round(invocations[name] / rows, 4) for name in calls},
    }
