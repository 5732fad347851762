"""What a report covers: a month, a day, or a range of either, read as the counter
partitions it sums; and which dimensions it shows."""

from __future__ import annotations

import re
from datetime import date, timedelta

from pydantic import BaseModel

from leadflow.reporting.cells import ALL, DIMENSIONS

MAX_RANGE_DAYS = 31
MAX_RANGE_MONTHS = 12


class InvalidReportQuery(ValueError):
    """A report or cost request the API answers with 400; `code` is stable
    (invalid_period, period_too_long, invalid_dimension, invalid_channel)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"\d{4}-\d{2}")


class ReportPeriod(BaseModel):
    """What a report covers: the counter partitions it reads (days or months) and, when
    it is made of whole months, those months (channel costs are entered per month)."""

    label: str
    first_day: date
    last_day: date
    keys: list[str]
    months: list[str] | None


def _month_start(text: str) -> date:
    return date.fromisoformat(f"{text}-01")


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def parse_month(text: str) -> str:
    """A month `YYYY-MM`, checked; InvalidReportQuery otherwise."""
    if not _MONTH.fullmatch(text or ""):
        raise InvalidReportQuery("invalid_period", "a month is written YYYY-MM, e.g. 2026-11")
    try:
        _month_start(text)
    except ValueError:
        raise InvalidReportQuery("invalid_period", f"there is no month {text}") from None
    return text


def _parse_point(text: str) -> tuple[str, date]:
    if _MONTH.fullmatch(text):
        return "month", _month_start(parse_month(text))
    if _DAY.fullmatch(text):
        try:
            return "day", date.fromisoformat(text)
        except ValueError:
            raise InvalidReportQuery("invalid_period", f"there is no day {text}") from None
    raise InvalidReportQuery("invalid_period", "a period is a month (2026-11), a day (2026-11-25) or a range of "
                                               "either (2026-11-01..2026-11-15, 2026-09..2026-11)")


def parse_period(text: str | None, today: date) -> ReportPeriod:
    """`2026-11` (a month), `2026-11-25` (a day), `2026-11-01..2026-11-15` (up to 31
    days) or `2026-09..2026-11` (up to 12 months); none: this month (UTC)."""
    text = (text or today.isoformat()[:7]).strip()
    first_text, dots, last_text = text.partition("..")
    kind, first = _parse_point(first_text)
    last_kind, last = _parse_point(last_text) if dots else (kind, first)
    if kind != last_kind:
        raise InvalidReportQuery("invalid_period", "a range is from a day to a day or from a month to a month")
    if last < first:
        raise InvalidReportQuery("invalid_period", "a range ends after it starts")
    if kind == "day":
        days = (last - first).days + 1
        if days > MAX_RANGE_DAYS:
            raise InvalidReportQuery("period_too_long", f"a range of days covers at most {MAX_RANGE_DAYS} days")
        keys = [(first + timedelta(days=i)).isoformat() for i in range(days)]
        return ReportPeriod(label=text, first_day=first, last_day=last, keys=keys, months=None)
    keys = []
    month = first
    while month <= last:
        keys.append(month.isoformat()[:7])
        month = _next_month(month)
    if len(keys) > MAX_RANGE_MONTHS:
        raise InvalidReportQuery("period_too_long", f"a range of months covers at most {MAX_RANGE_MONTHS} months")
    return ReportPeriod(label=text, first_day=first, last_day=_next_month(last) - timedelta(days=1), keys=keys,
                        months=keys)


def parse_dimensions(text: str | None) -> tuple[str, ...]:
    """`by=channel,temperature` → those dimensions (with `all`, the total row, always
    first); none: every dimension."""
    if not text or not text.strip():
        return DIMENSIONS
    wanted = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(wanted - set(DIMENSIONS))
    if unknown:
        raise InvalidReportQuery("invalid_dimension", f"unknown dimension {', '.join(unknown)}: use "
                                 + ", ".join(DIMENSIONS))
    return tuple(d for d in DIMENSIONS if d in wanted or d == ALL)
