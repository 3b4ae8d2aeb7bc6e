"""Web backends: openseeker's own overhead on page fetching and search (the README's "Measured" table).

A local server in a separate process imitates the providers: HTML articles of about 52 KB with 110 links
each, and a Serper-style ``POST /search`` returning 10 results. Against it, in the same run and interleaved
round by round, this measures

1. ``visit`` (``fetch: http``, raw mode) through the whole tool stack (safety checks, tool cache, retries,
   trafilatura extraction, formatting), 8 in flight, on pages it has not seen; the baseline is a bare
   ``httpx`` GET plus the same extraction function on the same kind of pages, 8 in flight;
2. the same pages again, now from the tool cache (milliseconds per call, one at a time);
3. ``search`` (``search: serper``) through every layer (key rotation, cache miss, parsing, formatting),
   16 in flight; the baseline is a bare ``httpx`` POST plus JSON parsing, 16 in flight;
4. the same queries again, from the tool cache.

Every answer is checked (the article's marker sentence, the expected result URL), and the cached passes must
not reach the server; any failure ends the run with a non-zero exit instead of a figure. Figures are medians over rounds, with the machine load beside them.

    python benchmarks/web.py                      # 5 rounds of 48 pages and 96 queries
    python benchmarks/web.py --rounds 3 --pages 24 --queries 48
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson

from openseeker.llm.types import ToolCall
from openseeker.toolbox import build_toolset
from openseeker.tools.config import ToolsConfig
from openseeker.web.extract import extract

WORDS = (
    "river valley history engine census harbour cathedral railway museum treaty province festival "
    "university bridge market dynasty archive observatory"
).split()


def article(key: str) -> bytes:
    """A deterministic article page of about 52 KB with 110 links (2 of them in the navigation); its marker
    sentence names ``key``."""
    paras = []
    for p in range(60):
        words = " ".join(WORDS[(p * 7 + i) % len(WORDS)] for i in range(94))
        links = " ".join(f'<a href="/wiki/{key}-{p}-{j}">link {p}.{j}</a>' for j in range(2 if p < 48 else 1))
        paras.append(f"<p>Paragraph {p} of the article on {words}. See {links}.</p>")
    return (
        f"<!doctype html><html><head><title>Article {key}</title></head><body>"
        '<nav><a href="/">Home</a> <a href="/about">About</a></nav><main><article>'
        f"<h1>Article {key}</h1><p>The marker of this article is {key}.</p>{''.join(paras)}"
        "</article></main><footer>footer</footer></body></html>"
    ).encode()


def serve() -> None:
    """The provider imitation (run in a subprocess); prints ``READY <port>``. ``GET /stats``: requests served."""
    served = {"GET": 0, "POST": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, body: bytes, ctype: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/stats":
                self._send(orjson.dumps(served), "application/json")
                return
            served["GET"] += 1
            self._send(article(self.path.rsplit("/", 1)[-1]), "text/html; charset=utf-8")

        def do_POST(self) -> None:
            served["POST"] += 1
            q = orjson.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))["q"]
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            organic = [
                {"title": f"{q} result {i}", "link": f"{base}/r/{q.replace(' ', '-')}/{i}", "snippet": q}
                for i in range(10)
            ]
            self._send(orjson.dumps({"organic": organic}), "application/json")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    print(f"READY {httpd.server_address[1]}", flush=True)
    httpd.serve_forever()


async def _rate(fn: Callable[[int], Awaitable[None]], n: int, in_flight: int) -> float:
    """Calls per second of ``fn(0..n-1)`` with at most ``in_flight`` running at once."""
    sem = asyncio.Semaphore(in_flight)

    async def one(i: int) -> None:
        async with sem:
            await fn(i)

    t = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return n / (time.perf_counter() - t)


async def _ms_each(fn: Callable[[int], Awaitable[None]], n: int) -> float:
    """Median milliseconds per call, one call at a time."""
    times = []
    for i in range(n):
        t = time.perf_counter()
        await fn(i)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"wrong answer, no figure: {what}")


async def one_round(base: str, r: int, tools: Any, client: httpx.AsyncClient, a: Any) -> dict[str, float]:
    async def ours_visit(i: int) -> None:
        key = f"ours{r}x{i}"
        res = await tools.call(
            ToolCall("visit", {"url": f"{base}/wiki/{key}", "goal": "the marker"}, f"v{i}")
        )
        _check(not res.error and f"The marker of this article is {key}." in res.content, res.content[:300])

    async def bare_visit(i: int) -> None:
        url = f"{base}/wiki/bare{r}x{i}"
        resp = await client.get(url)
        out = await asyncio.to_thread(extract, resp.content, resp.headers.get("content-type"), url)
        _check(f"The marker of this article is bare{r}x{i}." in out.content, out.content[:300])

    async def ours_search(i: int) -> None:
        q = f"ours {r} {i}"
        res = await tools.call(ToolCall("search", {"query": [q]}, f"s{i}"))
        _check(not res.error and f"{base}/r/{q.replace(' ', '-')}/9" in res.content, res.content[:300])

    async def bare_search(i: int) -> None:
        q = f"bare {r} {i}"
        resp = await client.post(f"{base}/search", json={"q": q, "num": 10})
        hits = orjson.loads(resp.content)["organic"]
        _check(len(hits) == 10 and hits[9]["link"].endswith(f"/r/{q.replace(' ', '-')}/9"), str(hits)[:300])

    async def served() -> int:
        return sum(orjson.loads((await client.get(f"{base}/stats")).content).values())

    # the order alternates between rounds, so neither side always runs on a warmer machine
    pairs = [
        ("visit", ours_visit, bare_visit, a.pages, 8),
        ("search", ours_search, bare_search, a.queries, 16),
    ]
    out: dict[str, float] = {}
    for name, ours, bare, n, k in pairs:
        first, second = ((ours, "ours"), (bare, "bare")) if r % 2 == 0 else ((bare, "bare"), (ours, "ours"))
        out[f"{name}_{first[1]}"] = await _rate(first[0], n, k)
        out[f"{name}_{second[1]}"] = await _rate(second[0], n, k)
        before = await served()
        out[f"{name}_cached_ms"] = await _ms_each(ours, n)  # the same keys again: tool cache hits
        _check(await served() == before, f"{name}: the cached pass reached the server")
    return out


def _start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        proc.kill()
        raise SystemExit(f"the local server did not start: {line!r}")
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


async def run(a: Any, base: str, cache: Path) -> list[dict[str, float]]:
    os.environ["SERPER_API_KEY"] = "sk-local-imitation"  # the local server ignores it
    cfg = ToolsConfig(
        search="serper",
        fetch="http",
        visit_mode="raw",
        cache=str(cache),
        options={
            "serper": {"base_url": base},
            "safety": {"allow_private": ["127.0.0.1"]},
        },
    )
    tools = build_toolset(cfg)
    async with httpx.AsyncClient(trust_env=False, limits=httpx.Limits(max_connections=32)) as client:
        await one_round(base, -1, tools, client, argparse.Namespace(pages=4, queries=4))  # warm-up
        return [await one_round(base, r, tools, client, a) for r in range(a.rounds)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pages", type=int, default=48, help="pages per round and side")
    ap.add_argument("--queries", type=int, default=96, help="queries per round and side")
    a = ap.parse_args()
    if a.serve:
        serve()
        return
    proc, base = _start_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rounds = asyncio.run(run(a, base, Path(tmp) / "tools.sqlite"))
    finally:
        proc.kill()
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    size = len(article("x"))
    print(f"{a.rounds} rounds, medians; load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    print(
        f"visit, http fetch + extraction of a {size / 1000:.0f} KB article (110 links), 8 in flight: "
        f"{med['visit_ours']:.1f} pages/s; bare httpx + the same extraction {med['visit_bare']:.1f} pages/s "
        f"(ratio {med['visit_ours'] / med['visit_bare']:.2f})"
    )
    print(f"visit, the same pages from the tool cache: {med['visit_cached_ms']:.2f} ms each")
    print(
        f"search, Serper-style through every layer (cache miss), 16 in flight: {med['search_ours']:.1f} "
        f"queries/s; bare httpx POST + JSON parsing {med['search_bare']:.1f} queries/s "
        f"(ratio {med['search_ours'] / med['search_bare']:.2f})"
    )
    print(f"search, cache hit: {med['search_cached_ms']:.2f} ms each")


if __name__ == "__main__":
    main()
