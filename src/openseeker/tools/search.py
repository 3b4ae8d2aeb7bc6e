"""The ``search`` tool: several queries in one call, the top results of each as a Markdown list.

The layout follows the search tool the OpenSeeker models were trained with (METHOD.md 6.1): per query a
``###`` heading with the query and the number of results, then numbered ``[title](url)`` entries with
optional ``Date published:`` / ``Source:`` lines and the snippet; queries are separated by a ``---`` line.
No results, or a failing backend for one query, is text the agent reads, never an exception.
"""

from __future__ import annotations

import asyncio
from typing import Any

from openseeker.errors import BudgetExceededError, ToolError
from openseeker.llm.types import ToolSpec
from openseeker.tools.base import SearchBackend, SearchHit, Tool

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

SEPARATOR = "\n---\n"


def format_results(query: str, hits: list[SearchHit]) -> str:
    """One query's results in the trained layout."""
    if not hits:
        return (
            f"No results were found for '{query}'. Try fewer or more general words, another spelling, or a "
            "query in another language."
        )
    entries = []
    for i, h in enumerate(hits, 1):
        lines = [f"{i}. [{h.title}]({h.url})"]
        if h.date:
            lines.append(f"Date published: {h.date}")
        if h.source:
            lines.append(f"Source: {h.source}")
        entry = "\n".join(lines)
        if h.snippet:
            entry += "\n\n" + h.snippet
        entries.append(entry)
    noun = "result" if len(hits) == 1 else "results"
    return f"### The search for '{query}' found {len(hits)} {noun}:\n\n" + "\n\n".join(entries)


def parse_queries(arguments: dict[str, Any]) -> list[str]:
    """The queries of a call: an array of strings, or a single string; empty ones are dropped."""
    if "query" not in arguments:
        raise ToolError("the search tool needs a 'query' argument: an array of query strings")
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
    """

    def __init__(self, backend: SearchBackend, top_k: int = 10, max_queries: int = 10):
        self.backend = backend
        self.top_k = top_k
        self.max_queries = max_queries
        self.spec = SEARCH_SPEC

    async def _one(self, query: str) -> str:
        try:
            hits = await self.backend.search(query, self.top_k)
        except ToolError as e:
            return f"The search for '{query}' failed: {e}"
        except BudgetExceededError:
            raise  # a spent budget stops the stage (to resume later); it is not an observation
        except Exception as e:  # one broken query must not end the agent's episode
            return f"The search for '{query}' failed ({type(e).__name__}: {e})."
        return format_results(query, hits[: self.top_k])

    async def __call__(self, arguments: dict[str, Any]) -> str:
        queries = parse_queries(arguments)
        extra = queries[self.max_queries :]
        queries = queries[: self.max_queries]
        parts = list(await asyncio.gather(*(self._one(q) for q in queries)))
        if extra:
            parts.append(f"{len(extra)} more queries were not run: at most {self.max_queries} per call.")
        return SEPARATOR.join(parts)
