"""Entity obfuscation and question rewrite (the paper's steps 5 and 6).

First every entity of the question's chain gets a vague description (the fuzzy entity subgraph), then
the question is rewritten with those descriptions. Dates and numbers found in the chain's facts are
blurred deterministically (:func:`blur_year`, :func:`blur_number`) and handed to the model as hints, so
even a small model gets "the late 1960s" rather than "1969". The prompt shows no example description
(small models copied it onto unrelated entities); each entity is listed with what the grounded facts say
it is instead. A description or question that repeats a prompt's own words is rejected as an echo
(:mod:`openseeker.synth.echo`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, Field

from openseeker.errors import StructuredOutputError
from openseeker.llm.base import LLM
from openseeker.llm.structured import generate_structured
from openseeker.synth.echo import prompt_echo
from openseeker.synth.entities import StepRejected
from openseeker.synth.prompts import Prompt
from openseeker.synth.question import render_facts
from openseeker.synth.records import Fact
from openseeker.synth.structured import structured_config
from openseeker.synth.text import contains_term, normalize

_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")
_NUM = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d{2,})(?:\.\d+)?(?![\d])")
_ZH_DECADE = "零一二三四五六七八九"


def blur_year(year: int, lang: str = "en") -> str:
    """A year as a part of its decade: 1969 -> "the late 1960s" (zh: "1960年代末")."""
    decade = year - year % 10
    part = year % 10
    if lang == "zh":
        return f"{decade}年代" + ("初" if part <= 3 else "中期" if part <= 6 else "末")
    return ("the early " if part <= 3 else "the mid-" if part <= 6 else "the late ") + f"{decade}s"


def blur_number(value: float, lang: str = "en") -> str:
    """A number as an order of magnitude: 3412 -> "a few thousand" (zh: "几千")."""
    steps_en = [
        (10, "a handful"),
        (100, "several dozen"),
        (1_000, "a few hundred"),
        (10_000, "a few thousand"),
        (100_000, "tens of thousands"),
        (1_000_000, "hundreds of thousands"),
        (1_000_000_000, "millions"),
        (float("inf"), "billions"),
    ]
    steps_zh = [
        (10, "几"),
        (100, "几十"),
        (1_000, "几百"),
        (10_000, "几千"),
        (100_000, "几万"),
        (1_000_000, "几十万"),
        (100_000_000, "数百万"),
        (float("inf"), "数亿"),
    ]
    for bound, word in steps_zh if lang == "zh" else steps_en:
        if abs(value) < bound:
            return word
    return "billions"


def blur_hints(facts: list[Fact], lang: str) -> dict[str, str]:
    """Deterministic blurred forms of the years and numbers that appear in ``facts``."""
    hints: dict[str, str] = {}
    for f in facts:
        text = f"{f.subject} {f.object} {f.evidence}"
        for m in _YEAR.finditer(text):
            hints.setdefault(m.group(1), blur_year(int(m.group(1)), lang))
        for m in _NUM.finditer(text):
            raw = m.group(1)
            if raw in hints:
                continue
            hints[raw] = blur_number(float(raw.replace(",", "")), lang)
    return hints


class Description(BaseModel):
    """A vague description of one entity."""

    entity: str = Field(max_length=200)
    description: str = Field(max_length=400)


class ObfuscationOut(BaseModel):
    """The generator's descriptions for every chain entity."""

    descriptions: list[Description] = Field(min_length=1, max_length=30)


class RewriteOut(BaseModel):
    """The rewritten (obfuscated) question."""

    question: str = Field(max_length=1500)


@dataclass
class Obfuscation:
    """The fuzzy entity map and the rewritten question."""

    mapping: dict[str, str]
    question: str
    names_kept: list[str]
    raw_map: str
    raw_rewrite: str


def chain_entities(facts: list[Fact], answer_terms: list[str]) -> list[str]:
    """The entities of the question's chain, without the answer (the answer is never named anyway)."""
    answer_norm = {normalize(a) for a in answer_terms}
    out: dict[str, None] = {}
    for f in facts:
        for e in (f.subject, f.object):
            if normalize(e) not in answer_norm:
                out.setdefault(e, None)
    return list(out)


