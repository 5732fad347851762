"""Figure 9: what keeping bots out costs a submission, per captcha mode.

(a) AWS API calls per submission for each mode, on moto through the local stack (the
capture function only: what comes after the stored submission is figure 3's and the
same for every mode): `none` (the baseline, measured in this run), `altcha` (the
challenge route's GET, then the post with its solution: the used challenge is one more
item of the submission's transaction, not a call), and `turnstile` with a fake
siteverify over real HTTP on this machine (its secret read from Secrets Manager once per
container, then kept). Counts are exact, not sampled.

(b) The capture handler's time per request with every AWS call canned (figure 2's
CannedAws): a JSON post to a form without a captcha (the baseline, this run) against
the same post with a proof of work the handler verifies (the `altcha` package, HMAC and
SHA-256 over the challenge), p50 and p99, and their ratios."""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from moto import mock_aws

from bench.handler_time import CannedAws, _context
from bench.measure import (
    FUNCTIONS,
    dummy_resolver,
    function_env,
    functions_output_discarded,
    load_event,
    sample_post,
    summary_ms,
)
from leadflow.shared.models import FormConfig
from leadflow.storage.codec import to_item
from leadflow.storage.keys import form_key
from leadflow_local.functions import LambdaFunction
from leadflow_local.stack import CallCounter, LocalStack
from leadflow_local.template import Template

POSTS = 20
WARMUP = 20
ITERATIONS = 300
MODES = ("none", "altcha", "turnstile")
TURNSTILE_SECRET = "bench"  # noqa: S105 (the name of a fake secret on moto)


class _Siteverify(BaseHTTPRequestHandler):
    """Cloudflare's siteverify as it answers a good token (its documented shape)."""

    calls = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        _Siteverify.calls += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"success": True, "challenge_ts": "2026-03-02T09:29:58.000Z",
                           "hostname": "www.example.com", "error-codes": [], "action": "", "cdata": ""}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def fake_siteverify() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Siteverify)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/turnstile/v0/siteverify"
    finally:
        server.shutdown()


def solved(challenge: dict[str, Any]) -> str:
    """A browser's solution of a challenge (what leadflow.js and the widget post)."""
    from altcha.v1 import solve_challenge

    solution = solve_challenge(challenge["challenge"], challenge["salt"], "SHA-256", challenge["maxNumber"])
    assert solution is not None
    return base64.b64encode(json.dumps({
        "algorithm": "SHA-256", "challenge": challenge["challenge"], "number": solution.number,
        "salt": challenge["salt"], "signature": challenge["signature"]}).encode()).decode()


def _calls_per_submission(stack: LocalStack, mode: str, posts: int, first: int) -> dict[str, Any]:
    from leadflow.capture.store import CaptureStore
    from leadflow.storage.table import Table

    form_id = f"bench-{mode}"
    CaptureStore(Table(stack.table_name(), stack.client("dynamodb"))).put_form(FormConfig(
        form_id=form_id, name=f"Bench {mode}", min_fill_seconds=0, captcha=mode,  # type: ignore[arg-type]
        turnstile_secret=TURNSTILE_SECRET if mode == "turnstile" else None))
    calls: Counter[str] = Counter()
    invocations = 0
    verified = _Siteverify.calls
    # Post 0 warms the container for this form (its FORM item, the keys, the Turnstile
    # secret: read once, then kept); posts 1.. are what every later submission costs.
    for n in range(posts + 1):
        body = sample_post(first + n)  # new people in every mode: each post makes a new lead
        CallCounter.reset()
        if mode == "altcha":
            answer = stack.handle_http("GET", f"/forms/{form_id}/challenge", {}, b"")
            assert answer.status == 200, answer.body
            body["_altcha"] = solved(json.loads(answer.body))
            invocations += 1
        elif mode == "turnstile":
            body["cf-turnstile-response"] = "XXXX.DUMMY.TOKEN.XXXX"
        answer = stack.handle_http("POST", f"/forms/{form_id}/submissions",
                                   {"Content-Type": "application/json", "Accept": "application/json"},
                                   json.dumps(body).encode(), source_ip=f"198.51.100.{1 + n % 250}")
        assert answer.status == 202, answer.body
        if n == 0:
            warm_up = dict(sorted(CallCounter.reset().items()))
            invocations, verified = 0, _Siteverify.calls
            continue
        invocations += 1
        calls += CallCounter.reset()
    stored = [i for i in stack.client("dynamodb").scan(TableName=stack.table_name())["Items"]
              if i.get("item_type", {}).get("S") == "spam"]
    assert not stored, f"{mode}: {len(stored)} posts kept as spam"
    return {"total": round(sum(calls.values()) / posts, 2),
            "by_operation": {op: round(n / posts, 2) for op, n in sorted(calls.items())},
            "invocations": round(invocations / posts, 2),
            "siteverify_calls": round((_Siteverify.calls - verified) / posts, 2), "first_post": warm_up}


