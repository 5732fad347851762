"""The roster as admins keep it: list the managers with their load, read one, add one,
change one. The admin API and the `leadflow` command are two doors to these functions.

A change writes the attributes sent and nothing else (an UpdateItem, never a Put of
the whole manager read a moment before): `open_leads` and `last_assigned_at` move with
every assignment (leadflow.routing.roster), and an admin's edit must not put back the
numbers it read. A new email address clears `email_status`: the status was about the
old address (bounced, suppressed), and the new one deserves its chance."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from leadflow.capture.contact import InvalidContact, normalize_email
from leadflow.capture.fields import clean_text
from leadflow.shared.http import NOT_SENT, WHOLE_NUMBER, FieldError, IsoDay
from leadflow.shared.models import Manager
from leadflow.shared.refusal import Conflict, Invalid, NotFound, field_errors

MANAGER_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

ManagerId = Annotated[str, Field(pattern=MANAGER_ID_PATTERN, description="letters, digits, `-` and `_`",
                                 examples=["m-olivia"])]
PersonName = Annotated[str, Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(min_length=3, max_length=254, description="where their lead emails go"),
                  WithJsonSchema({"type": "string", "format": "email", "minLength": 3, "maxLength": 254})]
Tier = Annotated[int, Field(ge=1, le=3, description="1: the best closers (hot leads go to them first), 3: beginners"),
                 WHOLE_NUMBER]
Territory = Annotated[str, Field(pattern=r"^[A-Za-z]{2}$", description="an ISO 3166 country code"),
                      AfterValidator(str.upper)]
Language = Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$", description="a language they "
                                "read (`en`, `es`...)"), AfterValidator(str.lower)]
Territories = Annotated[list[Territory], Field(max_length=250, description="countries they cover (none: any)")]
Languages = Annotated[list[Language], Field(min_length=1, max_length=20)]
Capacity = Annotated[int, Field(ge=0, le=100_000, description="open leads at most (assigned, contacted, qualified, "
                                                             "postponed)"), WHOLE_NUMBER]
LeaveUntil = Annotated[IsoDay, Field(strict=False, description="away through this UTC day, included: no new leads "
                                                               "until after it")]


class NewManager(BaseModel):
    """A manager to add to the roster (their load starts at zero)."""

    # Strict: JSON's types as the document says them (no "2" for 2, no 0 for false); a
    # day is read from its YYYY-MM-DD text.
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"manager_id": "m-nora", "name": "Nora Field", "email": "nora@sales.example.com", "tier": 2,
         "languages": ["en", "fr"], "territories": ["FR", "BE"], "capacity": 40}]})

    manager_id: ManagerId
    name: PersonName
    email: Email
    tier: Tier
    languages: Languages = Field(default_factory=lambda: ["en"])
    territories: Territories = Field(default_factory=list)
    capacity: Capacity = 50
    active: bool = True
    on_leave_until: LeaveUntil | None = None


class ManagerChanges(BaseModel):
    """What to change, and only that: left out stays as it is; `on_leave_until: null`
    ends a leave (null is refused for the others). A new `email` clears `email_status`
    (it was about the old address)."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"capacity": 30, "on_leave_until": "2026-12-24", "territories": ["US", "CA"]}]})

    name: PersonName = NOT_SENT
    email: Email = NOT_SENT
    tier: Tier = NOT_SENT
    languages: Languages = NOT_SENT
    territories: Territories = NOT_SENT
    capacity: Capacity = NOT_SENT
    active: bool = NOT_SENT
    on_leave_until: LeaveUntil | None = NOT_SENT

    def sent(self) -> dict[str, Any]:
        """The attributes the request named, as JSON values (null: to clear)."""
        return self.model_dump(mode="json", include=self.model_fields_set)


class ManagerLoad(Manager):
    """A manager as the admins see them: the roster entry and whether they are away."""

    on_leave: bool = Field(description="away today (`on_leave_until` is today or later): no new leads")


class ManagerList(BaseModel):
    managers: list[ManagerLoad]


class ManagerNotFound(NotFound):
    code = "manager_not_found"

    def __init__(self, manager_id: str) -> None:
        super().__init__(f"there is no manager {manager_id!r}")


class ManagerExists(Conflict):
    code = "manager_exists"

    def __init__(self, manager_id: str) -> None:
        super().__init__(f"a manager {manager_id!r} exists already: change them instead")


class InvalidManager(Invalid):
    code = "invalid_manager"


class RosterStore(Protocol):
    def managers(self) -> list[Manager]: ...
    def get(self, manager_id: str) -> Manager | None: ...
    def create(self, manager: Manager) -> bool: ...
    def update(self, manager_id: str, fields: dict[str, Any], remove: list[str]) -> Manager | None: ...


def checked_manager(values: dict[str, Any]) -> Manager:
    """The manager as the scorer will read them, or InvalidManager naming every field at
    fault (the email's syntax too: an address SES would refuse is caught here)."""
    problems: list[FieldError] = []
    if not clean_text(str(values.get("name") or ""), multiline=False):
        problems.append(FieldError(field="name", code="name_required", message="a name needs a visible character"))
    try:
        values = {**values, "email": normalize_email(str(values.get("email") or ""))}
    except InvalidContact as error:
        problems.append(FieldError(field="email", code=error.code, message="this is not an email address"))
    try:
        manager = Manager.model_validate(values)
    except ValidationError as error:
        problems += field_errors(error)
    if problems:
        raise InvalidManager(problems)
    return manager


def manager_load(manager: Manager, today: date) -> ManagerLoad:
    on_leave = manager.on_leave_until is not None and manager.on_leave_until >= today
    return ManagerLoad(**manager.model_dump(), on_leave=on_leave)


def list_managers(roster: RosterStore, today: date) -> ManagerList:
    """Every manager with their load, by id: one Query of the roster's partition."""
    return ManagerList(managers=[manager_load(m, today) for m in sorted(roster.managers(), key=lambda m: m.manager_id)])


def get_manager(roster: RosterStore, manager_id: str, today: date) -> ManagerLoad:
    manager = roster.get(manager_id)
    if manager is None:
        raise ManagerNotFound(manager_id)
    return manager_load(manager, today)


def create_manager(roster: RosterStore, new: NewManager, today: date) -> ManagerLoad:
    """A new manager with no open leads (ManagerExists when the id is taken)."""
    manager = checked_manager(new.model_dump(mode="json"))
    if not roster.create(manager):
        raise ManagerExists(manager.manager_id)
    return manager_load(manager, today)


def update_manager(roster: RosterStore, manager_id: str, changes: ManagerChanges, today: date) -> ManagerLoad:
    """Change what was sent, and only that, once the manager it makes is valid."""
    current = roster.get(manager_id)
    if current is None:
        raise ManagerNotFound(manager_id)
    sent = changes.sent()
    checked = checked_manager({**current.model_dump(mode="json"), **sent})
    if not sent:
        return manager_load(current, today)
    remove = [k for k, v in sent.items() if v is None]
    if "email" in sent:
        sent["email"] = checked.email  # normalized, as created
        if checked.email != current.email.strip().lower():
            remove += ["email_status", "email_status_at"]
    updated = roster.update(manager_id, {k: v for k, v in sent.items() if v is not None}, remove)
    if updated is None:  # removed in between
        raise ManagerNotFound(manager_id)
    return manager_load(updated, today)
