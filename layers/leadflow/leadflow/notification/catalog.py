"""The words of every email, per language (like capture.messages for visitors), and of
the pages behind the signed links in them (leadflow.lifecycle.links.pages).

Templates hold the layout, this catalog the wording: adding a language is adding a
dictionary here. A manager reads their first language; a visitor their form's. Missing
languages and missing keys fall back to English. Values are plain text with `{name}`
placeholders; templates fill them and autoescape the result."""

from __future__ import annotations

from leadflow.shared.i18n import primary_language, text_direction
from leadflow.shared.models import Temperature

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        # The summary of a CSV import (leadflow.notification.import_summary).
        "import_subject": "{count} new leads for you from an import ({form})",
        "import_intro": "{manager}, {count} new leads from a list imported into {form} are in your queue, "
                        "hottest first.",
        "import_more": "… and {count} more in your queue.",
        "hot": "hot", "warm": "warm", "cold": "cold",
        "intro_new": "New {temperature} lead for you, {manager}.",
        "intro_reassigned": "New {temperature} lead for you, {manager}: reassigned because nobody called in time.",
        "intro_came_back": "{name} came back with a new request.",
        "changed": "What changed: {before} → {after} (score {points}).",
        "unchanged": "Still {temperature} (score {points}).",
        "came_back": "Came back",
        "visits": "{count} more visits since the last email: the latest is below.",
        "name": "Name", "email": "Email", "phone": "Phone", "company": "Company", "role": "Role",
        "interest": "Interest", "score": "Score", "source": "Source", "referred_by": "Referred by",
        "introduction": "Their introduction", "form": "Form", "message": "Message",
        "why": "Why this score:", "open": "Open the lead",
        "reminder_subject": "Reminder: call {name} now",
        "follow_up_subject": "Call back today: {name}",
        "follow_up_intro": "You put {name} off until today. The {temperature} lead is back in your queue: "
                           "call them today.",
        "reminder_intro": "{name} is still waiting for a first call. The {temperature} lead was assigned to you "
                          "{minutes} minutes ago.",
        "thanks_subject": "Thank you for your request",
        "thanks_body": "Thank you! We received your request and will be in touch soon.",
        "thanks_signature": "The {form} team",
        "thanks_footer": "You receive this email because this address was entered in a form on our site. "
                         "If that was not you, please ignore it.",
        # The signed links: in managers' emails, on their confirmation pages, in a rejected
        # lead's farewell and on its questionnaire (leadflow.lifecycle.links).
        "act": "Act from this email", "act_contacted": "Contacted", "act_not_interested": "Not interested",
        "act_call_later": "Call later",
        "act_note": "Each link opens a page where you confirm; the links work for {days} days.",
        # Closing the loop with a referral partner (leadflow.referrals.loop): the referred
        # person by their first name only.
        "loop_received_subject": "Thank you for referring {first_name}",
        "loop_received_body": "{partner}, thank you for referring {first_name} to us. We received the referral "
                              "and will be in touch with them soon.",
        "loop_contacted_subject": "We have spoken with {first_name}",
        "loop_contacted_body": "{partner}, good news: we have now spoken with {first_name}, whom you referred to us.",
        "loop_converted_subject": "{first_name} is now our customer",
        "loop_converted_body": "{partner}, {first_name}, whom you referred to us, is now our customer. Thank you: "
                               "referrals like yours are how we grow.",
        "loop_thanks": "Thank you for your trust.",
        "loop_footer": "You receive this email because you are one of our referral partners. Reply to it if you "
                       "would rather not hear about your referrals.",
        "farewell_subject": "Thank you for your interest",
        "farewell_body": "Thank you for your interest and for your time. We understand that this is not the right "
                         "moment, and we will not contact you again about this request.",
        "farewell_ask": "Would you tell us why? Two quick questions, less than a minute:",
        "farewell_link": "Answer two questions",
        "page_contacted_title": "Mark as contacted",
        "page_contacted_text": "Confirm that you reached {name}. The speed-to-lead reminders for this lead stop.",
        "page_contacted_button": "Mark as contacted",
        "page_not_interested_title": "Not interested",
        "page_not_interested_text": "Close {name} as not interested. The lead is kept, with your reason.",
        "page_reason": "Reason",
        "reason_no_budget": "No budget", "reason_no_need": "No need", "reason_competitor": "Chose a competitor",
        "reason_no_response": "Never answered", "reason_not_a_fit": "Not a fit", "reason_spam": "Spam",
        "reason_other": "Other",
        "page_note": "Note (optional)",
        "page_farewell": "Send them a short goodbye email with two questions",
        "page_not_interested_button": "Close the lead",
        "page_call_later_title": "Call later",
        "page_call_later_text": "Put {name} off until a day you choose: the lead comes back to you that day.",
        "page_follow_up_on": "Call back on",
        "page_call_later_button": "Postpone",
        "page_done_title": "Done",
        "page_done_contacted": "{name} is marked as contacted.",
        "page_done_rejected": "{name} is closed as not interested.",
        "page_done_postponed": "{name} comes back to you on {date}.",
        "page_done_farewell": "A short goodbye email is on its way to them.",
        "page_already_title": "Nothing to change",
        "page_already_text": "{name} is already {status}.",
        "status_new": "new", "status_assigned": "assigned", "status_unassigned": "unassigned",
        "status_contacted": "contacted", "status_qualified": "qualified", "status_converted": "converted",
        "status_rejected": "closed as not interested", "status_postponed": "postponed",
        "page_reassigned_title": "This lead is no longer yours",
        "page_reassigned_text": "It was reassigned to another manager, so this link no longer works.",
        "page_gone_title": "This lead no longer exists",
        "page_gone_text": "It may have been erased at the person's request.",
        "page_invalid_title": "This link does not work",
        "page_invalid_text": "It is incomplete or was changed. Copy the whole link from the email, or open the lead "
                             "in the Leadflow console.",
        "page_expired_title": "This link has expired",
        "page_expired_text": "Links in emails work for a few days only. Open the lead in the Leadflow console "
                             "instead.",
        "page_check_title": "Please check",
        "page_reason_required": "Choose a reason from the list.",
        "page_follow_up_required": "Choose a day after today.",
        "page_note_too_long": "The note is too long.",
        "page_changed_text": "The lead changed while you were acting on it. Open the link again to see where it "
                             "stands.",
        "page_bad_form": "The form could not be read. Please try again from the email.",
        "page_unavailable_title": "Please try again",
        "page_unavailable_text": "This page is unavailable for a moment. Please try again in a minute.",
        "feedback_title": "Two quick questions",
        "feedback_why": "What made you decide against it?",
        "feedback_price": "The price", "feedback_timing": "The timing",
        "feedback_competitor": "I chose another provider", "feedback_no_need": "I did not need it after all",
        "feedback_other": "Something else",
        "feedback_comment": "Anything you would like to tell us? (optional)",
        "feedback_button": "Send",
        "feedback_thanks_title": "Thank you",
        "feedback_thanks": "Thank you for your answer: it helps us do better.",
        "feedback_already": "We already have your answer. Thank you!",
        "feedback_why_required": "Please choose an answer.",
        "feedback_too_long": "Your comment is too long.",
        "feedback_closed_title": "This questionnaire has closed",
        "feedback_closed_text": "Thank you all the same.",
        "feedback_invalid_text": "It is incomplete or was changed. Please copy the whole link from the email.",
    },
    "es": {
        "import_subject": "{count} leads nuevos para ti de una importación ({form})",
        "import_intro": "{manager}, tienes en tu cola {count} leads nuevos de una lista importada en {form}, "
                        "los más calientes primero.",
        "import_more": "… y {count} más en tu cola.",
        "hot": "caliente", "warm": "templado", "cold": "frío",
        "intro_new": "Nuevo lead {temperature} para ti, {manager}.",
        "intro_reassigned": "Nuevo lead {temperature} para ti, {manager}: reasignado porque nadie llamó a tiempo.",
        "intro_came_back": "{name} ha vuelto con una nueva solicitud.",
        "changed": "Qué ha cambiado: {before} → {after} (puntuación {points}).",
        "unchanged": "Sigue {temperature} (puntuación {points}).",
        "came_back": "Ha vuelto",
        "visits": "{count} visitas más desde el último correo: la más reciente, abajo.",
        "name": "Nombre", "email": "Correo", "phone": "Teléfono", "company": "Empresa", "role": "Cargo",
        "interest": "Interés", "score": "Puntuación", "source": "Origen", "referred_by": "Recomendado por",
        "introduction": "Su presentación", "form": "Formulario",
        "message": "Mensaje", "why": "Por qué esta puntuación:", "open": "Abrir el lead",
        "reminder_subject": "Recordatorio: llama ya a {name}",
        "follow_up_subject": "Hoy toca volver a llamar: {name}",
        "follow_up_intro": "Aplazaste a {name} hasta hoy. El lead {temperature} vuelve a tu lista: llámalo hoy.",
        "reminder_intro": "{name} sigue esperando una primera llamada. El lead {temperature} se te asignó hace "
                          "{minutes} minutos.",
        "thanks_subject": "Gracias por su solicitud",
        "thanks_body": "¡Gracias! Hemos recibido su solicitud y nos pondremos en contacto pronto.",
        "thanks_signature": "El equipo de {form}",
        "thanks_footer": "Recibe este correo porque esta dirección se introdujo en un formulario de nuestro sitio. "
                         "Si no fue usted, ignórelo.",
        "act": "Actúa desde este correo", "act_contacted": "Contactado", "act_not_interested": "No le interesa",
        "act_call_later": "Llamar más tarde",
        "act_note": "Cada enlace abre una página donde confirmas; los enlaces funcionan durante {days} días.",
        "loop_received_subject": "Gracias por recomendarnos a {first_name}",
        "loop_received_body": "{partner}, gracias por recomendarnos a {first_name}. Hemos recibido la "
                              "recomendación y nos pondremos en contacto pronto.",
        "loop_contacted_subject": "Ya hablamos con {first_name}",
        "loop_contacted_body": "{partner}, buenas noticias: ya hemos hablado con {first_name}, a quien nos "
                               "recomendó.",
        "loop_converted_subject": "{first_name} ya es nuestro cliente",
        "loop_converted_body": "{partner}, {first_name}, a quien nos recomendó, ya es nuestro cliente. Gracias: "
                               "recomendaciones como la suya nos hacen crecer.",
        "loop_thanks": "Gracias por su confianza.",
        "loop_footer": "Recibe este correo porque es uno de nuestros socios de recomendación. Responda si "
                       "prefiere no recibir noticias de sus recomendaciones.",
        "farewell_subject": "Gracias por su interés",
        "farewell_body": "Gracias por su interés y por su tiempo. Entendemos que no es el momento adecuado y no "
                         "volveremos a contactarle por esta solicitud.",
        "farewell_ask": "¿Nos cuenta por qué? Dos preguntas rápidas, menos de un minuto:",
        "farewell_link": "Responder dos preguntas",
        "page_contacted_title": "Marcar como contactado",
        "page_contacted_text": "Confirma que has hablado con {name}. Los recordatorios de este lead se detienen.",
        "page_contacted_button": "Marcar como contactado",
        "page_not_interested_title": "No le interesa",
        "page_not_interested_text": "Cierra {name} como no interesado. El lead se conserva, con tu motivo.",
        "page_reason": "Motivo",
        "reason_no_budget": "Sin presupuesto", "reason_no_need": "Sin necesidad",
        "reason_competitor": "Eligió a la competencia", "reason_no_response": "Nunca respondió",
        "reason_not_a_fit": "No encaja", "reason_spam": "Spam", "reason_other": "Otro",
        "page_note": "Nota (opcional)",
        "page_farewell": "Enviarle un breve correo de despedida con dos preguntas",
        "page_not_interested_button": "Cerrar el lead",
        "page_call_later_title": "Llamar más tarde",
        "page_call_later_text": "Aplaza {name} hasta el día que elijas: ese día el lead vuelve a ti.",
        "page_follow_up_on": "Volver a llamar el",
        "page_call_later_button": "Aplazar",
        "page_done_title": "Hecho",
        "page_done_contacted": "{name} está marcado como contactado.",
        "page_done_rejected": "{name} se ha cerrado como no interesado.",
        "page_done_postponed": "{name} volverá a ti el {date}.",
        "page_done_farewell": "Un breve correo de despedida está en camino.",
        "page_already_title": "Nada que cambiar",
        "page_already_text": "{name} ya está en estado «{status}».",
        "status_new": "nuevo", "status_assigned": "asignado", "status_unassigned": "sin asignar",
        "status_contacted": "contactado", "status_qualified": "cualificado", "status_converted": "convertido",
        "status_rejected": "cerrado como no interesado", "status_postponed": "aplazado",
        "page_reassigned_title": "Este lead ya no es tuyo",
        "page_reassigned_text": "Se reasignó a otro comercial, así que este enlace ya no funciona.",
        "page_gone_title": "Este lead ya no existe",
        "page_gone_text": "Puede que se haya borrado a petición de la persona.",
        "page_invalid_title": "Este enlace no funciona",
        "page_invalid_text": "Está incompleto o se ha modificado. Copia el enlace completo del correo o abre el lead "
                             "en la consola de Leadflow.",
        "page_expired_title": "Este enlace ha caducado",
        "page_expired_text": "Los enlaces de los correos solo funcionan unos días. Abre el lead en la consola de "
                             "Leadflow.",
        "page_check_title": "Revisa, por favor",
        "page_reason_required": "Elige un motivo de la lista.",
        "page_follow_up_required": "Elige un día posterior a hoy.",
        "page_note_too_long": "La nota es demasiado larga.",
        "page_changed_text": "El lead cambió mientras actuabas. Abre el enlace de nuevo para ver su estado.",
        "page_bad_form": "No se pudo leer el formulario. Inténtalo de nuevo desde el correo.",
        "page_unavailable_title": "Inténtalo de nuevo",
        "page_unavailable_text": "Esta página no está disponible por un momento. Inténtalo de nuevo en un minuto.",
        "feedback_title": "Dos preguntas rápidas",
        "feedback_why": "¿Qué le hizo decidir que no?",
        "feedback_price": "El precio", "feedback_timing": "El momento",
        "feedback_competitor": "Elegí otro proveedor", "feedback_no_need": "Al final no lo necesitaba",
        "feedback_other": "Otra cosa",
        "feedback_comment": "¿Algo que quiera contarnos? (opcional)",
        "feedback_button": "Enviar",
        "feedback_thanks_title": "Gracias",
        "feedback_thanks": "Gracias por su respuesta: nos ayuda a mejorar.",
        "feedback_already": "Ya tenemos su respuesta. ¡Gracias!",
        "feedback_why_required": "Por favor, elija una respuesta.",
        "feedback_too_long": "Su comentario es demasiado largo.",
        "feedback_closed_title": "Este cuestionario ya está cerrado",
        "feedback_closed_text": "Gracias de todos modos.",
        "feedback_invalid_text": "Está incompleto o se ha modificado. Copie el enlace completo del correo.",
    },
    "ar": {
        "import_subject": "{count} عملاء محتملون جدد لك من استيراد ({form})",
        "import_intro": "{manager}، في قائمتك {count} عملاء محتملون جدد من قائمة مستوردة إلى {form}، "
                        "الأكثر سخونة أولاً.",
        "import_more": "… و{count} آخرون في قائمتك.",
        "hot": "ساخن", "warm": "دافئ", "cold": "بارد",
        "intro_new": "عميل محتمل جديد ({temperature}) لك يا {manager}.",
        "intro_reassigned": "عميل محتمل جديد ({temperature}) لك يا {manager}: "
                            "أُعيد إسناده لأن أحدًا لم يتصل في الوقت المحدد.",
        "intro_came_back": "عاد {name} بطلب جديد.",
        "changed": "ما الذي تغيّر: {before} ← {after} (النقاط {points}).",
        "unchanged": "ما زال {temperature} (النقاط {points}).",
        "came_back": "عاد",
        "visits": "{count} زيارات أخرى منذ آخر رسالة: أحدثها أدناه.",
        "name": "الاسم", "email": "البريد الإلكتروني", "phone": "الهاتف", "company": "الشركة", "role": "المنصب",
        "interest": "الاهتمام", "score": "النقاط", "source": "المصدر", "referred_by": "بإحالة من",
        "introduction": "تعريف الشريك", "form": "النموذج", "message": "الرسالة",
        "why": "سبب هذه النقاط:", "open": "فتح العميل المحتمل",
        "reminder_subject": "تذكير: اتصل بـ {name} الآن",
        "follow_up_subject": "موعد المتابعة اليوم: {name}",
        "follow_up_intro": "أجّلت {name} إلى اليوم. عاد هذا العميل ({temperature}) إلى قائمتك: اتصل به اليوم.",
        "reminder_intro": "ما زال {name} ينتظر أول اتصال. أُسند إليك هذا العميل ({temperature}) قبل {minutes} دقيقة.",
        "thanks_subject": "شكرًا لطلبك",
        "thanks_body": "شكرًا لك! لقد استلمنا طلبك وسنتواصل معك قريبًا.",
        "thanks_signature": "فريق {form}",
        "thanks_footer": "تصلك هذه الرسالة لأن هذا العنوان أُدخل في نموذج على موقعنا. إن لم تكن أنت، فتجاهلها.",
        "act": "تصرّف من هذه الرسالة", "act_contacted": "تم التواصل", "act_not_interested": "غير مهتم",
        "act_call_later": "الاتصال لاحقًا",
        "act_note": "يفتح كل رابط صفحة للتأكيد، وتعمل الروابط لمدة {days} أيام.",
        "loop_received_subject": "شكرًا لإحالتك {first_name} إلينا",
        "loop_received_body": "{partner}، شكرًا لإحالتك {first_name} إلينا. لقد استلمنا الإحالة وسنتواصل معه قريبًا.",
        "loop_contacted_subject": "تحدّثنا مع {first_name}",
        "loop_contacted_body": "{partner}، أخبار سارة: لقد تحدّثنا مع {first_name} الذي أحلته إلينا.",
        "loop_converted_subject": "أصبح {first_name} عميلًا لدينا",
        "loop_converted_body": "{partner}، أصبح {first_name} الذي أحلته إلينا عميلًا لدينا. شكرًا لك: "
                               "الإحالات مثل إحالتك هي سبيلنا إلى النمو.",
        "loop_thanks": "شكرًا لثقتك.",
        "loop_footer": "تصلك هذه الرسالة لأنك من شركائنا في الإحالة. ردّ عليها إن كنت تفضّل عدم تلقي أخبار إحالاتك.",
        "farewell_subject": "شكرًا لاهتمامك",
        "farewell_body": "شكرًا لاهتمامك ولوقتك. نتفهّم أن هذا ليس الوقت المناسب، ولن نتواصل معك مجددًا بخصوص "
                         "هذا الطلب.",
        "farewell_ask": "هل تخبرنا بالسبب؟ سؤالان سريعان، أقل من دقيقة:",
        "farewell_link": "أجب عن سؤالين",
        "page_contacted_title": "تأكيد التواصل",
        "page_contacted_text": "أكّد أنك تواصلت مع {name}. ستتوقف التذكيرات الخاصة بهذا العميل المحتمل.",
        "page_contacted_button": "تأكيد التواصل",
        "page_not_interested_title": "غير مهتم",
        "page_not_interested_text": "أغلق {name} كعميل غير مهتم. سيُحفظ العميل المحتمل مع السبب الذي تختاره.",
        "page_reason": "السبب",
        "reason_no_budget": "لا توجد ميزانية", "reason_no_need": "لا توجد حاجة", "reason_competitor": "اختار منافسًا",
        "reason_no_response": "لم يرد أبدًا", "reason_not_a_fit": "غير مناسب", "reason_spam": "رسائل مزعجة",
        "reason_other": "سبب آخر",
        "page_note": "ملاحظة (اختيارية)",
        "page_farewell": "أرسل له رسالة وداع قصيرة مع سؤالين",
        "page_not_interested_button": "إغلاق العميل المحتمل",
        "page_call_later_title": "الاتصال لاحقًا",
        "page_call_later_text": "أجّل {name} إلى يوم تختاره: سيعود إليك العميل المحتمل في ذلك اليوم.",
        "page_follow_up_on": "معاودة الاتصال في",
        "page_call_later_button": "تأجيل",
        "page_done_title": "تم",
        "page_done_contacted": "تم تأكيد التواصل مع {name}.",
        "page_done_rejected": "أُغلق {name} كعميل غير مهتم.",
        "page_done_postponed": "سيعود إليك {name} في {date}.",
        "page_done_farewell": "رسالة وداع قصيرة في طريقها إليه.",
        "page_already_title": "لا شيء لتغييره",
        "page_already_text": "حالة {name} الآن: {status}.",
        "status_new": "جديد", "status_assigned": "مُسنَد", "status_unassigned": "غير مُسنَد",
        "status_contacted": "تم التواصل", "status_qualified": "مؤهَّل", "status_converted": "تحوّل إلى عميل",
        "status_rejected": "مُغلق كغير مهتم", "status_postponed": "مؤجَّل",
        "page_reassigned_title": "هذا العميل المحتمل لم يعد لك",
        "page_reassigned_text": "أُعيد إسناده إلى مسؤول آخر، لذلك لم يعد هذا الرابط يعمل.",
        "page_gone_title": "هذا العميل المحتمل لم يعد موجودًا",
        "page_gone_text": "ربما حُذف بناءً على طلب صاحبه.",
        "page_invalid_title": "هذا الرابط لا يعمل",
        "page_invalid_text": "الرابط ناقص أو تم تغييره. انسخ الرابط كاملًا من الرسالة، أو افتح العميل المحتمل في "
                             "لوحة Leadflow.",
        "page_expired_title": "انتهت صلاحية هذا الرابط",
        "page_expired_text": "تعمل الروابط في الرسائل لبضعة أيام فقط. افتح العميل المحتمل في لوحة Leadflow بدلًا من "
                             "ذلك.",
        "page_check_title": "يُرجى المراجعة",
        "page_reason_required": "اختر سببًا من القائمة.",
        "page_follow_up_required": "اختر يومًا بعد اليوم.",
        "page_note_too_long": "الملاحظة طويلة جدًا.",
        "page_changed_text": "تغيّر العميل المحتمل أثناء إجرائك. افتح الرابط مجددًا لترى حالته.",
        "page_bad_form": "تعذّرت قراءة النموذج. يُرجى المحاولة مجددًا من الرسالة.",
        "page_unavailable_title": "يُرجى المحاولة مجددًا",
        "page_unavailable_text": "هذه الصفحة غير متاحة مؤقتًا. يُرجى المحاولة بعد دقيقة.",
        "feedback_title": "سؤالان سريعان",
        "feedback_why": "ما الذي جعلك تقرر عدم المتابعة؟",
        "feedback_price": "السعر", "feedback_timing": "التوقيت",
        "feedback_competitor": "اخترت مزوّدًا آخر", "feedback_no_need": "لم أعد بحاجة إليه",
        "feedback_other": "سبب آخر",
        "feedback_comment": "هل هناك ما تود إخبارنا به؟ (اختياري)",
        "feedback_button": "إرسال",
        "feedback_thanks_title": "شكرًا لك",
        "feedback_thanks": "شكرًا على إجابتك، فهي تساعدنا على التحسّن.",
        "feedback_already": "لقد استلمنا إجابتك بالفعل. شكرًا لك!",
        "feedback_why_required": "يُرجى اختيار إجابة.",
        "feedback_too_long": "تعليقك طويل جدًا.",
        "feedback_closed_title": "أُغلق هذا الاستبيان",
        "feedback_closed_text": "شكرًا لك على أي حال.",
        "feedback_invalid_text": "الرابط ناقص أو تم تغييره. يُرجى نسخ الرابط كاملًا من الرسالة.",
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


# Known values as a manager reads them in their language: what the person asked for
# (`interest`, as forms send it) and the channel kind. An unknown value is shown as sent.
VALUES: dict[str, dict[str, dict[str, str]]] = {
    "interest": {
        "en": {"quote": "a quote", "demo": "a demo", "pricing": "pricing", "buy": "to buy", "trial": "a trial",
               "question": "a question", "contact": "contact", "call": "a call", "ebook": "the ebook",
               "newsletter": "the newsletter", "webinar": "a webinar"},
        "es": {"quote": "un presupuesto", "demo": "una demo", "pricing": "precios", "buy": "comprar",
               "trial": "una prueba", "question": "una pregunta", "contact": "contacto", "call": "una llamada",
               "ebook": "el ebook", "newsletter": "el boletín", "webinar": "un webinar"},
        "ar": {"quote": "عرض سعر", "demo": "عرض تجريبي", "pricing": "الأسعار", "buy": "الشراء", "trial": "تجربة",
               "question": "سؤال", "contact": "تواصل", "call": "مكالمة", "ebook": "الكتاب الإلكتروني",
               "newsletter": "النشرة", "webinar": "ندوة عبر الإنترنت"},
    },
    "channel": {
        "en": {"referral": "referral", "inbound": "inbound", "outbound": "outbound", "unknown": "unknown"},
        "es": {"referral": "recomendación", "inbound": "entrante", "outbound": "saliente", "unknown": "desconocido"},
        "ar": {"referral": "إحالة", "inbound": "وارد", "outbound": "صادر", "unknown": "غير معروف"},
    },
}


def catalog_language(language: str | None) -> str:
    """The catalog's language for a tag (`es-MX` → `es`), English when there is none."""
    primary = primary_language(language)
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

    def value(self, kind: str, value: str) -> str:
        """A known value (`interest`, `channel`) in this language; else as sent."""
        return VALUES[kind][self.language].get(value) or VALUES[kind]["en"].get(value, value)

    def intent(self, interest: str) -> str:
        return INTENTS[self.language].get(interest) or INTENTS["en"].get(interest, interest)
