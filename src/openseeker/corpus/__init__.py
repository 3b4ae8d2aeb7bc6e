"""Corpus -> web graph: sources, page/link store, search index, local search/visit backends.

``open_corpus(dir)`` opens a corpus built by ``openseeker.corpus.ingest.ingest`` (or ``openseeker corpus
ingest``); both import their heavy parts lazily.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from openseeker.corpus.base import Corpus, CorpusHit, Link, MemoryCorpus, Page

if TYPE_CHECKING:
    from openseeker.corpus.store import CorpusStore


def open_corpus(path: str | Path, search_mode: str = "bm25") -> CorpusStore:
    """Open the corpus directory ``path`` for reading.

    Args:
        path: a directory made by ``openseeker corpus ingest``.
        search_mode: ``bm25`` (default), ``dense`` or ``hybrid`` (the last two need ``corpus embed``).
    """
    from openseeker.corpus.store import CorpusStore

    return CorpusStore(path, search_mode)


__all__ = ["Corpus", "CorpusHit", "Link", "MemoryCorpus", "Page", "open_corpus"]
