"""A form's ready-to-paste embed snippets: the plain HTML form that posts to capture
(README "Connect your landing page"), and the same form enhanced by leadflow.js.

Everything put in a snippet is escaped, the URL and the form's own settings included:
a form's name and consent text are an admin's free text, and a snippet ends up in
someone's landing page."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from pydantic import BaseModel, Field

from leadflow.capture.fields import field_key
from leadflow.shared.models import FormConfig

# The few words of the form itself, in the form's language (English for the others).
LABELS: dict[str, dict[str, str]] = {
    "en": {"name": "Name", "email": "Email", "phone": "Phone", "send": "Send", "honeypot": "Leave this field empty"},
    "es": {"name": "Nombre", "email": "Correo electrónico", "phone": "Teléfono", "send": "Enviar",
           "honeypot": "Deje este campo vacío"},
    "ar": {"name": "الاسم", "email": "البريد الإلكتروني", "phone": "الهاتف", "send": "إرسال",
           "honeypot": "اترك هذا الحقل فارغًا"},
}
# A referral form's own words (leadflow.referrals.introduction): the partner, their
# introduction, and how the person they refer agreed to be contacted.
REFERRAL_LABELS: dict[str, dict[str, str]] = {
    "en": {"partner": "You, the partner", "referred_by": "Your partner code or email",
           "person": "The person you refer", "introduction": "Your introduction: who they are, what they need",
           "consent_method": "How did they agree to be contacted?", "choose": "Choose one",
           "consent_note": "Details (optional)", "asked_in_person": "I asked them in person",
           "asked_in_writing": "I asked them in writing", "asked_by_phone": "I asked them by phone",
           "person_asked_us": "They asked me to pass on their details", "other": "Another way"},
    "es": {"partner": "Usted, el socio", "referred_by": "Su código de socio o su correo",
           "person": "La persona que recomienda", "introduction": "Su presentación: quién es y qué necesita",
           "consent_method": "¿Cómo aceptó que la contactemos?", "choose": "Elija una opción",
           "consent_note": "Detalles (opcional)", "asked_in_person": "Se lo pregunté en persona",
           "asked_in_writing": "Se lo pregunté por escrito", "asked_by_phone": "Se lo pregunté por teléfono",
           "person_asked_us": "Me pidió que pasara sus datos", "other": "De otra manera"},
    "ar": {"partner": "أنت، الشريك", "referred_by": "رمز الشريك أو بريدك الإلكتروني",
           "person": "الشخص الذي تُحيله", "introduction": "تعريفك: من هو وما الذي يحتاج إليه",
           "consent_method": "كيف وافق على أن نتواصل معه؟", "choose": "اختر واحدًا",
           "consent_note": "تفاصيل (اختياري)", "asked_in_person": "سألته شخصيًا", "asked_in_writing": "سألته كتابةً",
           "asked_by_phone": "سألته هاتفيًا", "person_asked_us": "طلب مني أن أنقل بياناته", "other": "بطريقة أخرى"},
}
CONSENT_METHODS = ("asked_in_person", "asked_in_writing", "asked_by_phone", "person_asked_us", "other")
# The fields every snippet has, with their input type and autocomplete token.
CONTACT_FIELDS = (("name", "text", "name"), ("email", "email", "email"), ("phone", "tel", "tel"))


class EmbedSnippets(BaseModel):
    """What an admin pastes into a landing page to post to this form."""

    action_url: str = Field(description="where the form posts: `<ApiUrl>/forms/<form_id>/submissions`")
    html: str = Field(description="a plain HTML form: works in every browser, without JavaScript")
    leadflow_js: str = Field(description="the same form enhanced by leadflow.js (copy `web/leadflow.js` to your "
                                         "site): source tracking, fill time, answers shown in the page")


def action_url(api_url: str, form_id: str) -> str:
    """The capture endpoint of a form on the deployed API."""
    return f"{api_url.rstrip('/')}/forms/{quote(form_id, safe='')}/submissions"


def _attribute(value: str) -> str:
    return escape(value, quote=True)


def _next_url(form: FormConfig) -> str:
    """`_next`, as capture will follow it: the thank-you page when it is an absolute URL on
    one of the form's origins; empty otherwise (capture then uses the form's own)."""
    url = form.thank_you_url or ""
    return url if any(url.startswith(origin.rstrip("/") + "/") for origin in form.allowed_origins) else ""


def _referral_fields(form: FormConfig) -> tuple[list[str], list[str]]:
    """A referral form's fields around the person's: the partner's code or email before
    them, the introduction and how they agreed to be contacted after (both required by
    capture: without them the post is refused, 422)."""
    words = REFERRAL_LABELS.get(form.language.split("-")[0].lower(), REFERRAL_LABELS["en"])
    before = ["  <fieldset>", f"    <legend>{escape(words['partner'])}</legend>",
              f'    <label>{escape(words["referred_by"])} <input name="referred_by" required></label>',
              "  </fieldset>", "  <fieldset>", f"    <legend>{escape(words['person'])}</legend>"]
    options = "".join(f'<option value="{method}">{escape(words[method])}</option>' for method in CONSENT_METHODS)
    after = [f'  <label>{escape(words["introduction"])} <textarea name="introduction"></textarea></label>',
             f'  <label>{escape(words["consent_method"])} <select name="consent_method" required>'
             f'<option value="">{escape(words["choose"])}</option>{options}</select></label>',
             f'  <label>{escape(words["consent_note"])} <input name="consent_note"></label>',
             "  </fieldset>"]
    return before, after


def _fields(form: FormConfig, words: dict[str, str]) -> list[str]:
    required = {field_key(f) for f in form.required_fields}
    before, after = _referral_fields(form) if form.referral_form else ([], [])
    lines = list(before)
    for name, kind, autocomplete in CONTACT_FIELDS:
        flag = " required" if name == "name" or name in required else ""
        lines.append(f'  <label>{escape(words[name])} <input name="{name}" type="{kind}" '
                     f'autocomplete="{autocomplete}"{flag}></label>')
    for extra in sorted(required - {"name", "email", "phone", "consent"}):
        lines.append(f'  <label>{escape(extra)} <input name="{_attribute(extra)}" required></label>')
    lines += after
    if form.consent_text:
        flag = " required" if "consent" in required else ""
        lines.append("  <!-- The consent text word for word: it is stored as what the person agreed to. -->")
        lines.append(f'  <label><input name="consent" type="checkbox"{flag}> {escape(form.consent_text)}</label>')
    return lines


def _form(form: FormConfig, api_url: str, *, enhanced: bool) -> str:
    words = LABELS.get(form.language.split("-")[0].lower(), LABELS["en"])
    marker = " data-leadflow" if enhanced else ""
    lines = [f'<form method="post" action="{_attribute(action_url(api_url, form.form_id))}" '
             f'aria-label="{_attribute(form.name)}"{marker}>', *_fields(form, words)]
    lines += [
        "  <!-- Honeypot: clipped to nothing, out of the tab order, hidden from screen readers; only bots "
        "fill it. (Not pushed off screen: on a right-to-left page that widens the page.) -->",
        '  <div style="position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); '
        'white-space: nowrap" aria-hidden="true">',
        f'    <label>{escape(words["honeypot"])} <input name="{_attribute(form.honeypot_field)}" tabindex="-1" '
        'autocomplete="off"></label>',
        "  </div>",
        "  <!-- _next: where to go after success, an address on one of the form's allowed origins "
        "(empty: the form's thank-you page). -->",
        f'  <input type="hidden" name="_next" value="{_attribute(_next_url(form))}">',
    ]
    if enhanced:
        lines.append('  <p data-leadflow-status role="status" aria-live="polite"></p>')
    lines += [f"  <button>{escape(words['send'])}</button>", "</form>"]
    if enhanced:
        lines.append('<script src="leadflow.js" defer></script>  <!-- web/leadflow.js, copied to your site -->')
    return "\n".join(lines) + "\n"


def embed_snippets(form: FormConfig, api_url: str) -> EmbedSnippets:
    """The form's snippets for the API at `api_url` (the stack's `ApiUrl`)."""
    return EmbedSnippets(action_url=action_url(api_url, form.form_id), html=_form(form, api_url, enhanced=False),
                         leadflow_js=_form(form, api_url, enhanced=True))
