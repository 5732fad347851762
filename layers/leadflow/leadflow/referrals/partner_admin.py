"""Referral partners as admins keep them: list, read, add, change, deactivate and
reactivate; each partner's referral link for a landing page, and its QR code. The admin
API and the `leadflow` command are two doors to these functions.

What is checked: each field sent, against its type and bounds (`NewPartner`,
`PartnerChanges`: the request's schema), then the partner as a whole against what no
schema says: a `group_id` names an existing partner of kind `group` (not itself, and a
group belongs to no group), and a group with members stays a group. A refusal names
every field at fault.

A partner's code is its id and the `ref` of its links, lower-cased on input
(`BNI-Downtown` is `bni-downtown`): links are typed by hand from business cards. A
partner is never deleted, only deactivated: its referrals keep naming it, and a
deactivated code still attributes (flagged `inactive`, leadflow.referrals.attribution)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from leadflow.capture.contact import InvalidContact, normalize_email
from leadflow.capture.fields import clean_text
from leadflow.capture.form_admin import _HOST, _REST
from leadflow.shared.http import NOT_SENT, FieldError
from leadflow.shared.models import FormConfig, Partner, PartnerKind
from leadflow.shared.refusal import Conflict, Invalid, NotFound, field_errors

# The code as it appears in links (`?ref=`): lower-case letters, digits, `-` and `_`, 2 to
# 40 characters; typed in any case, kept lower-case.
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,39}$"
CODE_INPUT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$"
# A landing page to link to: an absolute http(s) URL (forms' URL rules, leadflow.capture.form_admin).
PAGE_PATTERN = rf"^https?://{_HOST}([/?#]{_REST})?$"

PartnerCode = Annotated[str, Field(pattern=CODE_INPUT_PATTERN, description="the code in the partner's referral link "
                                   "(`?ref=<code>`): letters, digits, `-` and `_`, 2 to 40, kept lower-case",
                                   examples=["bni-downtown"]), AfterValidator(str.lower)]
PartnerName = Annotated[str, Field(min_length=1, max_length=200, description="a name for people")]
Email = Annotated[str, Field(min_length=3, max_length=254, description="where the emails that close the loop go "
                             "(personal data: never in logs or events)"),
                  WithJsonSchema({"type": "string", "format": "email", "minLength": 3, "maxLength": 254})]
Language = Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$", description="of the emails to the "
                                "partner: `en`, `es`, `ar` (others fall back to English)"), AfterValidator(str.lower)]
Kind = Annotated[PartnerKind, Field(description="`group`: a lead group (a chapter, a chamber); `member`: one of its "
                                                "members; `agency`, `customer`, `other`")]


class NewPartner(BaseModel):
    """A partner to add: its code and name, and any of its settings."""

    # Strict: JSON's types as the document says them (no 0 for false).
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"partner_id": "tom-baker", "name": "Tom Baker", "email": "tom@baker-plumbing.example.com",
         "language": "en", "kind": "member", "group_id": "bni-downtown"}]})

    partner_id: PartnerCode
    name: PartnerName
    email: Email | None = None
    language: Language = "en"
    kind: Annotated[Kind, Field(strict=False)] = PartnerKind.OTHER
    group_id: PartnerCode | None = Field(default=None, description="the code of the lead group (a partner of kind "
                                                                   "`group`) this partner belongs to")
    active: bool = True
    loop_emails: bool = Field(default=True, description="tell the partner when their referral is received, first "
                                                        "contacted, and becomes a customer")


class PartnerChanges(BaseModel):
    """The settings to change, and only those: left out stays as it is; null clears
    `email` and `group_id` and is refused for the others."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"name": "María López (Lopez Roofing)", "loop_emails": False, "group_id": None}]})

    name: PartnerName = NOT_SENT
    email: Email | None = NOT_SENT
    language: Language = NOT_SENT
    kind: Annotated[Kind, Field(strict=False)] = NOT_SENT
    group_id: PartnerCode | None = NOT_SENT
    loop_emails: bool = NOT_SENT

    def sent(self) -> dict[str, Any]:
        """The settings the request named, as JSON values (null: to clear)."""
        return self.model_dump(mode="json", include=self.model_fields_set)


