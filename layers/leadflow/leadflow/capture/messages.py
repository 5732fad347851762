"""What a visitor reads when a form is refused, in the form's language.

Codes are the stable, machine-readable part; messages are for people. A language
without a catalog falls back to English."""

from __future__ import annotations

from leadflow.shared.i18n import primary_language

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "malformed_json": "The form could not be read (invalid JSON).",
        "malformed_body": "The form could not be read.",
        "invalid_encoding": "The form must be sent as UTF-8 text.",
        "body_too_large": "The form is too large.",
        "unsupported_media_type": "This kind of form post is not supported.",
        "files_not_supported": "Files cannot be attached to this form.",
        "form_not_found": "This form does not exist.",
        "not_found": "There is nothing at this address.",
        "form_disabled": "This form no longer accepts submissions.",
        "origin_not_allowed": "This page may not send this form.",
        "rate_limited": "Too many submissions. Please try again in a minute.",
        "name_required": "Please tell us your name.",
        "contact_required": "Please give an email address or a phone number so we can reach you.",
        "person_required": "Please tell us who you are: your name and an email address or phone number.",
        "invalid_email": "Please check your email address.",
        "invalid_phone": "Please check your phone number, with its area code.",
        "invalid_value": "Each field must be text, a number or a yes/no value.",
        "field_required": "Please fill in this field.",
        "consent_required": "Please give your consent so we can contact you.",
        "too_many_fields": "The form has too many fields.",
        "referred_by_required": "Please give your partner code or the email address we know you by.",
        "consent_method_required": "Please tell us how the person agreed to be contacted.",
        "_title": "Please check the form",
        "_back": "Back to the form",
        "_thanks_title": "Thank you",
        "_thanks": "Thank you! We received your request and will be in touch soon.",
    },
    "es": {
        "malformed_json": "No se pudo leer el formulario (JSON no válido).",
        "malformed_body": "No se pudo leer el formulario.",
        "invalid_encoding": "El formulario debe enviarse como texto UTF-8.",
        "body_too_large": "El formulario es demasiado grande.",
        "unsupported_media_type": "Este tipo de envío no es compatible.",
        "files_not_supported": "No se pueden adjuntar archivos a este formulario.",
        "form_not_found": "Este formulario no existe.",
        "not_found": "No hay nada en esta dirección.",
        "form_disabled": "Este formulario ya no acepta envíos.",
        "origin_not_allowed": "Esta página no puede enviar este formulario.",
        "rate_limited": "Demasiados envíos. Inténtelo de nuevo en un minuto.",
        "name_required": "Por favor, díganos su nombre.",
        "contact_required": "Por favor, indique un correo electrónico o un teléfono para poder contactarle.",
        "person_required": "Por favor, díganos quién es: su nombre y un correo electrónico o teléfono.",
        "invalid_email": "Por favor, revise su correo electrónico.",
        "invalid_phone": "Por favor, revise su número de teléfono, con su prefijo.",
        "invalid_value": "Cada campo debe ser texto, un número o un sí/no.",
        "field_required": "Por favor, rellene este campo.",
        "consent_required": "Por favor, dé su consentimiento para que podamos contactarle.",
        "too_many_fields": "El formulario tiene demasiados campos.",
        "referred_by_required": "Indique su código de socio o el correo electrónico con el que le conocemos.",
        "consent_method_required": "Indíquenos cómo aceptó la persona que la contactemos.",
        "_title": "Por favor, revise el formulario",
        "_back": "Volver al formulario",
        "_thanks_title": "Gracias",
        "_thanks": "¡Gracias! Hemos recibido su solicitud y nos pondremos en contacto pronto.",
    },
    "ar": {
        "malformed_json": "تعذّرت قراءة النموذج (JSON غير صالح).",
        "malformed_body": "تعذّرت قراءة النموذج.",
        "invalid_encoding": "يجب إرسال النموذج كنص UTF-8.",
        "body_too_large": "النموذج كبير جدًا.",
        "unsupported_media_type": "هذا النوع من الإرسال غير مدعوم.",
        "files_not_supported": "لا يمكن إرفاق ملفات بهذا النموذج.",
        "form_not_found": "هذا النموذج غير موجود.",
        "not_found": "لا يوجد شيء على هذا العنوان.",
        "form_disabled": "هذا النموذج لم يعد يقبل الطلبات.",
        "origin_not_allowed": "لا يُسمح لهذه الصفحة بإرسال هذا النموذج.",
        "rate_limited": "طلبات كثيرة جدًا. يُرجى المحاولة بعد دقيقة.",
        "name_required": "يُرجى كتابة اسمك.",
        "contact_required": "يُرجى إدخال بريد إلكتروني أو رقم هاتف لنتمكن من التواصل معك.",
        "person_required": "يُرجى إخبارنا من أنت: اسمك وبريد إلكتروني أو رقم هاتف.",
        "invalid_email": "يُرجى التحقق من بريدك الإلكتروني.",
        "invalid_phone": "يُرجى التحقق من رقم هاتفك مع رمز المنطقة.",
        "invalid_value": "يجب أن يكون كل حقل نصًا أو رقمًا أو نعم/لا.",
        "field_required": "يُرجى تعبئة هذا الحقل.",
        "consent_required": "يُرجى إعطاء موافقتك لنتمكن من التواصل معك.",
        "too_many_fields": "يحتوي النموذج على حقول كثيرة جدًا.",
        "referred_by_required": "يُرجى إدخال رمز الشريك الخاص بك أو البريد الإلكتروني الذي نعرفك به.",
        "consent_method_required": "يُرجى إخبارنا كيف وافق الشخص على التواصل معه.",
        "_title": "يُرجى مراجعة النموذج",
        "_back": "العودة إلى النموذج",
        "_thanks_title": "شكرًا لك",
        "_thanks": "شكرًا لك! لقد استلمنا طلبك وسنتواصل معك قريبًا.",
    },
}

def message(code: str, language: str) -> str:
    """The message for an error code in a language, else in English, else the code."""
    catalog = MESSAGES.get(primary_language(language), MESSAGES["en"])
    return catalog.get(code) or MESSAGES["en"].get(code, code)

