"""The stack's Cognito user pool, as logins need it: users (the pool's usernames are
ids; a person signs in with their email), their `custom:manager_id`, and the groups.

Every call names the pool: the API function's role allows these actions on that pool
only (template.yaml)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from leadflow.shared import aws
from leadflow.shared.access import MANAGER_ID_CLAIM


class UsernameTaken(Exception):
    """The pool has a user with this email already."""


class NoSuchUser(Exception):
    """The pool has no user by this username (or email)."""


class RefusedByPool(Exception):
    """Cognito refused a value (InvalidParameterException): its message names no person."""


class PoolUser(BaseModel):
    """One user of the pool, as ListUsers and AdminCreateUser describe it."""

    username: str  # an id: the pool signs people in by email (UsernameAttributes)
    email: str | None = None
    manager_id: str | None = None
    status: str  # Cognito's UserStatus: FORCE_CHANGE_PASSWORD until the first sign-in, then CONFIRMED...
    enabled: bool = True
    created_at: datetime | None = None

    @classmethod
    def of(cls, user: dict[str, Any]) -> PoolUser:
        attributes = {a["Name"]: a.get("Value") for a in user.get("Attributes", user.get("UserAttributes", []))}
        return cls(username=user["Username"], email=attributes.get("email"),
                   manager_id=attributes.get(MANAGER_ID_CLAIM) or None, status=user.get("UserStatus", "UNKNOWN"),
                   enabled=user.get("Enabled", True), created_at=user.get("UserCreateDate"))


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class UserPool:
    def __init__(self, pool_id: str, client: Any | None = None) -> None:
        self.pool_id = pool_id
        self._client = client

    @property
    def client(self) -> Any:
        # Made on first use: most of the API's requests never reach the pool, and a
        # client costs its cold start tens of milliseconds.
        return self._client or aws.client("cognito-idp")

    def invite(self, email: str, manager_id: str | None) -> PoolUser:
        """AdminCreateUser with the email as sign-in name, marked verified (the admin
        vouches for it, and a verified address is where a reset code can go); Cognito
        emails the person their temporary password."""
        attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        if manager_id:
            attributes.append({"Name": MANAGER_ID_CLAIM, "Value": manager_id})
        try:
            created = self.client.admin_create_user(UserPoolId=self.pool_id, Username=email,
                                                    UserAttributes=attributes, DesiredDeliveryMediums=["EMAIL"])
        except ClientError as error:
            if _code(error) in ("UsernameExistsException", "AliasExistsException"):
                raise UsernameTaken from None
            if _code(error) == "InvalidParameterException":
                raise RefusedByPool(str(error.response["Error"].get("Message", ""))) from None
            raise
        return PoolUser.of(created["User"])

    def create_with_password(self, email: str, manager_id: str | None, password: str) -> PoolUser:
        """`make dev`'s people (the `leadflow apply` file's `password`, refused for a
        deployed stack): no invitation email, and a permanent password, so a token is
        one sign-in away."""
        attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        if manager_id:
            attributes.append({"Name": MANAGER_ID_CLAIM, "Value": manager_id})
        try:
            created = self.client.admin_create_user(UserPoolId=self.pool_id, Username=email,
                                                    UserAttributes=attributes, MessageAction="SUPPRESS")
        except ClientError as error:
            if _code(error) in ("UsernameExistsException", "AliasExistsException"):
                raise UsernameTaken from None
            raise
        user = PoolUser.of(created["User"])
        self.client.admin_set_user_password(UserPoolId=self.pool_id, Username=user.username, Password=password,
                                            Permanent=True)
        return user

    def set_manager(self, username: str, manager_id: str | None) -> None:
        """Bind a user to a manager (`custom:manager_id`), or unbind them (None)."""
        try:
            if manager_id:
                self.client.admin_update_user_attributes(
                    UserPoolId=self.pool_id, Username=username,
                    UserAttributes=[{"Name": MANAGER_ID_CLAIM, "Value": manager_id}])
            else:
                self.client.admin_delete_user_attributes(UserPoolId=self.pool_id, Username=username,
                                                         UserAttributeNames=[MANAGER_ID_CLAIM])
        except ClientError as error:
            if _code(error) == "UserNotFoundException":
                raise NoSuchUser from None
            raise

    def reset_mfa(self, username: str) -> None:
        """Turn a user's authenticator-app MFA off: their next sign-in sets it up again
        (the pool requires it). For a person who lost their phone."""
        try:
            self.client.admin_set_user_mfa_preference(
                UserPoolId=self.pool_id, Username=username,
                SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False})
        except ClientError as error:
            if _code(error) == "UserNotFoundException":
                raise NoSuchUser from None
            raise

    def add_to_group(self, username: str, group: str) -> None:
        self._group_call(self.client.admin_add_user_to_group, username, group)

    def remove_from_group(self, username: str, group: str) -> None:
        self._group_call(self.client.admin_remove_user_from_group, username, group)

    def _group_call(self, call: Any, username: str, group: str) -> None:
        try:
            call(UserPoolId=self.pool_id, Username=username, GroupName=group)
        except ClientError as error:
            if _code(error) == "UserNotFoundException":
                raise NoSuchUser from None
            raise

    def users(self) -> Iterator[PoolUser]:
        """Every user of the pool, page after page (ListUsers)."""
        request: dict[str, Any] = {"UserPoolId": self.pool_id}
        while True:
            page = self.client.list_users(**request)
            yield from (PoolUser.of(u) for u in page.get("Users", []))
            if not page.get("PaginationToken"):
                return
            request["PaginationToken"] = page["PaginationToken"]

    def members(self, group: str) -> set[str]:
        """The usernames in a group, page after page (ListUsersInGroup)."""
        found: set[str] = set()
        request: dict[str, Any] = {"UserPoolId": self.pool_id, "GroupName": group}
        while True:
            page = self.client.list_users_in_group(**request)
            found |= {u["Username"] for u in page.get("Users", [])}
            if not page.get("NextToken"):
                return found
            request["NextToken"] = page["NextToken"]
