"""SES's bounces and complaints, through the stack's configuration set and the default
bus: a manager whose address cannot receive email is marked and the admins told once;
visitors' bounces, soft bounces and another stack's events change nothing.

The local SES plays SES's mailbox simulator (leadflow_local.moto_patches.ses_events):
mail to bounce@simulator.amazonses.com bounces, to complaint@… draws a complaint."""

import json
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from leadflow.notification.mailer import Email, Mailer
from leadflow_local.stack import LocalStack
from support import post_hot_lead, stores_of

ADMINS = "admins@sales.example.com"


@pytest.fixture
def stack(deploy_stack: Any) -> LocalStack:
    return deploy_stack(parameters={"AdminEmail": ADMINS})


def sent(stack: LocalStack) -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][stack.region].sent_messages)


def give_every_manager(stack: LocalStack, simulator: str) -> None:
    """Each manager's address becomes the simulator's, with their id as its label."""
    roster = stores_of(stack).roster
    for manager in roster.managers():
        roster.put(manager.model_copy(update={"email": f"{simulator}+{manager.manager_id}@simulator.amazonses.com"}))


def marked(stack: LocalStack) -> dict[str, str]:
    return {m.manager_id: m.email_status for m in stores_of(stack).roster.managers() if m.email_status}


def feedback_to_notify(stack: LocalStack) -> list[dict[str, Any]]:
    """Record the SES events the bus delivers to notify (and let notify handle them)."""
    seen: list[dict[str, Any]] = []
    handler = stack.functions["NotifyFunction"]

    def recording(event: dict[str, Any], context: Any) -> Any:
        if event.get("source") == "aws.ses":
            seen.append(event)
        return handler(event, context)

    stack.functions["NotifyFunction"] = recording
    return seen


@pytest.mark.parametrize(("simulator", "what"), [("bounce", "bounced for good"),
                                                 ("complaint", "complained about our email")])
def test_a_manager_whose_address_bounces_or_complains_is_marked_and_the_admins_told_once(stack, simulator, what):
    # GIVEN managers whose addresses bounce (or complain)
    give_every_manager(stack, simulator)
    seen = feedback_to_notify(stack)

    # WHEN a hot lead is assigned and its manager emailed (SES reports on the default bus)
    lead_id = post_hot_lead(stack)

    # THEN that manager, and only they, are marked, and the admins have one alert naming them
    manager_id = stores_of(stack).lifecycle.get_lead(lead_id).manager_id
    assert marked(stack) == {manager_id: "suppressed"}
    assert len(seen) == 1 and seen[0]["detail"]["mail"]["tags"]["audience"] == ["manager"]
    alerts = [m for m in sent(stack) if m.destinations["ToAddresses"] == [ADMINS]]
    assert len(alerts) == 1 and manager_id in alerts[0].body and what in alerts[0].body

    # WHEN the same report is delivered again (EventBridge delivers at least once)
    stack.invoke("NotifyFunction", seen[0])

    # THEN nothing more is sent
    assert len([m for m in sent(stack) if m.destinations["ToAddresses"] == [ADMINS]]) == 1
    assert stack.failures == []


def test_a_marked_manager_gets_no_more_lead_emails(stack):
    give_every_manager(stack, "bounce")
    lead_id = post_hot_lead(stack)
    manager_id = stores_of(stack).lifecycle.get_lead(lead_id).manager_id
    to_manager = [m for m in sent(stack) if m.destinations["ToAddresses"] != [ADMINS]]

    # WHEN the same person comes back (a new submission for the same manager)
    post_hot_lead(stack)

    # THEN the manager was not emailed again
    assert [m for m in sent(stack) if m.destinations["ToAddresses"] != [ADMINS]] == to_manager
    assert marked(stack) == {manager_id: "suppressed"}


def test_a_visitors_bounce_is_left_to_ses_and_wakes_nobody(stack):
    # GIVEN an email to a visitor that bounces, sent through the stack's configuration set
    seen = feedback_to_notify(stack)
    configuration_set = stack.resolve({"Ref": "MailConfigurationSet"})
    mailer = Mailer(stack.parameters["SenderEmail"], configuration_set, stack.client("sesv2"))
    mailer.send(Email(audience="visitor", to="bounce@simulator.amazonses.com", subject="Thanks", text="t", html="h"))

    # WHEN the bus is pumped
    stack.drain()

    # THEN the rule did not pass it on: nobody is marked
    assert seen == [] and marked(stack) == {}


def test_another_stacks_bounces_are_not_ours(stack):
    # GIVEN another configuration set in the account, publishing to the same default bus
    from leadflow_local.moto_patches import add_event_destination

    seen = feedback_to_notify(stack)
    stack.client("sesv2").create_configuration_set(ConfigurationSetName="other-stack-mail")
    add_event_destination(DEFAULT_ACCOUNT_ID, stack.region, "other-stack-mail", {
        "Name": "bounces", "Enabled": True, "MatchingEventTypes": ["bounce"],
        "EventBridgeDestination": {"EventBusArn": f"arn:aws:events:{stack.region}:{DEFAULT_ACCOUNT_ID}:event-bus/default"}})
    give_every_manager(stack, "bounce")
    olivia = stores_of(stack).roster.get("m-olivia")

    # WHEN that stack's email to the same address (tagged for a manager) bounces
    Mailer(stack.parameters["SenderEmail"], "other-stack-mail", stack.client("sesv2")).send(
        Email(audience="manager", to=olivia.email, subject="Lead", text="t", html="h"))
    stack.drain()

    # THEN this stack's notify never hears of it
    assert seen == [] and marked(stack) == {}


def test_a_soft_bounce_marks_nobody(stack):
    seen = feedback_to_notify(stack)
    give_every_manager(stack, "bounce")
    olivia = stores_of(stack).roster.get("m-olivia")
    configuration_set = stack.resolve({"Ref": "MailConfigurationSet"})
    detail = {"eventType": "Bounce",
              "mail": {"messageId": "m-1", "tags": {"audience": ["manager"], "ses:configuration-set": [configuration_set]}},
              "bounce": {"bounceType": "Transient", "bounceSubType": "MailboxFull",
                         "bouncedRecipients": [{"emailAddress": olivia.email}]}}

    stack.client("events").put_events(Entries=[{"Source": "aws.ses", "DetailType": "Email Bounced",
                                                "Detail": json.dumps(detail)}])
    stack.drain()

    # THEN notify heard of it (the rule passes it) and let it be: a full mailbox is no dead address
    assert len(seen) == 1 and marked(stack) == {} and sent(stack) == []
