"""The search tool: schema, batched queries, layout, empty results and backend failures as observations."""

from __future__ import annotations

import asyncio
from pathlib import Path

from openseeker.corpus.backends import CorpusSearch, shared_corpus
from openseeker.errors import ToolError
from openseeker.llm.types import ToolCall
from openseeker.tools.base import SearchHit, Toolset
from openseeker.tools.search import SEARCH_SPEC, SearchTool


class _Backend:
    name = "fake"

    def __init__(self) -> None:
        self.queries: list[str] = []

    async def search(self, query: str, top_k: int = 10) -> list[SearchHit]:
        self.queries.append(query)
        if query == "boom":
            raise ToolError("the search API timed out")
        if query == "none":
            return []
        return [
            SearchHit(
                f"T{i}",
                f"https://x.test/{i}",
                f"snippet {i}",
                date="2024-05-01" if i == 0 else None,
                source="x.test" if i == 0 else None,
            )
            for i in range(15)
        ]


def _run(tool: SearchTool, args: dict) -> str:
    return asyncio.run(tool(args))


def test_schema_matches_method() -> None:
    p = SEARCH_SPEC.parameters
    assert SEARCH_SPEC.name == "search"
    assert p["properties"]["query"] == {
        **p["properties"]["query"],
        "type": "array",
        "items": {"type": "string"},
    }
    assert p["required"] == ["query"]


def test_layout_and_top_k() -> None:
    b = _Backend()
    text = _run(SearchTool(b, top_k=10), {"query": ["alpha", "beta"]})
    first, second = text.split("\n---\n")
    assert first.startswith(
        "### The search for 'alpha' found 10 results:\n\n1. [T0](https://x.test/0)\n"
        "Date published: 2024-05-01\nSource: x.test\n\nsnippet 0\n\n2. [T1](https://x.test/1)"
    )
    assert "11. [" not in first
    assert second.startswith("### The search for 'beta'")
    assert sorted(b.queries) == ["alpha", "beta"]


def test_single_string_empty_and_failure_are_observations() -> None:
    b = _Backend()
    assert _run(SearchTool(b), {"query": "alpha"}).startswith("### The search for 'alpha'")
    text = _run(SearchTool(b), {"query": ["none", "boom"]})
    none, boom = text.split("\n---\n")
    assert none.startswith("No results were found for 'none'")
    assert boom == "The search for 'boom' failed: the search API timed out"


def test_bad_arguments_become_error_results() -> None:
    ts = Toolset([SearchTool(_Backend())])
    r = asyncio.run(ts.call(ToolCall("search", {"query": []})))
    assert r.error and "empty" in r.content
    r = asyncio.run(ts.call(ToolCall("search", {"q": "x"})))
    assert r.error and "'query'" in r.content


def test_over_local_corpus(corpus_dir: Path) -> None:
    tool = SearchTool(CorpusSearch(shared_corpus(corpus_dir)))
    text = _run(tool, {"query": ["Eiffel Tower completed", "故宫", "qqqzzz"]})
    paris, beijing, nothing = text.split("\n---\n")
    assert "1. [Paris](https://w.test/Paris)" in paris and "1889" in paris
    assert "1. [北京](https://w.test/Beijing)" in beijing
    assert nothing.startswith("No results")


def test_v1_layout_is_the_trained_one() -> None:
    from openseeker.tools.layout import OPENSEEKER_V1

    hits = [SearchHit("Only", "https://x.test/o", "Your browser can't play this video.A snippet")]
    text = _run(SearchTool(_Backend(), layout=OPENSEEKER_V1), {"query": "boom"})
    assert text == "Google search Timeout, return None, Please try again later."
    from openseeker.tools.search import format_results

    # plural even for one result; a snippet-less entry ends with a newline; the scrubbed video notice
    assert format_results("q", hits, OPENSEEKER_V1) == (
        "### A Google search for 'q' found 1 results:\n\n1. [Only](https://x.test/o)\n\nA snippet"
    )
    assert format_results("q", [SearchHit("T", "u")], OPENSEEKER_V1).endswith("1. [T](u)\n")
    ts = Toolset([SearchTool(_Backend())], OPENSEEKER_V1)
    ts.use_layout(OPENSEEKER_V1)
    r = asyncio.run(ts.call(ToolCall("search", {"q": "x"})))
    assert r.content == "[Search] Invalid request format: Input must be a JSON object containing 'query' field"
    r = asyncio.run(ts.call(ToolCall("find", {})))
    assert r.content == "Unknown tool or call tool with incorrect format."
