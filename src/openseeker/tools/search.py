"""The ``search`` tool: several queries in one call, the top results of each as a Markdown list.

The layout follows the search tool the OpenSeeker models were trained with (METHOD.md 6.1): per query a
``###`` heading with the query and the number of results, then numbered ``[title](url)`` entries with
optional ``Date published:`` / ``Source:`` lines and the snippet; queries are separated by a ``---`` line.
The exact wording is the agent profile's :class:`~openseeker.tools.layout.ToolLayout`.
No results, or a failing backend for one query, is text the agent reads, never an exception.
"""

from __future__ import annotations

import asyncio
from typing import Any

from openseeker.errors import BudgetExceededError, ToolError
from openseeker.llm.types import ToolSpec
from openseeker.tools.base import SearchBackend, SearchHit, Tool
from openseeker.tools.layout import OPENSEEKER, ToolLayout

SEARCH_SPEC = ToolSpec(
    name="search",
    description=(
        "Search the web. Give several complementary queries at once (different wordings, names, languages); "
        "each query returns its top 10 results with title, URL and a snippet."
    ),
    parameters={
        "type": "object",
        "properties": {
            "query": {
                "type": "array",
                "items": {"type": "string"},
                "description": "One or more search queries, run together; vary them to cover the question.",
            }
        },
        "required": ["query"],
    },
)



def format_results(query: str, hits: list[SearchHit], layout: ToolLayout = OPENSEEKER) -> str:
    """One query's results in ``layout`` (the toolkit's own by default)."""
    entries = [
        {"title": h.title, "url": h.url, "date": h.date or "", "source": h.source or "", "snippet": h.snippet}
        for h in hits
    ]
    return layout.search_block(query, entries)


def parse_queries(arguments: dict[str, Any], layout: ToolLayout = OPENSEEKER) -> list[str]:
    """The queries of a call: an array of strings, or a single string; empty ones are dropped."""
    if "query" not in arguments:
        raise ToolError(
            layout.search_invalid or "the search tool needs a 'query' argument: an array of query strings"
        )
    raw = arguments["query"]
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(q, str | int | float) for q in raw):
        raise ToolError("'query' must be a string or an array of strings")
    queries = [str(q).strip() for q in raw if str(q).strip()]
    if not queries:
        raise ToolError("'query' is empty; give at least one non-empty query string")
    return queries


class SearchTool(Tool):
    """``search(query: list[str])`` over a :class:`~openseeker.tools.base.SearchBackend`.

    Args:
        backend: the search backend (local corpus or a web API).
        top_k: results per query.
        max_queries: queries beyond this many in one call are not run (the text says so).
        layout: how the response reads (set by the agent profile).
        exclude: results whose link contains any of these (case-insensitive) are dropped before numbering
            (OpenSeeker-v2 drops "huggingface" links so that benchmark answers cannot leak).
    """

    def __init__(
        self,
        backend: SearchBackend,
        top_k: int = 10,
        max_queries: int = 10,
        layout: ToolLayout = OPENSEEKER,
        exclude: list[str] | None = None,
    ):
        self.backend = backend
        self.top_k = top_k
        self.max_queries = max_queries
        self.layout = layout
        self.exclude = [e.lower() for e in exclude or [] if e]
        self.spec = SEARCH_SPEC

    async def _one(self, query: str) -> str:
        try:
            hits = await self.backend.search(query, self.top_k)
        except ToolError as e:
            return self.layout.search_failed.format(query=query, error=e)
        except BudgetExceededError:
            raise  # a spent budget stops the stage (to resume later); it is not an observation
        except Exception as e:  # one broken query must not end the agent's episode
            return self.layout.search_failed.format(query=query, error=f"{type(e).__name__}: {e}")
        hits = hits[: self.top_k]
        if self.exclude:
            hits = [h for h in hits if not any(e in h.url.lower() for e in self.exclude)]
        return format_results(query, hits, self.layout)

    async def __call__(self, arguments: dict[str, Any]) -> str:
        queries = parse_queries(arguments, self.layout)
        extra = queries[self.max_queries :]
        queries = queries[: self.max_queries]
        parts = list(await asyncio.gather(*(self._one(q) for q in queries)))
        if extra:
            parts.append(f"{len(extra)} more queries were not run: at most {self.max_queries} per call.")
        out = self.layout.query_separator.join(parts)
        return out.strip() if self.layout.strip_output else out
