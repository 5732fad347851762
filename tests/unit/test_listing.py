"""Lists of leads without AWS: which index partitions a caller's query walks, cursors
bound to that query and partition, pages that read a bounded number of items whatever
the table holds, and CSV rows a spreadsheet cannot run."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from leadflow.reporting.export import CSV_COLUMNS, csv_row, leads_csv
from leadflow.reporting.listing import (
    MAX_QUERIES_PER_PAGE,
    WORK_ORDER,
    InvalidListing,
    LeadIndexPage,
    LeadQuery,
    _digest,
    decode_cursor,
    encode_cursor,
    lead_query,
    list_leads,
    segments,
)
from leadflow.shared.access import Caller, Forbidden
from leadflow.shared.models import (
    ChannelKind,
    ContactCard,
    Lead,
    LeadStatus,
    RejectionReason,
    Score,
    Source,
    Temperature,
)
from leadflow.storage.keys import lead_created_keys

S = LeadStatus
OLIVIA = Caller(user_id="u-olivia", manager_id="m-olivia")
DIEGO = Caller(user_id="u-diego", manager_id="m-diego")
ADMIN = Caller(user_id="u-admin", is_admin=True)
TODAY = date(2026, 2, 10)


def lead(number: int, *, created_at: datetime | None = None, temperature: Temperature = Temperature.HOT,
         status: LeadStatus = S.ASSIGNED, manager_id: str | None = "m-olivia", **contact: Any) -> Lead:
    created = created_at or datetime(2026, 2, 1, tzinfo=timezone.utc) + timedelta(minutes=number)
    card = {"name": f"Lead {number}", "email": f"lead{number}@acme.example", **contact}
    return Lead(lead_id=f"lead-{number:04d}", status=status, contact=ContactCard(**card),
                source=Source(form_id="demo", channel=ChannelKind.INBOUND, utm_source="newsletter"),
                created_at=created, last_seen_at=created, manager_id=manager_id,
                score=Score(points=80, temperature=temperature, parts=[], rule_set_version="test"))


class Index:
    """Just enough of DynamoDB's Query on a GSI: key range, newest first, Limit counted
    before the filter, LastEvaluatedKey whenever Limit stopped the read."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], list[tuple[str, Lead]]] = {}
        self.queries: list[dict[str, Any]] = []

    def add(self, index: str, partition: str, sort_key: str, item: Lead) -> None:
        self.items.setdefault((index, partition), []).append((sort_key, item))

    def add_to_month(self, item: Lead) -> None:
        keys = lead_created_keys(item.lead_id, item.created_at)
        self.add("GSI2", keys["GSI2PK"], keys["GSI2SK"], item)

    def query_lead_index(self, index: str, partition: str, low: str, high: str, *, limit: int,
                         start_key: dict[str, str] | None = None, status: str | None = None,
                         temperature: str | None = None) -> LeadIndexPage:
        self.queries.append({"index": index, "partition": partition, "limit": limit, "start_key": start_key})
        sk_name = f"{index}SK"
        rows = sorted((r for r in self.items.get((index, partition), []) if low <= r[0] <= high), reverse=True,
                      key=lambda r: r[0])
        if start_key:
            rows = [r for r in rows if r[0] < start_key[sk_name]]
        read = rows[:limit]
        last = None
        if len(read) == limit and read:
            last = {"PK": f"LEAD#{read[-1][1].lead_id}", "SK": "LEAD", f"{index}PK": partition, sk_name: read[-1][0]}
        kept = [r[1] for r in read if (not status or r[1].status == status)
                and (not temperature or (r[1].score and r[1].score.temperature == temperature))]
        return LeadIndexPage(leads=kept, last_key=last, items_read=len(read))


def every_page(repository: Index, query: LeadQuery, limit: int) -> list[list[Lead]]:
    pages, cursor = [], None
    while True:
        page = list_leads(repository, query, limit=limit, cursor=cursor, today=TODAY)
        pages.append(page.leads)
        assert page.items_read <= limit
        cursor = page.next_cursor
        if cursor is None:
            return pages


# -- who lists what ----------------------------------------------------------------------

def test_a_manager_lists_their_own_queue_whatever_they_ask():
    assert lead_query(OLIVIA).queue == "MANAGER#m-olivia"
    assert lead_query(OLIVIA, manager_id="m-olivia", status=S.CONTACTED) == LeadQuery(
        queue="MANAGER#m-olivia", status=S.CONTACTED)
    with pytest.raises(Forbidden) as refused:
        lead_query(OLIVIA, manager_id="m-diego")
    assert refused.value.code == "not_your_leads"
    with pytest.raises(Forbidden) as refused:
        lead_query(OLIVIA, manager_id="unassigned")
    assert refused.value.code == "admins_only"


