"""The local stack keeps DynamoDB's semantics where moto alone would not."""

import json
import threading

import pytest
from botocore.exceptions import ClientError

from leadflow_local.stack import LocalStack


def stream_records(stack: LocalStack) -> list[dict]:
    streams = stack.client("dynamodbstreams")
    arn = stack.streams[0].stream_arn
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]


def test_a_cancelled_transaction_leaves_no_item_and_no_stream_record(stack):
    ddb, table = stack.client("dynamodb"), stack.table_name()
    ddb.put_item(TableName=table, Item={"PK": {"S": "B"}, "SK": {"S": "1"}, "v": {"N": "1"}})
    before = len(stream_records(stack))

    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"PK": {"S": "A"}, "SK": {"S": "1"}}}},
            {"Update": {"TableName": table, "Key": {"PK": {"S": "B"}, "SK": {"S": "1"}},
                        "UpdateExpression": "SET v = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}},
            {"ConditionCheck": {"TableName": table, "Key": {"PK": {"S": "C"}, "SK": {"S": "1"}},
                                "ConditionExpression": "attribute_exists(PK)"}},
        ])

    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in ddb.get_item(TableName=table, Key={"PK": {"S": "A"}, "SK": {"S": "1"}})
    assert ddb.get_item(TableName=table, Key={"PK": {"S": "B"}, "SK": {"S": "1"}})["Item"]["v"] == {"N": "1"}
    assert len(stream_records(stack)) == before
    # and the next write is on the stream, right after the last real one
    ddb.put_item(TableName=table, Item={"PK": {"S": "D"}, "SK": {"S": "1"}})
    records = stream_records(stack)
    assert len(records) == before + 1 and records[-1]["dynamodb"]["Keys"]["PK"] == {"S": "D"}


def test_conditional_writes_from_many_threads_let_exactly_one_win(stack):
    ddb, table = stack.client("dynamodb"), stack.table_name()
    barrier = threading.Barrier(12)
    winners: list[int] = []

    def claim(n: int) -> None:
        barrier.wait()
        try:
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": table, "Item": {"PK": {"S": f"MINE#{n}"}, "SK": {"S": "1"}}}},
                {"Put": {"TableName": table, "Item": {"PK": {"S": "CLAIM"}, "SK": {"S": "1"}, "by": {"N": str(n)}},
                         "ConditionExpression": "attribute_not_exists(PK)"}},
            ])
            winners.append(n)
        except ClientError:
            pass

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    [winner] = winners
    claim_item = ddb.get_item(TableName=table, Key={"PK": {"S": "CLAIM"}, "SK": {"S": "1"}})["Item"]
    assert claim_item["by"] == {"N": str(winner)}
    mine = [n for n in range(12) if "Item" in ddb.get_item(TableName=table, Key={"PK": {"S": f"MINE#{n}"},
                                                                                   "SK": {"S": "1"}})]
    assert mine == [winner]  # the losers' first writes were rolled back


def test_a_stream_batch_given_up_names_the_function_by_its_arn_on_the_failure_queue(stack):
    # GIVEN a stream function that always fails
    def down(event, context):
        raise RuntimeError("down")

    stack.functions["ScoreFunction"] = down
    stack.client("dynamodb").put_item(TableName=stack.table_name(), Item={
        "PK": {"S": "LEAD#x"}, "SK": {"S": "SUB#x"}, "item_type": {"S": "submission"}})

    # WHEN the stream is pumped until the retries are spent
    stack.pump_streams()

    # THEN the OnFailure message names the function by its ARN, as Lambda's does
    [mapping] = stack.streams
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=mapping.on_failure_arn.rsplit(":", 1)[-1])["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert json.loads(message["Body"])["requestContext"]["functionArn"] == \
        stack.resolve({"Fn::GetAtt": ["ScoreFunction", "Arn"]})


def test_the_stream_pump_keeps_its_iterator_between_polls_and_takes_a_fresh_one_when_the_shard_is_replaced(
        stack, monkeypatch):
    import copy

    from moto.dynamodb.models import dynamodb_backends

    # GIVEN a stream function that records what it is given, and a pump that has polled once
    delivered: list[str] = []

    def score(event, context):
        delivered.extend(r["dynamodb"]["Keys"]["PK"]["S"] for r in event["Records"])
        return {"batchItemFailures": []}

    stack.functions["ScoreFunction"] = score
    ddb, table = stack.client("dynamodb"), stack.table_name()
    stack.pump_streams()
    taken: list[str] = []
    original = type(stack.client("dynamodbstreams"))._make_api_call

    def counting(client, operation, params):
        if operation in ("GetShardIterator", "DescribeStream"):
            taken.append(operation)
        return original(client, operation, params)

    monkeypatch.setattr(type(stack.client("dynamodbstreams")), "_make_api_call", counting)

    # WHEN leads arrive between polls
    for n in range(3):
        ddb.put_item(TableName=table, Item={"PK": {"S": f"LEAD#{n}"}, "SK": {"S": f"SUB#{n}"},
                                            "item_type": {"S": "submission"}})
        stack.pump_streams()

    # THEN each is delivered once, on the iterator kept from the poll before
    assert delivered == ["LEAD#0", "LEAD#1", "LEAD#2"]
    assert taken == []

    # WHEN moto puts back a copy of the table (its own rollback of a cancelled transaction)
    tables = dynamodb_backends[stack.account_id][stack.region].tables
    tables[table] = copy.deepcopy(tables[table])
    ddb.put_item(TableName=table, Item={"PK": {"S": "LEAD#3"}, "SK": {"S": "SUB#3"}, "item_type": {"S": "submission"}})
    stack.pump_streams()

    # THEN the stale iterator is noticed: a fresh one after the last record read, nothing lost or repeated
    assert delivered == ["LEAD#0", "LEAD#1", "LEAD#2", "LEAD#3"]
    assert taken == ["GetShardIterator"]
