"""Tavily: ``POST {base}/search`` with ``Authorization: Bearer <key>``; results under ``results``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from openseeker.tools.base import SearchHit
from openseeker.web.keys import ApiKey
from openseeker.web.search_api import ApiSearch, clean


class TavilySearch(ApiSearch):
    """Web search through api.tavily.com (basic depth)."""

    name = "tavily"
    default_base_url = "https://api.tavily.com"
    default_key_env = "TAVILY_API_KEY"
    default_cost = 0.008  # one credit at the pay-as-you-go price; set tools.options.tavily.cost_per_call
    max_top_k = 20

    def build(self, client: httpx.AsyncClient, key: ApiKey | None, query: str, top_k: int) -> httpx.Request:
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key.reveal()}"
        body = {"query": query, "max_results": top_k, "search_depth": "basic", "include_answer": False}
        return client.build_request("POST", f"{self.settings.base_url}/search", json=body, headers=headers)

    def parse(self, data: Any) -> list[SearchHit]:
        hits = []
        for r in data.get("results") or []:
            url = clean(r.get("url"))
            score = r.get("score")
            hits.append(
                SearchHit(
                    title=clean(r.get("title")),
                    url=url,
                    snippet=clean(r.get("content")),
                    date=clean(r.get("published_date")) or None,
                    source=urlsplit(url).hostname or None,
                    score=float(score) if isinstance(score, int | float) else None,
                )
            )
        return hits
