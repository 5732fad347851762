"""Forms as admins keep them: list, read, create, change, switch off and on again; each
answered with its embed snippets (leadflow.capture.embed). The admin API and the
`leadflow` command are two doors to these functions.

What is checked: each field sent, against its type and bounds (`NewForm`,
`FormChanges`: the request's schema), then the form as a whole, as capture will read
it (`FormConfig`) and against the rules no schema says (`form_problems`). A refusal
names every field at fault.

Forms are listed through GSI1 (`FORMS` / `<form_id>`, leadflow.storage.keys). A form
item written before that (by hand, or by an older version) has no such keys: capture
still reads it by id and every admin call by id works, but it is listed only once it
has been saved again, by any change (an empty one, `{}`, will do)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from leadflow.capture.embed import EmbedSnippets, embed_snippets
from leadflow.capture.fields import SOURCE_FIELDS, WELL_KNOWN, clean_text, field_key
from leadflow.capture.service import origin_of
from leadflow.shared.http import NOT_SENT, WHOLE_NUMBER, FieldError
from leadflow.shared.models import FormConfig
from leadflow.shared.refusal import Conflict, Invalid, NotFound, field_errors

FORM_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

FormId = Annotated[str, Field(pattern=FORM_ID_PATTERN, description="the id in the form's URL: letters, digits, "
                                                                   "`-` and `_`", examples=["spring-webinar"])]
FormName = Annotated[str, Field(min_length=1, max_length=200, description="a name for people")]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", description="of the messages and the "
                                "lead: `en`, `es`, `ar` (others fall back to English)")]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 code, for phones typed without "
                                                                  "+<country code>")]
# No space or control character in a URL, spelled out: `\s` differs between the regex
# dialects that read these patterns (ECMA's, for the OpenAPI document's clients, lacks
# U+0085, which Python's and pydantic's include), and a pattern must mean one thing.
_SPACE = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
_HOST = rf"[^{_SPACE}/?#]+"
_REST = rf"[^{_SPACE}]*"
PageUrl = Annotated[str, Field(max_length=2000, pattern=rf"^(https?://{_HOST}([/?#]{_REST})?|/([^{_SPACE}/]{_REST})?)$",
                               description="an absolute http(s) URL, or a path on the posting page's site (`/thanks`)")]
Origin = Annotated[str, Field(max_length=300, pattern=rf"^https?://{_HOST}$", description="`scheme://host[:port]`")]
FieldName = Annotated[str, Field(min_length=1, max_length=64)]
HoneypotField = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="a field only bots fill in")]
Origins = Annotated[list[Origin], Field(max_length=20, description="the pages' origins that may post from a browser "
                                                                  "(none: any page may post, `_next` is off)")]
RequiredFields = Annotated[list[FieldName], Field(max_length=30, description="fields required beyond a name and an "
                                                                            "email or phone")]
# To the millisecond (what leadflow.js measures): 1e-309 is 0, not a number DynamoDB refuses.
FillSeconds = Annotated[float, Field(ge=0, le=600, description="posts sooner after the form was shown are spam "
                                                                "(kept to the millisecond)"),
                        AfterValidator(lambda seconds: round(seconds, 3))]
RatePerMinute = Annotated[int, Field(ge=1, le=10_000, description="posts per client IP per minute, then 429"),
                          WHOLE_NUMBER]
FieldMapping = Annotated[dict[Annotated[str, Field(min_length=1, max_length=100)], str],
                         Field(max_length=50, description="a form tool's field name → the lead field it holds "
                               "(`{\"input_7\": \"company\"}`): " + ", ".join((*WELL_KNOWN, *SOURCE_FIELDS)))]
GoogleAdsKey = Annotated[str, Field(min_length=8, max_length=200, pattern=r"^[\x21-\x7e]+$",
                                    description="the key typed into the Google Ads lead form's webhook: its "
                                                "posts to /forms/{form_id}/google-ads must carry it")]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
# Bots (leadflow.capture.captcha; README "Bots: proof of work, Turnstile, spam review").
Captcha = Annotated[Literal["none", "altcha", "turnstile"], Field(
    description="`altcha`: every post needs a proof of work from `GET /forms/{form_id}/challenge`; `turnstile`: "
                "Cloudflare's widget, verified server-side")]
TurnstileSecret = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="the name, under the stack's "
                                       "`<stack>/turnstile/` prefix in Secrets Manager, of the widget's secret")]
PostCap = Annotated[int, Field(ge=1, le=1_000_000, description="posts from all IPs per window, then 429 `form_busy` "
                                                               "(or a proof of work, `proof_when_capped`)"),
                    WHOLE_NUMBER]
CapWindow = Annotated[int, Field(ge=10, le=3600, description="the cap's window in seconds"), WHOLE_NUMBER]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
ReferralForm = Annotated[bool, Field(description="a partner fills it in for someone they refer: their code or email "
                                     "(`referred_by`), a note (`introduction`), how the person agreed to be contacted "
                                     "(`consent_method`; README \"Referrals and partners\")")]

# A new form's settings default to FormConfig's, read from it so the two cannot differ.
_DEFAULTS = FormConfig(form_id="defaults", name="defaults")


class NewForm(BaseModel):
    """A form to create: its id and name, and any of its settings (the others take
    their defaults, as in README "Per-form configuration")."""

    # Strict: JSON's types as the document says them (no "12" for 12, no 0 for false).
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"form_id": "spring-webinar", "name": "Spring webinar", "language": "en", "thank_you_url": "/thank-you",
         "allowed_origins": ["https://www.example.com"], "scoring_profile": "b2b"}]})

    form_id: FormId
    name: FormName
    enabled: bool = _DEFAULTS.enabled
    language: Language = _DEFAULTS.language
    default_country: Country = _DEFAULTS.default_country
    thank_you_url: PageUrl | None = None
    error_url: PageUrl | None = None
    allowed_origins: Origins = Field(default_factory=list)
    required_fields: RequiredFields = Field(default_factory=list)
    scoring_profile: Literal["b2b", "b2c"] = _DEFAULTS.scoring_profile
    honeypot_field: HoneypotField = _DEFAULTS.honeypot_field
    min_fill_seconds: FillSeconds = _DEFAULTS.min_fill_seconds
    rate_limit_per_minute: RatePerMinute = _DEFAULTS.rate_limit_per_minute
    captcha: Captcha = _DEFAULTS.captcha
    turnstile_site_key: ShortText | None = None
    turnstile_secret: TurnstileSecret | None = None
    turnstile_action: ShortText | None = None
    post_cap_per_window: PostCap | None = None
    post_cap_window_seconds: CapWindow = _DEFAULTS.post_cap_window_seconds
    proof_when_capped: bool = _DEFAULTS.proof_when_capped
    keep_custom_fields: bool = _DEFAULTS.keep_custom_fields
    consent_text: Text | None = None
    consent_version: ShortText | None = None
    autoresponder: bool = _DEFAULTS.autoresponder
    autoresponder_subject: ShortText | None = None
    field_map: FieldMapping = Field(default_factory=dict)
    google_ads_key: GoogleAdsKey | None = None
    referral_form: ReferralForm = _DEFAULTS.referral_form


class FormChanges(BaseModel):
    """The settings to change, and only those: a setting left out stays as it is; null
    clears the optional ones (the URLs, the consent text and version, the subject) and
    is refused for the others, as any value of the wrong type."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"name": "Spring webinar (EMEA)", "rate_limit_per_minute": 10, "consent_text": None}]})

    name: FormName = NOT_SENT
    enabled: bool = NOT_SENT
    language: Language = NOT_SENT
    default_country: Country = NOT_SENT
    thank_you_url: PageUrl | None = NOT_SENT
    error_url: PageUrl | None = NOT_SENT
    allowed_origins: Origins = NOT_SENT
    required_fields: RequiredFields = NOT_SENT
    scoring_profile: Literal["b2b", "b2c"] = NOT_SENT
    honeypot_field: HoneypotField = NOT_SENT
    min_fill_seconds: FillSeconds = NOT_SENT
    rate_limit_per_minute: RatePerMinute = NOT_SENT
    captcha: Captcha = NOT_SENT
    turnstile_site_key: ShortText | None = NOT_SENT
    turnstile_secret: TurnstileSecret | None = NOT_SENT
    turnstile_action: ShortText | None = NOT_SENT
    post_cap_per_window: PostCap | None = NOT_SENT
    post_cap_window_seconds: CapWindow = NOT_SENT
    proof_when_capped: bool = NOT_SENT
    keep_custom_fields: bool = NOT_SENT
    consent_text: Text | None = NOT_SENT
    consent_version: ShortText | None = NOT_SENT
    autoresponder: bool = NOT_SENT
    autoresponder_subject: ShortText | None = NOT_SENT
    field_map: FieldMapping = NOT_SENT
    google_ads_key: GoogleAdsKey | None = NOT_SENT
    referral_form: ReferralForm = NOT_SENT

    def sent(self) -> dict[str, Any]:
        """The settings the request named, as JSON values (null: to clear)."""
        return self.model_dump(mode="json", include=self.model_fields_set)


