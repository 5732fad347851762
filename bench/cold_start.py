"""Figure 1: cold start per function, init AND the first request, against bare boto3
in the same run.

Each sample is a fresh interpreter that times, from inside, (1) the import of one
handler file (Lambda's init phase) and (2) that handler answering one sample event
from events/ (the first request, which pays for whatever init left lazy: clients
created on first use, deferred imports, pydantic models built on first validation).
Moving work from init into the first request therefore shows in the second figure and
is no gain there. Interpreter start-up is left out of every sample alike.

AWS is answered offline at the wire: a `before-send` hook (how moto plugs in) returns
canned JSON for every call, so botocore still builds, signs and parses each request, as
it would in AWS; only the network is gone. The canned items (forms, managers, the
sample lead and submission, the link key) are the ones bench.handler_time serves, made
in this process and handed to the sample as JSON, so the sample imports nothing of
ours before the clock starts. The hook is put in when botocore loads, not before: a
handler that imports boto3 late pays for it late, in the figure it belongs to.

Ratios are of the CPU time each sample's process spent (its median over the runs):
loading modules and building models is CPU work, and on a machine shared with other
jobs the wall clock mostly measures the neighbours (both are printed). On Lambda, with
a vCPU of its own, the two are close.

The baseline does what each handler does at least once: import boto3 and create a
client (init), then make one call (first request). A handler's ratio says what
Powertools, pydantic and the domain add on top of it."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from typing import Any

from bench.handler_time import FIXED_ANSWERS, CannedAws
from bench.measure import FUNCTIONS, dummy_resolver, function_env, load_event, offline_aws_env
from leadflow_local.template import ROOT, Template

# The canned AWS, in the sample, as plain Python over JSON (nothing of ours imported).
# argv: canned.json, then either "baseline" or handler file + event file.
SAMPLE = r'''
import json, os, sys, time
canned = json.load(open(sys.argv[1]))
items = {tuple(k.split("\x00")): v for k, v in canned["items"].items()}
unknown = []

def answer(service, operation, params):
    name = service + "." + operation
    if name == "dynamodb.UpdateItem":  # succeeds; notify's claim asks for the submission back
        found = items.get((params["Key"]["PK"]["S"], params["Key"]["SK"]["S"]))
        return {"Attributes": found} if found and params.get("ReturnValues") in ("ALL_NEW", "ALL_OLD") else {}
    fixed = canned["fixed"].get(name)
    if fixed is not None:
        return fixed
    if name == "dynamodb.GetItem":
        found = items.get((params["Key"]["PK"]["S"], params["Key"]["SK"]["S"]))
        return {"Item": found} if found else {}
    if name == "dynamodb.BatchGetItem":
        return {"Responses": {t: [items[(k["PK"]["S"], k["SK"]["S"])] for k in r["Keys"]
                              if (k["PK"]["S"], k["SK"]["S"]) in items]
                              for t, r in params["RequestItems"].items()}, "UnprocessedKeys": {}}
    if name == "dynamodb.Query":
        wanted = {v["S"] for v in params.get("ExpressionAttributeValues", {}).values() if "S" in v}
        if "ROSTER" in wanted:
            found = canned["roster"]
        else:
            found = [i for (pk, _), i in items.items() if pk in wanted]
        return {"Items": found, "Count": len(found), "ScannedCount": len(found)}
    unknown.append(name)
    return {}

ALIASES = {"secrets-manager": "secretsmanager", "eventbridge": "events"}  # event names use service ids


class Raw:
    def __init__(self, body):
        self.body = body
    def stream(self, **kwargs):
        yield self.body

def before_send(request, event_name, **kwargs):
    from botocore.awsrequest import AWSResponse
    _, service, operation = event_name.split(".")[:3]
    service = ALIASES.get(service, service)
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    params = json.loads(body) if body else {}
    payload = json.dumps(answer(service, operation, params)).encode()
    return AWSResponse(request.url, 200, {"content-type": "application/x-amz-json-1.0"}, Raw(payload))

class Hook:
    """Adds before_send to botocore's built-in handlers the moment botocore.handlers loads."""
    def find_spec(self, name, path, target=None):
        if name != "botocore.handlers":
            return None
        sys.meta_path.remove(self)
        import importlib.util
        spec = importlib.util.find_spec(name)
        loader = spec.loader
        original = loader.exec_module
        def exec_module(module):
            original(module)
            module.BUILTIN_HANDLERS.append(("before-send", before_send))
        loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, Hook())

class Context:
    function_name = "bench-cold"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-cold"
    memory_limit_in_mb = 512
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/bench-cold"
    log_stream_name = "cold"
    def get_remaining_time_in_millis(self):
        return 30000

