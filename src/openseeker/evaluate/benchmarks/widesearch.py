"""WideSearch: table-filling tasks (``widesearch.jsonl``) with gold tables (``widesearch_gold/{id}.csv``).

The data is not encrypted. Each item keeps its evaluation spec (``unique_columns``, ``required``,
``eval_pipeline``) and its gold table (a list of rows with normalised column names) in ``meta``;
:mod:`openseeker.evaluate.widesearch` scores a response table against them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from openseeker.errors import DataError
from openseeker.evaluate.benchmarks.base import BenchmarkItem, DataFile
from openseeker.io.jsonl import iter_jsonl

REVISION = "6531a7e5b497d44c8912407e0cb3dc95bd98cc09"
_BASE = f"https://huggingface.co/datasets/ByteDance-Seed/WideSearch/resolve/{REVISION}"
# The task ids follow the published naming (ws_en_001..100, ws_zh_001..100); checksums are not pinned yet.
FILES = [DataFile(f"{_BASE}/widesearch.jsonl", "widesearch.jsonl")] + [
    DataFile(f"{_BASE}/widesearch_gold/ws_{lang}_{i:03d}.csv", f"widesearch_gold/ws_{lang}_{i:03d}.csv")
    for lang in ("en", "zh")
    for i in range(1, 101)
]
ROWS = 200


def norm_column(name: str) -> str:
    """WideSearch's column-name normalisation: lowercase, spaces removed."""
    return "".join(str(name).lower().split())


def read_gold(path: Path) -> list[dict[str, str]]:
    """A gold table as rows keyed by normalised column names."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return [
            {norm_column(k): (v or "").strip() for k, v in row.items() if k is not None} for row in reader
        ]


def read(path: Path) -> list[BenchmarkItem]:
    """Read the task file; gold tables are looked up in ``widesearch_gold/`` beside it."""
    gold_dir = path.parent / "widesearch_gold"
    items: list[BenchmarkItem] = []
    for n, row in enumerate(iter_jsonl(path), 1):
        iid = str(row.get("instance_id") or "")
        if not iid or "query" not in row:
            raise DataError("a task needs 'instance_id' and 'query'", path=str(path), position=f"line {n}")
        ev: Any = row.get("evaluation") or {}
        if isinstance(ev, str):
            try:
                ev = json.loads(ev)
            except json.JSONDecodeError as e:
                raise DataError(
                    f"'evaluation' is not valid JSON ({e})", path=str(path), position=f"line {n}"
                ) from None
        for key in ("unique_columns", "required"):
            if key not in ev:
                raise DataError(f"'evaluation' lacks {key!r}", path=str(path), position=f"line {n}")
        gold_path = gold_dir / f"{iid}.csv"
        if not gold_path.exists():
            raise DataError(f"gold table for {iid} not found", path=str(gold_path))
        lang = str(row.get("language") or ("zh" if "_zh_" in iid else "en"))
        items.append(
            BenchmarkItem(
                iid,
                str(row["query"]),
                "",
                topic=lang,
                lang=lang,
                meta={"evaluation": ev, "gold": read_gold(gold_path)},
            )
        )
    return items
