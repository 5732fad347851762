"""openapi.json is what the leads API does: `schemathesis run` sends every operation of
the document to the local stack over real HTTP, as an admin and as a manager, with all
of its checks (no 5xx; no status, content type, header or body the document does not
declare; invalid requests refused; valid ones accepted or refused by a documented rule).

The runs change what they touch (they move and convert leads, erase people, enter
channel costs, create forms, managers and logins), so each user's run has a local stack of its own:
no other test sees them, and the two run side by side, in a process started as the
session starts (tests/conftest.py), so the rest of the suite runs meanwhile. Leads are captured through the
pipeline first and their ids given to the run (contract_hooks.py), so most cases reach
past the lookup into the real work. `pytest -s` prints each run's figures; each run's
whole report is kept in its output.txt beside report.json (pytest's basetemp).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # fixtures provide them; conftest is not imported at run time
    from conftest import HttpClient, RunningStack

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
DOCUMENT = HERE.parents[1] / "openapi.json"
CONFIG = HERE / "schemathesis.toml"
ADMIN = "admin@sales.example.com"
MANAGER = "olivia@sales.example.com"
MANAGER_ID = "m-olivia"
USERS = {"admin": ADMIN, "manager": MANAGER}
# Cases per operation in the fuzzing phase (and the bound of the others), for each user.
# The coverage phase's ~470 cases come whatever it is; each 10 adds ~110 requests a
# run (~15 ms each on the local stack). 10 keeps the module near 30 s on two cores.
MAX_EXAMPLES = 10
RUN_TIMEOUT_S = 300
START_AND_SEED_S = 120
# Where tests/conftest.py keeps the background runs' process and folder.
CONTRACT_JOB = pytest.StashKey[tuple[subprocess.Popen[bytes], Path]]()
# A new connection per request: the local server sends an answer's headers and body in
# two writes, and on a kept-alive connection the second waits out the client's delayed
# ACK (40 ms a request, 5x the whole run). Not an API matter: the deployed API is API Gateway.
CLOSE = "Connection: close"
# How long the stack may take to assign a batch of posts: it returns as soon as it has.
# Generous: the other test worker shares the machine's two cores (once, at load 4, 11 of
# 12 were assigned after 20 s).
PIPELINE_TIMEOUT_S = 60
MANAGER_ON_ADMIN_API = """
[[operations]]
include-path-regex = "^/admin/"
phases.coverage.enabled = false
phases.fuzzing.enabled = false
phases.examples.fill-missing = true
"""
SUBMISSIONS = "/forms/demo/submissions"


def document_operations() -> set[str]:
    paths = json.loads(DOCUMENT.read_text("utf-8"))["paths"]
    return {f"{method.upper()} {path}" for path, methods in paths.items() for method in methods}


# Operations only admins may use: a manager's every valid request is 403 `admins_only`.
# The admin API is all of /admin.
ADMIN_ONLY = {"GET /reports", "PUT /reports/costs", "POST /erasures", "GET /reports/partners",
              *(operation for operation in document_operations() if operation.split(" ", 1)[1].startswith("/admin/"))}


# -- leads for the run to work on -------------------------------------------------------

# The leads each operation on one lead works on, by the status they start in: its own,
# so that none finds its leads moved by another (a run's operations go one after the
# other, in schemathesis' order), and enough that cases get past a lead that has moved
# on (409) to real moves. The document's example for an operation goes to its first.
POOLS: dict[str, tuple[str, ...]] = {
    "GET /leads/{lead_id}": ("assigned",),
    "POST /leads/{lead_id}/status": ("assigned", "contacted", "qualified"),
    "POST /leads/{lead_id}/reject": ("assigned", "assigned"),
    "POST /leads/{lead_id}/postpone": ("assigned", "contacted"),
    "POST /leads/{lead_id}/convert": ("qualified", "qualified"),
    "POST /leads/{lead_id}/notes": ("assigned",),
}
MOVES = {"assigned": (), "contacted": ("contacted",), "qualified": ("contacted", "qualified")}
# The rejecting operation's second lead has no email address: a farewell to it is 400.
PHONE_ONLY = ("POST /leads/{lead_id}/reject", 1)


def submission(tag: str, *, country: str = "US", email: bool = True) -> dict[str, str]:
    """A hot lead (a quote, a company address, a phone): the seed's tier-1 manager for
    its country gets it (Olivia for the US, Diego for Spain)."""
    digits = int(tag, 16) % 10**4
    lead = {"name": f"Contract {tag}", "phone": f"+1 415 555 {digits:04d}" if country == "US" else
            f"+34 612 34{digits:04d}", "company": "Acme Corp", "job_title": "Head of Sales",
            "interest": "quote", "country": country}
    if email:
        lead["email"] = f"contract.{tag}@acme-corp.com"
    return lead


def listed(http: HttpClient, token: str) -> list[dict[str, Any]]:
    reply = http.request("GET", "/leads?limit=100", headers={"Authorization": token})
    assert reply.status == 200, reply.text
    return list(reply.json()["leads"])


def capture(http: HttpClient, admin: str, leads: list[dict[str, str]]) -> list[dict[str, Any]]:
    """These submissions' leads (summaries, in the order given), once the pipeline has
    assigned them all."""
    before = {lead["lead_id"] for lead in listed(http, admin)}
    for lead in leads:
        reply = http.post_json(SUBMISSIONS, lead)
        assert reply.status == 202, reply.text
    deadline = time.monotonic() + PIPELINE_TIMEOUT_S
    while True:
        new = {lead["name"]: lead for lead in listed(http, admin) if lead["lead_id"] not in before}
        if len(new) == len(leads) and all(lead["status"] == "assigned" for lead in new.values()):
            return [new[lead["name"]] for lead in leads]
        if time.monotonic() > deadline:
            pytest.fail(f"{len(new)} of {len(leads)} leads assigned after {PIPELINE_TIMEOUT_S} s:\n"
                        f"{http.stack.log_tail()}")
        time.sleep(0.2)


def move(http: HttpClient, admin: str, lead_id: str, statuses: tuple[str, ...]) -> None:
    for status in statuses:
        reply = http.request("POST", f"/leads/{lead_id}/status", json.dumps({"status": status}).encode(),
                             {"Authorization": admin, "Content-Type": "application/json"})
        assert reply.status == 200, reply.text


def seed_pools(http: HttpClient, admin: str, *, foreign_everywhere: bool) -> dict[str, list[str]]:
    """New leads for each operation of POOLS, in the statuses it names, Olivia's all; and
    one of Diego's beside them: for reading, or (`foreign_everywhere`, for a manager's
    run, where it is 403 `not_your_lead` and never moves) for every operation."""
    wanted = [(operation, index, status) for operation, statuses in POOLS.items()
              for index, status in enumerate(statuses)]
    tags = [uuid.uuid4().hex[:8] for _ in range(len(wanted) + 1)]
    leads = capture(http, admin, [submission(tag, email=(operation, index) != PHONE_ONLY)
                                  for tag, (operation, index, _status) in zip(tags, wanted, strict=False)]
                    + [submission(tags[-1], country="ES")])
    *olivias, diegos = leads
    assert {lead["manager_id"] for lead in olivias} == {MANAGER_ID} and diegos["manager_id"] != MANAGER_ID, leads
    pools: dict[str, list[str]] = defaultdict(list)
    for lead, (operation, _index, status) in zip(olivias, wanted, strict=True):
        move(http, admin, lead["lead_id"], MOVES[status])
        pools[operation].append(lead["lead_id"])
    for operation in POOLS if foreign_everywhere else ("GET /leads/{lead_id}",):
        pools[operation].append(diegos["lead_id"])
    return dict(pools)


def seed_admin_pools(http: HttpClient, admin: str) -> dict[str, list[str]]:
    """The ids each admin operation on one form, manager or user works on. What the run
    changes is its own: forms and a manager made for it; users of the seed who are not
    the admin running it (whose rights it may take away)."""
    headers = {"Authorization": admin, "Content-Type": "application/json"}

    def create(path: str, body: dict[str, Any]) -> None:
        reply = http.request("POST", path, json.dumps(body).encode(), headers)
        assert reply.status == 201, reply.text

    for form_id in ("contract-patch", "contract-off", "contract-on"):
        create("/admin/forms", {"form_id": form_id, "name": f"Contract {form_id}", "enabled": form_id != "contract-on"})
    create("/admin/managers", {"manager_id": "m-contract", "name": "Contract Manager",
                               "email": "contract.manager@sales.example.com", "tier": 3})
    create("/admin/managers", {"manager_id": "m-contract-leaving", "name": "Leaving Manager",
                               "email": "contract.leaving@sales.example.com", "tier": 3})
    for partner_id in ("contract-partner", "contract-partner-off", "contract-partner-on"):
        create("/admin/partners", {"partner_id": partner_id, "name": f"Contract {partner_id}", "kind": "member",
                                   "group_id": "bni-downtown", "active": partner_id != "contract-partner-on"})
    queued = queued_leads(http, admin, 2)
    reply = http.request("GET", "/admin/users", headers={"Authorization": admin})
    assert reply.status == 200, reply.text
    user_ids = {user["email"]: user["user_id"] for user in reply.json()["users"]}
    started = http.request("POST", "/admin/imports", json.dumps({"form_id": "demo", "file": base64.b64encode(
        b"Name,Email\nContract Import,contract.import@acme-corp.com\n").decode()}).encode(), headers)
    assert started.status == 202, started.text
    import_id = started.json()["import_id"]
    partner_id = seed_partner(http)
    return {**caught_as_spam(http, admin),
            "POST /partners/{partner_id}/given": [partner_id], "GET /partners/{partner_id}/given": [partner_id],
            "GET /admin/imports/{import_id}": [import_id], "POST /admin/imports/{import_id}/resume": [import_id],
            "GET /admin/forms/{form_id}": ["demo"], "PATCH /admin/forms/{form_id}": ["contract-patch"],
            "POST /admin/forms/{form_id}/disable": ["contract-off"],
            "POST /admin/forms/{form_id}/enable": ["contract-on"],
            "GET /admin/managers/{manager_id}": ["m-olivia"], "PATCH /admin/managers/{manager_id}": ["m-contract"],
            "PUT /admin/users/{user_id}/admin": [user_ids["sam@sales.example.com"]],
            "DELETE /admin/users/{user_id}/admin": [user_ids["layla@sales.example.com"]],
            "POST /admin/unassigned/{lead_id}/assign": queued,
            "POST /admin/managers/{manager_id}/offboard": ["m-contract-leaving"],
            "GET /admin/partners/{partner_id}": ["maria-lopez"], "GET /admin/partners/{partner_id}/qr": ["maria-lopez"],
            "PATCH /admin/partners/{partner_id}": ["contract-partner"],
            "POST /admin/partners/{partner_id}/deactivate": ["contract-partner-off"],
            "POST /admin/partners/{partner_id}/activate": ["contract-partner-on"]}


def seed_partner(http: HttpClient) -> str:
    """A referral partner for `/partners/{partner_id}/given`, written into the stack's
    table as the partners' admin stores one (a PARTNER item, listed in GSI1). In plain
    wire format: this runs in the background job, whose imports are not the worktree's."""
    import boto3

    described = http.request("GET", "/_local/stack.json").json()
    item = {"PK": "PARTNER#bni-downtown", "SK": "PARTNER", "GSI1PK": "PARTNERS", "GSI1SK": "bni-downtown",
            "item_type": "partner", "partner_id": "bni-downtown", "name": "BNI Downtown", "kind": "group",
            "language": "en", "active": True, "loop_emails": False}
    boto3.client("dynamodb", endpoint_url=described["aws_endpoint"], region_name=described["region"],
                 aws_access_key_id="testing", aws_secret_access_key="testing").put_item(  # noqa: S106 - moto's
        TableName=described["outputs"]["TableName"],
        Item={k: {"BOOL": v} if isinstance(v, bool) else {"S": v} for k, v in item.items()})
    return "bni-downtown"


