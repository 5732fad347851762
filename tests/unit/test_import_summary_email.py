"""The one email a manager gets about a CSV import: their new leads, hottest first, in
their language, everything the file held escaped."""

from __future__ import annotations

from leadflow.notification import render
from leadflow.notification.render import render_import_summary_email
from leadflow.shared.models import Temperature


def test_the_summary_lists_the_managers_new_leads_in_their_language(make_manager, make_submission, make_lead,
                                                                      make_score):
    manager = make_manager(name="Diego", languages=["es", "en"])
    hot = make_lead(make_submission(lead_id="l-hot", name="Ana <b>Ruiz</b>", email="ana@acme.com", company="Acme"),
                    make_score([("quote", 80, "wants a quote")]))
    cold = make_lead(make_submission(lead_id="l-cold", name="Bo Li", phone="+14155550100"),
                     make_score([("ebook", 5, "ebook")], Temperature.COLD))

    email = render_import_summary_email(manager, "Feria <2026>", [hot, cold], "https://console.example.com/")

    assert (email.to, email.audience) == (manager.email, "manager")
    assert email.subject == "2 leads nuevos para ti de una importación (Feria <2026>)"
    assert "Ana &lt;b&gt;Ruiz&lt;/b&gt;" in email.html and "<b>Ruiz" not in email.html
    assert "Feria &lt;2026&gt;" in email.html
    assert 'href="https://console.example.com/leads/l-hot"' in email.html
    assert email.text.index("Ana <b>Ruiz</b>") < email.text.index("Bo Li")  # in the order given: hottest first
    assert "[HOT 80]" in email.text and "[COLD 5]" in email.text and 'lang="es"' in email.html


def test_a_long_import_lists_the_first_leads_and_counts_the_rest(make_manager, make_submission, make_lead,
                                                                 monkeypatch):
    monkeypatch.setattr(render, "MAX_LISTED_IMPORTED", 2)
    leads = [make_lead(make_submission(lead_id=f"l{n}", name=f"Person {n}", email=f"p{n}@x.com")) for n in range(5)]

    email = render_import_summary_email(make_manager(), "Expo", leads)

    assert email.subject.startswith("5 new leads for you")
    assert "Person 1" in email.text and "Person 2" not in email.text
    assert "… and 3 more in your queue." in email.text


class _Roster:
    def __init__(self, managers):
        self.by_id = {m.manager_id: m for m in managers}

    def get(self, manager_id):
        return self.by_id.get(manager_id)


class _RefusingMailer:
    def __init__(self):
        self.tried = []

    def send(self, email):
        from leadflow.notification.mailer import MailRejected

        self.tried.append(email.to)
        raise MailRejected("MessageRejected", "Email address is not verified.")


def test_a_summary_ses_refuses_for_good_does_not_stop_the_others_and_a_suppressed_address_gets_none(
        make_manager, make_submission, make_lead):
    from leadflow.capture.importing.store import ImportRecord
    from leadflow.notification.import_summary import ImportSummaries

    unverified, bounced = make_manager(), make_manager(email_status="suppressed")
    mailer = _RefusingMailer()
    summaries = ImportSummaries(_Roster([unverified, bounced]), mailer)
    record = ImportRecord(import_id="i", form_id="expo", created_at="2026-12-01T10:00:00Z", created_by="cli",
                          rows=1, to_store=1, chunks=1, refused=0)
    lead = make_lead(make_submission(name="Ana", email="ana@x.com"))

    summaries(record, None, unverified.manager_id, [lead])  # logged, not raised: no retry can fix it
    summaries(record, None, bounced.manager_id, [lead])
    summaries(record, None, "m-gone", [lead])

    assert mailer.tried == [unverified.email]
