"""Who is signed in, as the console needs to know it: their manager's name and
languages (which decide the console's language) and whether they are an admin."""

from __future__ import annotations

import api_context
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, Field

router = Router()


class Me(BaseModel):
    """The caller: a Cognito user, maybe linked to a manager, maybe an admin."""

    user_id: str = Field(description="the user's `sub` in the stack's pool")
    manager_id: str | None = Field(description="the manager this user is (`custom:manager_id`), if any")
    name: str | None = Field(description="the manager's name, if the user is a manager")
    languages: list[str] = Field(description="the manager's languages, first the one they prefer; "
                                 "empty for a user who is no manager")
    admin: bool = Field(description="a member of the `admins` group")


@router.get("/me", tags=["leads"], summary="Who is signed in",
            description="The signed-in user: their manager (name, languages) and whether they are an admin. "
                        "Any signed-in user may ask; no one else's data is answered.")
def who_am_i() -> Me:
    caller = api_context.caller(router)
    manager = api_context.roster.get(caller.manager_id) if caller.manager_id else None
    return Me(user_id=caller.user_id, manager_id=caller.manager_id, name=manager.name if manager else None,
              languages=list(manager.languages) if manager else [], admin=caller.is_admin)
