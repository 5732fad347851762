"""A lead whose phone has a country code keeps that country, marked as derived, when its
form asked none (issue 17): in the card, the CSV, the scoring; a country the person gave
wins over it."""

from leadflow.capture.validation import build_submission, validate_form
from leadflow.reporting.export import CSV_COLUMNS, csv_row
from leadflow.routing.facts import lead_country, merged_contact
from leadflow.shared.clock import utc_now
from leadflow.shared.models import ContactCard, FormConfig

FORM = FormConfig(form_id="demo", name="Demo")


def test_the_phones_country_is_kept_marked_as_derived():
    valid = validate_form(FORM, {"name": "Amy Pond", "phone": "+44 20 7946 0958"})
    assert (valid.contact.country, valid.contact.country_from) == ("GB", "phone")


def test_a_country_the_person_gave_is_kept_as_given():
    valid = validate_form(FORM, {"name": "Amy Pond", "phone": "+44 20 7946 0958", "country": "IE"})
    assert (valid.contact.country, valid.contact.country_from) == ("IE", None)
    assert validate_form(FORM, {"name": "Amy Pond", "email": "amy@example.com"}).contact.country is None


def test_the_derived_country_shows_in_the_csv_export():
    valid = validate_form(FORM, {"name": "Amy Pond", "phone": "+44 20 7946 0958"})
    _, lead = build_submission(FORM, valid, utc_now())
    assert dict(zip(CSV_COLUMNS, csv_row(lead), strict=True))["country"] == "GB"


def test_a_later_visits_derived_country_does_not_replace_the_one_the_person_gave():
    stated = ContactCard(name="Amy Pond", phone="+442079460958", country="IE")
    valid = validate_form(FORM, {"name": "Amy Pond", "phone": "+44 20 7946 0958"})
    later, _ = build_submission(FORM, valid, utc_now())
    merged = merged_contact(later, stated)
    assert (merged.country, merged.country_from, lead_country(merged)) == ("IE", None, "IE")
