"""Put the cross-cutting layers around the configured backends: safety, recording, cache, budget.

From the outside in::

    Safe -> Recording -> Cached -> Budgeted -> provider

* safety is outermost, so the blocklist applies to cache hits and replays too, and every known secret value
  is scrubbed from what the agent gets (:mod:`openseeker.redaction`);
* recording sees every answer the agent gets (cache hits included), so a cassette is complete;
* the budget is charged only for calls that reach a provider.

Backends that are not web backends (the local corpus) are returned unchanged.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson

from openseeker import redaction
from openseeker.errors import ConfigError, ToolError
from openseeker.tools.base import FetchedPage, PageFetcher, SearchBackend, SearchHit
from openseeker.tools.config import ToolsConfig
from openseeker.web.budget import Budget, BudgetedFetch, BudgetedSearch, BudgetStore
from openseeker.web.cache import CachedFetch, CachedSearch, ToolCache
from openseeker.web.replay import Cassette, RecordingFetch, RecordingSearch
from openseeker.web.safety import SafetyPolicy

log = logging.getLogger(__name__)
T = TypeVar("T")

WEB_SEARCH = frozenset({"serper", "tavily", "brave", "searxng", "replay"})
WEB_FETCH = frozenset({"jina", "http", "replay"})
# ``tools.options`` keys besides the backends' own names (each backend reads ``tools.options.<name>``)
OPTION_KEYS = frozenset({"safety", "budget", "record", "cache_ttl_days", "corpus_search_mode"})


R = TypeVar("R", SearchHit, FetchedPage)


def _scrubbed(record: R) -> R:
    """``record`` without any known secret value (a provider may echo its request, key included; cache
    entries and cassettes written before a key was known are cleaned on the way out, too)."""
    raw = orjson.dumps(record.to_dict())
    clean = redaction.scrub_bytes(raw)
    return record if clean == raw else type(record).from_dict(orjson.loads(clean))


class SafeSearch:
    """Drops search results on the blocklist (they are counted in :attr:`blocked`)."""

    def __init__(self, inner: SearchBackend, policy: SafetyPolicy):
        self.inner, self.policy, self.name = inner, policy, inner.name
        self.blocked = 0

    def __repr__(self) -> str:
        return f"SafeSearch({self.inner!r})"

    async def search(self, query: str, top_k: int = 10) -> list[SearchHit]:
        hits = [_scrubbed(h) for h in await self.inner.search(query, top_k)]
        kept = [h for h in hits if self.policy.blocklist.match(h.url) is None]
        if len(kept) != len(hits):
            self.blocked += len(hits) - len(kept)
            log.info("dropped %d blocklisted result(s) for %r", len(hits) - len(kept), query)
        return kept


class SafeFetch:
    """Refuses unsafe or blocklisted URLs before any fetch, and blocklisted final URLs after it."""

    def __init__(self, inner: PageFetcher, policy: SafetyPolicy):
        self.inner, self.policy, self.name = inner, policy, inner.name

    def __repr__(self) -> str:
        return f"SafeFetch({self.inner!r})"

    async def fetch(self, url: str) -> FetchedPage:
        self.policy.check_url(url)
        page = _scrubbed(await self.inner.fetch(url))
        self.policy.check_blocklist(page.url)
        page.links = [u for u in page.links if self.policy.blocklist.match(u) is None]
        return page


_SHARED: dict[tuple[Any, ...], Any] = {}
_SHARED_LOCK = threading.Lock()


def _shared(cls: Callable[..., T], path: str, **kw: Any) -> T:
    """One instance per (class, file, settings) and process: every toolset built in a process (one per
    stage, benchmark or worker thread) shares the same SQLite connection and cassette writer."""
    key = (cls, str(Path(path).resolve()) if path != ":memory:" else path, *sorted(kw.items()))
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = cls(path, **kw)
        return _SHARED[key]  # type: ignore[no-any-return]


def option_problems(options: dict[str, Any], where: str = "tools.options") -> list[str]:
    """Unknown ``tools.options`` keys, each with the closest known key: a backend's name (its settings)
    or one of :data:`OPTION_KEYS`."""
    from openseeker.tools.base import fetchers, search_backends

    known = {*OPTION_KEYS, *search_backends.names(), *fetchers.names()}
    out = []
    for key in options:
        if key not in known:
            close = difflib.get_close_matches(str(key), sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            out.append(f"{where}.{key}: unknown key{hint}")
    return out


def _check_options(options: dict[str, Any]) -> None:
    problems = option_problems(options)
    if problems:
        raise ConfigError("; ".join(problems))


def wrap_backends(
    search: SearchBackend, fetch: PageFetcher, cfg: ToolsConfig
) -> tuple[SearchBackend, PageFetcher]:
    """Apply the persistent cache, budget, recording and safety layers configured in ``cfg``.

    Args:
        search: the search backend built from ``cfg.search``.
        fetch: the page fetcher built from ``cfg.fetch``.
        cfg: the tools configuration (``cache``, ``blocklist``, ``options.{safety,budget,record}``).

    Returns:
        The wrapped ``(search, fetch)``; non-web backends come back unchanged.
    """
    _check_options(cfg.options)
    policy = SafetyPolicy.from_options(cfg.blocklist, cfg.options)
    cache = _shared(ToolCache, cfg.cache, ttl_days=cfg.options.get("cache_ttl_days")) if cfg.cache else None
    budget = Budget.from_options(cfg.options, cfg.cache, store_factory=lambda p: _shared(BudgetStore, p))
    record = cfg.options.get("record")
    if isinstance(record, dict):
        record = record.get("cassette")
    cassette = _shared(Cassette, record) if record else None

    if search.name in WEB_SEARCH:
        s: Any = search
        if search.name != "replay":
            if budget is not None:
                s = BudgetedSearch(s, budget, float(getattr(search, "cost_per_call", 0.0)))
            if cache is not None:
                s = CachedSearch(s, cache)
            if cassette is not None:
                s = RecordingSearch(s, cassette)
        search = SafeSearch(s, policy)
    if fetch.name in WEB_FETCH:
        f: Any = fetch
        if fetch.name != "replay":
            if budget is not None:
                f = BudgetedFetch(f, budget, float(getattr(fetch, "cost_per_call", 0.0)))
            if cache is not None:
                f = CachedFetch(f, cache)
            if cassette is not None:
                f = RecordingFetch(f, cassette)
        fetch = SafeFetch(f, policy)
    return search, fetch


async def search_many(
    search: SearchBackend, queries: list[str], top_k: int = 10, concurrency: int = 4
) -> list[list[SearchHit] | ToolError]:
    """Run a batch of queries with at most ``concurrency`` in flight; results in query order.

    A failed query yields its :class:`ToolError` in place; a :class:`BudgetExceededError` propagates.
    """
    sem = asyncio.Semaphore(max(1, concurrency))

    async def one(q: str) -> list[SearchHit] | ToolError:
        async with sem:
            try:
                return await search.search(q, top_k)
            except ToolError as e:
                return e

    return list(await asyncio.gather(*(one(q) for q in queries)))
