"""The hot-lead chat message: what a team channel reads, never contact data, every
visitor-typed character escaped for Slack's mrkdwn (leadflow.notification.chat)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from leadflow.notification.chat import chat_message, messages_for, mrkdwn, should_post
from leadflow.shared.models import Temperature

CONSOLE = "https://console.example/v1/console"
HOSTILE_NAME = "<!channel> Eve & <@U024BE7LH> <https://evil.example|click me>\n*Fake line*"


@pytest.fixture
def hot_lead(make_submission, make_lead, make_score):
    submission = make_submission(name="Jane Doe", email="jane@buyer.example", phone="+34600111222",
                                 company="Acme & Sons")
    score = make_score([("intent", 40, "Asked for a quote"), ("size", 25, "Company of 200+"), ("src", 5, "Google")])
    return submission, make_lead(submission, score)


class FakeReads:
    def __init__(self, lead, manager) -> None:
        self.lead, self.manager, self.reads = lead, manager, 0

    def lead_and_manager(self, lead_id, manager_id):
        self.reads += 1
        return (self.lead if self.lead and self.lead.lead_id == lead_id else None,
                self.manager if self.manager and self.manager.manager_id == manager_id else None)


def envelope(assignment) -> dict:
    return {"version": "0", "id": "e1", "detail-type": "Lead Assigned", "source": "leadflow",
            "detail": json.loads(assignment.model_dump_json())}


def test_the_message_names_the_lead_score_reason_manager_and_console_link(hot_lead, make_manager, make_assignment):
    # GIVEN a new hot lead assigned to Olivia
    submission, lead = hot_lead
    manager = make_manager(name="Olivia Stone")
    assignment = make_assignment(submission, manager, 70, Temperature.HOT)
    # WHEN the chat message is made
    text = chat_message(assignment, lead, manager, CONSOLE)["text"]
    # THEN it links the lead's page by its name, says the company (escaped), score, reason, manager
    assert f"<{CONSOLE}/leads/{lead.lead_id}|Jane Doe>" in text
    assert "(Acme &amp; Sons)" in text
    assert "Score 70 · hot · top reason: Asked for a quote" in text
    assert "Manager: Olivia Stone" in text


def test_never_the_email_or_the_phone(hot_lead, make_manager, make_assignment):
    submission, lead = hot_lead
    manager = make_manager()
    message = json.dumps(chat_message(make_assignment(submission, manager, 70, Temperature.HOT), lead, manager,
                                      CONSOLE))
    assert "jane@buyer.example" not in message and "buyer.example" not in message
    assert "600111222" not in message and "+34" not in message


def test_a_hostile_name_stays_text_on_one_line(make_submission, make_lead, make_manager, make_assignment):
    # GIVEN a visitor whose name tries a channel-wide ping, a user mention, a link and a fake line
    submission = make_submission(name=HOSTILE_NAME, email="eve@x.example", company="<script>&</script>")
    lead = make_lead(submission)
    manager = make_manager()
    text = chat_message(make_assignment(submission, manager, 90, Temperature.HOT), lead, manager, "")["text"]
    # THEN none of it is markup: every < > & is escaped, and it cannot start a line of its own
    assert "<!channel>" not in text and "<@U024BE7LH>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt; Eve &amp; &lt;@U024BE7LH&gt;" in text
    assert "(&lt;script&gt;&amp;&lt;/script&gt;)" in text
    assert len(text.splitlines()) == 3 and not any(line.startswith("*Fake") for line in text.splitlines())
    # AND without a console URL there is no link at all: not one `<` is left
    assert "<" not in text


def test_mrkdwn_cuts_long_labels_before_escaping():
    assert mrkdwn("a" * 200).endswith("…") and len(mrkdwn("a" * 200)) == 80
    assert mrkdwn("  R&D\t<team>  ") == "R&amp;D &lt;team&gt;"


@pytest.mark.parametrize(("temperature", "previous", "reassigned", "imported", "posts"), [
    (Temperature.HOT, None, None, False, True),  # a new hot lead
    (Temperature.HOT, Temperature.WARM, None, False, True),  # warmed up
    (Temperature.HOT, Temperature.HOT, None, False, False),  # already hot: its manager hears of visits
    (Temperature.HOT, Temperature.HOT, "m-old", False, True),  # changed hands
    (Temperature.HOT, None, None, True, False),  # a CSV import's lead: its summary says it
    (Temperature.WARM, None, None, False, False),
])
def test_which_assignments_post(make_submission, make_manager, make_assignment, temperature, previous, reassigned,
                                imported, posts):
    assignment = make_assignment(make_submission(), make_manager(), 70, temperature).model_copy(
        update={"previous_temperature": previous, "reassigned_from": reassigned, "imported": imported})
    assert should_post(assignment) is posts


def test_the_pipe_enrichment_reads_only_and_repeats_itself(hot_lead, make_manager, make_assignment):
    # GIVEN the pipe's SQS record of a hot lead's `Lead Assigned`
    submission, lead = hot_lead
    manager = make_manager()
    record = {"messageId": "m1", "body": json.dumps(envelope(make_assignment(submission, manager, 70,
                                                                             Temperature.HOT)))}
    reads = FakeReads(lead, manager)
    # WHEN it is delivered twice (a retry after the chat failed)
    first, second = messages_for([record], reads, CONSOLE), messages_for([record], reads, CONSOLE)
    # THEN both make the same one message (the consumer is idempotent: it writes nothing)
    assert first == second and len(first) == 1


def test_an_erased_or_missing_lead_posts_nothing(hot_lead, make_manager, make_assignment):
    submission, lead = hot_lead
    manager = make_manager()
    record = {"body": json.dumps(envelope(make_assignment(submission, manager, 70, Temperature.HOT)))}
    assert messages_for([record], FakeReads(None, manager), CONSOLE) == []
    erased = lead.model_copy(update={"erased_at": datetime(2026, 3, 15, tzinfo=timezone.utc)})
    assert messages_for([record], FakeReads(erased, manager), CONSOLE) == []
