"""A scriptable local HTTP server (threads on 127.0.0.1) that imitates the web providers in tests."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from openseeker.tools.config import ToolsConfig


@dataclass
class Resp:
    """One scripted response. ``delay`` sleeps before answering; ``drop`` closes without answering;
    ``length=False`` omits Content-Length (body ends with the connection); ``drip`` sends the body one
    byte at a time, that many seconds apart (a server that is slow on purpose)."""

    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    length: bool = True
    drip: float = 0.0

    def payload(self) -> bytes:
        if isinstance(self.body, dict | list):
            return orjson.dumps(self.body)
        return self.body.encode() if isinstance(self.body, str) else self.body


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


Route = Callable[[Request], Resp]


class LocalServer:
    """Routes by path; a path's queued responses are served first, then its route function."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.queues: dict[str, deque[Resp]] = {}
        self.requests: list[Request] = []
        self.dripped = 0  # bytes sent by drip responses
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                n = int(self.headers.get("content-length") or 0)
                req = Request(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(n) if n else b"",
                )
                server.requests.append(req)
                queue = server.queues.get(parts.path)
                if queue:
                    resp = queue.popleft()
                else:
                    route = server.routes.get(parts.path) or server.routes.get("*")
                    resp = route(req) if route else Resp(404, "not found")
                if resp.delay:
                    time.sleep(resp.delay)
                if resp.drop:
                    self.close_connection = True
                    return
                body = resp.payload()
                self.send_response(resp.status)
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                if resp.length:
                    self.send_header("Content-Length", str(len(body)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                try:
                    if resp.drip:
                        for i in range(len(body)):
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                            server.dripped += 1
                            time.sleep(resp.drip)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, fn: Route | Resp) -> None:
        self.routes[path] = fn if callable(fn) else (lambda _req, r=fn: r)

    def queue(self, path: str, *resps: Resp) -> None:
        self.queues.setdefault(path, deque()).extend(resps)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


FAST = {"backoff": 0.01, "timeout": 2.0}


def make_cfg(server: LocalServer | None = None, **kw: Any) -> ToolsConfig:
    """A ToolsConfig whose providers all point at ``server``, with fast retries and local targets allowed."""
    options: dict[str, Any] = {}
    if server is not None:
        for name in ("serper", "tavily", "brave", "searxng", "jina"):
            options[name] = {"base_url": server.url, **FAST}
        options["http"] = dict(FAST)
    options["safety"] = {"allow_private": ["127.0.0.1"]}
    for k, v in kw.pop("options", {}).items():
        options[k] = {**options[k], **v} if isinstance(v, dict) and isinstance(options.get(k), dict) else v
    return ToolsConfig(options=options, **kw)
