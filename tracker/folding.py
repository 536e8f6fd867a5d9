"""Folding text for search: one spelling for the many ways people type the same name.

Full-width and half-width forms become one (NFKC), case is folded, and whitespace, quotes and
brackets of every style are dropped, so “安康杯”, "安康杯" and 「安康杯」 read alike, and
艾默生电气(珠海) reads like 艾默生电气（珠海）有限公司 up to its end. Pure functions: the
migration that fills the search texts uses them too.
"""

from __future__ import annotations

import re
import unicodedata

# Quotes and brackets of every style, as they stand after NFKC (which already turns
# full-width （）＂＇［］ into their ASCII forms).
QUOTES = "\"'`“”‘’„‟‚‛«»‹›「」『』〝〞〟"
BRACKETS = "()[]{}【】〔〕〖〗〘〙〚〛《》〈〉⟨⟩⦅⦆｟｠"
SEPARATORS = re.compile("[\\s" + re.escape(QUOTES + BRACKETS) + "]+")
MAX_SEARCH_WORDS = 10


def fold(text: str | None) -> str:
    """The searchable form of a text: normalised, case-folded, without separators."""
    if not text:
        return ""
    return SEPARATORS.sub("", unicodedata.normalize("NFKC", text).casefold())


def search_words(query: str | None) -> list[str]:
    """The words of a query, folded; whitespace, quotes and brackets separate words."""
    if not query:
        return []
    normalized = unicodedata.normalize("NFKC", query).casefold()
    words = [word for word in SEPARATORS.split(normalized) if word]
    unique = list(dict.fromkeys(words))
    return unique[:MAX_SEARCH_WORDS]


def matches_all(folded_text: str, words: list[str]) -> bool:
    """Whether every word occurs in the folded text."""
    return all(word in folded_text for word in words)


def like_pattern(word: str) -> str:
    """A LIKE pattern (escape character `\\`) finding the word anywhere."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
