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


def open_corpus(path: str | Path) -> CorpusStore:
    """Open the corpus directory ``path`` for reading."""
    from openseeker.corpus.store import CorpusStore

    return CorpusStore(path)


__all__ = ["Corpus", "CorpusHit", "Link", "MemoryCorpus", "Page", "open_corpus"]
