"""Delivery as deployed: retries, dead-letter queues, alarms and on-failure destinations,
read from the template after aws-sam-translator, since SAM silently adds and drops
resources (a `DeadLetterConfig.Destination` it does not know became five unmonitored
queues of its own)."""

import json
import re
from typing import Any

import pytest

from leadflow_local.template import ROOT, Template
from translated_template import alarmed_queues, asynchronous_functions, generated_resources_unexplained, ref_of


def resources_of(translated: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in translated["Resources"].items() if r["Type"] == kind}


def declared_queues() -> set[str]:
    """The queues template.yaml itself declares: ours, each with its alarm."""
    return {lid for lid, r in Template().resources.items() if r["Type"] == "AWS::SQS::Queue"}


# -- queues and their alarms -----------------------------------------------------------------


def test_every_queue_that_is_deployed_is_ours_and_has_an_alarm(translated):
    queues = set(resources_of(translated, "AWS::SQS::Queue"))
    assert queues == declared_queues()
    assert queues <= alarmed_queues(translated)


def test_a_queue_sam_made_by_itself_would_be_caught(translated):
    broken = json.loads(json.dumps(translated))
    broken["Resources"]["NotifyFunctionLeadAssignedQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    queues = set(resources_of(broken, "AWS::SQS::Queue"))
    assert queues != declared_queues() and not queues <= alarmed_queues(broken)


# -- EventBridge rules ------------------------------------------------------------------------


def test_every_rule_target_retries_then_dead_letters_to_a_queue_of_ours(translated):
    policies = resources_of(translated, "AWS::SQS::QueuePolicy")
    rules = resources_of(translated, "AWS::Events::Rule")
    assert len(rules) >= 6
    for lid, rule in rules.items():
        for target in rule["Properties"]["Targets"]:
            assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1, lid
            queue = ref_of(target["DeadLetterConfig"]["Arn"])
            assert queue in declared_queues(), (lid, queue)
            # EventBridge may write to it: a queue policy for events.amazonaws.com names this rule.
            allowed = [statement for policy in policies.values()
                       if ref_of(policy["Properties"]["Queues"][0]) == queue
                       for statement in policy["Properties"]["PolicyDocument"]["Statement"]
                       if statement["Principal"] == {"Service": "events.amazonaws.com"}
                       and statement["Action"] == "sqs:SendMessage"]
            sources = [s for statement in allowed for s in _as_list(statement["Condition"]["ArnEquals"]["aws:SourceArn"])]
            assert {"Fn::GetAtt": [lid, "Arn"]} in sources, (lid, queue)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- asynchronous invocations -----------------------------------------------------------------


def test_every_asynchronous_function_retries_then_dead_letters_to_a_queue_of_ours(translated):
    functions = asynchronous_functions(translated)
    assert {"NotifyFunction", "ReportFunction", "RemindFunction"} <= functions
    configs = {ref_of(c["Properties"]["FunctionName"]): c["Properties"]
               for c in resources_of(translated, "AWS::Lambda::EventInvokeConfig").values()}
    for lid in functions:
        target = translated["Resources"][lid]["Properties"]["DeadLetterConfig"]["TargetArn"]
        assert ref_of(target) in declared_queues(), lid
        assert configs[lid]["MaximumRetryAttempts"] >= 1, lid


def test_the_score_stream_reports_partial_failures_and_gives_up_to_a_queue_of_ours(translated):
    [mapping] = [m["Properties"] for m in resources_of(translated, "AWS::Lambda::EventSourceMapping").values()
                 if ref_of(m["Properties"]["FunctionName"]) == "ScoreFunction"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 <= mapping["MaximumRetryAttempts"] <= 10
    assert ref_of(mapping["DestinationConfig"]["OnFailure"]["Destination"]) in declared_queues()
    pattern = json.loads(mapping["FilterCriteria"]["Filters"][0]["Pattern"])
    assert pattern["eventName"] == ["INSERT"]
    assert pattern["dynamodb"]["NewImage"]["item_type"] == {"S": ["submission"]}


def test_the_fallback_queue_is_drained_and_redriven_to_a_queue_of_ours(translated):
    [mapping] = [m["Properties"] for m in resources_of(translated, "AWS::Lambda::EventSourceMapping").values()
                 if ref_of(m["Properties"]["FunctionName"]) == "StoreFallbackFunction"]
    assert ref_of(mapping["EventSourceArn"]) == "FallbackQueue"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    redrive = translated["Resources"]["FallbackQueue"]["Properties"]["RedrivePolicy"]
    assert ref_of(redrive["deadLetterTargetArn"]) == "FallbackDeadLetterQueue"


# -- nothing added behind our back --------------------------------------------------------------


def test_no_resource_sam_adds_goes_unnoticed(translated):
    assert generated_resources_unexplained(translated) == []


def test_an_unexpected_generated_resource_is_caught(translated):
    broken = json.loads(json.dumps(translated))
    broken["Resources"]["NotifyFunctionLeadAssignedQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    broken["Resources"]["ScoreFunctionSomethingNew"] = {"Type": "AWS::Lambda::Permission", "Properties": {}}
    assert generated_resources_unexplained(broken) == [
        ("NotifyFunctionLeadAssignedQueue", "AWS::SQS::Queue"), ("ScoreFunctionSomethingNew", "AWS::Lambda::Permission")]


# -- what the functions keep of the people they serve -------------------------------------------


def test_no_function_traces_responses_or_errors(translated):
    # Responses hold leads' names, emails and phones (a lead's page, the CSV export):
    # X-Ray keeps them where no erasure reaches.
    for lid, function in resources_of(translated, "AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false", lid
        assert variables["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false", lid


def test_every_function_is_traced_by_lambda_and_in_detail_only_when_switched_on(translated):
    # Active tracing traces each invocation without the X-Ray SDK; Powertools' Tracer
    # (its subsegments cost 100-170 ms of cold start) only with DetailedTracing=true.
    assert translated["Parameters"]["DetailedTracing"]["Default"] == "false"
    for lid, function in resources_of(translated, "AWS::Lambda::Function").items():
        properties = function["Properties"]
        assert properties["TracingConfig"] == {"Mode": "Active"}, lid
        assert properties["Environment"]["Variables"]["DETAILED_TRACING"] == {"Ref": "DetailedTracing"}, lid
        assert properties["Environment"]["Variables"]["PYDANTIC_DISABLE_PLUGINS"] == "__all__", lid  # cold start


def test_every_function_logs_json_to_a_group_with_a_retention(translated):
    resources = translated["Resources"]
    parameters = translated["Parameters"]
    assert parameters["LogRetentionDays"]["Default"] == 30
    groups = set()
    for lid, function in resources_of(translated, "AWS::Lambda::Function").items():
        logging = function["Properties"]["LoggingConfig"]
        assert logging["LogFormat"] == "JSON" and logging["ApplicationLogLevel"] == {"Ref": "LogLevel"}, lid
        group = resources[ref_of(logging["LogGroup"])]
        assert group["Type"] == "AWS::Logs::LogGroup", lid
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, lid
        groups.add(ref_of(logging["LogGroup"]))
    assert len(groups) == len(resources_of(translated, "AWS::Lambda::Function"))  # one each


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARN", "ERROR"])
def test_the_log_level_parameter_is_one_lambda_and_powertools_both_accept(translated, level):
    import logging

    assert level in translated["Parameters"]["LogLevel"]["AllowedValues"]
    assert level in {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}  # Lambda's ApplicationLogLevel
    assert isinstance(logging.getLevelName(level), int)  # POWERTOOLS_LOG_LEVEL, the logging module's names


def test_the_template_names_no_queue_by_a_property_sam_ignores():
    # `DeadLetterConfig.Destination` is not a SAM property: SAM drops it silently.
    text = (ROOT / "template.yaml").read_text("utf-8")
    assert not re.search(r"DeadLetterConfig:\s*\n\s*Type: SQS\s*\n\s*Destination:", text)