def test_a_user_linked_to_no_manager_lists_nothing():
    with pytest.raises(Forbidden) as refused:
        lead_query(Caller(user_id="u-nobody"))
    assert refused.value.code == "no_manager"


def test_an_admin_lists_every_lead_one_queue_or_the_unassigned_queue():
    assert lead_query(ADMIN).queue is None
    assert lead_query(ADMIN, status=S.REJECTED).queue is None
    assert lead_query(ADMIN, manager_id="m-diego").queue == "MANAGER#m-diego"
    assert lead_query(ADMIN, manager_id="unassigned").queue == "UNASSIGNED"
    assert lead_query(ADMIN, status=S.UNASSIGNED).queue == "UNASSIGNED"


def test_a_date_range_that_ends_before_it_starts_is_refused():
    with pytest.raises(InvalidListing) as refused:
        lead_query(ADMIN, date_from=date(2026, 2, 2), date_to=date(2026, 2, 1))
    assert refused.value.code == "invalid_date_range"


# -- which partitions a query walks ------------------------------------------------------

def test_a_queue_is_walked_status_by_status_in_working_order():
    plan = segments(LeadQuery(queue="MANAGER#m-olivia"), TODAY)
    assert [s.name for s in plan] == [s.value for s in WORK_ORDER] == [
        "assigned", "contacted", "qualified", "postponed", "converted", "rejected"]
    assert {(s.index, s.partition) for s in plan} == {("GSI1", "MANAGER#m-olivia")}
    assert [s.name for s in segments(LeadQuery(queue="UNASSIGNED"), TODAY)] == ["unassigned"]
    [only] = segments(LeadQuery(queue="MANAGER#m-olivia", status=S.POSTPONED, date_from=date(2026, 3, 1),
                                date_to=date(2026, 3, 31)), TODAY)
    # A postponed lead's queue time is its follow-up day: both ends of the range are in.
    assert only.low <= "postponed#2026-03-01" <= only.high
    assert only.low <= "postponed#2026-03-31" <= only.high
    assert not only.low <= "postponed#2026-02-28" <= only.high
    assert not only.low <= "postponed#2026-04-01" <= only.high
    assert not only.low <= "contacted#2026-03-15T10:00:00Z" <= only.high


def test_every_lead_is_walked_month_by_month_newest_first_over_the_last_twelve_by_default():
    plan = segments(LeadQuery(), TODAY)
    assert [s.name for s in plan] == ["2026-02", "2026-01", "2025-12", "2025-11", "2025-10", "2025-09", "2025-08",
                                      "2025-07", "2025-06", "2025-05", "2025-04", "2025-03"]
    assert {s.index for s in plan} == {"GSI2"} and plan[0].partition == "LEADS#2026-02"


def test_a_date_range_picks_its_months_and_its_days_within_them():
    plan = segments(LeadQuery(date_from=date(2025, 11, 30), date_to=date(2026, 1, 1)), TODAY)
    assert [s.name for s in plan] == ["2026-01", "2025-12", "2025-11"]
    first_moment = lead_created_keys("x", datetime(2025, 11, 30, 0, 0, tzinfo=timezone.utc))["GSI2SK"]
    last_moment = lead_created_keys("x", datetime(2026, 1, 1, 23, 59, 59, 999999, tzinfo=timezone.utc))["GSI2SK"]
    day_before = lead_created_keys("x", datetime(2025, 11, 29, 23, 59, 59, tzinfo=timezone.utc))["GSI2SK"]
    day_after = lead_created_keys("x", datetime(2026, 1, 2, tzinfo=timezone.utc))["GSI2SK"]
    assert all(s.low <= first_moment <= s.high and s.low <= last_moment <= s.high for s in plan)
    assert not any(s.low <= day_before <= s.high or s.low <= day_after <= s.high for s in plan)


def test_creation_keys_sort_by_time_whatever_the_fraction_of_a_second():
    times = [datetime(2026, 2, 1, 9, 0, 0, tzinfo=timezone.utc), datetime(2026, 2, 1, 9, 0, 0, 5, tzinfo=timezone.utc),
             datetime(2026, 2, 1, 9, 0, 1, tzinfo=timezone.utc)]
    keys = [lead_created_keys("lead", t)["GSI2SK"] for t in times]
    assert keys == sorted(keys) and len(set(keys)) == 3
    assert lead_created_keys("lead", times[0])["GSI2PK"] == "LEADS#2026-02"


# -- cursors -----------------------------------------------------------------------------

