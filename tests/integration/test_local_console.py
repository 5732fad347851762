"""The console through the local API Gateway: the template's greedy `{proxy+}` route,
a trailing slash as API Gateway reads it, the login domain's URL pointing at the local
emulation, and the emulated managed login signing a seeded user in with the console's
own client (its ID token passes the API's authorizer)."""

import base64
import gzip
import hashlib
import json
from urllib.parse import parse_qs, urlencode, urlsplit

from leadflow_local.managed_login import LOGIN_PATH


def test_every_console_path_reaches_the_console_function(stack):
    for path in ("/console", "/console/", "/console/leads/L-1", "/console/a/b/c"):
        response = stack.handle_http("GET", path, {}, b"")
        assert response.status == 200, path
        assert b'<script type="module" src="/console/v/' in response.body
    assert stack.handle_http("POST", "/console/leads/L-1", {}, b"").status == 405


def test_answers_of_a_kilobyte_or_more_are_gzipped_for_a_client_that_accepts_it(stack):
    # As API Gateway does with the template's MinimumCompressionSize (1024)
    page = stack.handle_http("GET", "/console/", {}, b"")
    [script] = [part.split('"')[0] for part in page.body.decode().split('src="')[1:] if "app.js" in part]
    plain = stack.handle_http("GET", script, {}, b"")
    zipped = stack.handle_http("GET", script, {"Accept-Encoding": "gzip, deflate, br"}, b"")
    small = stack.handle_http("GET", "/console/config.json", {"Accept-Encoding": "gzip"}, b"")

    assert len(plain.body) >= 1024 and "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip" and len(zipped.body) < len(plain.body)
    assert gzip.decompress(zipped.body) == plain.body
    assert len(small.body) < 1024 and "Content-Encoding" not in small.headers


def test_the_console_is_told_the_local_login_and_its_own_client(stack):
    config = json.loads(stack.handle_http("GET", "/console/config.json", {}, b"").body)
    assert config["loginUrl"] == stack.public_url + LOGIN_PATH
    assert config["apiUrl"] == stack.public_url and config["consolePath"] == "/console"
    assert config["clientId"] == stack.user_pool_clients["ConsoleUserPoolClient"]
    assert stack.outputs()["ConsoleUrl"] == stack.public_url + "/console"
    assert stack.outputs()["ConsoleLoginUrl"] == stack.public_url + LOGIN_PATH


def test_a_seeded_user_signs_in_through_the_emulation_and_the_api_takes_the_token(stack):
    login = stack.managed_login()
    client_id = stack.user_pool_clients["ConsoleUserPoolClient"]
    callback = f"{stack.public_url}/console/callback"
    verifier = "x" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    form = {"client_id": client_id, "redirect_uri": callback, "response_type": "code", "state": "st",
            "code_challenge": challenge, "code_challenge_method": "S256",
            "email": "olivia@sales.example.com", "password": stack.passwords["olivia@sales.example.com"]}
    signed_in = login.handle("POST", f"{LOGIN_PATH}/login", "", {}, urlencode(form).encode())
    code = parse_qs(urlsplit(signed_in.headers["Location"]).query)["code"][0]
    answer = login.handle("POST", f"{LOGIN_PATH}/oauth2/token", "", {}, urlencode({
        "grant_type": "authorization_code", "client_id": client_id, "code": code, "redirect_uri": callback,
        "code_verifier": verifier}).encode())
    tokens = json.loads(answer.body)

    leads = stack.handle_http("GET", "/leads", {"Authorization": tokens["id_token"]}, b"")
    assert leads.status == 200, leads.body
    refreshed = json.loads(login.handle("POST", f"{LOGIN_PATH}/oauth2/token", "", {}, urlencode({
        "grant_type": "refresh_token", "client_id": client_id, "refresh_token": tokens["refresh_token"]}).encode()
    ).body)
    assert stack.handle_http("GET", "/leads", {"Authorization": refreshed["id_token"]}, b"").status == 200
