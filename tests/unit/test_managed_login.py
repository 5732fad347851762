"""The local stack's managed login (leadflow_local.managed_login): the code flow with
PKCE as Cognito's domain answers it, so the console's code is the same locally."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from botocore.exceptions import ClientError

from leadflow_local.managed_login import LOGIN_PATH, ManagedLogin, OAuthClient, local_login_url

CALLBACK = "http://127.0.0.1:3000/console/callback"
VERIFIER = "v" * 50
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


class FakePool:
    """moto's initiate_auth, as far as the emulation uses it."""

    def initiate_auth(self, ClientId: str, AuthFlow: str, AuthParameters: dict[str, str]) -> dict[str, Any]:  # noqa: N803
        if AuthFlow == "USER_PASSWORD_AUTH" and AuthParameters["PASSWORD"] == "right":
            return {"AuthenticationResult": {"IdToken": "id-1", "AccessToken": "access-1", "RefreshToken": "refresh-1",
                                             "ExpiresIn": 3600}}
        if AuthFlow == "REFRESH_TOKEN_AUTH" and AuthParameters["REFRESH_TOKEN"] == "refresh-1":
            return {"AuthenticationResult": {"IdToken": "id-2", "AccessToken": "access-2", "ExpiresIn": 3600}}
        raise ClientError({"Error": {"Code": "NotAuthorizedException", "Message": "no"}}, AuthFlow)


@pytest.fixture
def login() -> ManagedLogin:
    return ManagedLogin(FakePool(), [OAuthClient("console", frozenset({CALLBACK}),
                                                 frozenset({"http://127.0.0.1:3000/console/"}))])


def authorize(**changes: str) -> dict[str, str]:
    return {"client_id": "console", "redirect_uri": CALLBACK, "response_type": "code", "state": "s1",
            "code_challenge": CHALLENGE, "code_challenge_method": "S256", **changes}


def post(login: ManagedLogin, endpoint: str, fields: dict[str, str]) -> Any:
    return login.handle("POST", LOGIN_PATH + endpoint, "", {}, urlencode(fields).encode())


def signed_in_code(login: ManagedLogin) -> str:
    answer = post(login, "/login", {**authorize(), "email": "olivia@sales.example.com", "password": "right"})
    assert answer.status == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def test_the_sign_in_page_speaks_the_asked_language_and_keeps_the_request(login):
    page = login.handle("GET", f"{LOGIN_PATH}/oauth2/authorize", urlencode(authorize(lang="ar")), {}, b"")
    assert page.status == 200 and "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    html = page.body.decode()
    assert 'lang="ar" dir="rtl"' in html and f'value="{CHALLENGE}"' in html
    assert '<label for="password">' in html


@pytest.mark.parametrize("changes", [{"redirect_uri": "https://evil.example/callback"}, {"client_id": "other"},
                                     {"code_challenge_method": "plain"}, {"code_challenge": ""},
                                     {"response_type": "token"}])
def test_a_request_the_client_does_not_allow_is_refused_before_any_password(login, changes):
    page = login.handle("GET", f"{LOGIN_PATH}/oauth2/authorize", urlencode(authorize(**changes)), {}, b"")
    assert page.status == 400


def test_a_wrong_password_shows_the_page_again_with_the_error(login):
    answer = post(login, "/login", {**authorize(), "email": "olivia@sales.example.com", "password": "wrong"})
    assert answer.status == 200 and b'role="alert"' in answer.body


def test_the_code_gives_tokens_once_and_only_with_its_verifier(login):
    code = signed_in_code(login)
    wrong = post(login, "/oauth2/token", {"grant_type": "authorization_code", "client_id": "console", "code": code,
                                          "redirect_uri": CALLBACK, "code_verifier": "w" * 50})
    assert wrong.status == 400 and json.loads(wrong.body) == {"error": "invalid_grant"}
    code = signed_in_code(login)  # the refused attempt used the code up
    fields = {"grant_type": "authorization_code", "client_id": "console", "code": code, "redirect_uri": CALLBACK,
              "code_verifier": VERIFIER}
    tokens = json.loads(post(login, "/oauth2/token", fields).body)
    assert tokens == {"id_token": "id-1", "access_token": "access-1", "refresh_token": "refresh-1",
                      "expires_in": 3600, "token_type": "Bearer"}
    assert post(login, "/oauth2/token", fields).status == 400  # never twice


def test_a_refresh_token_gives_new_tokens_and_a_bad_one_is_refused(login):
    fresh = post(login, "/oauth2/token", {"grant_type": "refresh_token", "client_id": "console",
                                          "refresh_token": "refresh-1"})
    assert json.loads(fresh.body)["id_token"] == "id-2"
    assert post(login, "/oauth2/token", {"grant_type": "refresh_token", "client_id": "console",
                                         "refresh_token": "stolen"}).status == 400


def test_sign_out_returns_only_to_the_clients_sign_out_urls(login):
    ok = login.handle("GET", f"{LOGIN_PATH}/logout",
                      urlencode({"client_id": "console", "logout_uri": "http://127.0.0.1:3000/console/"}), {}, b"")
    assert ok.status == 302 and ok.headers["Location"] == "http://127.0.0.1:3000/console/"
    refused = login.handle("GET", f"{LOGIN_PATH}/logout",
                           urlencode({"client_id": "console", "logout_uri": "https://evil.example/"}), {}, b"")
    assert refused.status == 400


def test_the_pool_domains_url_is_the_local_servers_login_path():
    url = "https://leadflow-123456789012-abcd.auth.us-east-1.amazoncognito.com"
    assert local_login_url(url, "http://127.0.0.1:3000") == f"http://127.0.0.1:3000{LOGIN_PATH}"
    assert local_login_url(url + "/oauth2/token", "http://127.0.0.1:3000") == \
        f"http://127.0.0.1:3000{LOGIN_PATH}/oauth2/token"
    assert local_login_url("https://example.com", "http://127.0.0.1:3000") is None
