"""Each function's role, as deployed (after aws-sam-translator), grants exactly the
actions the function uses, on its own resources: nothing a policy template adds "in
case" (Scan, DescribeTable, SES identity verification). The local stack enforces the
same roles while the rest of the suite runs, so a call a function makes but its role
lacks fails there; this test fails on an action a function does not need."""

import pytest

from translated_template import actions_of, role_statements

# Why each is needed: the store methods and clients each function's code calls.
TABLE_READS = {"dynamodb:GetItem"}
NEEDS: dict[str, set[str]] = {
    # Query: a referral form's partner found by email, on GSI1 only (leadflow.referrals.attribution).
    "CaptureFunction": TABLE_READS | {"dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                      "dynamodb:Query", "sqs:SendMessage", "secretsmanager:GetSecretValue"},
    "StoreFallbackFunction": TABLE_READS | {"dynamodb:PutItem"},
    # PutItem: the visits window an assignment's email opens; ConditionCheckItem: a
    # returning lead's manager still holds leads; BatchGetItem: a returning lead's card
    # with its visits window (leadflow.routing.store).
    "ScoreFunction": TABLE_READS | {"dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:UpdateItem",
                                    "dynamodb:PutItem",
                                    "dynamodb:ConditionCheckItem", "events:PutEvents", "sqs:SendMessage"},
    "NotifyFunction": TABLE_READS | {
        "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem", "ses:SendEmail", "secretsmanager:GetSecretValue", "sqs:SendMessage",
        "sns:Publish"},
    "RemindFunction": TABLE_READS | {
        "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
        "ses:SendEmail", "secretsmanager:GetSecretValue", "sqs:SendMessage", "events:PutEvents",
        "scheduler:CreateSchedule", "iam:PassRole"},
    "LeadsApiFunction": TABLE_READS | {
        "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "events:PutEvents",
        "secretsmanager:GetSecretValue", "scheduler:CreateSchedule", "scheduler:DeleteSchedule",
        "scheduler:ListSchedules", "iam:PassRole",
        # A CSV import's chunks on the import queue (leadflow.capture.importing).
        "sqs:SendMessage",
        # The admin API's logins (leadflow.logins.pool).
        "cognito-idp:AdminCreateUser", "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminRemoveUserFromGroup",
        "cognito-idp:ListUsers", "cognito-idp:ListUsersInGroup"},
    "ActionsFunction": TABLE_READS | {
        "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem",
        "events:PutEvents", "secretsmanager:GetSecretValue", "scheduler:CreateSchedule", "scheduler:DeleteSchedule",
        "scheduler:ListSchedules", "iam:PassRole"},
    "ReportFunction": TABLE_READS | {"dynamodb:PutItem", "dynamodb:UpdateItem", "sqs:SendMessage"},
    # Capture's writes of each row, the import's items, the summaries (SES), the row
    # markers' hash key; sqs:SendMessage is Lambda's, to the dead-letter queue.
    "ImportFunction": TABLE_READS | {
        "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
        "ses:SendEmail", "secretsmanager:GetSecretValue", "sqs:SendMessage"},
    # The chat pipe's enrichment reads the lead card and its manager (leadflow.notification.chat).
    "ChatFunction": {"dynamodb:BatchGetItem"},  # the lead card and its manager, together
    # The console's files are in its own package: it calls no AWS service.
    "ConsoleFunction": set(),
}


def functions_of(translated):
    return sorted(lid for lid, r in translated["Resources"].items() if r["Type"] == "AWS::Lambda::Function")


def test_every_function_is_in_the_table(translated):
    assert functions_of(translated) == sorted(NEEDS)


@pytest.mark.parametrize("function_id", sorted(NEEDS))
def test_a_role_grants_exactly_what_its_function_needs(translated, function_id):
    granted = {action for s in role_statements(translated, function_id) if s["Effect"] == "Allow"
               for action in actions_of(s)}
    assert granted == NEEDS[function_id], (
        f"not needed: {sorted(granted - NEEDS[function_id])}; missing: {sorted(NEEDS[function_id] - granted)}")


def test_no_role_can_scan_delete_where_it_never_does_or_manage_ses(translated):
    for function_id in functions_of(translated):
        for statement in role_statements(translated, function_id):
            for action in actions_of(statement):
                assert "*" not in action, (function_id, action)
                assert action != "dynamodb:Scan" and not action.startswith("ses:Verify"), (function_id, action)
                assert not (action.startswith("ses:") and action != "ses:SendEmail"), (function_id, action)


def test_the_table_is_the_only_dynamodb_resource_and_only_the_api_the_sweep_and_capture_read_its_indexes(
        translated):
    sweep_reads = {"Fn::Sub": "${LeadsTable.Arn}/index/GSI3"}
    partner_list = {"Fn::Sub": "${LeadsTable.Arn}/index/GSI1"}
    for function_id in functions_of(translated):
        for statement in role_statements(translated, function_id):
            if not any(a.startswith("dynamodb:") for a in actions_of(statement)):
                continue
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if function_id == "RemindFunction" and resources == [sweep_reads]:
                # The speed-to-lead sweep queries the running clocks, and does nothing else there.
                assert actions_of(statement) == ["dynamodb:Query"]
                continue
            if function_id == "CaptureFunction" and resources == [partner_list]:
                # A referral form's partner given by email: the partners' list, nothing else there.
                assert actions_of(statement) == ["dynamodb:Query"]
                continue
            expected = [{"Fn::GetAtt": ["LeadsTable", "Arn"]}]
            if function_id == "LeadsApiFunction":
                expected.append({"Fn::Sub": "${LeadsTable.Arn}/index/*"})
            assert resources == expected, function_id


def test_schedules_are_reached_only_in_the_stacks_own_group(translated):
    resources = translated["Resources"]
    assert resources["ReminderScheduleGroup"]["Type"] == "AWS::Scheduler::ScheduleGroup"
    for function_id in functions_of(translated):
        for statement in role_statements(translated, function_id):
            actions = actions_of(statement)
            if not any(a.startswith("scheduler:") for a in actions) or actions == ["scheduler:ListSchedules"]:
                continue
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for target in targets:
                assert ":schedule/${ReminderScheduleGroup}/" in target["Fn::Sub"], (function_id, target)
    # The functions create schedules in that group, and Scheduler may act for that group only.
    for function_id in ("NotifyFunction", "RemindFunction", "LeadsApiFunction", "ActionsFunction"):
        variables = resources[function_id]["Properties"]["Environment"]["Variables"]
        assert variables["SCHEDULE_GROUP"] == {"Ref": "ReminderScheduleGroup"}, function_id
    [trust] = resources["ReminderSchedulerRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"]["ArnEquals"] == {"aws:SourceArn": {"Fn::GetAtt": ["ReminderScheduleGroup", "Arn"]}}


def test_only_the_api_reaches_the_user_pool_and_only_the_stacks_own(translated):
    for function_id in functions_of(translated):
        for statement in role_statements(translated, function_id):
            if any(a.startswith("cognito-idp:") for a in actions_of(statement)):
                assert function_id == "LeadsApiFunction"
                assert statement["Resource"] == {"Fn::GetAtt": ["LeadsUserPool", "Arn"]}, statement


def test_email_is_sent_only_as_the_sender_through_the_stacks_configuration_set(translated):
    for function_id in ("NotifyFunction", "RemindFunction", "ImportFunction"):
        [statement] = [s for s in role_statements(translated, function_id) if "ses:SendEmail" in actions_of(s)]
        subs = [r["Fn::Sub"] if isinstance(r["Fn::Sub"], str) else r["Fn::Sub"][0] for r in statement["Resource"]]
        assert [s.rsplit(":", 1)[1] for s in subs] == [
            "identity/${SenderEmail}", "identity/${Domain}", "configuration-set/${MailConfigurationSet}"]
