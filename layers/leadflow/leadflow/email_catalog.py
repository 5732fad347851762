"""The words of every email, per language (like messages.py for visitors).

Templates hold the layout, this catalog the wording: adding a language is adding a
dictionary here. A manager reads their first language; a visitor their form's. Missing
languages and missing keys fall back to English. Values are plain text with `{name}`
placeholders; templates fill them and autoescape the result."""

from __future__ import annotations

from leadflow.messages import text_direction
from leadflow.models import Temperature

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "hot": "hot", "warm": "warm", "cold": "cold",
        "intro_new": "New {temperature} lead for you, {manager}.",
        "intro_reassigned": "New {temperature} lead for you, {manager}: reassigned because nobody called in time.",
        "intro_came_back": "{name} came back with a new request.",
        "changed": "What changed: {before} → {after} (score {points}).",
        "unchanged": "Still {temperature} (score {points}).",
        "came_back": "Came back",
        "name": "Name", "email": "Email", "phone": "Phone", "company": "Company", "role": "Role",
        "interest": "Interest", "score": "Score", "source": "Source", "form": "Form", "message": "Message",
        "why": "Why this score:", "open": "Open the lead",
        "reminder_subject": "Reminder: call {name} now",
        "reminder_intro": "{name} is still waiting for a first call. The {temperature} lead was assigned to you "
                          "{minutes} minutes ago.",
        "thanks_subject": "Thank you for your request",
        "thanks_body": "Thank you! We received your request and will be in touch soon.",
        "thanks_signature": "The {form} team",
        "thanks_footer": "You receive this email because this address was entered in a form on our site. "
                         "If that was not you, please ignore it.",
    },
    "es": {
        "hot": "caliente", "warm": "templado", "cold": "frío",
        "intro_new": "Nuevo lead {temperature} para ti, {manager}.",
        "intro_reassigned": "Nuevo lead {temperature} para ti, {manager}: reasignado porque nadie llamó a tiempo.",
        "intro_came_back": "{name} ha vuelto con una nueva solicitud.",
        "changed": "Qué ha cambiado: {before} → {after} (puntuación {points}).",
        "unchanged": "Sigue {temperature} (puntuación {points}).",
        "came_back": "Ha vuelto",
        "name": "Nombre", "email": "Correo", "phone": "Teléfono", "company": "Empresa", "role": "Cargo",
        "interest": "Interés", "score": "Puntuación", "source": "Origen", "form": "Formulario",
        "message": "Mensaje", "why": "Por qué esta puntuación:", "open": "Abrir el lead",
        "reminder_subject": "Recordatorio: llama ya a {name}",
        "reminder_intro": "{name} sigue esperando una primera llamada. El lead {temperature} se te asignó hace "
                          "{minutes} minutos.",
        "thanks_subject": "Gracias por su solicitud",
        "thanks_body": "¡Gracias! Hemos recibido su solicitud y nos pondremos en contacto pronto.",
        "thanks_signature": "El equipo de {form}",
        "thanks_footer": "Recibe este correo porque esta dirección se introdujo en un formulario de nuestro sitio. "
                         "Si no fue usted, ignórelo.",
    },
    "ar": {
        "hot": "ساخن", "warm": "دافئ", "cold": "بارد",
        "intro_new": "عميل محتمل جديد ({temperature}) لك يا {manager}.",
        "intro_reassigned": "عميل محتمل جديد ({temperature}) لك يا {manager}: "
                            "أُعيد إسناده لأن أحدًا لم يتصل في الوقت المحدد.",
        "intro_came_back": "عاد {name} بطلب جديد.",
        "changed": "ما الذي تغيّر: {before} ← {after} (النقاط {points}).",
        "unchanged": "ما زال {temperature} (النقاط {points}).",
        "came_back": "عاد",
        "name": "الاسم", "email": "البريد الإلكتروني", "phone": "الهاتف", "company": "الشركة", "role": "المنصب",
        "interest": "الاهتمام", "score": "النقاط", "source": "المصدر", "form": "النموذج", "message": "الرسالة",
        "why": "سبب هذه النقاط:", "open": "فتح العميل المحتمل",
        "reminder_subject": "تذكير: اتصل بـ {name} الآن",
        "reminder_intro": "ما زال {name} ينتظر أول اتصال. أُسند إليك هذا العميل ({temperature}) قبل {minutes} دقيقة.",
        "thanks_subject": "شكرًا لطلبك",
        "thanks_body": "شكرًا لك! لقد استلمنا طلبك وسنتواصل معك قريبًا.",
        "thanks_signature": "فريق {form}",
        "thanks_footer": "تصلك هذه الرسالة لأن هذا العنوان أُدخل في نموذج على موقعنا. إن لم تكن أنت، فتجاهلها.",
    },
}

INTENTS: dict[str, dict[str, str]] = {
    "en": {
        "quote": "wants a quote", "demo": "wants a demo", "pricing": "asks about pricing",
        "buy": "wants to buy", "trial": "wants a trial", "question": "has a question",
        "ebook": "downloaded the ebook", "newsletter": "joined the newsletter", "webinar": "joined a webinar",
    },
    "es": {
        "quote": "quiere un presupuesto", "demo": "quiere una demo", "pricing": "pregunta por precios",
        "buy": "quiere comprar", "trial": "quiere una prueba", "question": "tiene una pregunta",
        "ebook": "descargó el ebook", "newsletter": "se suscribió al boletín", "webinar": "se apuntó a un webinar",
    },
    "ar": {
        "quote": "يريد عرض سعر", "demo": "يريد عرضًا تجريبيًا", "pricing": "يسأل عن الأسعار",
        "buy": "يريد الشراء", "trial": "يريد تجربة", "question": "لديه سؤال",
        "ebook": "نزّل الكتاب الإلكتروني", "newsletter": "اشترك في النشرة", "webinar": "سجّل في ندوة",
    },
}


def catalog_language(language: str | None) -> str:
    """The catalog's language for a tag (`es-MX` → `es`), English when there is none."""
    primary = (language or "en").split("-", maxsplit=1)[0].lower()
    return primary if primary in STRINGS else "en"


class Words:
    """The catalog of one language, with English behind it; `t.name` or `t["name"]`."""

    def __init__(self, language: str | None) -> None:
        self.language = catalog_language(language)
        self.direction = text_direction(self.language)

    def __getitem__(self, key: str) -> str:
        return STRINGS[self.language].get(key) or STRINGS["en"][key]

    def __getattr__(self, key: str) -> str:
        if key.startswith("_"):
            raise AttributeError(key)
        return self[key]

    def temperature(self, temperature: Temperature) -> str:
        return self[temperature.value]

    def tag(self, temperature: Temperature) -> str:
        """HOT / WARM / COLD, the subject's tag: the same in every language, so mail
        filters and a team's shared rules can match it."""
        return temperature.value.upper()

    def intent(self, interest: str) -> str:
        return INTENTS[self.language].get(interest) or INTENTS["en"].get(interest, interest)
