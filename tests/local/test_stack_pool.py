"""The stack pool the integration tests share (leadflow_local/stack_pool.py): whatever a
test did, the next one starts from every stack as just deployed and seeded."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from leadflow_local.stack import CallCounter, LocalStack
from leadflow_local.stack_pool import StackPool


@pytest.fixture(scope="module")
def pool() -> Iterator[StackPool]:
    with mock_aws():
        yield StackPool()


@pytest.fixture(autouse=True)
def clean(pool: StackPool) -> None:
    """As the integration tests start: every stack as just deployed."""
    pool.restore()


def sent(stack: LocalStack) -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][stack.region].sent_messages)


def items(stack: LocalStack) -> list[dict[str, Any]]:
    return stack.client("dynamodb").scan(TableName=stack.table_name())["Items"]


def post_lead(stack: LocalStack, email: str) -> None:
    body = {"name": "Jane Doe", "email": email, "phone": "+14155550134", "interest": "quote", "company": "Acme"}
    response = stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                                 json.dumps(body).encode())
    assert response.status == 202, response.body
    stack.drain()


def test_everything_a_test_did_is_gone_after_a_restore(pool):
    stack = pool.stack()
    seeded = items(stack)
    post_lead(stack, "first@acme-corp.com")
    capture = stack.module("CaptureFunction")
    stack.functions["NotifyFunction"] = lambda event, context: None
    stack.client("sesv2").create_configuration_set(ConfigurationSetName="made-by-a-test")
    stack.failures.append("something failed")
    assert len(sent(stack)) == 1 and CallCounter.calls and len(items(stack)) > len(seeded)

    pool.restore()

    assert sent(stack) == [] and items(stack) == seeded
    assert stack.functions["NotifyFunction"] is stack.containers["NotifyFunction"]
    assert all(container.is_cold for container in stack.containers.values())
    assert stack.module("CaptureFunction") is not capture  # no container cache survives
    assert "made-by-a-test" not in stack.client("sesv2").list_configuration_sets()["ConfigurationSets"]
    assert CallCounter.calls == {} and stack.failures == []


def test_after_a_restore_the_stream_delivers_only_what_is_new(pool):
    stack = pool.stack()
    post_lead(stack, "first@acme-corp.com")
    pool.restore()
    batches: list[int] = []
    score = stack.functions["ScoreFunction"]
    stack.functions["ScoreFunction"] = lambda event, context: batches.append(len(event["Records"])) or score(
        event, context)

    post_lead(stack, "second@acme-corp.com")

    assert batches == [1]  # the new submission only, not the first test's again
    [email] = sent(stack)
    assert "second@acme-corp.com" in email.body and "first@acme-corp.com" not in email.body


def test_stacks_with_other_settings_get_names_of_their_own_and_are_restored_too(pool):
    stack = pool.stack()
    other = pool.stack(parameters={"EnableHotLeadTopic": "true"})
    assert pool.stack(parameters={"EnableHotLeadTopic": "true"}) is other
    assert other.stack_name != stack.stack_name and other.table_name() != stack.table_name()
    seeded = items(other)

    post_lead(other, "other@acme-corp.com")
    pool.restore()

    assert items(other) == seeded and sent(other) == []
    assert len(items(stack)) == len(seeded)  # the first stack is as it was, too


def test_a_checkpoint_keeps_data_for_several_tests_until_it_is_left(pool):
    stack = pool.stack()
    seeded = items(stack)
    post_lead(stack, "kept@acme-corp.com")
    with pool.checkpoint():
        kept = items(stack)
        stack.client("dynamodb").delete_item(TableName=stack.table_name(), Key={
            "PK": kept[0]["PK"], "SK": kept[0]["SK"]})
        pool.restore()
        assert items(stack) == kept
        with pytest.raises(RuntimeError):
            pool.stack(parameters={"AdminEmail": "late@example.com"})  # would miss from the checkpoint

    assert items(stack) == seeded
