"""Every moto patch of the local stack (leadflow_local/moto_patches/): the moto internal
it relies on is still there and still behaves as the patch assumes, so a moto upgrade
that changes one fails here, loudly, naming it; and the patched behaviour holds."""

import inspect
import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from leadflow_local import moto_patches
from leadflow_local.moto_patches import (
    attribute_values_json,
    cheap_rollback,
    condition_expressions,
    event_input_paths,
    serialized_requests,
    ses_events,
    sqs_retention,
    stream_iterators,
    stream_records_json,
    update_expressions,
)

REGION = "us-east-1"


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    moto_patches.install()
    with mock_aws():
        yield


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION, config=Config(account_id_endpoint_mode="disabled"))


def leads_table(name: str = "leads") -> Any:
    """A table shaped like the template's (PK/SK, a GSI, a stream); the moto Table object."""
    from moto.dynamodb.models import dynamodb_backends

    client("dynamodb").create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "G")],
        GlobalSecondaryIndexes=[{"IndexName": "ByG", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "G", "KeyType": "HASH"},
                                               {"AttributeName": "SK", "KeyType": "RANGE"}]}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[name]


def put(pk: str, sk: str, **attributes: str) -> None:
    item = {"PK": {"S": pk}, "SK": {"S": sk}, **{k: {"S": v} for k, v in attributes.items()}}
    client("dynamodb").put_item(TableName="leads", Item=item)


# -- serialized_requests: one moto request at a time ---------------------------------------


def test_moto_still_handles_each_request_in_the_patched_call_methods():
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    assert serialized_requests.patched_classes() == (BotocoreStubber, DomainDispatcherApplication)
    for cls, parameters in ((BotocoreStubber, ["self", "event_name", "request", "kwargs"]),
                            (DomainDispatcherApplication, ["self", "environ", "start_response"])):
        assert getattr(cls.__call__, "leadflow_serialized", False), cls
        assert list(inspect.signature(cls.__call__.__wrapped__).parameters) == parameters, cls


def test_an_in_process_request_waits_while_another_holds_moto():
    done = threading.Event()
    worker = threading.Thread(target=lambda: (client("sqs").list_queues(), done.set()))
    with serialized_requests.REQUEST_LOCK:
        worker.start()
        assert not done.wait(0.3)  # it went through the patched stubber, and waits there
    assert done.wait(10)
    worker.join()


# -- cheap_rollback: a cancelled transaction puts back only what it touched -----------------


def test_moto_still_snapshots_tables_through_its_copy_module_in_transact_write_items():
    import moto.dynamodb.models as dynamodb_models

    original = cheap_rollback.original_transact_write_items
    assert original is not None and dynamodb_models.DynamoDBBackend.transact_write_items is not original
    assert list(inspect.signature(original).parameters) == ["self", "transact_items"]
    source = inspect.getsource(original)
    assert "copy.deepcopy(" in source and "self.tables[table_name]" in source  # the copy the patch skips
    assert isinstance(dynamodb_models.copy, cheap_rollback.TablesAreNotCopied)


def test_moto_tables_still_keep_items_and_stream_records_where_the_rollback_puts_them_back():
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = leads_table()
    put("A", "1", v="x")

    assert (table.hash_key_attr, table.range_key_attr) == ("PK", "SK")
    partition = table.items[DynamoType({"S": "A"})]
    assert isinstance(partition, dict) and list(partition) == [DynamoType({"S": "1"})]
    assert table.get_item(DynamoType({"S": "A"}), DynamoType({"S": "1"})).attrs["v"] == DynamoType({"S": "x"})
    assert table.get_item(DynamoType({"S": "A"}), DynamoType({"S": "2"})) is None
    assert isinstance(table.stream_shard.items, list) and len(table.stream_shard.items) == 1


