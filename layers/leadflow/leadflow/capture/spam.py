"""Telling bots and double clicks from people: honeypots, fill time, fingerprints."""

from __future__ import annotations

import json
from datetime import datetime

from leadflow.capture.fields import FormPost, field_key
from leadflow.shared.hashing import PersonalDataHasher, Purpose
from leadflow.shared.models import FormConfig

# Honeypots form tools put in their own markup: Netlify's `bot-field`, Formspree's
# `_gotcha`, WPForms' legacy `wpforms[hp]`. (Gravity Forms' is `input_<largest id + 1>`:
# named per form, with `honeypot_field`.)
TOOL_HONEYPOTS = ("bot-field", "_gotcha", "wpforms[hp]")


def spam_reason(form: FormConfig, post: FormPost, received_at: datetime) -> str | None:
    """Why a post looks like a bot's, or None. A filled honeypot (a field people never
    see) or a form sent faster than a person can fill it. The fill time is `_fill_ms`,
    measured by leadflow.js on the visitor's own clock; else the time since `_shown_at`
    (epoch ms, also from leadflow.js), which trusts that clock to agree with ours.
    Without JavaScript neither exists and only the honeypot applies."""
    if any(post.hidden_value(name) or post.values.get(field_key(name))
           for name in (form.honeypot_field, *TOOL_HONEYPOTS)):
        return "honeypot"
    if form.min_fill_seconds <= 0:
        return None
    elapsed = _fill_seconds(post, received_at)
    return "too_fast" if elapsed is not None and 0 <= elapsed < form.min_fill_seconds else None


def _fill_seconds(post: FormPost, received_at: datetime) -> float | None:
    try:
        if post.hidden_value("_fill_ms"):
            return float(post.hidden_value("_fill_ms")) / 1000
        if post.hidden_value("_shown_at"):
            return received_at.timestamp() - float(post.hidden_value("_shown_at")) / 1000
    except (ValueError, OverflowError):
        return None
    return None


def fingerprint(form_id: str, client: str, post: FormPost, hasher: PersonalDataHasher) -> str:
    """Same form, same client, same fields → same fingerprint: a double click or a
    browser retry. Hidden fields are left out (`_shown_at` changes on a retry). Keyed:
    the fields are the person's."""
    canonical = json.dumps([form_id, client, sorted(post.values.items())], ensure_ascii=False)
    return hasher.hex(Purpose.POST, canonical)
