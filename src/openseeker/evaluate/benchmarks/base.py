"""What every benchmark loader produces, the registry of loaders and the pinned public data files."""

from __future__ import annotations

import csv
import hashlib
import logging
import random
import sys
import unicodedata
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from openseeker.errors import ConfigError, DataError
from openseeker.judge.verdict import Verdict
from openseeker.llm.base import LLM
from openseeker.records import Record
from openseeker.registry import Registry, resolve

log = logging.getLogger(__name__)


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


@dataclass
class Scored:
    """A benchmark's own scoring of one response, used instead of a judge (WideSearch's tables)."""

    verdict: Verdict
    detail: dict[str, Any] | None = None
    """what the scorer measured (kept in the record's ``table`` field)"""
    usage: dict[str, int] = field(default_factory=dict)
    """tokens the scorer's model calls spent"""


Scorer = Callable[[BenchmarkItem, str, LLM | None], Awaitable[Scored]]
"""``await score(item, response, llm) -> Scored`` (``llm``: the judge role when one is configured)."""


@dataclass
class Benchmark:
    """One benchmark: how to load it, how to judge it, and what to keep away from the agent.

    Attributes:
        name: registry name.
        reader: ``reader(path) -> list[BenchmarkItem]`` (decrypting in memory; see :func:`pinned`).
        judge_style: the judge ``--judge official`` means (``binary``, ``browsecomp``, ``xbench`` ...), or the
            name of its own scoring (``table``) when :attr:`score` is given.
        lang: the prompt language of its judge.
        files: the public files (for ``openseeker eval download``).
        default_file: the file name looked up inside a ``--data`` folder.
        score: its own scoring instead of a judge (WideSearch's table scoring); ``None``: judged.
        blocklist: safety hints: URL patterns (``host/path*``) where its questions are published with their
            answers. The agent under evaluation is kept away from them and from where its files are
            published (:meth:`hints`), on top of the web layer's default blocklist.
    """

    name: str
    reader: Callable[[Path], list[BenchmarkItem]]
    judge_style: str = "binary"
    lang: str = "en"
    files: list[DataFile] = field(default_factory=list)
    default_file: str | None = None
    score: Scorer | None = None
    blocklist: tuple[str, ...] = ()

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

    def hints(self) -> list[str]:
        """The URL patterns the agent must not read while answering this benchmark: :attr:`blocklist` and
        the folders its public files are published in."""
        out = dict.fromkeys(self.blocklist)
        for f in self.files:
            u = urlparse(f.url)
            folder = u.path.rsplit("/", 1)[0]
            out.setdefault(f"{u.netloc}{folder}/*", None)
        return list(out)


benchmarks: Registry[Benchmark] = Registry("benchmark")
"""Name -> :class:`Benchmark` (third-party benchmarks: ``benchmarks.register(name)(lambda: Benchmark(...))`` or
the ``openseeker.benchmark`` entry points)."""

# the built-ins, by name (each module defines its Benchmark objects; imported when first used)
BUILTIN: dict[str, str] = {
    "browsecomp": "openseeker.evaluate.benchmarks.browsecomp:BROWSECOMP",
    "browsecomp-zh": "openseeker.evaluate.benchmarks.browsecomp_zh:BROWSECOMP_ZH",
    "browsecomp-zh-revised": "openseeker.evaluate.benchmarks.browsecomp_zh:BROWSECOMP_ZH_REVISED",
    "xbench-deepsearch": "openseeker.evaluate.benchmarks.xbench:XBENCH",
    "xbench-deepsearch-2505": "openseeker.evaluate.benchmarks.xbench:XBENCH_2505",
    "xbench-deepsearch-2510": "openseeker.evaluate.benchmarks.xbench:XBENCH_2510",
    "widesearch": "openseeker.evaluate.widesearch:WIDESEARCH",
    "hle": "openseeker.evaluate.benchmarks.qa_files:HLE",
    "custom": "openseeker.evaluate.benchmarks.qa_files:CUSTOM",
    "synth": "openseeker.evaluate.benchmarks.qa_files:SYNTH",
}


def _register_builtin(name: str, target: str) -> None:
    def factory() -> Benchmark:
        return resolve(target)  # type: ignore[no-any-return]

    benchmarks.register(name)(factory)


for _name, _target in BUILTIN.items():
    _register_builtin(_name, _target)


def get_benchmark(name: str) -> Benchmark:
    """The benchmark registered as ``name``."""
    return benchmarks.create(name)


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pinned(
    reader: Callable[[Path], list[BenchmarkItem]], rows: int | None, file: DataFile | None
) -> Callable[[Path], list[BenchmarkItem]]:
    """Wrap ``reader``: the pinned release must have its known row count; another file (a different
    release, a truncated download, a fixture) is read with a warning naming the difference."""

    def read(path: Path) -> list[BenchmarkItem]:
        items = reader(path)
        if rows is None or file is None or file.sha256 is None:
            return items
        if sha256_file(path) == file.sha256:
            if len(items) != rows:
                raise DataError(f"expected {rows} rows, read {len(items)}", path=str(path))
        else:
            log.warning(
                "%s is not the pinned release (sha256 differs); read %d rows (the release has %d)",
                path,
                len(items),
                rows,
            )
        return items

    return read


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