def test_a_cancelled_transaction_restores_its_items_and_stream_in_place():
    table = leads_table()
    put("B", "1", v="1")
    records = len(table.stream_shard.items)

    with pytest.raises(ClientError) as cancelled:
        client("dynamodb").transact_write_items(TransactItems=[
            {"Put": {"TableName": "leads", "Item": {"PK": {"S": "A"}, "SK": {"S": "1"}}}},
            {"Delete": {"TableName": "leads", "Key": {"PK": {"S": "B"}, "SK": {"S": "1"}}}},
            {"ConditionCheck": {"TableName": "leads", "Key": {"PK": {"S": "C"}, "SK": {"S": "1"}},
                                "ConditionExpression": "attribute_exists(PK)"}},
        ])

    from moto.dynamodb.models import dynamodb_backends

    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    # moto's own rollback would have put a copy of the whole table in place of this one
    assert dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables["leads"] is table
    items = client("dynamodb").scan(TableName="leads")["Items"]
    assert items == [{"PK": {"S": "B"}, "SK": {"S": "1"}, "v": {"S": "1"}}]
    assert len(table.stream_shard.items) == records


# -- query_one_partition: a Query reads its partition, not the table ----------------------


def test_moto_query_still_takes_the_arguments_and_reads_the_candidates_the_patch_replaces():
    from moto.dynamodb.models.table import Table

    assert getattr(Table.query, "leadflow_one_partition", False)
    original = Table.query.__wrapped__
    parameters = inspect.signature(original).parameters
    assert "hash_key" in parameters and "index_name" in parameters
    assert "self.all_items()" in inspect.getsource(original)
    assert callable(Table.all_items)


def test_a_query_reads_one_partition_and_an_index_query_every_item_unsorted(monkeypatch):
    from moto.dynamodb.models.table import Table

    leads_table()
    for pk, sk, g in (("A", "2", "x"), ("A", "1", "y"), ("B", "1", "x"), ("C", "3", "x")):
        put(pk, sk, G=g)
    sorted_walks: list[str] = []
    all_items = Table.all_items
    monkeypatch.setattr(Table, "all_items", lambda self: sorted_walks.append(self.name) or all_items(self))
    ddb = client("dynamodb")

    by_key = ddb.query(TableName="leads", KeyConditionExpression="PK = :p", ExpressionAttributeValues={
        ":p": {"S": "A"}})["Items"]
    by_index = ddb.query(TableName="leads", IndexName="ByG", KeyConditionExpression="G = :g",
                         ExpressionAttributeValues={":g": {"S": "x"}})["Items"]
    assert sorted_walks == []  # neither walked the whole table
    scanned = ddb.scan(TableName="leads")["Items"]

    assert [i["SK"]["S"] for i in by_key] == ["1", "2"]
    assert [(i["PK"]["S"], i["SK"]["S"]) for i in by_index] == [("B", "1"), ("A", "2"), ("C", "3")]
    assert len(scanned) == 4 and sorted_walks  # a Scan still walks the sorted table


# -- ses_events: configuration sets checked, the mailbox simulator's events published ------


def mail_through(configuration_set: str, to: str, tags: dict[str, str] | None = None) -> str:
    return client("sesv2").send_email(
        FromEmailAddress="leads@example.com", Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
        ConfigurationSetName=configuration_set,
        EmailTags=[{"Name": k, "Value": v} for k, v in (tags or {}).items()])["MessageId"]


