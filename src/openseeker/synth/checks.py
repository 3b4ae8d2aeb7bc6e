"""Deterministic quality checks (beyond the paper): leakage, search shortcut, decontamination.

They run before the LLM verification because they are free: a question that names its answer, or whose
answer page a keyword search returns at the top, is rejected without spending a model call. Each is a
registered :class:`~openseeker.synth.check.QACheck` (``leak``, ``decontam``, ``shortcut``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from openseeker.corpus.base import Corpus
from openseeker.errors import ConfigError, DataError
from openseeker.synth.check import Candidate, CheckContext, Pass, QACheck, Reject, qa_checks
from openseeker.synth.records import CheckOutcome
from openseeker.synth.text import contains_term, is_cjk, normalize

if TYPE_CHECKING:
    from openseeker.synth.config import QASynthConfig

_QUESTION_FIELDS = ("question", "problem", "prompt", "query", "Question", "Prompt", "input")


def check_leak(question: str, terms: list[str], mode: str) -> CheckOutcome:
    """The answer, its aliases and the seed title must not occur in the question (case/width-insensitive)."""
    found = sorted({t for t in terms if t.strip() and contains_term(question, t)})
    return CheckOutcome("leak", not found, mode, {"found": found})


def answer_rank(corpus: Corpus, question: str, page_id: int, depth: int) -> int | None:
    """The 1-based rank of ``page_id`` in the corpus search results for ``question`` (``None``: not found)."""
    for i, hit in enumerate(corpus.search(question, top_k=depth), start=1):
        if hit.page_id == page_id:
            return i
    return None


def check_shortcut(
    corpus: Corpus, question: str, page_id: int, *, top_k: int, depth: int, mode: str
) -> CheckOutcome:
    """A keyword search with the question text must not return the answer's page in its top ``top_k``."""
    rank = answer_rank(corpus, question, page_id, max(depth, top_k))
    passed = rank is None or rank > top_k
    return CheckOutcome("shortcut", passed, mode, {"rank": rank, "top_k": top_k, "depth": max(depth, top_k)})


def _ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    if is_cjk(text):
        toks = [c for c in normalize(text) if not c.isspace()]
        n = 2 * n  # a Chinese character carries less than an English word
    else:
        toks = normalize(text).split()
    if len(toks) < n:  # a text shorter than n is one gram of itself
        return {tuple(toks)} if toks else set()
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def read_questions(path: str | Path) -> list[str]:
    """Questions from a benchmark file: JSONL (a question-like field), CSV (a question-like column), or
    plain text (one question per line)."""
    p = Path(path)
    if not p.exists():
        raise DataError("benchmark questions file does not exist", path=str(p))
    text = p.read_text(encoding="utf-8")
    out: list[str] = []
    if p.suffix in (".jsonl", ".json"):
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                raise DataError(f"invalid JSON ({e})", path=str(p), position=f"line {i}") from None
            q = next(
                (row[f] for f in _QUESTION_FIELDS if isinstance(row, dict) and isinstance(row.get(f), str)),
                None,
            )
            if q is None:
                raise DataError(
                    f"no question field (one of {', '.join(_QUESTION_FIELDS)})",
                    path=str(p),
                    position=f"line {i}",
                )
            out.append(q)
    elif p.suffix in (".csv", ".tsv"):
        reader = csv.DictReader(io.StringIO(text), delimiter="\t" if p.suffix == ".tsv" else ",")
        col = next((f for f in _QUESTION_FIELDS if reader.fieldnames and f in reader.fieldnames), None)
        if col is None:
            raise DataError(
                f"no question column (one of {', '.join(_QUESTION_FIELDS)})", path=str(p), position="header"
            )
        out = [row[col] for row in reader if row.get(col)]
    else:
        out = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return out


class DecontamIndex:
    """An n-gram index of benchmark questions; a synthesized question that shares too many is rejected."""

    def __init__(self, questions: list[str], n: int = 8):
        self.n = n
        self.grams: set[tuple[str, ...]] = set()
        for q in questions:
            self.grams |= _ngrams(q, n)
        self.size = len(questions)

    @classmethod
    def from_files(cls, paths: list[str], n: int = 8) -> DecontamIndex:
        """Load every file's questions."""
        qs: list[str] = []
        for p in paths:
            qs.extend(read_questions(p))
        return cls(qs, n)

    def overlap(self, question: str) -> float:
        """The fraction of the question's n-grams found in the index (0 when it has none)."""
        grams = _ngrams(question, self.n)
        return len(grams & self.grams) / len(grams) if grams else 0.0

    def check(self, question: str, threshold: float, mode: str) -> CheckOutcome:
        """The decontamination outcome of one question."""
        ov = self.overlap(question)
        return CheckOutcome(
            "decontam", ov < threshold, mode, {"overlap": round(ov, 3), "threshold": threshold}
        )


def _result(o: CheckOutcome, reason: str) -> Pass | Reject:
    return Pass(o.detail, o.raw) if o.passed else Reject(reason, o.detail, o.raw)


@qa_checks.register("leak")
class LeakCheck(QACheck):
    """The answer, its aliases and the seed title must not occur in the question."""

    name = "leak"
    label = "no leak"
    reason = "check:leak"

    async def check(self, record: Candidate, ctx: CheckContext) -> Pass | Reject:
        terms = [record.answer, *record.aliases, record.seed_title, record.seed_title.replace("_", " ")]
        return _result(check_leak(record.question, terms, "reject"), self.reason)


@qa_checks.register("decontam")
class DecontamCheck(QACheck):
    """The question must not share too many n-grams with benchmark questions (``checks.decontam_files``)."""

    name = "decontam"
    label = "not contaminated"
    reason = "check:contaminated"
    default_mode = "off"

    def __init__(self, config: QASynthConfig, options: object = None):
        super().__init__(config)
        ck = config.checks
        self.index = (
            DecontamIndex.from_files(ck.decontam_files, ck.decontam_ngram)
            if ck.decontam != "off" and ck.decontam_files
            else None
        )
        if ck.decontam != "off" and self.index is None:
            raise ConfigError("checks.decontam is on but checks.decontam_files is empty; give benchmark files.")

    async def check(self, record: Candidate, ctx: CheckContext) -> Pass | Reject:
        assert self.index is not None  # (not run when off)
        return _result(self.index.check(record.question, self.config.checks.decontam_threshold, "reject"), self.reason)


@qa_checks.register("shortcut")
class ShortcutCheck(QACheck):
    """A keyword search with the question must not return the answer's page in its top ``shortcut_top_k``.

    It runs even when off: the answer page's rank is recorded in every QA record (``shortcut_rank``)."""

    name = "shortcut"
    label = "no search shortcut"
    reason = "check:shortcut"
    always_run = True

    async def check(self, record: Candidate, ctx: CheckContext) -> Pass | Reject:
        ck = self.config.checks
        o = check_shortcut(
            ctx.corpus, record.question, record.seed_id, top_k=ck.shortcut_top_k, depth=ck.shortcut_depth,
            mode="reject",
        )
        return _result(o, self.reason)
