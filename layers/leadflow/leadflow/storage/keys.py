"""The keys of every item in Leadflow's one table: the README's table of items, as code.

| item | PK | SK |
|---|---|---|
| lead card | `LEAD#<id>` | `LEAD` |
| submission | `LEAD#<id>` | `SUB#<received_at>#<id>` |
| activity (history) | `LEAD#<id>` | `ACT#<at>#<id>` |
| questionnaire answered | `LEAD#<id>` | `FEEDBACK` |
| visits window (TTL) | `LEAD#<id>` | `VISITS` |
| identity (dedupe) | `IDENT#EMAIL#<normalized>` / `IDENT#PHONE#<e164>` | `IDENT` |
| manager | `ROSTER` | `MANAGER#<id>` |
| form | `FORM#<id>` | `FORM` (GSI1: `FORMS` / `<id>`) |
| referral partner | `PARTNER#<id>` | `PARTNER` (GSI1: `PARTNERS` / `<id>`) |
| referred lead's tally | `PARTNER#<id>` | `REFERRAL#<lead_id>` (GSI1: `REFERRALS` / `<received_at>#<lead>`) |
| a referral with an unknown code | `REFCODE#<code>` | `REFERRAL#<lead_id>` (GSI1 as above) |
| a referral given back to a partner | `PARTNER#<id>` | `GIVEN#<at>#<id>` (GSI1: `GIVEN` / `<at>#<id>`) |
| a partner's (group's) monthly cost | `STAT#<month>` | `partnercost#<partner_id>` |
| rule-set override | `RULESET` | `PROFILE#<b2b or b2c>` |
| contact (a converted lead) | `CONTACT#<id>` | `CONTACT` |
| double-submit marker (TTL) | `DOUBLE#<fingerprint>` | `DOUBLE` |
| rate counter (TTL) | `RATE#<form>#<hashed client IP>` | `<window start>` |
| spam (TTL) | `SPAM#<form>` | `<received_at>#<id>` |
| used proof-of-work challenge (TTL) | `CHALLENGE#<challenge hash>` | `USED` |
| a form's posts from all IPs (TTL) | `RATE#<form>#*` | `<window start>` |
| autoresponder counter (TTL) | `AUTOREPLY#<hashed address>` | `<window start>` |
| idempotency record (TTL) | `IDEMPOTENCY#<use>` | `<function>#<hash>` |
| report counters | `STAT#<UTC day or month>` | `<dimension>#<value>` |
| channel cost | `STAT#<month>` | `cost#<channel>` |
| report mark | `STATMARK#<lead_id>` | `MARK` |
| erasure record | `ERASURE#<id>` | `ERASURE` |
| CSV import (job, counts) | `IMPORT#<id>` | `IMPORT` |
| an import's rows to store (TTL) | `IMPORT#<id>` | `CHUNK#<n>` |
| an imported lead routed | `IMPORT#<id>` | `ROUTED#<submission_id>` |
| an import's summary sent to a manager | `IMPORT#<id>` | `SUMMARY#<manager_id>` |

Indexes (both project whole items): GSI1 is a queue, `MANAGER#<id>` (or
`UNASSIGNED`) / `<status>#<when it entered the status>`, and the list of forms, `FORMS` /
`<form_id>` (capture reads a form by its own key; the admins list them here); GSI2 every
lead by creation month, `LEADS#<yyyy-mm>` / `<created_at>#<lead_id>`. GSI3 (sparse, only
the clock's ids projected) holds the lead cards whose speed-to-lead clock runs and the
visits windows with a digest to tell, `CLOCKS` / `<due at>#<lead_id>`: the remind
function sweeps what is due once a minute.

Managers share one partition (a team is tens of people, not millions) so the scorer
reads the whole roster with one strongly consistent Query, never a Scan.
"""

from __future__ import annotations

from datetime import datetime, timezone

Key = dict[str, str]

LEAD_CARD = "LEAD"
SUBMISSION_PREFIX = "SUB#"
ACTIVITY_PREFIX = "ACT#"
ROSTER = "ROSTER"
UNASSIGNED_QUEUE = "UNASSIGNED"
FORMS_LIST = "FORMS"
PARTNERS_LIST = "PARTNERS"
COST_PREFIX = "cost#"
CLOCKS = "CLOCKS"


def lead_partition(lead_id: str) -> str:
    """The partition that holds a lead's card, submissions and history."""
    return f"LEAD#{lead_id}"


def lead_key(lead_id: str) -> Key:
    return {"PK": lead_partition(lead_id), "SK": LEAD_CARD}


