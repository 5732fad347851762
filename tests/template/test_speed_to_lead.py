"""The speed-to-lead clocks as deployed (after aws-sam-translator): a sparse index of the
running clocks, a sweep once a minute, the same SLA where clocks start and where they
are read."""

from typing import Any


def test_the_running_clocks_have_a_sparse_index_with_only_the_reminder(translated: dict[str, Any]) -> None:
    table = translated["Resources"]["LeadsTable"]["Properties"]
    [index] = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == "GSI3"]
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["GSI3PK", "GSI3SK"]
    # Ids only (ReminderDue): the index copies no contact data.
    assert index["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["reminder_due"]}


def test_the_sweep_runs_each_minute_with_its_time_and_lands_in_the_dead_letter_queue_if_undelivered(
        translated: dict[str, Any]) -> None:
    resources = translated["Resources"]
    sweep = resources["RemindFunctionSweep"]
    assert sweep["Type"] == "AWS::Scheduler::Schedule"
    props = sweep["Properties"]
    assert props["ScheduleExpression"] == "rate(1 minute)"
    assert props["Name"] == {"Fn::Sub": "${AWS::StackName}-sweep"}  # two stacks in one account do not collide
    target = props["Target"]
    assert target["Arn"] == {"Fn::GetAtt": ["RemindFunction", "Arn"]}
    assert "<aws.scheduler.scheduled-time>" in target["Input"]
    # A failed sweep is retried by the next one, a minute later; an undelivered one is parked.
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 0}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["RemindDeadLetterQueue", "Arn"]}}
    role = resources[target["RoleArn"]["Fn::GetAtt"][0]]["Properties"]
    invoke = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"] if s["Action"] == "lambda:InvokeFunction"]
    assert [s["Resource"] for s in invoke] == [{"Fn::GetAtt": ["RemindFunction", "Arn"]}]


def test_clocks_start_with_the_sla_the_reminders_are_told(translated: dict[str, Any]) -> None:
    def sla(function_id: str) -> dict[str, Any]:
        variables = translated["Resources"][function_id]["Properties"]["Environment"]["Variables"]
        return {k: v for k, v in variables.items() if k.startswith("SLA_")}

    assert sla("ScoreFunction") == sla("RemindFunction") == sla("NotifyFunction")
    assert set(sla("ScoreFunction")) == {"SLA_HOT_MINUTES", "SLA_WARM_MINUTES", "SLA_COLD_MINUTES"}
