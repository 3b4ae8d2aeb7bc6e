"""Build the agent's :class:`~openseeker.tools.base.Toolset` from configuration.

Backends are created by name from the registries, so a local corpus and the web are interchangeable:
``tools.search`` / ``tools.fetch`` name them (``corpus``, ``serper``, ``jina`` ...), and
:func:`openseeker.web.wrap_backends` adds the tool cache, budgets and safety rules. ``tools.enabled`` adds the
OpenSeeker-v2 sandbox tools; ``tools.mcp`` adds the tools of MCP servers.

This module sits above :mod:`openseeker.tools` (the tool contracts), :mod:`openseeker.corpus` and
:mod:`openseeker.web` (the backends), and puts them together.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from typing import Any

from openseeker.errors import ConfigError
from openseeker.llm.base import LLM
from openseeker.tools.base import (
    PageFetcher,
    SearchBackend,
    Tool,
    Toolset,
    ToolSource,
    fetchers,
    search_backends,
)
from openseeker.tools.config import SANDBOX_TOOLS, ToolsConfig
from openseeker.tools.layout import OPENSEEKER, ToolLayout
from openseeker.tools.search import SearchTool
from openseeker.tools.visit import VisitTool
from openseeker.web.wrap import option_problems, wrap_backends

BUILTIN_TOOLS = ("search", "visit", *SANDBOX_TOOLS)


def build_backends(cfg: ToolsConfig) -> tuple[SearchBackend, PageFetcher]:
    """The search backend and page fetcher named in ``cfg``, wrapped with the web cache, budgets and rules."""
    search = search_backends.create(cfg.search, cfg)
    fetch = fetchers.create(cfg.fetch, cfg)
    return wrap_backends(search, fetch, cfg)


def tool_problems(tools: Mapping[str, Any], where: str) -> list[str]:
    """Problems of a ``tools`` config mapping that its model cannot see: unknown search or fetch backends, and
    unknown web options (one line each; see :func:`openseeker.config.config_problems`)."""
    out: list[str] = []
    options = tools.get("options")
    if isinstance(options, Mapping):
        out += option_problems(dict(options), f"{where}.options" if where else "options")
    for key, registry in (("search", search_backends), ("fetch", fetchers)):
        name = tools.get(key)
        if isinstance(name, str):
            try:
                registry.get(name)
            except ConfigError as e:
                out.append(f"{where + '.' if where else ''}{key}: {e}")
    return out


def build_sandbox_backend(cfg: ToolsConfig) -> Any:
    """The sandbox backend of ``cfg.sandbox`` (imported on use; the local one reaps leftovers on start)."""
    from openseeker.tools.sandbox.base import sandbox_backends

    # built-in backends register on import; others arrive through the "openseeker.sandbox" entry points
    if cfg.sandbox.backend in ("local", "e2b"):
        importlib.import_module(f"openseeker.tools.sandbox.{cfg.sandbox.backend}")

    fetch_bytes = _downloader(cfg) if cfg.sandbox.downloads else None
    return sandbox_backends.create(cfg.sandbox.backend, cfg.sandbox, fetch_bytes)


def _downloader(cfg: ToolsConfig) -> Any:
    """``async (url, max_bytes) -> bytes`` on the host, under the web safety rules (no private addresses,
    the benchmark-answer blocklist), for downloads into a local sandbox."""
    from openseeker.web.fetchers import HttpFetcher

    async def fetch_bytes(url: str, max_bytes: int) -> bytes:
        fetcher = HttpFetcher(cfg)
        fetcher.settings = dataclasses.replace(fetcher.settings, max_bytes=max_bytes)
        try:
            return await fetcher.download(url)
        finally:
            await fetcher.clients.aclose()

    return fetch_bytes


def mcp_sources(cfg: ToolsConfig) -> list[ToolSource]:
    """One tool source per configured MCP server."""
    if not cfg.mcp:
        return []
    from openseeker.tools.mcp_client import MCPToolSource

    names = [m.name for m in cfg.mcp]
    if len(set(names)) != len(names):
        raise ConfigError(f"tools.mcp: server names must be unique, got {names}")
    return [MCPToolSource(m) for m in cfg.mcp]


def build_toolset(
    cfg: ToolsConfig, summarizer: LLM | None = None, layout: ToolLayout = OPENSEEKER
) -> Toolset:
    """The tools configured by ``cfg``: ``enabled`` built-ins plus the tools of ``mcp`` servers.

    Args:
        cfg: the tools configuration (backends, ``top_k``, ``visit_mode``, page limits, sandbox, MCP).
        summarizer: the LLM for goal-conditioned visit extraction; with ``visit_mode="auto"`` visits are
            raw when it is ``None``.
        layout: how tool responses read (the agent profile's layout; the agent also applies it).
    """
    names = cfg.tool_names()
    unknown = [n for n in names if n not in BUILTIN_TOOLS]
    if unknown:
        raise ConfigError(
            f"tools.enabled: unknown tool(s) {', '.join(unknown)}; built-in tools are "
            f"{', '.join(BUILTIN_TOOLS)} (or 'sandbox' for the five sandbox tools); MCP tools come from tools.mcp"
        )
    tools: list[Tool] = []
    if "search" in names or "visit" in names:
        search, fetch = build_backends(cfg)
        if "search" in names:
            tools.append(SearchTool(search, top_k=cfg.top_k, layout=layout, exclude=cfg.search_exclude))
        if "visit" in names:
            tools.append(
                VisitTool(
                    fetch,
                    summarizer,
                    mode=cfg.visit_mode,
                    max_page_chars=cfg.max_page_chars,
                    chunk_chars=cfg.chunk_chars,
                    layout=layout,
                )
            )
    sandbox = [n for n in names if n in SANDBOX_TOOLS]
    if sandbox:
        from openseeker.tools.sandbox.tools import sandbox_tools

        tools.extend(sandbox_tools(build_sandbox_backend(cfg), cfg.sandbox, sandbox))
    return Toolset(tools, layout, mcp_sources(cfg))