def aws_calls(posts: int = POSTS) -> dict[str, Any]:
    with functions_output_discarded(), mock_aws(), fake_siteverify() as siteverify:
        stack = LocalStack().deploy()
        stack.seed()
        stack.client("secretsmanager").create_secret(Name=f"{stack.stack_name}/turnstile/{TURNSTILE_SECRET}",
                                                     SecretString="1x0000000000000000000000000000000AA")
        stack.module("CaptureFunction").turnstile.url = siteverify  # the fake, never Cloudflare
        modes = {mode: _calls_per_submission(stack, mode, posts, 1000 * (1 + index))
                 for index, mode in enumerate(MODES)}
    base = modes["none"]["total"]
    for figures in modes.values():
        figures["ratio_to_none"] = round(figures["total"] / base, 2)
    return {"posts": posts, "modes": modes}


def handler_time(iterations: int = ITERATIONS, warmup: int = WARMUP) -> dict[str, Any]:
    from leadflow.capture.captcha import new_challenge
    from leadflow.shared.secrets import StaticKeys

    canned = CannedAws()
    pow_form = FormConfig(form_id="bench-altcha", name="Bench altcha", captcha="altcha")
    canned.items[("FORM#bench-altcha", "FORM")] = to_item(form_key(pow_form.form_id), "form", pow_form)
    # Signed with the key the handler reads (the canned secret), as the challenge route would.
    challenge = new_challenge(pow_form.form_id, StaticKeys(b"k" * 64), datetime.now(timezone.utc))
    baseline = load_event("capture-json")
    with_proof = copy.deepcopy(baseline)
    with_proof["path"] = "/forms/bench-altcha/submissions"
    with_proof["pathParameters"] = {"form_id": "bench-altcha"}
    with_proof["body"] = json.dumps({**json.loads(baseline["body"]), "_altcha": solved(challenge)})
    template = Template()
    spec = template.function(FUNCTIONS["capture"])
    cases: dict[str, Any] = {}
    written: list[list[str]] = []  # the item types of each transaction: the proof the post was a lead
    answer = canned.answer

    def recording(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation == "TransactWriteItems":
            written.append([next(iter(op.values())).get("Item", {}).get("item_type", {}).get("S", "")
                            for op in params["TransactItems"]])
        return answer(service, operation, params)

    canned.answer = recording  # type: ignore[method-assign]
    with functions_output_discarded(), canned.installed():
        handler = LambdaFunction(spec, function_env(spec, dummy_resolver(template)))
        handler.module()
        samples: dict[str, list[float]] = {"none": [], "altcha": []}
        # Interleaved, so a noisy moment on the machine touches both alike.
        for n in range(warmup + iterations):
            for name, event in (("none", baseline), ("altcha", with_proof)):
                request, context = copy.deepcopy(event), _context(FUNCTIONS["capture"])
                written.clear()
                start = time.perf_counter_ns()
                response = handler(request, context)
                elapsed = (time.perf_counter_ns() - start) / 1e6
                assert response["statusCode"] == 202, response
                [items] = written
                assert "submission" in items, f"{name}: not stored as a lead ({items})"
                assert ("used_challenge" in items) == (name == "altcha"), f"{name}: {items}"
                if n >= warmup:
                    samples[name].append(elapsed)
        for name, values in samples.items():
            cases[name] = summary_ms(values)
    for case in cases.values():
        case["p50_ratio"] = round(case["p50_ms"] / cases["none"]["p50_ms"], 2)
        case["p99_ratio"] = round(case["p99_ms"] / cases["none"]["p99_ms"], 2)
    return {"iterations": iterations, "warmup": warmup, "cases": cases}


def run() -> dict[str, Any]:
    return {"aws_calls": aws_calls(), "handler_time": handler_time()}


def render(figure: dict[str, Any], rows: Any) -> list[str]:
    lines = ["9. Bots: AWS calls per submission by captcha mode (capture only, moto), and capture's handler time "
             "with a proof of work (AWS canned); ratios to `none`, this run"]
    if "error" in figure:
        return [*lines, f"  FAILED: {figure['error']}"]
    modes = figure["aws_calls"]["modes"]
    table = [[mode, f"{m['total']:g}", f"{m['ratio_to_none']:.2f}x", f"{m['invocations']:g}",
              f"{m['siteverify_calls']:g}",
              " ".join(f"{op.split('.')[1]}x{n:g}" for op, n in m["by_operation"].items()),
              " ".join(f"{op.split('.')[1]}x{n:g}" for op, n in m["first_post"].items())]
             for mode, m in modes.items()]
    lines += rows(["captcha", "AWS calls", "vs none", "invocations", "siteverify", "calls per submission",
                   "first post to the form"], table)
    cases = figure["handler_time"]["cases"]
    lines += rows(["capture handler", "p50 ms", "p99 ms", "p50 vs none", "p99 vs none"],
                  [[name, f"{c['p50_ms']:.3f}", f"{c['p99_ms']:.3f}", f"{c['p50_ratio']:.2f}x",
                    f"{c['p99_ratio']:.2f}x"] for name, c in cases.items()])
    return lines
