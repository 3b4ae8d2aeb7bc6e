"""SearXNG (self-hosted metasearch): ``GET {base}/search?format=json``. Needs ``base_url``; no key by
default (set ``key_env`` when the instance sits behind a bearer-token proxy). The JSON format must be
enabled in the instance's ``settings.yml`` (``search.formats: [html, json]``)."""

from __future__ import annotations

from typing import Any

import httpx

from openseeker.tools.base import SearchHit
from openseeker.web.keys import ApiKey
from openseeker.web.search_api import ApiSearch, clean, is_cjk


class SearxngSearch(ApiSearch):
    """Web search through a SearXNG instance."""

    name = "searxng"
    default_base_url = ""
    default_key_env = None
    key_required = False
    max_top_k = 50

    def build(self, client: httpx.AsyncClient, key: ApiKey | None, query: str, top_k: int) -> httpx.Request:
        headers = {"Accept": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key.reveal()}"
        params = {"q": query, "format": "json", "language": "zh-CN" if is_cjk(query) else "en"}
        return client.build_request("GET", f"{self.settings.base_url}/search", params=params, headers=headers)

    def parse(self, data: Any) -> list[SearchHit]:
        hits = []
        for r in data.get("results") or []:
            score = r.get("score")
            hits.append(
                SearchHit(
                    title=clean(r.get("title")),
                    url=clean(r.get("url")),
                    snippet=clean(r.get("content")),
                    date=clean(r.get("publishedDate")) or None,
                    source=clean(r.get("engine")) or None,
                    score=float(score) if isinstance(score, int | float) else None,
                )
            )
        return hits