def ses_with_event_destination(matching: list[str]) -> dict[str, Any]:
    """A verified sender, a configuration set publishing `matching` events to the default
    bus, and a queue receiving every aws.ses event on that bus."""
    from moto.ses.models import ses_backends

    client("sesv2").create_email_identity(EmailIdentity="leads@example.com")
    client("sesv2").create_configuration_set(ConfigurationSetName="mail")
    ses_events.add_event_destination(DEFAULT_ACCOUNT_ID, REGION, "mail", {
        "Name": "to-bus", "Enabled": True, "MatchingEventTypes": matching,
        "EventBridgeDestination": {"EventBusArn": f"arn:aws:events:{REGION}:{DEFAULT_ACCOUNT_ID}:event-bus/default"}})
    assert "mail" in ses_backends[DEFAULT_ACCOUNT_ID][REGION].config_set_event_destination
    url = client("sqs").create_queue(QueueName="ses-events")["QueueUrl"]
    client("events").put_rule(Name="ses", EventPattern='{"source": ["aws.ses"]}')
    client("events").put_targets(Rule="ses", Targets=[{"Id": "q", "Arn": f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT_ID}:ses-events"}])
    return {"url": url}


def received(url: str) -> list[dict[str, Any]]:
    import json

    messages = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_moto_still_ignores_configuration_sets_when_sending_and_keeps_what_the_patch_reads():
    from moto.events.models import EventsBackend
    from moto.ses.models import SESBackend

    # Should moto check or publish for configuration sets itself one day, drop that half.
    assert "ConfigurationSetName" not in inspect.getsource(ses_events.moto_send_email)
    assert {"config_sets", "config_set_event_destination"} <= set(vars(SESBackend(REGION, DEFAULT_ACCOUNT_ID)))
    assert list(inspect.signature(EventsBackend.put_events).parameters) == ["self", "events"]


def test_an_unknown_configuration_set_is_refused_as_ses_refuses_it():
    client("sesv2").create_email_identity(EmailIdentity="leads@example.com")

    with pytest.raises(ClientError) as refused:
        mail_through("no-such-set", "someone@example.com")

    assert refused.value.response["Error"]["Code"] == "NotFoundException"


def test_the_mailbox_simulator_bounces_and_complains_on_the_default_bus_with_the_tags():
    bus = ses_with_event_destination(["bounce", "complaint"])

    bounced_id = mail_through("mail", "bounce@simulator.amazonses.com", {"audience": "manager"})
    mail_through("mail", "complaint@simulator.amazonses.com", {"audience": "visitor"})
    mail_through("mail", "someone@example.com", {"audience": "manager"})  # delivered: no event

    bounce, complaint = received(bus["url"])
    assert (bounce["source"], bounce["detail-type"]) == ("aws.ses", "Email Bounced")
    assert bounce["detail"]["bounce"]["bounceType"] == "Permanent"
    assert bounce["detail"]["bounce"]["bouncedRecipients"] == [
        {"emailAddress": "bounce@simulator.amazonses.com", "action": "failed", "status": "5.1.1",
         "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]
    assert bounce["detail"]["mail"]["messageId"] == bounced_id
    assert bounce["detail"]["mail"]["tags"] == {"audience": ["manager"], "ses:configuration-set": ["mail"],
                                               "ses:from-domain": ["example.com"]}
    assert complaint["detail-type"] == "Email Complaint Received"
    assert complaint["detail"]["complaint"]["complainedRecipients"] == [{"emailAddress": "complaint@simulator.amazonses.com"}]


def test_only_the_event_types_the_destination_matches_are_published():
    bus = ses_with_event_destination(["complaint"])

    mail_through("mail", "bounce@simulator.amazonses.com")

    assert received(bus["url"]) == []


# -- stream_iterators: the iterators moto keeps are forgotten after each poll ---------------


def test_moto_still_keeps_every_shard_iterator_in_its_backend_and_forgetting_them_is_harmless():
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    table = leads_table()
    put("A", "1")
    streams = client("dynamodbstreams")
    arn = f"{table.table_arn}/stream/{table.latest_stream_label}"
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    first = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")

    kept = dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][REGION].shard_iterators
    assert isinstance(kept, dict) and first["ShardIterator"] in kept

    stream_iterators.forget_shard_iterators(DEFAULT_ACCOUNT_ID, REGION)

    assert dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][REGION].shard_iterators == {}
    again = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    assert len(streams.get_records(ShardIterator=again["ShardIterator"])["Records"]) == 1


def test_forgetting_keeps_the_iterators_asked_for():
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    table = leads_table()
    put("A", "1")
    streams = client("dynamodbstreams")
    arn = f"{table.table_arn}/stream/{table.latest_stream_label}"
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    first = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    kept = streams.get_records(ShardIterator=first["ShardIterator"])["NextShardIterator"]

    stream_iterators.forget_shard_iterators(DEFAULT_ACCOUNT_ID, REGION, keep=[kept])

    assert list(dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][REGION].shard_iterators) == [kept]
    put("B", "1")
    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in streams.get_records(ShardIterator=kept)["Records"]] == ["B"]


