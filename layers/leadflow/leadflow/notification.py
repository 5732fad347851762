"""Telling a manager about the lead they were given."""

from __future__ import annotations

from leadflow.emails import render_assignment_email
from leadflow.mailer import Mailer
from leadflow.models import LeadAssigned
from leadflow.repository import LeadRepository


def notify_manager(assignment: LeadAssigned, repository: LeadRepository, mailer: Mailer,
                   console_url: str = "") -> str:
    """Email the assigned manager everything needed to call the lead; returns the message id."""
    lead, submission, manager = repository.get_assignment_context(
        assignment.lead_id, assignment.received_at, assignment.submission_id, assignment.manager_id,
    )
    return mailer.send(render_assignment_email(lead, submission, manager, assignment, console_url))
