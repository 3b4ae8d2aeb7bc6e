"""The lean HTTP/1.1 client: chunked and read-to-close bodies, stale keep-alive connections, status mapping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from openseeker.errors import LLMRateLimitError, LLMServerError
from openseeker.llm.providers._http import (
    FastTransport,
    HTTPResponse,
    is_local_url,
    parse_retry_after,
    raise_for_status,
)


async def _raw_server(reply: Callable[[int], bytes], close_after: bool = False) -> tuple[asyncio.Server, int]:
    count = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                n = int(
                    next(
                        ln.split(b":")[1]
                        for ln in head.split(b"\r\n")
                        if ln.lower().startswith(b"content-length")
                    )
                )
                await reader.readexactly(n)
                count += 1
                writer.write(reply(count))
                await writer.drain()
                if close_after:
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    return srv, srv.sockets[0].getsockname()[1]


def test_chunked_and_read_to_close_bodies() -> None:
    async def go() -> list[bytes]:
        chunked = (
            b'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{"a":\r\n3;x=1\r\n 1}\r\n0\r\n\r\n'
        )
        srv, port = await _raw_server(lambda i: chunked)
        t = FastTransport(f"http://127.0.0.1:{port}/v1", {})
        out = [(await t.request("POST", "/x", b"{}", 5)).body for _ in range(3)]  # same connection reused
        await t.aclose()
        srv.close()
        srv2, port2 = await _raw_server(
            lambda i: b'HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{"b": 2}', close_after=True
        )
        t2 = FastTransport(f"http://127.0.0.1:{port2}/v1", {})
        out += [(await t2.request("POST", "/x", b"{}", 5)).body for _ in range(2)]
        srv2.close()
        return out

    assert asyncio.run(go()) == [b'{"a": 1}'] * 3 + [b'{"b": 2}'] * 2


def test_server_closing_idle_connections_is_transparent() -> None:
    async def go() -> list[int]:
        ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"
        # the server answers, then closes the kept-alive connection without saying so
        srv, port = await _raw_server(lambda i: ok, close_after=True)
        t = FastTransport(f"http://127.0.0.1:{port}", {}, max_connections=2)
        codes = []
        for _ in range(4):
            codes.append((await t.request("POST", "/x", b"{}", 5)).status)
            await asyncio.sleep(0.01)
        srv.close()
        return codes

    assert asyncio.run(go()) == [200] * 4


def test_status_helpers() -> None:
    assert (
        parse_retry_after("3") == 3.0
        and parse_retry_after(None) is None
        and parse_retry_after("soon") is None
    )
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past
    with pytest.raises(LLMRateLimitError) as e:
        raise_for_status(HTTPResponse(429, {"retry-after": "2"}, b"{}"), "x")
    assert e.value.retry_after == 2.0
    with pytest.raises(LLMServerError, match="HTTP 502"):
        raise_for_status(HTTPResponse(502, {}, b"<html>bad gateway</html>"), "x")
    raise_for_status(HTTPResponse(200, {}, b""), "x")
    assert is_local_url("http://localhost:8000/v1") and is_local_url("http://127.0.0.1/v1")
    assert is_local_url("http://[::1]:80/v1") and not is_local_url("https://api.openai.com/v1")


def test_fast_client_and_fake_server_on_uvloop() -> None:
    uvloop = pytest.importorskip("uvloop")
    from openseeker.llm import LLMConfig, get_llm
    from openseeker.testing import FakeOpenAIServer

    with FakeOpenAIServer(latency=0.01, loop_factory=uvloop.new_event_loop) as srv:
        llm = get_llm(LLMConfig(model="openai/m", base_url=srv.base_url))

        async def go() -> list[str]:
            outs = await asyncio.gather(
                *(llm.generate([{"role": "user", "content": str(i)}]) for i in range(50))
            )
            return [o.text for o in outs]

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            assert runner.run(go()) == [f"echo: {i}" for i in range(50)]