def caught_as_spam(http: HttpClient, admin: str) -> dict[str, list[str]]:
    """A person's post the honeypot caught (autofill), for the release to make a lead of."""
    tag = uuid.uuid4().hex[:8]
    reply = http.post_json(SUBMISSIONS, {**submission(tag), "_gotcha": "autofilled"})
    assert reply.status == 202, reply.text
    listed = http.request("GET", "/admin/forms/demo/spam", headers={"Authorization": admin})
    assert listed.status == 200, listed.text
    [spam_id] = [s["spam_id"] for s in listed.json()["spam"] if s["fields"].get("name") == f"Contract {tag}"]
    return {"POST /admin/spam/{spam_id}/release": [spam_id]}


# Who may take a hot lead by the default policy: while none of them can, hot leads wait unassigned.
HOT_TAKERS = ("m-olivia", "m-layla", "m-diego")


def queued_leads(http: HttpClient, admin: str, count: int) -> list[str]:
    """Hot leads in the unassigned queue, for the hand-out to give: captured while every
    manager who takes hot leads is inactive (then back). The document lists the hand-out
    before the rerun, so its example finds the first still there."""
    headers = {"Authorization": admin, "Content-Type": "application/json"}

    def set_active(active: bool) -> None:
        for manager_id in HOT_TAKERS:
            reply = http.request("PATCH", f"/admin/managers/{manager_id}", json.dumps({"active": active}).encode(),
                                 headers)
            assert reply.status == 200, reply.text

    set_active(False)
    try:
        for _ in range(count):
            reply = http.post_json(SUBMISSIONS, submission(uuid.uuid4().hex[:8]))
            assert reply.status == 202, reply.text
        deadline = time.monotonic() + PIPELINE_TIMEOUT_S
        while True:
            reply = http.request("GET", "/admin/unassigned?limit=100", headers={"Authorization": admin})
            waiting = [lead["lead_id"] for lead in reply.json()["leads"]]
            if len(waiting) >= count:
                return waiting[:count]
            if time.monotonic() > deadline:
                pytest.fail(f"{len(waiting)} of {count} leads unassigned after {PIPELINE_TIMEOUT_S} s")
            time.sleep(0.2)
    finally:
        set_active(True)