class AdminPartner(Partner):
    """A partner as the admins see them; with their referral link when one was asked for."""

    referral_link: str | None = Field(default=None, description="`<landing page>?ref=<code>`: the page asked for, "
                                                                "else the first allowed origin of a form")
    link_note: str | None = Field(default=None, description="why there is no link, and how to get one")


class PartnerList(BaseModel):
    partners: list[AdminPartner]


class PartnerNotFound(NotFound):
    code = "partner_not_found"

    def __init__(self, partner_id: str) -> None:
        super().__init__(f"there is no partner {partner_id!r}")


class PartnerExists(Conflict):
    code = "partner_exists"

    def __init__(self, partner_id: str) -> None:
        super().__init__(f"a partner {partner_id!r} exists already: change it instead")


class InvalidPartner(Invalid):
    code = "invalid_partner"


class InvalidPage(Invalid):
    code = "invalid_page"

    def __init__(self, message: str) -> None:
        super().__init__([FieldError(field="page", code="invalid_page", message=message)])


class NoLink(Conflict):
    code = "no_link"

    def __init__(self) -> None:
        super().__init__(NO_PAGE)


class PartnerStore(Protocol):
    def get(self, partner_id: str, *, consistent: bool = True) -> Partner | None: ...
    def create(self, partner: Partner) -> bool: ...
    def list(self) -> list[Partner]: ...
    def update(self, partner_id: str, fields: dict[str, Any], remove: list[str]) -> Partner | None: ...


class FormPages(Protocol):
    def list_forms(self) -> list[FormConfig]: ...


def checked_partner(values: dict[str, Any]) -> Partner:
    """The partner as capture and the emails will read it, or InvalidPartner naming every
    field at fault (the email's syntax too: an address SES would refuse is caught here)."""
    problems: list[FieldError] = []
    if not clean_text(str(values.get("name") or ""), multiline=False):
        problems.append(FieldError(field="name", code="name_required", message="a name needs a visible character"))
    if values.get("email") is not None:
        try:
            values = {**values, "email": normalize_email(str(values["email"]))}
        except InvalidContact as error:
            problems.append(FieldError(field="email", code=error.code, message="this is not an email address"))
    try:
        partner = Partner.model_validate(values)
    except ValidationError as error:
        problems += field_errors(error)
    if problems:
        raise InvalidPartner(problems)
    return partner


def group_problems(partner: Partner, find: Callable[..., Partner | None],
                   members_of: Callable[[str], list[str]] | None = None) -> list[FieldError]:
    """What a partner's group must be: an existing partner of kind `group`, not the
    partner itself; a group belongs to no group; a group with members stays a group
    (`members_of`, when the kind may have changed)."""
    problems = []
    if partner.group_id is not None:
        group = None if partner.group_id == partner.partner_id else find(partner.group_id)
        if partner.kind == PartnerKind.GROUP:
            problems.append(FieldError(field="group_id", code="group_in_group",
                                       message="a lead group belongs to no other group"))
        elif group is None or group.kind != PartnerKind.GROUP:
            problems.append(FieldError(field="group_id", code="unknown_group",
                                       message="the code of an existing partner of kind `group`"))
    if members_of is not None and partner.kind != PartnerKind.GROUP:
        members = members_of(partner.partner_id)
        if members:
            problems.append(FieldError(field="kind", code="group_has_members",
                                       message=f"{len(members)} partners belong to this group: move them first"))
    return problems


def list_partners(store: PartnerStore) -> PartnerList:
    """Every partner, by code: one Query."""
    return PartnerList(partners=[AdminPartner(**p.model_dump()) for p in sorted(store.list(),
                                                                                key=lambda p: p.partner_id)])


def get_partner(store: PartnerStore, partner_id: str, forms: FormPages | None = None,
                page: str | None = None) -> AdminPartner:
    """One partner; with `forms` (or a `page`), its referral link too."""
    partner = _existing(store, partner_id)
    if forms is None and page is None:
        return AdminPartner(**partner.model_dump())
    link, note = link_for(partner.partner_id, page, forms)
    return AdminPartner(**partner.model_dump(), referral_link=link, link_note=note)


