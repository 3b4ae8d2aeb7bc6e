"""LLM answer judges in three styles, with an exact-match fast path and robust, honest parsing.

* ``binary``: OpenSeeker-style; the judge answers ``A`` (agrees) or ``B`` (does not).
* ``browsecomp``: HLE/BrowseComp-style fields ``extracted_final_answer`` / ``reasoning`` / ``correct``
  (yes/no) / ``confidence``.
* ``xbench``: exact match on the ``最终答案:`` line first, else a Chinese judge answering ``结论: 正确|错误``.

The LLM is asked about every item (``exact+STYLE`` first decides normalized exact matches without it,
recording ``method="exact"``; ``rules+STYLE`` lets the :mod:`rules judge <openseeker.judge.rules>`
decide first). A reply that cannot be parsed is asked again (``max_attempts`` in all), and if it still
cannot be parsed the verdict is ``correct=None`` (unparsed): never a guess. A/B verdicts also record the
label the official OpenSeeker ``eval.py`` would read (:func:`official_label`). Parsers take the *last* match anchored at a line start, so ``incorrect: yes`` inside a
reasoning line can never read as ``correct: yes``.

Example::

    judge = get_judge("browsecomp", roles["judge"], lang="zh")
    verdict = await judge.judge(question, gold, response)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openseeker.judge import prompts
from openseeker.judge.normalize import after_thinking, exact_match, extract_answer, extract_xbench_answer
from openseeker.judge.verdict import Verdict
from openseeker.llm.base import LLM
from openseeker.llm.types import GenerateConfig, Usage

STYLES = ("binary", "browsecomp", "xbench")

# Decoration a model may put around a label or value: markdown bold/italics, headings, bullets, quotes.
_D = r"[ \t*_#>`\-]*"


@dataclass
class Parsed:
    """What a parser read from one judge reply (``correct is None``: nothing usable)."""

    correct: bool | None
    extracted_answer: str | None = None
    confidence: float | None = None


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    found = list(pattern.finditer(text))
    return found[-1] if found else None


# --- binary ---------------------------------------------------------------------------------------
_BIN_START = re.compile(r"^[\s*_`\[\(\"'“]*([AB])(?![A-Za-z0-9])")
_BIN_LABELED = re.compile(
    rf"(?im)^{_D}(?:final\s+answer|answer|option|choice|verdict|grade|答案|选项|结论|判断)[ \t*_]*[:：]{_D}"
    r"[\[\(]?([AB])(?![A-Za-z0-9])"
)
_BIN_ALONE = re.compile(r"(?m)^[ \t*_`\[\(]*([AB])[ \t*_`\]\)\.。]*$")
_BIN_TAGS = re.compile(r"\[(CORRECT|INCORRECT)\]")


def parse_binary(reply: str) -> Parsed:
    """Read an A/B verdict: a reply starting with ``A``/``B``, else the last labelled or bare A/B line,
    else an unambiguous ``[CORRECT]``/``[INCORRECT]`` tag."""
    text = after_thinking(reply)
    m = _BIN_START.match(text) or _last(_BIN_LABELED, text) or _last(_BIN_ALONE, text)
    if m:
        return Parsed(m.group(1) == "A")
    tags = set(_BIN_TAGS.findall(text))
    if len(tags) == 1:
        return Parsed(tags == {"CORRECT"})
    return Parsed(None)


# --- browsecomp -----------------------------------------------------------------------------------
def _field(name: str, value: str) -> re.Pattern[str]:
    return re.compile(rf"(?im)^{_D}{name}[ \t*_]*[:：][ \t*_]*{value}")


_BC_CORRECT = _field(r"(?:correct|是否正确)", r"(yes|no|是|否|正确|错误)(?![A-Za-z])")
_BC_CONF = _field(r"(?:confidence|置信度)", r"(\d+(?:\.\d+)?)[ \t]*(%|％)?")
_BC_EXTRACTED = _field(r"(?:extracted_final_answer|extracted final answer|提取的最终答案)", r"(.*?)[ \t*_]*$")


def parse_confidence(text: str) -> float | None:
    """The last ``confidence:`` value as a percentage (``0.85`` -> 85, capped at 100); ``None`` if absent."""
    m = _last(_BC_CONF, text)
    if not m:
        return None
    value = float(m.group(1))
    if not m.group(2) and "." in m.group(1) and value <= 1.0:
        value *= 100.0  # a fraction such as 0.85
    return min(value, 100.0)


def parse_browsecomp(reply: str) -> Parsed:
    """Read ``correct`` (yes/no), ``extracted_final_answer`` and ``confidence`` from a BrowseComp reply."""
    text = after_thinking(reply)
    m = _last(_BC_CORRECT, text)
    if not m:
        return Parsed(None)
    correct = m.group(1).lower() in ("yes", "是", "正确")
    ex = _last(_BC_EXTRACTED, text)
    extracted = ex.group(1).strip() if ex else None
    if extracted is not None and extracted.lower() in ("none", "无", ""):
        extracted = None
    return Parsed(correct, extracted, parse_confidence(text))


# --- xbench ---------------------------------------------------------------------------------------
_XB_CONCLUSION = _field(r"(?:结论|conclusion)", r"(正确|错误|correct|incorrect)(?![A-Za-z])")


def parse_xbench(reply: str) -> Parsed:
    """Read ``结论: 正确|错误`` (ASCII or full-width colon; English labels accepted too)."""
    text = after_thinking(reply)
    m = _last(_XB_CONCLUSION, text)
    if not m:
        return Parsed(None)
    extracted = extract_xbench_answer(text)
    if extracted in ("无", "None", ""):
        extracted = None
    return Parsed(m.group(1).lower() in ("正确", "correct"), extracted)


PARSERS: dict[str, Callable[[str], Parsed]] = {
    "binary": parse_binary,
    "browsecomp": parse_browsecomp,
    "xbench": parse_xbench,
}


_OFFICIAL_LABEL = re.compile(r"^\s*([AB])\b")


def official_label(reply: str) -> str:
    """The label the official OpenSeeker ``eval.py`` reads from an A/B judge reply: after the gpt-oss
    harmony markers are removed, the reply (or the text after the first ``</think>``) must *begin* with
    ``A`` or ``B`` as a word. Returns ``A``, ``B`` or ``unknown`` (METHOD.md 7.2)."""
    text = reply.split("<|message|>")[-1].split("<|return|>")[0].strip()
    m = _OFFICIAL_LABEL.match(text)
    if m is None and "</think>" in text:
        m = _OFFICIAL_LABEL.match(text.split("</think>", 1)[1].strip())
    return m.group(1) if m else "unknown"


class LLMJudge:
    """A judge of one style: the judge model with bounded re-asks (and, optionally, exact match first).

    Args:
        style: ``binary``, ``browsecomp`` or ``xbench``.
        llm: the judge model (``None``: nothing can be judged; every verdict is unparsed).
        lang: ``en`` or ``zh``, the prompt language.
        max_attempts: LLM calls per item before giving up as unparsed.
        generation: generation options (default temperature 0).
        exact: decide a normalized exact match without asking the model (``method="exact"``). Off by
            default: the official conventions ask the judge about every item.
        template: ``(system, user)`` prompt overriding ours (the user template has ``{question}``,
            ``{correct_answer}`` and ``{response}``; ``system`` ``None`` keeps ours), e.g. the official
            OpenSeeker judge prompt read by the ``openseeker-v1`` profile.
        name: the judge's name in records (default: ``style``).
    """

    def __init__(
        self,
        style: str,
        llm: LLM | None,
        lang: str = "en",
        *,
        max_attempts: int = 3,
        generation: GenerateConfig | None = None,
        exact: bool = False,
        template: tuple[str | None, str] | None = None,
        name: str | None = None,
    ):
        if style not in STYLES:
            raise ValueError(f"unknown judge style {style!r}; styles are {', '.join(STYLES)}")
        self.style = style
        self.name = name or (f"exact+{style}" if exact else style)
        self.llm = llm
        self.lang = lang if lang in ("en", "zh") else "en"  # the two prompt languages
        self.max_attempts = max(1, max_attempts)
        self.generation = generation or GenerateConfig(temperature=0.0)
        self.exact = exact
        self.template = template
        if template is not None:
            digest = hashlib.sha256("\0".join(t or "" for t in template).encode()).hexdigest()[:10]
            self.prompt_version = f"{name or style}/{digest}"
        else:
            self.prompt_version = f"{style}-{lang}/{prompts.PROMPT_VERSION}"
        self.usage = Usage()

    @property
    def model_id(self) -> str:
        return self.llm.name if self.llm is not None else "none"

    def _candidate(self, response: str) -> str | None:
        if self.style == "xbench":
            return extract_xbench_answer(response) or extract_answer(response)
        return extract_answer(response)

    def _messages(self, question: str, gold: str, response: str) -> list[dict[str, str]]:
        if self.template is None:
            return prompts.render(self.style, self.lang, question=question, gold=gold, response=response)
        system, user = self.template
        text = user.format(question=question, correct_answer=gold, response=response)
        return [{"role": "system", "content": system or prompts.SYSTEM["en"]}, {"role": "user", "content": text}]

    async def judge(
        self, question: str, gold: str, response: str, *, aliases: list[str] | None = None
    ) -> Verdict:
        """Judge one response against the gold answer (and its aliases)."""
        candidate = self._candidate(response)
        base: dict[str, Any] = {"judge": self.model_id, "prompt_version": self.prompt_version}
        if self.exact and exact_match(candidate, gold, aliases):
            return Verdict(True, extracted_answer=candidate, method="exact", attempts=0, **base)
        if self.llm is None:
            return Verdict(
                None,
                extracted_answer=candidate,
                method="none",
                attempts=0,
                details={"reason": "no judge model configured"},
                **base,
            )
        # Our prompts show the aliases too, so an alias match is not missed; an external (official) prompt
        # gets the gold answer alone, as its own runner sends it.
        also = "也接受" if self.lang == "zh" else "also accepted"
        gold_text = gold if not aliases or self.template else f"{gold} ({also}: {'; '.join(aliases)})"
        messages = self._messages(question, gold_text, response)
        parser = PARSERS[self.style]
        raws: list[str] = []
        used = Usage()
        for attempt in range(1, self.max_attempts + 1):
            # A distinct cache scope per attempt: a cached unparseable reply must not be replayed.
            out = await self.llm.generate(messages, config=self.generation, scope=f"judge:{attempt}")
            self.usage = self.usage + out.usage
            used = used + out.usage
            raws.append(out.text)
            parsed = parser(out.text)
            if parsed.correct is not None:
                return Verdict(
                    parsed.correct,
                    raw=out.text,
                    method="llm",
                    attempts=attempt,
                    extracted_answer=parsed.extracted_answer or candidate,
                    confidence=parsed.confidence,
                    details={"usage": used.to_dict()} | ({"replies": raws[:-1]} if attempt > 1 else {}),
                    official=official_label(raws[0]) if self.style == "binary" else None,
                    **base,
                )
        return Verdict(
            None,
            raw=raws[-1] if raws else "",
            method="llm",
            attempts=self.max_attempts,
            extracted_answer=candidate,
            details={"reason": "unparsed", "replies": raws[:-1], "usage": used.to_dict()},
            official=official_label(raws[0]) if self.style == "binary" and raws else None,
            **base,
        )
