"""Handlers against moto in-process, deployed from template.yaml by the local stack.

One `mock_aws()` for the package and each stack deployed once in it (`local_aws`);
before every test, moto and every stack are put back as just deployed and seeded, with
a new container for every function (leadflow_local.stack_pool). Package-scoped, so the
in-process mock is never active while tests/e2e talk to a moto server over HTTP."""

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from leadflow_local.stack import LocalStack
from leadflow_local.stack_pool import StackPool


@pytest.fixture(scope="package")
def local_aws() -> Iterator[StackPool]:
    """moto in-process for the package, and the stacks deployed on it."""
    with mock_aws():
        yield StackPool()


@pytest.fixture(autouse=True)
def _clean_aws(local_aws: StackPool) -> None:
    """Each test starts from every stack as just deployed (or the class's checkpoint)."""
    local_aws.restore()


@pytest.fixture
def stack(local_aws: StackPool) -> LocalStack:
    """The template deployed with its defaults and seeded with local/seed.json."""
    return local_aws.stack()


@pytest.fixture
def deploy_stack(local_aws: StackPool) -> Callable[..., LocalStack]:
    """A stack with other settings (`parameters`, `public_url`, `seed`, `stack_name`,
    `region`), deployed the first time it is asked for, then reused like `stack`."""
    return local_aws.stack


@pytest.fixture
def table(stack: LocalStack) -> Any:
    """The table as a boto3 resource, for reading what handlers wrote."""
    import boto3

    return boto3.resource("dynamodb", region_name=stack.region).Table(stack.table_name())


@pytest.fixture
def sent_emails(stack: LocalStack):
    """Every message SES accepted, oldest first."""
    return lambda: list(ses_backends[DEFAULT_ACCOUNT_ID][stack.region].sent_messages)


@pytest.fixture
def bus(stack: LocalStack) -> Callable[[], list[dict[str, Any]]]:
    """Every event on the leads bus from now on, as a subscriber would get it: a rule of
    our own on the bus with a queue target; the returned function drains the queue."""
    sqs, events = stack.client("sqs"), stack.client("events")
    url = sqs.create_queue(QueueName="test-bus-tap")["QueueUrl"]
    bus_name = stack.resolve({"Ref": "LeadsBus"})
    events.put_rule(Name="test-bus-tap", EventBusName=bus_name, EventPattern=json.dumps({"source": ["leadflow"]}))
    events.put_targets(Rule="test-bus-tap", EventBusName=bus_name, Targets=[
        {"Id": "tap", "Arn": f"arn:aws:sqs:{stack.region}:{stack.account_id}:test-bus-tap"}])

    def drain() -> list[dict[str, Any]]:
        seen = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                seen.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return seen

    return drain
