"""The corpus as a search backend and a page fetcher for the agent tools.

Registered as ``corpus`` in :data:`openseeker.tools.base.search_backends` and
:data:`openseeker.tools.base.fetchers`; the factories take a :class:`~openseeker.tools.config.ToolsConfig`
whose ``corpus`` field is the corpus directory, or the ``http(s)://`` URL of ``openseeker corpus serve``
(then every search and visit is one request to that service, with the same results as the directory
opened here). Search and fetch share one open store (or client) per directory or URL.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from openseeker.corpus.base import Corpus, Link, Page, find_page
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
    """One :class:`~openseeker.corpus.store.CorpusStore` per directory and search mode (or one
    :class:`~openseeker.corpus.remote.RemoteCorpus` per service URL), shared by backends."""
    from openseeker.corpus import open_corpus
    from openseeker.corpus.remote import is_service_url
    from openseeker.corpus.schema import DB_NAME

    if is_service_url(path):
        with _open_lock:
            key = f"{path}|{search_mode}"
            if key not in _open_stores:
                _open_stores[key] = open_corpus(str(path), search_mode)
            return _open_stores[key]  # type: ignore[no-any-return]
    db = Path(path).resolve() / DB_NAME
    # The file's change time is part of the key, so a corpus re-ingested in place is opened afresh.
    stamp = db.stat().st_mtime_ns if db.exists() else 0
    key = f"{db.parent}|{search_mode}|{stamp}"
    with _open_lock:
        if key not in _open_stores:
            _open_stores[key] = open_corpus(Path(path).resolve(), search_mode)
        return _open_stores[key]  # type: ignore[no-any-return]


class CorpusSearch:
    """BM25 (or any :class:`Corpus` ``search``) over a local corpus or a corpus service."""

    name = "corpus"

    def __init__(self, corpus: Corpus):
        self.corpus = corpus

    async def search(self, query: str, top_k: int = 10) -> list[SearchHit]:
        asearch = getattr(self.corpus, "asearch", None)  # a corpus service: no thread per request
        if asearch is not None:
            hits = await asearch(query, top_k)
        else:
            hits = await asyncio.to_thread(self.corpus.search, query, top_k)
        return [SearchHit(h.title, h.url, h.snippet, score=h.score) for h in hits]


class CorpusFetcher:
    """Returns a corpus page by URL, redirect URL or exact title, with its out-links and their anchors."""

    name = "corpus"

    def __init__(self, corpus: Corpus):
        self.corpus = corpus

    def _visit(self, url: str) -> tuple[Page, list[Link]] | None:
        page = find_page(self.corpus, url.strip())
        return None if page is None else (page, self.corpus.out_links(page.id))

    @staticmethod
    def _page(url: str, found: tuple[Page, list[Link]] | None) -> FetchedPage:
        if found is None:
            raise ToolError(
                f"the page {url!r} is not in the local corpus (check the URL, or search for it first)"
            )
        page, links = found
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
        avisit = getattr(self.corpus, "avisit", None)  # a corpus service: page and links in one request
        if avisit is not None:
            return self._page(url, await avisit(url.strip()))
        return self._page(url, await asyncio.to_thread(self._visit, url))


def _corpus_dir(cfg: ToolsConfig) -> str:
    if not cfg.corpus:
        raise ConfigError(
            "the corpus search/visit backends need tools.corpus (the corpus directory, or the URL of "
            "`openseeker corpus serve`); set it in "
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
