"""Posts as the common form tools send them, turned into the flat fields capture reads.

Each tool's shape is recognised from the body itself (no per-tool URL): one small
function per tool below, each naming where its shape comes from. What they return is
a flat `name → text` dict whose names `fields.field_key` then knows (`first_name`,
`email`, `landing_page`, ...) or keeps as custom fields. Tool metadata (entry ids, page
ids, nonces) become hidden fields (`_...`): never stored as the lead's data. IPs and
user agents the tools pass on are dropped: we never keep them as fields.

A form's `field_map` (`{"input_7": "company"}`) names what no rule can guess: it is
applied first, to the names as the tool sends them (for nested tools: HubSpot's field
name, Typeform's ref or question, Tally's label), and wins over every guess here.

Unknown nested JSON is flattened (`{"lead": {"name": ..}}` → `lead[name]`), and a
bracketed name whose last part is a field we know (`lead[name]`, jQuery's nesting)
is read as that field."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from leadflow.capture.fields import ALIASES, SOURCE_FIELDS, WELL_KNOWN, field_key

FieldMap = Mapping[str, str]
KNOWN = frozenset((*WELL_KNOWN, *SOURCE_FIELDS))
# Never kept as a field: personal data the tools add about the request itself.
DROPPED = frozenset({"ip", "ip_address", "ipaddress", "user_agent", "useragent", "remote_ip"})
MAX_DEPTH = 8  # nested JSON deeper than this is not a form: its deeper parts are left out

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[\d\s().\-/]{7,24}$")
_PERSON_NAME = re.compile(r"^[^\d@/:]{2,80}$")
_BRACKETS = re.compile(r"\[([^\]]*)\]")
# What a body that only looks like a tool's shape raises in its reader (an id that is a
# list, a value where an object was due).
_NOT_THE_SHAPE = (TypeError, AttributeError, KeyError, ValueError)


# -- entry points (leadflow.capture.body) ------------------------------------------------


def fields_of_json(data: dict[str, Any], field_map: FieldMap | None = None,
                   keep: Iterable[str] = ()) -> dict[str, str]:
    """A JSON object's fields: a known tool's shape, else the object flattened."""
    field_map = field_map or {}
    for matches, read in JSON_TOOLS:
        try:
            if matches(data):
                return fields_of_flat(read(data, field_map), field_map, keep)
        except _NOT_THE_SHAPE:  # almost a tool's shape: read as plain nested JSON, never a 500
            break
    return fields_of_flat(flatten(data), field_map, keep)


def fields_of_flat(fields: dict[str, str], field_map: FieldMap | None = None,
                   keep: Iterable[str] = ()) -> dict[str, str]:
    """Flat fields (urlencoded, multipart, or a tool's JSON made flat) with the form's
    field map applied, then a tool's naming read (Gravity Forms, Elementor, WPForms,
    Jotform, Unbounce, Formspree); names in `keep` (the form's honeypot) stay as sent."""
    kept = {name: value for name, value in fields.items() if name in set(keep)}
    fields = _mapped({k: v for k, v in fields.items() if k not in kept}, field_map or {})
    for matches, read in FLAT_TOOLS:
        if matches(fields):
            try:
                fields = read(fields)
            except _NOT_THE_SHAPE:  # almost a tool's shape: the fields as sent
                pass
            break
    return {**_nested_names(fields), **kept}


# -- helpers -----------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """JSON's scalars as a form would have sent them; lists joined; None for nothing."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, list):
        parts = [t for t in (_text(v) for v in value if not isinstance(v, (dict, list))) if t]
        return ", ".join(parts)
    return None


def flatten(data: Any, prefix: str = "", depth: int = 0) -> dict[str, str]:
    """Nested JSON as bracketed names, as jQuery and PHP write them: `lead[name]`,
    `items[0][sku]`; lists of scalars joined with commas."""
    flat: dict[str, str] = {}
    if depth > MAX_DEPTH:
        return flat
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in items:
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value)):
            flat.update(flatten(value, name, depth + 1))
        elif (text := _text(value)) is not None:
            flat[name] = text
    return flat


def _mapped(fields: dict[str, str], field_map: FieldMap) -> dict[str, str]:
    """The form's own names first: `input_7` → `company` (matched as sent, or as
    `field_key` reads both)."""
    if not field_map:
        return fields
    by_key = {field_key(name): target for name, target in field_map.items()}
    out: dict[str, str] = {}
    for name, value in fields.items():
        target = field_map.get(name) or by_key.get(field_key(name))
        if target and not out.get(target):
            out[target] = value
        else:
            out.setdefault(name, value)
    return out


