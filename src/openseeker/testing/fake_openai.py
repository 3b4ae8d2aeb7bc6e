"""A real, local OpenAI-compatible HTTP server for tests and benchmarks.

It speaks HTTP/1.1 with keep-alive on 127.0.0.1, runs its own asyncio event loop in a background thread,
and serves ``POST /v1/chat/completions``, ``POST /v1/completions`` and ``GET /v1/models``. What it answers
is decided by a *handler*, a function of the parsed JSON request (sync or async) that returns:

* a string: the assistant text (chat) or the completion text (completions);
* a dict with ``choices``: sent as the whole response body, unchanged;
* any other dict: the fields of the chat ``message`` (``content``, ``reasoning_content``, ``tool_calls``,
  ``finish_reason``) or of the completion choice (``text``, ``finish_reason``). Tool calls may be given
  short as ``{"name": ..., "arguments": {...}}``; they are expanded to the OpenAI wire form;
* a :class:`Fault`: the failure to inject.

Faults can also be queued (``srv.faults.append(Fault.status(429, retry_after=1))``); each generation
request takes the next queued fault first. Every request is recorded in :attr:`FakeOpenAIServer.requests`.

Example::

    with FakeOpenAIServer(handler=lambda req: "hello", latency=0.05) as srv:
        llm = get_llm(LLMConfig(model="openai/fake", base_url=srv.base_url))

Run it as a separate process (for benchmarks, so that its CPU time is not the client's)::

    python -m openseeker.testing.fake_openai --port 0 --latency 0.05   # prints "READY <port>"

The server is written directly on :class:`asyncio.Protocol` (no framework), so that a few hundred
concurrent keep-alive connections at a few thousand requests per second cost it little CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import itertools
import re
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import orjson

from openseeker.testing.faults import _REASONS, Fault

__all__ = ["FakeOpenAIServer", "Fault", "RecordedRequest", "default_handler", "main"]

Handler = Callable[[dict[str, Any]], Any]


@dataclass
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any = None


@dataclass
class _Parsed:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool = True


# the fast path's request parsing: just enough of the head to route a plain chat request
_CHAT_LINE = b"POST /v1/chat/completions "
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.I)
_CONN_CLOSE = re.compile(rb"\r\nconnection:[ \t]*close", re.I)
_MODEL = re.compile(rb'"model"\s*:\s*"([^"\\]*)"')


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


def default_handler(req: dict[str, Any]) -> str:
    """Echo the last message (chat) or the end of the prompt (completions)."""
    if "messages" in req:
        msgs = req.get("messages") or [{}]
        content = msgs[-1].get("content") or ""
        return f"echo: {content if isinstance(content, str) else orjson.dumps(content).decode()}"
    return f"echo: {str(req.get('prompt', ''))[-200:]}"


def _tool_calls_wire(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, c in enumerate(calls):
        if "function" in c:
            out.append(c)
            continue
        args = c.get("arguments", {})
        out.append(
            {
                "id": c.get("id", f"call_{i}"),
                "type": "function",
                "function": {
                    "name": c["name"],
                    "arguments": args if isinstance(args, str) else orjson.dumps(args).decode(),
                },
            }
        )
    return out


_FAST_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"


class _Connection(asyncio.Protocol):
    """One client connection: parses pipelined HTTP/1.1 requests and answers them in order."""

    def __init__(self, server: FakeOpenAIServer):
        self.server = server
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.head: tuple[str, str, dict[str, str], int] | None = None
        self.queue: deque[_Parsed] = deque()
        self.worker: asyncio.Task[None] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.busy = False  # a request is being answered (responses must go out in request order)
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop transports are not subclasses
        self.transport = transport
        self.server._conns.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server._conns.discard(self)
        if self.worker is not None and not self.worker.done():
            self.worker.cancel()
        if self.timer is not None:
            self.timer.cancel()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            if self.head is None:
                i = self.buf.find(b"\r\n\r\n")
                if i < 0:
                    return
                if not self.busy and not self.queue and self.server._fast_ok() and self._fast(i):
                    continue
                lines = bytes(self.buf[:i]).decode("latin-1").split("\r\n")
                del self.buf[: i + 4]
                try:
                    method, path, _ = lines[0].split(" ", 2)
                except ValueError:
                    self._raw(400, b'{"error":{"message":"bad request line"}}', close=True)
                    return
                headers = {}
                for ln in lines[1:]:
                    k, _, v = ln.partition(":")
                    headers[k.strip().lower()] = v.strip()
                self.head = (method, path, headers, int(headers.get("content-length", "0") or 0))
            method, path, headers, n = self.head
            if len(self.buf) < n:
                return
            body = bytes(self.buf[:n])
            del self.buf[:n]
            self.head = None
            self.queue.append(
                _Parsed(method, path, headers, body, headers.get("connection", "").lower() != "close")
            )
            self.dispatch()

    def _fast(self, i: int) -> bool:
        """Answer a plain chat request without decoding it (see :meth:`FakeOpenAIServer._fast_ok`).

        ``i`` is where the request head ends. Returns False (nothing consumed) when the request needs
        the general path: another route, ``connection: close``, or a body not yet complete.
        """
        buf = self.buf
        if not buf.startswith(_CHAT_LINE):
            return False
        m = _CONTENT_LENGTH.search(buf, 0, i)
        if m is None or _CONN_CLOSE.search(buf, 0, i) is not None:
            return False
        end = i + 4 + int(m[1])
        if len(buf) < end:
            return False
        model = _MODEL.search(buf, i + 4, end)
        self.busy = True
        self.timer = asyncio.get_running_loop().call_later(
            cast(float, self.server.latency),
            self._fast_reply,
            model[1] if model is not None else None,
            end - i - 4,
        )
        del buf[:end]
        return True

    def _fast_reply(self, model: bytes | None, size: int) -> None:
        srv = self.server
        srv.served += 1
        srv.fast_served += 1
        prompt = max(1, size // 4)  # estimated from the body size: the body is never decoded here
        body = srv._fast_body % (next(srv._ids), model or srv._model_b, prompt, prompt + srv._fast_tokens)
        if self.transport is not None and not self.closed:
            self.transport.write(_FAST_HEAD % len(body) + body)
        self.busy = False
        self.timer = None
        if self.queue:
            self.dispatch()

    def dispatch(self) -> None:
        """Start answering the next queued request, unless one is in progress.

        The common case (a sync handler, a fixed latency) needs no task: the answer is computed at once
        and written by a timer, which keeps the server's cost per request low under benchmark load.
        """
        while self.queue and not self.busy and not self.closed:
            req = self.queue.popleft()
            try:
                pending = self.server._serve(self, req)
            except Exception as e:  # a handler bug must be visible to the test, not hang it
                self._handler_failed(e)
                pending = None
            if pending is not None:
                self.busy = True
                self.worker = asyncio.ensure_future(self._run(pending, req))
            elif not self.busy:
                self.done(req)

    def done(self, req: _Parsed) -> None:
        """The answer to ``req`` is out: close if asked, else go on with the next request."""
        self.busy = False
        self.timer = None
        if not req.keep_alive and self.transport is not None:
            self.transport.close()
            self.closed = True
            return
        if self.queue:
            self.dispatch()

    def _handler_failed(self, e: Exception) -> None:
        self._raw(500, orjson.dumps({"error": {"message": f"fake server handler failed: {e!r}"}}))

    async def _run(self, pending: Awaitable[None], req: _Parsed) -> None:
        try:
            await pending
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self._handler_failed(e)
        self.done(req)

    def _raw(
        self, status: int, body: bytes, *, headers: dict[str, str] | None = None, close: bool = False
    ) -> None:
        if self.transport is None or self.closed:
            return
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n{extra}" + ("connection: close\r\n" if close else "") + "\r\n"
        )
        self.transport.write(head.encode("latin-1") + body)
        if close:
            self.transport.close()


class FakeOpenAIServer:
    """A local OpenAI-compatible server with fault injection; use as a context manager.

    Args:
        handler: ``fn(request_json) -> str | dict | Fault`` (may be async); default: echo.
        text: answer every request with this text (instead of ``handler``). With ``record`` off, no
            fault queued, no ``fault_fn``, no ``api_key`` and a fixed ``latency``, chat requests then take
            a lean path (no JSON decoding, a precomputed body, one timer each) for benchmarks; its usage
            estimates ``prompt_tokens`` from the request body size.
        latency: seconds to wait before every generation answer (a float, or ``fn(request) -> float``).
        model: the model id listed by ``/v1/models``.
        fault_fn: optional ``fn(request_json) -> Fault | None`` consulted before the handler.
        record: keep every request in :attr:`requests` (turn off for very long benchmarks).
        port: the port to bind (0 = a free one).
        reuse_port: bind with ``SO_REUSEPORT``, so that several server processes share one port (the
            kernel spreads connections over them).
        api_key: if set, requests without ``Authorization: Bearer <api_key>`` get 401.
        loop_factory: the event loop to serve on (e.g. ``uvloop.new_event_loop``); default asyncio's.
        get_routes: JSON bodies for ``GET`` paths (e.g. ``{"/v1/models": ..., "/version": ...}``), to
            imitate what another server kind reports to openseeker's server detection.

    Attributes:
        base_url: ``http://127.0.0.1:<port>/v1``, set once started.
        requests: every recorded request, in arrival order.
        faults: queued faults; each generation request takes the next one first.
        served: generation answers sent; ``fast_served``: how many of them took the lean path.
    """

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        text: str | None = None,
        latency: float | Callable[[dict[str, Any]], float] = 0.0,
        model: str = "fake-model",
        fault_fn: Callable[[dict[str, Any]], Fault | None] | None = None,
        record: bool = True,
        port: int = 0,
        reuse_port: bool = False,
        api_key: str | None = None,
        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
        get_routes: dict[str, Any] | None = None,
    ):
        if handler is not None and text is not None:
            raise ValueError("give a handler or a text, not both")
        self.handler: Handler = handler or ((lambda req: text) if text is not None else default_handler)
        self.text = text
        self._model_b = model.encode()
        self._fast_tokens = _estimate_tokens(text or "")
        # the chat response with %-slots for id, model and usage (model ids hold no quotes, see _MODEL)
        self._fast_body = (
            b'{"id":"chatcmpl-fake-%d","object":"chat.completion","created":0,"model":"%s","choices":'
            b'[{"index":0,"message":{"role":"assistant","content":'
            + orjson.dumps(text or "").replace(b"%", b"%%")
            + b'},"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":'
            + str(self._fast_tokens).encode()
            + b',"total_tokens":%d}}'
        )
        self.loop_factory = loop_factory
        self.latency = latency
        self.model = model
        self.fault_fn = fault_fn
        self.record = record
        self.port = port
        self.reuse_port = reuse_port
        self.api_key = api_key
        self.get_routes = dict(get_routes or {})
        self.requests: list[RecordedRequest] = []
        self.faults: deque[Fault] = deque()
        self.served = 0
        self.fast_served = 0  # how many of ``served`` took the lean path (lets tests see it was taken)
        self._ids = itertools.count()
        self._conns: set[_Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._lock = threading.Lock()

    @property
    def generations(self) -> list[RecordedRequest]:
        """The recorded generation requests (``POST``), without the clients' server probes (``GET``)."""
        return [r for r in self.requests if r.method == "POST"]

    @property
    def base_url(self) -> str:
        """The ``/v1`` base URL to give a client."""
        return f"http://127.0.0.1:{self.port}/v1"

    def _fast_ok(self) -> bool:
        """Whether the next chat request may take the lean path (nothing it skips is asked for)."""
        return (
            self.text is not None
            and not self.record
            and not self.faults
            and self.fault_fn is None
            and self.api_key is None
            and isinstance(self.latency, int | float)
            and self.latency > 0
        )

    def inject(self, *faults: Fault) -> None:
        """Queue faults for the next generation requests, in order."""
        with self._lock:
            self.faults.extend(faults)

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> FakeOpenAIServer:
        """Start serving in a background thread; returns self once the port is bound."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = self.loop_factory() if self.loop_factory else asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(
                    loop.create_server(
                        lambda: _Connection(self),
                        "127.0.0.1",
                        self.port,
                        backlog=2048,
                        reuse_port=self.reuse_port or None,
                    )
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as e:  # report bind failures to the starting thread
                errors.append(e)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-openai", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        """Close every connection, cancel hanging answers and stop the thread."""
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for c in list(self._conns):
                if c.transport is not None:
                    c.transport.abort()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(5)
        self._loop = None
        self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- serving
    def _serve(self, conn: _Connection, req: _Parsed) -> Awaitable[None] | None:
        """Answer ``req``: at once, by a timer (``conn.busy`` set), or via the returned awaitable."""
        data: Any = None
        if req.body:
            try:
                data = orjson.loads(req.body)
            except orjson.JSONDecodeError:
                conn._raw(400, b'{"error":{"message":"request body is not JSON"}}')
                return None
        if self.record:
            self.requests.append(RecordedRequest(req.method, req.path, req.headers, data))
        path = req.path.split("?", 1)[0].rstrip("/")
        if self.api_key is not None and req.headers.get("authorization") != f"Bearer {self.api_key}":
            conn._raw(401, b'{"error":{"message":"invalid api key","type":"invalid_request_error"}}')
            return None
        if req.method == "GET" and path in self.get_routes:
            conn._raw(200, orjson.dumps(self.get_routes[path]))
            return None
        if req.method == "GET" and path.endswith("/models"):
            conn._raw(
                200,
                orjson.dumps(
                    {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "fake"}]}
                ),
            )
            return None
        chat = path.endswith("/chat/completions")
        if req.method != "POST" or not (chat or path.endswith("/completions")):
            conn._raw(404, orjson.dumps({"error": {"message": f"no route {req.method} {path}"}}))
            return None
        data = data if isinstance(data, dict) else {}
        fault: Fault | None = None
        with self._lock:
            if self.faults:
                fault = self.faults.popleft()
        if fault is None and self.fault_fn is not None:
            fault = self.fault_fn(data)
        result: Any = fault
        if result is None:
            result = self.handler(data)
        delay = self.latency(data) if callable(self.latency) else self.latency
        if inspect.isawaitable(result) or (isinstance(result, Fault) and result.kind == "hang"):
            return self._answer_later(conn, data, result, chat, delay)
        if delay > 0:
            conn.busy = True
            conn.timer = asyncio.get_running_loop().call_later(
                delay, self._answer_timed, conn, req, data, result, chat
            )
        else:
            self._answer(conn, data, result, chat)
        return None

    def _answer_timed(
        self, conn: _Connection, req: _Parsed, data: dict[str, Any], result: Any, chat: bool
    ) -> None:
        try:
            self._answer(conn, data, result, chat)
        except Exception as e:
            conn._handler_failed(e)
        conn.done(req)

    async def _answer_later(
        self, conn: _Connection, data: dict[str, Any], result: Any, chat: bool, delay: float
    ) -> None:
        if inspect.isawaitable(result):
            result = await result
        if delay > 0:
            await asyncio.sleep(delay)
        if isinstance(result, Fault) and result.kind == "hang":
            await asyncio.sleep(result.seconds)
            if conn.transport is not None:
                conn.transport.close()
            return
        self._answer(conn, data, result, chat)

    def _answer(self, conn: _Connection, data: dict[str, Any], result: Any, chat: bool) -> None:
        if isinstance(result, Fault):
            self._fault(conn, result)
            return
        self.served += 1
        conn._raw(200, orjson.dumps(self._body(data, result, chat)))

    def _fault(self, conn: _Connection, f: Fault) -> None:
        if f.kind == "drop":
            if conn.transport is not None:
                conn.transport.abort()
        elif f.kind == "garbage":
            conn._raw(200, f.body)
        else:
            headers = {"retry-after": f"{f.retry_after:g}"} if f.retry_after is not None else None
            err = {
                "error": {
                    "message": f.message,
                    "type": "server_error" if f.status_code >= 500 else "invalid_request_error",
                    "code": "context_length_exceeded" if "context length" in f.message else None,
                }
            }
            conn._raw(f.status_code, orjson.dumps(err), headers=headers)

    def _body(self, req: dict[str, Any], result: Any, chat: bool) -> dict[str, Any]:
        if isinstance(result, dict) and "choices" in result:
            return result
        n = next(self._ids)
        model = req.get("model") or self.model
        if chat:
            msg: dict[str, Any] = {
                "role": "assistant",
                "content": result if isinstance(result, str) else None,
            }
            finish = "stop"
            if isinstance(result, dict):
                msg["content"] = result.get("content")
                if result.get("reasoning_content") is not None:
                    msg["reasoning_content"] = result["reasoning_content"]
                if result.get("tool_calls"):
                    msg["tool_calls"] = _tool_calls_wire(result["tool_calls"])
                    finish = "tool_calls"
                finish = result.get("finish_reason", finish)
            prompt = sum(_estimate_tokens(str(m.get("content") or "")) for m in req.get("messages") or [])
            completion = _estimate_tokens((msg.get("content") or "") + (msg.get("reasoning_content") or ""))
            return {
                "id": f"chatcmpl-fake-{n}",
                "object": "chat.completion",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
        text = result if isinstance(result, str) else str(result.get("text", ""))
        finish = "stop" if isinstance(result, str) else result.get("finish_reason", "stop")
        prompt = _estimate_tokens(str(req.get("prompt", "")))
        completion = _estimate_tokens(text)
        return {
            "id": f"cmpl-fake-{n}",
            "object": "text_completion",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "text": text, "finish_reason": finish, "logprobs": None}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }


def main(argv: list[str] | None = None) -> None:
    """Serve until killed; prints ``READY <port>`` once listening (for benchmarks in a subprocess)."""
    ap = argparse.ArgumentParser(description="A local OpenAI-compatible echo server with fixed latency.")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--text", default=None, help="always answer this text (default: echo)")
    ap.add_argument("--uvloop", action="store_true", help="serve on uvloop (pip install uvloop)")
    ap.add_argument("--reuse-port", action="store_true", help="SO_REUSEPORT: several processes, one port")
    args = ap.parse_args(argv)
    factory = None
    if args.uvloop:
        import uvloop

        factory = uvloop.new_event_loop
    srv = FakeOpenAIServer(
        text=args.text,
        latency=args.latency,
        record=False,
        port=args.port,
        reuse_port=args.reuse_port,
        loop_factory=factory,
    ).start()
    print(f"READY {srv.port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
