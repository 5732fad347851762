"""template.yaml: valid after SAM's translation, and wired the way the design says."""

import json
from pathlib import Path
from typing import Any

from leadflow_local.template import ROOT, Template, load_template


def cfn_lint(template: dict[str, Any]) -> list[str]:
    """cfn-lint's findings on a CloudFormation template, one line each."""
    from cfnlint.api import ManualArgs, lint

    matches = lint(json.dumps(template), config=ManualArgs(regions=["us-east-1"]))
    return [f"{m.rule.id} {m.message}" for m in matches]


def test_translated_template_passes_cfn_lint(translated):
    assert cfn_lint(translated) == []


def test_cfn_lint_catches_a_broken_template(translated):
    # The check above can fail: an unknown property in a resource is reported.
    broken = json.loads(json.dumps(translated))
    broken["Resources"]["LeadsTable"]["Properties"]["NoSuchProperty"] = 1
    findings = cfn_lint(broken)
    assert any("NoSuchProperty" in finding for finding in findings), findings


def test_table_has_stream_recovery_encryption_and_ttl():
    props = Template().resources["LeadsTable"]["Properties"]
    assert props["StreamSpecification"]["StreamViewType"] in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_layer_is_built_for_arm64_without_boto3():
    layer = Template().resources["LeadflowLayer"]
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    requirements = (ROOT / layer["Properties"]["ContentUri"] / "requirements.txt").read_text()
    names = [line.split("==")[0].split("[")[0].strip().lower() for line in requirements.splitlines()
             if line.strip() and not line.startswith("#")]
    assert "boto3" not in names and "botocore" not in names
    assert {"aws-lambda-powertools", "pydantic", "email-validator", "phonenumberslite"} <= set(names)


def test_functions_run_python313_on_arm64_with_tracing():
    function_globals = load_template()["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Tracing"] == "Active"


