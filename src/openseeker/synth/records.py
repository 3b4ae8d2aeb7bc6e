"""The records of QA synthesis: the expanded web subgraph, the entity subgraph, and the final QA record.

A :class:`QARecord` is one line of ``<run>/qa/NNNNN.jsonl``. It keeps everything needed to audit a
question: where it came from (seed, subgraph), what it is built from (grounded facts with evidence and
source page), how it was blurred (obfuscation map), and every check's outcome with the raw model output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openseeker.records import Record


@dataclass
class SubgraphNode(Record):
    """A page of the expanded subgraph. ``hop`` is 0 for the seed, 1 for its out-neighbours, 2 beyond."""

    page_id: int
    title: str
    url: str
    hop: int
    via: int | None = None
    anchor: str = ""
    context: str = ""
    score: float = 0.0


@dataclass
class WebSubgraph(Record):
    """The pages gathered around a seed (``nodes[0]`` is the seed)."""

    nodes: list[SubgraphNode] = field(default_factory=list)

    @property
    def seed(self) -> SubgraphNode:
        return self.nodes[0]

    @property
    def depth(self) -> int:
        return max((n.hop for n in self.nodes), default=0)


@dataclass
class Fact(Record):
    """One grounded edge of the entity subgraph: ``subject --relation--> object``, with its evidence."""

    id: str
    subject: str
    relation: str
    object: str
    evidence: str
    page_id: int
    page_title: str = ""
    grounding: float = 1.0


@dataclass
class EntitySubgraph(Record):
    """The condensed graph the question is written from: entities (nodes) and grounded facts (edges)."""

    theme: str
    entities: list[str] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    dropped_facts: int = 0

    def fact(self, fid: str) -> Fact | None:
        """The fact with id ``fid``."""
        return next((f for f in self.facts if f.id == fid), None)


@dataclass
class CheckOutcome(Record):
    """The outcome of one check: ``passed`` is ``None`` when the check was off or undecidable."""

    name: str
    passed: bool | None
    mode: str = "reject"
    detail: dict[str, Any] = field(default_factory=dict)
    raw: str = ""


@dataclass
class QARecord(Record):
    """One accepted question-answer pair (a line of ``<run>/qa/NNNNN.jsonl``)."""

    id: str
    question: str
    answer: str
    aliases: list[str]
    language: str
    seed: dict[str, Any]
    k: int
    hops: int
    depth: int
    edges_used: list[str]
    initial_question: str
    entity_subgraph: EntitySubgraph
    obfuscation_map: dict[str, str]
    checks: dict[str, CheckOutcome]
    models: dict[str, str]
    prompt_versions: dict[str, str]
    subgraph: list[SubgraphNode] = field(default_factory=list)
    shortcut_rank: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