def test_an_iterator_reading_a_replaced_shard_is_no_longer_current():
    # GIVEN an iterator kept after a read
    table = leads_table()
    put("A", "1")
    streams = client("dynamodbstreams")
    arn = f"{table.table_arn}/stream/{table.latest_stream_label}"
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    first = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    kept = streams.get_records(ShardIterator=first["ShardIterator"])["NextShardIterator"]
    assert stream_iterators.shard_iterator_is_current(DEFAULT_ACCOUNT_ID, REGION, kept)

    # WHEN moto puts back a copy of the table (as its own rollback of a cancelled transaction does)
    import copy

    from moto.dynamodb.models import dynamodb_backends

    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables
    tables["leads"] = copy.deepcopy(tables["leads"])
    put("B", "1")

    # THEN the kept iterator reads the stale shard, and says so; unknown iterators are not current
    assert streams.get_records(ShardIterator=kept)["Records"] == []
    assert not stream_iterators.shard_iterator_is_current(DEFAULT_ACCOUNT_ID, REGION, kept)
    assert not stream_iterators.shard_iterator_is_current(DEFAULT_ACCOUNT_ID, REGION, "no-such-iterator")


# -- event_input_paths: a target's input paths parsed once ---------------------------------


def test_moto_still_parses_target_input_paths_with_jsonpath_ng_ext_when_it_runs():
    from moto.events.utils import EventTemplateParser

    assert "from jsonpath_ng.ext import parse" in inspect.getsource(EventTemplateParser.parse)


def test_an_input_path_is_parsed_once_and_events_still_reach_the_rules_queue():
    import jsonpath_ng.ext

    # GIVEN a rule with an SQS target
    assert getattr(jsonpath_ng.ext.parse, "leadflow_cached", False)
    sqs, events = client("sqs"), client("events")
    url = sqs.create_queue(QueueName="target")["QueueUrl"]
    events.put_rule(Name="r", EventPattern='{"source": ["leadflow"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT_ID}:target"}])

    # WHEN two events match it
    for n in range(2):
        events.put_events(Entries=[{"Source": "leadflow", "DetailType": "t", "Detail": f'{{"n": {n}}}'}])

    # THEN each arrives whole, and a path's parse is shared, not rebuilt
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    assert sorted(json.loads(b)["detail"]["n"] for b in bodies) == [0, 1]
    assert jsonpath_ng.ext.parse("$.detail") is jsonpath_ng.ext.parse("$.detail")
    assert event_input_paths.original_parse("$.detail") is not event_input_paths.original_parse("$.detail")


# -- stream_records_json: GetRecords written with one json.dumps ----------------------------


def test_moto_still_answers_get_records_from_the_backend_the_patch_reads():
    from moto.core.serialize import TimestampSerializer
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    assert getattr(DynamoDBStreamsHandler.get_records, "leadflow_json", False)
    source = inspect.getsource(stream_records_json.moto_get_records)
    assert 'self._get_param("ShardIterator")' in source and 'self._get_param("Limit")' in source
    assert "self.backend.get_records(arn, limit)" in source
    assert callable(TimestampSerializer._timestamp_unixtimestamp)


def test_get_records_answers_what_motos_own_serializer_answers_for_every_attribute_type(monkeypatch):
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    # GIVEN a stream with inserts, updates and a delete of items holding every attribute type
    table = leads_table()
    dynamodb = client("dynamodb")
    item = {"PK": {"S": "LEAD#1"}, "SK": {"S": "LEAD"}, "G": {"S": "g"}, "n": {"N": "12.5"}, "b": {"B": b"\x00\xffhi"},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"x", b"\x01"]}, "t": {"BOOL": True},
            "f": {"BOOL": False}, "z": {"NULL": True}, "e": {"S": ""}, "u": {"S": "Zoë ✓"},
            "m": {"M": {"k": {"S": "v"}, "bin": {"B": b"y"}, "deep": {"M": {"l": {"L": [{"N": "1"}, {"B": b"z"}]}}}}},
            "l": {"L": [{"S": "x"}, {"M": {}}, {"L": []}, {"BOOL": False}]}}
    dynamodb.put_item(TableName="leads", Item=item)
    dynamodb.update_item(TableName="leads", Key={"PK": {"S": "LEAD#1"}, "SK": {"S": "LEAD"}},
                         UpdateExpression="SET n = n + :one", ExpressionAttributeValues={":one": {"N": "1"}})
    dynamodb.put_item(TableName="leads", Item={"PK": {"S": "LEAD#2"}, "SK": {"S": "SUB#1"}})
    dynamodb.delete_item(TableName="leads", Key={"PK": {"S": "LEAD#2"}, "SK": {"S": "SUB#1"}})
    streams = client("dynamodbstreams")
    arn = f"{table.table_arn}/stream/{table.latest_stream_label}"
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]

    def read(limit: int) -> list[dict[str, Any]]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        pages = []
        for _ in range(4):
            page = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=limit)
            pages.append(page["Records"])
            iterator = {"ShardIterator": page["NextShardIterator"]}
        return pages

    # WHEN it is read through the patch, and through moto's own serializer
    patched = read(limit=3)
    monkeypatch.setattr(DynamoDBStreamsHandler, "get_records", stream_records_json.moto_get_records)
    original = read(limit=3)

    # THEN both give the same records, page by page (the same iterators' worth), as boto3 parses them
    assert patched == original
    assert [len(page) for page in patched] == [3, 1, 0, 0]
    assert patched[0][0]["dynamodb"]["NewImage"]["b"]["B"] == original[0][0]["dynamodb"]["NewImage"]["b"]["B"]
    assert patched[0][1]["eventName"] == "MODIFY" and patched[1][0]["eventName"] == "REMOVE"


