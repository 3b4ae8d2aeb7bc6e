"""Interfaces shared by every tool backend.

* A :class:`SearchBackend` answers one query with ranked :class:`SearchHit` s.
* A :class:`PageFetcher` returns a :class:`FetchedPage` for a URL (or raises :class:`ToolError`).
* A :class:`Tool` turns a model's arguments into the text of a tool response. Failures the model should
  see (unknown URL, no results, timeouts) are raised as :class:`ToolError` and become observations.
* A :class:`Toolset` holds the tools of one agent and executes :class:`ToolCall` s. Tools may also come
  from a :class:`ToolSource` (an MCP server), which is connected by :meth:`Toolset.start`.
* Tools that hold state per rollout (sandboxes) key it by :func:`current_session`; the agent runs each
  rollout inside ``async with toolset.session(id)``, whose exit releases that state, whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from openseeker.errors import ToolError
from openseeker.llm.types import ToolCall, ToolSpec
from openseeker.records import Record
from openseeker.registry import Registry
from openseeker.tools.layout import OPENSEEKER, ToolLayout

log = logging.getLogger(__name__)
DEFAULT_SESSION = "default"
_SESSION: contextvars.ContextVar[str] = contextvars.ContextVar(
    "openseeker_tool_session", default=DEFAULT_SESSION
)


def current_session() -> str:
    """The key of the rollout the running tool call belongs to (``"default"`` outside any session)."""
    return _SESSION.get()


class ToolResponseError(ToolError):
    """A failure whose message is the whole tool response, verbatim (a trained layout such as
    ``[ERROR]: ...``); other :class:`ToolError` s are shown as ``Error: <message>``."""


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

# The built-in backends live in the packages above this one (the local corpus, the web); they are listed by
# name and imported on first use (third-party backends: the "openseeker.search" / "openseeker.fetch" entry points).
for _name, _target in {
    "corpus": "openseeker.corpus.backends:corpus_search_backend",
    "serper": "openseeker.web:_serper",
    "tavily": "openseeker.web:_tavily",
    "brave": "openseeker.web:_brave",
    "searxng": "openseeker.web:_searxng",
    "replay": "openseeker.web:_replay_search",
}.items():
    search_backends.register_lazy(_name, _target)
for _name, _target in {
    "corpus": "openseeker.corpus.backends:corpus_fetcher",
    "http": "openseeker.web:_http",
    "jina": "openseeker.web:_jina",
    "replay": "openseeker.web:_replay_fetch",
}.items():
    fetchers.register_lazy(_name, _target)


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

    async def end_session(self, session: str) -> None:
        """Release what this tool holds for ``session`` (called once when a rollout ends)."""
        return None

    async def aclose(self) -> None:
        """Release everything (called once when the toolset is closed)."""
        return None


class ToolSource(ABC):
    """A provider of tools known only at run time (an MCP server)."""

    name: str = ""

    @abstractmethod
    async def start(self) -> list[Tool]:
        """Connect and return the tools (called again after :meth:`aclose`, or in a new event loop)."""

    async def aclose(self) -> None:
        """Disconnect."""
        return None


class Toolset:
    """The tools of one agent, by name, and the layout their fixed texts follow.

    Args:
        tools: the tools.
        layout: the fixed texts (unknown tool, bad arguments); :meth:`use_layout` changes it for the
            toolset and every tool that has one.
        sources: providers of tools known only at run time (MCP servers), connected by :meth:`start`.
    """

    def __init__(
        self, tools: list[Tool], layout: ToolLayout = OPENSEEKER, sources: list[ToolSource] | None = None
    ):
        self.tools = {t.name: t for t in tools}
        self.layout = layout
        self.sources = list(sources or [])
        self._builtin = set(self.tools)
        self._sessions: set[str] = set()

    @property
    def specs(self) -> list[ToolSpec]:
        return [t.spec for t in self.tools.values()]

    def use_layout(self, layout: ToolLayout) -> None:
        """Make the toolset and each tool with a ``layout`` attribute write ``layout``'s texts."""
        self.layout = layout
        for tool in self.tools.values():
            if hasattr(tool, "layout"):
                tool.layout = layout

    async def start(self) -> None:
        """Connect the tool sources and add their tools (idempotent; sources reconnect when needed)."""
        for source in self.sources:
            for tool in await source.start():
                if tool.name in self._builtin:
                    raise ToolError(
                        f"MCP server {source.name!r} offers a tool named {tool.name!r}, which is already a "
                        "built-in tool; give the server a prefix (tools.mcp[].prefix)"
                    )
                self.tools[tool.name] = tool

    @contextlib.asynccontextmanager
    async def session(self, key: str) -> AsyncIterator[None]:
        """Run the body as rollout ``key``: tool state made inside is released on exit, even on errors."""
        token = _SESSION.set(key)
        self._sessions.add(key)
        try:
            yield
        finally:
            _SESSION.reset(token)
            self._sessions.discard(key)
            await self._end(key)

    async def _end(self, key: str) -> None:
        tools = list(self.tools.values())
        # Shielded: a cancelled rollout (timeout, Ctrl-C) still releases its sandboxes.
        results = await asyncio.shield(
            asyncio.gather(*(t.end_session(key) for t in tools), return_exceptions=True)
        )
        for tool, res in zip(tools, results, strict=True):
            if isinstance(res, BaseException):  # one tool's cleanup failing must not skip the others'
                log.warning("tool %s could not release session %s: %r", tool.name, key, res)

    async def aclose(self) -> None:
        """End every open session, then close the tools and disconnect the sources."""
        for key in [*self._sessions, DEFAULT_SESSION]:
            await self._end(key)
        self._sessions.clear()
        for tool in list(self.tools.values()):
            with contextlib.suppress(Exception):
                await tool.aclose()
        for source in self.sources:
            with contextlib.suppress(Exception):
                await source.aclose()

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
        except ToolResponseError as e:
            return ToolResult(call.name, call.arguments, str(e), True, time.monotonic() - start)
        except ToolError as e:
            return ToolResult(
                call.name, call.arguments, lay.tool_error.format(message=e), True, time.monotonic() - start
            )
        except (TypeError, ValueError, KeyError) as e:
            text = lay.bad_arguments.format(name=call.name, type=type(e).__name__, error=e)
            return ToolResult(call.name, call.arguments, text, True, time.monotonic() - start)
