"""`leadflow apply FILE`: a company's forms, managers, logins and referral partners, declared in one JSON
file (shaped as local/seed.json) and made so, through the same admin services as the
admin API. `make dev` seeds its demo data with it: there is no second loader.

What "made so" means:
- Each form, manager, user and partner of the file is created when missing; when it exists, the
  settings the file NAMES are changed where they differ, and nothing else (a setting the
  file leaves out keeps the value an admin gave it in the console). Nothing absent from
  the file is deleted or switched off: a file is not the whole truth of a deployment.
- Applying the same file twice changes nothing the second time (every line `unchanged`).
- Everything is checked before anything is written: one refusal lists every problem,
  naming the entry and field (`managers[2].tier`), and the stack is left as it was.
- `${NAME}` is replaced from the environment (and, for `--local`, LOCAL_ORIGIN is the dev
  server's own origin): a file can name the site's origin without holding it.
- A user's `password` is for `make dev` only (no invitation email, a permanent password);
  for a deployed stack it is refused: people get Cognito's invitation and choose their own.
- A partner's `group_id` names a partner of kind `group` in the file or the stack; the
  file's groups are created before their members."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadflow_cli.output import Problem, Refused, UsageError

if TYPE_CHECKING:
    from leadflow_cli.target import Target

VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
Kind = Literal["form", "manager", "user", "partner"]


class DeclaredUser(BaseModel):
    """A person who may sign in, as the file declares them."""

    model_config = ConfigDict(extra="forbid", strict=True)

    email: str = Field(min_length=3, max_length=254)
    manager_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    admin: bool = False
    password: str | None = Field(default=None, min_length=8, max_length=256)


class SetupFile(BaseModel):
    """The file: four lists, each entry checked by its own part's rules."""

    model_config = ConfigDict(extra="forbid", strict=True)

    forms: list[dict[str, Any]] = Field(default_factory=list)
    managers: list[dict[str, Any]] = Field(default_factory=list)
    users: list[dict[str, Any]] = Field(default_factory=list)
    partners: list[dict[str, Any]] = Field(default_factory=list)


class Step(BaseModel):
    """One line of the plan: what happens (or happened) to one entry."""

    kind: Kind
    id: str
    action: Literal["create", "update", "unchanged"]
    changes: list[str] = Field(default_factory=list)  # the settings that change (update)
    payload: dict[str, Any] = Field(default_factory=dict, exclude=True)  # what the write sends


class Plan(BaseModel):
    steps: list[Step]
    passwords: dict[str, str] = Field(default_factory=dict, exclude=True)  # make dev's users: email -> password