# -- update_expressions: an UpdateExpression parsed once, each pass's node table built once --


def test_moto_still_parses_copies_and_walks_update_expressions_as_the_patch_assumes():
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
    from moto.dynamodb.parsing.validators import UpdateExpressionValidator, Validator

    assert list(inspect.signature(update_expressions.original_make).parameters) == ["cls", "expression_str"]
    # The validator works on its own copy: a parsed tree given to it is never changed.
    assert "self.node_to_validate = deepcopy(expression)" in inspect.getsource(Validator.__init__)
    assert "self._processing_map()" in inspect.getsource(update_expressions.original_nodes_to_be_processed)
    assert "self._processing_map()" in inspect.getsource(update_expressions.original_process)
    assert getattr(DepthFirstTraverser.nodes_to_be_processed, "leadflow_cached", False)
    walk = inspect.getsource(update_expressions.original_traverse)
    counting = inspect.getsource(update_expressions.original_verify_action_counts)
    for kind in ("Add", "Remove", "Set"):
        assert f"node.find_clauses([UpdateExpression{kind}Clause])" in counting, kind
    assert counting.rstrip().endswith("return node")
    from moto.dynamodb.parsing.ast_nodes import Node as AstNode

    finding = inspect.getsource(AstNode.find_clauses)
    for step in ("if type(child) in clause_types:", "elif isinstance(child, Expression):",
                 "elif isinstance(child, UpdateExpressionFunction):"):
        assert step in finding, step
    for step in ("if isinstance(node, Node):", "parent_node = node.parent",
                 "self.pre_processing_of_child(node, i)", "self.traverse_node_recursively(child_node, i)",
                 "if isinstance(node, self.nodes_to_be_processed()):", "node = self.process(node)",
                 "node.parent = parent_node", "parent_node.children[child_id] = node", "return node"):
        assert step in walk, step
    # No pass overrides what the patch replaces; every pass's table is a constant.
    from moto.dynamodb.parsing import validators

    assert UpdateExpressionValidator.__mro__[1] is Validator

    for cls in vars(validators).values():
        if isinstance(cls, type) and issubclass(cls, DepthFirstTraverser) and cls is not DepthFirstTraverser:
            assert "nodes_to_be_processed" not in vars(cls) and "process" not in vars(cls), cls
            assert "return {" in inspect.getsource(cls._processing_map), cls


