"""Figure 2: time per request inside each handler, with AWS taken out of the picture.

Every AWS API call is answered at once by `CannedAws`, which replaces botocore's
`BaseClient._make_api_call`: no request is built, signed, sent or parsed, so what is
timed is the handler, Powertools (event parsing, logging, metrics, batch processing,
idempotency) and the domain. The canned items are built with the storage kernel's
`to_item` helpers from the demo seed, so the handlers read what they would read in AWS.

Idempotency is stubbed, not switched off: PutItem (the in-progress record) and
UpdateItem (the result) succeed, so every notify call takes the first-delivery path."""

from __future__ import annotations

import contextlib
import copy
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

from botocore.client import BaseClient

from bench.measure import FUNCTIONS, dummy_resolver, function_env, functions_output_discarded, load_event, summary_ms
from leadflow.shared.models import AssignmentNotice, FormConfig, Lead, LeadStatus, Manager, Submission
from leadflow.storage.codec import from_item, to_item
from leadflow.storage.keys import form_key, lead_key, manager_key, submission_key
from leadflow_local.functions import LambdaFunction
from leadflow_local.stack import SEED_PATH, LambdaContext
from leadflow_local.template import Template

WARMUP = 20
ITERATIONS = 300


@dataclass(frozen=True)
class Case:
    label: str
    function: str  # short name in FUNCTIONS
    event: str  # file in events/
    check: Callable[[Any], None]  # fails loudly if the handler took an error path
    # The call that proves the work was done, once per request: a spam post or a
    # refusal can answer like a success, but it does not store the submission.
    proof: str


def _status(expected: int) -> Callable[[Any], None]:
    def check(response: Any) -> None:
        assert response["statusCode"] == expected, f"status {response['statusCode']}: {response.get('body')}"
    return check


def _no_batch_failures(response: Any) -> None:
    assert response == {"batchItemFailures": []}, response


def _email_sent(response: Any) -> None:
    assert response.get("message_id") == "m" and not response.get("suppressed"), response


CASES = [
    Case("capture (JSON)", "capture", "capture-json", _status(202), "dynamodb.TransactWriteItems"),
    # A browser's post: redirected to the form's thank-you page.
    Case("capture (urlencoded)", "capture", "capture-urlencoded", _status(303), "dynamodb.TransactWriteItems"),
    Case("score", "score", "score-new-submission", _no_batch_failures, "events.PutEvents"),
    Case("notify", "notify", "notify-lead-assigned", _email_sent, "sesv2.SendEmail"),
]


# Answers that do not depend on the request: every write succeeds, every event and
# email is accepted (the hot-lead alert only runs when its topic is configured).
FIXED_ANSWERS: dict[str, dict[str, Any]] = {
    "dynamodb.TransactWriteItems": {}, "dynamodb.PutItem": {}, "dynamodb.DeleteItem": {},
    "events.PutEvents": {"FailedEntryCount": 0, "Entries": [{"EventId": "x"}]},
    "sesv2.SendEmail": {"MessageId": "m"},
    "sns.Publish": {"MessageId": "m"},
    # The action links' key (read once per container, then cached).
    "secretsmanager.GetSecretValue": {"ARN": "bench-ActionLinkSecret", "SecretString": "k" * 64},
}


def _schedule_created(params: dict[str, Any]) -> dict[str, Any]:
    """The manager's SLA reminder."""
    return {"ScheduleArn": f"arn:aws:scheduler:us-east-1:123456789012:schedule/bench/{params['Name']}"}


