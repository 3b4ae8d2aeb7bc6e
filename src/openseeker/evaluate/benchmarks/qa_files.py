"""Question-answer files: HLE (text-only), custom JSONL/CSV files and synthesized QA run folders."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openseeker.errors import DataError
from openseeker.evaluate.benchmarks.base import Benchmark, BenchmarkItem
from openseeker.io.jsonl import iter_jsonl

_Q_KEYS = ("question", "query", "problem", "prompt")
_A_KEYS = ("answer", "gold", "gold_answer", "target")


def _rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(position, row)`` pairs from a JSONL, JSON (list), CSV or Parquet file."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".gz"):
        for n, row in enumerate(iter_jsonl(path), 1):
            yield f"line {n}", row
    elif suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise DataError("expected a JSON list of objects", path=str(path))
        for n, row in enumerate(data, 1):
            yield f"item {n}", row
    elif suffix in (".csv", ".tsv"):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ","), 2):
                yield f"line {n}", dict(row)
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        for n, row in enumerate(pq.read_table(path).to_pylist(), 1):
            yield f"row {n}", row
    else:
        raise DataError(
            f"unsupported file type {suffix!r} (use .jsonl, .json, .csv, .tsv or .parquet)", path=str(path)
        )


def _first(row: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for k in keys:
        if row.get(k) not in (None, ""):
            return row[k]
    return None


def _aliases(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value)
    if text.startswith("["):
        try:
            return [str(v) for v in json.loads(text)]
        except json.JSONDecodeError:
            pass
    return [a.strip() for a in text.split("|") if a.strip()]


def _guess_lang(text: str) -> str:
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return "zh" if cjk > max(3, len(text) // 10) else "en"


def _item(row: dict[str, Any], n: int, where: str, path: Path) -> BenchmarkItem:
    q, a = _first(row, _Q_KEYS), _first(row, _A_KEYS)
    if q is None or a is None:
        raise DataError(
            f"a row needs a question ({'/'.join(_Q_KEYS)}) and an answer ({'/'.join(_A_KEYS)}) "
            f"field; got keys {sorted(row)}",
            path=str(path),
            position=where,
        )
    lang = str(row.get("lang") or row.get("language") or _guess_lang(str(q)))
    return BenchmarkItem(
        str(row.get("id") or row.get("qid") or n),
        str(q),
        str(a),
        topic=str(row.get("topic") or row.get("category") or ""),
        lang=lang,
        aliases=_aliases(row.get("aliases")),
    )


def read_custom(path: Path) -> list[BenchmarkItem]:
    """A JSONL/JSON/CSV/TSV/Parquet file with ``question``/``query`` and ``answer`` fields (``id``, ``topic``,
    ``lang``, ``aliases`` optional; aliases as a list or ``a|b``)."""
    return [_item(row, n, where, path) for n, (where, row) in enumerate(_rows(path), 1)]


def read_hle(path: Path) -> list[BenchmarkItem]:
    """HLE rows (``id, question, image, answer, answer_type, category``), keeping the text-only subset.

    The count of skipped image questions is stored in each item's ``meta`` and reported by the runner.
    """
    items: list[BenchmarkItem] = []
    skipped = 0
    for n, (where, row) in enumerate(_rows(path), 1):
        if row.get("image"):
            skipped += 1
            continue
        it = _item(row, n, where, path)
        it.lang = "en"
        it.meta = {"answer_type": row.get("answer_type", ""), "raw_subject": row.get("raw_subject", "")}
        items.append(it)
    for it in items:
        it.meta["image_questions_skipped"] = skipped
    return items


def read_synth(path: Path) -> list[BenchmarkItem]:
    """A QA synthesis run folder (its accepted QA records), its ``qa`` folder, or a JSONL file of QA items
    (read by :func:`openseeker.synth.records.read_qa`, the one reader of QA data)."""
    from openseeker.synth.records import read_qa

    return [
        BenchmarkItem(it.id, it.question, it.answer, lang=it.language, aliases=list(it.aliases))
        for it in read_qa(path)
    ]


HLE = Benchmark(
    "hle", read_hle, "browsecomp", "en", blocklist=("huggingface.co/datasets/cais/hle*", "lastexam.ai*")
)
CUSTOM = Benchmark("custom", read_custom, "binary", "en")
SYNTH = Benchmark("synth", read_synth, "binary", "en")
