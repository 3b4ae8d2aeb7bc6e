"""A tiny corpus-backed toolset for agent tests (search + visit over a MemoryCorpus)."""

from __future__ import annotations

from typing import Any

import pytest

from openseeker.corpus.base import MemoryCorpus
from openseeker.errors import ToolError
from openseeker.llm.types import ToolSpec
from openseeker.tools.base import Tool, Toolset

PAGES = [
    {
        "url": "https://wiki.test/Ada_Lovelace",
        "title": "Ada Lovelace",
        "text": "Ada Lovelace was an English mathematician born in 1815 in London. She worked with Charles Babbage "
        "on the Analytical Engine. " * 3,
    },
    {
        "url": "https://wiki.test/Charles_Babbage",
        "title": "Charles Babbage",
        "text": "Charles Babbage designed the Difference Engine and the Analytical Engine. He was born in 1791. "
        * 3,
    },
    {
        "url": "https://wiki.test/Analytical_Engine",
        "title": "Analytical Engine",
        "text": "The Analytical Engine was a proposed mechanical general-purpose computer designed by Babbage. "
        * 3,
    },
]


class CorpusSearch(Tool):
    spec = ToolSpec(
        "search",
        "Search the corpus.",
        {
            "type": "object",
            "properties": {"query": {"type": "array", "items": {"type": "string"}}},
            "required": ["query"],
        },
    )

    def __init__(self, corpus: MemoryCorpus):
        self.corpus = corpus

    async def __call__(self, arguments: dict[str, Any]) -> str:
        queries = arguments["query"]
        if isinstance(queries, str):
            queries = [queries]
        if not isinstance(queries, list):
            raise ValueError("query must be a list of strings")
        out = []
        for q in queries:
            hits = self.corpus.search(q, 3)
            lines = [f"{i + 1}. [{h.title}]({h.url})\n{h.snippet}" for i, h in enumerate(hits)]
            out.append(f"### Search for '{q}': {len(hits)} results\n\n" + "\n\n".join(lines))
        return "\n---\n".join(out)


class CorpusVisit(Tool):
    spec = ToolSpec(
        "visit",
        "Read pages.",
        {
            "type": "object",
            "properties": {
                "url": {"type": ["string", "array"], "items": {"type": "string"}},
                "goal": {"type": "string"},
            },
            "required": ["url", "goal"],
        },
    )

    def __init__(self, corpus: MemoryCorpus):
        self.corpus = corpus

    async def __call__(self, arguments: dict[str, Any]) -> str:
        urls = arguments["url"]
        urls = [urls] if isinstance(urls, str) else urls
        out = []
        for u in urls:
            page = self.corpus.get(u)
            if page is None:
                raise ToolError(f"page {u} not found")
            out.append(f"Content of {u} for goal {arguments['goal']}:\n{page.text}")
        return "\n---\n".join(out)


def make_toolset() -> Toolset:
    corpus = MemoryCorpus.from_records(PAGES)
    return Toolset([CorpusSearch(corpus), CorpusVisit(corpus)])


@pytest.fixture
def toolset() -> Toolset:
    return make_toolset()
