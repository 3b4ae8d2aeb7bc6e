"""Agent tools (``search``, ``visit``) and the backend interfaces they run on.

Local corpus backends live in :mod:`openseeker.corpus`, web backends in :mod:`openseeker.web`; both
register into :data:`search_backends` / :data:`fetchers`, so switching between a local corpus and the web
is a configuration change.
"""

from openseeker.tools.base import (
    FetchedPage,
    PageFetcher,
    SearchBackend,
    SearchHit,
    Tool,
    ToolResult,
    Toolset,
    fetchers,
    search_backends,
)

__all__ = [
    "FetchedPage",
    "PageFetcher",
    "SearchBackend",
    "SearchHit",
    "Tool",
    "ToolResult",
    "Toolset",
    "fetchers",
    "search_backends",
]
