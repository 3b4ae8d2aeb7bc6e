"""The common part of the web search providers: settings, keys, the HTTP call, JSON parsing, batching.

A provider subclass says how to build its request (:meth:`ApiSearch.build`) and how to read its reply
(:meth:`ApiSearch.parse`); everything else (retries, key rotation, size limits, error messages) is here.
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import httpx
import orjson

from openseeker.errors import ToolError
from openseeker.tools.base import SearchHit
from openseeker.tools.config import ToolsConfig
from openseeker.web.http import ApiCaller
from openseeker.web.keys import ApiKey, KeyPool
from openseeker.web.settings import BackendSettings

# CJK Unified Ideographs (the range the official tool tests), plus extension A and compatibility ideographs
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def is_cjk(text: str) -> bool:
    """Whether ``text`` holds a Chinese/Japanese/Korean ideograph (switches the search locale)."""
    return bool(_CJK.search(text))


def clean(value: Any) -> str:
    """A provider field as a stripped string ("" for missing)."""
    return "" if value is None else str(value).strip()


class ApiSearch(ABC):
    """A search provider reached over HTTP with a JSON reply."""

    name: str
    default_base_url: ClassVar[str] = ""
    default_key_env: ClassVar[str | list[str] | None] = None
    key_required: ClassVar[bool] = True
    default_cost: ClassVar[float] = 0.0
    max_top_k: ClassVar[int] = 100

    def __init__(self, cfg: ToolsConfig, *, keys: KeyPool | None = None):
        self.settings = BackendSettings.from_config(
            cfg,
            self.name,
            base_url=self.default_base_url,
            key_env=self.default_key_env,
            cost_per_call=self.default_cost,
        )
        if not self.settings.base_url:
            raise self._missing_base_url()
        if keys is None:
            env = self.settings.key_env
            keys = (
                KeyPool.from_env(self.name, env, rpm=self.settings.rpm, required=self.key_required)
                if env
                else KeyPool(self.name, [], self.settings.rpm)
            )
        self.keys = keys
        self.caller = ApiCaller(self.name, self.settings, keys)
        self.top_k_default = cfg.top_k

    def _missing_base_url(self) -> Exception:
        from openseeker.errors import ConfigError

        return ConfigError(f"The {self.name} backend needs tools.options.{self.name}.base_url.")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.settings.base_url!r}, keys={self.keys.active})"

    @property
    def cost_per_call(self) -> float:
        return self.settings.cost_per_call

    @abstractmethod
    def build(self, client: httpx.AsyncClient, key: ApiKey | None, query: str, top_k: int) -> httpx.Request:
        """The HTTP request for one query."""

    @abstractmethod
    def parse(self, data: Any) -> list[SearchHit]:
        """Hits from the decoded JSON reply (raise ``KeyError``/``TypeError`` on a wrong shape)."""

    async def search(self, query: str, top_k: int = 10) -> list[SearchHit]:
        """Search the web for ``query``; ``[]`` when nothing matches.

        Raises:
            ToolError: the query is empty, or the provider failed or answered garbage.
        """
        query = " ".join(query.split())
        if not query:
            raise ToolError("The search query is empty. Give a few keywords.")
        top_k = max(1, min(int(top_k), self.max_top_k))
        resp = await self.caller.call(lambda client, key: self.build(client, key, query, top_k))
        return self._decode(resp.body, resp.status)[:top_k]

    async def search_batch(self, queries: list[str], top_k: int = 10) -> list[list[SearchHit] | ToolError]:
        """Run several queries concurrently (bounded by ``concurrency``); failures come back in place."""

        async def one(q: str) -> list[SearchHit] | ToolError:
            try:
                return await self.search(q, top_k)
            except ToolError as e:
                return e

        return list(await asyncio.gather(*(one(q) for q in queries)))

    def _decode(self, body: bytes, status: int) -> list[SearchHit]:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ToolError(
                f"The {self.name} service answered with a body that is not JSON "
                f"(HTTP {status}, {len(body)} bytes). Try again later."
            ) from None
        try:
            hits = self.parse(data)
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            raise ToolError(
                f"The {self.name} service answered JSON of an unexpected shape ({type(e).__name__}: "
                f"{e}). Try again later."
            ) from None
        return [h for h in hits if h.url.startswith(("http://", "https://"))]