MINE = LeadQuery(queue="MANAGER#m-olivia")
KEY = {"PK": "LEAD#lead-0001", "SK": "LEAD", "GSI1PK": "MANAGER#m-olivia", "GSI1SK": "contacted#2026-02-01T09:00Z"}


def forged(body: dict[str, Any]) -> str:
    """A cursor with a correct checksum: what someone who read this module could make."""
    payload = json.dumps(body).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _digest(payload)


def test_a_cursor_takes_its_query_back_to_where_it_stopped():
    plan = segments(MINE, TODAY)
    cursor = encode_cursor(MINE, plan[1], KEY)
    assert decode_cursor(cursor, MINE, plan) == (1, KEY)
    assert decode_cursor(encode_cursor(MINE, plan[2], None), MINE, plan) == (2, None)
    assert "m-olivia" not in cursor and "=" not in cursor  # opaque, and safe in a query string


@pytest.mark.parametrize("other", [
    LeadQuery(queue="MANAGER#m-diego"),  # another manager's queue
    LeadQuery(),  # every lead
    LeadQuery(queue="MANAGER#m-olivia", temperature=Temperature.HOT),  # another filter
    LeadQuery(queue="MANAGER#m-olivia", date_from=date(2026, 1, 1)),
])
def test_a_cursor_is_refused_by_any_other_query(other):
    cursor = encode_cursor(MINE, segments(MINE, TODAY)[1], KEY)
    with pytest.raises(InvalidListing) as refused:
        decode_cursor(cursor, other, segments(other, TODAY))
    assert refused.value.code == "invalid_cursor"


def test_a_damaged_cursor_is_refused():
    plan = segments(MINE, TODAY)
    cursor = encode_cursor(MINE, plan[1], KEY)
    encoded, digest = cursor.split(".")
    flipped = encoded[:10] + ("A" if encoded[10] != "A" else "B") + encoded[11:]
    for bad in (flipped + "." + digest, encoded + "." + digest[::-1], encoded, "", "...", "not a cursor",
                "%%%." + digest, cursor + "." + digest, "A" * 5000):
        with pytest.raises(InvalidListing):
            decode_cursor(bad, MINE, plan)


@pytest.mark.parametrize("key", [
    {**KEY, "GSI1PK": "MANAGER#m-diego"},  # another manager's queue
    {**KEY, "GSI1PK": "UNASSIGNED"},
    {**KEY, "GSI1SK": "zzz"},  # outside the key range of every status
    {"PK": "LEAD#lead-0001", "SK": "LEAD", "GSI2PK": "LEADS#2026-02", "GSI2SK": "2026-02-01T09:00Z#lead-0001"},
    {**KEY, "SK": "SUB#2026"},
    {**KEY, "extra": "x"},
])
def test_a_forged_cursor_cannot_leave_the_callers_own_partition(key):
    # GIVEN a cursor with a correct checksum and this query's fingerprint, but a start
    # key somewhere else: the checksum is no secret, the partition check is the guard
    cursor = forged({"v": 1, "q": MINE.fingerprint(), "s": "contacted", "k": key})
    assert decode_cursor(forged({"v": 1, "q": MINE.fingerprint(), "s": "contacted", "k": KEY}), MINE,
                         segments(MINE, TODAY)) == (1, KEY)
    # THEN it is refused
    with pytest.raises(InvalidListing):
        decode_cursor(cursor, MINE, segments(MINE, TODAY))


def test_a_cursor_naming_a_status_or_month_the_query_does_not_walk_is_refused():
    with pytest.raises(InvalidListing):
        decode_cursor(forged({"v": 1, "q": MINE.fingerprint(), "s": "unassigned", "k": None}), MINE,
                      segments(MINE, TODAY))
    every = LeadQuery()
    with pytest.raises(InvalidListing):  # older than the default twelve months
        decode_cursor(forged({"v": 1, "q": every.fingerprint(), "s": "2024-01", "k": None}), every,
                      segments(every, TODAY))


# -- pages -------------------------------------------------------------------------------

def test_pages_of_every_lead_come_newest_first_without_gaps_or_repeats():
    repository = Index()
    leads = [lead(n, created_at=datetime(2026, 2, 9, tzinfo=timezone.utc) - timedelta(days=3 * n)) for n in range(60)]
    for item in leads:
        repository.add_to_month(item)

    pages = every_page(repository, LeadQuery(), limit=25)

    listed = [item.lead_id for page in pages for item in page]
    assert listed == [item.lead_id for item in leads]  # 60 leads over 6 months, newest first
    assert [len(p) for p in pages][:3] == [25, 25, 10]


