"""Hostile servers cannot make a fetch or a search unbounded: compression bombs are decoded with a bounded
output, and a server that drips one byte at a time cannot keep a call alive past its timeout/deadline."""

from __future__ import annotations

import asyncio
import gzip
import time
import tracemalloc
import zlib
from collections.abc import Callable
from typing import Any

import brotli
import pytest

from openseeker.errors import ToolError
from openseeker.tools.base import fetchers, search_backends
from openseeker.web.decode import ACCEPT_ENCODING, BodyTooLarge, BoundedDecoder, UnsupportedEncoding

from .localserver import LocalServer, Resp, make_cfg

MB = 1 << 20


def _stream(compress: Callable[[bytes], bytes], finish: Callable[[], bytes], megabytes: int) -> bytes:
    zeros = b"\0" * MB
    return b"".join(compress(zeros) for _ in range(megabytes)) + finish()


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    br = brotli.Compressor(quality=5)
    gz = zlib.compressobj(6, zlib.DEFLATED, 31)
    return {
        "br": _stream(br.process, br.finish, 100),  # ~200 bytes -> 100 MB
        "gzip": _stream(gz.compress, gz.flush, 40),  # ~40 KB -> 40 MB
    }


def _peak_during(fn: Callable[[], Any]) -> tuple[int, Any]:
    tracemalloc.start()
    try:
        try:
            result: Any = fn()
        except Exception as e:
            result = e
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_compression_bombs_stop_at_the_size_limit(server: LocalServer, bombs: dict[str, bytes], encoding: str) -> None:
    body = bombs[encoding]
    assert len(body) < 200_000
    server.route("/bomb", Resp(200, body, {"Content-Type": "text/html", "Content-Encoding": encoding}))
    server.route("/search", Resp(200, body, {"Content-Type": "application/json", "Content-Encoding": encoding}))
    server.route("/ok", Resp(200, "fine", {"Content-Type": "text/plain"}))
    cfg = make_cfg(server, options={"http": {"max_bytes": MB}, "serper": {"max_bytes": MB}})
    page_fetcher = fetchers.create("http", cfg)
    asyncio.run(page_fetcher.fetch(f"{server.url}/ok"))  # imports done before memory is traced
    peak, err = _peak_during(lambda: asyncio.run(page_fetcher.fetch(f"{server.url}/bomb")))
    assert isinstance(err, ToolError) and "larger than 1048576 bytes" in str(err)
    # before: the whole bomb was decoded (hundreds of MB) before the limit was checked
    assert peak < 8 * MB, f"peak {peak / MB:.0f} MB"
    search = search_backends.create("serper", cfg)
    peak, err = _peak_during(lambda: asyncio.run(search.search("q")))
    assert isinstance(err, ToolError) and "larger than 1048576 bytes" in str(err)
    assert peak < 8 * MB, f"peak {peak / MB:.0f} MB"
    assert all(r.headers.get("accept-encoding") == ACCEPT_ENCODING for r in server.requests)


def test_decoder_handles_real_bodies_and_refuses_the_rest() -> None:
    text = ("Ada Lovelace wrote the first algorithm. " * 2000).encode()
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    cases = {
        "gzip": gzip.compress(text),
        "x-gzip": gzip.compress(text[:100]) + gzip.compress(text[100:]),  # two members
        "deflate": zlib.compress(text),
        "br": brotli.compress(text),
        "identity": text,
        "gzip, br": brotli.compress(gzip.compress(text)),  # applied in order, undone in reverse
    }
    for encoding, body in cases.items():
        dec = BoundedDecoder(encoding, len(text))
        # fed in small pieces, as it comes off the wire
        out = b"".join(dec.feed(body[i : i + 100]) for i in range(0, len(body), 100))
        assert out == text, encoding
    raw = BoundedDecoder("deflate", len(text))  # raw deflate, sent by some servers as "deflate"
    assert raw.feed(raw_deflate.compress(text) + raw_deflate.flush()) == text
    with pytest.raises(BodyTooLarge):
        BoundedDecoder("gzip", len(text) - 1).feed(gzip.compress(text))
    with pytest.raises(UnsupportedEncoding):
        BoundedDecoder("compress", 100)
    with pytest.raises(UnsupportedEncoding):
        BoundedDecoder("gzip", 100).feed(b"this is not gzip at all")


def test_a_dripping_server_cannot_outlast_the_timeout(server: LocalServer) -> None:
    # 60 bytes at one byte per 0.1 s: 6 s of body, each read well inside the per-read timeout
    drip = Resp(200, "x" * 60, {"Content-Type": "text/plain"}, drip=0.1)
    server.route("/drip", drip)
    server.route("/search", drip)
    cfg = make_cfg(
        server,
        options={
            "http": {"timeout": 0.5, "retries": 0},
            "serper": {"timeout": 0.4, "retries": 5, "deadline": 1.0, "backoff": 0.01},
        },
    )
    started = time.monotonic()
    with pytest.raises(ToolError, match=r"timed out: no complete reply within 0.5 s \(1 attempts\)"):
        asyncio.run(fetchers.create("http", cfg).fetch(f"{server.url}/drip"))
    # the search call, retries included, ends at its 1 s deadline (not 6 retries x 6 s)
    with pytest.raises(ToolError, match="deadline"):
        asyncio.run(search_backends.create("serper", cfg).search("q"))
    assert time.monotonic() - started < 10  # (a per-read timeout alone: 6 s per attempt, 42 s in all)
    assert server.dripped < 40
