"""LLM client overhead: N requests at concurrency C through the full ``build_llm`` stack.

A local OpenAI-compatible server (``openseeker.testing.fake_openai``) runs in *separate processes* and
answers every request after a fixed latency, so the ideal throughput is ``concurrency / latency`` and
whatever falls short of it is overhead. Printed per run: throughput as a fraction of ideal, client CPU
time per request (this process only) and server CPU time per request (the server processes, measured
apart, because on a small machine a busy server delays answers and looks like client overhead).

    python benchmarks/llm_client.py                      # 2,000 requests, concurrency 200, 50 ms
    python benchmarks/llm_client.py --no-uvloop          # asyncio's own event loop (default: uvloop if installed)
    python benchmarks/llm_client.py --server-procs 2     # two server processes sharing the port (SO_REUSEPORT)
    python benchmarks/llm_client.py --http-client httpx  # the same through httpx
    python benchmarks/llm_client.py --cache              # with the SQLite response cache (all misses)

Targets (issue 2): >= 0.9 of ideal, <= 1 ms client CPU per request.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from openseeker.llm import LLMConfig, build_llm


def start_servers(latency: float, uvloop: bool, procs: int) -> tuple[list[subprocess.Popen[str]], int]:
    """Start ``procs`` fake-server processes on one port; returns them and the port."""
    out: list[subprocess.Popen[str]] = []
    port = 0
    for _ in range(procs):
        cmd = [sys.executable, "-m", "openseeker.testing.fake_openai", "--latency", str(latency)]
        cmd += ["--text", "ok", "--port", str(port)]
        cmd += (["--uvloop"] if uvloop else []) + (["--reuse-port"] if procs > 1 else [])
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        out.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("READY"):
            for p in out:
                p.kill()
            raise SystemExit(f"fake server did not start: {line!r}")
        port = int(line.split()[1])
    return out, port


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        t = p.cpu_times()
        total += t.user + t.system
    return total


async def run(
    port: int,
    n: int,
    concurrency: int,
    http_client: str,
    cache: Path | None,
    server_cpu: Callable[[], float],
) -> tuple[float, float, float, int]:
    """Returns wall seconds, client CPU seconds, server CPU seconds and the number of good answers."""
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
    ok = 0

    async def worker(ids: itertools.count[int], stop: int) -> None:
        # ``concurrency`` workers pulling request numbers: the driver itself costs next to nothing, so
        # the client CPU measured is the LLM stack's (not 2,000 tasks queued on a semaphore)
        nonlocal ok
        for i in ids:
            if i >= stop:
                return
            out = await llm.generate(
                [{"role": "user", "content": f"question {i}"}], scope=f"bench{time.time_ns()}"
            )
            ok += out.text == "ok"

    # warm-up: open the pool's connections (a long-running pipeline pays this once)
    warm = itertools.count()
    await asyncio.gather(*(worker(warm, concurrency) for _ in range(concurrency)))
    ok = 0
    ids = itertools.count()
    t0, c0, s0 = time.perf_counter(), time.process_time(), server_cpu()
    await asyncio.gather(*(worker(ids, n) for _ in range(concurrency)))
    wall, cpu, srv = time.perf_counter() - t0, time.process_time() - c0, server_cpu() - s0
    await llm.aclose()
    return wall, cpu, srv, ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--http-client", default="auto", choices=["auto", "fast", "httpx"])
    ap.add_argument("--cache", action="store_true", help="put the SQLite response cache in the stack")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--server-procs", type=int, default=1, help="fake-server processes sharing the port")
    ap.add_argument(
        "--no-uvloop", action="store_true", help="use asyncio's event loop even when uvloop is installed"
    )
    args = ap.parse_args()
    loop_factory = None
    if not args.no_uvloop:
        try:
            import uvloop

            loop_factory = uvloop.new_event_loop
        except ImportError:
            print("uvloop is not installed (pip install uvloop): running on asyncio's event loop")
    use_uvloop = loop_factory is not None
    procs, port = start_servers(args.latency, use_uvloop, max(1, args.server_procs))
    watched = [psutil.Process(p.pid) for p in procs]
    ideal = args.concurrency / args.latency
    fracs: list[float] = []
    cpus: list[float] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp) / "llm.sqlite" if args.cache else None
            for rep in range(args.repeats):
                with asyncio.Runner(loop_factory=loop_factory) as runner:
                    wall, cpu, srv, ok = runner.run(
                        run(
                            port,
                            args.requests,
                            args.concurrency,
                            args.http_client,
                            cache,
                            lambda: cpu_seconds(watched),
                        )
                    )
                frac = args.requests / wall / ideal
                fracs.append(frac)
                cpus.append(cpu / args.requests * 1000)
                print(
                    f"run {rep + 1}: {args.requests} requests ({ok} ok) in {wall:.3f} s = {args.requests / wall:,.0f} req/s"
                    f" = {frac:.3f} of ideal ({ideal:,.0f} req/s); client CPU {cpus[-1]:.3f} ms/request;"
                    f" server CPU {srv / args.requests * 1000:.3f} ms/request"
                )
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
    print(
        f"best {max(fracs):.3f}, median {statistics.median(fracs):.3f} of ideal; client CPU median "
        f"{statistics.median(cpus):.3f} ms/request (targets >= 0.9, <= 1.0); load {os.getloadavg()[0]:.1f}, "
        f"cpus={os.cpu_count()} http_client={args.http_client} cache={args.cache} uvloop={use_uvloop} "
        f"server_procs={args.server_procs}"
    )


if __name__ == "__main__":
    main()
