"""The console's words: every language has every word, and every word a page asks for
by name exists in that page's languages (common words, or the page's own file)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "console" / "js"
WORDS = JS / "i18n"
LANGUAGES = ("en", "es", "ar")
COMMON = {language: json.loads((WORDS / f"{language}.json").read_text("utf-8")) for language in LANGUAGES}
PARTS = sorted(path for path in WORDS.glob("*.json") if path.stem not in LANGUAGES)
MODULES = sorted(JS.rglob("*.js"))
ASKED = re.compile(r"""\bt\(\s*["']([\w.-]+)["']""")  # t("queue.title"), not t(`status.${s}`)
OWN_WORDS = re.compile(r"""export const words = ["'](\w+)["']""")


def test_the_common_words_are_the_same_in_every_language():
    assert COMMON["es"].keys() == COMMON["en"].keys() == COMMON["ar"].keys()
    assert all(text.strip() for words in COMMON.values() for text in words.values())


def test_a_pages_words_are_the_same_in_every_language():
    for part in PARTS:
        words = json.loads(part.read_text("utf-8"))
        assert set(words) == set(LANGUAGES), part.name
        assert words["es"].keys() == words["en"].keys() == words["ar"].keys(), part.name
        assert all(text.strip() for language in LANGUAGES for text in words[language].values()), part.name
        assert not set(words["en"]) & set(COMMON["en"]), f"{part.name}: a page's word shadows a common one"


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(JS)))
def test_every_word_a_module_asks_for_by_name_exists(module):
    source = module.read_text("utf-8")
    own = OWN_WORDS.search(source)
    known = set(COMMON["en"])
    if own:
        known |= set(json.loads((WORDS / f"{own.group(1)}.json").read_text("utf-8"))["en"])
    missing = sorted(set(ASKED.findall(source)) - known)
    assert missing == []