def test_an_update_expression_is_parsed_once_and_updates_still_apply_and_fail_as_before():
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    leads_table()
    dynamodb = client("dynamodb")
    key = {"PK": {"S": "COUNT"}, "SK": {"S": "day"}}
    expression = "SET n = if_not_exists(n, :zero) + :one, seen = list_append(if_not_exists(seen, :empty), :id)"
    for n in range(3):
        dynamodb.update_item(TableName="leads", Key=key, UpdateExpression=expression,
                             ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}, ":empty": {"L": []},
                                                        ":id": {"L": [{"S": f"e{n}"}]}})

    item = dynamodb.get_item(TableName="leads", Key=key, ConsistentRead=True)["Item"]
    assert item["n"] == {"N": "3"} and item["seen"] == {"L": [{"S": "e0"}, {"S": "e1"}, {"S": "e2"}]}
    assert UpdateExpressionParser.make(expression) is UpdateExpressionParser.make(expression)
    # Still refused as moto refuses them: a bad expression, a key attribute, a missing value.
    for bad, values in (("SET n = ", {}), ("SET PK = :v", {":v": {"S": "x"}}), ("SET n = :missing", {})):
        with pytest.raises(ClientError) as refused:
            dynamodb.update_item(TableName="leads", Key=key, UpdateExpression=bad,
                                 **({"ExpressionAttributeValues": values} if values else {}))
        assert refused.value.response["Error"]["Code"] == "ValidationException", bad


# -- sqs_retention: the retention check reads the queue's period, not every attribute ------


def test_moto_still_checks_retention_through_the_queue_attribute_the_patch_reads():
    from moto.sqs.models import Queue, SQSBackend

    source = inspect.getsource(sqs_retention.original_check)
    assert '"MessageRetentionPeriod"' in source and "message.sent_timestamp / 1000" in source
    assert "unix_time()" in source
    assert "MessageRetentionPeriod" in Queue.BASE_ATTRIBUTES
    assert getattr(SQSBackend.is_message_valid_based_on_retention_period, "leadflow_direct", False)


def test_received_messages_are_kept_or_dropped_by_the_retention_period_as_before(monkeypatch):
    from moto.sqs import models as sqs_models

    sqs = client("sqs")
    url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="fresh")
    backend = sqs_models.sqs_backends[DEFAULT_ACCOUNT_ID][REGION]
    message = backend.get_queue("q")._messages[0]
    assert backend.get_queue("q").message_retention_period == 60
    for offset in (0, 59, 61):
        monkeypatch.setattr(sqs_models, "unix_time", lambda offset=offset: message.sent_timestamp / 1000 + offset)
        assert backend.is_message_valid_based_on_retention_period("q", message) == \
            sqs_retention.original_check(backend, "q", message), offset
    monkeypatch.undo()
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["fresh"]


def test_the_validators_copy_of_a_parsed_tree_is_what_deepcopy_makes():
    import copy

    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import Node
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    assert validators.deepcopy is update_expressions.copy_tree

    def shape(node: Any, parent: Any = None) -> Any:
        assert node.parent is parent
        return (type(node), {k: v for k, v in vars(node).items() if k not in ("children", "parent")},
                [shape(c, node) if isinstance(c, Node) else c for c in node.children or []])

    for expression in ("SET a.b[2] = if_not_exists(#n, :zero) + :one, c = list_append(:l, c) REMOVE d[1], e",
                       "ADD s :members DELETE t :gone", "SET #x = :v", "REMOVE a"):
        tree = UpdateExpressionParser.make(expression)
        ours, theirs = update_expressions.copy_tree(tree), copy.deepcopy(tree)
        assert shape(ours) == shape(theirs) == shape(tree)
        def ids(root: Any) -> set[int]:
            found, nodes = set(), [root]
            while nodes:
                node = nodes.pop()
                found.add(id(node))
                nodes.extend(c for c in node.children or [] if isinstance(c, Node))
            return found

        assert not ids(ours) & ids(tree)  # every node of the copy is a new one
    value = {"L": [1, {"M": {}}]}
    assert update_expressions.copy_tree(value) == value and update_expressions.copy_tree(value) is not value


# -- attribute_values_json: attribute values written as they are ---------------------------

