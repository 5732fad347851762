"""HTTP answers to a landing page: JSON for scripts, redirects and pages for browsers.

CORS is per form: `Access-Control-Allow-Origin` echoes the request's origin only when
that form allows it, so a script on another site can neither post nor read answers.

The capture function answers with `Response` and `route` below, not with Powertools'
event handler: its two routes do not need a resolver, and importing one (with its
OpenAPI, data classes and asyncio) was ~40 ms of every capture cold start, a visitor
waiting. The answers are the ones the resolver gave (tests/integration/test_capture*)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from leadflow.capture.body import media_type
from leadflow.capture.errors import CaptureError
from leadflow.capture.messages import message
from leadflow.capture.service import Captured, origin_allowed, origin_of, redirect_target
from leadflow.shared.brand import FAVICON_LINK
from leadflow.shared.http import FieldError
from leadflow.shared.i18n import text_direction
from leadflow.shared.models import FormConfig

# What an HTML <form> without JavaScript can send.
BROWSER_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
PREFLIGHT_MAX_AGE = "600"
# The one path capture answers, with what a path segment may hold as API Gateway passes
# it on (Powertools' `<form_id>` pattern: RFC 3986's unreserved and sub-delims, and the
# characters it decodes, trailing slashes too); anything else is the 404 of `unknown_path`.
SUBMISSIONS_PATH = re.compile(r"^/forms/(?P<form_id>[-._~()'!*:@,;=+&$%<> \[\]{}|^\w]+)/submissions/*$")
CHALLENGE_PATH = re.compile(r"^/forms/(?P<form_id>[-._~()'!*:@,;=+&$%<> \[\]{}|^\w]+)/challenge/*$")


class Response:
    """An answer: status, body (text), headers; `content_type` is the Content-Type
    header unless the headers set one."""

    def __init__(self, status_code: int, content_type: str | None = None, body: str = "",
                 headers: Mapping[str, str] | None = None) -> None:
        self.status_code = status_code
        self.body = body
        self.content_type = content_type
        self.headers: dict[str, str] = dict(headers) if headers else {}
        if content_type:
            self.headers.setdefault("Content-Type", content_type)

    def proxy_result(self) -> dict[str, Any]:
        """The answer as API Gateway's REST proxy integration takes it (every header as
        multiValueHeaders, a text body)."""
        return {"statusCode": self.status_code, "body": self.body, "isBase64Encoded": False,
                "multiValueHeaders": {name: [value] for name, value in self.headers.items() if value is not None}}


def submissions_of(path: str) -> str | None:
    """The form whose submissions `path` is, or None: nothing is there."""
    found = SUBMISSIONS_PATH.match(path)
    return found["form_id"] if found else None


def challenge_of(path: str) -> str | None:
    """The form whose proof-of-work challenge `path` asks for, or None."""
    found = CHALLENGE_PATH.match(path)
    return found["form_id"] if found else None


def challenge_answer(form: FormConfig, challenge: dict[str, Any], origin: str | None) -> Response:
    """A fresh challenge, never cached (each serves one post), readable by the form's pages."""
    return json_response(200, challenge, {**cors_headers(form, origin), "Cache-Control": "no-store"})


