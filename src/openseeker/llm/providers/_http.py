"""HTTP plumbing shared by the ``openai`` and ``completions`` providers.

Two transports send a JSON POST and return ``(status, headers, body)``:

* :class:`FastTransport`, a lean HTTP/1.1 keep-alive client written on :class:`asyncio.Protocol`. It
  is the default for ``http://`` endpoints (local vLLM / SGLang / llama.cpp servers driven at high
  concurrency). Measured in ``benchmarks/llm_client.py``: httpx's connection pool does work per request
  that grows with the number of pooled connections, which at 200 connections cost ~6 ms of CPU per
  request; this client needs a small fraction of that.
* :class:`HttpxTransport`, httpx for ``https://`` endpoints (TLS, proxies, HTTP quirks of public APIs),
  sharded over several small clients to keep httpx's per-pool cost low.

Both raise only openseeker errors: :class:`LLMServerError` for connection failures and drops,
:class:`LLMTimeoutError` for timeouts. :func:`raise_for_status` maps HTTP statuses and error bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ipaddress
import itertools
import re
import ssl
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

import orjson

from openseeker.errors import (
    ContextLengthError,
    LLMError,
    LLMRateLimitError,
    LLMResponseError,
    LLMServerError,
    LLMTimeoutError,
)


@dataclass
class HTTPResponse:
    """A complete HTTP response (headers lower-cased)."""

    status: int
    headers: dict[str, str]
    body: bytes


class Transport(Protocol):
    """What the providers need from an HTTP client."""

    async def request(self, method: str, path: str, payload: bytes | None, timeout: float) -> HTTPResponse:
        """Send one request to ``base_url + path`` and read the whole response."""
        ...

    async def aclose(self) -> None:
        """Close every connection."""
        ...


def is_local_url(url: str) -> bool:
    """Whether ``url`` points at this machine (where no API key is needed)."""
    host = (urlsplit(url).hostname or "").lower()
    if host in ("localhost", "0.0.0.0", "host.docker.internal") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------------------- the lean HTTP/1.1 client
class _Dropped(Exception):
    """The server closed the connection before a complete response."""


class _Expired(Exception):
    """No complete response within the timeout."""


def _expire(fut: asyncio.Future[HTTPResponse]) -> None:
    if not fut.done():
        fut.set_exception(_Expired())


class _ClientConn(asyncio.Protocol):
    """One keep-alive connection; parses responses with a content-length, chunked or read-to-close body."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[HTTPResponse] | None = None
        self.head: tuple[int, dict[str, str]] | None = None
        self.lost = False
        self.reusable = True
        self.got_bytes = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop transports are not subclasses
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            if self.head is not None and self._mode() == "close":
                self._finish(bytes(self.buf))
            else:
                self.waiter.set_exception(_Dropped(str(exc) if exc else "connection closed by the server"))

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        self.buf += data
        if self.waiter is None or self.waiter.done():
            return
        try:
            self._parse()
        except Exception as e:  # a malformed response: fail this request, drop the connection
            self.reusable = False
            if not self.waiter.done():
                self.waiter.set_exception(_Dropped(f"malformed HTTP response: {e}"))

    def _mode(self) -> str:
        assert self.head is not None
        h = self.head[1]
        if "content-length" in h:
            return "length"
        if "chunked" in h.get("transfer-encoding", "").lower():
            return "chunked"
        return "close"

    def _parse(self) -> None:
        if self.head is None:
            i = self.buf.find(b"\r\n\r\n")
            if i < 0:
                return
            lines = bytes(self.buf[:i]).decode("latin-1").split("\r\n")
            del self.buf[: i + 4]
            status = int(lines[0].split(" ", 2)[1])
            headers: dict[str, str] = {}
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                headers[k.strip().lower()] = v.strip()
            self.head = (status, headers)
            if headers.get("connection", "").lower() == "close":
                self.reusable = False
        if self.head[0] in (204, 304):
            self._finish(b"")
            return
        mode = self._mode()
        if mode == "length":
            n = int(self.head[1]["content-length"])
            if len(self.buf) >= n:
                body = bytes(self.buf[:n])
                del self.buf[:n]
                self._finish(body)
        elif mode == "chunked":
            self._parse_chunked()
        else:
            self.reusable = False  # body ends when the server closes

    def _parse_chunked(self) -> None:
        out = bytearray()
        pos = 0
        buf = self.buf
        while True:
            j = buf.find(b"\r\n", pos)
            if j < 0:
                return
            size = int(bytes(buf[pos:j]).split(b";", 1)[0], 16)
            if size == 0:
                end = buf.find(b"\r\n\r\n", j)  # the last chunk, then (empty) trailers
                if end < 0:
                    return
                del buf[: end + 4]
                self._finish(bytes(out))
                return
            start = j + 2
            if len(buf) < start + size + 2:
                return
            out += buf[start : start + size]
            pos = start + size + 2

    def _finish(self, body: bytes) -> None:
        assert self.head is not None and self.waiter is not None
        status, headers = self.head
        self.head = None
        if not self.waiter.done():
            self.waiter.set_result(HTTPResponse(status, headers, body))


