"""Build the agent's :class:`~openseeker.tools.base.Toolset` (``search`` + ``visit``) from configuration.

Backends are created by name from the registries, so a local corpus and the web are interchangeable:
``tools.search`` / ``tools.fetch`` name them (``corpus``, ``serper``, ``jina`` ...). When the
:mod:`openseeker.web` package is present it is imported first (its backends register themselves) and its
``wrap_backends`` adds the tool cache, budgets and safety rules.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import openseeker.corpus.backends  # noqa: F401 - registers the "corpus" search backend and fetcher
from openseeker.llm.base import LLM
from openseeker.tools.base import PageFetcher, SearchBackend, Toolset, fetchers, search_backends
from openseeker.tools.config import ToolsConfig
from openseeker.tools.layout import OPENSEEKER, ToolLayout
from openseeker.tools.search import SearchTool
from openseeker.tools.visit import VisitTool


def _web_module() -> Any:
    if importlib.util.find_spec("openseeker.web") is None:
        return None
    return importlib.import_module("openseeker.web")


def build_backends(cfg: ToolsConfig) -> tuple[SearchBackend, PageFetcher]:
    """The search backend and page fetcher named in ``cfg`` (wrapped by :mod:`openseeker.web` if present)."""
    web = _web_module()
    search = search_backends.create(cfg.search, cfg)
    fetch = fetchers.create(cfg.fetch, cfg)
    wrap = getattr(web, "wrap_backends", None) if web is not None else None
    if wrap is not None:
        search, fetch = wrap(search, fetch, cfg)
    return search, fetch


def build_toolset(
    cfg: ToolsConfig, summarizer: LLM | None = None, layout: ToolLayout = OPENSEEKER
) -> Toolset:
    """The ``search`` and ``visit`` tools configured by ``cfg``.

    Args:
        cfg: the tools configuration (backends, ``top_k``, ``visit_mode``, page limits).
        summarizer: the LLM for goal-conditioned visit extraction; with ``visit_mode="auto"`` visits are
            raw when it is ``None``.
        layout: how tool responses read (the agent profile's layout; the agent also applies it).
    """
    search, fetch = build_backends(cfg)
    return Toolset(
        [
            SearchTool(search, top_k=cfg.top_k, layout=layout),
            VisitTool(
                fetch,
                summarizer,
                mode=cfg.visit_mode,
                max_page_chars=cfg.max_page_chars,
                chunk_chars=cfg.chunk_chars,
                layout=layout,
            ),
        ],
        layout,
    )
