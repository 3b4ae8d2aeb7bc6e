"""``openseeker corpus serve``: one corpus as an HTTP search service for many workers.

An ASGI app (starlette) served by uvicorn in several worker processes. Every worker opens the corpus
read-only; the BM25 index (postings, term table, per-term maxima) is memory-mapped, so the workers share
one copy in the page cache and each adds only its interpreter, SQLite's small cache and a score buffer
per search thread (4 bytes per page). Searches run in a few threads per worker (``threads``), so a long
query does not stall the worker's event loop and the buffers stay bounded.

Endpoints (JSON in, JSON out):

* ``GET /health``: ``{"status": "ok", "pages": N, "search_mode": ...}``.
* ``GET /v1/info``: the corpus's counts (no degree scan).
* ``POST /v1/search`` ``{"query": q, "top_k": 10, "mode": "bm25"}`` -> ``{"hits": [hit, ...]}``; or
  ``{"queries": [...]}`` -> ``{"results": [[hit, ...], ...]}``. A hit is a
  :class:`~openseeker.corpus.base.CorpusHit` (``page_id``, ``url``, ``title``, ``snippet``, ``score``).
* ``GET /v1/page?key=K&links=out`` -> ``{"page": page, "out_links": [link, ...]}`` (404 when absent):
  the page by URL, redirect or title (``?id=N``: by id), as :func:`~openseeker.corpus.base.find_page`
  finds it; ``links=none|out|in|both``.
* ``GET /v1/pages/{id}/links?direction=out|in`` -> ``{"links": [link, ...]}``.
* ``POST /retrieve`` ``{"queries": [...], "topk": k, "return_scores": true}`` -> ``{"result": [[{"document":
  doc, "score": s}, ...], ...]}``, the retriever shape of Search-R1 and ASearcher; a document is
  ``{"id", "title", "url", "contents"}`` with ``contents`` = the quoted title, a newline and the snippet
  (the first line is the title, as in Search-R1's wiki corpus). ``return_scores: false`` gives bare
  documents, as those servers do.
* ``POST /access`` ``{"urls": [...]}`` -> ``{"result": [page or null, ...]}`` (ASearcher's page access); a
  page is ``{"url", "title", "contents", "page_id", "links": [{"url", "anchor"}, ...]}``.

Requests are bounded (body size, queries per request, ``top_k``, query length), so a hostile client cannot
make a worker allocate without limit; a bad request gets a 400 with ``{"error": ...}``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from openseeker.corpus.base import CorpusHit, Page, find_page
from openseeker.errors import ConfigError

MAX_BODY_BYTES = 1 << 20
MAX_QUERIES = 512
MAX_TOP_K = 1000
MAX_QUERY_CHARS = 4096
MAX_URLS = 256
LINK_DIRECTIONS = ("none", "out", "in", "both")
_ENV = "OPENSEEKER_SERVE"  # how the supervisor hands the settings to its worker processes


class BadRequest(Exception):
    """A request the service refuses (HTTP 400)."""


@dataclass
class ServeSettings:
    """What one service serves and how."""

    corpus: str
    search_mode: str = "bm25"
    threads: int = 4

    def to_env(self) -> str:
        return orjson.dumps(self.__dict__).decode()

    @classmethod
    def from_env(cls) -> ServeSettings:
        raw = os.environ.get(_ENV)
        if not raw:
            raise ConfigError(f"{_ENV} is not set (the app factory is for `openseeker corpus serve`)")
        return cls(**orjson.loads(raw))


def retrieve_document(hit: CorpusHit) -> dict[str, Any]:
    """A hit as a Search-R1 / ASearcher document (see the module docstring)."""
    return {
        "id": str(hit.page_id),
        "title": hit.title,
        "url": hit.url,
        "contents": f'"{hit.title}"\n{hit.snippet}',
    }


def access_page(store: Any, url: str) -> dict[str, Any] | None:
    """A page as ASearcher's ``/access`` returns it, or ``None``."""
    found = visit(store, url)
    if found is None:
        return None
    page, links = found
    return {
        "url": page.url,
        "title": page.title,
        "contents": page.text,
        "page_id": page.id,
        "links": [{"url": ln.target_url, "anchor": ln.anchor} for ln in links],
    }


