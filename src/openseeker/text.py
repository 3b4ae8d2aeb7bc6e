"""Text helpers every layer shares: telling Chinese (CJK ideographs) from other text.

The toolkit targets English and Chinese; these decide which prompt, tokenizer or layout a text gets.
Everything runs in C (regular expressions), never a Python loop per character.
"""

from __future__ import annotations

import re

_CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002a6df"
_CJK = re.compile(f"[{_CJK_CLASS}]")
_LETTER = re.compile(r"[^\W\d_]")


def is_cjk(ch: str) -> bool:
    """True for a CJK unified ideograph (the ranges Chinese text is written in)."""
    return _CJK.match(ch) is not None


def has_cjk(text: str) -> bool:
    """True when ``text`` contains at least one CJK ideograph."""
    return _CJK.search(text) is not None


def count_cjk(text: str) -> int:
    """The number of CJK ideographs in ``text``."""
    return len(_CJK.findall(text))


def detect_language(text: str, sample: int = 2000) -> str:
    """Guess ``"zh"`` or ``"en"`` from the share of CJK ideographs among the letters of a sample.

    Only the two languages the toolkit targets are told apart; anything that is not mostly CJK is "en".
    """
    head = text[:sample]
    cjk = count_cjk(head)
    if not cjk:
        return "en"
    letters = len(_LETTER.findall(head))
    # Chinese pages routinely contain Latin names and numbers, so a minority share of ideographs suffices.
    return "zh" if letters and cjk / letters >= 0.3 else "en"
