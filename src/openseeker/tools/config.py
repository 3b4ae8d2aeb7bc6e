"""Which backends the ``search`` and ``visit`` tools run on. Switching between a local corpus and the web
is a change of these fields only."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from openseeker.config import StrictModel


class ToolsConfig(StrictModel):
    """Tool backends and limits, shared by QA synthesis, trajectory synthesis and evaluation."""

    search: str = Field(default="corpus", description="search backend: corpus, serper, tavily, brave, searxng, replay")
    fetch: str = Field(default="corpus", description="page fetcher for visit: corpus, jina, http, replay")
    corpus: str | None = Field(default=None, description="corpus directory (for the corpus backends)")
    top_k: int = 10
    visit_mode: Literal["auto", "raw", "extract"] = Field(
        default="auto", description="extract = goal-conditioned evidence+summary by the summarizer; auto = extract "
        "when a summarizer is configured"
    )
    max_page_chars: int = 60_000
    chunk_chars: int = 24_000
    cache: str | None = Field(default=None, description="path of the persistent tool-call cache (SQLite)")
    blocklist: list[str] = Field(default_factory=list, description="extra blocked domains (benchmark answer hosts are "
                                 "blocked by default)")
    options: dict[str, Any] = Field(default_factory=dict, description="backend-specific options (keys by env name)")
