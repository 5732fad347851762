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



CONTRACT_MODULE = "tests/e2e/test_api_contract.py"


def pytest_collection_modifyitems(config, items):
    """With pytest-xdist (`make test`), tests that share something costly to start share
    a worker: the end-to-end tests one `python -m leadflow_local` (and one browser), the
    reports' seeded dataset its minute of building. Everything else goes where it fits.

    In one process, the end-to-end tests go last and the contract runs' checks last of
    all: the runs start with the session in a process of their own
    (pytest_collection_finish), and are done by the time their checks read them."""
    if not hasattr(config, "workerinput"):
        items.sort(key=lambda item: (item.nodeid.startswith(CONTRACT_MODULE), "tests/e2e/" in item.nodeid))
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("e2e"))
        elif "dataset" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("reports-dataset"))


def pytest_collection_finish(session):
    """Start the contract runs (test_api_contract.py) in the background when they are
    among the tests to run, in one process (an xdist worker runs them itself)."""
    config = session.config
    if config.option.collectonly or hasattr(config, "workerinput") or getattr(config.option, "numprocesses", None):
        return
    contract = next((item for item in session.items if item.nodeid.startswith(CONTRACT_MODULE)), None)
    if contract is None:
        return
    import tempfile
    from pathlib import Path

    module = contract.module
    workdir = Path(tempfile.mkdtemp(prefix="leadflow-contract-"))
    config.stash[module.CONTRACT_JOB] = (module.background_contracts(Path(str(config.rootpath)), workdir), workdir)


def pytest_unconfigure(config):
    """Never leave the background runs behind (a session stopped early): Ctrl-C first,
    so their local stacks stop cleanly."""
    import signal
    import subprocess

    for key in _contract_keys(config):
        process, _workdir = config.stash[key]
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _contract_keys(config):
    import sys

    module = next((m for name, m in sys.modules.items() if name.endswith("test_api_contract")
                   and hasattr(m, "CONTRACT_JOB")), None)
    return [module.CONTRACT_JOB] if module is not None and module.CONTRACT_JOB in config.stash else []