def _target(name: str, field_map: FieldMap) -> str | None:
    return field_map.get(name) or {field_key(k): v for k, v in field_map.items()}.get(field_key(name))


def _nested_names(fields: dict[str, str]) -> dict[str, str]:
    """`lead[name]` → `name`, `contact[email]` → `email`: the last part of a bracketed
    name, when it is a field we know and not already filled; else the name as sent."""
    out: dict[str, str] = {}
    for name, value in fields.items():
        if "[" in name and not name.startswith("_"):
            parts = [p for p in _BRACKETS.findall(name) if p and not p.isdigit()]
            last = field_key(parts[-1]) if parts else ""
            if last in KNOWN and not out.get(last) and last not in fields:
                out[last] = value
                continue
        out.setdefault(name, value)
    return out


def _hidden(name: str) -> str:
    """A tool's own metadata: kept out of the lead's fields."""
    return name if name.startswith("_") else f"_{name}"


def _guess(value: str, taken: dict[str, str]) -> str | None:
    """What a field with an opaque name (`input_2`, `wpforms[fields][1]`) holds, from
    its value: an email, a phone number, a message on several lines; None: unknown."""
    text = value.strip()
    if not text:
        return None
    if "email" not in taken and _EMAIL.match(text):
        return "email"
    if "phone" not in taken and _PHONE.match(text) and sum(c.isdigit() for c in text) >= 7:
        return "phone"
    if "message" not in taken and ("\n" in text or len(text) > 80):
        return "message"
    return None


def _guess_opaque(fields: dict[str, str], opaque: Callable[[str], bool]) -> dict[str, str]:
    """Opaque names read by their values; then, when no name was found, the first
    short text that looks like a person's name is the name (a form without one would
    be refused, and the person lost)."""
    out: dict[str, str] = {}
    unknown: list[str] = []
    for name, value in fields.items():
        guess = _guess(value, out) if opaque(name) else None
        if guess:
            out[guess] = value
        else:
            out.setdefault(name, value)
            if opaque(name) and value.strip():
                unknown.append(name)
    if not any(out.get(k) for k in ("name", "first_name", "last_name")):
        found = next((n for n in unknown if _PERSON_NAME.match(out[n].strip()) and "\n" not in out[n]), None)
        if found:
            out["name"] = out.pop(found)
    return out


def _label_key(label: str) -> str:
    """A question as people word it (`What's your email?`, `Company name`) → the field
    it asks for; else the label as it is (a custom field)."""
    key = field_key(label)
    if key in KNOWN:
        return key
    words = f" {re.sub(r'[^a-z0-9]+', ' ', label.lower())} "
    for needles, target in _LABEL_WORDS:
        if any(f" {n} " in words or (len(n) > 5 and n in words) for n in needles):
            return target
    return label


_LABEL_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("email", "e mail"), "email"),
    (("phone", "mobile", "tel", "telephone"), "phone"),
    (("first name", "given name"), "first_name"),
    (("last name", "surname", "family name"), "last_name"),
    (("company", "organization", "organisation", "business"), "company"),
    (("job title", "role", "position"), "job_title"),
    (("name",), "name"),
    (("consent", "agree", "gdpr", "privacy", "terms"), "consent"),
    (("message", "comment", "comments", "question", "how can we help", "anything else"), "message"),
)


def _put(out: dict[str, str], name: str, value: str | None) -> None:
    """The first filled value for a name wins (as for a repeated form field)."""
    if value is not None and (name not in out or not out[name]):
        out[name] = value


# -- JSON tools --------------------------------------------------------------------------


def is_hubspot(data: dict[str, Any]) -> bool:
    return isinstance(data.get("fields"), list) and all(isinstance(f, dict) and "name" in f for f in data["fields"])