def entity_lines(entities: list[str], kinds: dict[str, str], lang: str) -> str:
    """The prompt's entity list: each entity with what the facts say it is (no example to copy)."""
    unknown = "（事实未说明）" if lang == "zh" else "(the facts do not say)"
    sep = "：" if lang == "zh" else ": "
    return "\n".join(f"- {e}{sep}{kinds.get(e) or unknown}" for e in entities)


async def obfuscate_question(
    llm: LLM,
    prompts: dict[str, Prompt],
    question: str,
    facts: list[Fact],
    answer: str,
    answer_terms: list[str],
    lang: str,
    *,
    max_tokens: int,
    temperature: float,
    scope: str,
    max_reasks: int = 2,
    kinds: dict[str, str] | None = None,
) -> Obfuscation:
    """Blur every chain entity, then rewrite the question with the blurred descriptions.

    Args:
        kinds: entity -> what the grounded facts say it is ("city or town", "person, weaver"), shown
            next to each entity in place of a fixed example.

    Raises:
        StepRejected: ``obfuscate:invalid_json`` / ``schema_mismatch`` / ``incomplete`` / ``leaky`` /
            ``echo``, ``rewrite:invalid_json`` / ``schema_mismatch`` / ``empty`` / ``echo``.
    """
    echo = prompt_echo(lang)
    entities = chain_entities(facts, answer_terms)
    gen = structured_config(
        ObfuscationOut,
        temperature=temperature,
        max_tokens=max_tokens,
        choices={("$defs", "Description", "properties", "entity"): entities},
    )
    gen_rewrite = structured_config(RewriteOut, temperature=temperature, max_tokens=max_tokens)
    hints = blur_hints(facts, lang)
    hint_text = "; ".join(f"{k} -> {v}" for k, v in hints.items()) or "-"
    mapping: dict[str, str] = {}
    raw_map = ""
    if entities:
        msgs = prompts["obfuscate"].messages(
            entities=entity_lines(entities, kinds or {}, lang),
            facts=render_facts(facts, evidence=True),
            hints=hint_text,
        )
        try:
            obj, out = await generate_structured(
                llm, msgs, ObfuscationOut, gen, scope=f"{scope}|map", max_reasks=max_reasks
            )
        except StructuredOutputError as e:
            raise StepRejected(f"obfuscate:{e.reason}", {"raw": (e.raw or "")[:2000]}) from None
        raw_map = out.text
        got = {normalize(d.entity): d.description.strip() for d in obj.descriptions if d.description.strip()}
        # Every entity the question names must get a description; one it does not name may go without
        # (it has nothing to hide in the text, and small models often skip it).
        missing = [e for e in entities if normalize(e) not in got and contains_term(question, e)]
        if missing:
            raise StepRejected("obfuscate:incomplete", {"missing": missing, "raw": raw_map[:2000]})
        mapping = {e: got[normalize(e)] for e in entities if normalize(e) in got}
        leaky = [e for e, d in mapping.items() if contains_term(d, e)]
        if leaky:
            raise StepRejected("obfuscate:leaky", {"entities": leaky, "mapping": mapping})
        # a description that repeats the prompt's own words was copied, not written from the facts
        echoed = {e: frags for e, d in mapping.items() if (frags := echo.fragments(d))}
        if echoed:
            raise StepRejected("obfuscate:echo", {"fragments": echoed, "mapping": mapping})
    lines = "\n".join(f"- {e} -> {d}" for e, d in mapping.items()) or "-"
    msgs = prompts["rewrite"].messages(question=question, mapping=lines, answer=answer)
    try:
        obj2, out2 = await generate_structured(
            llm, msgs, RewriteOut, gen_rewrite, scope=f"{scope}|rewrite", max_reasks=max_reasks
        )
    except StructuredOutputError as e:
        raise StepRejected(f"rewrite:{e.reason}", {"raw": (e.raw or "")[:2000]}) from None
    text = obj2.question.strip()
    if not text:
        raise StepRejected("rewrite:empty", {"raw": out2.text[:2000]})
    frags = prompt_echo(lang, words=5, chars=8).fragments(text)
    if frags:  # the rewrite copied its instructions (or another prompt's) into the question
        raise StepRejected("rewrite:echo", {"fragments": frags, "question": text})
    kept = [e for e in mapping if contains_term(text, e)]
    return Obfuscation(mapping, text, kept, raw_map, out2.text)
