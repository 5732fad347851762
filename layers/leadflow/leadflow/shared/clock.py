"""Time, as every part of Leadflow writes it."""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import TypeAdapter

_TIME = TypeAdapter(datetime)


def utc_now() -> datetime:
    """Now, timezone-aware, so stored times sort and compare correctly."""
    return datetime.now(timezone.utc)


def json_time(moment: datetime) -> str:
    """A time written the way pydantic writes the models' times (`...Z`), so a time set
    by an update expression compares with the times of stored models."""
    return str(_TIME.dump_python(moment, mode="json"))
