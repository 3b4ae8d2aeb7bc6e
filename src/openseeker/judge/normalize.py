"""Answer normalization and extraction shared by every judge (the exact-match fast path).

The fast path only ever says *correct*: when a normalized candidate answer equals the normalized gold
answer (or one of its aliases) no LLM is asked. Anything else goes to the LLM judge, so a too-eager
normalization could only cause false positives; it is therefore deliberately conservative (Unicode
NFKC folding, case, whitespace, surrounding punctuation and markup), never semantic.
"""

from __future__ import annotations

import re
import unicodedata

_THINK_END = "</think>"
_ANSWER_TAG = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.S | re.I)
_BOXED = re.compile(r"\\boxed\{((?:[^{}]|\{[^{}]*\})*)\}")
# "Exact Answer:", "Answer:", "Final Answer:", "最终答案:" lines (markdown bold tolerated).
_ANSWER_LINE = re.compile(
    r"(?im)^[ \t>*_#-]*(?:exact\s+answer|final\s+answer|answer|最终答案|答案)[ \t*_]*[:：][ \t*_]*(.+?)[ \t*_]*$"
)
_XBENCH_LINE = re.compile(r"(?m)^[ \t>*_#-]*最终答案[ \t*_]*[:：][ \t*_]*(.*?)[ \t*_]*$")
_MARKUP = re.compile(r"[*_`]+")
_EDGE_PUNCT = " \t\n\r\"'“”‘’「」『』《》()[]{}<>.,;:!?。，；：！？、"
_SPACE = re.compile(r"\s+")


def after_thinking(text: str) -> str:
    """The visible part of a reply: text after the last ``</think>`` and inside a harmony final message."""
    if _THINK_END in text:
        text = text.rsplit(_THINK_END, 1)[1]
    if "<|message|>" in text:  # gpt-oss harmony format: keep the last message body
        text = text.rsplit("<|message|>", 1)[1]
        text = text.split("<|return|>", 1)[0].split("<|end|>", 1)[0]
    return text.strip()


def normalize_answer(text: str | None) -> str:
    """Fold an answer for exact comparison.

    NFKC maps full-width letters, digits and punctuation to their ASCII forms; then ``<answer>`` tags,
    markdown emphasis and surrounding quotes/punctuation are removed, case is folded and every run of
    whitespace is dropped (CJK text has no meaningful spaces; for Latin text a missing space is a
    harmless difference).
    """
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", text)
    s = re.sub(r"</?answer>", " ", s, flags=re.I)
    s = _MARKUP.sub("", s)
    s = s.strip(_EDGE_PUNCT)
    s = s.casefold()
    return _SPACE.sub("", s)


def extract_answer(response: str) -> str | None:
    """The final answer a response commits to, or ``None`` when it states none explicitly.

    Order: the last ``<answer>...</answer>``, the last ``\\boxed{}``, the last answer line
    (``Exact Answer:``, ``Answer:``, ``最终答案:``...), else the whole visible text when it is a short
    single line (a bare answer).
    """
    text = after_thinking(response or "")
    tags = _ANSWER_TAG.findall(text)
    if tags:
        return str(tags[-1]).strip()
    boxed = _BOXED.findall(text)
    if boxed:
        return str(boxed[-1]).strip()
    lines = _ANSWER_LINE.findall(text)
    if lines:
        return str(lines[-1]).strip()
    bare = text.strip()
    if bare and "\n" not in bare and len(bare) <= 200:
        return bare
    return None


def extract_xbench_answer(response: str) -> str | None:
    """The text after the last ``最终答案:`` (or ``最终答案：``) line, as xbench's grader reads it."""
    found = _XBENCH_LINE.findall(after_thinking(response or ""))
    return found[-1].strip() if found else None


def exact_match(candidate: str | None, gold: str, aliases: list[str] | None = None) -> bool:
    """Whether the normalized candidate equals the normalized gold answer or any alias."""
    c = normalize_answer(candidate)
    if not c:
        return False
    return any(c == normalize_answer(g) for g in [gold, *(aliases or [])] if normalize_answer(g))