def hubspot(data: dict[str, Any], field_map: FieldMap) -> dict[str, str]:
    """HubSpot Forms API v3 (`POST /submissions/v3/integration/submit/...`, the body a
    page sends HubSpot, pointed at us): `fields: [{objectTypeId, name, value}]`,
    `context: {pageUri, pageName, hutk, ipAddress}`, `legalConsentOptions.consent
    .consentToProcess` (developers.hubspot.com/docs/api/marketing/forms, v3 submit)."""
    out: dict[str, str] = {}
    for item in data["fields"]:
        name = str(item["name"])
        if item.get("objectTypeId") == "0-2":  # a company's property: its `name` is the company
            name = "company" if name == "name" else f"company_{name}"
        _put(out, _target(name, field_map) or name, _text(item.get("value")))
    context = data.get("context") if isinstance(data.get("context"), dict) else {}
    _put(out, "landing_page", _text(context.get("pageUri")))
    for name in ("pageName", "hutk"):
        _put(out, _hidden(name), _text(context.get(name)))
    legal = data.get("legalConsentOptions") if isinstance(data.get("legalConsentOptions"), dict) else {}
    consent = legal.get("consent") if isinstance(legal.get("consent"), dict) else {}
    if "consentToProcess" in consent:
        _put(out, "consent", _text(bool(consent["consentToProcess"])))
    return out


def is_typeform(data: dict[str, Any]) -> bool:
    return isinstance(data.get("form_response"), dict) and isinstance(data["form_response"].get("answers"), list)


def typeform(data: dict[str, Any], field_map: FieldMap) -> dict[str, str]:
    """Typeform's webhook (`event_type: form_response`): `form_response.answers[]`,
    each `{type, <type>: value, field: {id, type, ref}}`, the questions in
    `form_response.definition.fields[]` and hidden fields (UTM) in `hidden`
    (typeform.com/developers/webhooks/example-payload). A field is named by its ref,
    else its question, else by the answer's type (email, phone_number)."""
    response = data["form_response"]
    definition = response.get("definition") if isinstance(response.get("definition"), dict) else {}
    titles = {f.get("id"): f.get("title") for f in definition.get("fields") or [] if isinstance(f, dict)}
    out: dict[str, str] = {}
    for answer in response["answers"]:
        if not isinstance(answer, dict):
            continue
        kind = str(answer.get("type", ""))
        field = answer.get("field") if isinstance(answer.get("field"), dict) else {}
        value = answer.get(kind)
        if kind == "choice" and isinstance(value, dict):
            value = value.get("other") or value.get("label")
        elif kind == "choices" and isinstance(value, dict):
            value = [*(value.get("labels") or []), *([value["other"]] if value.get("other") else [])]
        ref, title = str(field.get("ref") or ""), str(titles.get(field.get("id")) or "")
        name = _target(ref, field_map) or _target(title, field_map)
        if not name:
            by_type = {"email": "email", "phone_number": "phone"}.get(kind)
            if field.get("type") == "legal":
                by_type = "consent"
            from_ref = _label_key(ref) if ref else ""
            name = by_type or (from_ref if from_ref in KNOWN else (_label_key(title) if title else ref or kind))
        _put(out, name, _text(value))
    for name, value in (response.get("hidden") or {}).items():
        _put(out, str(name), _text(value))
    metadata = response.get("metadata") if isinstance(response.get("metadata"), dict) else {}
    _put(out, "landing_page", _text(metadata.get("referer")))
    return out


def is_tally(data: dict[str, Any]) -> bool:
    inner = data.get("data")
    return isinstance(inner, dict) and isinstance(inner.get("fields"), list) and "eventType" in data


def tally(data: dict[str, Any], field_map: FieldMap) -> dict[str, str]:
    """Tally's webhook (`eventType: FORM_RESPONSE`): `data.fields[]`, each `{key, label,
    type, value, options?}`; choices are option ids, read back as their texts; hidden
    fields (UTM) come as fields of type HIDDEN_FIELDS (tally.so/help/webhooks)."""
    out: dict[str, str] = {}
    for field in data["data"]["fields"]:
        if not isinstance(field, dict):
            continue
        label, kind, value = str(field.get("label") or field.get("key") or ""), field.get("type"), field.get("value")
        options = {o.get("id"): o.get("text") for o in field.get("options") or [] if isinstance(o, dict)}
        if options and isinstance(value, list):
            value = [options.get(v, v) for v in value]
        name = _target(label, field_map) or {"INPUT_EMAIL": "email", "INPUT_PHONE_NUMBER": "phone"}.get(str(kind))
        if not name:
            name = label if kind == "HIDDEN_FIELDS" else _label_key(label)
        _put(out, name, _text(value))
    return out


def is_webflow(data: dict[str, Any]) -> bool:
    payload = data.get("payload")
    return data.get("triggerType") == "form_submission" and isinstance(payload, dict) \
        and isinstance(payload.get("data"), dict)


