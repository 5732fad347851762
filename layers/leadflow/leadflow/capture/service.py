"""Capturing a form post: from raw HTTP body to a stored submission.

Order matters: the form (404/410), the page's origin (403), the body (400/413/415), bots
(stored as spam, answered as a success), the person (422), then one transaction, which
also counts the post against its client's rate (429 when the counter's condition cancels
it). Nothing is written for a refused post; a real person's valid post is never lost,
even when the table is down (the fallback queue)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from leadflow.capture.body import parse_form_body
from leadflow.capture.captcha import PASSED, BotCheck, Verdict, without_check_fields
from leadflow.capture.errors import CaptureError
from leadflow.capture.fallback import FallbackQueue, QueuedSubmission, is_transient
from leadflow.capture.fields import FormPost
from leadflow.capture.messages import message
from leadflow.capture.spam import fingerprint, spam_reason
from leadflow.capture.store import (
    CaptureStore,
    ChallengeReused,
    FormCapped,
    LeadVanished,
    RateLimit,
    RateLimited,
    Recorded,
    UsedChallenge,
)
from leadflow.capture.validation import ValidatedForm, build_submission, new_id, validate_form
from leadflow.referrals.attribution import PartnerCatalog, attribute
from leadflow.referrals.introduction import introduced
from leadflow.shared.clock import utc_now
from leadflow.shared.hashing import PersonalDataHasher, Purpose
from leadflow.shared.models import FormConfig, Lead, Submission
from leadflow.shared.secrets import KeyUnavailable
from leadflow.storage.transactions import CONFLICT, cancellation_reasons

logger = logging.getLogger(__name__)

MAX_CACHED_FORMS = 1024
RATE_WINDOW_SECONDS = 60


class FormSource(Protocol):
    def get_form(self, form_id: str) -> FormConfig | None: ...


class SubmissionStore(Protocol):
    """What the capture path writes (leadflow.capture.store.CaptureStore)."""

    def record_submission(self, submission: Submission, lead: Lead, fingerprint: str | None = None, *,
                          rate: RateLimit | None = None, cap: RateLimit | None = None,
                          challenge: UsedChallenge | None = None) -> Recorded: ...

    def store_spam(self, form_id: str, received_at: datetime, reason: str, fields: dict[str, str],
                   rate: RateLimit | None = None) -> str: ...


class FormCatalog:
    """Form configs cached per container for a short while: a landing page's burst of
    posts costs one read of its FORM item, and an edit still shows within a minute."""

    def __init__(self, store: FormSource, ttl_seconds: float = 60.0) -> None:
        self.store = store
        self.ttl_seconds = ttl_seconds
        self._cache: dict[str, tuple[float, FormConfig | None]] = {}

    def find(self, form_id: str) -> FormConfig | None:
        cached = self._cache.get(form_id)
        if cached is None or time.monotonic() - cached[0] > self.ttl_seconds:
            if len(self._cache) >= MAX_CACHED_FORMS:  # posts to random ids must not grow it
                self._cache.clear()
            cached = (time.monotonic(), self.store.get_form(form_id))
            self._cache[form_id] = cached
        return cached[1]

    def get(self, form_id: str) -> FormConfig:
        """The enabled form with this id; 404 if unknown, 410 if switched off."""
        form = self.find(form_id)
        if form is None:
            raise CaptureError.single(404, "form_not_found", message("form_not_found", "en"), "form_id")
        if not form.enabled:
            raise CaptureError.single(410, "form_disabled", message("form_disabled", form.language), "form_id",
                                      form=form)
        return form


@dataclass(frozen=True)
class PostedForm:
    """A form post as the capture path sees it, whatever the transport."""

    form_id: str
    body: str | None
    content_type: str | None
    is_base64: bool = False
    client_ip: str | None = None
    origin: str | None = None  # the Origin header: set by browsers on every cross-site POST
    # A sender's fields, already read (Google Ads' webhook: capture.google_ads), and its own
    # id of the post: its retries are one submission, and it is not limited per IP.
    fields: dict[str, str] | None = None
    sender_post_id: str | None = None
    # `ref` in the post's query string (`.../submissions?ref=<code>`): a referral code for
    # pages that put it in the form's action; a `ref` field in the body comes first.
    ref: str | None = None


@dataclass(frozen=True)
class Captured:
    form: FormConfig
    submission_id: str
    lead_id: str | None
    # stored: a new submission; duplicate: the same post again (answered the same way);
    # spam: kept aside, answered like a success; queued: in the fallback queue;
    # test: a sender's test post (Google Ads' "Send test data"), checked, not stored.
    outcome: Literal["stored", "duplicate", "spam", "queued", "test"]
    is_new_lead: bool = False
    next_url: str | None = None  # where `_next` asked to go, if the form allows it


def origin_allowed(form: FormConfig, origin: str | None) -> bool:
    """A browser may post from one of the form's origins; no list means any origin.
    Requests without an Origin header are not from a browser page, so CORS rules don't apply."""
    return not origin or not form.allowed_origins or origin.rstrip("/") in form.allowed_origins