EVERY_TYPE = {"n": {"N": "12.5"}, "b": {"B": b"\x00\xffhi"}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]},
              "bs": {"BS": [b"x", b"\x01"]}, "t": {"BOOL": True}, "f": {"BOOL": False}, "z": {"NULL": True},
              "e": {"S": ""}, "u": {"S": "Zoë ✓"},
              "m": {"M": {"k": {"S": "v"}, "bin": {"B": b"y"}, "deep": {"M": {"l": {"L": [{"N": "1"}, {"B": b"z"}]}}}}},
              "l": {"L": [{"S": "x"}, {"M": {}}, {"L": []}, {"BOOL": False}, {"NULL": True}, {"SS": ["q"]}]}}


def test_moto_still_serializes_json_structures_through_the_method_the_patch_wraps():
    from moto.core.serialize import BaseJSONSerializer

    assert getattr(BaseJSONSerializer._serialize_type_structure, "leadflow_direct", False)
    parameters = list(inspect.signature(attribute_values_json.original_serialize_structure).parameters)
    assert parameters == ["self", "serialized", "value", "shape", "key"]
    assert callable(BaseJSONSerializer._default_serialize)


def test_items_are_answered_as_motos_own_serializer_answers_them_for_every_attribute_type(monkeypatch):
    from moto.core.serialize import BaseJSONSerializer

    leads_table()
    dynamodb = client("dynamodb")
    key = {"PK": {"S": "LEAD#1"}, "SK": {"S": "LEAD"}}
    dynamodb.put_item(TableName="leads", Item={**key, "G": {"S": "g"}, "e2": {"S": "x"}, **EVERY_TYPE})

    def answers() -> list[Any]:
        return [
            dynamodb.get_item(TableName="leads", Key=key, ConsistentRead=True)["Item"],
            dynamodb.batch_get_item(RequestItems={"leads": {"Keys": [key]}})["Responses"],
            dynamodb.query(TableName="leads", KeyConditionExpression="PK = :pk",
                           ExpressionAttributeValues={":pk": {"S": "LEAD#1"}})["Items"],
            dynamodb.query(TableName="leads", IndexName="ByG", KeyConditionExpression="G = :g",
                           ExpressionAttributeValues={":g": {"S": "g"}})["Items"],
            dynamodb.update_item(TableName="leads", Key=key, UpdateExpression="SET e2 = :e",
                                 ExpressionAttributeValues={":e": {"S": "x"}}, ReturnValues="ALL_NEW")["Attributes"],
            dynamodb.scan(TableName="leads")["Items"],
        ]

    patched = answers()
    monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure",
                        attribute_values_json.original_serialize_structure)
    original = answers()

    assert patched == original
    assert patched[0]["e"] == {"S": ""} and patched[0]["z"] == {"NULL": True} and patched[0]["f"] == {"BOOL": False}
    # Anything not in wire format is left to moto's walk.
    for odd in ({"S": 1}, {"X": "y"}, {"S": "a", "N": "1"}, {"M": {"k": "v"}}, "text"):
        with pytest.raises(attribute_values_json.NotWireFormat):
            attribute_values_json.wire_attribute(odd)