def lead_created_keys(lead_id: str, created_at: datetime) -> Key:
    """GSI2 keys of a lead card: every lead by creation month, for admins' lists and the
    export. A fixed-width UTC time, so the keys sort by time and a day is a key range."""
    created = created_at.astimezone(timezone.utc) if created_at.tzinfo else created_at
    return {"GSI2PK": created_month(f"{created:%Y-%m}"), "GSI2SK": f"{created:%Y-%m-%dT%H:%M:%S.%f}Z#{lead_id}"}


def created_month(month: str) -> str:
    """The GSI2 partition of the leads created in a month (`YYYY-MM`)."""
    return f"LEADS#{month}"


def manager_queue(manager_id: str) -> str:
    """The GSI1 partition of a manager's leads."""
    return f"MANAGER#{manager_id}"


def queue_position(status: str, since: str) -> str:
    """A lead's GSI1 sort key: its status, then when it entered it (or a postponed
    lead's follow-up day)."""
    return f"{status}#{since}"


def clock_position(due_at: datetime, lead_id: str) -> str:
    """A running clock's GSI3 sort key: its due time in UTC to the second (one format,
    so the strings sort by time), then the lead."""
    return f"{due_at.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}#{lead_id}"


def submission_key(lead_id: str, received_at: datetime, submission_id: str) -> Key:
    return {"PK": lead_partition(lead_id), "SK": f"{SUBMISSION_PREFIX}{received_at.isoformat()}#{submission_id}"}


def activity_key(lead_id: str, at: datetime, activity_id: str) -> Key:
    return {"PK": lead_partition(lead_id), "SK": f"{ACTIVITY_PREFIX}{at.isoformat()}#{activity_id}"}


def feedback_key(lead_id: str) -> Key:
    """The marker that a rejected lead answered its farewell questionnaire."""
    return {"PK": lead_partition(lead_id), "SK": "FEEDBACK"}


def identity_pk(kind: str, value: str) -> str:
    """`IDENT#EMAIL#<normalized email>` or `IDENT#PHONE#<E.164>`."""
    return f"IDENT#{kind.upper()}#{value}"


def identity_key(pk: str) -> Key:
    return {"PK": pk, "SK": "IDENT"}


def identity_keys(email: str | None, phone: str | None) -> list[Key]:
    """Email first, then phone: the order in which a returning person is matched."""
    keys = []
    if email:
        keys.append(identity_key(identity_pk("email", email)))
    if phone:
        keys.append(identity_key(identity_pk("phone", phone)))
    return keys


def manager_key(manager_id: str) -> Key:
    return {"PK": ROSTER, "SK": f"MANAGER#{manager_id}"}


def form_key(form_id: str) -> Key:
    return {"PK": f"FORM#{form_id}", "SK": "FORM"}


def form_listing_keys(form_id: str) -> Key:
    """GSI1 keys of a form item: every form in one index partition, so the admins list
    them with one Query (a form written before these keys existed is listed once it is
    saved again: `leadflow.capture.form_admin`)."""
    return {"GSI1PK": FORMS_LIST, "GSI1SK": form_id}


def partner_key(partner_id: str) -> Key:
    return {"PK": f"PARTNER#{partner_id}", "SK": "PARTNER"}


def partner_listing_keys(partner_id: str) -> Key:
    """GSI1 keys of a partner item: every partner in one index partition (a company has
    tens of partners, not millions), listed with one Query."""
    return {"GSI1PK": PARTNERS_LIST, "GSI1SK": partner_id}


def rule_set_key(profile: str) -> Key:
    return {"PK": "RULESET", "SK": f"PROFILE#{profile}"}


def contact_key(contact_id: str) -> Key:
    return {"PK": f"CONTACT#{contact_id}", "SK": "CONTACT"}


def double_submit_key(fingerprint: str) -> Key:
    return {"PK": f"DOUBLE#{fingerprint}", "SK": "DOUBLE"}


def rate_counter_pk(form_id: str, client: str) -> str:
    return f"RATE#{form_id}#{client}"


def autoreply_counter_pk(address_hash: str) -> str:
    return f"AUTOREPLY#{address_hash}"


def window_key(pk: str, window_start: int) -> Key:
    """A counter of one time window (rate limits, thank-you limits)."""
    return {"PK": pk, "SK": str(window_start)}


def used_challenge_key(challenge: str) -> Key:
    return {"PK": f"CHALLENGE#{challenge}", "SK": "USED"}


