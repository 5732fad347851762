// The local webhook page: what the stack posted to the local chat and CRM receivers,
// fetched from /_local/webhooks.json every two seconds. Everything from a post is set
// with textContent (never as HTML): a lead's name is whatever a visitor typed.

const WORDS = {
  en: {
    title: "What your CRM and chat would receive", demoForm: "Demo form", mailbox: "Managers' mailbox",
    language: "Language", all: "All", chat: "Chat (Slack)", crm: "CRM webhook", payload: "Payload (JSON)",
    intro: "The local stack posts here as EventBridge would post to your Slack and your CRM: the chat gets a " +
      "message for every lead that becomes hot, the CRM the events you chose (ids only).",
    empty: "Nothing received yet. Submit the demo form as a hot lead (ask for a quote), then wait a few seconds.",
    chatMessage: "Hot-lead message", eventId: "Event id", userAgent: "Sent by", secret: "Secret header",
    secretOk: "present and correct", repeat: "A retry of an event already received: your CRM should ignore it.",
  },
  es: {
    title: "Lo que recibirían tu CRM y tu chat", demoForm: "Formulario de demostración",
    mailbox: "Buzón de los comerciales", language: "Idioma", all: "Todo", chat: "Chat (Slack)",
    crm: "Webhook del CRM", payload: "Contenido (JSON)",
    intro: "La pila local publica aquí como EventBridge publicaría en tu Slack y tu CRM: el chat recibe un " +
      "mensaje por cada lead que se vuelve caliente; el CRM, los eventos que elegiste (solo identificadores).",
    empty: "Aún no ha llegado nada. Envía el formulario de demostración como un lead caliente (pide un " +
      "presupuesto) y espera unos segundos.",
    chatMessage: "Mensaje de lead caliente", eventId: "Id del evento", userAgent: "Enviado por",
    secret: "Cabecera secreta", secretOk: "presente y correcta",
    repeat: "Un reintento de un evento ya recibido: tu CRM debería ignorarlo.",
  },
  ar: {
    title: "ما سيستلمه نظام إدارة العملاء والدردشة", demoForm: "النموذج التجريبي", mailbox: "بريد مديري المبيعات",
    language: "اللغة", all: "الكل", chat: "الدردشة (Slack)", crm: "خطاف نظام إدارة العملاء", payload: "المحتوى (JSON)",
    intro: "ترسل البيئة المحلية إلى هنا كما سيرسل EventBridge إلى Slack ونظام إدارة العملاء لديك: تتلقى " +
      "الدردشة رسالة عن كل عميل محتمل يصبح ساخنًا، ويتلقى النظام الأحداث التي اخترتها (معرّفات فقط).",
    empty: "لم يصل شيء بعد. أرسل النموذج التجريبي كعميل ساخن (اطلب عرض سعر)، ثم انتظر بضع ثوانٍ.",
    chatMessage: "رسالة عميل ساخن", eventId: "معرّف الحدث", userAgent: "المرسل", secret: "الترويسة السرية",
    secretOk: "موجودة وصحيحة", repeat: "إعادة محاولة لحدث وصل من قبل: ينبغي أن يتجاهله نظامك.",
  },
};
const RTL = new Set(["ar"]);
const POLL_MS = 2000;

let language = pickLanguage();
let filter = "all";
let posts = [];

function pickLanguage() {
  const asked = new URLSearchParams(location.search).get("lang") || localStorage.getItem("leadflow-lang") ||
    navigator.language || "en";
  const short = asked.slice(0, 2).toLowerCase();
  return short in WORDS ? short : "en";
}

function words() {
  return WORDS[language];
}

function applyLanguage() {
  document.documentElement.lang = language;
  document.documentElement.dir = RTL.has(language) ? "rtl" : "ltr";
  document.title = `${words().title} — Leadflow`;
  for (const element of document.querySelectorAll("[data-text]")) {
    element.textContent = words()[element.dataset.text];
  }
  document.getElementById("language").value = language;
}

function headerRow(list, name, value) {
  const term = document.createElement("dt");
  term.textContent = name;
  const detail = document.createElement("dd");
  detail.textContent = value;
  list.append(term, detail);
}

function render() {
  const shown = posts.filter((post) => filter === "all" || post.channel === filter);
  const list = document.getElementById("posts");
  const template = document.getElementById("post");
  list.replaceChildren(...shown.map((post) => {
    const item = template.content.firstElementChild.cloneNode(true);
    item.dataset.channel = post.channel;
    item.querySelector(".channel").textContent = post.channel === "chat" ? words().chat : words().crm;
    const what = post.channel === "chat" ? words().chatMessage : String(post.body["detail-type"] || "");
    item.querySelector(".what").textContent = `#${post.number} ${what}`;
    const time = item.querySelector("time");
    time.dateTime = post.received_at;
    time.textContent = new Date(post.received_at).toLocaleString(language);
    if (post.channel === "chat") {
      const text = item.querySelector(".chat-text");
      text.textContent = String(post.body.text || "");
      text.dir = "auto"; // Slack's text keeps its own direction on an Arabic page
    }
    const headers = item.querySelector(".headers");
    headerRow(headers, words().userAgent, post.user_agent);
    if (post.auth_header) {
      headerRow(headers, words().secret, `${post.auth_header}: ${words().secretOk}`);
    }
    if (post.event_id) {
      headerRow(headers, words().eventId, post.event_id);
    }
    if (post.repeat) {
      const note = document.createElement("p");
      note.className = "repeat";
      note.textContent = words().repeat;
      headers.after(note);
    }
    item.querySelector(".body").textContent = JSON.stringify(post.body, null, 2);
    item.querySelector("summary").textContent = words().payload;
    return item;
  }));
  document.getElementById("empty").hidden = shown.length > 0;
}

async function refresh() {
  try {
    const response = await fetch("/_local/webhooks.json", { headers: { Accept: "application/json" } });
    if (response.ok) {
      posts = await response.json();
      render();
    }
  } finally {
    setTimeout(refresh, POLL_MS);
  }
}

document.getElementById("language").addEventListener("change", (event) => {
  language = event.target.value;
  localStorage.setItem("leadflow-lang", language);
  applyLanguage();
  render();
});
for (const button of document.querySelectorAll("[data-filter]")) {
  button.addEventListener("click", () => {
    filter = button.dataset.filter;
    for (const other of document.querySelectorAll("[data-filter]")) {
      other.setAttribute("aria-pressed", String(other === button));
    }
    render();
  });
}
applyLanguage();
refresh();
