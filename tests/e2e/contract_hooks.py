"""schemathesis hooks for test_api_contract.py, loaded by the `schemathesis run` it starts
(SCHEMATHESIS_HOOKS=contract_hooks, this folder on PYTHONPATH). What the test gives them
comes in environment variables, so the same run can be repeated by hand.

- `map_case` (and `before_add_examples`, for the examples phase): real ids in place of
  most generated ones (the operation's one path parameter: a lead's, a form's, a
  manager's, a user's), so cases get past the lookup's 404 into access checks,
  transitions and the bodies' rules. Each operation has its own (LEADFLOW_CONTRACT_IDS:
  a JSON object, "POST /leads/{lead_id}/status" → ids), so none finds its leads moved by
  another; chosen from the case itself, so the run stays deterministic. The document's
  examples (each operation's happy path) always go to the operation's first, fresh id:
  however the fuzzed cases fall, every route's work is reached at least once.
- `after_call`: each answer's operation and status, one JSON line per call, appended to
  LEADFLOW_CONTRACT_CALLS, for the test to check that the run reached every route's work.
- `schema_valid_requests_pass_validation`: a check that a request the document calls
  valid is never refused as `invalid_request`, i.e. the code's validation and the
  document's schemas agree (schemathesis.toml says why it sits beside schemathesis'
  own `positive_data_acceptance`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, HookContext, Response

IDS_ENV = "LEADFLOW_CONTRACT_IDS"
CALLS_ENV = "LEADFLOW_CONTRACT_CALLS"
DOCUMENT_ENV = "LEADFLOW_CONTRACT_DOCUMENT"
# The path parameters that name something, and the document's pattern for each: an id
# that breaks it is a negative case, kept as generated.
ID_PARAMETERS = {"lead_id": re.compile(r"^[A-Za-z0-9_-]{1,64}$"), "form_id": re.compile(r"^[A-Za-z0-9_-]{1,64}$"),
                 "manager_id": re.compile(r"^[A-Za-z0-9_-]{1,64}$"),
                 "user_id": re.compile(r"^[A-Za-z0-9_-]{1,128}$"), "import_id": re.compile(r"^[0-9a-f]{32}$"),
                 "spam_id": re.compile(r"^[A-Za-z0-9_-]{1,400}$"),
                 "partner_id": re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$")}
INVALID_REQUEST = "invalid_request"


def _ids(operation: str) -> list[str]:
    return list(json.loads(os.environ.get(IDS_ENV) or "{}").get(operation, []))


def _operation(case: Case) -> str:
    return f"{case.method.upper()} {case.operation.path}"


def _fingerprint(case: Case) -> int:
    """A number that depends on the case's content only (Python's hash() is salted per process)."""
    text = repr((case.method, case.path, case.path_parameters, case.query,
                 case.body if isinstance(case.body, dict | list | str) else None))
    return int(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), 16)


def _place(case: Case, *, example: bool) -> None:
    """Put a real id in the case (most of the time, see the module's doc)."""
    ids = _ids(_operation(case))
    named = [name for name in ID_PARAMETERS if name in (case.path_parameters or {})]
    if not ids or not named:
        return
    generated = case.path_parameters[named[0]]
    if not isinstance(generated, str) or not ID_PARAMETERS[named[0]].fullmatch(generated):
        return
    # The document's examples go to the operation's first id (fresh: they run first),
    # so each route's happy path is walked; the rest spread over the ids, one slot in
    # len+1 keeping the generated id: unknown ones (404) stay covered.
    pick = 0 if example else _fingerprint(case) % (len(ids) + 1)
    if pick < len(ids):
        case.path_parameters = {**case.path_parameters, named[0]: ids[pick]}
    if example and isinstance(case.body, dict) and "follow_up_on" in case.body:
        # A fixed day in the document goes stale; the example means "a day to come".
        case.body = {**case.body, "follow_up_on": (date.today() + timedelta(days=7)).isoformat()}


def _documented_example(case: Case) -> Any:
    """The first example the document gives for the operation's JSON body, as written
    (None without one): schemathesis' examples phase mixes it with other values."""
    document = json.loads(Path(os.environ[DOCUMENT_ENV]).read_text("utf-8"))
    operation = document["paths"][case.operation.path][case.method.lower()]
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return (schema.get("examples") or [None])[0]


@schemathesis.hook
def before_add_examples(context: HookContext, examples: list[Case]) -> None:
    # The examples phase calls this hook, never map_case. Its first case is the
    # document's example exactly, so the happy path is walked once whatever comes next.
    if examples and examples[0].body is not None:
        written = _documented_example(examples[0])
        if written is not None:
            examples[0].body = written
    for case in examples:
        _place(case, example=True)


@schemathesis.hook
def map_case(context: HookContext, case: Case) -> Case:
    _place(case, example=False)
    return case


@schemathesis.hook
def after_call(context: HookContext, case: Case, response: Response) -> None:
    calls = os.environ.get(CALLS_ENV)
    if not calls:
        return
    code: str | None = None
    content_type = next((v[0] for k, v in response.headers.items() if k.lower() == "content-type" and v), "")
    if content_type.startswith("application/json"):
        try:
            body: Any = json.loads(response.content)
            if isinstance(body, dict):  # the request's code, else the first error's
                errors = body.get("errors") or [{}]
                code = body.get("code") or (errors[0].get("code") if isinstance(errors[0], dict) else None)
        except ValueError:
            code = None
    with open(calls, "a", encoding="utf-8") as out:
        out.write(json.dumps({"operation": _operation(case), "status": response.status_code, "code": code,
                              "elapsed": response.elapsed}) + "\n")


@schemathesis.check
def schema_valid_requests_pass_validation(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A request the document calls valid may be refused for a rule no schema can say
    (a cursor from another list, a follow-up day in the past), never as malformed."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None  # not JSON: the schema checks report it
    codes = {body.get("code")} | {e.get("code") for e in body.get("errors", []) if isinstance(e, dict)}
    if INVALID_REQUEST in codes:
        raise AssertionError(f"a request valid by the document was refused as {INVALID_REQUEST}: "
                             f"{json.dumps(body.get('errors'))[:500]}")
    return None