class FastTransport:
    """A minimal asyncio HTTP/1.1 client with a keep-alive pool of at most ``max_connections``.

    Args:
        base_url: e.g. ``http://127.0.0.1:8000/v1`` (``https`` works too, with the system CA store).
        headers: sent with every request (the Authorization header lives here and nowhere else).
        max_connections: the most connections open at once; further requests wait for a free one.
        connect_timeout: seconds to establish a connection.
    """

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        max_connections: int = 256,
        connect_timeout: float = 10.0,
    ):
        u = urlsplit(base_url)
        self.scheme = u.scheme or "http"
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or (443 if self.scheme == "https" else 80)
        self.prefix = u.path.rstrip("/")
        host_header = self.host if u.port is None else f"{self.host}:{u.port}"
        fixed = {
            "host": host_header,
            "user-agent": "openseeker",
            "accept": "application/json",
            "content-type": "application/json",
            **{k.lower(): v for k, v in headers.items()},
        }
        self._head_suffix = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode("latin-1")
        self._idle: deque[_ClientConn] = deque()
        self._max = max_connections
        self._sem: asyncio.Semaphore | None = None  # created on first use, in the running loop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._all: set[_ClientConn] = set()
        self.connect_timeout = connect_timeout
        self._ssl: ssl.SSLContext | None = ssl.create_default_context() if self.scheme == "https" else None

    def __repr__(self) -> str:  # never shows the headers (they hold the key)
        return f"<FastTransport {self.scheme}://{self.host}:{self.port}{self.prefix}>"

    def _bind_loop(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # a new event loop (asyncio.run called again): old connections belong to the old loop
            self._loop = loop
            self._idle.clear()
            self._all.clear()
            self._sem = asyncio.Semaphore(self._max)
        assert self._sem is not None
        return self._sem

    async def _connect(self) -> _ClientConn:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                transport, conn = await loop.create_connection(
                    _ClientConn,
                    self.host,
                    self.port,
                    ssl=self._ssl,
                    server_hostname=self.host if self._ssl else None,
                )
        except TimeoutError as e:
            raise LLMTimeoutError(
                f"connecting to {self.host}:{self.port} timed out after {self.connect_timeout:g} s"
            ) from e
        except OSError as e:
            raise LLMServerError(
                f"cannot connect to {self.scheme}://{self.host}:{self.port} ({e.strerror or e}); is the server running?"
            ) from e
        if conn.transport is None:  # uvloop calls connection_made only on its next iteration
            conn.transport = transport  # (uvloop transports are not subclasses of asyncio.Transport)
        self._all.add(conn)
        return conn

    async def request(self, method: str, path: str, payload: bytes | None, timeout: float) -> HTTPResponse:
        sem = self._bind_loop()
        head = (f"{method} {self.prefix}{path} HTTP/1.1\r\ncontent-length: {len(payload or b'')}\r\n").encode(
            "latin-1"
        )
        data = head + self._head_suffix + b"\r\n" + (payload or b"")
        async with sem:
            for attempt in range(2):
                conn: _ClientConn | None = None
                while self._idle and conn is None:
                    c = self._idle.pop()
                    if c.lost:  # closed by the server while idle
                        self._all.discard(c)
                    else:
                        conn = c
                reused = conn is not None
                if conn is None:
                    conn = await self._connect()
                fut: asyncio.Future[HTTPResponse] = asyncio.get_running_loop().create_future()
                conn.waiter, conn.head, conn.got_bytes = fut, None, False
                conn.buf.clear()
                assert conn.transport is not None
                conn.transport.write(data)
                ok = False
                # a bare timer on the future is cheaper than asyncio.timeout() (no task bookkeeping)
                timer = asyncio.get_running_loop().call_later(timeout, _expire, fut)
                try:
                    resp = await fut
                    ok = True
                except _Expired as e:
                    raise LLMTimeoutError(
                        f"no response from {self.host}:{self.port}{self.prefix}{path} within {timeout:g} s"
                    ) from e
                except _Dropped as e:
                    # a kept-alive connection the server had already closed: retry once on a new one
                    if reused and not conn.got_bytes and attempt == 0:
                        continue
                    raise LLMServerError(f"{self.host}:{self.port} dropped the connection ({e})") from e
                finally:
                    timer.cancel()
                    conn.waiter = None
                    if ok and conn.reusable and not conn.lost:
                        self._idle.append(conn)
                    else:
                        self._all.discard(conn)
                        if conn.transport is not None:
                            conn.transport.abort()
                return resp
        raise LLMServerError(f"{self.host}:{self.port} dropped the connection twice")

    async def aclose(self) -> None:
        for c in list(self._all):
            if c.transport is not None:
                c.transport.close()
        self._all.clear()
        self._idle.clear()


# ---------------------------------------------------------------------------- httpx
class HttpxTransport:
    """httpx, sharded over ``shards`` clients (httpx's pool bookkeeping grows with its size)."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        max_connections: int = 256,
        connect_timeout: float = 10.0,
        shards: int | None = None,
    ):
        import httpx

        self._httpx = httpx
        n = shards or max(1, min(16, max_connections // 16))
        per = max(1, -(-max_connections // n))
        self._clients = [
            httpx.AsyncClient(
                base_url=base_url.rstrip("/"),
                headers=headers,
                limits=httpx.Limits(max_connections=per, max_keepalive_connections=per),
                timeout=httpx.Timeout(None, connect=connect_timeout),
            )
            for _ in range(n)
        ]
        self._next = itertools.cycle(range(n))
        self._where = base_url

    def __repr__(self) -> str:
        return f"<HttpxTransport {self._where}>"

    async def request(self, method: str, path: str, payload: bytes | None, timeout: float) -> HTTPResponse:
        httpx = self._httpx
        client = self._clients[next(self._next)]
        try:
            async with asyncio.timeout(timeout):
                r = await client.request(
                    method,
                    path,
                    content=payload,
                    headers={"content-type": "application/json"} if payload else None,
                )
        except TimeoutError as e:
            raise LLMTimeoutError(f"no response from {self._where}{path} within {timeout:g} s") from e
        except httpx.TimeoutException as e:
            raise LLMTimeoutError(f"{self._where}{path} timed out ({type(e).__name__})") from e
        except httpx.ConnectError as e:
            raise LLMServerError(f"cannot connect to {self._where} ({e}); is the server running?") from e
        except httpx.TransportError as e:
            raise LLMServerError(f"{self._where} dropped the connection ({type(e).__name__}: {e})") from e
        return HTTPResponse(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)

    async def aclose(self) -> None:
        for c in self._clients:
            with contextlib.suppress(Exception):
                await c.aclose()


def make_transport(
    base_url: str,
    headers: dict[str, str],
    *,
    kind: str = "auto",
    max_connections: int = 256,
    connect_timeout: float = 10.0,
) -> Transport:
    """``kind``: ``fast`` (our HTTP/1.1 client), ``httpx``, or ``auto`` (fast for http://, httpx for https://)."""
    if kind == "auto":
        kind = "fast" if base_url.startswith("http://") else "httpx"
    if kind == "fast":
        return FastTransport(
            base_url, headers, max_connections=max_connections, connect_timeout=connect_timeout
        )
    if kind == "httpx":
        return HttpxTransport(
            base_url, headers, max_connections=max_connections, connect_timeout=connect_timeout
        )
    raise ValueError(f"unknown http_client {kind!r}: use 'auto', 'fast' or 'httpx'")


# ---------------------------------------------------------------------------- status mapping
_CONTEXT = re.compile(
    r"context[ _]length|maximum context|context window|too many tokens|prompt is too long|"
    r"exceeds? (the )?(model'?s? )?(max|context)|input is too long|reduce the length",
    re.I,
)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_message(body: bytes) -> str:
    """The server's error text (OpenAI ``{"error": {"message"}}`` or whatever the body says), shortened."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:300].decode("utf-8", "replace").strip()
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            return str(err.get("message") or err.get("detail") or err)[:500]
        return str(err)[:500]
    return str(data)[:300]


# A 500 whose body says the request itself is wrong (pydantic/FastAPI validation in llama-cpp-python's
# server, chat-template errors, unsupported parameters): retrying sends the same request again.
_INVALID_REQUEST = re.compile(
    r"validation error|field required|literal_error|extra (inputs|fields) (are )?not permitted|"
    r"invalid (request|value|type|argument|parameter|role|message|schema|grammar)|is not supported|"
    r"unsupported|not a valid|must be (one of|a |an |provided|a string|an object)|unrecognized|"
    r"unknown (field|parameter|argument)|failed to parse|error parsing grammar|could not parse|"
    r"roles must alternate|conversation roles|jinja|template error|bad request",
    re.I,
)

# message pattern -> the setting most likely at fault (the first match is named)
_HINTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), h)
    for p, h in (
        (r"'tool'|\"tool\"|role.{0,20}tool|tool_call_id|roles must alternate",
         "this server does not take role=tool messages here: set agent.tool_role: user"),
        (r"response_format|json_schema|json_object|guided_json|structured",
         "set the role's options.structured_output (json_schema, json_object_schema, json_object or prompt)"),
        (r"continue_final_message|add_generation_prompt",
         "this server cannot continue an assistant turn: set the role's options.server to its kind"),
        (r"grammar", "set agent.constrain_format: false (this server does not take a GBNF grammar)"),
        (r"max_(completion_)?tokens|max_new_tokens",
         "lower agent.max_tokens (or the role's generation.max_tokens)"),
        (r"tool_choice|\btools\b|function", "set agent.mode: text (the endpoint does not take native tools)"),
        (r"model", "check the model name (GET <base_url>/models lists what the server serves)"),
    )
)


def setting_hint(message: str) -> str:
    """The setting a permanent request error most likely comes from ('' when nothing fits)."""
    for pattern, hint in _HINTS:
        if pattern.search(message):
            return hint
    return ""


def status_error(status: int, msg: str, where: str, retry_after: float | None = None) -> LLMError:
    """The openseeker error for an HTTP failure ``status`` with the server's message ``msg``.

    Retryable: 408, 429, 502/503/504, other 5xx without a sign of an invalid request. Permanent: every
    other 4xx and a 5xx whose body reports an invalid request; these name the setting likely at fault.
    """
    s = status
    text = f"{where} answered HTTP {s}: {msg}"
    if s == 429:
        return LLMRateLimitError(
            text + " (rate limited; lower max_concurrency or wait)", retry_after=retry_after, status=s
        )
    if s in (400, 413, 422, 500) and _CONTEXT.search(msg):
        return ContextLengthError(text + " (shorten the prompt or lower max_tokens)", status=s)
    if s in (401, 403):
        return LLMResponseError(
            text + " (the endpoint rejected the API key: check the key's environment variable)", status=s
        )
    if s == 404:
        return LLMResponseError(
            text + " (check base_url, which usually ends in /v1, and the model name)", status=s
        )
    invalid = s < 500 or (s == 500 and _INVALID_REQUEST.search(msg) is not None)
    if s == 408 or not invalid:
        return LLMServerError(text, retry_after=retry_after, status=s)
    hint = setting_hint(msg)
    return LLMResponseError(
        text + f" (the server rejected the request; not retried{': ' + hint if hint else ''})", status=s
    )


def raise_for_status(resp: HTTPResponse, where: str, *, secret: str | None = None) -> None:
    """Raise the openseeker error for a non-2xx response (nothing for 2xx); see :func:`status_error`."""
    if 200 <= resp.status < 300:
        return
    msg = error_message(resp.body)
    if secret:
        msg = msg.replace(secret, "***")
    raise status_error(resp.status, msg, where, parse_retry_after(resp.headers.get("retry-after")))


def _embedded_status(err: Any) -> int | None:
    """The HTTP status an in-body error object carries (``{"error": {"code": 502, ...}}``), if any."""
    if not isinstance(err, dict):
        return None
    for k in ("code", "status"):
        v = err.get(k)
        if isinstance(v, int) and 100 <= v < 600:
            return v
        if isinstance(v, str) and v.isdigit() and 100 <= int(v) < 600:
            return int(v)
    return None


def decode_json(resp: HTTPResponse, where: str, *, secret: str | None = None) -> dict[str, Any]:
    """The JSON object of a 2xx response, or :class:`LLMResponseError` naming what was wrong.

    A 200 carrying only an error object is classified by the status code inside it (see
    :func:`status_error`), so a gateway's "200 with error 502" is retried like a 502.
    """
    try:
        data = orjson.loads(resp.body)
    except orjson.JSONDecodeError as e:
        snippet = resp.body[:120].decode("utf-8", "replace")
        raise LLMResponseError(
            f"{where} answered HTTP {resp.status} with a body that is not JSON ({e}): {snippet!r}",
            status=resp.status,
        ) from e
    if isinstance(data, dict) and data.get("error") and not data.get("choices"):
        # Some gateways (OpenRouter) answer 200 with an error object whose code is the real status.
        code = _embedded_status(data["error"])
        msg = error_message(resp.body)
        if secret:
            msg = msg.replace(secret, "***")
        if code is not None and not 200 <= code < 300:
            raise status_error(code, msg, f"{where} (HTTP {resp.status}, error code {code})")
        raise LLMResponseError(f"{where} answered HTTP {resp.status} with an error: {msg}", status=resp.status)
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list) or not data["choices"]:
        raise LLMResponseError(
            f"{where} answered without any 'choices': {str(data)[:200]}", status=resp.status
        )
    return data
