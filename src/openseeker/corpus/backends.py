"""The local corpus as a search backend and a page fetcher for the agent tools.

Registered as ``corpus`` in :data:`openseeker.tools.base.search_backends` and
:data:`openseeker.tools.base.fetchers`; the factories take a :class:`~openseeker.tools.config.ToolsConfig`
whose ``corpus`` field is the corpus directory. Search and fetch share one open store per directory.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from openseeker.corpus.base import Corpus
from openseeker.errors import ConfigError, ToolError
from openseeker.tools.base import (
    FetchedPage,
    PageFetcher,
    SearchBackend,
    SearchHit,
    fetchers,
    search_backends,
)
from openseeker.tools.config import ToolsConfig

_open_lock = threading.Lock()
_open_stores: dict[str, Any] = {}


def shared_corpus(path: str | Path, search_mode: str = "bm25") -> Corpus:
    """One :class:`~openseeker.corpus.store.CorpusStore` per directory and search mode, shared by backends."""
    from openseeker.corpus import open_corpus
    from openseeker.corpus.schema import DB_NAME

    db = Path(path).resolve() / DB_NAME
    # The file's change time is part of the key, so a corpus re-ingested in place is opened afresh.
    stamp = db.stat().st_mtime_ns if db.exists() else 0
    key = f"{db.parent}|{search_mode}|{stamp}"
    with _open_lock:
        if key not in _open_stores:
            _open_stores[key] = open_corpus(Path(path).resolve(), search_mode)
        return _open_stores[key]  # type: ignore[no-any-return]


class CorpusSearch:
    """BM25 (or any :class:`Corpus` ``search``) over a local corpus."""

    name = "corpus"

    def __init__(self, corpus: Corpus):
        self.corpus = corpus

    async def search(self, query: str, top_k: int = 10) -> list[SearchHit]:
        hits = await asyncio.to_thread(self.corpus.search, query, top_k)
        return [SearchHit(h.title, h.url, h.snippet, score=h.score) for h in hits]


class CorpusFetcher:
    """Returns a corpus page by URL, redirect URL or exact title, with its out-links and their anchors."""

    name = "corpus"

    def __init__(self, corpus: Corpus):
        self.corpus = corpus

    def _fetch(self, url: str) -> FetchedPage:
        key = url.strip()
        page = self.corpus.get(key)
        if page is None and key.startswith(("http://", "https://")) and key.endswith("/"):
            page = self.corpus.get(key.rstrip("/"))
        if page is None:
            raise ToolError(
                f"the page {url!r} is not in the local corpus (check the URL, or search for it first)"
            )
        links = self.corpus.out_links(page.id)
        return FetchedPage(
            url=page.url,
            content=page.text,
            title=page.title,
            content_type="text/plain",
            status=200,
            links=[ln.target_url for ln in links],
            metadata={"page_id": page.id, "language": page.language, "anchors": [ln.anchor for ln in links]},
        )

    async def fetch(self, url: str) -> FetchedPage:
        return await asyncio.to_thread(self._fetch, url)


def _corpus_dir(cfg: ToolsConfig) -> str:
    if not cfg.corpus:
        raise ConfigError(
            "the corpus search/visit backends need tools.corpus (the corpus directory); set it in "
            "the config file, OPENSEEKER_TOOLS__CORPUS, or --corpus"
        )
    return cfg.corpus


@search_backends.register("corpus")
def corpus_search_backend(cfg: ToolsConfig) -> SearchBackend:
    """Factory: search over ``cfg.corpus``; ``cfg.options["corpus_search_mode"]`` picks bm25 (default),
    dense or hybrid."""
    return CorpusSearch(shared_corpus(_corpus_dir(cfg), str(cfg.options.get("corpus_search_mode", "bm25"))))


@fetchers.register("corpus")
def corpus_fetcher(cfg: ToolsConfig) -> PageFetcher:
    """Factory: page fetcher over ``cfg.corpus``."""
    return CorpusFetcher(shared_corpus(_corpus_dir(cfg)))
