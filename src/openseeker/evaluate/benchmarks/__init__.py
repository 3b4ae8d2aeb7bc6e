"""Benchmark loaders (one module per benchmark), registered in :data:`benchmarks`.

Names: ``browsecomp``, ``browsecomp-zh``, ``browsecomp-zh-revised``, ``xbench-deepsearch`` (= ``-2505``),
``xbench-deepsearch-2510``, ``widesearch``, ``hle``, ``custom``, ``synth``. Every loader decrypts in memory
and never writes plaintext.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from openseeker.evaluate.benchmarks.base import (
    Benchmark,
    BenchmarkItem,
    DataFile,
    SimpleBenchmark,
    benchmarks,
    get_benchmark,
    select_items,
)

__all__ = [
    "Benchmark",
    "BenchmarkItem",
    "DataFile",
    "SimpleBenchmark",
    "benchmarks",
    "get_benchmark",
    "load_builtin",
    "select_items",
]

_loaded = False
log = logging.getLogger(__name__)


def _checked(
    reader: Callable[[Path], list[BenchmarkItem]], rows: int | None, file: DataFile | None
) -> Callable[[Path], list[BenchmarkItem]]:
    """Wrap ``reader``: the pinned release must have its known row count; another file (a different
    release, a truncated download, a fixture) is read with a warning naming the difference."""
    from openseeker.errors import DataError

    def read(path: Path) -> list[BenchmarkItem]:
        items = reader(path)
        if rows is None or file is None or file.sha256 is None:
            return items
        from openseeker.evaluate.download import sha256_file

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


def load_builtin() -> None:
    """Register the built-in benchmarks (idempotent; modules are imported when a benchmark is loaded)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from openseeker.evaluate.benchmarks import browsecomp, browsecomp_zh, qa_files, widesearch, xbench

    specs = [
        SimpleBenchmark(
            "browsecomp",
            _checked(browsecomp.read, browsecomp.ROWS, browsecomp.FILE),
            "browsecomp",
            "en",
            [browsecomp.FILE],
            browsecomp.FILE.filename,
        ),
        SimpleBenchmark(
            "browsecomp-zh",
            _checked(browsecomp_zh.read, browsecomp_zh.ROWS, browsecomp_zh.FILE),
            "browsecomp",
            "zh",
            [browsecomp_zh.FILE],
            browsecomp_zh.FILE.filename,
        ),
        SimpleBenchmark(
            "browsecomp-zh-revised",
            _checked(browsecomp_zh.read_revised, browsecomp_zh.REVISED_ROWS, browsecomp_zh.REVISED_FILE),
            "browsecomp",
            "zh",
            [browsecomp_zh.REVISED_FILE],
            browsecomp_zh.REVISED_FILE.filename,
        ),
        SimpleBenchmark(
            "xbench-deepsearch",
            _checked(xbench.read, xbench.ROWS_2505, xbench.FILE_2505),
            "xbench",
            "zh",
            [xbench.FILE_2505],
            xbench.FILE_2505.filename,
        ),
        SimpleBenchmark(
            "xbench-deepsearch-2505",
            _checked(xbench.read, xbench.ROWS_2505, xbench.FILE_2505),
            "xbench",
            "zh",
            [xbench.FILE_2505],
            xbench.FILE_2505.filename,
        ),
        SimpleBenchmark(
            "xbench-deepsearch-2510",
            xbench.read,
            "xbench",
            "zh",
            [xbench.FILE_2510],
            xbench.FILE_2510.filename,
        ),
        SimpleBenchmark(
            "widesearch",
            widesearch.read,
            "table",
            "en",
            widesearch.FILES,
            "widesearch.jsonl",
        ),
        SimpleBenchmark("hle", qa_files.read_hle, "browsecomp", "en", [], None),
        SimpleBenchmark("custom", qa_files.read_custom, "binary", "en", [], None),
        SimpleBenchmark("synth", qa_files.read_synth, "binary", "en", [], None),
    ]
    for spec in specs:
        benchmarks.register(spec.name)(lambda spec=spec: spec)
