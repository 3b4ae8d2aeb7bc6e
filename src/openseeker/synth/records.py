"""The records of QA synthesis: the expanded web subgraph, the entity subgraph, and the final QA record.

A :class:`QARecord` is one line of ``<run>/qa/NNNNN.jsonl``. It keeps everything needed to audit a
question: where it came from (seed, subgraph), what it is built from (grounded facts with evidence and
source page), how it was blurred (obfuscation map), and every check's outcome with the raw model output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from openseeker.errors import ConfigError, DataError
from openseeker.io.jsonl import iter_jsonl
from openseeker.pipeline.run import RunFolder
from openseeker.records import Record
from openseeker.text import detect_language


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
class QAPair(Record):
    """What every consumer of QA data needs (trajectory synthesis, the ``synth`` benchmark, the quickstart's
    split): a QA record has these, and so does a row of a JSONL file of questions (:func:`read_qa`)."""

    id: str
    question: str
    answer: str
    aliases: list[str]
    language: str


@dataclass
class QARecord(QAPair):
    """One accepted question-answer pair (a line of ``<run>/qa/NNNNN.jsonl``)."""

    STAGE: ClassVar[str] = "qa"

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


_QUESTION_KEYS = ("question", "query")


def _pair(row: dict[str, Any], n: int, path: Path, line: int) -> QAPair:
    q = next((row[k] for k in _QUESTION_KEYS if k in row), None)
    a = row.get("answer")
    if not isinstance(q, str) or not q.strip() or a is None or not str(a).strip():
        raise DataError("a QA item needs non-empty 'question' and 'answer'", path=str(path), position=f"line {line}")
    aliases = row.get("aliases") or []
    return QAPair(
        id=str(row.get("id") or f"q{n}"),
        question=q,
        answer=str(a),
        aliases=[str(x) for x in aliases] if isinstance(aliases, list) else [str(aliases)],
        language=str(row.get("language") or row.get("lang") or detect_language(q)),
    )


def qa_files(source: str | Path) -> list[Path]:
    """The JSONL files of a QA source: a run folder (``<run>/qa/``), a QA stage folder, or one JSONL file."""
    p = Path(source)
    if p.is_dir():
        stage = RunFolder(p).stage_dir(QARecord.STAGE)
        folder = stage if stage.is_dir() else p
        files = sorted(folder.glob("[0-9]*.jsonl"))
        if not files:
            raise ConfigError(
                f"{str(p)!r} holds no QA records (<run>/qa/*.jsonl); run `openseeker synth qa` first "
                "or pass a JSONL file."
            )
        return files
    if p.exists():
        return [p]
    raise ConfigError(f"QA input {str(p)!r} does not exist.")


def read_qa(source: str | Path, limit: int | None = None) -> list[QAPair]:
    """The QA items of a run folder (its accepted QA records), a QA stage folder, or a JSONL file of
    ``question`` (or ``query``) / ``answer`` rows with optional ``id`` (default ``q<position>``), ``aliases``
    and ``language`` (default: guessed from the question). The one reader of QA data.

    Raises:
        ConfigError: the source does not exist or holds no QA records.
        DataError: naming the file and line of an item without a question or answer, or a repeated id.
    """
    items: list[QAPair] = []
    seen: set[str] = set()
    for f in qa_files(source):
        for line, row in enumerate(iter_jsonl(f), 1):
            if limit is not None and len(items) >= limit:
                return items
            item = _pair(row, len(items), f, line)
            if item.id in seen:
                raise DataError(f"duplicate question id {item.id!r}", path=str(f), position=f"line {line}")
            seen.add(item.id)
            items.append(item)
    return items
