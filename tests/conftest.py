"""Shared test setup: no test ever reaches real AWS."""

import os

import pytest

# Fake credentials and a region before any boto3 client exists; tracing and metrics
# output off (they need the Lambda runtime's X-Ray daemon and only add noise here).
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
})
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)



def pytest_collection_modifyitems(config, items):
    """With pytest-xdist (`make test`), tests that share something costly to start share
    a worker: the end-to-end tests one `python -m leadflow_local` (and one browser), the
    reports' seeded dataset its minute of building. Everything else goes where it fits."""
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("e2e"))
        elif "dataset" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("reports-dataset"))
