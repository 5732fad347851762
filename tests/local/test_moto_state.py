"""moto's state copied and put back (leadflow_local/moto_state.py), which the integration
tests' isolation rests on: what moto internals it needs, and that a restore really puts
everything back, however the services reference each other."""

import copyreg
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from leadflow_local.moto_state import MotoSnapshot

REGION = "us-east-1"


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def client(service: str, region: str = REGION) -> Any:
    return boto3.client(service, region_name=region, config=Config(account_id_endpoint_mode="disabled"))


def test_moto_still_lists_every_backend_in_use_by_account_and_region():
    from moto.core.base_backend import AccountSpecificBackend, BackendDict, BaseBackend
    from moto.sqs.models import sqs_backends

    client("sqs").list_queues()

    assert sqs_backends in BackendDict._instances
    assert isinstance(sqs_backends[DEFAULT_ACCOUNT_ID], AccountSpecificBackend)
    assert isinstance(sqs_backends[DEFAULT_ACCOUNT_ID], dict) and REGION in dict.keys(sqs_backends[DEFAULT_ACCOUNT_ID])
    assert isinstance(sqs_backends[DEFAULT_ACCOUNT_ID][REGION], BaseBackend)


def test_items_written_or_deleted_after_the_snapshot_are_put_back():
    ddb = client("dynamodb")
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}])
    ddb.put_item(TableName="t", Item={"PK": {"S": "kept"}})
    snapshot = MotoSnapshot.take()

    ddb.delete_item(TableName="t", Key={"PK": {"S": "kept"}})
    ddb.put_item(TableName="t", Item={"PK": {"S": "new"}})
    snapshot.restore()
    first = [i["PK"]["S"] for i in ddb.scan(TableName="t")["Items"]]
    ddb.put_item(TableName="t", Item={"PK": {"S": "newer"}})
    snapshot.restore()  # each restore is a copy of its own: the first one's changes are gone too

    assert first == ["kept"]
    assert [i["PK"]["S"] for i in ddb.scan(TableName="t")["Items"]] == ["kept"]


def test_queues_work_after_a_restore_with_their_locks_made_anew():
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="before")
    snapshot = MotoSnapshot.take()
    sqs.send_message(QueueUrl=url, MessageBody="after")

    snapshot.restore()
    sqs.send_message(QueueUrl=url, MessageBody="again")  # notifies the queue's Condition
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                     WaitTimeSeconds=1)["Messages"]]

    assert sorted(bodies) == ["again", "before"]
    # the lock reducers were for the copy only
    assert not set(copyreg.dispatch_table) & {type(threading.Lock()), type(threading.RLock()), threading.Condition}


def test_services_that_share_a_store_still_share_it_after_a_restore():
    from moto.ses.models import ses_backends

    sesv2 = client("sesv2")
    sesv2.create_email_identity(EmailIdentity="leads@example.com")
    snapshot = MotoSnapshot.take()
    snapshot.restore()

    sesv2.send_email(FromEmailAddress="leads@example.com", Destination={"ToAddresses": ["a@example.com"]},
                     Content={"Simple": {"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "x"}}}})

    # SES v2 sends through SES's store, which the mailbox and the tests read
    assert [m.subject for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages] == ["hi"]


def test_a_backend_first_used_after_the_snapshot_is_emptied():
    client("sqs").list_queues()
    snapshot = MotoSnapshot.take()
    topic = client("sns", "eu-west-1").create_topic(Name="later")["TopicArn"]

    snapshot.restore()

    assert topic not in [t["TopicArn"] for t in client("sns", "eu-west-1").list_topics()["Topics"]]
