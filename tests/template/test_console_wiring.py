"""The console ships with the stack: served by its own function through the API, signed
in through the pool's managed login (code + PKCE), linked from the manager emails."""

import json

from leadflow_local.template import Template

CONSOLE_FROM_API = {"Fn::Sub": "https://${LeadsApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/v1/console"}


def test_the_console_is_served_by_its_function_on_the_api(translated):
    spec = Template().function("ConsoleFunction")
    routes = {(e.properties["Path"], e.properties["Method"]) for e in spec.events if e.type == "Api"}
    assert routes == {("/console", "get"), ("/console/{proxy+}", "get")}
    assert (spec.code_uri / "index.html").is_file()
    assert translated["Outputs"]["ConsoleUrl"]["Value"] == CONSOLE_FROM_API


def test_the_api_gzips_answers_of_a_kilobyte_or_more(translated):
    # What the console's first load weighs depends on it (make bench, figure 7).
    [api] = [r for r in translated["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    assert api["Properties"]["MinimumCompressionSize"] == 1024


def test_the_console_learns_its_stack_from_the_stage_not_its_environment(translated):
    [stage] = [r for r in translated["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    variables = stage["Properties"]["Variables"]
    assert variables["consoleClientId"] == {"Ref": "ConsoleUserPoolClient"}
    assert variables["loginUrl"] == translated["Outputs"]["ConsoleLoginUrl"]["Value"]
    environment = translated["Resources"]["ConsoleFunction"]["Properties"]["Environment"]["Variables"]
    assert "LeadsApi" not in json.dumps(environment)  # the API names the function: no cycle


def test_the_console_client_is_public_code_flow_only_back_to_the_console(translated):
    client = translated["Resources"]["ConsoleUserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthFlows"] == ["code"]  # never the implicit flow
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["CallbackURLs"] == [{"Fn::Sub": CONSOLE_FROM_API["Fn::Sub"] + "/callback"}]
    assert client["LogoutURLs"] == [CONSOLE_FROM_API]  # no trailing slash: the resource is /console
    assert client["UserPoolId"] == {"Ref": "LeadsUserPool"}
    # As in AWS: no password sign-in there (the managed login page uses SRP).
    flows = client["ExplicitAuthFlows"]
    assert flows["Fn::If"][0] == "IsLocalEmulation"
    assert "ALLOW_USER_PASSWORD_AUTH" not in flows["Fn::If"][2]


def test_the_pool_has_a_managed_login_domain_unique_per_stack_and_lowercase(translated):
    domain = translated["Resources"]["ConsoleLoginDomain"]
    assert domain["Type"] == "AWS::Cognito::UserPoolDomain"
    assert domain["Properties"]["UserPoolId"] == {"Ref": "LeadsUserPool"}
    assert domain["Properties"]["ManagedLoginVersion"] == 2
    # Built from the account and the stack's id (lowercase hex), never the stack name,
    # which may hold capitals a domain prefix refuses.
    text, names = domain["Properties"]["Domain"]["Fn::Sub"]
    assert text == "leadflow-${AWS::AccountId}-${StackSuffix}" and "AWS::StackName" not in json.dumps(domain)
    assert "AWS::StackId" in json.dumps(names)
    branding = translated["Resources"]["ConsoleLoginBranding"]["Properties"]
    assert branding["ClientId"] == {"Ref": "ConsoleUserPoolClient"}


def test_manager_emails_link_to_the_stacks_console_unless_console_url_names_another(translated):
    for function_id in ("NotifyFunction", "RemindFunction", "ImportFunction"):
        variable = translated["Resources"][function_id]["Properties"]["Environment"]["Variables"]["CONSOLE_URL"]
        assert variable == {"Fn::If": ["HasOwnConsoleUrl", {"Ref": "ConsoleUrl"}, CONSOLE_FROM_API]}, function_id
    # The link pages' function is on the API, which names it: it learns the API's URL from
    # the stage (functions/actions/app.py), not from its environment.
    actions = translated["Resources"]["ActionsFunction"]["Properties"]["Environment"]["Variables"]
    assert actions["CONSOLE_URL"] == {"Ref": "ConsoleUrl"}
    assert translated["Conditions"]["HasOwnConsoleUrl"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ConsoleUrl"}, ""]}]}
