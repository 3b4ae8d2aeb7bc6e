"""LLM client overhead: N requests at concurrency C through the full ``build_llm`` stack.

A local OpenAI-compatible server (``openseeker.testing.fake_openai``) runs in a *separate process* and
answers every request after a fixed latency, so the ideal throughput is ``concurrency / latency`` and
whatever falls short of it is client overhead. Printed: throughput as a fraction of ideal, and client
CPU time per request (this process only; the server's CPU is reported apart).

    python benchmarks/llm_client.py                      # 2,000 requests, concurrency 200, 50 ms
    python benchmarks/llm_client.py --http-client httpx  # the same through httpx
    python benchmarks/llm_client.py --cache              # with the SQLite response cache (all misses)
    python benchmarks/llm_client.py --uvloop             # client and server on uvloop (pip install uvloop)

Targets (issue 2): >= 0.9 of ideal, <= 1 ms client CPU per request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openseeker.llm import LLMConfig, build_llm


def start_server(latency: float, uvloop: bool = False) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "openseeker.testing.fake_openai", "--latency", str(latency), "--text", "ok"]
        + (["--uvloop"] if uvloop else []),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        proc.kill()
        raise SystemExit(f"fake server did not start: {line!r}")
    return proc, int(line.split()[1])


async def run(
    port: int, n: int, concurrency: int, http_client: str, cache: Path | None
) -> tuple[float, float, int]:
    cfg = LLMConfig(
        model="openai/fake",
        base_url=f"http://127.0.0.1:{port}/v1",
        max_concurrency=concurrency,
        timeout=30,
        max_retries=2,
        cache=cache is not None,
        options={"http_client": http_client},
    )
    llm = build_llm(cfg, cache_path=cache)
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> str:
        async with sem:
            out = await llm.generate(
                [{"role": "user", "content": f"question {i}"}], scope=f"bench{time.time_ns()}"
            )
            return out.text

    # warm-up: open the pool's connections (a long-running pipeline pays this once)
    await asyncio.gather(*(one(i) for i in range(concurrency)))
    t0, c0 = time.perf_counter(), time.process_time()
    outs = await asyncio.gather(*(one(i) for i in range(n)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    await llm.aclose()
    return wall, cpu, sum(1 for o in outs if o == "ok")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--http-client", default="auto", choices=["auto", "fast", "httpx"])
    ap.add_argument("--cache", action="store_true", help="put the SQLite response cache in the stack")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--uvloop", action="store_true", help="run client and server on uvloop (pip install uvloop)"
    )
    args = ap.parse_args()
    loop_factory = None
    if args.uvloop:
        import uvloop

        loop_factory = uvloop.new_event_loop
    proc, port = start_server(args.latency, args.uvloop)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp) / "llm.sqlite" if args.cache else None
            ideal = args.concurrency / args.latency
            best = None
            for rep in range(args.repeats):
                with asyncio.Runner(loop_factory=loop_factory) as runner:
                    wall, cpu, ok = runner.run(
                        run(port, args.requests, args.concurrency, args.http_client, cache)
                    )
                frac = args.requests / wall / ideal
                print(
                    f"run {rep + 1}: {args.requests} requests ({ok} ok) in {wall:.3f} s = {args.requests / wall:,.0f} req/s"
                    f" = {frac:.3f} of ideal ({ideal:,.0f} req/s); client CPU {cpu / args.requests * 1000:.3f} ms/request"
                )
                if best is None or frac > best[0]:
                    best = (frac, cpu / args.requests * 1000)
    finally:
        proc.terminate()
        proc.wait()
    srv = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert best is not None
    print(
        f"best: {best[0]:.3f} of ideal, {best[1]:.3f} ms client CPU/request "
        f"(targets >= 0.9, <= 1.0); server process CPU {srv.ru_utime + srv.ru_stime:.2f} s in all; "
        f"cpus={os.cpu_count()} http_client={args.http_client} cache={args.cache} uvloop={args.uvloop}"
    )


if __name__ == "__main__":
    main()
