"""The cost figure's arithmetic (bench/cost.py): calls per lead times the price table."""

import pytest

from bench import cost

PRICES = {**cost.PRICES, "lambda_request": 1.0, "lambda_arm_gb_second": 10.0, "dynamodb_write_request_unit": 2.0,
          "dynamodb_read_request_unit": 3.0, "eventbridge_event": 5.0, "scheduler_invocation": 7.0,
          "ses_email": 11.0, "secrets_manager_call": 13.0, "api_gateway_rest_request": 17.0}


def test_each_service_is_its_calls_times_its_price():
    # GIVEN one lead's calls, and two functions of 1 GB running 100 ms with no AWS call
    by_operation = {"dynamodb.PutItem": 2, "dynamodb.TransactWriteItems": 1, "dynamodb.GetItem": 1,
                    "dynamodb.BatchGetItem": 2, "events.PutEvents": 1, "scheduler.CreateSchedule": 1,
                    "sesv2.SendEmail": 2, "secretsmanager.GetSecretValue": 0.5}
    functions = {"a": cost.FunctionUse(invocations=1, calls=0, memory_mb=1024, handler_ms=100),
                 "b": cost.FunctionUse(invocations=2, calls=0, memory_mb=512, handler_ms=100)}

    # WHEN priced
    per_lead = cost.cost_per_lead(by_operation, functions, api_requests=1, prices=PRICES)

    # THEN
    assert per_lead["Lambda"] == pytest.approx(3 * 1.0 + (0.1 + 2 * 0.1 * 0.5) * 10.0)
    writes = 2 * 1 + 1 * cost.WRITE_UNITS["TransactWriteItems"]
    reads = 1 * 1 + 2 * cost.READ_UNITS["BatchGetItem"]
    assert per_lead["DynamoDB"] == pytest.approx(writes * 2.0 + reads * 3.0)
    assert per_lead["EventBridge"] == 5.0
    assert per_lead["Scheduler"] == 7.0
    assert per_lead["SES"] == 22.0
    assert per_lead["Secrets Manager"] == 6.5
    assert per_lead["API Gateway"] == 17.0


def test_a_function_is_billed_its_handler_time_plus_a_round_trip_per_call():
    use = cost.FunctionUse(invocations=2, calls=6, memory_mb=512, handler_ms=5)

    assert use.gb_seconds == pytest.approx(2 * (5 + 3 * cost.AWS_CALL_MS) / 1000 * 0.5)
    assert cost.FunctionUse(invocations=0, calls=0, memory_mb=512, handler_ms=5).gb_seconds == 0


def test_a_month_adds_the_secrets_the_managers_the_storage_and_the_recurring_runs():
    fixed = cost.month_fixed(secrets=2, recurring=[], managers=5, leads=1024 * 1024 // 5)

    assert fixed["Secrets Manager"] == pytest.approx(2 * cost.PRICES["secrets_manager_secret_month"])
    assert fixed["Cognito"] == pytest.approx(5 * cost.PRICES["cognito_essentials_mau"])
    assert fixed["DynamoDB"] == pytest.approx(1 * cost.PRICES["dynamodb_storage_gb_month"], rel=1e-3)
    assert fixed["Lambda"] == fixed["Scheduler"] == 0

    # A schedule running a 1024 MB function 1,000 times: each run an invocation, a
    # Scheduler invocation, an idle handler and one Query
    runs = cost.month_fixed(secrets=0, recurring=[(1024, 1000)], managers=0, leads=0)
    seconds = (cost.DEFAULT_HANDLER_MS + cost.AWS_CALL_MS) / 1000
    assert runs["Lambda"] == pytest.approx(1000 * (cost.PRICES["lambda_request"]
                                                   + seconds * cost.PRICES["lambda_arm_gb_second"]))
    assert runs["Scheduler"] == pytest.approx(1000 * cost.PRICES["scheduler_invocation"])
    assert runs["DynamoDB"] == pytest.approx(1000 * cost.PRICES["dynamodb_read_request_unit"])


def test_the_template_runs_the_speed_to_lead_sweep_every_minute_of_the_month():
    assert [runs for _, runs in cost.recurring_schedules()] == [30 * 24 * 60]


def test_the_figure_prices_figure_3_per_1000_leads_and_per_month():
    aws_calls = {"new_lead": {"by_operation": {"sesv2.SendEmail": 1.0},
                              "by_function": {"capture": 0, "notify": 1.0},
                              "invocations": {"capture": 1.0, "notify": 1.0}}}

    figure = cost.run(aws_calls, {"cases": {"notify": {"p50_ms": 4.0}}})

    assert figure["per_1000_new_leads_usd"]["SES"] == pytest.approx(1000 * cost.PRICES["ses_email"])
    assert figure["functions"]["notify"] == {"invocations": 1.0, "memory_mb": 512, "handler_ms": 4.0}
    assert figure["month"]["by_service_usd"]["SES"] == pytest.approx(cost.MONTH_LEADS * cost.PRICES["ses_email"])
    assert figure["month"]["total_usd"] == pytest.approx(sum(figure["month"]["by_service_usd"].values()), abs=0.01)
    with pytest.raises(RuntimeError):
        cost.run({"error": "broken"})