def read_file(path: str | Path, variables: Mapping[str, str]) -> SetupFile:
    """The file, its `${NAME}`s replaced; UsageError when it cannot be read, Refused when
    it is not such a file."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    unknown = sorted({name for name in VARIABLE.findall(text) if name not in variables})
    if unknown:
        raise Refused([Problem(field=f"${{{name}}}", code="unknown_variable",
                               message=f"${{{name}}} is not set in the environment") for name in unknown])
    text = VARIABLE.sub(lambda match: json.dumps(variables[match.group(1)])[1:-1], text)
    try:
        return SetupFile.model_validate(json.loads(text))
    except json.JSONDecodeError as error:
        raise Refused.one(f"not JSON: {error.msg} (line {error.lineno})", code="not_json") from None
    except ValidationError as error:
        raise Refused.of_validation(error) from None


def plan(target: Target, setup: SetupFile) -> Plan:
    """What applying `setup` would do, reading the stack and writing nothing; Refused
    with every problem of the file."""
    from leadflow_cli import services

    problems: list[Problem] = []
    steps = _form_steps(services.forms(target), setup.forms, problems)
    roster = services.roster(target)
    steps += _manager_steps(roster, setup.managers, problems)
    known_managers = {str(m.get("manager_id")) for m in setup.managers} | {m.manager_id for m in roster.managers()}
    user_steps, passwords = _user_steps(target, setup.users, known_managers, problems)
    partner_steps = _partner_steps(target, setup.partners, problems)
    if problems:
        raise Refused(problems)
    return Plan(steps=steps + user_steps + partner_steps, passwords=passwords)


def apply(target: Target, planned: Plan) -> Plan:
    """Carry the plan out, forms first, then managers, then the users bound to them, then
    the partners (groups before their members)."""
    from leadflow.capture import form_admin
    from leadflow.logins.pool import UserPool
    from leadflow.referrals import partner_admin
    from leadflow.routing import manager_admin
    from leadflow.shared.access import ADMINS_GROUP
    from leadflow.shared.clock import utc_now
    from leadflow_cli import services

    forms, roster = services.forms(target), services.roster(target)
    api_url = target.api_url or ""
    pool: UserPool | None = None
    for step in planned.steps:
        if step.action == "unchanged":
            continue
        if step.kind == "form" and step.action == "create":
            form_admin.create_form(forms, form_admin.NewForm.model_validate(step.payload), api_url)
        elif step.kind == "form":
            form_admin.update_form(forms, step.id, form_admin.FormChanges.model_validate(step.payload), api_url)
        elif step.kind == "manager" and step.action == "create":
            manager_admin.create_manager(roster, manager_admin.NewManager.model_validate(step.payload),
                                         services.today())
        elif step.kind == "manager":
            manager_admin.update_manager(roster, step.id, manager_admin.ManagerChanges.model_validate(step.payload),
                                         services.today())
        elif step.kind == "partner" and step.action == "create":
            partner_admin.create_partner(services.partners(target),
                                         partner_admin.NewPartner.model_validate(step.payload), utc_now())
        elif step.kind == "partner":
            partner_admin.update_partner(services.partners(target), step.id,
                                         partner_admin.PartnerChanges.model_validate(step.payload))
        else:
            pool = pool or services.user_pool(target)
            _apply_user(pool, step, planned.passwords.get(step.id), ADMINS_GROUP)
    return planned


def _apply_user(pool: Any, step: Step, password: str | None, admins_group: str) -> None:
    payload = step.payload
    if step.action == "create":
        manager_id = payload.get("manager_id")
        user = (pool.create_with_password(step.id, manager_id, password) if password
                else pool.invite(step.id, manager_id))
        username = user.username
    else:
        username = payload["username"]
        if "manager_id" in step.changes:
            pool.set_manager(username, payload.get("manager_id"))
    if payload.get("admin") and (step.action == "create" or "admin" in step.changes):
        pool.add_to_group(username, admins_group)
    elif "admin" in step.changes:
        pool.remove_from_group(username, admins_group)


def _duplicates(entries: list[dict[str, Any]], key: str, section: str, problems: list[Problem]) -> None:
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        value = str(entry.get(key, "")).lower()
        if value and value in seen:
            problems.append(Problem(field=f"{section}[{index}].{key}", code="duplicate_id",
                                    message=f"{section}[{index}].{key}: named twice in the file"))
        seen.add(value)


def _problems_of(refusal: Any, where: str) -> list[Problem]:
    """A layer refusal's field errors, each naming the entry (`forms[1].name`)."""
    return [Problem(field=f"{where}.{e.field}" if e.field else where, code=e.code, message=e.message)
            for e in refusal.errors]


def _changed(wanted: dict[str, Any], current: dict[str, Any], named: set[str]) -> dict[str, Any]:
    return {key: wanted[key] for key in sorted(named) if wanted.get(key) != current.get(key)}


class _Part(BaseModel):
    """How a section of the file meets its part's admin services: the entry's model and
    refusal, the whole-item check (the one create and update run), and the stored item."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kind: Kind
    section: str
    id_key: str
    new: Any  # NewForm, NewManager
    refusal: Any  # InvalidForm, InvalidManager
    checked: Any  # checked_form, checked_manager
    stored: Any  # id -> the stored model or None


def _form_steps(store: Any, entries: list[dict[str, Any]], problems: list[Problem]) -> list[Step]:
    from leadflow.capture import form_admin

    return _steps(_Part(kind="form", section="forms", id_key="form_id", new=form_admin.NewForm,
                        refusal=form_admin.InvalidForm, checked=form_admin.checked_form,
                        stored=lambda form_id: store.get_form(form_id, consistent=True)), entries, problems)


def _manager_steps(roster: Any, entries: list[dict[str, Any]], problems: list[Problem]) -> list[Step]:
    from leadflow.routing import manager_admin

    return _steps(_Part(kind="manager", section="managers", id_key="manager_id", new=manager_admin.NewManager,
                        refusal=manager_admin.InvalidManager, checked=manager_admin.checked_manager,
                        stored=roster.get), entries, problems)


def _partner_steps(target: Target, entries: list[dict[str, Any]], problems: list[Problem]) -> list[Step]:
    """The partners' steps, groups first; each `group_id` a group of the file or the stack."""
    from leadflow.referrals import partner_admin
    from leadflow_cli import services

    if not entries:
        return []
    store = services.partners(target)
    steps = _steps(_Part(kind="partner", section="partners", id_key="partner_id", new=partner_admin.NewPartner,
                         refusal=partner_admin.InvalidPartner, checked=partner_admin.checked_partner,
                         stored=store.get), entries, problems)
    groups = {str(e.get("partner_id", "")).lower() for e in entries if e.get("kind") == "group"}
    groups |= {p.partner_id for p in store.list() if p.kind == "group"}
    for index, entry in enumerate(entries):
        group_id = entry.get("group_id")
        if isinstance(group_id, str) and group_id.lower() not in groups:
            problems.append(Problem(field=f"partners[{index}].group_id", code="unknown_group",
                                    message="the code of a partner of kind `group`, in the file or the stack"))
    return sorted(steps, key=lambda step: step.id not in groups)  # stable: the file's order otherwise


