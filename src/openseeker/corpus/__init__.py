"""Corpus -> web graph: sources, page/link store, search index, local search/visit backends.

``open_corpus(dir)`` opens a corpus built by ``openseeker.corpus.ingest.ingest`` (or ``openseeker corpus
ingest``); both import their heavy parts lazily.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, overload

from openseeker.corpus.base import Corpus, CorpusHit, Link, MemoryCorpus, Page

if TYPE_CHECKING:
    from openseeker.corpus.remote import RemoteCorpus
    from openseeker.corpus.store import CorpusStore


@overload
def open_corpus(path: Path, search_mode: str = "bm25") -> CorpusStore: ...
@overload
def open_corpus(path: str, search_mode: str = "bm25") -> CorpusStore | RemoteCorpus: ...


def open_corpus(path: str | Path, search_mode: str = "bm25") -> CorpusStore | RemoteCorpus:
    """Open the corpus directory ``path`` for reading, or connect to the corpus service at a URL.

    Args:
        path: a directory made by ``openseeker corpus ingest``, or the ``http(s)://`` URL of
            ``openseeker corpus serve`` (a :class:`~openseeker.corpus.remote.RemoteCorpus`).
        search_mode: ``bm25`` (default), ``dense`` or ``hybrid`` (the last two need ``corpus embed``).
    """
    from openseeker.corpus.remote import RemoteCorpus, is_service_url

    if is_service_url(path):
        return RemoteCorpus(str(path), search_mode=None if search_mode == "bm25" else search_mode)
    from openseeker.corpus.store import CorpusStore

    return CorpusStore(path, search_mode)


__all__ = ["Corpus", "CorpusHit", "Link", "MemoryCorpus", "Page", "open_corpus"]
