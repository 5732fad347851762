/*! leadflow.js: enhances forms that post to Leadflow. No dependencies, no build step.
 *   <script src="leadflow.js" defer></script>
 * Takes every <form data-leadflow>, and every form whose action ends in /forms/<id>/submissions.
 * The form must work without it (a real action and method="post"). With it:
 * - the visit's source (utm_*, gclid, fbclid, a partner's ref, referrer and address of the visit's first page) is
 *   kept in sessionStorage and sent in hidden inputs, created when the form lacks them;
 * - `_shown_at` says when the form was first on screen, and `_fill_ms` how long the visitor took
 *   (the server's too-fast-for-a-person check);
 * - the form is sent with fetch; the thank-you or the server's messages are shown in the form's
 *   [data-leadflow-status] element and next to the fields they are about;
 * - if the network or the server fails, the form is posted the classic way: no lead is lost;
 * - a form that asks for a proof of work (Leadflow's `captcha: "altcha"`, or a form switching to it
 *   over its cap) offers a challenge at /forms/<id>/challenge: it is fetched when the visitor starts
 *   on the form and solved in the background, in small slices that never hold up typing, and the
 *   solution goes with the post as `_altcha`. A form that asks for none answers 404: nothing is done.
 * Attributes of the form: data-leadflow-redirect="URL" (go there on success; empty: to the form's
 * `_next` field), data-leadflow-thanks, data-leadflow-sending and data-leadflow-failed (texts).
 */
