"""Text helpers shared by the QA steps: normalization, sentence splitting, fuzzy containment.

Everything here is language aware in the small ways that matter for English and Chinese: full-width
characters are folded (NFKC), Chinese sentences end at ``。！？；``, and matching never relies on spaces
between Chinese characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from difflib import SequenceMatcher
from itertools import pairwise

_SENT_END = re.compile(r"(?<=[.!?。！？；])\s+|(?<=[。！？；])")
_PARA = re.compile(r"\n\s*\n")
_PARA_SPAN = re.compile(r"(?:[^\n]|\n(?!\s*\n))+")  # a paragraph: text up to a blank line
_SPACE = re.compile(r"\s+")
_NONWORD = re.compile(r"[^\w]+", re.U)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def is_cjk(text: str) -> bool:
    """True when a good part of ``text`` is Chinese characters."""
    han = len(_HAN.findall(text))
    return han > 0 and han >= 0.2 * max(1, len(text.replace(" ", "")))


def normalize(text: str) -> str:
    """NFKC (folds full-width forms), case-folded, punctuation to spaces, whitespace collapsed."""
    t = unicodedata.normalize("NFKC", text).casefold()
    t = _NONWORD.sub(" ", t)
    return _SPACE.sub(" ", t).strip()


def compact(text: str) -> str:
    """:func:`normalize` without any spaces (for Chinese, where spaces carry no meaning)."""
    return normalize(text).replace(" ", "")


def sentences(text: str) -> list[str]:
    """Split text into sentences (English and Chinese punctuation).

    Paragraphs end at blank lines; single line breaks inside a paragraph are hard wraps (plain-text
    dumps such as Wikispeedia wrap at 72 columns) and are joined with a space.
    """
    out: list[str] = []
    for para in _PARA.split(text):
        joined = _SPACE.sub(" ", para).strip()
        out.extend(s.strip() for s in _SENT_END.split(joined) if s and s.strip())
    return out


def iter_prose_sentences(text: str, min_paragraph_chars: int = 120) -> Iterator[str]:
    """The sentences of the text's prose paragraphs, lazily: captions, infobox rows and headings (short
    paragraphs, or lines that do not read as sentences) are left out."""
    for m in _PARA_SPAN.finditer(text):
        joined = _SPACE.sub(" ", m.group(0)).strip()
        need = min_paragraph_chars // 3 if is_cjk(joined) else min_paragraph_chars
        if len(joined) < need:
            continue
        yield from (x for x in (s.strip() for s in _SENT_END.split(joined)) if x and is_prose(x))


def prose_sentences(text: str, min_paragraph_chars: int = 120) -> list[str]:
    """:func:`iter_prose_sentences` as a list."""
    return list(iter_prose_sentences(text, min_paragraph_chars))


def is_prose(sentence: str, min_words: int = 5) -> bool:
    """A real sentence rather than an infobox row, a heading or a navigation line."""
    if is_cjk(sentence):
        return len(sentence) >= 2 * min_words and sentence[-1] in "。！？；.!?"
    words = sentence.split()
    return len(words) >= min_words and sentence[-1] in ".!?\"')" and any(w.islower() for w in words[:6])


def contains_term(haystack: str, term: str) -> bool:
    """Whether ``term`` occurs in ``haystack`` (case/width-insensitive; whole words for Latin script)."""
    t = normalize(term)
    if not t:
        return False
    h = normalize(haystack)
    if _HAN.search(t):
        return t.replace(" ", "") in h.replace(" ", "")
    return re.search(rf"(?<!\w){re.escape(t)}(?!\w)", h) is not None


def containment(needle: str, haystack: str) -> float:
    """How well ``needle`` is contained in ``haystack``, from 0 to 1 (1: verbatim after normalization).

    Models quote evidence loosely (dropped commas, changed case, a trimmed clause). We compare against
    each sentence and each pair of adjacent sentences and keep the best ratio of matched characters to
    the needle's length, so a paraphrase that merely shares words scores low.
    """
    n = compact(needle)
    if not n:
        return 0.0
    h = compact(haystack)
    if n in h:
        return 1.0
    sents = [compact(s) for s in sentences(haystack)]
    windows = sents + [a + b for a, b in pairwise(sents)]
    best = 0.0
    for w in windows:
        if not w:
            continue
        sm = SequenceMatcher(None, n, w, autojunk=False)
        if sm.quick_ratio() * (len(n) + len(w)) / (2 * len(n)) <= best:
            continue  # an upper bound of the matched characters: this window cannot beat the best
        matched = sum(b.size for b in sm.get_matching_blocks())
        best = max(best, matched / len(n))
        if best >= 1.0:
            break
    return best


def clean_title(title: str) -> str:
    """A page title as an answer: underscores to spaces, a trailing disambiguator kept."""
    return _SPACE.sub(" ", title.replace("_", " ")).strip()


def title_variants(title: str) -> list[str]:
    """Aliases derived from a title: without its parenthetical disambiguator (``Mercury (planet)``)."""
    t = clean_title(title)
    out = [t]
    base = re.sub(r"\s*[(（][^)）]*[)）]\s*$", "", t).strip()
    if base and base != t:
        out.append(base)
    return out
