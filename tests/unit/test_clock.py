"""json_time writes a time exactly as pydantic writes the models' times."""

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from leadflow.shared.clock import json_time

ZONES = st.sampled_from([None, timezone.utc, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))])


@given(st.datetimes(timezones=ZONES))
def test_json_time_writes_what_pydantic_writes(moment: datetime) -> None:
    assert json_time(moment) == TypeAdapter(datetime).dump_python(moment, mode="json")


def test_utc_ends_in_z() -> None:
    assert json_time(datetime(2026, 12, 7, 6, 0, tzinfo=timezone.utc)) == "2026-12-07T06:00:00Z"