def webflow(data: dict[str, Any], field_map: FieldMap) -> dict[str, str]:
    """Webflow's `form_submission` webhook: `{triggerType, payload: {name, siteId,
    data: {<field label>: value}, submittedAt, id, formId, pageId, publishedPath}}`
    (developers.webflow.com, webhooks: form_submission); `data` names fields as the
    form's labels (`Email Address`), which field_key reads."""
    payload = data["payload"]
    out = flatten(payload["data"])
    for name in ("formId", "pageId", "publishedPath", "id"):
        _put(out, _hidden(name), _text(payload.get(name)))
    return out


def is_netlify(data: dict[str, Any]) -> bool:
    return isinstance(data.get("data"), dict) and ("form_id" in data or "site_url" in data) \
        and ("human_fields" in data or "form_name" in data)


def netlify(data: dict[str, Any], field_map: FieldMap) -> dict[str, str]:
    """Netlify Forms' outgoing webhook ("Outgoing notification → HTTP POST request"):
    the submission object `{number, email, name, data: {<field>: value, ip,
    user_agent, referrer}, human_fields, form_id, site_url, form_name, ...}`
    (docs.netlify.com/forms/notifications); `data` holds what the page posted."""
    out = {k: v for k, v in flatten(data["data"]).items() if k.lower() not in DROPPED}
    for name in ("id", "form_id", "form_name"):
        _put(out, _hidden(name), _text(data.get(name)))
    return out


def is_gravity_webhook(data: dict[str, Any]) -> bool:
    return "form_id" in data and "date_created" in data and any(re.fullmatch(r"\d+(\.\d+)?", k) for k in data)


def gravity_webhook(data: dict[str, Any], field_map: FieldMap) -> dict[str, str]:
    """Gravity Forms' Webhooks add-on with "Request Body: All Fields": the entry object,
    `{"id", "form_id", "date_created", "source_url", "ip", "user_agent", "1.3": first,
    "1.6": last, "2": email, ...}` (docs.gravityforms.com, Entry Object); read as
    the native post it came from (`input_1.3`, ...)."""
    out: dict[str, str] = {}
    for key, value in data.items():
        text = _text(value)
        if text is None or key.lower() in DROPPED:
            continue
        if re.fullmatch(r"\d+(\.\d+)?", key):
            out[f"input_{key}"] = text
        elif key == "source_url":
            out["landing_page"] = text
        else:
            out[_hidden(key)] = text
    out["_gform_submit"] = str(data.get("form_id"))  # what a native post carries: it is Gravity's
    return out


JsonReader = Callable[[dict[str, Any], FieldMap], dict[str, str]]
JSON_TOOLS: tuple[tuple[Callable[[dict[str, Any]], bool], JsonReader], ...] = (
    (is_hubspot, hubspot), (is_typeform, typeform), (is_tally, tally), (is_webflow, webflow),
    (is_netlify, netlify), (is_gravity_webhook, gravity_webhook),
)


# -- flat tools (urlencoded, multipart, or made flat above) -------------------------------


def is_jotform_webhook(fields: dict[str, str]) -> bool:
    return "rawRequest" in fields


def jotform_webhook(fields: dict[str, str]) -> dict[str, str]:
    """Jotform's webhook (multipart): `formID`, `submissionID`, `formTitle`, `pretty`,
    `ip` and `rawRequest`, the page's post as a JSON string (`{"q3_name": {"first",
    "last"}, "q4_email": ...}`) (jotform.com/help/245-how-to-setup-a-webhook-with-jotform).
    Read as that post; a `rawRequest` that is not JSON is kept as a field."""
    try:
        raw = json.loads(fields["rawRequest"])
    except (ValueError, RecursionError):
        return fields
    if not isinstance(raw, dict):
        return fields
    inner = flatten(raw)
    inner.update({_hidden(k): v for k, v in fields.items() if k in ("formID", "submissionID")})
    return jotform(inner)


_JOTFORM = re.compile(r"^q\d+_([A-Za-z0-9_]+)(.*)$")
_JOTFORM_PARTS = {"first": "first_name", "last": "last_name", "full": "phone", "phone": "phone"}


def is_jotform(fields: dict[str, str]) -> bool:
    return ("formID" in fields or "jsExecutionTracker" in fields) and any(_JOTFORM.match(k) for k in fields)