# Control characters (C0, DEL, C1) and white space: never in a URL we send back. urlsplit
# silently drops CR, LF and tab, so a URL that parses well may still split a header.
_NOT_IN_A_URL = re.compile(r"[\x00-\x20\x7f-\x9f\s]")


def origin_of(url: str) -> str | None:
    """`https://www.example.com` of an absolute http(s) URL; None for anything else,
    malformed URLs included (`http://[` is a ValueError to urlsplit)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def redirect_target(url: str | None) -> str | None:
    """The URL itself, exactly as it will be sent in `Location`, when it holds no control
    character or white space; None otherwise: a header never carries CR, LF or NUL."""
    if not url or _NOT_IN_A_URL.search(url):
        return None
    return url


def allowed_next(form: FormConfig, next_url: str) -> str | None:
    """`_next` only to an absolute http(s) URL on one of the form's origins: never an
    open redirect, never a split header."""
    target = redirect_target(next_url)
    return target if target and origin_of(target) in form.allowed_origins else None


class CaptureService:
    """The capture path, with its collaborators passed in (tests pass fakes)."""

    def __init__(self, forms: FormCatalog, store: SubmissionStore, fallback: FallbackQueue | None = None,
                 clock: Callable[[], datetime] = utc_now, *, hasher: PersonalDataHasher,
                 bots: BotCheck | None = None, partners: PartnerCatalog | None = None) -> None:
        self.forms = forms
        self.partners = partners  # None: codes are kept as given, no partner is looked up
        self.store = store
        self.fallback = fallback
        self.clock = clock
        self.hasher = hasher
        self.bots = bots  # None: honeypots and fill time only

    def capture(self, posted: PostedForm) -> Captured:
        """Validate a post and store it exactly once; CaptureError says why not."""
        form = self.forms.get(posted.form_id)
        try:
            return self._capture(form, posted)
        except CaptureError as error:
            error.form = error.form or form
            raise
        except RateLimited as limited:
            retry_after = limited.rate.window_start + limited.rate.window_seconds - int(self.clock().timestamp())
            raise CaptureError.single(429, "rate_limited", message("rate_limited", form.language),
                                      retry_after=min(limited.rate.window_seconds, max(1, retry_after)),
                                      form=form) from None
        except FormCapped as capped:
            retry_after = capped.cap.window_start + capped.cap.window_seconds - int(self.clock().timestamp())
            raise CaptureError.single(429, "form_busy", message("rate_limited", form.language),
                                      retry_after=min(capped.cap.window_seconds, max(1, retry_after)),
                                      form=form) from None

    def _capture(self, form: FormConfig, posted: PostedForm) -> Captured:
        if not origin_allowed(form, posted.origin):
            raise CaptureError.single(403, "origin_not_allowed", message("origin_not_allowed", form.language))
        received_at = self.clock()
        if posted.sender_post_id is not None:
            client, rate = posted.sender_post_id, None
        else:
            client = self._client_key(posted.client_ip)
            rate = _rate_limit(form, client, received_at) if client else None

        raw = posted.fields if posted.fields is not None else parse_form_body(
            posted.body, posted.content_type, posted.is_base64, form.field_map, (form.honeypot_field,))
        post = FormPost.from_fields(raw)
        next_url = allowed_next(form, post.hidden_value("_next")) if post.hidden_value("_next") else None
        reason = spam_reason(form, post, received_at)
        verdict = self.bots.check(form, post, posted.client_ip, received_at) if self.bots and not reason else PASSED
        if reason or verdict.reason:
            return self._spam(form, received_at, reason or verdict.reason or "", post, rate, next_url)
        # A proof that lets the post past the form's cap (when it switches to proof of work).
        optional = self.bots.optional_proof(form, post, received_at) if self.bots else None
        used = verdict.used or (optional.used if optional and optional.passed else None)
        cap = _form_cap(form, received_at) if form.post_cap_per_window and not used else None
        post = without_check_fields(post)

        valid = self._referred(validate_form(form, post), posted.ref)
        submission, lead = build_submission(form, valid, received_at, posted.client_ip)
        if _unverified(verdict, optional):
            submission = submission.model_copy(update={"unverified": True})
        fp = fingerprint(form.form_id, client, post, self.hasher) if client else None
        try:
            recorded = self._record(submission, lead, fp, rate, cap, used)
        except ChallengeReused:
            return self._spam(form, received_at, "proof_reused", post, rate, next_url)
        except FormCapped:
            if not form.proof_when_capped:
                raise
            # Over the cap the form asks for a proof this post lacks: kept for review.
            return self._spam(form, received_at, "proof_missing_while_capped", post, rate, next_url)
        except Exception as error:
            if self.fallback is None or not is_transient(error):
                raise
            # The visitor is waiting and the table can't take it: queue it, say yes.
            self.fallback.put(QueuedSubmission(submission=submission, lead=lead, fingerprint=fp))
            return Captured(form, submission.submission_id, None, "queued", next_url=next_url)
        return Captured(form, recorded.submission_id, recorded.lead_id,
                        "duplicate" if recorded.duplicate else "stored",
                        is_new_lead=recorded.is_new_lead, next_url=next_url)

    def _spam(self, form: FormConfig, received_at: datetime, reason: str, post: FormPost,
              rate: RateLimit | None, next_url: str | None) -> Captured:
        """Stored for review, never scored or notified, answered exactly like a success."""
        try:
            self.store.store_spam(form.form_id, received_at, reason, {**post.values, **post.hidden}, rate)
        except Exception as error:  # a bot's post is not worth a retry or an error page
            if not is_transient(error):
                raise
        return Captured(form, new_id(), None, "spam", next_url=next_url)

    def _referred(self, valid: ValidatedForm, query_ref: str | None) -> ValidatedForm:
        """The post's partner: from its referral form's introduction, else from its `ref`
        (body, then query string). Only a post with a code reads a partner (cached)."""
        source = valid.source
        if query_ref and not source.ref:
            source = source.model_copy(update={"ref": query_ref[:2000]})
        if valid.introduction is not None:
            source, introduction = introduced(source, valid.introduction, self.partners)
            return valid.model_copy(update={"source": source, "introduction": introduction})
        if not source.ref:
            return valid
        return valid.model_copy(update={"source": attribute(source, self.partners)})

    def _client_key(self, client_ip: str | None) -> str | None:
        """A client's IP as a rate-limit key: keyed-hashed, so counters hold no personal
        data. None when the key cannot be read: the post goes through without the rate
        limit and the double-submit check, since losing a person beats letting a bot in."""
        try:
            return self.hasher.hex(Purpose.CLIENT_IP, client_ip or "unknown", 24)
        except KeyUnavailable as error:
            logger.warning("no rate limit or double-submit check for this post: %s", error)
            return None

    def _record(self, submission: Submission, lead: Lead, fp: str | None, rate: RateLimit | None,
                cap: RateLimit | None = None, used: UsedChallenge | None = None) -> Recorded:
        """Once more, then give up (the fallback queue takes it), when a lead or marker
        changed under us or another write got in the way: the same client's concurrent
        post on its rate counter, the same person's on an identity."""
        try:
            return self.store.record_submission(submission, lead, fp, rate=rate, cap=cap, challenge=used)
        except LeadVanished:
            pass
        except ClientError as error:
            if CONFLICT not in cancellation_reasons(error):
                raise
        return self.store.record_submission(submission, lead, fp, rate=rate, cap=cap, challenge=used)