def request_headers(event: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers, names lowercased (the last of two spellings wins)."""
    return {name.lower(): value for name, value in (event.get("headers") or {}).items()}


def json_response(status: int, body: dict, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer; non-ASCII text as it is (as leadflow.shared.http.json_response)."""
    return Response(status_code=status, content_type="application/json", body=json.dumps(body, ensure_ascii=False),
                    headers=headers or {})


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A request header, whatever its case."""
    lowered = name.lower()
    return next((v for k, v in (headers or {}).items() if k.lower() == lowered), None)


def prefers_json(headers: Mapping[str, str]) -> bool:
    """HTML answers (redirects, pages) only for browser form posts from a client that
    asks for HTML first; scripts, JSON bodies and anything unusual get JSON."""
    if media_type(header(headers, "content-type")) not in BROWSER_FORM_TYPES:
        return True
    accept = (header(headers, "accept") or "").lower()
    if "text/html" not in accept:
        return True
    return "application/json" in accept and accept.index("application/json") < accept.index("text/html")


def cors_headers(form: FormConfig | None, origin: str | None) -> dict[str, str]:
    """Let the page that posted read the answer, if the form allows that page."""
    if not form or not origin or not origin_allowed(form, origin):
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight(form: FormConfig, origin: str | None) -> Response:
    """The answer to a browser's OPTIONS before a cross-site `fetch` with JSON."""
    if not origin or not origin_allowed(form, origin):
        return json_response(403, {"errors": [{"field": None, "code": "origin_not_allowed",
                                       "message": message("origin_not_allowed", form.language)}]})
    return Response(status_code=204, body="", headers={
        **cors_headers(form, origin), "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Accept", "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
    })


def accepted(captured: Captured, as_json: bool, origin: str | None = None) -> Response:
    """202 with the submission id for scripts; 303 to the thank-you page for forms.

    Spam, a double submit and a queued post get exactly the same answer as a stored one."""
    cors = cors_headers(captured.form, origin)
    target = captured.next_url or redirect_target(captured.form.thank_you_url)
    if as_json:
        # What a script needs to thank the visitor as a classic post would: the words,
        # in the form's language, and where the form would have gone next.
        body = {"submission_id": captured.submission_id, "status": "accepted",
                "message": message("_thanks", captured.form.language)}
        if target:
            body["redirect_to"] = target
        return json_response(202, body, cors)
    if target:
        return Response(status_code=303, headers={"Location": target, **cors}, body="")
    language = captured.form.language
    return _page(200, language, message("_thanks_title", language),
                 f"<p>{html.escape(message('_thanks', language))}</p>", cors)


def refused(error: CaptureError, as_json: bool, origin: str | None = None, referer: str | None = None) -> Response:
    """The problems with a post, each with a stable code and a message in the form's
    language: JSON for scripts; for browsers a 303 back to the form's error page (or the
    page the post came from) with the codes in the query, else a small HTML page."""
    form = error.form
    language = form.language if form else "en"
    cors = cors_headers(form, origin) if error.status != 403 else {}
    if error.retry_after:
        cors["Retry-After"] = str(error.retry_after)
    errors = [_in_language(e, language) for e in error.errors]
    if as_json:
        return json_response(error.status, {"errors": [e.model_dump() for e in errors]}, cors)
    back = _error_page_url(form, referer)
    if back:
        query = {"lf_errors": ",".join(e.code for e in errors), "lf_fields": ",".join(e.field or "" for e in errors)}
        return Response(status_code=303, headers={"Location": _with_query(back, query), **cors}, body="")
    items = "".join(
        f'<li>{html.escape(e.message)} <code lang="en">({html.escape(e.code)})</code></li>' for e in errors
    )
    content = (f'<ul role="alert">{items}</ul>'
               f'<p><a href="javascript:history.back()">{html.escape(message("_back", language))}</a></p>')
    return _page(error.status, language, message("_title", language), content, cors)


def _in_language(error: FieldError, language: str) -> FieldError:
    """Body errors are found before the form's language is applied; say them in it."""
    localized = message(error.code, language)
    return error if localized == error.code else error.model_copy(update={"message": localized})


def _error_page_url(form: FormConfig | None, referer: str | None) -> str | None:
    if form is None:
        return None
    if form.error_url:
        return redirect_target(form.error_url)
    # The page the post came from, but only one of the form's own pages.
    back = redirect_target(referer)
    if back and form.allowed_origins and origin_of(back) in form.allowed_origins:
        return back
    return None


def _with_query(url: str, extra: dict[str, str]) -> str:
    """The URL with our parameters added to its query (its #fragment dropped)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed error_url in a form's configuration: still send them back
        return f"{url.split('#', 1)[0]}{'&' if '?' in url else '?'}{urlencode(extra)}"
    # A second failure replaces the codes of the first instead of piling them up.
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in extra]
    query = urlencode([*kept, *extra.items()])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _page(status: int, language: str, title: str, content: str, headers: dict[str, str] | None = None) -> Response:
    lang = html.escape(language)
    page = (f'<!doctype html><html lang="{lang}" dir="{text_direction(language)}"><head><meta charset="utf-8">'
            f'<title>{html.escape(title)}</title><meta name="viewport" content="width=device-width">'
            f'{FAVICON_LINK}</head>'
            f"<body><main><h1>{html.escape(title)}</h1>{content}</main></body></html>")
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=page, headers=headers or {})