def test_each_function_has_its_own_role(translated):
    roles = {lid for lid, r in translated["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    functions = [r for r in translated["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    role_refs = [f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions]
    assert len(functions) == len(Template().functions()) >= 4
    assert len(set(role_refs)) == len(role_refs) and set(role_refs) <= roles


# Actions AWS authorizes on no resource narrower than "*" (per the service authorization reference).
NO_RESOURCE_LEVEL = {"scheduler:ListSchedules"}


def test_policies_are_scoped_to_one_resource(translated):
    # No statement of our roles grants an action on every resource (unless AWS allows no other).
    for lid, resource in translated["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            document = policy.get("Fn::If", [None, policy])[1] if "Fn::If" in policy else policy
            for statement in document["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if set(actions) <= NO_RESOURCE_LEVEL:
                    continue
                assert statement.get("Resource") not in ("*", ["*"]), (lid, statement)


def test_notify_hears_assignments_and_the_autoresponders_scores(translated):
    spec = Template().function("NotifyFunction")
    rules = {e.name: e for e in spec.events if e.type == "EventBridgeRule"}
    # A CSV import's leads are told in one summary per manager (ImportFunction), not one email each;
    # a visit noted in the manager's open window is told by the window's digest (remind).
    assert rules["LeadAssigned"].properties["Pattern"] == {
        "source": ["leadflow"], "detail-type": ["Lead Assigned"],
        "detail": {"imported": [False, {"exists": False}], "noted_until": [{"exists": False}]}}
    # The autoresponder: every scored submission, assigned or not
    assert rules["LeadScored"].properties["Pattern"] == {"source": ["leadflow"], "detail-type": ["Lead Scored"],
                                                      "detail": {"autoresponder": [True]}}
    # As deployed, each of those rules delivers to notify and dead-letters to notify's queue.
    for name in rules:
        [target] = translated["Resources"][f"NotifyFunction{name}"]["Properties"]["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": ["NotifyFunction", "Arn"]}
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["NotifyDeadLetterQueue", "Arn"]}}


def test_speed_to_lead_is_wired_from_notify_through_the_scheduler_to_remind():
    doc = load_template()
    params = doc["Parameters"]
    assert (params["SlaHotMinutes"]["Default"], params["SlaWarmMinutes"]["Default"],
            params["SlaColdMinutes"]["Default"]) == (15, 240, 2880)
    assert params["ReassignOnSecondMiss"]["Default"] == "true"
    notify = Template().function("NotifyFunction").environment
    assert notify["REMIND_FUNCTION_ARN"] == {"Fn::GetAtt": ["RemindFunction", "Arn"]}
    assert notify["SCHEDULER_ROLE_ARN"] == {"Fn::GetAtt": ["ReminderSchedulerRole", "Arn"]}
    role = doc["Resources"]["ReminderSchedulerRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}
    remind = Template().function("RemindFunction")
    assert remind.properties["DeadLetterQueue"]["TargetArn"] == {"Fn::GetAtt": ["RemindDeadLetterQueue", "Arn"]}
    assert remind.environment["ADMIN_EMAIL"] == {"Fn::If": ["HasAdminEmail", {"Ref": "AdminEmail"},
                                                           {"Ref": "AlarmEmail"}]}


def test_the_hot_lead_topic_is_optional_and_off_by_default():
    doc = load_template()
    assert doc["Parameters"]["EnableHotLeadTopic"]["Default"] == "false"
    assert doc["Resources"]["HotLeadTopic"]["Condition"] == "UseHotLeadTopic"
    assert Template().function("NotifyFunction").environment["HOT_LEAD_TOPIC_ARN"] == {
        "Fn::If": ["UseHotLeadTopic", {"Ref": "HotLeadTopic"}, ""]}


def test_capture_is_behind_the_public_post_route():
    [api] = [e for e in Template().function("CaptureFunction").events if e.name == "Submit"]
    assert api.properties["Path"] == "/forms/{form_id}/submissions"
    assert api.properties["Method"].lower() == "post"


def test_every_function_code_uri_has_its_handler():
    for spec in Template().functions():
        module = spec.handler.split(".")[0]
        assert (spec.code_uri / f"{module}.py").is_file(), spec.logical_id


def test_every_function_and_case_has_a_sample_event():
    events = {p.stem for p in (ROOT / "events").glob("*.json")}
    assert {"capture-json", "capture-urlencoded", "capture-multipart", "capture-preflight", "capture-honeypot",
            "score-new-submission", "notify-lead-assigned", "store-fallback-queued", "notify-lead-scored",
            "notify-returning-lead", "remind-first-miss", "remind-second-miss", "chat-hot-lead-assigned"} <= events
    for path in Path(ROOT / "events").glob("*.json"):
        json.loads(path.read_text("utf-8"))  # every sample is valid JSON


def test_waf_rate_limit_is_a_parameter_and_off_by_default():
    doc = load_template()
    assert doc["Parameters"]["EnableWafRateLimit"]["Default"] == "false"
    acl = doc["Resources"]["ApiWebAcl"]
    association = doc["Resources"]["ApiWebAclAssociation"]
    assert acl["Condition"] == association["Condition"] == "UseWaf"
    [rule] = acl["Properties"]["Rules"]
    limit = rule["Statement"]["RateBasedStatement"]
    assert (limit["Limit"], limit["AggregateKeyType"]) == ({"Ref": "WafRateLimit"}, "IP")
    # only the capture route's posts count: the console's files and API calls do not
    match = limit["ScopeDownStatement"]["ByteMatchStatement"]
    assert (match["FieldToMatch"], match["PositionalConstraint"], match["SearchString"]) == (
        {"UriPath": {}}, "ENDS_WITH", "/submissions")
    routes = {e.properties["Path"] for spec in Template().functions() for e in spec.events if e.type == "Api"}
    assert {path for path in routes if path.endswith("/submissions")} == {"/forms/{form_id}/submissions"}
    assert rule["Action"] == {"Block": {}}


def test_submissions_the_table_cannot_take_are_queued_and_drained():
    capture = Template().function("CaptureFunction")
    assert capture.environment["FALLBACK_QUEUE_URL"] == {"Ref": "FallbackQueue"}
    [drain] = [e for e in Template().function("StoreFallbackFunction").events if e.type == "SQS"]
    assert drain.properties["Queue"] == {"Fn::GetAtt": ["FallbackQueue", "Arn"]}
    assert drain.properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    redrive = Template().resources["FallbackQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["FallbackDeadLetterQueue", "Arn"]}


def test_capture_answers_the_cors_preflight_itself():
    routes = {(e.properties["Path"], e.properties["Method"].lower())
              for e in Template().function("CaptureFunction").events if e.type == "Api"}
    assert routes == {("/forms/{form_id}/submissions", "post"), ("/forms/{form_id}/submissions", "options"),
                      ("/forms/{form_id}/challenge", "get"), ("/forms/{form_id}/google-ads", "post")}


# -- who may call what -------------------------------------------------------------------

# The only routes anyone may call without a Cognito ID token. A new public route means
# adding it here, on purpose. Landing pages post anonymously (capture and its CORS
# preflight); the pages behind the links in emails take the signed token in their path
# as the credential (a mail client has no Cognito session); the console's files are
# public like any web app's (its data comes from the leads API, with the user's token).
PUBLIC_ROUTES = {
    ("/console", "get"), ("/console/{proxy+}", "get"),
    ("/forms/{form_id}/submissions", "post"), ("/forms/{form_id}/submissions", "options"),
    ("/forms/{form_id}/google-ads", "post"),  # Google Ads lead forms: the form's google_ads_key is checked
    ("/forms/{form_id}/challenge", "get"),  # a page's proof-of-work challenge (leadflow.capture.captcha)
    ("/actions/{token}", "get"), ("/actions/{token}", "post"),
    ("/feedback/{token}", "get"), ("/feedback/{token}", "post"),
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method"}


def rest_api_methods(translated: dict[str, Any]) -> list[tuple[str, str, str, list[dict[str, Any]]]]:
    """(api, path, method, security requirements) of every method of every REST API."""
    methods = []
    for lid, resource in translated["Resources"].items():
        if resource["Type"] != "AWS::ApiGateway::RestApi":
            continue
        body = resource["Properties"].get("Body") or resource["Properties"]["DefinitionBody"]
        for path, operations in body["paths"].items():
            for method, operation in operations.items():
                if method.lower() in HTTP_METHODS:
                    methods.append((lid, path, method.lower(), operation.get("security", body.get("security", []))))
    return methods


def routes_without_cognito(translated: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for _, path, method, security in rest_api_methods(translated)
            if not any("CognitoAuth" in requirement for requirement in security)}


def test_only_capture_its_preflight_and_the_signed_link_pages_are_public(translated):
    assert len(rest_api_methods(translated)) > len(PUBLIC_ROUTES)
    assert routes_without_cognito(translated) == PUBLIC_ROUTES


def test_a_route_without_the_authorizer_is_caught(translated):
    # The check above can fail: a leads route whose authorizer was switched off shows up.
    broken = json.loads(json.dumps(translated))
    broken["Resources"]["LeadsApi"]["Properties"]["Body"]["paths"]["/leads"]["get"]["security"] = [{"NONE": []}]
    del broken["Resources"]["LeadsApi"]["Properties"]["Body"]["paths"]["/reports"]["get"]["security"]
    assert routes_without_cognito(broken) == PUBLIC_ROUTES | {("/leads", "get"), ("/reports", "get")}


def test_the_authorizer_takes_tokens_of_the_template_user_pool(translated):
    [api] = [r for r in translated["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    scheme = api["Properties"]["Body"]["securityDefinitions"]["CognitoAuth"]
    assert scheme["x-amazon-apigateway-authorizer"] == {
        "type": "cognito_user_pools", "providerARNs": [{"Fn::GetAtt": ["LeadsUserPool", "Arn"]}]}
    assert scheme["name"] == "Authorization" and scheme["in"] == "header"
    assert translated["Resources"]["LeadsUserPool"]["Type"] == "AWS::Cognito::UserPool"


def test_the_local_stack_protects_the_routes_sam_protects(translated):
    # The local stack reads the template's Auth itself (leadflow_local.auth); it must come
    # to the same answer as SAM's translation for every route.
    from leadflow_local.auth import route_authorizer

    template = Template()
    local = {}
    for spec in template.functions():
        for event in (e for e in spec.events if e.type == "Api"):
            auth = template.api_properties(event.properties["RestApiId"]["Ref"]).get("Auth", {})
            name = route_authorizer(auth, event.properties.get("Auth"), event.properties["Method"])
            local[(event.properties["Path"], event.properties["Method"].lower())] = name
    translated_routes = {(path, method): next((name for req in security for name in req if name != "NONE"), None)
                         for _, path, method, security in rest_api_methods(translated)}
    assert local == translated_routes


def test_users_cannot_choose_whose_leads_they_see():
    from leadflow.shared.access import ADMINS_GROUP, MANAGER_ID_CLAIM

    resources = Template().resources
    pool = resources["LeadsUserPool"]["Properties"]
    # Nobody signs themselves up; an admin creates each user.
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert MANAGER_ID_CLAIM in {f"custom:{attribute['Name']}" for attribute in pool["Schema"]}
    clients = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Cognito::UserPoolClient"]
    assert clients
    for client in clients:
        # Without WriteAttributes a client may write every attribute, custom:manager_id included.
        assert "WriteAttributes" in client
        assert MANAGER_ID_CLAIM not in client["WriteAttributes"]
        assert not any(a.startswith("custom:") for a in client["WriteAttributes"])
    groups = {r["Properties"]["GroupName"] for r in resources.values() if r["Type"] == "AWS::Cognito::UserPoolGroup"}
    assert ADMINS_GROUP in groups


def test_the_api_tells_its_function_its_own_url_as_the_stack_outputs_it(translated):
    # The embed snippets of the admin API post to this URL: the same as ApiUrl. It is a
    # stage variable because the function's environment cannot name the API that names it.
    [stage] = [r for r in translated["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert stage["Properties"]["Variables"]["publicApiUrl"] == translated["Outputs"]["ApiUrl"]["Value"]
    variables = translated["Resources"]["LeadsApiFunction"]["Properties"]["Environment"]["Variables"]
    assert "LeadsApi" not in json.dumps(variables)
    assert variables["USER_POOL_ID"] == {"Ref": "LeadsUserPool"}


def test_the_template_holds_no_null_which_cloudformation_refuses():
    # "'null' values are not allowed in templates": a YAML null (an event pattern matching
    # null, say) passes SAM's translation and cfn-lint, then fails the deploy itself.
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def tagged(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> object:
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_mapping(node, deep=True)

    Loader.add_multi_constructor("!", tagged)
    template = yaml.load((ROOT / "template.yaml").read_text("utf-8"), Loader=Loader)  # noqa: S506 - SafeLoader's

    def nulls(value: object, path: str) -> list[str]:
        if value is None:
            return [path]
        if isinstance(value, dict):
            return [p for key, item in value.items() for p in nulls(item, f"{path}/{key}")]
        if isinstance(value, list):
            return [p for i, item in enumerate(value) for p in nulls(item, f"{path}/{i}")]
        return []

    assert nulls(template, "") == []
