"""Who is calling the leads API and what they may see: managers their own leads,
admins (the Cognito group `admins`) every lead.

API Gateway's Cognito authorizer has already checked the ID token's signature, issuer,
audience and expiry; the claims arrive in `requestContext.authorizer.claims`, all as
strings (`cognito:groups` as "admins" or "admins,other" or "[admins other]")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from leadflow.shared.models import Lead

ADMINS_GROUP = "admins"
MANAGER_ID_CLAIM = "custom:manager_id"


class NotAuthenticated(Exception):
    """No usable identity on the request (the API answers 401)."""


class Forbidden(Exception):
    """The caller is known but may not do this (the API answers 403); `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Caller(BaseModel):
    """The person behind a request: a Cognito user, maybe a manager, maybe an admin."""

    user_id: str  # the token's `sub`: what history entries record as `by`
    manager_id: str | None = None
    is_admin: bool = False

    @property
    def actor(self) -> str:
        """What history entries and events record as `by`: the manager id when there is one."""
        return self.manager_id or f"user:{self.user_id}"


def _groups(value: Any) -> set[str]:
    if isinstance(value, list | tuple | set):
        return {str(v) for v in value}
    return {g for g in re.split(r"[\s,\[\]]+", str(value or "")) if g}


def caller_from_claims(claims: Mapping[str, Any] | None) -> Caller:
    """The caller from the authorizer's claims; NotAuthenticated when there are none.
    A user who is neither an admin nor linked to a manager is known but may see nothing."""
    if not claims or not claims.get("sub"):
        raise NotAuthenticated("no identity on the request")
    manager_id = str(claims.get(MANAGER_ID_CLAIM) or "").strip() or None
    return Caller(user_id=str(claims["sub"]), manager_id=manager_id,
                  is_admin=ADMINS_GROUP in _groups(claims.get("cognito:groups")))


def require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise Forbidden("admins_only", "only admins may do this")


def check_lead_access(caller: Caller, lead: Lead) -> None:
    """Admins may see and change any lead; a manager only the leads assigned to them."""
    if caller.is_admin:
        return
    if caller.manager_id is None or lead.manager_id != caller.manager_id:
        raise Forbidden("not_your_lead", "this lead is assigned to another manager")


def manager_scope(caller: Caller, requested_manager_id: str | None) -> str | None:
    """Whose leads a listing covers: a manager always their own (asking for someone
    else's is Forbidden); an admin anyone's, or everyone's when `requested_manager_id`
    is None (returns None)."""
    if caller.is_admin:
        return requested_manager_id
    if caller.manager_id is None:
        raise Forbidden("no_manager", "this user is not linked to a manager")
    if requested_manager_id not in (None, caller.manager_id):
        raise Forbidden("not_your_leads", "managers see only their own leads")
    return caller.manager_id
