"""Web backends for the ``search`` and ``visit`` tools.

Importing this package registers the search backends ``serper``, ``tavily``, ``brave``, ``searxng`` and
``replay`` in :data:`openseeker.tools.base.search_backends`, and the page fetchers ``jina``, ``http`` and
``replay`` in :data:`openseeker.tools.base.fetchers`; each factory takes a
:class:`~openseeker.tools.config.ToolsConfig`. :func:`wrap_backends` then adds the persistent cache,
budgets, recording and the safety rules. Heavy imports happen inside the factories.

Example::

    from openseeker.tools.base import search_backends, fetchers
    from openseeker.tools.config import ToolsConfig
    import openseeker.web as web

    cfg = ToolsConfig(search="serper", fetch="jina", cache="runs/web.sqlite")
    search, fetch = web.wrap_backends(search_backends.create("serper", cfg), fetchers.create("jina", cfg), cfg)
    hits = await search.search("OpenSeeker deep search agent", 5)
"""

from __future__ import annotations

from openseeker.tools.base import PageFetcher, SearchBackend
from openseeker.tools.base import fetchers as fetcher_registry
from openseeker.tools.base import search_backends as search_registry
from openseeker.tools.config import ToolsConfig
from openseeker.web.wrap import WEB_FETCH, WEB_SEARCH, search_many, wrap_backends

__all__ = ["WEB_FETCH", "WEB_SEARCH", "search_many", "wrap_backends"]


@search_registry.register("serper")
def _serper(cfg: ToolsConfig) -> SearchBackend:
    from openseeker.web.serper import SerperSearch

    return SerperSearch(cfg)


@search_registry.register("tavily")
def _tavily(cfg: ToolsConfig) -> SearchBackend:
    from openseeker.web.tavily import TavilySearch

    return TavilySearch(cfg)


@search_registry.register("brave")
def _brave(cfg: ToolsConfig) -> SearchBackend:
    from openseeker.web.brave import BraveSearch

    return BraveSearch(cfg)


@search_registry.register("searxng")
def _searxng(cfg: ToolsConfig) -> SearchBackend:
    from openseeker.web.searxng import SearxngSearch

    return SearxngSearch(cfg)


@search_registry.register("replay")
def _replay_search(cfg: ToolsConfig) -> SearchBackend:
    from openseeker.web.replay import ReplaySearch

    return ReplaySearch(cfg)


@fetcher_registry.register("http")
def _http(cfg: ToolsConfig) -> PageFetcher:
    from openseeker.web.fetchers import HttpFetcher

    return HttpFetcher(cfg)


@fetcher_registry.register("jina")
def _jina(cfg: ToolsConfig) -> PageFetcher:
    """Jina Reader, falling back to ``tools.options.jina.fallback`` (default ``http``; ``null`` for none)."""
    from openseeker.web.fetchers import FallbackFetcher, JinaFetcher

    jina = JinaFetcher(cfg)
    fallback = jina.settings.fallback
    if not fallback or fallback == "jina":
        return jina
    return FallbackFetcher([jina, fetcher_registry.create(fallback, cfg)])


@fetcher_registry.register("replay")
def _replay_fetch(cfg: ToolsConfig) -> PageFetcher:
    from openseeker.web.replay import ReplayFetch

    return ReplayFetch(cfg)