def visit(store: Any, key: str | int) -> tuple[Page, list[Any]] | None:
    """The page ``key`` (see :func:`~openseeker.corpus.base.find_page`) with its out-links, or ``None``."""
    page = find_page(store, key)
    return None if page is None else (page, store.out_links(page.id))


def _int(value: Any, name: str, lo: int, hi: int, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadRequest(f"{name} must be an integer")
    try:
        n = int(value)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if not lo <= n <= hi:
        raise BadRequest(f"{name} must be between {lo} and {hi}")
    return n


def _queries(body: dict[str, Any], key: str) -> list[str]:
    qs = body.get(key)
    if not isinstance(qs, list) or not all(isinstance(q, str) for q in qs):
        raise BadRequest(f"{key!r} must be a list of strings")
    if len(qs) > MAX_QUERIES:
        raise BadRequest(f"at most {MAX_QUERIES} queries per request")
    if any(len(q) > MAX_QUERY_CHARS for q in qs):
        raise BadRequest(f"a query is longer than {MAX_QUERY_CHARS} characters")
    return qs


class CorpusService:
    """The request handlers over one open store (a worker process holds one)."""

    def __init__(self, settings: ServeSettings):
        from openseeker.corpus import open_corpus

        self.settings = settings
        self.store = open_corpus(Path(settings.corpus), settings.search_mode)
        self.store.index  # noqa: B018 - load (map) the index before the first request, not during it

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "pages": len(self.store), "search_mode": self.settings.search_mode}

    def info(self) -> dict[str, Any]:
        return self.store.info(degree_stats=False)

    def search(self, body: dict[str, Any]) -> dict[str, Any]:
        top_k = _int(body.get("top_k"), "top_k", 0, MAX_TOP_K, 10)
        mode = body.get("mode")
        if mode is not None and mode not in ("bm25", "dense", "hybrid"):
            raise BadRequest("mode must be bm25, dense or hybrid")
        if "queries" in body:
            return {
                "results": [
                    [h.to_dict() for h in self.store.search(q, top_k, mode=mode)]
                    for q in _queries(body, "queries")
                ]
            }
        query = body.get("query")
        if not isinstance(query, str) or len(query) > MAX_QUERY_CHARS:
            raise BadRequest(f"'query' must be a string of at most {MAX_QUERY_CHARS} characters")
        return {"hits": [h.to_dict() for h in self.store.search(query, top_k, mode=mode)]}

    def page(self, key: str | int, links: str) -> dict[str, Any] | None:
        if links not in LINK_DIRECTIONS:
            raise BadRequest(f"links must be one of {', '.join(LINK_DIRECTIONS)}")
        page = find_page(self.store, key)
        if page is None:
            return None
        out: dict[str, Any] = {"page": page.to_dict()}
        if links in ("out", "both"):
            out["out_links"] = [ln.to_dict() for ln in self.store.out_links(page.id)]
        if links in ("in", "both"):
            out["in_links"] = [ln.to_dict() for ln in self.store.in_links(page.id)]
        return out

    def links(self, page_id: int, direction: str) -> dict[str, Any]:
        if direction not in ("out", "in"):
            raise BadRequest("direction must be out or in")
        rows = self.store.out_links(page_id) if direction == "out" else self.store.in_links(page_id)
        return {"links": [ln.to_dict() for ln in rows]}

    def retrieve(self, body: dict[str, Any]) -> dict[str, Any]:
        queries = _queries(body, "queries")
        top_k = _int(body.get("topk"), "topk", 0, MAX_TOP_K, 3)
        scores = body.get("return_scores", True)
        result: list[list[Any]] = []
        for q in queries:
            hits = self.store.search(q, top_k)
            if scores:
                result.append([{"document": retrieve_document(h), "score": h.score} for h in hits])
            else:
                result.append([retrieve_document(h) for h in hits])
        return {"result": result}

    def access(self, body: dict[str, Any]) -> dict[str, Any]:
        urls = body.get("urls")
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls) or len(urls) > MAX_URLS:
            raise BadRequest(f"'urls' must be a list of at most {MAX_URLS} strings")
        return {"result": [access_page(self.store, u) for u in urls]}


