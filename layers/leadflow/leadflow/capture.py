"""Capturing a form post: from raw HTTP body to a stored submission."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from leadflow.errors import CaptureError
from leadflow.forms import build_submission, parse_form_body, validate_form
from leadflow.models import FormConfig, Submission, utc_now
from leadflow.repository import LeadRepository

MAX_CACHED_FORMS = 1024


class FormCatalog:
    """Form configs cached per container for a short while: a landing page's burst of
    posts costs one read of its FORM item, and an edit still shows within a minute."""

    def __init__(self, repository: LeadRepository, ttl_seconds: float = 60.0) -> None:
        self.repository = repository
        self.ttl_seconds = ttl_seconds
        self._cache: dict[str, tuple[float, FormConfig | None]] = {}

    def get(self, form_id: str) -> FormConfig:
        """The enabled form with this id; 404 if unknown, 410 if switched off."""
        cached = self._cache.get(form_id)
        if cached is None or time.monotonic() - cached[0] > self.ttl_seconds:
            if len(self._cache) >= MAX_CACHED_FORMS:  # posts to random ids must not grow it
                self._cache.clear()
            cached = (time.monotonic(), self.repository.get_form(form_id))
            self._cache[form_id] = cached
        form = cached[1]
        if form is None:
            raise CaptureError.single(404, "form_not_found", "There is no form with this id.", "form_id")
        if not form.enabled:
            raise CaptureError.single(410, "form_disabled", "This form no longer accepts submissions.", "form_id")
        return form


@dataclass(frozen=True)
class Captured:
    form: FormConfig
    submission: Submission


def capture_submission(
    forms: FormCatalog, repository: LeadRepository, form_id: str, *, body: str | None,
    content_type: str | None, is_base64: bool, received_at: datetime | None = None,
) -> Captured:
    """Validate a post and store it on a new or the returning person's lead.

    Nothing is written unless the whole post is valid."""
    form = forms.get(form_id)
    fields = parse_form_body(body, content_type, is_base64)
    valid = validate_form(form, fields)
    submission, lead = build_submission(form, valid, received_at or utc_now())
    return Captured(form=form, submission=repository.record_submission(submission, lead))
