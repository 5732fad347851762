"""What an admin does with logins: invite a person (bound to a manager, or an admin, or
both), make someone an admin or take it back, list who may sign in. The admin API and
the `leadflow` command are two doors to these functions.

Inviting someone who has a login already is refused (409 `user_exists`), not resent:
Cognito's RESEND works only until the first sign-in and mails a new temporary password,
which is a decision to take on purpose (`aws cognito-idp admin-create-user
--message-action RESEND`), not a side effect of a repeated invitation. Emails are
personal data: nothing here logs them, and the API names a user by its id, never by
their email, in its paths (paths end up in access logs and traces)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field

from leadflow.capture.contact import InvalidContact, normalize_email
from leadflow.logins.pool import NoSuchUser, PoolUser, RefusedByPool, UsernameTaken, UserPool
from leadflow.routing.manager_admin import ManagerId
from leadflow.shared.access import ADMINS_GROUP
from leadflow.shared.http import FieldError
from leadflow.shared.models import Manager
from leadflow.shared.refusal import Conflict, Invalid, NotFound

USER_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
UserId = Annotated[str, Field(pattern=USER_ID_PATTERN, description="the user's id (`user_id` in `GET /admin/users`; "
                                                                  "the `sub` of their tokens)")]


class Invitation(BaseModel):
    """A person to invite: Cognito emails them a temporary password for their first
    sign-in (where they set their own, and an authenticator app)."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"email": "nora@sales.example.com", "manager_id": "m-olivia", "admin": False}]})

    email: Annotated[str, Field(min_length=3, max_length=254, description="their sign-in name, and where the "
                                "invitation goes", json_schema_extra={"format": "email"})]
    manager_id: ManagerId | None = Field(default=None, description="the manager whose leads they work (an existing "
                                                                    "one); none: an admin, or no leads")
    admin: bool = Field(default=False, description="in the `admins` group: every lead, the reports, erasure and "
                                                   "this admin API")


class Login(BaseModel):
    """A person who may sign in."""

    user_id: str = Field(description="the pool's id of the user (their tokens' `sub`)")
    email: str | None
    manager_id: str | None = Field(description="whose leads they see (`custom:manager_id`)")
    admin: bool
    status: str = Field(description="Cognito's: `FORCE_CHANGE_PASSWORD` until their first sign-in, then `CONFIRMED`")
    enabled: bool
    created_at: datetime | None = None


class LoginList(BaseModel):
    users: list[Login]


class AdminRights(BaseModel):
    user_id: str
    admin: bool


class UserExists(Conflict):
    code = "user_exists"

    def __init__(self) -> None:
        super().__init__("this person has a login already")


class UserNotFound(NotFound):
    code = "user_not_found"

    def __init__(self) -> None:
        super().__init__("there is no such user")


class InvalidInvitation(Invalid):
    code = "invalid_invitation"


class ManagerDirectory(Protocol):
    def get(self, manager_id: str) -> Manager | None: ...


def _login(user: PoolUser, admins: set[str]) -> Login:
    return Login(user_id=user.username, email=user.email, manager_id=user.manager_id, admin=user.username in admins,
                 status=user.status, enabled=user.enabled, created_at=user.created_at)


def invite(pool: UserPool, roster: ManagerDirectory, invitation: Invitation) -> Login:
    """Create the person's login (email lowercased, as managers' are) bound to an
    existing manager, in the admins group when asked; Cognito sends the invitation."""
    problems = []
    try:
        email = normalize_email(invitation.email)
    except InvalidContact as error:
        email = ""
        problems.append(FieldError(field="email", code=error.code, message="this is not an email address"))
    if invitation.manager_id is not None and roster.get(invitation.manager_id) is None:
        problems.append(FieldError(field="manager_id", code="unknown_manager", message="there is no such manager"))
    if problems:
        raise InvalidInvitation(problems)
    try:
        user = pool.invite(email, invitation.manager_id)
    except UsernameTaken:
        raise UserExists from None
    except RefusedByPool:
        raise InvalidInvitation([FieldError(field="email", code="invalid_email",
                                            message="Cognito does not take this address")]) from None
    if invitation.admin:
        pool.add_to_group(user.username, ADMINS_GROUP)
    return _login(user, {user.username} if invitation.admin else set())


def list_logins(pool: UserPool) -> LoginList:
    """Everyone who may sign in, by email: one ListUsers (and one ListUsersInGroup for
    the admins) per 60 users."""
    admins = pool.members(ADMINS_GROUP)
    return LoginList(users=sorted((_login(u, admins) for u in pool.users()), key=lambda u: (u.email or "", u.user_id)))


def set_admin(pool: UserPool, user_id: str, admin: bool) -> AdminRights:
    """Put a user in the admins group or take them out; asking twice changes nothing.
    Their tokens carry their groups: the change shows from their next sign-in (an ID
    token lives an hour)."""
    try:
        if admin:
            pool.add_to_group(user_id, ADMINS_GROUP)
        else:
            pool.remove_from_group(user_id, ADMINS_GROUP)
    except NoSuchUser:
        raise UserNotFound from None
    return AdminRights(user_id=user_id, admin=admin)