class CannedAws:
    """Instant answers per operation; any call it has no answer for fails the request."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        seed = json.loads(SEED_PATH.read_text("utf-8"))
        self.managers = [Manager.model_validate(m) for m in seed["managers"]]
        for form in (FormConfig.model_validate(f) for f in seed["forms"]):
            self._keep(to_item(form_key(form.form_id), "form", form))
        for manager in self.managers:
            self._keep(to_item(manager_key(manager.manager_id), "manager", manager))
        # The lead and submission the sample notify event points at: the ones the
        # sample score event carries, the lead assigned to the event's manager as score
        # leaves it, with the notice score leaves on the submission for the email.
        [record] = load_event("score-new-submission")["Records"]
        submission = Submission.model_validate(from_item(record["dynamodb"]["NewImage"]))
        assigned = load_event("notify-lead-assigned")["detail"]
        assert (assigned["lead_id"], assigned["submission_id"]) == (submission.lead_id, submission.submission_id)
        lead = Lead(lead_id=submission.lead_id, contact=submission.contact, source=submission.source,
                    created_at=submission.received_at, last_seen_at=submission.received_at,
                    status=LeadStatus.ASSIGNED, manager_id=assigned["manager_id"], assigned_at=submission.received_at)
        self._keep(to_item(lead_key(lead.lead_id), "lead", lead))
        key = submission_key(submission.lead_id, submission.received_at, submission.submission_id)
        [manager] = [m for m in self.managers if m.manager_id == assigned["manager_id"]]
        notice = AssignmentNotice(lead=lead, manager=manager).model_dump(mode="json", exclude_none=True)
        self._keep(to_item(key, "submission", submission, notice=notice))

    def _keep(self, item: dict[str, Any]) -> None:
        self.items[(item["PK"]["S"], item["SK"]["S"])] = item

    def _find(self, key: dict[str, Any]) -> dict[str, Any] | None:
        return self.items.get((key["PK"]["S"], key["SK"]["S"]))

    def answer(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        name = f"{service}.{operation}"
        self.calls[name] += 1
        if name in FIXED_ANSWERS:
            return copy.deepcopy(FIXED_ANSWERS[name])
        answers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "dynamodb.GetItem": self._get_item, "dynamodb.BatchGetItem": self._batch_get_item,
            "dynamodb.UpdateItem": self._update_item,
            "dynamodb.Query": self._query_roster,
            "scheduler.CreateSchedule": _schedule_created,
        }
        if name not in answers:
            # Anything else (the fallback queue, a retry path...) is not the path measured here.
            raise AssertionError(f"no canned answer for {name}")
        return answers[name](params)

    def _get_item(self, params: dict[str, Any]) -> dict[str, Any]:
        """Forms and leads; an idempotency record is never found (first delivery)."""
        item = self._find(params["Key"])
        return {"Item": item} if item else {}

    def _update_item(self, params: dict[str, Any]) -> dict[str, Any]:
        """Every update succeeds; one that asks for the item back (notify's claim on the
        submission, which reads it) gets it."""
        item = self._find(params["Key"]) if params.get("ReturnValues") in ("ALL_NEW", "ALL_OLD") else None
        return {"Attributes": item} if item else {}

    def _batch_get_item(self, params: dict[str, Any]) -> dict[str, Any]:
        responses = {table: [i for i in map(self._find, request["Keys"]) if i]
                     for table, request in params["RequestItems"].items()}
        return {"Responses": responses, "UnprocessedKeys": {}}

    def _query_roster(self, params: dict[str, Any]) -> dict[str, Any]:
        assert params["ExpressionAttributeValues"][":pk"]["S"] == "ROSTER", params
        items = [to_item(manager_key(m.manager_id), "manager", m) for m in self.managers]
        return {"Items": items, "Count": len(items), "ScannedCount": len(items)}

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        def make_api_call(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> dict[str, Any]:
            return self.answer(client.meta.service_model.service_name, operation_name, api_params)

        with mock.patch.object(BaseClient, "_make_api_call", make_api_call):
            yield


def _context(function_id: str) -> LambdaContext:
    return LambdaContext(function_name=f"bench-{function_id}",
                         invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:bench-{function_id}")


def run(iterations: int = ITERATIONS, warmup: int = WARMUP) -> dict[str, Any]:
    """p50/p99 per case; the functions' stdout (logs, metrics) goes to /dev/null."""
    template = Template()
    resolve = dummy_resolver(template)
    canned = CannedAws()
    results: dict[str, Any] = {}
    with functions_output_discarded(), canned.installed():
        # Loaded with stdout redirected: Powertools' logger binds its stream at creation.
        # Each in a container of its own, as the local stack runs it: its own environment
        # only, swapped in for every call (tens of microseconds, within the figures).
        handlers: dict[str, LambdaFunction] = {}
        for name, lid in FUNCTIONS.items():
            spec = template.function(lid)
            handlers[name] = LambdaFunction(spec, function_env(spec, resolve))
            handlers[name].module()  # the cold start, here rather than in the first sample
        for case in CASES:
            handler, event = handlers[case.function], load_event(case.event)
            samples: list[float] = []
            canned.calls.clear()
            for n in range(warmup + iterations):
                # Lambda hands every invocation its own event and context.
                request, context = copy.deepcopy(event), _context(FUNCTIONS[case.function])
                proofs = canned.calls[case.proof]
                start = time.perf_counter_ns()
                response = handler(request, context)
                elapsed_ms = (time.perf_counter_ns() - start) / 1e6
                case.check(response)
                assert canned.calls[case.proof] == proofs + 1, f"{case.label}: no {case.proof}"
                if n >= warmup:
                    samples.append(elapsed_ms)
            results[case.label] = {
                **summary_ms(samples),
                "stubbed_calls_per_request": {op: round(count / (warmup + iterations), 3)
                                              for op, count in sorted(canned.calls.items())},
            }
    return {"iterations": iterations, "warmup": warmup, "cases": results}
