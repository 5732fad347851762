"""Time, as every part of Leadflow writes it."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    """Now, timezone-aware, so stored times sort and compare correctly."""
    return datetime.now(timezone.utc)


def json_time(moment: datetime) -> str:
    """A time written the way pydantic writes the models' times (`...Z` for UTC), so a
    time set by an update expression compares with the times of stored models. Written
    here rather than by a pydantic TypeAdapter: building one was 3 ms of every function's
    init; tests/unit/test_clock.py checks both write every time alike."""
    text = moment.isoformat()
    return f"{text[:-6]}Z" if text.endswith("+00:00") else text