def test_a_page_reads_at_most_its_limit_and_a_bounded_number_of_queries_whatever_the_range():
    # GIVEN ten years of empty months and one lead in the oldest
    repository = Index()
    repository.add_to_month(lead(1, created_at=datetime(2016, 1, 5, tzinfo=timezone.utc)))
    query = LeadQuery(date_from=date(2016, 1, 1), date_to=date(2026, 1, 31))

    # WHEN it is listed page by page
    first = list_leads(repository, query, limit=10, cursor=None, today=TODAY)

    # THEN each page makes at most MAX_QUERIES_PER_PAGE queries and hands over a cursor
    assert first.leads == [] and first.next_cursor is not None
    assert len(repository.queries) == MAX_QUERIES_PER_PAGE
    assert [q["partition"] for q in repository.queries[:2]] == ["LEADS#2026-01", "LEADS#2025-12"]
    pages = every_page(repository, query, limit=10)
    assert [item.lead_id for page in pages for item in page] == ["lead-0001"]
    assert all(q["limit"] <= 10 for q in repository.queries)


def test_a_filtered_page_may_be_short_and_still_goes_on():
    repository = Index()
    for n in range(30):
        item = lead(n, temperature=Temperature.HOT if n % 10 == 0 else Temperature.COLD)
        repository.add("GSI1", "MANAGER#m-olivia", f"assigned#{item.created_at.isoformat()}", item)
    query = LeadQuery(queue="MANAGER#m-olivia", temperature=Temperature.HOT)

    first = list_leads(repository, query, limit=10, today=TODAY)

    assert [item.lead_id for item in first.leads] == ["lead-0020"]  # read 10, kept 1
    assert first.items_read == 10 and first.next_cursor
    pages = every_page(repository, query, limit=10)
    assert [item.lead_id for page in pages for item in page] == ["lead-0020", "lead-0010", "lead-0000"]


def test_a_queue_without_a_status_lists_the_working_statuses_first():
    repository = Index()
    for number, status in enumerate([S.REJECTED, S.ASSIGNED, S.CONVERTED, S.CONTACTED, S.POSTPONED, S.QUALIFIED]):
        item = lead(number, status=status)
        repository.add("GSI1", "MANAGER#m-olivia", f"{status.value}#{item.created_at.isoformat()}", item)

    pages = every_page(repository, LeadQuery(queue="MANAGER#m-olivia"), limit=4)

    assert [item.status for page in pages for item in page] == list(WORK_ORDER)


# -- CSV ---------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["=HYPERLINK(\"http://evil\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3",
                                   "@SUM(A1)", "\t=1", "\r=1"])
def test_a_cell_a_spreadsheet_would_run_starts_with_an_apostrophe(typed):
    row = dict(zip(CSV_COLUMNS, csv_row(lead(1, company=typed, name=typed)), strict=True))
    assert row["company"] == row["name"] == "'" + typed


def test_a_csv_page_has_the_columns_in_order_and_reads_back_exactly():
    tricky = lead(7, name='Ana "la jefa", López\nSegunda línea', company="Acme, Inc.", phone="+14155550134",
                  country="ES", status=S.REJECTED)
    tricky = tricky.model_copy(update={"rejection_reason": RejectionReason.COMPETITOR})
    text = leads_csv([tricky, lead(8)], header=True)

    rows = list(csv.reader(io.StringIO(text)))
    assert text.endswith("\r\n")
    assert rows[0] == list(CSV_COLUMNS)
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert first == {
        "lead_id": "lead-0007", "created_at": "2026-02-01T00:07:00Z", "status": "rejected", "temperature": "hot",
        "points": "80", "manager_id": "m-olivia", "channel": "inbound", "utm_source": "newsletter", "utm_medium": "",
        "utm_campaign": "", "form_id": "demo", "name": 'Ana "la jefa", López\nSegunda línea',
        "email": "lead7@acme.example", "phone": "'+14155550134", "company": "Acme, Inc.", "country": "ES",
        "contacted_at": "", "converted_at": "", "rejection_reason": "competitor"}
    assert len(rows) == 3
    # The following pages carry rows only, so pages appended in order make one file.
    assert list(csv.reader(io.StringIO(leads_csv([lead(9)], header=False))))[0][0] == "lead-0009"


def test_a_score_stored_before_the_0_to_100_scale_exports_on_it():
    item = lead(1)
    item = item.model_copy(update={"score": Score.model_validate({
        "points": -15, "temperature": "cold", "parts": [], "rule_set_version": "test"})})
    assert dict(zip(CSV_COLUMNS, csv_row(item), strict=True))["points"] == 0