# -- the runs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractRun:
    user: str
    exit_code: int
    output: str
    report: dict[str, Any]
    calls: list[dict[str, Any]]  # every request's operation, status, error code and time

    def statuses(self) -> dict[str, Counter[int]]:
        found: dict[str, Counter[int]] = defaultdict(Counter)
        for call in self.calls:
            found[call["operation"]][call["status"]] += 1
        return found

    def figures(self) -> str:
        report = self.report
        return (f"schemathesis as {self.user}: {report['operations']['tested']} operations, "
                f"{report['test_cases']['generated']} cases, {len(self.calls)} requests, "
                f"{report['test_cases']['unique_failures']} unique failures in {report['running_time']:.1f} s")


def run_schemathesis(stack: RunningStack, user: str, token: str, pools: dict[str, list[str]],
                     workdir: Path) -> ContractRun:
    """`schemathesis run` on the checked-in document with the user's token: every
    operation, every check, MAX_EXAMPLES per operation, derandomized."""
    report, calls = workdir / "report.json", workdir / "calls.jsonl"
    config = CONFIG
    if user != ADMIN:
        # A manager's every valid request to the admin API is 403 before any of its work,
        # and its validation is the admins' run's to explore: one example each (the
        # document's, or one made up) shows the refusal; the whole run on them again
        # would double the module's time and find nothing new.
        config = workdir / "schemathesis.toml"
        config.write_text(CONFIG.read_text("utf-8") + MANAGER_ON_ADMIN_API, "utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
           "SCHEMATHESIS_HOOKS": "contract_hooks", "LEADFLOW_CONTRACT_IDS": json.dumps(pools),
           "LEADFLOW_CONTRACT_CALLS": str(calls), "LEADFLOW_CONTRACT_DOCUMENT": str(DOCUMENT)}
    done = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", str(config), "run", str(DOCUMENT),
         "--url", stack.base_url, "--header", f"Authorization: {token}", "--header", CLOSE, "--checks", "all",
         "--max-examples", str(MAX_EXAMPLES), "--continue-on-failure", "--report", "json",
         "--report-json-path", str(report)],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    output = done.stdout + done.stderr
    (workdir / "output.txt").write_text(output, "utf-8")
    assert report.exists(), output
    lines = calls.read_text("utf-8").splitlines() if calls.exists() else []
    return ContractRun(user=user, exit_code=done.returncode, output=output,
                       report=json.loads(report.read_text("utf-8")), calls=[json.loads(line) for line in lines])


