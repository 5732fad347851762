"""The local stack's Cognito authorizer: what API Gateway lets through to the functions.

The full auth matrix on the leads API (manager, other manager, admin) lives with the
API's tests; these check the machinery: which routes need a token, which tokens pass,
that a refused request never reaches a function, and the claims a function sees."""

import base64
import json
import re
import string
import time
from typing import Any

import boto3
import pytest

from leadflow.shared.access import caller_from_claims
from leadflow_local.auth import authorizer_claims, route_authorizer
from leadflow_local.stack import LocalStack, generate_secret_string

PUBLIC = {("POST", "/forms/{form_id}/submissions"), ("OPTIONS", "/forms/{form_id}/submissions"),
          ("POST", "/forms/{form_id}/google-ads"),  # checked by the form's google_ads_key
          ("GET", "/forms/{form_id}/challenge"),
          ("GET", "/actions/{token}"), ("POST", "/actions/{token}"),
          ("GET", "/feedback/{token}"), ("POST", "/feedback/{token}"),
          ("GET", "/console"), ("GET", "/console/{proxy+}")}
OLIVIA = "olivia@sales.example.com"
ADMIN = "admin@sales.example.com"
UNAUTHORIZED = {"message": "Unauthorized"}


@pytest.fixture
def invocations(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every function invocation the stack makes from now on: (function id, event)."""
    seen: list[tuple[str, dict[str, Any]]] = []
    invoke = stack.invoke

    def recording(function_id: str, event: dict[str, Any]) -> Any:
        seen.append((function_id, event))
        return invoke(function_id, event)

    monkeypatch.setattr(stack, "invoke", recording)
    return seen


def get_leads(stack: LocalStack, headers: dict[str, str]) -> Any:
    return stack.handle_http("GET", "/leads", headers, b"")


def payload_of(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def signed_by_moto(claims: dict[str, Any]) -> str:
    """A token signed with the key moto signs every user pool's tokens with."""
    from joserfc import jwk, jwt
    from moto.utilities.utils import load_resource

    key = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, key)


def test_every_route_but_capture_and_the_signed_links_needs_a_token(stack):
    public = {(r.method, r.path) for r in stack.routes if r.authorizer is None}
    protected = [r for r in stack.routes if r.authorizer is not None]

    assert public == PUBLIC
    assert protected
    for route in protected:
        assert route.authorizer.pool_ids == tuple(stack.user_pools.values()), route.path


def test_no_token_is_refused_with_401_and_the_function_never_runs(stack, invocations):
    for route in (r for r in stack.routes if r.authorizer is not None):
        path = re.sub(r"\{\w+\}", "some-id", route.path)
        response = stack.handle_http(route.method, path, {"Content-Type": "application/json"}, b"{}")

        assert response.status == 401, (route.method, route.path)
        assert json.loads(response.body) == UNAUTHORIZED
    assert invocations == []


