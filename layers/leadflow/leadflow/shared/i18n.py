"""Languages: which way a language is written, and the primary language of a tag.

The wording itself lives with whoever speaks: visitor messages in capture, emails and
link pages in notification."""

from __future__ import annotations

RIGHT_TO_LEFT = frozenset({"ar", "he", "fa", "ur"})


def primary_language(tag: str | None) -> str:
    """`es-MX` → `es`; lowercase; empty for no tag."""
    return (tag or "").split("-", maxsplit=1)[0].lower()


def text_direction(language: str) -> str:
    """`rtl` for languages written right to left (Arabic...), else `ltr`."""
    return "rtl" if primary_language(language) in RIGHT_TO_LEFT else "ltr"