def jotform(fields: dict[str, str]) -> dict[str, str]:
    """Jotform's pasted source ("Embed → Source code"): fields named `q<id>_<name>`
    with sub-fields in brackets, `q3_name[first]`, `q3_name[last]`, `q4_email`,
    `q5_phoneNumber[full]` (or `[area]` + `[phone]`), beside `formID`, `simple_spc`,
    `jsExecutionTracker`, ... (the form's HTML as Jotform gives it). camelCase names
    become words (`companyName` → company)."""
    out: dict[str, str] = {}
    area: dict[str, str] = {}
    for name, value in fields.items():
        found = _JOTFORM.match(name)
        if not found:
            out[name if name.startswith("_") or field_key(name) in KNOWN else _hidden(name)] = value
            continue
        base = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", found[1]).lower()
        parts = _BRACKETS.findall(found[2])
        sub = parts[0] if parts else ""
        if sub == "area":
            area[base] = value
            continue
        if sub in _JOTFORM_PARTS and (sub in ("first", "last") or field_key(base) == "phone"):
            target = _JOTFORM_PARTS[sub]
            text = f"{area.get(base, '')} {value}".strip() if sub == "phone" else value
        else:
            target, text = (f"{base}_{'_'.join(parts)}" if parts else base), value
        _put(out, target, text)
    return out


_GRAVITY_INPUT = re.compile(r"^input_(\d+)(?:[._](\d+))?$")
_GRAVITY_NAME_PARTS = {"3": "first_name", "6": "last_name", "2": "_name_prefix", "4": "_name_middle",
                       "8": "_name_suffix"}


def is_gravity(fields: dict[str, str]) -> bool:
    return any(k.startswith(("gform_", "_gform_")) or re.fullmatch(r"is_submit_\d+", k) for k in fields) \
        and any(_GRAVITY_INPUT.match(k) for k in fields)


def gravity(fields: dict[str, str]) -> dict[str, str]:
    """Gravity Forms' native post (the form's HTML, `action` pointed at us): `input_<id>`
    per field and `input_<id>.<n>` per sub-input: a Name field's .3 first and .6 last
    (.2 prefix, .4 middle, .8 suffix), a Consent field's .1 ("1" when ticked), .2 its
    text, .3 its revision; beside `gform_submit`, `is_submit_<form>`, `state_<form>`,
    `gform_unique_id`, ... (docs.gravityforms.com: Name, Consent fields; the form
    markup). Field ids say nothing of what they hold: values tell emails and phones,
    the form's field_map names the rest (`{"input_7": "company"}`)."""
    groups: dict[str, dict[str, str]] = {}
    for name in fields:
        found = _GRAVITY_INPUT.match(name)
        if found and found[2]:
            groups.setdefault(found[1], {})[found[2]] = name
    out: dict[str, str] = {}
    for name, value in fields.items():
        found = _GRAVITY_INPUT.match(name)
        if not found:
            out[name if name.startswith("_") or field_key(name) in KNOWN else _hidden(name)] = value
            continue
        subs = set(groups.get(found[1], {}))
        if found[2] and subs <= set(_GRAVITY_NAME_PARTS) and subs & {"3", "6"}:
            _put(out, _GRAVITY_NAME_PARTS[found[2]], value)
        elif found[2] and subs == {"1", "2", "3"}:  # a consent: ticked or not; its text and revision aside
            if found[2] == "1":
                _put(out, "consent", "true" if value.strip() else "false")
            else:
                out[_hidden(name)] = value
        else:
            out[name] = value
    return _guess_opaque(out, lambda n: bool(_GRAVITY_INPUT.match(n)))


_ELEMENTOR = re.compile(r"^form_fields\[([^\]]+)\](\[\])?$")
_ELEMENTOR_META = frozenset({"post_id", "form_id", "queried_id", "action", "referer_title"})


def is_elementor(fields: dict[str, str]) -> bool:
    return any(_ELEMENTOR.match(k) for k in fields)


def elementor(fields: dict[str, str]) -> dict[str, str]:
    """Elementor Pro's form, posted natively (`admin-ajax.php` pointed at us):
    `form_fields[<field id>]` per field (ids `name`, `email`, `message` by default,
    `field_<hex>` for the others), beside `post_id`, `form_id`, `queried_id`,
    `referer_title`, `action=elementor_pro_forms_send_form` and `referrer`, the page's
    URL (Elementor Pro's form widget markup)."""
    out: dict[str, str] = {}
    for name, value in fields.items():
        found = _ELEMENTOR.match(name)
        if found:
            _put(out, found[1], value)
        elif name in _ELEMENTOR_META:
            out[_hidden(name)] = value
        elif name == "referrer":  # Elementor's `referrer` is the page the form is on
            _put(out, "landing_page", value)
        else:
            out[name] = value
    return _guess_opaque(out, lambda n: bool(re.fullmatch(r"field_[0-9a-f]+", n)))


