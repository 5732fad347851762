"""Cognito's managed login, emulated on moto's user pool for the console (`make dev`).

A deployed pool's domain (`https://<prefix>.auth.<region>.amazoncognito.com`) serves the
sign-in page and the OAuth 2.0 endpoints; moto has neither. The local stack serves them
at `LOGIN_PATH` on its own port, and the template's `loginUrl` (what the console reads
from config.json) points there (`local_login_url`), so the console's code is the same in
both places:

- `GET /oauth2/authorize` (code flow, PKCE S256 required): a plain sign-in page in
  English, Spanish or Arabic (`lang`, else Accept-Language) posting email and password;
- `POST /login`: the password checked by moto's pool (USER_PASSWORD_AUTH through the
  console's own client, so the tokens are the console's), then a one-time code back to a
  callback URL the client declares;
- `POST /oauth2/token`: `authorization_code` (the code once, within five minutes, with the
  verifier whose S256 hash the sign-in was started with) and `refresh_token`;
- `GET /logout`: back to one of the client's sign-out URLs.

No MFA: the local pool has none (LocalEmulation=true), unlike the deployed one.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from botocore.exceptions import ClientError

from leadflow.shared.brand import FAVICON_LINK

LOGIN_PATH = "/_local/login"
CODE_LIFETIME_S = 300
_POOL_DOMAIN = re.compile(r"^https://[a-z0-9-]+\.auth\.[a-z0-9-]+\.amazoncognito\.com(?=/|$)")
_MAX_FORM_BYTES = 16 * 1024
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": PAGE_CSP,
                "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

TEXTS = {
    "en": {"title": "Sign in", "heading": "Sign in to Leadflow", "email": "Email", "password": "Password",
           "submit": "Sign in", "refused": "Incorrect email or password.", "dir": "ltr"},
    "es": {"title": "Iniciar sesión", "heading": "Inicia sesión en Leadflow", "email": "Correo electrónico",
           "password": "Contraseña", "submit": "Iniciar sesión", "refused": "Correo o contraseña incorrectos.",
           "dir": "ltr"},
    "ar": {"title": "تسجيل الدخول", "heading": "سجّل الدخول إلى Leadflow", "email": "البريد الإلكتروني",
           "password": "كلمة المرور", "submit": "تسجيل الدخول", "refused": "البريد أو كلمة المرور غير صحيحة.",
           "dir": "rtl"},
}

PAGE_CSS = b"""body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:24rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;border:1px solid #c9ced8}
h1{font-size:1.4rem;margin-top:0}label{display:block;font-weight:600;margin-top:1rem}
input{width:100%;box-sizing:border-box;font:inherit;padding:.5rem;border:1px solid #5b6478;border-radius:4px}
button{margin-top:1.5rem;width:100%;font:inherit;font-weight:600;padding:.6rem;border:0;border-radius:4px;
background:#1f4fd1;color:#fff;cursor:pointer}
:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
.error{color:#a1141c;font-weight:600}
"""


def local_login_url(value: str, public_url: str) -> str | None:
    """`value` on the local server when it is a user pool domain's URL; None otherwise."""
    match = _POOL_DOMAIN.match(value)
    return public_url.rstrip("/") + LOGIN_PATH + value[match.end():] if match else None


@dataclass(frozen=True)
class OAuthClient:
    """An app client allowed the code flow, with its URLs as the local server serves them."""

    client_id: str
    callback_urls: frozenset[str]
    logout_urls: frozenset[str]


@dataclass
class LoginAnswer:
    status: int
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    tokens: dict[str, Any]
    issued: float = field(default_factory=time.monotonic)


class ManagedLogin:
    """The managed login endpoints of one pool; `cognito` is a cognito-idp client on moto."""

    def __init__(self, cognito: Any, clients: list[OAuthClient]) -> None:
        self.cognito = cognito
        self.clients = {client.client_id: client for client in clients}
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    def handle(self, method: str, path: str, query: str, headers: dict[str, str],  # noqa: PLR0911 - one per endpoint
               body: bytes) -> LoginAnswer | None:
        """The answer to a request under LOGIN_PATH (None: not one of its pages)."""
        if not path.startswith(LOGIN_PATH + "/"):
            return None
        endpoint = path[len(LOGIN_PATH):]
        params = _form(query)
        language = _language(params.get("lang"), headers)
        if method in ("GET", "HEAD"):
            if endpoint == "/oauth2/authorize":
                return self._authorize(params, language)
            if endpoint == "/logout":
                return self._logout(params)
            if endpoint == "/login.css":
                return LoginAnswer(200, {"Content-Type": "text/css; charset=utf-8", "Cache-Control": "no-cache"},
                                   PAGE_CSS)
        if method == "POST" and len(body) <= _MAX_FORM_BYTES:
            if endpoint == "/login":
                return self._login(_form(body.decode("utf-8", "replace")), language)
            if endpoint == "/oauth2/token":
                return self._token(_form(body.decode("utf-8", "replace")))
        return _error_page(404, "Not found")

    # -- the sign-in page ------------------------------------------------------------

    def _authorize(self, params: dict[str, str], language: str) -> LoginAnswer:
        refused = self._check_request(params)
        if refused:
            return _error_page(400, refused)
        return self._page(params, language)

    def _check_request(self, params: dict[str, str]) -> str | None:
        client = self.clients.get(params.get("client_id", ""))
        if client is None:
            return "unknown client_id"
        if params.get("redirect_uri") not in client.callback_urls:
            return "redirect_mismatch"
        if params.get("response_type") != "code":
            return "unsupported_response_type"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "invalid_request: PKCE with S256 is required"
        return None

    def _page(self, params: dict[str, str], language: str, refused: bool = False) -> LoginAnswer:
        text = TEXTS[language]
        kept = "".join(f'<input type="hidden" name="{name}" value="{html.escape(params.get(name, ""))}">'
                       for name in ("client_id", "redirect_uri", "response_type", "state", "code_challenge",
                                    "code_challenge_method", "scope", "lang"))
        error = f'<p class="error" role="alert" id="error">{text["refused"]}</p>' if refused else ""
        described = ' aria-describedby="error"' if refused else ""
        page = f"""<!doctype html>
<html lang="{language}" dir="{text['dir']}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{text['title']} · Leadflow</title>{FAVICON_LINK}<link rel="stylesheet" href="{LOGIN_PATH}/login.css"></head>
<body><main><h1>{text['heading']}</h1>{error}
<form method="post" action="{LOGIN_PATH}/login?lang={language}">{kept}
<label for="email">{text['email']}</label>
<input id="email" name="email" type="email" autocomplete="username" required{described}>
<label for="password">{text['password']}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{text['submit']}</button>
</form></main></body></html>"""
        return LoginAnswer(200, dict(PAGE_HEADERS), page.encode("utf-8"))

    def _login(self, form: dict[str, str], language: str) -> LoginAnswer:
        refused = self._check_request(form)
        if refused:
            return _error_page(400, refused)
        try:
            answer = self.cognito.initiate_auth(
                ClientId=form["client_id"], AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": form.get("email", ""), "PASSWORD": form.get("password", "")})
        except ClientError:
            return self._page(form, language, refused=True)
        if "AuthenticationResult" not in answer:  # a challenge: a user made by hand, not seeded
            return self._page(form, language, refused=True)
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._grants[code] = _Grant(form["client_id"], form["redirect_uri"], form["code_challenge"],
                                        answer["AuthenticationResult"])
        back = {"code": code, **({"state": form["state"]} if form.get("state") else {})}
        separator = "&" if urlsplit(form["redirect_uri"]).query else "?"
        return LoginAnswer(302, {"Location": form["redirect_uri"] + separator + urlencode(back),
                                 "Cache-Control": "no-store"})

    def _logout(self, params: dict[str, str]) -> LoginAnswer:
        client = self.clients.get(params.get("client_id", ""))
        if client is None or params.get("logout_uri") not in client.logout_urls:
            return _error_page(400, "invalid logout_uri")
        return LoginAnswer(302, {"Location": params["logout_uri"], "Cache-Control": "no-store"})

    # -- the token endpoint ----------------------------------------------------------

    def _token(self, form: dict[str, str]) -> LoginAnswer:
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        if grant_type == "refresh_token":
            return self._refresh(form)
        return _oauth_error("unsupported_grant_type")

    def _exchange_code(self, form: dict[str, str]) -> LoginAnswer:
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # once only, right or wrong
        if grant is None or time.monotonic() - grant.issued > CODE_LIFETIME_S:
            return _oauth_error("invalid_grant")
        if form.get("client_id") != grant.client_id:
            return _oauth_error("invalid_client", 401)
        if form.get("redirect_uri") != grant.redirect_uri or not _verifies(form.get("code_verifier", ""),
                                                                            grant.challenge):
            return _oauth_error("invalid_grant")
        tokens = grant.tokens
        return _tokens({"id_token": tokens["IdToken"], "access_token": tokens["AccessToken"],
                        "refresh_token": tokens["RefreshToken"], "expires_in": tokens.get("ExpiresIn", 3600),
                        "token_type": "Bearer"})

    def _refresh(self, form: dict[str, str]) -> LoginAnswer:
        if form.get("client_id") not in self.clients:
            return _oauth_error("invalid_client", 401)
        try:
            answer = self.cognito.initiate_auth(ClientId=form["client_id"], AuthFlow="REFRESH_TOKEN_AUTH",
                                                AuthParameters={"REFRESH_TOKEN": form.get("refresh_token", "")})
        except ClientError:
            return _oauth_error("invalid_grant")
        tokens = answer["AuthenticationResult"]
        return _tokens({"id_token": tokens["IdToken"], "access_token": tokens["AccessToken"],
                        "expires_in": tokens.get("ExpiresIn", 3600), "token_type": "Bearer"})


def _verifies(verifier: str, challenge: str) -> bool:
    """PKCE S256: the challenge is the verifier's SHA-256, base64url without padding."""
    if not 43 <= len(verifier) <= 128:
        return False
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
    return secrets.compare_digest(digest.rstrip(b"=").decode("ascii"), challenge)


def _form(text: str) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(text, keep_blank_values=True).items()}


def _language(asked: str | None, headers: dict[str, str]) -> str:
    if asked in TEXTS:
        return asked
    accepted = next((v for k, v in headers.items() if k.lower() == "accept-language"), "")
    for part in accepted.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in TEXTS:
            return code
    return "en"


def _tokens(body: dict[str, Any]) -> LoginAnswer:
    return LoginAnswer(200, {"Content-Type": "application/json", "Cache-Control": "no-store"},
                       json.dumps(body).encode("utf-8"))


def _oauth_error(error: str, status: int = 400) -> LoginAnswer:
    return LoginAnswer(status, {"Content-Type": "application/json", "Cache-Control": "no-store"},
                       json.dumps({"error": error}).encode("utf-8"))


def _error_page(status: int, message: str) -> LoginAnswer:
    page = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in error</title>"
            f"{FAVICON_LINK}</head>"
            f"<body><main><h1>Sign-in error</h1><p>{html.escape(message)}</p></main></body></html>")
    return LoginAnswer(status, dict(PAGE_HEADERS), page.encode("utf-8"))