def _e2e_conftest() -> Any:
    """tests/e2e/conftest.py as a module of its own (under pytest, `conftest` may name
    another folder's): the stacks and clients, for a run inside pytest or from a script."""
    import importlib.util

    name = "leadflow_e2e_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "conftest.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def run_contracts(workdir: Path) -> dict[str, ContractRun]:
    """Each user's run on a stack of its own, side by side; each run's whole result in
    `<workdir>/<role>.json` too."""
    e2e = _e2e_conftest()
    HttpClient, running_local_stacks, sign_in_as = e2e.HttpClient, e2e.running_local_stacks, e2e.sign_in_as  # noqa: N806

    def run_as(user: str, stack: RunningStack, role: str) -> ContractRun:
        admin = sign_in_as(stack, ADMIN)
        token = admin if user == ADMIN else sign_in_as(stack, user)
        pools = {**seed_pools(HttpClient(stack), admin, foreign_everywhere=user != ADMIN),
                 **seed_admin_pools(HttpClient(stack), admin)}
        (workdir / role).mkdir(parents=True, exist_ok=True)
        run = run_schemathesis(stack, user, token, pools, workdir / role)
        (workdir / f"{role}.json").write_text(json.dumps(asdict(run)), "utf-8")
        return run

    with running_local_stacks(len(USERS)) as stacks, ThreadPoolExecutor(max_workers=len(USERS)) as pool:
        futures = {role: pool.submit(run_as, user, stack, role)
                   for (role, user), stack in zip(USERS.items(), stacks, strict=True)}
        return {role: future.result() for role, future in futures.items()}


