"""What every benchmark loader produces, the registry of loaders and the pinned public data files."""

from __future__ import annotations

import csv
import random
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from openseeker.errors import ConfigError, DataError
from openseeker.records import Record
from openseeker.registry import Registry


@dataclass
class BenchmarkItem(Record):
    """One question of a benchmark (held in memory; decrypted text is never written by a loader).

    Attributes:
        id: stable id within the benchmark.
        question: the prompt given to the agent.
        answer: the gold answer ("" for table tasks, whose gold lives in ``meta``).
        topic: category for per-topic accuracy.
        lang: ``en`` or ``zh`` (selects the judge prompt language).
        aliases: other accepted answers.
        meta: benchmark-specific data (WideSearch evaluation spec and gold table, HLE answer type...).
    """

    id: str
    question: str
    answer: str
    topic: str = ""
    lang: str = "en"
    aliases: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class DataFile:
    """A public data file: where to get it and the checksum it must have (``None``: not pinned)."""

    url: str
    filename: str
    sha256: str | None = None
    size: int | None = None


class Benchmark(Protocol):
    """A loader: reads (and decrypts in memory) the benchmark's file(s)."""

    name: str
    judge_style: str
    lang: str
    files: list[DataFile]

    def load(self, path: str | Path | None) -> list[BenchmarkItem]: ...


@dataclass
class SimpleBenchmark:
    """A benchmark defined by a reader function of one path.

    Attributes:
        name: registry name.
        reader: ``reader(path) -> list[BenchmarkItem]``.
        judge_style: the default judge style (``binary``, ``browsecomp``, ``xbench`` or ``table``).
        lang: the prompt language of the benchmark's judge.
        files: the public files (for ``openseeker eval download``).
        default_file: the file name looked up inside a ``--data`` folder.
        expected_rows: the known row count (checked; a mismatch raises unless the path is custom).
    """

    name: str
    reader: Callable[[Path], list[BenchmarkItem]]
    judge_style: str = "binary"
    lang: str = "en"
    files: list[DataFile] = field(default_factory=list)
    default_file: str | None = None
    expected_rows: int | None = None

    def resolve(self, path: str | Path | None) -> Path:
        if path is None:
            raise ConfigError(
                f"Benchmark {self.name!r} needs --data PATH (a file, or a folder holding {self.default_file!r}); "
                f"'openseeker eval download {self.name} --out DIR' fetches the public files."
            )
        p = Path(path)
        if p.is_dir() and self.default_file is not None:
            p = p / self.default_file
        if not p.exists():
            raise DataError("benchmark data not found", path=str(p))
        return p

    def load(self, path: str | Path | None) -> list[BenchmarkItem]:
        """Read the benchmark; a file without a single question is an error, never an empty run."""
        p = self.resolve(path)
        items = self.reader(p)
        if not items:
            raise DataError(f"holds no questions (benchmark {self.name!r})", path=str(p))
        return items


benchmarks: Registry[Benchmark] = Registry("benchmark")


def get_benchmark(name: str) -> Benchmark:
    """The loader registered as ``name`` (importing the built-in loaders first)."""
    from openseeker.evaluate.benchmarks import load_builtin

    load_builtin()
    return benchmarks.create(name)


def select_items(
    items: Sequence[BenchmarkItem],
    *,
    ids: Sequence[str] | None = None,
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> tuple[list[BenchmarkItem], dict[str, Any]]:
    """Choose a subset and describe it (the description is stored with the results).

    ``ids`` keeps those ids in the given order (an unknown id is an error); ``sample`` draws that many
    items with ``random.Random(seed)`` (order of the file kept); ``limit`` keeps the first N.
    """
    chosen = list(items)
    spec: dict[str, Any] = {"total": len(items)}
    if ids:
        by_id = {it.id: it for it in items}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise ConfigError(
                f"Unknown question ids: {', '.join(missing[:10])}" + (" ..." if len(missing) > 10 else "")
            )
        chosen = [by_id[i] for i in ids]
        spec["ids"] = list(ids)
    if sample is not None and sample < len(chosen):
        picked = set(random.Random(seed).sample(range(len(chosen)), sample))
        chosen = [it for i, it in enumerate(chosen) if i in picked]
        spec.update({"sample": sample, "seed": seed})
    if limit is not None:
        chosen = chosen[:limit]
        spec["limit"] = limit
    spec["selected"] = len(chosen)
    spec["selected_ids"] = [it.id for it in chosen]
    return chosen, spec


def iter_csv_rows(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(data_row_number, row)`` of an encrypted benchmark CSV (UTF-8 with or without BOM).

    A missing required column is a :class:`DataError` naming the file; encrypted cells can be long, so the
    csv field limit is raised first.
    """
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(
                f"missing column(s) {', '.join(missing)} (have {reader.fieldnames})", path=str(path)
            )
        yield from enumerate(reader, 1)


def _bad_char(ch: str) -> bool:
    if ch in "\t\n\r":
        return False
    return ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs")


def check_plausible(
    questions: Sequence[str], *, path: Path, lang: str, others: Sequence[str] = (), max_bad: float = 0.005
) -> None:
    """Refuse decrypted text that looks like the output of a wrong key.

    A wrong password or canary usually breaks UTF-8 (caught while decrypting); when the bytes happen to
    decode, the text still betrays it: control, private-use or unassigned characters, or, for a Chinese
    benchmark, questions without Chinese characters. Real releases have neither.

    Raises:
        DataError: naming the file and what looked wrong.
    """
    texts = [*questions, *others]
    chars = sum(len(t) for t in texts)
    bad = sum(1 for t in texts for ch in t if _bad_char(ch))
    if chars and bad / chars > max_bad:
        raise DataError(
            f"decrypted text is implausible ({bad} of {chars} characters are control, private-use or "
            "unassigned code points): the password/canary is wrong for this file, or it is not this benchmark",
            path=str(path),
        )
    if lang == "zh" and len(questions) >= 20:  # a real release, not a handful of rows
        cjk = sum(1 for t in questions if any("\u4e00" <= ch <= "\u9fff" for ch in t))
        if cjk / len(questions) < 0.5:
            raise DataError(
                f"decrypted text is implausible for a Chinese benchmark (only {cjk} of {len(questions)} "
                "questions contain Chinese characters): the password/canary is wrong for this file",
                path=str(path),
            )
