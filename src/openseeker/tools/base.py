"""Interfaces shared by every tool backend.

* A :class:`SearchBackend` answers one query with ranked :class:`SearchHit` s.
* A :class:`PageFetcher` returns a :class:`FetchedPage` for a URL (or raises :class:`ToolError`).
* A :class:`Tool` turns a model's arguments into the text of a tool response. Failures the model should
  see (unknown URL, no results, timeouts) are raised as :class:`ToolError` and become observations.
* A :class:`Toolset` holds the tools of one agent and executes :class:`ToolCall` s.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from openseeker.errors import ToolError
from openseeker.llm.types import ToolCall, ToolSpec
from openseeker.records import Record
from openseeker.registry import Registry
from openseeker.tools.layout import OPENSEEKER, ToolLayout


@dataclass
class SearchHit(Record):
    """One search result."""

    title: str
    url: str
    snippet: str = ""
    date: str | None = None
    source: str | None = None
    score: float | None = None


@dataclass
class FetchedPage(Record):
    """A fetched page: its main content as Markdown/plain text, and its out-links when known."""

    url: str
    content: str
    title: str = ""
    content_type: str = "text/plain"
    status: int = 200
    links: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class SearchBackend(Protocol):
    """Answers one query with up to ``top_k`` hits (``[]`` when nothing matches)."""

    name: str

    async def search(self, query: str, top_k: int = 10) -> list[SearchHit]: ...


@runtime_checkable
class PageFetcher(Protocol):
    """Fetches one URL; raises :class:`ToolError` when the page cannot be had."""

    name: str

    async def fetch(self, url: str) -> FetchedPage: ...


search_backends: Registry[SearchBackend] = Registry("search")
fetchers: Registry[PageFetcher] = Registry("fetch")


@dataclass
class ToolResult(Record):
    """The outcome of one tool call, as stored in trajectories."""

    name: str
    arguments: dict[str, Any]
    content: str
    error: bool = False
    seconds: float = 0.0


class Tool(ABC):
    """A tool the agent can call."""

    spec: ToolSpec

    @property
    def name(self) -> str:
        return self.spec.name

    @abstractmethod
    async def __call__(self, arguments: dict[str, Any]) -> str:
        """Run the tool; raise :class:`ToolError` for failures the model should read."""


class Toolset:
    """The tools of one agent, by name, and the layout their fixed texts follow.

    Args:
        tools: the tools.
        layout: the fixed texts (unknown tool, bad arguments); :meth:`use_layout` changes it for the
            toolset and every tool that has one.
    """

    def __init__(self, tools: list[Tool], layout: ToolLayout = OPENSEEKER):
        self.tools = {t.name: t for t in tools}
        self.layout = layout

    @property
    def specs(self) -> list[ToolSpec]:
        return [t.spec for t in self.tools.values()]

    def use_layout(self, layout: ToolLayout) -> None:
        """Make the toolset and each tool with a ``layout`` attribute write ``layout``'s texts."""
        self.layout = layout
        for tool in self.tools.values():
            if hasattr(tool, "layout"):
                tool.layout = layout  # type: ignore[attr-defined]

    async def call(self, call: ToolCall) -> ToolResult:
        """Execute a call. Unknown tools, bad arguments and tool failures come back as error results."""
        start = time.monotonic()
        lay = self.layout
        tool = self.tools.get(call.name)
        if tool is None:
            text = lay.unknown_tool.format(name=call.name, known=", ".join(self.tools))
            return ToolResult(call.name, call.arguments, text, True, time.monotonic() - start)
        try:
            text = await tool(call.arguments)
            return ToolResult(call.name, call.arguments, text, False, time.monotonic() - start)
        except ToolError as e:
            return ToolResult(
                call.name, call.arguments, lay.tool_error.format(message=e), True, time.monotonic() - start
            )
        except (TypeError, ValueError, KeyError) as e:
            text = lay.bad_arguments.format(name=call.name, type=type(e).__name__, error=e)
            return ToolResult(call.name, call.arguments, text, True, time.monotonic() - start)