class AdminForm(FormConfig):
    """A form as the admins see it: its settings and its embed snippets."""

    embed: EmbedSnippets


class FormList(BaseModel):
    forms: list[AdminForm]


class FormNotFound(NotFound):
    code = "form_not_found"

    def __init__(self, form_id: str) -> None:
        super().__init__(f"there is no form {form_id!r}")


class FormExists(Conflict):
    code = "form_exists"

    def __init__(self, form_id: str) -> None:
        super().__init__(f"a form {form_id!r} exists already: change it instead")


class InvalidForm(Invalid):
    code = "invalid_form"


class FormStore(Protocol):
    def get_form(self, form_id: str, *, consistent: bool = False) -> FormConfig | None: ...
    def create_form(self, form: FormConfig) -> bool: ...
    def list_forms(self) -> list[FormConfig]: ...
    def update_form(self, form_id: str, fields: dict[str, Any], remove: list[str]) -> FormConfig | None: ...


def _is_page_url(url: str) -> bool:
    # A path on the posting page's site, or an absolute http(s) URL; never `//host` (another site).
    return (url.startswith("/") and not url.startswith("//")) or origin_of(url) is not None


def form_problems(form: FormConfig) -> list[FieldError]:
    """What no schema says but capture relies on, each naming its field: URLs it can
    redirect to, origins as browsers send them, a honeypot that is not a real field."""
    problems = []
    if not clean_text(form.name, multiline=False):
        problems.append(FieldError(field="name", code="name_required", message="a name needs a visible character"))
    for field in ("thank_you_url", "error_url"):
        url = getattr(form, field)
        if url is not None and not _is_page_url(url):
            problems.append(FieldError(field=field, code="invalid_url",
                                       message="an absolute http(s) URL, or a path starting with /"))
    for index, origin in enumerate(form.allowed_origins):
        if origin_of(origin) != origin:
            problems.append(FieldError(field=f"allowed_origins.{index}", code="invalid_origin",
                                       message="scheme://host[:port], with no path, as a browser sends it"))
    if field_key(form.honeypot_field).lstrip("_") in (*WELL_KNOWN, *SOURCE_FIELDS):
        problems.append(FieldError(field="honeypot_field", code="honeypot_is_a_field",
                                   message="people fill this field in: every post would be taken for a bot's"))
    for index, name in enumerate(form.required_fields):
        if not field_key(name).strip("_"):
            problems.append(FieldError(field=f"required_fields.{index}", code="invalid_field_name",
                                       message="a field name needs a letter or a digit"))
    if form.captcha == "turnstile" and not form.turnstile_secret:
        problems.append(FieldError(field="turnstile_secret", code="turnstile_secret_required",
                                   message="Turnstile is verified with the widget's secret: name it"))
    if "consent" in {field_key(f) for f in form.required_fields} and not form.consent_text:
        problems.append(FieldError(field="consent_text", code="consent_text_required",
                                   message="a required consent needs the text people agree to"))
    for name, target in form.field_map.items():
        if target not in (*WELL_KNOWN, *SOURCE_FIELDS):
            problems.append(FieldError(field=f"field_map.{name}", code="unknown_lead_field",
                                       message=f"a lead field: {', '.join((*WELL_KNOWN, *SOURCE_FIELDS))}"))
    return problems


