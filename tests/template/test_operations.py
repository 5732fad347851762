"""Operations, as deployed: the alarms that say a lead is at risk before anyone asks,
SES's bounces and complaints fed back through a configuration set, and concurrency
limits where a burst would otherwise hurt."""

from typing import Any

import pytest

from translated_template import as_deployed, ref_of


def alarms(translated: dict[str, Any]) -> list[dict[str, Any]]:
    return [r["Properties"] for r in translated["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]


def watched(alarm: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(namespace, metric, dimensions) an alarm watches, directly or in its metric math."""
    if "MetricName" in alarm:
        return [(alarm["Namespace"], alarm["MetricName"], {d["Name"]: d["Value"] for d in alarm["Dimensions"]})]
    return [(q["MetricStat"]["Metric"]["Namespace"], q["MetricStat"]["Metric"]["MetricName"],
             {d["Name"]: d["Value"] for d in q["MetricStat"]["Metric"]["Dimensions"]})
            for q in alarm["Metrics"] if "MetricStat" in q]


@pytest.mark.parametrize(("namespace", "metric", "dimension", "subject"), [
    ("AWS/Lambda", "Errors", "FunctionName", "CaptureFunction"),
    ("AWS/Lambda", "Throttles", "FunctionName", "CaptureFunction"),
    ("AWS/Lambda", "IteratorAge", "FunctionName", "ScoreFunction"),
    ("AWS/DynamoDB", "ReadThrottleEvents", "TableName", "LeadsTable"),
    ("AWS/DynamoDB", "WriteThrottleEvents", "TableName", "LeadsTable"),
    ("AWS/SES", "Reputation.BounceRate", "ses:configuration-set", "MailConfigurationSet"),
])
def test_each_sign_of_trouble_has_an_alarm_that_tells_someone(translated, namespace, metric, dimension, subject):
    found = [a for a in alarms(translated) for ns, name, dims in watched(a)
             if (ns, name) == (namespace, metric) and ref_of(dims.get(dimension)) == subject]
    assert len(found) == 1, (namespace, metric, subject)
    assert found[0]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert found[0]["TreatMissingData"] == "notBreaching"  # no data is no trouble


def test_api_5xx_alarm_watches_the_api_by_the_name_it_is_deployed_under(translated):
    api = translated["Resources"]["LeadsApi"]["Properties"]
    [alarm] = [a for a in alarms(translated) for ns, name, _ in watched(a) if (ns, name) == ("AWS/ApiGateway", "5XXError")]
    dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert dimensions["ApiName"] == api["Name"] == {"Fn::Sub": "${AWS::StackName}-api"}
    [stage] = [r["Properties"] for r in translated["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert dimensions["Stage"] == stage["StageName"]
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_every_email_goes_through_the_configuration_set_that_reports_bounces_to_notify(translated):
    resources = translated["Resources"]
    destination = resources["MailEventsDestination"]["Properties"]
    assert destination["ConfigurationSetName"] == {"Ref": "MailConfigurationSet"}
    assert destination["EventDestination"]["Enabled"] is True
    assert sorted(destination["EventDestination"]["MatchingEventTypes"]) == ["bounce", "complaint"]
    # SES publishes to the default bus only; notify's rule listens there, for this set's manager emails.
    bus = destination["EventDestination"]["EventBridgeDestination"]["EventBusArn"]["Fn::Sub"]
    assert bus.endswith(":event-bus/default")
    rule = resources["NotifyFunctionMailBounced"]["Properties"]
    assert "EventBusName" not in rule
    assert rule["EventPattern"] == {
        "source": ["aws.ses"], "detail-type": ["Email Bounced", "Email Complaint Received"],
        "detail": {"mail": {"tags": {"ses:configuration-set": [{"Ref": "MailConfigurationSet"}],
                                     "audience": ["manager"]}}}}
    for function_id in ("NotifyFunction", "RemindFunction", "ImportFunction"):  # every function that sends email
        variables = resources[function_id]["Properties"]["Environment"]["Variables"]
        assert variables["MAIL_CONFIGURATION_SET"] == {"Ref": "MailConfigurationSet"}
    senders = {lid for lid, r in resources.items() if r["Type"] == "AWS::Lambda::Function"
               and "SENDER_EMAIL" in r["Properties"].get("Environment", {}).get("Variables", {})}
    assert senders == {"NotifyFunction", "RemindFunction", "ImportFunction"}


def test_report_counters_run_at_most_two_at_a_time_and_the_fallback_drains_gently(translated):
    report = translated["Resources"]["ReportFunction"]["Properties"]
    # Reserved by default; a parameter of 0 leaves it out for accounts that cannot reserve.
    assert report["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReservesReportConcurrency", {"Ref": "ReportConcurrency"}, {"Ref": "AWS::NoValue"}]}
    assert translated["Parameters"]["ReportConcurrency"]["Default"] == 2
    mapping = translated["Resources"]["StoreFallbackFunctionQueued"]["Properties"]
    assert as_deployed(mapping["ScalingConfig"]) == {"MaximumConcurrency": 2}
    assert ref_of(mapping["EventSourceArn"]) == "FallbackQueue"
