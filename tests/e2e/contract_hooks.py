"""schemathesis hooks for test_api_contract.py, loaded by the `schemathesis run` it starts
(SCHEMATHESIS_HOOKS=contract_hooks, this folder on PYTHONPATH). What the test gives them
comes in environment variables, so the same run can be repeated by hand.

- `map_case`: real lead ids in place of most generated ones, so cases get past the
  lookup's 404 into access checks, transitions and the bodies' rules. Each operation
  has its own (LEADFLOW_CONTRACT_LEAD_IDS: a JSON object, "POST /leads/{lead_id}/status"
  → ids), so none finds its leads moved by another; chosen from the case itself, so
  the run stays deterministic.
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
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, HookContext, Response

LEAD_IDS_ENV = "LEADFLOW_CONTRACT_LEAD_IDS"
CALLS_ENV = "LEADFLOW_CONTRACT_CALLS"
# The document's pattern for a lead id: an id that breaks it is a negative case, kept as generated.
LEAD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
INVALID_REQUEST = "invalid_request"


def _lead_ids(operation: str) -> list[str]:
    return list(json.loads(os.environ.get(LEAD_IDS_ENV) or "{}").get(operation, []))


def _operation(case: Case) -> str:
    return f"{case.method.upper()} {case.operation.path}"


def _fingerprint(case: Case) -> int:
    """A number that depends on the case's content only (Python's hash() is salted per process)."""
    text = repr((case.method, case.path, case.path_parameters, case.query,
                 case.body if isinstance(case.body, dict | list | str) else None))
    return int(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), 16)


@schemathesis.hook
def map_case(context: HookContext, case: Case) -> Case:
    lead_ids = _lead_ids(_operation(case))
    generated = (case.path_parameters or {}).get("lead_id")
    if lead_ids and isinstance(generated, str) and LEAD_ID.fullmatch(generated):
        # The document's examples go to the operation's first lead (fresh: they run
        # first), so each route's happy path is walked; the rest spread over the leads,
        # one slot in len+1 keeping the generated id: unknown leads (404) stay covered.
        examples = case.meta is not None and case.meta.phase.name == "examples"
        pick = 0 if examples else _fingerprint(case) % (len(lead_ids) + 1)
        if pick < len(lead_ids):
            case.path_parameters = {**case.path_parameters, "lead_id": lead_ids[pick]}
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