(() => {
  "use strict";

  // `ref`: a referral partner's code (their link: `<page>?ref=<code>`), kept like the campaign.
  const CAMPAIGN = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid", "ref"];
  const SOURCE = [...CAMPAIGN, "referrer", "landing_page"];
  const STORAGE_KEY = "leadflow:source";
  const ENDPOINT = /\/forms\/[^/]+\/submissions\/?$/;
  const TIMEOUT_MS = 20000; // then the classic post takes over
  const TEXT = { sending: "Sending…", thanks: "Thank you! We received your request and will be in touch soon.",
    failed: "The form could not be sent. Please try again." };
  let notes = 0; // ids for error messages
  const SLICE = 2000; // hashes between two yields to the page: a few milliseconds
  const CHALLENGE_TIMEOUT_MS = 5000;

  // ALTCHA's proof of work (v1): the number n with SHA-256(salt + n) = challenge, at most maxNumber.
  async function solve(challenge) {
    const encoder = new TextEncoder();
    for (let start = 0; start <= challenge.maxNumber; start += SLICE) {
      const end = Math.min(start + SLICE, challenge.maxNumber + 1);
      for (let n = start; n < end; n += 1) {
        const digest = await crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n));
        const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
        if (hex === challenge.challenge) {
          return btoa(JSON.stringify({ algorithm: challenge.algorithm, challenge: challenge.challenge, number: n,
            salt: challenge.salt, signature: challenge.signature }));
        }
      }
      await new Promise((resolve) => setTimeout(resolve)); // let the page breathe
    }
    return "";
  }

  // When the signed challenge stops being accepted (its `expires`, in seconds), a little early.
  function expiry(challenge) {
    const expires = Number(new URLSearchParams(String(challenge.salt).split("?")[1] || "").get("expires"));
    return expires ? expires * 1000 - 30000 : Infinity;
  }

  // The proof for one form: fetched and solved once, again when it is about to expire or once
  // a post used it (a solution serves one post); "" when the form asks for none or the
  // challenge cannot be had.
  function proofOf(url) {
    let pending = null, until = 0;
    const proof = () => {
      if (pending && Date.now() < until) return pending;
      until = Infinity;
      // Never long: a post waits for this only when it is sent at once; past it, the post goes
      // without a proof (on a form that requires one it is kept for review, never lost).
      const abort = new AbortController();
      setTimeout(() => abort.abort(), CHALLENGE_TIMEOUT_MS);
      pending = fetch(url, { headers: { Accept: "application/json" }, signal: abort.signal })
        .then((response) => (response.ok ? response.json() : null))
        .then((challenge) => {
          if (!challenge || !crypto.subtle) return "";
          until = expiry(challenge);
          return solve(challenge);
        })
        .catch(() => { until = 0; return ""; });
      return pending;
    };
    proof.spent = () => { until = 0; };
    return proof;
  }

  // Decided on the visit's first page with this script and kept for the visit (sessionStorage:
  // this tab, this site), so a form two pages later still sends the campaign the visitor came from.
  function visitSource() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY));
      if (saved && typeof saved === "object") return saved;
    } catch (error) { /* storage off or corrupt: this page is the landing page */ }
    const params = new URLSearchParams(location.search);
    const source = {};
    for (const name of CAMPAIGN) if (params.get(name)) source[name] = params.get(name);
    // A referrer on this site is a page without this script, not where the visitor came from.
    if (document.referrer && !document.referrer.startsWith(`${location.origin}/`)) source.referrer = document.referrer;
    // No query string: the campaign is kept above, and a query may carry personal data.
    source.landing_page = location.origin + location.pathname;
    try { sessionStorage.setItem(STORAGE_KEY, JSON.stringify(source)); } catch (error) { /* as above */ }
    return source;
  }

  function setHidden(form, name, value) {
    let input = form.querySelector(`input[name="${name}"]`);
    if (!input) form.append(input = Object.assign(document.createElement("input"), { type: "hidden", name }));
    input.value = value;
  }

  // The control for a field as the server names it: `email` finds `Email` and `your-email` too.
  function control(form, name) {
    const key = (raw) => raw.toLowerCase().replace(/[\s\-.[\]]+/g, "_").replace(/^_+|_+$/g, "").replace(/^your_/, "");
    return Array.from(form.elements).find((element) => element.name && key(element.name) === name);
  }

  function enhance(form) {
    if (form.hasAttribute("data-leadflow-ready")) return;
    form.setAttribute("data-leadflow-ready", "");
    const text = (name) => form.getAttribute(`data-leadflow-${name}`) || TEXT[name];
    const action = new URL(form.getAttribute("action") || "", document.baseURI);
    const proof = proofOf(action.href.replace(/\/submissions\/?(\?.*)?$/, "/challenge"));
    // Started when the visitor starts on the form, solved while they type (kept while valid:
    // a later focus costs nothing; after a sent post, the next focus fetches a new one).
    form.addEventListener("focusin", () => { proof(); });
    const source = visitSource();
    for (const name of SOURCE) if (source[name]) setHidden(form, name, String(source[name]));

    const shown = () => setHidden(form, "_shown_at", String(Date.now()));
    if ("IntersectionObserver" in window) {
      const observer = new IntersectionObserver((entries) => {
        if (entries.some((entry) => entry.isIntersecting)) { shown(); observer.disconnect(); }
      });
      observer.observe(form);
    } else shown();

    // A live region present before anything is said in it, so screen readers announce the result.
    let status = form.querySelector("[data-leadflow-status]");
    if (!status) form.append(status = document.createElement("p"));
    status.setAttribute("data-leadflow-status", "");
    if (!status.hasAttribute("role")) status.setAttribute("role", "status");
    if (!status.hasAttribute("aria-live")) status.setAttribute("aria-live", "polite");

    let sending = false;
    let marked = []; // [control, message, its aria-describedby before] for the last refusal
    const buttons = (disabled) => form.querySelectorAll("button:not([type=button]):not([type=reset]), "
      + "input[type=submit]").forEach((button) => { button.disabled = disabled; });
    const settle = (state) => { sending = false; buttons(false); form.setAttribute("data-leadflow-state", state); };

    function clearErrors() {
      for (const [input, note, describedBy] of marked.reverse()) { // latest first: restores the original
        if (describedBy) input.setAttribute("aria-describedby", describedBy);
        else input.removeAttribute("aria-describedby");
        input.removeAttribute("aria-invalid");
        note.remove();
      }
      marked = [];
    }

    function showErrors(errors) {
      for (const error of errors) {
        const input = error.field && control(form, error.field);
        if (!input || input.type === "hidden") continue; // said in the status only
        const note = Object.assign(document.createElement("span"),
          { id: `leadflow-error-${++notes}`, className: "leadflow-error", textContent: error.message });
        const describedBy = input.getAttribute("aria-describedby");
        input.after(note);
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", describedBy ? `${describedBy} ${note.id}` : note.id);
        marked.push([input, note, describedBy]);
      }
      status.textContent = errors.map((error) => error.message).join(" ") || text("failed");
      if (marked.length) marked[0][0].focus();
    }

    form.addEventListener("submit", async (event) => {
      if (event.defaultPrevented) return; // the page's own checks said no
      event.preventDefault();
      if (sending) return; // a double click sends once
      sending = true;
      // The fill time measured here, on one clock: the server's too-fast check then
      // doesn't depend on the visitor's clock agreeing with its own.
      const shownAt = Number((form.elements.namedItem("_shown_at") || {}).value);
      if (shownAt) setHidden(form, "_fill_ms", String(Date.now() - shownAt));
      buttons(true);
      form.setAttribute("data-leadflow-state", "sending");
      status.textContent = text("sending");
      const solved = await proof(); // done already unless the visitor was very quick
      if (solved) setHidden(form, "_altcha", solved); // the classic post below carries it too
      buttons(false);
      const data = new FormData(form, event.submitter); // before disabling: keeps the button's value
      const multipart = (form.getAttribute("enctype") || "").toLowerCase() === "multipart/form-data";
      buttons(true);
      clearErrors();
      form.setAttribute("data-leadflow-state", "sending");
      status.textContent = text("sending");
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
      let response = null, answer = {};
      try {
        response = await fetch(new URL(form.getAttribute("action") || "", document.baseURI), {
          method: "POST", headers: { Accept: "application/json" }, signal: abort.signal,
          body: multipart ? data : new URLSearchParams(data),
        });
        answer = (await response.json().catch(() => null)) || {};
      } catch (networkError) { /* offline, timed out, or an origin the form does not allow */ }
      clearTimeout(timer);
      if (!response || response.status >= 500) {
        // The server stores a repeated post once, so posting again the classic way is safe.
        status.textContent = "";
        HTMLFormElement.prototype.submit.call(form); // works even with a control named "submit"
        return;
      }
      if (!response.ok) {
        settle("error");
        showErrors(Array.isArray(answer.errors) ? answer.errors : [{ field: null, message: answer.message }]);
        return;
      }
      const redirect = form.getAttribute("data-leadflow-redirect");
      const next = form.querySelector("input[name=_next]");
      if (redirect || (redirect !== null && next && next.value)) { location.assign(redirect || next.value); return; }
      proof.spent(); // stored with this post: the next one needs a new solution
      const used = form.querySelector("input[name=_altcha]");
      if (used) used.remove();
      HTMLFormElement.prototype.reset.call(form); // hidden inputs keep their values
      settle("sent");
      status.textContent = text("thanks");
    });
    // Back on this page after a classic post (back/forward cache): the form is usable again.
    window.addEventListener("pageshow", (event) => { if (event.persisted) settle("ready"); });
  }

  function enhanceAll() {
    for (const form of document.querySelectorAll("form")) {
      const action = new URL(form.getAttribute("action") || "", document.baseURI).pathname;
      if (form.hasAttribute("data-leadflow") || ENDPOINT.test(action)) enhance(form);
    }
  }

  window.Leadflow = { enhance }; // for forms added to the page later
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", enhanceAll);
  else enhanceAll();
})();
