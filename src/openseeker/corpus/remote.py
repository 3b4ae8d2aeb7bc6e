"""``RemoteCorpus``: the :class:`~openseeker.corpus.base.Corpus` of a corpus service, read over HTTP.

``open_corpus("http://host:8000")`` returns one, so everything that reads a corpus (the search and visit
tools through ``tools.corpus``, QA synthesis's graph walks) works against ``openseeker corpus serve``
(:mod:`openseeker.corpus.serve`) as it does against a local directory, with the same results. Sync calls
share one pooled ``httpx.Client`` (thread-safe); the tools' async calls use an ``httpx.AsyncClient`` per
event loop, so many rollouts of one process keep requests in flight without a thread each.

A service that cannot be reached or answers with a server error raises
:class:`~openseeker.errors.PrerequisiteError` / :class:`~openseeker.errors.DataError` (the input fails and is
retried on the next run), never a tool observation: an agent must not learn that "search found nothing"
when the service was down.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import httpx
import orjson

from openseeker.corpus.base import CorpusHit, Link, Page
from openseeker.errors import DataError, PrerequisiteError

_TRANSPORT_RETRIES = 3  # connection attempts (a worker restarting, a full backlog)


def is_service_url(location: str | Any) -> bool:
    """Whether a corpus location names a corpus service (``http://`` / ``https://``) rather than a folder."""
    return isinstance(location, str) and location.startswith(("http://", "https://"))


def _page(d: dict[str, Any]) -> Page:
    return Page.from_dict(d)


def _links(rows: list[dict[str, Any]]) -> list[Link]:
    return [Link.from_dict(r) for r in rows]


class RemoteCorpus:
    """A corpus service at ``url`` (see the module docstring).

    Args:
        url: the service's base URL, e.g. ``http://10.0.0.5:8000``.
        timeout: seconds one request may take.
        search_mode: ``bm25`` / ``dense`` / ``hybrid`` for every search (default: the service's mode).
    """

    def __init__(self, url: str, *, timeout: float = 60.0, search_mode: str | None = None):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.search_mode = search_mode
        self._client = httpx.Client(
            base_url=self.url,
            timeout=timeout,
            transport=httpx.HTTPTransport(retries=_TRANSPORT_RETRIES),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._len = int(self._request("GET", "/health")["pages"])

    # -- transport -------------------------------------------------------------------------------------

    def _fail(self, e: Exception) -> Exception:
        return PrerequisiteError(
            f"no corpus service at {self.url} ({type(e).__name__}: {e}); start it with "
            "`openseeker corpus serve CORPUS --host H --port P` or fix tools.corpus"
        )

    def _decode(self, r: httpx.Response, path: str) -> Any:
        if r.status_code == 404:
            return None
        if r.status_code >= 400:
            raise DataError(
                f"the corpus service answered {r.status_code}: {r.text[:300]}", path=self.url + path
            )
        return orjson.loads(r.content)

    def _request(self, method: str, path: str, **kw: Any) -> Any:
        try:
            r = self._client.request(method, path, **kw)
        except httpx.TransportError as e:
            raise self._fail(e) from e
        return self._decode(r, path)

    def _aclient(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            client = self._async[loop] = httpx.AsyncClient(
                base_url=self.url,
                timeout=self.timeout,
                transport=httpx.AsyncHTTPTransport(retries=_TRANSPORT_RETRIES),
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            )
        return client

    async def _arequest(self, method: str, path: str, **kw: Any) -> Any:
        try:
            r = await self._aclient().request(method, path, **kw)
        except httpx.TransportError as e:
            raise self._fail(e) from e
        return self._decode(r, path)

    # -- Corpus protocol -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._len

    def page_ids(self) -> range:
        """Every page id (ids are dense: ``0..len-1``)."""
        return range(self._len)

    @staticmethod
    def _page_params(key: int | str, links: str) -> dict[str, Any]:
        return {"id": key, "links": links} if isinstance(key, int) else {"key": key, "links": links}

    def get(self, key: int | str) -> Page | None:
        """A page by id, URL, redirect or title (as the service's store finds it); ``None`` if absent."""
        d = self._request("GET", "/v1/page", params=self._page_params(key, "none"))
        return None if d is None else _page(d["page"])

    def out_links(self, page_id: int) -> list[Link]:
        return _links(
            self._request("GET", f"/v1/pages/{int(page_id)}/links", params={"direction": "out"})["links"]
        )

    def in_links(self, page_id: int) -> list[Link]:
        return _links(
            self._request("GET", f"/v1/pages/{int(page_id)}/links", params={"direction": "in"})["links"]
        )

    def _search_body(self, query: str, top_k: int, mode: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"query": query, "top_k": top_k}
        if mode or self.search_mode:
            body["mode"] = mode or self.search_mode
        return body

    def search(self, query: str, top_k: int = 10, mode: str | None = None) -> list[CorpusHit]:
        d = self._request("POST", "/v1/search", content=orjson.dumps(self._search_body(query, top_k, mode)))
        return [CorpusHit.from_dict(h) for h in d["hits"]]

    # -- one round trip per tool call ------------------------------------------------------------------

    def visit(self, key: int | str) -> tuple[Page, list[Link]] | None:
        """The page ``key`` with its out-links (one request; a URL's trailing slash is optional)."""
        d = self._request("GET", "/v1/page", params=self._page_params(key, "out"))
        return None if d is None else (_page(d["page"]), _links(d["out_links"]))

    async def avisit(self, key: int | str) -> tuple[Page, list[Link]] | None:
        """:meth:`visit`, without a thread."""
        d = await self._arequest("GET", "/v1/page", params=self._page_params(key, "out"))
        return None if d is None else (_page(d["page"]), _links(d["out_links"]))

    async def asearch(self, query: str, top_k: int = 10, mode: str | None = None) -> list[CorpusHit]:
        """:meth:`search`, without a thread."""
        body = orjson.dumps(self._search_body(query, top_k, mode))
        d = await self._arequest("POST", "/v1/search", content=body)
        return [CorpusHit.from_dict(h) for h in d["hits"]]

    def info(self, degree_stats: bool = False) -> dict[str, Any]:
        """The service's corpus counts (never the degree scan, which is for the local ``corpus info``)."""
        return self._request("GET", "/v1/info")  # type: ignore[no-any-return]

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"RemoteCorpus({self.url!r}, pages={self._len})"