def checked_form(settings: dict[str, Any]) -> FormConfig:
    """The form as capture will read it, or InvalidForm naming every field at fault."""
    try:
        form = FormConfig.model_validate(settings)
    except ValidationError as error:
        raise InvalidForm(field_errors(error)) from None
    problems = form_problems(form)
    if problems:
        raise InvalidForm(problems)
    return form


def admin_form(form: FormConfig, api_url: str) -> AdminForm:
    return AdminForm(**form.model_dump(), embed=embed_snippets(form, api_url))


def list_forms(store: FormStore, api_url: str) -> FormList:
    """Every (listed) form with its snippets, by id."""
    return FormList(forms=[admin_form(f, api_url) for f in sorted(store.list_forms(), key=lambda f: f.form_id)])


def get_form(store: FormStore, form_id: str, api_url: str) -> AdminForm:
    form = store.get_form(form_id, consistent=True)
    if form is None:
        raise FormNotFound(form_id)
    return admin_form(form, api_url)


def create_form(store: FormStore, new: NewForm, api_url: str) -> AdminForm:
    """A new form (FormExists when the id is taken: one conditional write decides)."""
    form = checked_form(new.model_dump())
    if not store.create_form(form):
        raise FormExists(form.form_id)
    return admin_form(form, api_url)


def update_form(store: FormStore, form_id: str, changes: FormChanges, api_url: str) -> AdminForm:
    """Change the settings sent, and only those (another admin's change to another
    setting meanwhile is kept), once the form they make is valid as a whole."""
    current = store.get_form(form_id, consistent=True)
    if current is None:
        raise FormNotFound(form_id)
    sent = changes.sent()
    checked_form({**current.model_dump(mode="json"), **sent})
    updated = store.update_form(form_id, {k: v for k, v in sent.items() if v is not None},
                                [k for k, v in sent.items() if v is None])
    if updated is None:  # deleted in between
        raise FormNotFound(form_id)
    return admin_form(updated, api_url)


def set_form_enabled(store: FormStore, form_id: str, enabled: bool, api_url: str) -> AdminForm:
    """Switch a form off (capture answers its posts 410 `form_disabled`, within the
    minute its cache keeps a form) or on again. Nothing else is checked: a form whose
    stored settings are wrong can always be switched off."""
    updated = store.update_form(form_id, {"enabled": enabled}, [])
    if updated is None:
        raise FormNotFound(form_id)
    return admin_form(updated, api_url)

