"""Question generation conditioned on the entity subgraph (the answer is the seed entity).

The generator sees the grounded facts with ids and must name the ones its question chains; we check
that the ids exist and that there are at least ``min_edges`` of them, so "multi-hop" is a verified
property of every question, not a hope.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from openseeker.errors import StructuredOutputError
from openseeker.llm.base import LLM
from openseeker.llm.structured import generate_structured
from openseeker.synth.entities import StepRejected
from openseeker.synth.prompts import Prompt
from openseeker.synth.records import EntitySubgraph, Fact
from openseeker.synth.structured import structured_config


class QuestionOut(BaseModel):
    """The generator's question and the ids of the facts it chains."""

    question: str = Field(max_length=1500)
    fact_ids: list[str] = Field(min_length=1, max_length=20)


@dataclass
class DraftQuestion:
    """The initial (not yet obfuscated) question."""

    text: str
    edges: list[str]
    raw: str


def render_facts(facts: list[Fact], *, evidence: bool = False) -> str:
    """Facts as prompt lines ``f1: subject | relation | object`` (optionally with the evidence)."""
    lines = []
    for f in facts:
        line = f"{f.id}: {f.subject} | {f.relation} | {f.object}"
        if evidence:
            line += f'  (source: "{f.evidence}")'
        lines.append(line)
    return "\n".join(lines)


def _norm_id(raw: str) -> str:
    s = raw.strip().lower().strip("[]()")
    return s if s.startswith("f") else f"f{s}"


async def generate_question(
    llm: LLM,
    prompt: Prompt,
    sub: EntitySubgraph,
    answer: str,
    *,
    min_edges: int,
    max_tokens: int,
    temperature: float,
    scope: str,
    max_reasks: int = 2,
) -> DraftQuestion:
    """Write the initial question.

    Raises:
        StepRejected: ``question:invalid_json``, ``question:schema_mismatch``, ``question:empty``,
            ``question:unknown_edges`` or ``question:too_few_edges``.
    """
    need = min(min_edges, len(sub.facts))
    msgs = prompt.messages(answer=answer, facts=render_facts(sub.facts), min_edges=need)
    gen = structured_config(
        QuestionOut,
        temperature=temperature,
        max_tokens=max_tokens,
        choices={("properties", "fact_ids", "items"): [f.id for f in sub.facts]},
    )
    try:
        obj, out = await generate_structured(llm, msgs, QuestionOut, gen, scope=scope, max_reasks=max_reasks)
    except StructuredOutputError as e:
        raise StepRejected(f"question:{e.reason}", {"raw": (e.raw or "")[:2000]}) from None
    text = obj.question.strip()
    if not text:
        raise StepRejected("question:empty", {"raw": out.text[:2000]})
    known = {f.id for f in sub.facts}
    ids = list(dict.fromkeys(_norm_id(x) for x in obj.fact_ids if x.strip()))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise StepRejected("question:unknown_edges", {"unknown": unknown, "question": text})
    if len(ids) < need or len(ids) < 2:
        raise StepRejected("question:too_few_edges", {"edges": ids, "need": max(need, 2), "question": text})
    return DraftQuestion(text, ids, out.text)
