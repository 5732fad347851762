"""What every figure shares: the functions under measurement, their environment with
dummy resource names, an offline AWS environment, sample leads and percentiles."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from leadflow_local.template import ROOT, FunctionSpec, Resolver, Template

EVENTS = ROOT / "events"
# Short names for the report, in pipeline order, mapped to the template's logical ids.
FUNCTIONS = {"capture": "CaptureFunction", "score": "ScoreFunction", "notify": "NotifyFunction"}


def dummy_resolver(template: Template) -> Resolver:
    """Resolves the template's references to made-up names: nothing is created, so
    only the shape of the environment matters (a table name, a bus name...)."""
    refs: dict[str, Any] = {
        **template.parameter_defaults(), "AWS::StackName": "bench", "AWS::Region": "us-east-1",
        "AWS::AccountId": "123456789012", "AWS::URLSuffix": "amazonaws.com", "AWS::Partition": "aws",
    }
    refs.update({lid: f"bench-{lid}" for lid in template.resources})
    attrs = {f"{lid}.{attr}": f"bench-{lid}-{attr}" for lid in template.resources
             for attr in ("Arn", "Name", "QueueName", "QueueUrl", "StreamArn")}
    return Resolver(refs, attrs, template.doc.get("Conditions", {}))


def function_env(spec: FunctionSpec, resolve: Resolver) -> dict[str, str]:
    """The function's Environment.Variables from the template (Globals applied), resolved."""
    return {k: str(resolve(v)) for k, v in spec.environment.items()}


def offline_aws_env() -> dict[str, str]:
    """What the tests use: fake credentials and a region, so no client ever looks for a
    profile, a config file or the instance metadata service (which would add seconds).

    Tracing is off because there is no X-Ray daemon here (Powertools switches it off
    outside Lambda anyway); metrics stay on, as deployed (their output is discarded)."""
    return {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def use_offline_aws() -> None:
    """Point this process at nothing real: no developer profile or endpoint leaks in."""
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(offline_aws_env())


def load_event(name: str) -> dict[str, Any]:
    """A sample event from events/, the same file `sam local invoke -e` uses."""
    return json.loads((EVENTS / f"{name}.json").read_text("utf-8"))


def sample_post(n: int) -> dict[str, str]:
    """The n-th of a mix of hot, warm and cold form posts, each from a different person
    (distinct email and phone), so every post makes a new lead."""
    kind = n % 3
    if kind == 0:  # quote + company email + phone + company + senior role: hot
        return {"name": f"Hot Buyer {n}", "email": f"buyer{n}@acme-corp.com", "phone": f"+1 415 555 {n:04d}",
                "company": "Acme Corp", "job_title": "Head of Operations", "interest": "quote",
                "message": "We need 40 seats.", "utm_source": "google", "utm_medium": "cpc"}
    if kind == 1:  # a question from a company email: warm
        return {"name": f"Warm Asker {n}", "email": f"asker{n}@globex.com", "interest": "question",
                "utm_source": "newsletter", "utm_medium": "email"}
    return {"name": f"Cold Reader {n}", "email": f"reader{n}@gmail.com", "interest": "ebook"}  # cold


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolated between the closest ranks."""
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(samples: Sequence[float]) -> dict[str, float]:
    """Median, p99 and spread of millisecond samples, rounded for the report."""
    return {
        "n": len(samples), "p50_ms": round(statistics.median(samples), 3), "p99_ms": round(percentile(samples, 99), 3),
        "min_ms": round(min(samples), 3), "max_ms": round(max(samples), 3),
    }


_devnull: TextIO | None = None


@contextlib.contextmanager
def functions_output_discarded() -> Iterator[None]:
    """The functions' stdout (JSON logs, metrics) to /dev/null while they run here, and
    Powertools' warning for an invocation that added no metric left out of the report.

    Their log lines are still formatted (that is per-request work), only not shown.
    One handle for the whole process: Powertools' loggers keep the stream they were
    created with, and later figures reuse them."""
    global _devnull  # noqa: PLW0603 - one handle per process, never closed
    if _devnull is None:
        _devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the loggers
    with contextlib.redirect_stdout(_devnull), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        yield