real_stdout = sys.stdout
sys.stdout = open(os.devnull, "w")  # the functions' JSON logs and metrics
if sys.argv[2] == "baseline":
    start, cpu_start = time.perf_counter(), time.process_time()
    import boto3
    client = boto3.client("dynamodb", region_name="us-east-1")
    initialised, cpu_initialised = time.perf_counter(), time.process_time()
    client.get_item(TableName="t", Key={"PK": {"S": "FORM#demo"}, "SK": {"S": "FORM"}})
    outcome = "ok"
else:
    import importlib.util
    event = json.load(open(sys.argv[3]))
    sys.path.insert(0, os.path.dirname(sys.argv[2]))  # the function's folder, as Lambda's task root
    start, cpu_start = time.perf_counter(), time.process_time()
    spec = importlib.util.spec_from_file_location("handler_under_test", sys.argv[2])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    initialised, cpu_initialised = time.perf_counter(), time.process_time()
    response = module.lambda_handler(event, Context())
    if isinstance(response, dict) and "statusCode" in response:
        outcome = str(response["statusCode"])
    elif isinstance(response, dict) and "batchItemFailures" in response:
        outcome = "failures" if response["batchItemFailures"] else "ok"
    else:
        outcome = "ok"
done, cpu_done = time.perf_counter(), time.process_time()
real_stdout.write(json.dumps({"init_ms": (initialised - start) * 1000, "first_ms": (done - start) * 1000,
                              "init_cpu_ms": (cpu_initialised - cpu_start) * 1000,
                              "first_cpu_ms": (cpu_done - cpu_start) * 1000,
                              "outcome": outcome, "unknown": unknown}) + "\n")
