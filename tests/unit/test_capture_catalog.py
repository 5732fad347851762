"""FormCatalog (per-container cache of form configs) and the capture service, against fakes."""

from __future__ import annotations

import json

import pytest

from leadflow.capture import service as capture_service
from leadflow.capture.errors import CaptureError
from leadflow.capture.service import CaptureService, FormCatalog, PostedForm
from leadflow.capture.store import RateLimit, Recorded
from leadflow.shared.hashing import PersonalDataHasher
from leadflow.shared.models import FormConfig, Lead, Submission
from leadflow.shared.secrets import StaticKeys

HASHER = PersonalDataHasher(StaticKeys(b"k" * 32))


class FakeRepository:
    """Just enough of the capture store: get_form counts its calls, record_submission keeps what it got."""

    def __init__(self, forms: dict[str, FormConfig] | None = None) -> None:
        self.forms = dict(forms or {})
        self.get_form_calls: list[str] = []
        self.recorded: list[tuple[Submission, Lead]] = []

    def get_form(self, form_id: str) -> FormConfig | None:
        self.get_form_calls.append(form_id)
        return self.forms.get(form_id)

    def record_submission(self, submission: Submission, lead: Lead, fingerprint: str | None = None, *,
                          rate: RateLimit | None = None, **guards: object) -> Recorded:
        self.recorded.append((submission, lead))
        return Recorded(submission_id=submission.submission_id, lead_id=lead.lead_id, is_new_lead=True)


class FakeClock:
    """Stands in for the `time` module inside leadflow.capture.service."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(capture_service, "time", fake)
    return fake


@pytest.fixture
def repository(make_form) -> FakeRepository:
    return FakeRepository({
        "spring": make_form(form_id="spring", thank_you_url="https://acme.io/thanks"),
        "old": make_form(form_id="old", enabled=False),
    })


def test_known_enabled_form_is_returned(repository) -> None:
    form = FormCatalog(repository).get("spring")

    assert form.form_id == "spring"
    assert repository.get_form_calls == ["spring"]


def test_unknown_form_is_a_404(repository) -> None:
    with pytest.raises(CaptureError) as caught:
        FormCatalog(repository).get("nope")

    assert caught.value.status == 404
    assert [(e.field, e.code) for e in caught.value.errors] == [("form_id", "form_not_found")]


def test_disabled_form_is_a_410(repository) -> None:
    with pytest.raises(CaptureError) as caught:
        FormCatalog(repository).get("old")

    assert caught.value.status == 410
    assert [(e.field, e.code) for e in caught.value.errors] == [("form_id", "form_disabled")]


def test_a_burst_of_posts_reads_the_form_once(repository, clock) -> None:
    catalog = FormCatalog(repository, ttl_seconds=60)

    forms = []
    for _ in range(50):
        forms.append(catalog.get("spring"))
        clock.now += 1  # 50 posts over 50 seconds, all within the TTL

    assert repository.get_form_calls == ["spring"]
    assert all(f.form_id == "spring" for f in forms)


def test_each_form_is_cached_separately(repository, clock) -> None:
    catalog = FormCatalog(repository)

    catalog.get("spring")
    with pytest.raises(CaptureError):
        catalog.get("old")
    catalog.get("spring")
    with pytest.raises(CaptureError):
        catalog.get("old")

    assert repository.get_form_calls == ["spring", "old"]


def test_an_edit_shows_once_the_ttl_has_passed(repository, clock, make_form) -> None:
    # GIVEN a cached, enabled form
    catalog = FormCatalog(repository, ttl_seconds=60)
    catalog.get("spring")

    # WHEN an admin disables it
    repository.forms["spring"] = make_form(form_id="spring", enabled=False)

    # THEN the cached config still serves until the TTL passes ...
    clock.now += 60
    assert catalog.get("spring").enabled is True
    assert repository.get_form_calls == ["spring"]

    # ... and then the edit shows: the form is refused with a 410
    clock.now += 1
    with pytest.raises(CaptureError) as caught:
        catalog.get("spring")
    assert caught.value.status == 410
    assert repository.get_form_calls == ["spring", "spring"]


def test_a_form_created_after_a_404_is_found_once_the_ttl_has_passed(repository, clock, make_form) -> None:
    catalog = FormCatalog(repository, ttl_seconds=60)
    with pytest.raises(CaptureError):
        catalog.get("new")

    repository.forms["new"] = make_form(form_id="new")
    clock.now += 61

    assert catalog.get("new").form_id == "new"
    assert repository.get_form_calls == ["new", "new"]


# -- the capture service -------------------------------------------------------------------------


def test_capture_stores_a_valid_post(repository, received_at) -> None:
    body = json.dumps({"name": "Ana Pérez", "email": "Ana@Acme.io", "interest": "Quote"})

    service = CaptureService(FormCatalog(repository), repository, clock=lambda: received_at, hasher=HASHER)
    captured = service.capture(PostedForm(form_id="spring", body=body, content_type="application/json"))

    assert len(repository.recorded) == 1
    submission, lead = repository.recorded[0]
    assert captured.submission_id == submission.submission_id and captured.outcome == "stored"
    assert captured.form.form_id == "spring"
    assert submission.lead_id == lead.lead_id
    assert submission.contact.email == "ana@acme.io"
    assert submission.interest == "quote"
    assert submission.received_at == received_at


@pytest.mark.parametrize(
    ("form_id", "body", "content_type", "status"),
    [
        ("nope", '{"name": "Ana", "email": "ana@acme.io"}', "application/json", 404),
        ("old", '{"name": "Ana", "email": "ana@acme.io"}', "application/json", 410),
        ("spring", "{not json", "application/json", 400),
        ("spring", "name=Ana", "text/plain", 415),
        ("spring", '{"email": "ana@acme.io"}', "application/json", 422),
        ("spring", "name=Ana&email=not-an-email", "application/x-www-form-urlencoded", 422),
    ],
)
def test_nothing_is_stored_unless_the_whole_post_is_valid(repository, form_id, body, content_type, status) -> None:
    with pytest.raises(CaptureError) as caught:
        CaptureService(FormCatalog(repository), repository, hasher=HASHER).capture(
            PostedForm(form_id=form_id, body=body, content_type=content_type))

    assert caught.value.status == status
    assert repository.recorded == []


def test_posts_to_many_unknown_forms_do_not_grow_the_cache_without_bound():
    from leadflow.capture.service import MAX_CACHED_FORMS

    class NoForms:
        def get_form(self, form_id):
            return None

    catalog = FormCatalog(NoForms())  # type: ignore[arg-type]
    for n in range(MAX_CACHED_FORMS * 2 + 5):
        with pytest.raises(CaptureError):
            catalog.get(f"random-{n}")
    assert len(catalog._cache) <= MAX_CACHED_FORMS