def background_contracts(root: Path, workdir: Path) -> subprocess.Popen[bytes]:
    """The runs in a process of their own, started as the session starts (tests/conftest.py):
    they take most of a minute of servers and schemathesis, which the other tests' time
    on the other core hides; `contract_runs` collects them."""
    log = (workdir / "job.log").open("wb")
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), str(workdir)], cwd=root,
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def contract_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ContractRun]:
    """The runs started in the background for this session, or (pytest-xdist workers, a
    run of this module alone) run here and now."""
    job = request.config.stash.get(CONTRACT_JOB, None)
    if job is None:
        runs = run_contracts(tmp_path_factory.mktemp("schemathesis"))
    else:
        process, workdir = job
        try:
            process.wait(timeout=RUN_TIMEOUT_S + START_AND_SEED_S)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail(f"the contract runs did not end in time:\n{(workdir / 'job.log').read_text('utf-8')[-3000:]}")
        assert process.returncode == 0, (workdir / "job.log").read_text("utf-8")[-5000:]
        runs = {role: ContractRun(**json.loads((workdir / f"{role}.json").read_text("utf-8"))) for role in USERS}
    for run in runs.values():
        print("\n" + run.figures())  # for whoever reads the log (`pytest -s`)
    return runs


@pytest.fixture(params=list(USERS))
def contract_run(request: pytest.FixtureRequest, contract_runs: dict[str, ContractRun]) -> ContractRun:
    return contract_runs[request.param]


def test_the_api_does_what_its_document_says(contract_run: ContractRun) -> None:
    report = contract_run.report
    assert report["complete"] and not report["errors"], contract_run.output
    assert report["failures"] == [] and contract_run.exit_code == 0, contract_run.output


def test_every_operation_of_the_document_is_run(contract_run: ContractRun) -> None:
    operations = contract_run.report["operations"]
    assert operations["selected"] == operations["tested"] == len(document_operations()), operations
    assert set(contract_run.statuses()) == document_operations()


def test_the_run_reaches_each_routes_work_not_only_its_refusals(contract_run: ContractRun) -> None:
    # Without the seeded ids every /leads/{lead_id} case would be a 404; without a valid
    # token, all 401s. Either would pass the checks above while testing nothing.
    for operation, statuses in contract_run.statuses().items():
        succeeded = sum(n for status, n in statuses.items() if 200 <= status < 300)
        if contract_run.user == MANAGER and operation in ADMIN_ONLY:
            assert succeeded == 0, (operation, statuses)
        else:
            assert succeeded > 0, (operation, statuses)


def test_only_a_manager_is_told_admins_only_on_the_admins_routes(contract_run: ContractRun) -> None:
    refused = {call["code"] for call in contract_run.calls if call["operation"] in ADMIN_ONLY and
               call["status"] == 403}
    assert refused == ({"admins_only"} if contract_run.user == MANAGER else set())


if __name__ == "__main__":  # background_contracts: `python tests/e2e/test_api_contract.py WORKDIR`
    run_contracts(Path(sys.argv[1]))
