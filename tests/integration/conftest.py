"""Handlers against moto in-process, deployed from template.yaml by the local stack."""

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from leadflow_local.stack import CallCounter, LocalStack


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with mock_aws():
        local = LocalStack().deploy()
        local.seed()
        CallCounter.reset()
        yield local


@pytest.fixture
def table(stack: LocalStack) -> Any:
    """The table as a boto3 resource, for reading what handlers wrote."""
    import boto3

    return boto3.resource("dynamodb", region_name=stack.region).Table(stack.table_name())


@pytest.fixture
def sent_emails(stack: LocalStack):
    """Every message SES accepted, oldest first."""
    return lambda: list(ses_backends[DEFAULT_ACCOUNT_ID][stack.region].sent_messages)

