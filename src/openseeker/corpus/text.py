"""Small text helpers shared by the sources: sentence context, anchor recovery (and, re-exported from
:mod:`openseeker.text`, the CJK test and language guess).

Everything here runs in C (regular expressions, ``str.find``): no loop walks a text character by character
in Python, because the sources call these once per page and once per link.
"""

from __future__ import annotations

import re

from openseeker.text import detect_language, has_cjk, is_cjk

__all__ = ["clean_whitespace", "detect_language", "find_anchor", "has_cjk", "is_cjk", "sentence_around"]

_SENTENCE_END = ".!?。！？；;\n"
_NEXT_END = re.compile("[" + re.escape(_SENTENCE_END) + "]")
_LAST_END = re.compile(".*[" + re.escape(_SENTENCE_END) + "]", re.S)
_WS = re.compile(r"[ \t\r\f\v]+")


def clean_whitespace(text: str) -> str:
    """Collapse runs of spaces and of blank lines, keep paragraph breaks."""
    lines = [_WS.sub(" ", ln).strip() for ln in text.splitlines()]
    out: list[str] = []
    blank = False
    for ln in lines:
        if not ln:
            if out and not blank:
                out.append("")
            blank = True
            continue
        out.append(ln)
        blank = False
    return "\n".join(out).strip()


def sentence_around(text: str, start: int, end: int, max_chars: int = 400) -> str:
    """The sentence containing ``text[start:end]`` (bounded to ``max_chars`` around the span)."""
    lo = max(0, start - max_chars)
    # The last sentence end before the span: a greedy match backtracks from the span to it, in C.
    m0 = _LAST_END.match(text, lo, start)
    s = m0.end() if m0 else lo
    hi = min(len(text), end + max_chars)
    m = _NEXT_END.search(text, end, hi)
    e = m.start() if m else hi
    if e < len(text) and text[e] != "\n" and m is not None:
        e += 1
    return _WS.sub(" ", text[s:e]).strip()


def _bounded(hay: str, i: int, e: int) -> bool:
    return (i == 0 or not hay[i - 1].isalnum()) and (e >= len(hay) or not hay[e].isalnum())


def find_anchor(text: str, phrase: str, start: int = 0, lower: str | None = None) -> tuple[int, int] | None:
    """Locate ``phrase`` in ``text`` from ``start``: exact case first, then case-insensitive; whole words for
    Latin script. Falls back to a search from the beginning, so anchors that appear out of order are found.

    Args:
        text: the page text.
        phrase: the anchor text.
        start: where to look first.
        lower: ``text.lower()``, when the caller looks up many anchors in one text.
    """
    if not phrase.strip():
        return None
    cjk = has_cjk(phrase)
    low = lower if lower is not None else text.lower()
    pairs = [(text, phrase)]
    # Lower-casing can change the length of some characters; then offsets would not map back to ``text``.
    if len(low) == len(text):
        pairs.append((low, phrase.lower()))
    for hay, needle in pairs:
        for origin in (start, 0) if start else (0,):
            i = hay.find(needle, origin)
            while i >= 0:
                e = i + len(needle)
                if cjk or _bounded(hay, i, e):
                    return i, e
                i = hay.find(needle, i + 1)
    return None
