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
    """In one process, the end-to-end tests go last and the contract runs' checks last of
    all: the runs start with the session in a process of their own
    (pytest_collection_finish), and are done by the time their checks read them.

    In an xdist worker the order is the collection's, but for the contract runs' checks,
    last (of the end-to-end tests, pytest_xdist_make_scheduler): the worker starts the runs
    as it begins the end-to-end tests (pytest_runtest_setup), and its other tests hide them."""
    if not hasattr(config, "workerinput"):
        items.sort(key=lambda item: (item.nodeid.startswith(CONTRACT_MODULE), "tests/e2e/" in item.nodeid))
    else:
        items.sort(key=lambda item: item.nodeid.startswith(CONTRACT_MODULE))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With pytest-xdist (`make test`: `-n 2 --dist loadscope`), a worker takes a whole
    module at a time (its module- and package-scoped fixtures built once, e.g. the reports'
    seeded dataset, its minute of building), and one worker all the end-to-end tests (one
    `python -m leadflow_local` and one browser for the session, the contract runs in the
    background). The queue keeps the collection's order: the end-to-end tests, the longest
    part, come first; whichever worker is free takes the next module.

    (Groups are made here, not with `xdist_group` marks: with pytest 9.2, xdist 3.8's
    `--dist loadgroup` no longer sees them, as it renames `item._nodeid`, which a node's
    `nodeid` is not read from any more.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "tests/e2e" if nodeid.startswith("tests/e2e/") else nodeid.split("::", 1)[0]

    if config.getvalue("dist") != "loadscope":
        return None
    config.option.loadscopereorder = False  # the collection's order: the end-to-end tests first
    return ModuleScheduling(config, log)


def pytest_collection_finish(session):
    """Start the contract runs (test_api_contract.py) in the background when they are
    among the tests to run, in one process; an xdist worker starts them as it begins
    the end-to-end tests (pytest_runtest_setup)."""
    config = session.config
    if config.option.collectonly or hasattr(config, "workerinput") or getattr(config.option, "numprocesses", None):
        return
    _start_contract_runs(session)


def pytest_runtest_setup(item):
    """The xdist worker given the end-to-end group starts the contract runs with its first
    end-to-end test (the contract checks come last in the group, and wait for them)."""
    config = item.config
    if hasattr(config, "workerinput") and "tests/e2e/" in item.nodeid and not config.stash.get(_CONTRACT_TRIED, False):
        config.stash[_CONTRACT_TRIED] = True
        _start_contract_runs(item.session)


_CONTRACT_TRIED = pytest.StashKey[bool]()


def _start_contract_runs(session):
    contract = next((item for item in session.items if item.nodeid.startswith(CONTRACT_MODULE)), None)
    if contract is None:
        return
    import tempfile
    from pathlib import Path

    config = session.config
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