real_stdout.flush()
'''
BASELINE = "baseline"
# The pipeline's functions, then the ones a manager waits on (the leads API, the pages
# behind an email's links) and the rest of the event consumers.
COLD_START_FUNCTIONS = {**FUNCTIONS, "leads api": "LeadsApiFunction", "actions (email links)": "ActionsFunction",
                        "report": "ReportFunction", "remind": "RemindFunction"}
# The first request each answers: a success path, as most cold starts meet.
FIRST_EVENTS = {"capture": "capture-json", "score": "score-new-submission", "notify": "notify-lead-assigned",
                "leads api": "api_get_lead", "actions (email links)": "actions_show", "report": "report_lead_scored",
                "remind": "remind-first-miss"}
# What a success looks like per case (a refusal or a failed batch would time a shortcut).
EXPECTED = {"capture": "202", "leads api": "200", "actions (email links)": "200"}
LINK_KEY = "k" * 64  # the canned ActionLinkSecret (bench.handler_time.FIXED_ANSWERS)


def _layer_env() -> dict[str, str]:
    """A clean environment: the layer on the path (as /opt/python in Lambda), fake
    credentials, nothing inherited from the developer's AWS or Python settings."""
    keep = {k: v for k, v in os.environ.items()
            if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")}
    return {**keep, **offline_aws_env(), "PYTHONPATH": str(ROOT / "layers" / "leadflow")}


def _lambda_runtime_env(logical_id: str, task_root: Any) -> dict[str, str]:
    """What Lambda's runtime sets, so Powertools behaves as deployed: with active
    tracing, its Tracer is on (bench.measure switches it off for the in-process figures,
    which have no trace to join), so its cost at a cold start is counted. The trace
    segments go to an X-Ray daemon address where nothing listens (UDP: lost, no error)."""
    return {
        "LAMBDA_TASK_ROOT": str(task_root), "AWS_LAMBDA_FUNCTION_NAME": f"bench-{logical_id}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000", "POWERTOOLS_TRACE_DISABLED": "false",
    }


def _canned() -> dict[str, Any]:
    """handler_time's canned items, plus the leads API's sample lead (Olivia's), as JSON."""
    from leadflow.shared.models import Lead, LeadStatus
    from leadflow.storage.codec import from_item, to_item
    from leadflow.storage.keys import lead_key, manager_key

    aws = CannedAws()
    [lead_item] = [i for i in aws.items.values() if i["item_type"]["S"] == "lead"]
    api_lead_id = load_event("api_get_lead")["pathParameters"]["lead_id"]
    lead = Lead.model_validate(from_item(lead_item))
    olivias = lead.model_copy(update={"lead_id": api_lead_id, "manager_id": "m-olivia", "status": LeadStatus.ASSIGNED})
    aws._keep(to_item(lead_key(api_lead_id), "lead", olivias))
    return {
        "items": {f"{pk}\x00{sk}": item for (pk, sk), item in aws.items.items()},
        "roster": [to_item(manager_key(m.manager_id), "manager", m) for m in aws.managers],
        "fixed": {**FIXED_ANSWERS, "scheduler.DeleteSchedule": {}, "dynamodb.DeleteItem": {},
                  "scheduler.CreateSchedule": {"ScheduleArn": "arn:aws:scheduler:us-east-1:123456789012:schedule/b/s"}},
    }


def _actions_event() -> dict[str, Any]:
    """The sample link, signed with the canned key (the file's signature is a placeholder),
    for the sample lead and its manager, valid for a week."""
    from leadflow.lifecycle.links.signing import LinkAction, LinkClaims, sign

    event = load_event("actions_show")
    assigned = load_event("notify-lead-assigned")["detail"]
    expires = int((datetime.now(timezone.utc) + timedelta(days=7)).timestamp())
    claims = LinkClaims(lead_id=assigned["lead_id"], manager_id=assigned["manager_id"],
                        action=LinkAction.NOT_INTERESTED, expires=expires)
    token = sign(claims, LINK_KEY.encode())
    old = event["pathParameters"]["token"]
    return json.loads(json.dumps(event).replace(old, token))


def _time_once(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", SAMPLE, *argv], env=env, cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"cold start sample failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def sample_cases(tmp: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Per case, the sample's arguments (after the code) and its environment; the canned
    AWS and the events are written to `tmp`."""
    template = Template()
    resolve = dummy_resolver(template)
    base_env = _layer_env()
    canned_file = os.path.join(tmp, "canned.json")
    with open(canned_file, "w", encoding="utf-8") as out:
        json.dump(_canned(), out)
    cases: dict[str, tuple[list[str], dict[str, str]]] = {BASELINE: ([canned_file, BASELINE], base_env)}
    for name, logical_id in COLD_START_FUNCTIONS.items():
        spec = template.function(logical_id)
        module_file = spec.handler.rsplit(".", 1)[0]
        event = _actions_event() if name.startswith("actions") else load_event(FIRST_EVENTS[name])
        event_file = os.path.join(tmp, f"{logical_id}.json")
        with open(event_file, "w", encoding="utf-8") as out:
            json.dump(event, out)
        env = {**base_env, **_lambda_runtime_env(logical_id, spec.code_uri), **function_env(spec, resolve)}
        cases[name] = ([canned_file, str(spec.code_uri / f"{module_file}.py"), event_file], env)
    return cases


def baseline_cpu_ms(runs: int) -> float:
    """The baseline's CPU ms, init and first request (median of `runs` fresh processes):
    the yardstick other figures of the same run divide by."""
    with tempfile.TemporaryDirectory() as tmp:
        argv, env = sample_cases(tmp)[BASELINE]
        _time_once(argv, env)  # writes the bytecode caches, as in `run`
        return round(statistics.median(_time_once(argv, env)["first_cpu_ms"] for _ in range(runs)), 1)


def run(runs: int) -> dict[str, Any]:
    """Median init and init + first request per function and for the baseline, over
    `runs` fresh processes each."""
    with tempfile.TemporaryDirectory() as tmp:
        cases = sample_cases(tmp)
        # One unmeasured run each writes the bytecode caches, as a deployed package ships
        # them, and shows the first request took its success path.
        for name, (argv, env) in cases.items():
            sample = _time_once(argv, env)
            if sample["outcome"] != EXPECTED.get(name, "ok") or sample["unknown"]:
                raise RuntimeError(f"{name}: the first request did not succeed offline: {sample}")
        # Interleaved, so a noisy moment on the machine touches every case alike.
        samples: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
        for _ in range(runs):
            for name, (argv, env) in cases.items():
                samples[name].append(_time_once(argv, env))

    def median(values: list[dict[str, Any]], key: str) -> float:
        return statistics.median(v[key] for v in values)

    base = {key: median(samples[BASELINE], key) for key in ("init_cpu_ms", "first_cpu_ms")}
    result: dict[str, Any] = {}
    for name, values in samples.items():
        result[name] = {"init_ms": round(median(values, "init_ms"), 1),
                        "init_first_request_ms": round(median(values, "first_ms"), 1),
                        "init_cpu_ms": round(median(values, "init_cpu_ms"), 1),
                        "init_first_request_cpu_ms": round(median(values, "first_cpu_ms"), 1),
                        "ratio_to_baseline": round(median(values, "init_cpu_ms") / base["init_cpu_ms"], 2),
                        "first_request_ratio": round(median(values, "first_cpu_ms") / base["first_cpu_ms"], 2)}
    return {
        "runs": runs,
        "baseline": "import boto3; boto3.client('dynamodb') (+ one GetItem as its first request)",
        "cases": result,
    }
