"""Benchmarks: one :class:`Benchmark` object each (loader, judge style, scoring, safety hints), registered in
:data:`benchmarks`.

Names: ``browsecomp``, ``browsecomp-zh``, ``browsecomp-zh-revised``, ``xbench-deepsearch`` (= ``-2505``),
``xbench-deepsearch-2510``, ``widesearch``, ``hle``, ``custom``, ``synth``. Every loader decrypts in memory
and never writes plaintext.
"""

from __future__ import annotations

from openseeker.evaluate.benchmarks.base import (
    BUILTIN,
    Benchmark,
    BenchmarkItem,
    DataFile,
    Scored,
    benchmarks,
    get_benchmark,
    pinned,
    select_items,
)

__all__ = [
    "BUILTIN",
    "Benchmark",
    "BenchmarkItem",
    "DataFile",
    "Scored",
    "benchmarks",
    "get_benchmark",
    "pinned",
    "select_items",
]
