"""The demo landing pages of `make dev`: one page per language of the seeded demo forms
(`/` English, `/es` Spanish, `/ar` Arabic, right to left), each with its thank-you page
and a switch to the others.

One template per page (pages/demo.html, pages/thanks.html) and the words of each language
(pages/demo-text.json), so the three pages cannot drift apart. Every value is escaped. The
consent wording is the form's own `consent_text` in local/seed.json: the evidence stored
with a lead is the sentence its visitor read."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from leadflow.shared.brand import FAVICON_DATA_URI

PAGES_DIR = Path(__file__).resolve().parents[1] / "pages"
SEED = Path(__file__).resolve().parents[1] / "seed.json"
THANK_YOU = "thank-you"


@cache
def _words() -> dict[str, dict[str, Any]]:
    return json.loads((PAGES_DIR / "demo-text.json").read_text(encoding="utf-8"))


@cache
def _consent_texts() -> dict[str, str]:
    forms = json.loads(SEED.read_text(encoding="utf-8"))["forms"]
    return {form["form_id"]: form.get("consent_text", "") for form in forms}


@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(PAGES_DIR), autoescape=select_autoescape(["html"]),
                       keep_trailing_newline=True)


def _home(lang: str) -> str:
    return _words()[lang]["path"]


def demo_paths() -> dict[str, tuple[str, str]]:
    """Every demo page's path → (page, language): `/`, `/es`, `/ar` and their thank-you pages."""
    paths: dict[str, tuple[str, str]] = {}
    for lang in _words():
        home = _home(lang)
        paths[home] = ("demo", lang)
        paths[f"{home.rstrip('/')}/{THANK_YOU}"] = ("thanks", lang)
    return paths


def render_demo_page(path: str) -> str | None:
    """The demo page (or thank-you page) at this path, or None when there is none."""
    found = demo_paths().get(path)
    if found is None:
        return None
    page, lang = found
    words = _words()[lang]
    languages = [{"lang": other, "path": text["path"], "name": text["name_of_language"]}
                 for other, text in _words().items()]
    return _templates().get_template(f"{page}.html").render(
        t=words, lang=lang, dir=words["dir"], path=path, home=_home(lang), form_id=words["form_id"],
        favicon=FAVICON_DATA_URI, consent_text=_consent_texts().get(words["form_id"], ""), languages=languages)