_WPFORMS = re.compile(r"^wpforms\[fields\]\[(\d+)\](?:\[([a-z_]+)\])?(\[\])?$")
_CONSENT_WORDS = re.compile(r"\b(consent|agree|gdpr|privacy)\b", re.IGNORECASE)
_WPFORMS_PARTS = {"first": "first_name", "last": "last_name", "middle": "_name_middle"}


def is_wpforms(fields: dict[str, str]) -> bool:
    return any(k.startswith("wpforms[") for k in fields)


def wpforms(fields: dict[str, str]) -> dict[str, str]:
    """WPForms' native post: `wpforms[fields][<id>]` per field, a Name field's
    `[first]`/`[middle]`/`[last]`, beside `wpforms[id]`, `wpforms[author]`,
    `wpforms[post_id]`, `wpforms[submit]`, `wpforms[token]`, `page_title`, `page_url`,
    `url_referer`; a GDPR Agreement field posts its text as `wpforms[fields][<id>][]`
    when ticked (read as the consent); its legacy honeypot is `wpforms[hp]`, kept as sent for the spam
    check (the form's markup, wpforms-lite). Ids tell nothing: values and the field
    map do."""
    out: dict[str, str] = {}
    for name, value in fields.items():
        found = _WPFORMS.match(name)
        if found and found[2] in _WPFORMS_PARTS:
            _put(out, _WPFORMS_PARTS[found[2]], value)
        elif found and found[3] and _CONSENT_WORDS.search(value):  # a GDPR Agreement box, ticked
            _put(out, "consent", "true")
        elif found:
            _put(out, f"wpforms_field_{found[1]}{'_' + found[2] if found[2] else ''}", value)
        elif name == "wpforms[hp]":
            out[name] = value
        elif name.startswith("wpforms[") or name in ("page_title", "page_id"):
            out[_hidden(name)] = value
        elif name == "url_referer":
            _put(out, "referrer", value)
        else:
            out[name] = value
    return _guess_opaque(out, lambda n: n.startswith("wpforms_field_"))


def is_unbounce(fields: dict[str, str]) -> bool:
    return "data.json" in fields


def unbounce(fields: dict[str, str]) -> dict[str, str]:
    """Unbounce's webhook (urlencoded): `data.json`, the form as a JSON string of lists
    (`{"email": ["..."], "ip_address": [...], "page_url": [...], "variant": ["a"]}`),
    `data.xml`, `page_id`, `page_name`, `page_url`, `variant`
    (documentation.unbounce.com, "Using a webhook")."""
    try:
        data = json.loads(fields["data.json"])
    except (ValueError, RecursionError):
        return fields
    if not isinstance(data, dict):
        return fields
    out: dict[str, str] = {}
    for name, value in data.items():
        text = _text(value)
        if text is None or name.lower() in DROPPED:
            continue
        if name in ("page_uuid", "variant", "time_submitted", "date_submitted", "page_name"):
            out[_hidden(name)] = text
        else:
            _put(out, "landing_page" if name == "page_url" else name, text)
    _put(out, "landing_page", fields.get("page_url"))
    for name in ("page_id", "variant"):
        _put(out, _hidden(name), fields.get(name))
    return out


def is_formspree(fields: dict[str, str]) -> bool:
    return "_replyto" in fields or "replyto" in fields


def formspree(fields: dict[str, str]) -> dict[str, str]:
    """Formspree's naming (formspree.io/forms, "special fields"): `_replyto` (or
    `replyto`) is the visitor's email; `_subject`, `_cc`, `_next` stay hidden and
    `_gotcha` is its honeypot (capture.spam)."""
    out = dict(fields)
    reply = out.pop("_replyto", None) or out.pop("replyto", None)
    if reply and not any(out.get(k) for k in ("email", *[a for a, t in ALIASES.items() if t == "email"])):
        out["email"] = reply
    return out


FLAT_TOOLS: tuple[tuple[Callable[[dict[str, str]], bool], Callable[[dict[str, str]], dict[str, str]]], ...] = (
    (is_jotform_webhook, jotform_webhook), (is_jotform, jotform), (is_gravity, gravity),
    (is_elementor, elementor), (is_wpforms, wpforms), (is_unbounce, unbounce), (is_formspree, formspree),
)
