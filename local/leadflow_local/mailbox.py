"""The managers' mailbox of `make dev`: the emails moto's SES accepted, as a page.

Read from moto's SES store in this process; everything from an email is escaped, and
its HTML body shown only inside a sandboxed iframe: no script of the email runs. Its
links open in a new tab, as a mail client opens them (the pages behind them refuse to be
framed), and each frame is as tall as its email (mailbox.js, the page's only script)."""

from __future__ import annotations

import email.policy
import html
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from email import message_from_string
from typing import Any

from leadflow.shared.brand import FAVICON_LINK

MAILBOX_PATH = "/_local/mailbox"
MAILBOX_SCRIPT = f"{MAILBOX_PATH}.js"
# The mailbox shows whatever visitors typed, inside emails: no script but our own file,
# no fetch, no form. (An email's srcdoc frame inherits this policy.)
MAILBOX_CSP = ("default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
               "form-action 'none'; frame-ancestors 'none'")
# The email's frame: its own origin so the page can read its height (it runs no script:
# no allow-scripts), and links that open a tab of their own, outside the sandbox.
FRAME_SANDBOX = "allow-same-origin allow-popups allow-popups-to-escape-sandbox"
NEW_TAB = '<base target="_blank">'


@dataclass(frozen=True)
class SentEmail:
    message_id: str
    to: list[str]
    subject: str
    body: str  # the HTML part when the email has one, else the text
    source: str  # the sender address
    timestamp: str  # ISO 8601, UTC


class Mailbox:
    """The emails moto's SES accepted, read from moto's SES store.

    moto runs in this process, so the store is read directly: `/moto-api/data.json`
    would serialize every backend (the whole table included) on each look, which takes
    seconds once a few hundred leads exist and stalls moto for everyone meanwhile.
    moto keeps no send time, so each message is stamped when the mailbox first sees it;
    `watch_activity` looks as soon as a function has called SES, so stamps are within a
    poll interval of the truth even if nobody has the mailbox open."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        # Each message as shown, by id: parsed once (a raw MIME parse per message per look
        # made every look, and so the whole run, grow with the number of emails sent).
        self._seen: dict[str, SentEmail] = {}
        self._lock = threading.Lock()

    def emails(self) -> list[SentEmail]:
        """Every email sent so far, newest first."""
        from moto.ses.models import ses_backends

        # SES v2 SendEmail is stored by moto's v1 backend, in send order.
        messages = list(ses_backends[self.account_id][self.region].sent_messages)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._lock:
            for message in messages:
                if message.id not in self._seen:
                    self._seen[message.id] = _sent_email(message, now)
            emails = [self._seen[m.id] for m in messages]
        return emails[::-1]


def _sent_email(message: Any, timestamp: str) -> SentEmail:
    """A moto SES message (simple, or raw MIME) as the mailbox shows it."""
    raw = getattr(message, "raw_data", None)
    if raw is None:
        destinations = getattr(message, "destinations", None) or {}
        return SentEmail(message_id=message.id, to=list(destinations.get("ToAddresses", [])),
                         subject=message.subject or "", body=message.body or "", source=message.source or "",
                         timestamp=timestamp)
    parsed = message_from_string(raw, policy=email.policy.default)
    part = parsed.get_body(preferencelist=("html", "plain"))
    return SentEmail(message_id=message.id, to=list(getattr(message, "destinations", None) or []),
                     subject=str(parsed.get("Subject", "")), body=part.get_content() if part else "",
                     source=str(parsed.get("From", getattr(message, "source", ""))), timestamp=timestamp)


def render_mailbox(emails: Iterable[SentEmail]) -> str:
    """The mailbox page. Everything from an email is escaped; its HTML body is shown only
    inside a sandboxed iframe (no scripts, no same-origin access)."""
    articles = "".join(_render_email(n, email) for n, email in enumerate(emails, 1))
    content = articles or ('<p class="empty">No email yet. <a href="/">Submit the demo form</a>, '
                           "then refresh this page.</p>")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Managers' mailbox — Leadflow local</title>
{FAVICON_LINK}
<script type="module" src="{MAILBOX_SCRIPT}"></script>
<style>
  body {{ margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2433;
         background: #f4f6fa; }}
  header {{ padding: 1rem 1.5rem; background: #1d2433; color: #fff; display: flex; gap: 1rem;
           align-items: baseline; flex-wrap: wrap; }}
  header h1 {{ margin: 0; font-size: 1.25rem; }}
  header a {{ color: #b9ccff; }}
  main {{ max-width: 56rem; margin: 1.5rem auto; padding: 0 1rem; }}
  .email {{ background: #fff; border-radius: 10px; box-shadow: 0 2px 10px rgba(20, 40, 90, .08);
           margin-bottom: 1.25rem; padding: 1rem 1.25rem; }}
  .email h2 {{ margin: 0 0 .5rem; font-size: 1.05rem; }}
  .meta {{ display: grid; grid-template-columns: max-content 1fr; gap: .1rem .75rem; margin: 0 0 .75rem;
          color: #5b6474; font-size: .9rem; }}
  .meta dt {{ font-weight: 600; }}
  .meta dd {{ margin: 0; }}
  iframe {{ width: 100%; height: 26rem; border: 1px solid #dde2ea; border-radius: 6px; background: #fff;
           display: block; }}
  .empty {{ background: #fff; padding: 1.5rem; border-radius: 10px; }}
</style>
</head>
<body>
<header>
  <h1>Managers' mailbox</h1>
  <span>every email the local stack sent, newest first</span>
  <a href="{MAILBOX_PATH}">Refresh</a> <a href="/">Demo form</a>
</header>
<main>
{content}
</main>
</body>
</html>
"""


def _render_email(number: int, email: SentEmail) -> str:
    # moto keeps the HTML part when there is one; a text-only email is shown as text.
    body = email.body if email.body.lstrip().startswith("<") else f"<pre>{html.escape(email.body)}</pre>"
    body = _with_new_tabs(body)
    sent = email.timestamp.replace("T", " ").replace("+00:00", " UTC")
    return f"""<article class="email" aria-labelledby="subject-{number}">
  <h2 id="subject-{number}" class="subject">{html.escape(email.subject)}</h2>
  <dl class="meta">
    <dt>To</dt><dd class="to">{html.escape(", ".join(email.to))}</dd>
    <dt>From</dt><dd class="from">{html.escape(email.source)}</dd>
    <dt>Sent</dt><dd><time datetime="{html.escape(email.timestamp)}">{html.escape(sent)}</time></dd>
  </dl>
  <iframe sandbox="{FRAME_SANDBOX}" title="Body of: {html.escape(email.subject)}" srcdoc="{html.escape(body)}"></iframe>
</article>
"""


def _with_new_tabs(body: str) -> str:
    """The email with `<base target="_blank">` first in its head (after the doctype, which
    must stay first, else the email renders in quirks mode)."""
    head = body.lower().find("<head>")
    if head < 0:
        return NEW_TAB + body
    at = head + len("<head>")
    return body[:at] + NEW_TAB + body[at:]