def _rate_limit(form: FormConfig, client: str, now: datetime) -> RateLimit:
    """This minute's counter of the client's posts to the form. When the table cannot be
    written, neither is the counter: the post goes to the fallback queue uncounted, since
    losing a person beats letting a bot in."""
    window = int(now.timestamp()) // RATE_WINDOW_SECONDS * RATE_WINDOW_SECONDS
    return RateLimit(form_id=form.form_id, client_key=client, window_start=window,
                     window_seconds=RATE_WINDOW_SECONDS, limit=form.rate_limit_per_minute)


def _form_cap(form: FormConfig, now: datetime) -> RateLimit:
    """This window's counter of the form's posts from all IPs."""
    seconds = form.post_cap_window_seconds
    window = int(now.timestamp()) // seconds * seconds
    return RateLimit(form_id=form.form_id, client_key="*", window_start=window, window_seconds=seconds,
                     limit=form.post_cap_per_window or 0)


def _unverified(verdict: Verdict, optional: Verdict | None) -> bool:
    return verdict.unverified or bool(optional and optional.unverified)


def record_queued(store: CaptureStore, queued: QueuedSubmission) -> None:
    """Store a submission from the fallback queue; a replay of one already stored is a
    no-op, so the queue's at-least-once delivery stores it exactly once."""
    store.record_submission(queued.submission, queued.lead, queued.fingerprint)