def create_app(settings: ServeSettings) -> Any:
    """The ASGI app serving ``settings.corpus`` (see the module docstring)."""
    import anyio
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    service = CorpusService(settings)
    limiter = anyio.CapacityLimiter(max(1, settings.threads))

    def reply(value: Any, status: int = 200) -> Response:
        return Response(orjson.dumps(value), status, media_type="application/json")

    async def body_of(request: Request) -> dict[str, Any]:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise BadRequest(f"request body over {MAX_BODY_BYTES} bytes")
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > MAX_BODY_BYTES:
                raise BadRequest(f"request body over {MAX_BODY_BYTES} bytes")
        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError as e:
            raise BadRequest(f"the body is not JSON ({e})") from None
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        return body

    def endpoint(
        work: Callable[[Request], Awaitable[Callable[[], Any]]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            try:
                call = await work(request)
                value = await anyio.to_thread.run_sync(call, limiter=limiter)
            except BadRequest as e:
                return reply({"error": str(e)}, 400)
            if value is None:
                return reply({"error": "no such page"}, 404)
            return reply(value)

        return handle

    async def health(request: Request) -> Callable[[], Any]:
        return service.health

    async def info(request: Request) -> Callable[[], Any]:
        return service.info

    async def search(request: Request) -> Callable[[], Any]:
        body = await body_of(request)
        return lambda: service.search(body)

    async def page(request: Request) -> Callable[[], Any]:
        params = request.query_params
        key: str | int | None = params.get("key")
        if "id" in params:
            key = _int(params["id"], "id", 0, 2**62, 0)
        if key is None or key == "":
            raise BadRequest("a 'key' (URL or title) or 'id' parameter is required")
        found: str | int = key
        links = params.get("links", "out")
        return lambda: service.page(found, links)

    async def links(request: Request) -> Callable[[], Any]:
        page_id = _int(request.path_params["page_id"], "page id", 0, 2**62, 0)
        direction = request.query_params.get("direction", "out")
        return lambda: service.links(page_id, direction)

    async def retrieve(request: Request) -> Callable[[], Any]:
        body = await body_of(request)
        return lambda: service.retrieve(body)

    async def access(request: Request) -> Callable[[], Any]:
        body = await body_of(request)
        return lambda: service.access(body)

    routes = [
        Route("/health", endpoint(health), methods=["GET"]),
        Route("/v1/info", endpoint(info), methods=["GET"]),
        Route("/v1/search", endpoint(search), methods=["POST"]),
        Route("/v1/page", endpoint(page), methods=["GET"]),
        Route("/v1/pages/{page_id}/links", endpoint(links), methods=["GET"]),
        Route("/retrieve", endpoint(retrieve), methods=["POST"]),
        Route("/access", endpoint(access), methods=["POST"]),
    ]
    return Starlette(routes=routes)


def app_from_env() -> Any:
    """The app factory each uvicorn worker process calls (settings from the supervisor's environment)."""
    return create_app(ServeSettings.from_env())


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0: any free port), shared by the workers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve(
    settings: ServeSettings,
    sock: socket.socket,
    *,
    workers: int = 2,
    log_level: str = "warning",
) -> None:
    """Serve ``settings.corpus`` on the bound socket ``sock`` with ``workers`` processes (blocks until
    stopped by SIGINT / SIGTERM; a worker that dies is replaced)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    # fail here, in the command the user ran, rather than in every worker
    from openseeker.corpus import open_corpus

    store = open_corpus(Path(settings.corpus), settings.search_mode)
    store.index  # noqa: B018
    if store.hit_store is not None:
        store.hit_store.prefetch()  # read ahead into the page cache the workers share
    os.environ[_ENV] = settings.to_env()
    config = uvicorn.Config(
        "openseeker.corpus.serve:app_from_env",
        factory=True,
        workers=max(1, workers),
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=30,
    )
    if config.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        config.load_app()
        uvicorn.Server(config).run(sockets=[sock])
