"""`leadflow users list|invite|grant-admin|revoke-admin|reset-mfa`: who may sign in to the console
and the API, through the admin services the admin API calls (leadflow.logins). An
invited person gets Cognito's invitation email with a temporary password."""

from __future__ import annotations

from typing import Any

from leadflow_cli import services
from leadflow_cli.commands.parsing import add_command, add_group
from leadflow_cli.context import Context
from leadflow_cli.output import Refused, table


def register(groups: Any, common: Any) -> None:
    users = add_group(groups, "users", help="the people who may sign in (the stack's Cognito user pool)")
    add_command(users, common, "list", full_name="users list", run=list_users, help="everyone who may sign in")
    invite = add_command(users, common, "invite", full_name="users invite", run=invite_user,
                         help="create a person's login; Cognito emails them a temporary password")
    invite.add_argument("email")
    invite.add_argument("--manager", dest="manager_id", help="the manager whose leads they work (an existing one)")
    invite.add_argument("--admin", action="store_true", help="in the admins group: every lead, reports, erasure, "
                                                             "the admin API")
    for action, admin in (("grant-admin", True), ("revoke-admin", False)):
        rights = add_command(users, common, action, full_name=f"users {action}", run=set_admin,
                             help=f"{'put a user in' if admin else 'take a user out of'} the admins group (from "
                                  f"their next sign-in)")
        rights.add_argument("user", help="their email, or their user id (`users list`)")
        rights.set_defaults(admin=admin)
    reset = add_command(users, common, "reset-mfa", full_name="users reset-mfa", run=reset_mfa,
                        help="for a person who lost their phone: their next sign-in sets up an authenticator again")
    reset.add_argument("user", help="their email, or their user id (`users list`)")


def list_users(context: Context) -> None:
    from leadflow.logins import service as logins

    answer = logins.list_logins(services.user_pool(context.target)).model_dump(mode="json")
    context.printer.answer(answer, lambda: table(
        ["email", "manager", "admin", "status", "enabled", "user id"],
        [[u["email"] or "-", u["manager_id"] or "-", "yes" if u["admin"] else "", u["status"],
          "yes" if u["enabled"] else "NO", u["user_id"]] for u in answer["users"]]))


def invite_user(context: Context) -> None:
    from leadflow.logins import service as logins
    from leadflow.shared.refusal import parsed

    args = context.args
    invitation = parsed(logins.Invitation, {"email": args.email, "manager_id": args.manager_id, "admin": args.admin},
                        logins.InvalidInvitation)
    login = logins.invite(services.user_pool(context.target), services.roster(context.target), invitation)
    context.printer.answer(login.model_dump(mode="json"),
                           f"invited {login.email} (user id {login.user_id}): Cognito emailed them a temporary "
                           f"password" + (f"; manager {login.manager_id}" if login.manager_id else "")
                           + ("; admin" if login.admin else ""))


def set_admin(context: Context) -> None:
    from leadflow.logins import service as logins

    pool = services.user_pool(context.target)
    user_id = user_id_of(pool, context.args.user)
    rights = logins.set_admin(pool, user_id, context.args.admin)
    context.printer.answer(rights.model_dump(mode="json"),
                           f"{context.args.user}: {'admin' if rights.admin else 'not an admin'} from their next "
                           f"sign-in")


def reset_mfa(context: Context) -> None:
    from leadflow.logins.pool import NoSuchUser

    pool = services.user_pool(context.target)
    user_id = user_id_of(pool, context.args.user)
    try:
        pool.reset_mfa(user_id)
    except NoSuchUser:
        raise Refused.one("there is no such user", field="user", code="user_not_found") from None
    context.printer.answer({"user_id": user_id, "mfa": "reset"},
                           f"{context.args.user}: their next sign-in sets up an authenticator app again")


def user_id_of(pool: Any, user: str) -> str:
    """A user named by email (what an operator knows) or by id (what the API takes)."""
    if "@" not in user:
        return user
    wanted = user.strip().lower()
    for found in pool.users():
        if (found.email or "").lower() == wanted:
            return str(found.username)
    raise Refused.one("no user signs in with this email", field="user", code="user_not_found")
