"""Serper (Google results): ``POST {base}/search`` with ``X-API-KEY``, as the official OpenSeeker tool.

A query holding a CJK ideograph is sent with the Chinese locale (``gl=cn``, ``hl=zh-cn``, location
China), any other with the US English one, as the paper's tool does.
"""

from __future__ import annotations

from typing import Any

import httpx

from openseeker.tools.base import SearchHit
from openseeker.web.keys import ApiKey
from openseeker.web.search_api import ApiSearch, clean, is_cjk


def serper_locale(query: str) -> dict[str, str]:
    """The locale fields of a Serper request for ``query``."""
    if is_cjk(query):
        return {"location": "China", "gl": "cn", "hl": "zh-cn"}
    return {"location": "United States", "gl": "us", "hl": "en"}


class SerperSearch(ApiSearch):
    """Google search through serper.dev."""

    name = "serper"
    default_base_url = "https://google.serper.dev"
    default_key_env = ["SERPER_API_KEY", "SERPER_KEY_ID"]  # the second is the official tool's name
    default_cost = 0.001  # list price of the smallest plan, per query; set tools.options.serper.cost_per_call
    max_top_k = 100

    def build(self, client: httpx.AsyncClient, key: ApiKey | None, query: str, top_k: int) -> httpx.Request:
        body: dict[str, Any] = {"q": query, **serper_locale(query)}
        if top_k != 10:  # Serper's default is 10; leaving it out keeps requests identical to the paper's
            body["num"] = top_k
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["X-API-KEY"] = key.reveal()
        return client.build_request("POST", f"{self.settings.base_url}/search", json=body, headers=headers)

    def parse(self, data: Any) -> list[SearchHit]:
        hits = []
        for i, r in enumerate(data.get("organic") or []):
            hits.append(
                SearchHit(
                    title=clean(r.get("title")),
                    url=clean(r.get("link")),
                    snippet=clean(r.get("snippet")),
                    date=clean(r.get("date")) or None,
                    source=clean(r.get("source")) or None,
                    score=float(r.get("position") or i + 1),
                )
            )
        return hits
