"""Referral partners without AWS: codes and links, the admin checks, the visit's `ref`
as posts carry it, the partner cache, and a referral form's introduction."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.capture.fields import FormPost
from leadflow.capture.validation import validate_form
from leadflow.referrals import partner_admin
from leadflow.referrals.attribution import PartnerCatalog, attribute, code_of
from leadflow.referrals.introduction import introduced, read_introduction
from leadflow.shared.models import FormConfig, Partner, PartnerKind, Source
from leadflow.shared.refusal import Invalid

GROUP = Partner(partner_id="bni-downtown", name="BNI Downtown", kind=PartnerKind.GROUP)
MARIA = Partner(partner_id="maria-lopez", name="María", kind=PartnerKind.MEMBER, group_id="bni-downtown",
                email="maria@lopez.example.com")


class CountingPartners:
    """A partner store that counts its reads."""

    def __init__(self, *partners: Partner) -> None:
        self.partners = {p.partner_id: p for p in partners}
        self.gets: list[str] = []
        self.lists = 0

    def get(self, partner_id: str, *, consistent: bool = True) -> Partner | None:
        self.gets.append(partner_id)
        return self.partners.get(partner_id)

    def list(self) -> list[Partner]:
        self.lists += 1
        return list(self.partners.values())


@pytest.mark.parametrize(("ref", "code"), [
    ("maria-lopez", "maria-lopez"), (" Maria-Lopez ", "maria-lopez"), ("BNI_1", "bni_1"),
    ("x", None), ("-lead", None), ("a" * 41, None), ("<script>", None), ("maria lopez", None), ("", None)])
def test_a_ref_names_a_code_only_when_it_could_be_one(ref, code):
    assert code_of(ref) == code


def test_the_catalog_reads_a_partner_once_a_minute_and_unknown_codes_too():
    store = CountingPartners(MARIA)
    catalog = PartnerCatalog(store)

    assert catalog.find("maria-lopez") == catalog.find("maria-lopez") == MARIA
    assert catalog.find("nobody") is None and catalog.find("nobody") is None
    assert store.gets == ["maria-lopez", "nobody"]
    assert catalog.find_by_email("maria@lopez.example.com") == MARIA
    assert catalog.find_by_email("other@x.example.com") is None and store.lists == 1


def test_a_source_without_ref_is_left_alone_and_reads_nothing():
    store = CountingPartners(MARIA)
    source = Source(form_id="demo", utm_medium="email")

    assert attribute(source, PartnerCatalog(store)) is source
    assert store.gets == []


def test_attribution_known_unknown_inactive_and_unreadable():
    catalog = PartnerCatalog(CountingPartners(MARIA, Partner(partner_id="gone", name="Gone", active=False)))

    known = attribute(Source(form_id="f", ref="Maria-Lopez"), catalog)
    unknown = attribute(Source(form_id="f", ref="who-is-this"), catalog)
    inactive = attribute(Source(form_id="f", ref="gone"), catalog)
    garbage = attribute(Source(form_id="f", ref="x" * 500), catalog)

    assert (known.ref, known.partner_id, known.partner_group, known.partner_flag, known.channel) == (
        "Maria-Lopez", "maria-lopez", "bni-downtown", None, "referral")
    assert (unknown.ref, unknown.partner_id, unknown.partner_flag) == ("who-is-this", None, "unknown")
    assert (inactive.partner_id, inactive.partner_flag) == ("gone", "inactive")
    assert (len(garbage.ref or ""), garbage.partner_flag) == (100, "unknown")


@pytest.mark.parametrize("fields", [
    {"ref": "maria-lopez"}, {"_ref": "maria-lopez"}, {"Referral Code": "maria-lopez"}, {"fpr": "maria-lopez"},
    {"ps_partner_key": "maria-lopez"}, {"partner-code": "maria-lopez"}])
def test_a_post_carries_its_ref_under_the_names_tools_give_it(fields):
    valid = validate_form(FormConfig(form_id="f", name="F"), {"name": "Ana", "email": "ana@x.example.com", **fields})

    assert valid.source.ref == "maria-lopez" and valid.source.channel == "referral"
    assert "ref" not in valid.extra and "referral_code" not in valid.extra


def test_a_ref_and_a_utm_medium_mean_referral_whatever_the_medium():
    valid = validate_form(FormConfig(form_id="f", name="F"),
                          {"name": "Ana", "email": "ana@x.example.com", "ref": "x1", "utm_medium": "cpc"})

    assert valid.source.channel == "referral"


# -- the referral form ----------------------------------------------------------------------------------


def test_an_introduction_is_read_with_its_aliases_and_a_consent_method_from_the_list():
    values = FormPost.from_fields({"Partner Email": " Maria@Lopez.example.com ", "Note": "Warm intro",
                                   "consent_how": "Asked in writing", "consent_details": "by email"}).values

    intro, problems = read_introduction(values, None)

    assert problems == []
    assert intro is not None
    assert (intro.referred_by, intro.note, intro.consent_method, intro.consent_note) == (
        "maria@lopez.example.com", "Warm intro", "asked_in_writing", "by email")


@pytest.mark.parametrize(("values", "ref", "problems"), [
    ({}, None, [("referred_by", "referred_by_required"), ("consent_method", "consent_method_required")]),
    ({"consent_method": "other"}, "maria-lopez", []),
    ({"referred_by": "bad@", "consent_method": "other"}, None, [("referred_by", "invalid_email")]),
    ({"referred_by": "maria-lopez", "consent_method": "mind reading"}, None,
     [("consent_method", "consent_method_required")]),
])
def test_an_introduction_needs_its_partner_and_a_consent_method(values, ref, problems):
    assert read_introduction(values, ref)[1] == problems


def test_a_partner_email_becomes_its_code_never_the_ref_itself():
    catalog = PartnerCatalog(CountingPartners(MARIA))
    intro, _ = read_introduction({"referred_by": "maria@lopez.example.com", "consent_method": "other"}, None)
    lost, _ = read_introduction({"referred_by": "nobody@x.example.com", "consent_method": "other"}, None)
    assert intro is not None and lost is not None

    source, found = introduced(Source(form_id="refer"), intro, catalog)
    unknown_source, unknown = introduced(Source(form_id="refer"), lost, catalog)

    assert (source.ref, source.partner_id, found.partner_id, source.channel) == (
        "maria-lopez", "maria-lopez", "maria-lopez", "referral")
    assert (unknown_source.ref, unknown_source.partner_flag, unknown.partner_id) == ("@unknown-email", "unknown", None)


def test_a_referral_forms_introduction_fields_are_not_kept_as_custom_fields():
    form = FormConfig(form_id="refer", name="Refer", referral_form=True)

    valid = validate_form(form, {"name": "Ana", "email": "ana@x.example.com", "referred_by": "maria-lopez",
                                 "introduction": "Meet Ana", "consent_method": "asked_by_phone", "budget": "5k"})

    assert valid.extra == {"budget": "5k"}
    assert valid.introduction is not None and valid.introduction.note == "Meet Ana"
    assert valid.source.ref is None  # set with the partner, once capture looked them up (introduced)


# -- admins' checks and links ---------------------------------------------------------------------------


class MemoryPartners(CountingPartners):
    def create(self, partner: Partner) -> bool:
        if partner.partner_id in self.partners:
            return False
        self.partners[partner.partner_id] = partner
        return True

    def update(self, partner_id: str, fields: dict[str, Any], remove: list[str]) -> Partner | None:
        current = self.partners.get(partner_id)
        if current is None:
            return None
        values = {k: v for k, v in {**current.model_dump(mode="json"), **fields}.items() if k not in remove}
        self.partners[partner_id] = Partner.model_validate(values)
        return self.partners[partner_id]


def new(**values: Any) -> partner_admin.NewPartner:
    return partner_admin.NewPartner.model_validate({"partner_id": "p-one", "name": "One", **values})


def test_a_code_is_lower_cased_and_an_email_normalized_on_the_way_in():
    store = MemoryPartners(GROUP)

    created = partner_admin.create_partner(store, new(partner_id="P-One", email="One@X.Example.com",
                                                      group_id="BNI-DOWNTOWN", kind="member"), now=None)  # type: ignore[arg-type]

    assert (created.partner_id, created.email, created.group_id) == ("p-one", "one@x.example.com", "bni-downtown")
    with pytest.raises(partner_admin.PartnerExists):
        partner_admin.create_partner(store, new(partner_id="p-ONE"), now=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("values", "field", "code"), [
    ({"group_id": "maria-lopez"}, "group_id", "unknown_group"),
    ({"group_id": "p-one"}, "group_id", "unknown_group"),
    ({"kind": "group", "group_id": "bni-downtown"}, "group_id", "group_in_group"),
    ({"email": "nope"}, "email", "invalid_email"),
])
def test_a_partner_breaking_a_rule_is_refused_naming_its_field(values, field, code):
    with pytest.raises(Invalid) as refused:
        partner_admin.create_partner(MemoryPartners(GROUP, MARIA), new(**values), now=None)  # type: ignore[arg-type]

    assert [(e.field, e.code) for e in refused.value.errors] == [(field, code)]


def test_a_group_with_members_cannot_stop_being_a_group_until_they_move():
    store = MemoryPartners(GROUP, MARIA)

    with pytest.raises(Invalid) as refused:
        partner_admin.update_partner(store, "bni-downtown", partner_admin.PartnerChanges(kind="agency"))
    partner_admin.update_partner(store, "maria-lopez", partner_admin.PartnerChanges(group_id=None))

    assert refused.value.errors[0].code == "group_has_members"
    assert partner_admin.update_partner(store, "bni-downtown", partner_admin.PartnerChanges(kind="agency")).kind == "agency"


@pytest.mark.parametrize(("page", "link"), [
    ("https://www.example.com", "https://www.example.com/?ref=maria-lopez"),
    ("https://www.example.com/offer?utm_source=card&ref=old#form",
     "https://www.example.com/offer?utm_source=card&ref=maria-lopez#form"),
])
def test_a_referral_link_adds_the_code_to_any_landing_page(page, link):
    assert partner_admin.referral_link("Maria-Lopez", page) == link


@pytest.mark.parametrize("page", ["/offer", "ftp://x.example.com/", "https://", "javascript:alert(1)",
                                  "https://www.example.com/a b"])
def test_a_referral_link_needs_an_absolute_http_page(page):
    with pytest.raises(partner_admin.InvalidPage):
        partner_admin.referral_link("maria-lopez", page)


def test_the_default_page_is_a_forms_first_origin_else_the_link_says_why_not():
    class Forms:
        def __init__(self, *forms: FormConfig) -> None:
            self.forms = list(forms)

        def list_forms(self) -> list[FormConfig]:
            return self.forms

    with_origin = Forms(FormConfig(form_id="b", name="B", allowed_origins=["https://b.example.com"]),
                        FormConfig(form_id="a", name="A"))

    assert partner_admin.link_for("maria-lopez", None, with_origin) == ("https://b.example.com/?ref=maria-lopez", None)
    link, note = partner_admin.link_for("maria-lopez", None, Forms(FormConfig(form_id="a", name="A")))
    assert link is None and note and "--page" in note


def test_the_qr_code_is_an_svg_or_a_png_of_the_link():
    svg = partner_admin.qr_code("https://www.example.com/?ref=maria-lopez", "svg")
    png = partner_admin.qr_code("https://www.example.com/?ref=maria-lopez", "png")

    assert svg.startswith(b"<svg") and b"<path" in svg
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
