"""HTTP answers to a landing page: JSON for scripts, redirects and pages for browsers."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping

from aws_lambda_powertools.event_handler import Response

from leadflow.capture import Captured
from leadflow.errors import CaptureError
from leadflow.forms import media_type

# What an HTML <form> without JavaScript can send.
BROWSER_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def prefers_json(headers: Mapping[str, str]) -> bool:
    """HTML answers (redirects, pages) only for browser form posts from a client that
    asks for HTML first; scripts, JSON bodies and anything unusual get JSON."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if media_type(lowered.get("content-type")) not in BROWSER_FORM_TYPES:
        return True
    accept = lowered.get("accept", "").lower()
    if "text/html" not in accept:
        return True
    return "application/json" in accept and accept.index("application/json") < accept.index("text/html")


def accepted(captured: Captured, as_json: bool) -> Response:
    """202 with the submission id for scripts; 303 to the thank-you page for forms."""
    if as_json:
        return Response(
            status_code=202, content_type="application/json",
            body=json.dumps({"submission_id": captured.submission.submission_id, "status": "accepted"}),
        )
    if captured.form.thank_you_url:
        return Response(status_code=303, headers={"Location": captured.form.thank_you_url}, body="")
    return _page(200, "Thank you", "<p>Thank you! We received your request and will be in touch soon.</p>")


def refused(error: CaptureError, as_json: bool) -> Response:
    """The problems with a post, each with a stable code, as JSON or a small page."""
    if as_json:
        body = {"errors": [e.model_dump() for e in error.errors]}
        return Response(status_code=error.status, content_type="application/json", body=json.dumps(body))
    items = "".join(
        f"<li>{html.escape(e.message)} <code>({html.escape(e.code)})</code></li>" for e in error.errors
    )
    return _page(error.status, "Please check the form",
                 f'<ul role="alert">{items}</ul><p><a href="javascript:history.back()">Back to the form</a></p>')


def _page(status: int, title: str, content: str) -> Response:
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width"></head><body><main><h1>{html.escape(title)}</h1>'
            f"{content}</main></body></html>")
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=page)