def _steps(part: _Part, entries: list[dict[str, Any]], problems: list[Problem]) -> list[Step]:
    """Each entry as a step, or its problems: checked as its part's API checks it, then
    compared as stored (an email lowercased, territories upper-cased) on the settings
    it names, and the item those changes make checked whole, as the update will."""
    from leadflow.shared.refusal import Refused as LayerRefused
    from leadflow.shared.refusal import parsed

    _duplicates(entries, part.id_key, part.section, problems)
    steps = []
    for index, entry in enumerate(entries):
        try:
            new = parsed(part.new, entry, part.refusal)
            item_id = getattr(new, part.id_key)
            wanted = part.checked(new.model_dump(mode="json")).model_dump(mode="json")
            current = part.stored(item_id)
            if current is None:
                steps.append(Step(kind=part.kind, id=item_id, action="create", payload=new.model_dump(mode="json")))
                continue
            stored = current.model_dump(mode="json")
            changes = _changed(wanted, stored, set(entry) - {part.id_key})
            part.checked({**stored, **changes})
        except LayerRefused as refusal:
            problems += _problems_of(refusal, f"{part.section}[{index}]")
            continue
        steps.append(Step(kind=part.kind, id=item_id, action="update" if changes else "unchanged",
                          changes=list(changes), payload=changes))
    return steps


def _user_steps(target: Target, entries: list[dict[str, Any]], managers: set[str],
                problems: list[Problem]) -> tuple[list[Step], dict[str, str]]:
    from leadflow.capture.contact import InvalidContact, normalize_email

    users: list[tuple[int, DeclaredUser, str, set[str]]] = []
    for index, entry in enumerate(entries):
        where = f"users[{index}]"
        try:
            user = DeclaredUser.model_validate(entry)
        except ValidationError as error:
            problems += [Problem(field=f"{where}.{'.'.join(map(str, e['loc']))}", code=e["type"], message=e["msg"])
                         for e in error.errors(include_input=False)]
            continue
        try:
            email = normalize_email(user.email)
        except InvalidContact as error:
            problems.append(Problem(field=f"{where}.email", code=error.code, message="this is not an email address"))
            continue
        if user.manager_id is not None and user.manager_id not in managers:
            problems.append(Problem(field=f"{where}.manager_id", code="unknown_manager",
                                    message="no such manager in the file or the stack"))
        if user.password is not None and not target.local:
            problems.append(Problem(field=f"{where}.password", code="password_local_only",
                                    message="passwords in a file are for `make dev` only: leave it out, and the "
                                            "person gets Cognito's invitation and chooses their own"))
        users.append((index, user, email, set(entry)))
    _duplicates([{"email": email} for _index, _user, email, _named in users], "email", "users", problems)
    if not users or problems:
        return [], {}
    return _diff_users(target, users)


def _diff_users(target: Target, users: list[tuple[int, DeclaredUser, str, set[str]]]
                ) -> tuple[list[Step], dict[str, str]]:
    from leadflow.shared.access import ADMINS_GROUP
    from leadflow_cli import services

    pool = services.user_pool(target)
    existing = {(u.email or "").lower(): u for u in pool.users()}
    admins = pool.members(ADMINS_GROUP) if existing else set()
    steps, passwords = [], {}
    for _index, user, email, named in users:
        wanted = {"manager_id": user.manager_id, "admin": user.admin}
        if user.password:
            passwords[email] = user.password
        found = existing.get(email)
        if found is None:
            steps.append(Step(kind="user", id=email, action="create", payload=wanted))
            continue
        current = {"manager_id": found.manager_id, "admin": found.username in admins}
        changes = _changed(wanted, current, named & set(wanted))
        steps.append(Step(kind="user", id=email, action="update" if changes else "unchanged", changes=list(changes),
                          payload={**wanted, "username": found.username}))
    return steps, passwords
