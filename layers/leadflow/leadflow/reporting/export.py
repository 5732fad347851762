"""Leads as CSV (RFC 4180), safe to open in a spreadsheet: cells a spreadsheet would run
as a formula are neutralized."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from leadflow.shared.clock import json_time
from leadflow.shared.models import Lead

CSV_COLUMNS = ("lead_id", "created_at", "status", "temperature", "points", "manager_id", "channel", "utm_source",
               "utm_medium", "utm_campaign", "form_id", "name", "email", "phone", "company", "country",
               "contacted_at", "converted_at", "rejection_reason")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str | int:
    if value is None:
        return ""
    if isinstance(value, int):  # points: our own number, never typed by a visitor
        return value
    if isinstance(value, datetime):
        return json_time(value)
    text = str(value)
    # The apostrophe makes a spreadsheet show the text as it is, never evaluate it.
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_row(lead: Lead) -> list[str | int]:
    """A lead as one CSV row, in CSV_COLUMNS order, safe to open in a spreadsheet."""
    score, contact, source = lead.score, lead.contact, lead.source
    values: tuple[object, ...] = (
        lead.lead_id, lead.created_at, lead.status.value, score.temperature.value if score else None,
        score.points if score else None, lead.manager_id, source.channel.value, source.utm_source,
        source.utm_medium, source.utm_campaign, source.form_id, contact.name, contact.email, contact.phone,
        contact.company, contact.country, lead.contacted_at, lead.converted_at,
        lead.rejection_reason.value if lead.rejection_reason else None,
    )
    return [_cell(v) for v in values]


def leads_csv(leads: Iterable[Lead], *, header: bool) -> str:
    """CSV text (RFC 4180: CRLF line ends, quoting as needed) of these leads; the header
    row only when asked, so pages appended in order make one file."""
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_row(lead) for lead in leads)
    return out.getvalue()