def test_updates_give_the_same_items_and_the_same_refusals_as_moto_unpatched(monkeypatch):
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    leads_table()
    dynamodb = client("dynamodb")
    updates = [
        ("SET n = if_not_exists(n, :zero) + :one, #s = :s, m = :m", {"#s": "state"}),
        ("SET m.k = :s, l = list_append(if_not_exists(l, :empty), :l) ADD c :one, tags :set", None),
        ("SET l[0] = :s REMOVE m.k DELETE tags :gone", None),
        ("SET n = n - :one, m.deep = :m", None),
        ("SET a = :s, a = :s", None),  # two paths overlap
        ("SET n = :s SET c = :one", None),  # two SET clauses
        ("REMOVE a ADD c :one REMOVE b", None),  # two REMOVE clauses
        ("ADD c :one ADD d :one SET e = :s SET f = :s", None),  # two of two kinds
        ("SET PK = :s", None),  # a key attribute
        ("SET x = :missing", None),
        ("REMOVE l[9], nothing", None),
        ("SET n = n + :s", None),  # a type mismatch
    ]
    values = {":zero": {"N": "0"}, ":one": {"N": "1"}, ":s": {"S": "v"}, ":m": {"M": {"k": {"S": "x"}}},
              ":empty": {"L": []}, ":l": {"L": [{"S": "a"}]}, ":set": {"SS": ["a", "b"]}, ":gone": {"SS": ["a"]}}

    def run(pk: str) -> list[Any]:
        key = {"PK": {"S": pk}, "SK": {"S": "LEAD"}}
        outcomes: list[Any] = []
        for expression, names in updates:
            used = {k: v for k, v in values.items() if k in expression}
            try:
                dynamodb.update_item(TableName="leads", Key=key, UpdateExpression=expression,
                                     ExpressionAttributeValues=used, **({"ExpressionAttributeNames": names} if names else {}))
                outcomes.append(dynamodb.get_item(TableName="leads", Key=key, ConsistentRead=True)["Item"])
            except ClientError as refused:
                outcomes.append(refused.response["Error"])
        return [json.loads(json.dumps(o, sort_keys=True).replace(f'"{pk}"', '"pk"')) for o in outcomes]

    patched = run("patched")
    monkeypatch.setattr(UpdateExpressionParser, "make", classmethod(update_expressions.original_make))
    for name in ("nodes_to_be_processed", "process"):
        monkeypatch.setattr(DepthFirstTraverser, name, getattr(update_expressions, f"original_{name}"))
    monkeypatch.setattr(DepthFirstTraverser, "traverse_node_recursively", update_expressions.original_traverse)
    monkeypatch.setattr(validators.ActionCountValidator, "verify_action_counts",
                        update_expressions.original_verify_action_counts)
    import copy

    monkeypatch.setattr(validators, "deepcopy", copy.deepcopy)
    original = run("unpatched")

    assert patched == original
    assert sum("Code" in o for o in patched) == 8


# -- condition_expressions: a condition's text lexed once -----------------------------------


def test_moto_still_lexes_a_condition_from_its_text_alone_into_childless_tokens():
    from moto.dynamodb.comparisons import ConditionExpressionParser

    assert getattr(ConditionExpressionParser._lex_condition_expression, "leadflow_cached", False)
    source = inspect.getsource(condition_expressions.original_lex)
    assert "remaining_expression = self.condition_expression" in source
    assert "self._lex_one_node(remaining_expression)" in source
    assert "children=[]" in inspect.getsource(ConditionExpressionParser._lex_one_node)


def test_a_condition_lexes_to_fresh_tokens_equal_to_motos_and_conditions_still_hold():
    from moto.dynamodb.comparisons import ConditionExpressionParser

    for text in ("attribute_not_exists(PK)", "#s = :open AND (n < :max OR attribute_exists(m.k[1]))",
                 "NOT contains(tags, :t) AND size(l) >= :two", "a IN (:x, :y) AND b BETWEEN :lo AND :hi"):
        parser = ConditionExpressionParser(text, {"#s": "state"}, {})
        first, second = parser._lex_condition_expression(), parser._lex_condition_expression()
        assert list(first) == list(second) == list(condition_expressions.original_lex(parser))
        assert all(a.children is not b.children for a, b in zip(first, second, strict=True))

    leads_table()
    dynamodb = client("dynamodb")
    key = {"PK": {"S": "LEAD#1"}, "SK": {"S": "LEAD"}}
    for _ in range(2):  # the second time from the kept tokens
        dynamodb.put_item(TableName="leads", Item={**key, "n": {"N": "1"}})
        with pytest.raises(ClientError) as failed:
            dynamodb.put_item(TableName="leads", Item=key, ConditionExpression="attribute_not_exists(PK)")
        assert failed.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
        dynamodb.update_item(TableName="leads", Key=key, UpdateExpression="SET n = n + :one",
                             ConditionExpression="n < :max", ExpressionAttributeValues={":one": {"N": "1"}, ":max": {"N": "5"}})
    assert dynamodb.get_item(TableName="leads", Key=key)["Item"]["n"] == {"N": "2"}
