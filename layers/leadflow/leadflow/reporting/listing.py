"""Lists of leads for the leads API and its CSV export: which part of which index a
caller may read, pages through it, opaque cursors bound to the query, and CSV rows.

Two indexes serve every list (template.yaml), both projecting the whole lead card, so
a summary never costs a second read:

- GSI1, a queue: GSI1PK `MANAGER#<id>` (or `UNASSIGNED`), GSI1SK `<status>#<time>`, the
  time the lead entered its status (a postponed lead: its follow-up day);
- GSI2, every lead by creation: GSI2PK `LEADS#<yyyy-mm>`, GSI2SK `<created_at>#<lead_id>`.

A list is walked as a sequence of segments, each one key range of one partition (a
status of a queue, a month of all leads), newest first within each. A page reads at most
`limit` items with at most MAX_QUERIES_PER_PAGE queries, whatever the size of the table.
A filter DynamoDB applies after reading (the temperature; the status over all leads) can
make a page short, even empty, with a next cursor still: follow it until it is null.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from leadflow.shared.access import Caller, manager_scope, require_admin
from leadflow.shared.clock import utc_now
from leadflow.shared.models import Lead, LeadStatus, Temperature
from leadflow.storage import keys

S = LeadStatus
# What an admin passes as `manager_id` to list the leads nobody could take.
UNASSIGNED_MANAGER_PARAM = "unassigned"
# A manager's queue without a status filter, in the order a salesperson works it.
WORK_ORDER: tuple[LeadStatus, ...] = (S.ASSIGNED, S.CONTACTED, S.QUALIFIED, S.POSTPONED, S.CONVERTED, S.REJECTED)
DEFAULT_MONTHS = 12  # all leads without `from`: this month and the 11 before
MAX_QUERIES_PER_PAGE = 13  # a year of empty months and the one a cursor continues in
INDEX_KEYS = {"GSI1": ("GSI1PK", "GSI1SK"), "GSI2": ("GSI2PK", "GSI2SK")}
# Sorts after every character of an ISO date or time: "<day>~" is the end of that day.
END = "~"
START = "0000"
MAX_CURSOR_LENGTH = 2048


@dataclass(frozen=True)
class LeadIndexPage:
    """One Query of a lead index: the lead cards (after any filter), where to go on
    (None: the key range is done), and how many items DynamoDB read for it."""

    leads: list[Lead]
    last_key: dict[str, str] | None
    items_read: int


class LeadIndex(Protocol):
    """The lead indexes as lists read them (leadflow.reporting.store.ListingStore)."""

    def query_lead_index(self, index: str, partition: str, low: str, high: str, *, limit: int,
                         start_key: dict[str, str] | None = None, status: str | None = None,
                         temperature: str | None = None) -> LeadIndexPage: ...


class InvalidListing(ValueError):
    """A list request that cannot be served as asked (the API answers 400 with `code`):
    invalid_cursor, invalid_date_range."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class LeadQuery(BaseModel):
    """What a list covers, after the access rules: one queue or every lead, and the
    filters. A cursor is valid only for the query that made it."""

    model_config = ConfigDict(frozen=True)

    queue: str | None = None  # GSI1PK: MANAGER#<id> or UNASSIGNED; None: every lead (GSI2)
    status: LeadStatus | None = None
    temperature: Temperature | None = None
    date_from: date | None = None
    date_to: date | None = None

    def fingerprint(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


def lead_query(caller: Caller, *, manager_id: str | None = None, status: LeadStatus | None = None,
               temperature: Temperature | None = None, date_from: date | None = None,
               date_to: date | None = None) -> LeadQuery:
    """The query a caller may make: a manager their own queue (asking for another's is
    Forbidden); an admin one manager's queue, the unassigned queue (`manager_id`
    "unassigned", or `status` unassigned), or every lead."""
    if date_from and date_to and date_from > date_to:
        raise InvalidListing("invalid_date_range", "`from` is after `to`")
    if manager_id is not None and manager_id.strip().lower() == UNASSIGNED_MANAGER_PARAM:
        require_admin(caller)
        queue: str | None = keys.UNASSIGNED_QUEUE
    else:
        scope = manager_scope(caller, manager_id or None)
        if scope:
            queue = keys.manager_queue(scope)
        elif status == S.UNASSIGNED:  # the admins' queue has its own partition: no filtering
            queue = keys.UNASSIGNED_QUEUE
        else:
            queue = None
    return LeadQuery(queue=queue, status=status, temperature=temperature, date_from=date_from, date_to=date_to)


@dataclass(frozen=True)
class Segment:
    """One key range of one index partition; `name` (a status, a month) is what a cursor
    records, so a cursor survives the day changing under a default date range."""

    name: str
    index: str
    partition: str
    low: str  # sort key bounds, both included
    high: str


def segments(query: LeadQuery, today: date | None = None) -> list[Segment]:
    """The partitions and key ranges a query walks, in the order its pages come."""
    # DynamoDB refuses an empty key value: "0000" sorts before every time we store.
    low = query.date_from.isoformat() if query.date_from else START
    high = (query.date_to.isoformat() if query.date_to else "") + END
    if query.queue:
        if query.status:
            statuses: Sequence[LeadStatus] = (query.status,)
        else:
            statuses = (S.UNASSIGNED,) if query.queue == keys.UNASSIGNED_QUEUE else WORK_ORDER
        return [Segment(s.value, "GSI1", query.queue, f"{s.value}#{low}", f"{s.value}#{high}") for s in statuses]
    last = query.date_to or today or utc_now().date()
    first = query.date_from or _months_before(last, DEFAULT_MONTHS - 1)
    months = []
    year, month = last.year, last.month
    while (year, month) >= (first.year, first.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return [Segment(m, "GSI2", keys.created_month(m), low, high) for m in months]


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


# -- cursors -----------------------------------------------------------------------------

class _Position(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1
    q: str  # the query's fingerprint
    s: str  # the segment's name
    k: dict[str, str] | None = None  # DynamoDB's LastEvaluatedKey in that segment


def _digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()[:16]


def encode_cursor(query: LeadQuery, segment: Segment, key: dict[str, str] | None) -> str:
    """An opaque cursor: where the next page starts, for this query only."""
    payload = _Position(q=query.fingerprint(), s=segment.name, k=key).model_dump_json().encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _digest(payload)


def decode_cursor(cursor: str, query: LeadQuery, plan: Sequence[Segment]) -> tuple[int, dict[str, str] | None]:
    """The segment (its index in `plan`) and start key a cursor points at; InvalidListing
    `invalid_cursor` if it is damaged, made by another query, or points outside what this
    query reads. The checksum only catches damaged or edited cursors; what keeps a
    caller inside what they may read is that the key must lie in this query's own
    partition and key range, which are derived from the caller, never from the cursor."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        encoded, digest = cursor.split(".")
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if digest != _digest(payload):
            raise ValueError("checksum")
        position = _Position.model_validate_json(payload)
    except (ValueError, binascii.Error, ValidationError):
        raise _invalid_cursor() from None
    if position.q != query.fingerprint():
        raise _invalid_cursor()
    at = next((i for i, s in enumerate(plan) if s.name == position.s), None)
    if at is None or (position.k is not None and not _key_in(position.k, plan[at])):
        raise _invalid_cursor()
    return at, position.k


def _key_in(key: dict[str, str], segment: Segment) -> bool:
    pk, sk = INDEX_KEYS[segment.index]
    return (set(key) == {"PK", "SK", pk, sk} and key[pk] == segment.partition
            and segment.low <= key[sk] <= segment.high
            and key["PK"].startswith("LEAD#") and key["SK"] == keys.LEAD_CARD)


def _invalid_cursor() -> InvalidListing:
    return InvalidListing("invalid_cursor", "this cursor does not belong to this list: start again without it")


# -- pages -------------------------------------------------------------------------------

@dataclass(frozen=True)
class LeadPage:
    leads: list[Lead]
    next_cursor: str | None
    items_read: int  # DynamoDB items read for this page: bounded by the limit


def list_leads(index: LeadIndex, query: LeadQuery, *, limit: int, cursor: str | None = None,
               today: date | None = None) -> LeadPage:
    """One page of a query: at most `limit` items read, newest first in each segment."""
    plan = segments(query, today)
    at, start = decode_cursor(cursor, query, plan) if cursor else (0, None)
    leads: list[Lead] = []
    budget = limit
    read = queries = 0
    while at < len(plan) and budget > 0 and queries < MAX_QUERIES_PER_PAGE:
        segment = plan[at]
        page = index.query_lead_index(
            segment.index, segment.partition, segment.low, segment.high, limit=budget, start_key=start,
            status=query.status.value if query.status and segment.index == "GSI2" else None,
            temperature=query.temperature.value if query.temperature else None)
        queries += 1
        leads += page.leads
        read += page.items_read
        budget -= page.items_read
        start = page.last_key
        if start is None:
            at += 1
    next_cursor = encode_cursor(query, plan[at], start) if at < len(plan) else None
    return LeadPage(leads=leads, next_cursor=next_cursor, items_read=read)
