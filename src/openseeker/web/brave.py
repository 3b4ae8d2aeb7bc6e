"""Brave Search API: ``GET {base}/res/v1/web/search`` with ``X-Subscription-Token``; results under ``web.results``."""

from __future__ import annotations

from typing import Any

import httpx

from openseeker.tools.base import SearchHit
from openseeker.web.keys import ApiKey
from openseeker.web.search_api import ApiSearch, clean, is_cjk


class BraveSearch(ApiSearch):
    """Web search through api.search.brave.com."""

    name = "brave"
    default_base_url = "https://api.search.brave.com"
    default_key_env = "BRAVE_API_KEY"
    default_cost = 0.005  # list price per request of the paid plan; set tools.options.brave.cost_per_call
    max_top_k = 20

    def build(self, client: httpx.AsyncClient, key: ApiKey | None, query: str, top_k: int) -> httpx.Request:
        headers = {"Accept": "application/json"}
        if key is not None:
            headers["X-Subscription-Token"] = key.reveal()
        params: dict[str, Any] = {"q": query, "count": top_k}
        if is_cjk(query):
            params["search_lang"] = "zh-hans"
        return client.build_request(
            "GET", f"{self.settings.base_url}/res/v1/web/search", params=params, headers=headers
        )

    def parse(self, data: Any) -> list[SearchHit]:
        hits = []
        for i, r in enumerate((data.get("web") or {}).get("results") or []):
            profile = r.get("profile") or {}
            hits.append(
                SearchHit(
                    title=clean(r.get("title")),
                    url=clean(r.get("url")),
                    snippet=clean(r.get("description")),
                    date=clean(r.get("page_age") or r.get("age")) or None,
                    source=clean(profile.get("name")) or None,
                    score=float(i + 1),
                )
            )
        return hits
