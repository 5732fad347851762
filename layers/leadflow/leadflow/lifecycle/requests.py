"""What the leads API is asked to do to a lead, and what every action answers: the
bodies of the lifecycle's routes (validated by Powertools from these models, which
also make the OpenAPI document)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from leadflow.lifecycle.transitions import MAX_NOTE_LENGTH
from leadflow.shared.events import LeadStatusChanged
from leadflow.shared.http import IsoDay
from leadflow.shared.models import Activity, Lead, LeadStatus, RejectionReason

NOTE = Field(default=None, max_length=MAX_NOTE_LENGTH, description="free text kept in the lead's history")


# Each body's example is in the document, where clients and the contract test read it.
class StatusChange(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "contacted",
                                                               "note": "Called: wants a quote by Friday"}]})

    status: LeadStatus = Field(description="where the lead goes; see the transitions in the description")
    reason: RejectionReason | None = Field(default=None, description="required when rejecting, else absent")
    note: str | None = NOTE
    follow_up_on: IsoDay | None = Field(default=None, description="required when postponing (a day after today), "
                                                                 "else absent")


class NoteInput(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "Sent the quote"}]})

    text: str = Field(min_length=1, max_length=MAX_NOTE_LENGTH)


class Rejection(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "no_budget", "note": "Back in Q3"}]})

    reason: RejectionReason
    note: str | None = NOTE
    # Strict: a boolean only, as the document says (pydantic would also take 0, 1, "yes").
    farewell: bool = Field(default=False, strict=True,
                           description="email the person a short goodbye with a questionnaire link")


class Postponement(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"follow_up_on": "2027-01-04",
                                                               "note": "Call after the holidays"}]})

    follow_up_on: IsoDay = Field(description="the day the lead comes back to its manager (after today)")
    note: str | None = NOTE


class Conversion(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"note": "Signed the yearly plan"}]})

    note: str | None = NOTE


class LeadChangeResult(BaseModel):
    """What every action on a lead answers: the lead now, and what was done."""

    lead: Lead
    change: LeadStatusChanged | None = Field(default=None, description="the status change (as published on the "
                                                                       "bus as `Lead Status Changed`)")
    note: Activity | None = Field(default=None, description="the note added to the history")
    contact_id: str | None = Field(default=None, description="converted: the contact created from the lead")