@pytest.mark.parametrize("value", ["", "Bearer", "garbage", "a.b.c", "Bearer a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_a_value_that_is_no_token_is_refused(stack, invocations, value):
    response = get_leads(stack, {"Authorization": value})

    assert response.status == 401
    assert json.loads(response.body) == UNAUTHORIZED
    assert invocations == []


def test_a_tampered_token_is_refused(stack, invocations):
    token = stack.id_token(OLIVIA)
    header, _payload, signature = token.split(".")
    # Olivia makes herself an admin of another manager's leads; the signature no longer fits.
    claims = {**payload_of(token), "custom:manager_id": "m-layla", "cognito:groups": ["admins"]}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    assert get_leads(stack, {"Authorization": f"{header}.{forged}.{signature}"}).status == 401
    assert get_leads(stack, {"Authorization": f"{header}.{forged}."}).status == 401
    assert get_leads(stack, {"Authorization": token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")}
                     ).status == 401
    assert invocations == []


def test_an_expired_token_is_refused_and_the_same_token_unexpired_passes(stack, invocations):
    claims = payload_of(stack.id_token(OLIVIA))
    expired = signed_by_moto({**claims, "exp": int(time.time()) - 1})
    fresh = signed_by_moto({**claims, "exp": int(time.time()) + 600})

    refused = get_leads(stack, {"Authorization": expired})
    assert refused.status == 401
    assert json.loads(refused.body) == {"message": "The incoming token has expired"}
    assert invocations == []
    # The control: re-signed the same way, only the expiry differs.
    assert get_leads(stack, {"Authorization": fresh}).status != 401
    assert len(invocations) == 1


def test_a_token_of_another_pool_or_client_or_an_access_token_is_refused(stack, invocations):
    cognito = boto3.client("cognito-idp", region_name=stack.region)
    pool_id = cognito.create_user_pool(PoolName="another-app", UsernameAttributes=["email"])["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="another-app",
                                                ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]
    cognito.admin_create_user(UserPoolId=pool_id, Username=OLIVIA, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": OLIVIA}])
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=OLIVIA, Password="Another-pool-1", Permanent=True)
    other_pool = cognito.initiate_auth(ClientId=client_id["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                       AuthParameters={"USERNAME": OLIVIA, "PASSWORD": "Another-pool-1"})
    ours = cognito.initiate_auth(ClientId=stack.user_pool_clients["LeadsUserPoolClient"],
                                 AuthFlow="USER_PASSWORD_AUTH",
                                 AuthParameters={"USERNAME": OLIVIA, "PASSWORD": stack.passwords[OLIVIA]})
    not_our_client = signed_by_moto({**payload_of(ours["AuthenticationResult"]["IdToken"]), "aud": "not-a-client"})

    for token in (other_pool["AuthenticationResult"]["IdToken"], ours["AuthenticationResult"]["AccessToken"],
                  not_our_client):
        response = get_leads(stack, {"Authorization": token})
        assert response.status == 401
        assert json.loads(response.body) == UNAUTHORIZED
    assert invocations == []


def test_a_manager_token_reaches_the_function_with_the_claims_as_strings(stack, invocations):
    response = get_leads(stack, {"Authorization": stack.id_token(OLIVIA)})

    assert response.status != 401 or json.loads(response.body) != UNAUTHORIZED
    [(function_id, event)] = invocations
    assert function_id == "LeadsApiFunction"
    claims = event["requestContext"]["authorizer"]["claims"]
    assert claims["custom:manager_id"] == "m-olivia"
    assert claims["email"] == OLIVIA
    assert claims["token_use"] == "id"
    assert claims["aud"] == stack.user_pool_clients["LeadsUserPoolClient"]
    assert all(isinstance(value, str) for value in claims.values())
    assert re.fullmatch(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d UTC \d{4}", claims["exp"])
    caller = caller_from_claims(claims)
    assert (caller.manager_id, caller.is_admin) == ("m-olivia", False)


def test_an_admin_token_carries_the_admins_group(stack, invocations):
    # `Bearer <token>` and a lowercase header name are read as well.
    get_leads(stack, {"authorization": f"Bearer {stack.id_token(ADMIN)}"})

    [(_, event)] = invocations
    claims = event["requestContext"]["authorizer"]["claims"]
    assert claims["cognito:groups"] == "admins"
    assert "custom:manager_id" not in claims
    caller = caller_from_claims(claims)
    assert (caller.manager_id, caller.is_admin) == (None, True)


def test_public_routes_reach_their_function_without_a_token_or_claims(stack, invocations):
    stack.handle_http("GET", "/actions/some-token", {}, b"")
    stack.handle_http("OPTIONS", "/forms/demo/submissions", {"Origin": "https://www.example.com"}, b"")

    assert [function_id for function_id, _ in invocations] == ["ActionsFunction", "CaptureFunction"]
    assert all("authorizer" not in event["requestContext"] for _, event in invocations)


def test_the_action_link_key_is_a_generated_secret_named_by_its_arn(stack):
    arn = stack.resolve({"Ref": "ActionLinkSecret"})
    value = stack.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]

    assert arn.startswith(f"arn:aws:secretsmanager:{stack.region}:{stack.account_id}:secret:")
    assert stack.environments["NotifyFunction"]["ACTION_LINK_SECRET_ARN"] == arn
    # PasswordLength 64, ExcludePunctuation: letters and digits only.
    assert len(value) == 64 and set(value) <= set(string.ascii_letters + string.digits)


def test_signed_links_point_at_the_local_server(deploy_stack):
    stack = deploy_stack(public_url="http://127.0.0.1:8123/", seed=False)

    assert stack.environments["NotifyFunction"]["PUBLIC_API_URL"] == "http://127.0.0.1:8123"


# -- the pieces, on their own ------------------------------------------------------------


def test_sam_rules_for_which_authorizer_a_route_gets():
    api = {"DefaultAuthorizer": "CognitoAuth", "AddDefaultAuthorizerToCorsPreflight": False}

    assert route_authorizer(api, None, "get") == "CognitoAuth"
    assert route_authorizer(api, {"Authorizer": "NONE"}, "post") is None
    assert route_authorizer(api, None, "options") is None
    assert route_authorizer({"DefaultAuthorizer": "CognitoAuth"}, None, "options") == "CognitoAuth"
    assert route_authorizer(api, {"Authorizer": "Other"}, "options") == "Other"
    assert route_authorizer({}, None, "get") is None


def test_claims_are_passed_on_as_a_rest_api_does():
    claims = authorizer_claims({"sub": "u-1", "exp": 1717054729, "iat": 1717051129, "auth_time": 1717051129,
                                "cognito:groups": ["admins", "sales"], "email_verified": True})

    assert claims == {"sub": "u-1", "exp": "Thu May 30 07:38:49 UTC 2024", "iat": "Thu May 30 06:38:49 UTC 2024",
                      "auth_time": "1717051129", "cognito:groups": "admins,sales", "email_verified": "true"}


def test_generated_secrets_follow_their_properties():
    digits = generate_secret_string({"PasswordLength": 40, "ExcludeLowercase": True, "ExcludeUppercase": True,
                                     "ExcludePunctuation": True, "ExcludeCharacters": "0"})
    templated = json.loads(generate_secret_string({"SecretStringTemplate": '{"user": "leads"}',
                                                   "GenerateStringKey": "password"}))

    assert len(digits) == 40 and set(digits) <= set("123456789")
    assert templated["user"] == "leads" and len(templated["password"]) == 32