def create_partner(store: PartnerStore, new: NewPartner, now: datetime) -> AdminPartner:
    """A new partner (PartnerExists when the code is taken: one conditional write decides)."""
    partner = checked_partner({**new.model_dump(mode="json"), "created_at": now})
    problems = group_problems(partner, store.get)
    if problems:
        raise InvalidPartner(problems)
    if not store.create(partner):
        raise PartnerExists(partner.partner_id)
    return AdminPartner(**partner.model_dump())


def update_partner(store: PartnerStore, partner_id: str, changes: PartnerChanges) -> AdminPartner:
    """Change the settings sent, and only those, once the partner they make is valid."""
    current = _existing(store, partner_id)
    sent = changes.sent()
    checked = checked_partner({**current.model_dump(mode="json"), **sent})
    kind_changed = "kind" in sent and current.kind == PartnerKind.GROUP and checked.kind != PartnerKind.GROUP
    problems = group_problems(checked, store.get,
                              (lambda code: members(store, code)) if kind_changed else None)
    if problems:
        raise InvalidPartner(problems)
    if not sent:
        return AdminPartner(**current.model_dump())
    if "email" in sent and sent["email"] is not None:
        sent["email"] = checked.email  # normalized, as created
    updated = store.update(current.partner_id, {k: v for k, v in sent.items() if v is not None},
                           [k for k, v in sent.items() if v is None])
    if updated is None:  # deleted in between
        raise PartnerNotFound(partner_id)
    return AdminPartner(**updated.model_dump())


def set_partner_active(store: PartnerStore, partner_id: str, active: bool) -> AdminPartner:
    """Deactivate a partner (its code still attributes a lead, flagged `inactive`, and
    it gets no more emails) or reactivate it."""
    updated = store.update(partner_id.lower(), {"active": active}, [])
    if updated is None:
        raise PartnerNotFound(partner_id)
    return AdminPartner(**updated.model_dump())


def members(store: PartnerStore, group_id: str) -> list[str]:
    """The codes of the partners in this group."""
    return sorted(p.partner_id for p in store.list() if p.group_id == group_id)


def _existing(store: PartnerStore, partner_id: str) -> Partner:
    partner = store.get(partner_id.lower())
    if partner is None:
        raise PartnerNotFound(partner_id)
    return partner


# -- the referral link and its QR code ---------------------------------------------------------------


def referral_link(partner_id: str, page: str) -> str:
    """`page` with `ref=<code>` in its query (any other `ref` replaced, the rest kept);
    InvalidPage unless `page` is an absolute http(s) URL."""
    try:
        parts = urlsplit(page.strip())
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or any(c in page for c in " \t\r\n"):
        raise InvalidPage("an absolute http(s) URL of a landing page, such as https://www.example.com/offer")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "ref"]
    query.append(("ref", partner_id.lower()))
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), parts.fragment))


def default_page(forms: FormPages) -> str | None:
    """The first allowed origin of the first form that names one (by form id): a page
    that is known to post forms here. None when no form names an origin."""
    for form in sorted(forms.list_forms(), key=lambda f: f.form_id):
        if form.enabled and form.allowed_origins:
            return form.allowed_origins[0] + "/"
    return None


NO_PAGE = ("no form names an allowed origin to link to: ask for the link of a landing page (`--page URL`, "
           "`?page=URL`); any page with a form that posts here, or leadflow.js, keeps the code")


def link_for(partner_id: str, page: str | None, forms: FormPages | None) -> tuple[str | None, str | None]:
    """The referral link for `page`, or for the default page; else why there is none."""
    if page is None and forms is not None:
        page = default_page(forms)
    if page is None:
        return None, NO_PAGE
    return referral_link(partner_id, page), None


QrFormat = Literal["svg", "png"]
QR_TYPES: dict[str, str] = {"svg": "image/svg+xml", "png": "image/png"}


def qr_code(link: str, kind: QrFormat = "svg", scale: int = 8) -> bytes:
    """The link as a QR code (segno; error correction M survives a worn business card),
    with the quiet zone scanners need: an SVG to print at any size, or a PNG."""
    import segno  # only the QR routes and command need it

    code = segno.make(link, error="m", micro=False)
    out = io.BytesIO()
    if kind == "svg":
        code.save(out, kind="svg", scale=scale, border=4, title=link, xmldecl=False)
    else:
        code.save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