def form_cap_pk(form_id: str) -> str:
    """All IPs' posts to a form (`*` is never a hashed IP, which is hex)."""
    return f"RATE#{form_id}#*"


def spam_key(form_id: str, received_at: datetime, spam_id: str) -> Key:
    return {"PK": f"SPAM#{form_id}", "SK": f"{received_at.isoformat()}#{spam_id}"}


def idempotency_partition(use: str) -> str:
    """Where Powertools keeps the idempotency records of one use (notify, remind...)."""
    return f"IDEMPOTENCY#{use}"


def stat_partition(period: str) -> str:
    """The counters of a UTC day (`2026-11-25`) or month (`2026-11`)."""
    return f"STAT#{period}"


def stat_key(period: str, cell: str) -> Key:
    """A report counter item: `cell` is `<dimension>#<value>`."""
    return {"PK": stat_partition(period), "SK": cell}


def cost_key(month: str, channel: str) -> Key:
    return {"PK": stat_partition(month), "SK": f"{COST_PREFIX}{channel}"}


def report_mark_key(lead_id: str) -> Key:
    return {"PK": f"STATMARK#{lead_id}", "SK": "MARK"}


def visits_window_key(lead_id: str) -> Key:
    """A lead's window of coalesced "came back" emails to the manager who holds it (TTL).
    In the lead's partition: the scorer reads it with the card, and an erasure deletes
    the copy of the lead a noted visit leaves on it for the digest."""
    return {"PK": lead_partition(lead_id), "SK": "VISITS"}


def erasure_key(erasure_id: str) -> Key:
    return {"PK": f"ERASURE#{erasure_id}", "SK": "ERASURE"}


# -- CSV imports (leadflow.capture.importing) -----------------------------------------------

CHUNK_PREFIX = "CHUNK#"
ROUTED_PREFIX = "ROUTED#"


def import_partition(import_id: str) -> str:
    """The partition of one CSV import: its record, its chunks, its routed leads."""
    return f"IMPORT#{import_id}"


def import_key(import_id: str) -> Key:
    return {"PK": import_partition(import_id), "SK": "IMPORT"}


def import_chunk_key(import_id: str, chunk: int) -> Key:
    """One chunk of an import's rows (zero-padded: chunks sort in file order)."""
    return {"PK": import_partition(import_id), "SK": f"{CHUNK_PREFIX}{chunk:05d}"}


def import_routed_key(import_id: str, submission_id: str) -> Key:
    """An imported submission scored and assigned (or not): counted once."""
    return {"PK": import_partition(import_id), "SK": f"{ROUTED_PREFIX}{submission_id}"}


def import_summary_key(import_id: str, manager_id: str) -> Key:
    """A manager's summary email of one import: sent once."""
    return {"PK": import_partition(import_id), "SK": f"SUMMARY#{manager_id}"}


# -- what each partner brings (leadflow.referrals.records) ---------------------------------

REFERRALS_LIST = "REFERRALS"
GIVEN_LIST = "GIVEN"
REFERRAL_PREFIX = "REFERRAL#"
GIVEN_PREFIX = "GIVEN#"
PARTNER_COST_PREFIX = "partnercost#"


def referral_key(partner_id: str | None, lead_id: str, ref: str = "") -> Key:
    """One referred lead's tally: in its partner's partition, or (no partner has the
    code) in the partition of the unknown code, where admins find it."""
    pk = f"PARTNER#{partner_id}" if partner_id else f"REFCODE#{ref}"
    return {"PK": pk, "SK": f"{REFERRAL_PREFIX}{lead_id}"}


def referral_listing_keys(received_at: str, lead_id: str) -> Key:
    """GSI1 keys of a referral tally: every referral by the time it came (referrals are
    few: one partition holds them all, and a report is one Query over its period)."""
    return {"GSI1PK": REFERRALS_LIST, "GSI1SK": f"{received_at}#{lead_id}"}


def given_key(partner_id: str, at: str, given_id: str) -> Key:
    return {"PK": f"PARTNER#{partner_id}", "SK": f"{GIVEN_PREFIX}{at}#{given_id}"}


def given_listing_keys(at: str, given_id: str) -> Key:
    return {"GSI1PK": GIVEN_LIST, "GSI1SK": f"{at}#{given_id}"}


def partner_cost_key(month: str, partner_id: str) -> Key:
    """What a partner (a lead group: membership, meals) cost in a month, beside the
    channel costs of the month (its own prefix: the channel report leaves it out)."""
    return {"PK": stat_partition(month), "SK": f"{PARTNER_COST_PREFIX}{partner_id}"}
