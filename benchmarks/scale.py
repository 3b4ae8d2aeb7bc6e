"""Beyond one machine (issue 14): parallel ingest, the search service, a stage on Ray; projections.

Parts (each measured in fresh child processes; ``uptime``'s load average is recorded beside every figure):

* ``ingest``: a generated multistream MediaWiki dump (once, cached in ``--data``): pages of 300-700 words
  drawn from a Zipf law over a 500k-word vocabulary (benchmarks/corpus.py's words: >= 300k distinct terms
  from 100k pages on), with MediaWiki markup as benchmarks/mediawiki.py writes it (an infobox template,
  headings, ~10 wikilinks plain, piped and with underscores, references, a category), 10 % redirects, 100
  pages per bz2 stream and the index beside it. Ingested with ``--workers 1`` and ``--workers 2`` (local
  processes): wall and CPU seconds, pages per second, the split into units+merge / links / index, and the
  peak resident memory of the driver and of each worker (sampled every 0.2 s; the driver's own ``VmHWM``).
* ``search``: 1000 queries (3-5 consecutive words of random pages), top 10 with snippets: in-process
  (``CorpusStore.search``, one thread; and 16 threads of one process), and through ``openseeker corpus
  serve`` (2 worker processes) with 16 concurrent HTTP clients: p50 / p99 latency and queries per second.
* ``stage``: the eval stage (``custom`` questions, rules judge) against a fake OpenAI server in its own
  process answering every request after a fixed latency, run locally (one process, ``--stage-concurrency``
  inputs in flight) and on a local Ray cluster of 2 workers (the same per-worker concurrency; the endpoint
  budget split between them): items per second, with and without Ray's start-up, and the ratio.
* ``project``: time and memory for full English Wikipedia (7M articles) and for 100M pages, from the rates
  measured here (see the printed assumptions).

    python benchmarks/scale.py --pages 100000 --data /tmp/osk-scale --json-out scale-100k.json
    python benchmarks/scale.py --pages 1000000 --data /tmp/osk-scale --parts ingest,search
    python benchmarks/scale.py --pages 20000 --parts ingest --rounds 3 --unit-mb 4   # a robust 2/1 ratio
"""

from __future__ import annotations

import argparse
import asyncio
import bz2
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import VOCAB, _hwm_mb, _pct, _queries, _word  # benchmarks/corpus.py

HEADER = (
    '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" xml:lang="en" version="0.10">\n'
    "<siteinfo><sitename>Bench</sitename><dbname>enwiki</dbname>"
    "<base>https://en.wikipedia.org/wiki/Main_Page</base><namespaces>"
    '<namespace key="0" /><namespace key="6">File</namespace><namespace key="14">Category</namespace>'
    "<namespace key=\"10\">Template</namespace></namespaces></siteinfo>\n"
)


# -- the generated dump ------------------------------------------------------------------------------------


def _pages_xml(start: int, n: int, total: int, seed: int) -> list[tuple[int, str, bytes]]:
    """Pages ``start .. start+n`` (deterministic in ``seed`` and ``start``)."""
    rng = np.random.default_rng([seed, start])
    prng = random.Random(seed * 1_000_003 + start)
    words = _WORDS
    lengths = rng.integers(300, 701, n)
    ids = np.minimum(np.searchsorted(_CDF, rng.random(int(lengths.sum()))), VOCAB - 1)
    out = []
    o = 0
    for j in range(n):
        i = start + j
        title = _title(i)
        ln = int(lengths[j])
        w = [words[x] for x in ids[o : o + ln].tolist()]
        o += ln
        if i % 10 == 9:  # a redirect
            target = _title(prng.randrange(total))
            xml = (
                f"<page><title>{title}</title><ns>0</ns><id>{i + 1}</id><redirect title=\"{target}\" />"
                f'<revision><id>{i + 1}</id><text xml:space="preserve">#REDIRECT [[{target}]]</text></revision></page>\n'
            )
            out.append((i + 1, title, xml.encode()))
            continue
        for _ in range(10):  # wikilinks: plain, piped, underscored
            k = prng.randrange(ln)
            t = _title(min(int(prng.paretovariate(1.2) * 50), total - 1) if prng.random() < 0.5 else prng.randrange(total))
            form = prng.random()
            w[k] = f"[[{t}]]" if form < 0.5 else (f"[[{t}|{w[k]}]]" if form < 0.8 else f"[[{t.replace(' ', '_')}]]")
        for k in range(14, ln, 15):
            w[k] += "."
        body = " ".join(w)
        cut = len(body) // 3
        text = (
            f"{{{{Infobox place|name={title}|population={prng.randrange(10**6)}}}}}\n'''{title}''' "
            f"{body[:cut]}<ref>{{{{cite web|url=https://example.org/{i}|title={w[0]}}}}}</ref>\n"
            f"== History ==\n{body[cut:]}\n== References ==\n<references />\n[[Category:{w[1].title()}]]"
        )
        xml = (
            f"<page><title>{title}</title><ns>0</ns><id>{i + 1}</id><revision><id>{i + 1}</id>"
            f"<timestamp>2024-01-01T00:00:00Z</timestamp><text xml:space=\"preserve\">{escape(text)}</text></revision></page>\n"
        )
        out.append((i + 1, title, xml.encode()))
    return out


_WORDS: list[str] = []
_CDF: np.ndarray = np.zeros(0)


def _init_words() -> None:
    global _WORDS, _CDF
    if not _WORDS:
        _WORDS = [_word(i) for i in range(VOCAB)]
        cdf = np.cumsum(1.0 / np.arange(1, VOCAB + 1))
        _CDF = cdf / cdf[-1]


def _title(i: int) -> str:
    return f"{_word(i * 7919 % VOCAB).title()} {_word(i % 9973)} {i}"


def _compressed_batch(args: tuple[int, int, int, int]) -> tuple[list[tuple[int, str]], bytes]:
    _init_words()
    start, n, total, seed = args
    pages = _pages_xml(start, n, total, seed)
    return [(pid, title) for pid, title, _ in pages], bz2.compress(b"".join(x for _, _, x in pages), 9)


def generate(path: Path, pages: int, seed: int = 0, per_stream: int = 100) -> None:
    """Write the multistream dump ``path`` and its index (see the module docstring); two processes compress."""
    index = path.with_name(path.name[: -len(".xml.bz2")] + "-index.txt.bz2")
    tmp = path.with_suffix(".part")
    batches = [(s, min(per_stream, pages - s), pages, seed) for s in range(0, pages, per_stream)]
    with tmp.open("wb") as out, bz2.open(index, "wb") as idx, multiprocessing.get_context("spawn").Pool(2) as pool:
        out.write(bz2.compress(HEADER.encode()))
        for titles, data in pool.imap(_compressed_batch, batches, chunksize=4):
            offset = out.tell()
            out.write(data)
            idx.write("".join(f"{offset}:{pid}:{t}\n" for pid, t in titles).encode())
        out.write(bz2.compress(b"</mediawiki>\n"))
    tmp.rename(path)


# -- measurement helpers ------------------------------------------------------------------------------------


class TreeSampler:
    """Peak RSS of this process and of each of its descendants, sampled every ``interval`` seconds."""

    def __init__(self, interval: float = 0.2):
        import psutil

        self.me = psutil.Process()
        self.interval = interval
        self.peaks: dict[int, float] = {}
        self.total_peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(self.interval):
            total = 0.0
            for p in [self.me, *self.me.children(recursive=True)]:
                try:
                    mb = p.memory_info().rss / 2**20
                except psutil.Error:
                    continue
                total += mb
                self.peaks[p.pid] = max(self.peaks.get(p.pid, 0.0), mb)
            self.total_peak = max(self.total_peak, total)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _child(part: str, args: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
    load = _load()
    cmd = [sys.executable, __file__, "--phase", part, "--phase-args", json.dumps(args)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=timeout)
    if res.returncode != 0:
        raise SystemExit(f"{part} failed:\n{res.stderr[-4000:]}")
    out = dict(json.loads(res.stdout.strip().splitlines()[-1]))
    out["load_average_before"], out["load_average_after"] = load, _load()
    return out


# -- the phases (each runs in a child process) ----------------------------------------------------------------


def phase_ingest(args: dict[str, Any]) -> dict[str, Any]:
    from openseeker.corpus.ingest import ingest

    out = Path(args["out"])
    shutil.rmtree(out, ignore_errors=True)
    t0, c0 = time.perf_counter(), os.times()
    with TreeSampler() as sampler:
        rep = ingest([args["dump"]], out, workers=args["workers"], unit_mb=args["unit_mb"])
    wall, c1 = time.perf_counter() - t0, os.times()
    cpu = (c1.user - c0.user) + (c1.system - c0.system) + (c1.children_user - c0.children_user) + (
        c1.children_system - c0.children_system
    )
    me = os.getpid()
    workers = sorted((mb for pid, mb in sampler.peaks.items() if pid != me), reverse=True)
    return {
        "workers": args["workers"],
        "pages": rep.pages,
        "links": rep.links,
        "redirects": rep.redirects,
        "terms": rep.index.get("vocab"),
        "units": rep.units,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "pages_per_s": round(rep.pages / wall, 1),
        "pages_per_cpu_s": round(rep.pages / cpu, 1),
        "units_merge_s": round(rep.units_seconds, 1),
        "links_s": round(rep.links_seconds, 1),
        "index_s": round(rep.index_seconds, 1),
        "driver_peak_mb": _hwm_mb(),
        "worker_peak_mb": [round(x, 1) for x in workers[: args["workers"]]],
        "tree_peak_mb": round(sampler.total_peak, 1),
        "corpus_mb": round(sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 2**20, 1),
    }


def _serve(corpus: str, workers: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "openseeker.cli.main", "corpus", "serve", corpus, "--port", "0",
         "--workers", str(workers)],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().split(" on ", 1)[1].split()[0]
    import httpx

    for _ in range(600):
        try:
            if httpx.get(url + "/health", timeout=5).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the service did not start")


def _stats(lat: list[float], wall: float) -> dict[str, float]:
    return {
        "p50_ms": round(_pct(lat, 0.5), 2),
        "p99_ms": round(_pct(lat, 0.99), 2),
        "mean_ms": round(statistics.fmean(lat), 2),
        "qps": round(len(lat) / wall, 1),
    }


async def _raw_clients(url: str, queries: list[str], clients: int) -> tuple[list[float], float]:
    """``clients`` keep-alive HTTP/1.1 connections posting ``/v1/search`` (a plain asyncio client: an
    httpx client in Python costs more CPU per request than the search itself, and would measure itself)."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    todo = list(queries)
    out: list[float] = []

    async def one() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while todo:
                body = json.dumps({"query": todo.pop(), "top_k": 10}).encode()
                head = f"POST /v1/search HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                t = time.perf_counter()
                writer.write(head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                headers = await reader.readuntil(b"\r\n\r\n")
                if not headers.startswith(b"HTTP/1.1 200"):
                    raise SystemExit(f"the service answered {headers[:40]!r}")
                size = int(headers.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
                await reader.readexactly(size)
                out.append((time.perf_counter() - t) * 1000)
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(clients)))
    return out, time.perf_counter() - t0


def phase_search(args: dict[str, Any]) -> dict[str, Any]:
    import signal
    from concurrent.futures import ThreadPoolExecutor

    from openseeker.corpus import open_corpus

    store = open_corpus(Path(args["corpus"]))
    queries = _queries(store, args["queries"])
    for q in queries[:50]:  # warm the page cache and the index
        store.search(q, 10)
    lat: list[float] = []
    t0, c0 = time.perf_counter(), time.process_time()
    for q in queries:
        t = time.perf_counter()
        store.search(q, 10)
        lat.append((time.perf_counter() - t) * 1000)
    single = _stats(lat, time.perf_counter() - t0)
    cpu_per_query = round((time.process_time() - c0) * 1000 / len(queries), 2)

    def timed(q: str) -> float:
        t = time.perf_counter()
        store.search(q, 10)
        return (time.perf_counter() - t) * 1000

    t0 = time.perf_counter()
    with ThreadPoolExecutor(args["clients"]) as pool:
        lat = list(pool.map(timed, queries))
    threads = _stats(lat, time.perf_counter() - t0)

    proc, url = _serve(args["corpus"], args["serve_workers"])
    try:
        import psutil

        tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]

        def server_cpu() -> float:
            return sum(sum(p.cpu_times()[:2]) for p in tree)

        asyncio.run(_raw_clients(url, queries[:50], 4))  # warm every worker
        c0, mine0 = server_cpu(), time.process_time()
        lat, wall = asyncio.run(_raw_clients(url, queries, args["clients"]))
        served = _stats(lat, wall)
        served["server_cpu_ms_per_query"] = round((server_cpu() - c0) * 1000 / len(queries), 2)
        served["client_cpu_ms_per_query"] = round((time.process_time() - mine0) * 1000 / len(queries), 2)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    single["cpu_ms_per_query"] = cpu_per_query
    return {
        "pages": len(store),
        "queries": len(queries),
        "clients": args["clients"],
        "serve_workers": args["serve_workers"],
        "in_process_1_thread": single,
        f"in_process_{args['clients']}_threads": threads,
        f"served_{args['clients']}_clients": served,
        "served_p50_over_in_process_p50": round(served["p50_ms"] / single["p50_ms"], 2),
        "served_qps_over_in_process_threads_qps": round(served["qps"] / threads["qps"], 2),
        "server_cpu_over_in_process_cpu": round(served["server_cpu_ms_per_query"] / cpu_per_query, 2),
    }


def phase_stage(args: dict[str, Any]) -> dict[str, Any]:
    import signal

    from openseeker.evaluate.runner import STAGE_EVAL, EvalConfig

    root = Path(args["root"])
    answer = "<think>\nok\n</think>\n\n<answer>Paris</answer>"
    srv = subprocess.Popen(
        [sys.executable, "-m", "openseeker.testing.fake_openai", "--latency", str(args["latency"]), "--text", answer],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert srv.stdout is not None
    port = int(srv.stdout.readline().split()[1])
    try:
        def run(kind: str) -> dict[str, Any]:
            out = root / f"run-{kind}"
            shutil.rmtree(out, ignore_errors=True)
            cfg = EvalConfig.model_validate({
                "benchmark": "custom", "data": args["data"], "out": str(out), "judge": "rules",
                "concurrency": args["concurrency"], "shard_size": args["shard_size"], "progress": False,
                "roles": {"agent": {"model": "openai/fake", "base_url": f"http://127.0.0.1:{port}/v1",
                                    "max_concurrency": 2 * args["concurrency"]}},
                "tools": {"corpus": args["corpus"]},
                "executor": {"kind": kind, "workers": 2},
            })
            t0 = time.perf_counter()
            res = asyncio.run(STAGE_EVAL.arun(cfg))
            wall = time.perf_counter() - t0
            assert res.stage.errors == 0, res.stage
            # the work itself: from the first to the last committed input (Ray's start-up excluded)
            stamps = sorted(p.stat().st_mtime for p in (out / "eval" / "_state").glob("*.ckpt"))
            starts = sorted(p.stat().st_ctime for p in (out / "eval" / "_state").glob("*.lock")) or [t0]
            return {"items": res.stage.outputs, "wall_s": round(wall, 2), "items_per_s": round(res.stage.outputs / wall, 1),
                    "work_s": round(stamps[-1] - min(starts), 2) if kind == "ray" else round(wall, 2)}

        if args["ray"]:
            from openseeker.pipeline.executor import ray_init

            t = time.perf_counter()
            ray_init(None, 2)
            ray_start = time.perf_counter() - t
        local = run("local")
        ray = run("ray") if args["ray"] else None
    finally:
        os.killpg(srv.pid, signal.SIGTERM)
        srv.wait(30)
    out: dict[str, Any] = {"latency_s": args["latency"], "per_worker_concurrency": args["concurrency"], "local": local}
    if ray is not None:
        ray["items_per_s_without_startup"] = round(ray["items"] / ray["work_s"], 1)
        out.update(ray=ray, ray_init_s=round(ray_start, 2),
                   ray_over_local=round(ray["items_per_s"] / local["items_per_s"], 2),
                   ray_over_local_without_startup=round(ray["items_per_s_without_startup"] / local["items_per_s"], 2))
    return out


PHASES = {"ingest": phase_ingest, "search": phase_search, "stage": phase_stage}


# -- projections ------------------------------------------------------------------------------------------------


def project(ingest: list[dict[str, Any]], search: dict[str, Any] | None) -> dict[str, Any]:
    """Linear projections from the largest measured ingest (assumptions in the output)."""
    by_w = {r["workers"]: r for r in ingest}
    one = by_w.get(1) or ingest[0]
    n = one["pages"]
    out: dict[str, Any] = {
        "assumptions": (
            "reading units scales with workers (pages per worker-second as measured with 1 worker); the "
            "driver's merge, link resolution and index build are serial and linear in pages; memory per "
            "worker and of the driver is bounded (as measured), disk is linear; search latency grows "
            "linearly with the posting lists (pages)"
        )
    }
    read_rate = one["pages"] / max(one["units_merge_s"], 1e-9)  # pages per second through one worker + merge
    for label, pages in (("english_wikipedia_7M", 7_000_000), ("pages_100M", 100_000_000)):
        f = pages / n
        proj: dict[str, Any] = {}
        for w in (1, 16, 64):
            units = pages / (read_rate * w)
            serial = (one["links_s"] + one["index_s"]) * f
            proj[f"hours_{w}_workers"] = round((units + serial) / 3600, 1)
        proj["serial_part_hours"] = round((one["links_s"] + one["index_s"]) * f / 3600, 1)
        proj["corpus_gb"] = round(one["corpus_mb"] * f / 1024, 1)
        proj["driver_peak_mb"] = one["driver_peak_mb"]
        proj["worker_peak_mb"] = max(max(r["worker_peak_mb"] or [0]) for r in ingest)
        if search:
            p50 = search["in_process_1_thread"]["p50_ms"]
            proj["search_p50_ms_in_process"] = round(p50 * pages / search["pages"], 1)
        out[label] = proj
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--data", default="/tmp/openseeker-scale-bench")
    ap.add_argument("--parts", default="ingest,search,stage")
    ap.add_argument("--workers", default="1,2", help="ingest worker counts to compare")
    ap.add_argument("--unit-mb", type=float, default=32.0)
    ap.add_argument("--rounds", type=int, default=1, help="ingest rounds per worker count (interleaved)")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--serve-workers", type=int, default=2)
    ap.add_argument("--stage-items", type=int, default=2000)
    ap.add_argument("--stage-latency", type=float, default=0.05)
    ap.add_argument("--stage-concurrency", type=int, default=64)
    ap.add_argument("--no-ray", action="store_true", help="stage part: local only")
    ap.add_argument("--json-out")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--phase-args", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.phase:
        print(json.dumps(PHASES[a.phase](json.loads(a.phase_args))))
        return
    data = Path(a.data)
    data.mkdir(parents=True, exist_ok=True)
    parts = a.parts.split(",")
    results: dict[str, Any] = {"pages": a.pages, "cpus": os.cpu_count(), "load_average_start": _load()}
    dump = data / f"enwiki-{a.pages}-pages-articles-multistream.xml.bz2"
    counts = [int(x) for x in a.workers.split(",")]
    corpus = data / f"corpus-{a.pages}-w{counts[0]}"  # the search part uses the first ingest's corpus
    if "ingest" in parts:
        if not dump.exists():
            t = time.perf_counter()
            generate(dump, a.pages)
            results["generate_s"] = round(time.perf_counter() - t, 1)
        results["dump_mb"] = round(dump.stat().st_size / 2**20, 1)
        results["ingest"] = []
        for _round in range(a.rounds):  # interleaved, so that a change of the machine's load hits both
            for w in counts:
                r = _child("ingest", {"dump": str(dump), "out": str(data / f"corpus-{a.pages}-w{w}"), "workers": w,
                                      "unit_mb": a.unit_mb})
                print(json.dumps(r), flush=True)
                results["ingest"].append(r)
        if 1 in counts and 2 in counts:
            med = {w: statistics.median(r["pages_per_s"] for r in results["ingest"] if r["workers"] == w) for w in (1, 2)}
            cpu = {w: statistics.median(r["cpu_s"] for r in results["ingest"] if r["workers"] == w) for w in (1, 2)}
            results["ingest_2_over_1_workers_wall"] = round(med[2] / med[1], 2)
            results["ingest_2_over_1_workers_cpu"] = round(cpu[2] / cpu[1], 2)
        for w in counts[1:]:
            shutil.rmtree(data / f"corpus-{a.pages}-w{w}", ignore_errors=True)
    if "search" in parts:
        results["search"] = _child("search", {"corpus": str(corpus), "queries": a.queries, "clients": a.clients,
                                              "serve_workers": a.serve_workers})
        print(json.dumps(results["search"]), flush=True)
    if "stage" in parts:
        root = data / "stage"
        root.mkdir(exist_ok=True)
        qa = root / "questions.jsonl"
        qa.write_text("".join(json.dumps({"id": f"q{i}", "question": f"Capital {i}?", "answer": "Paris"}) + "\n"
                              for i in range(a.stage_items)))
        world = root / "corpus"
        if not (world / "corpus.sqlite").exists():
            from openseeker.corpus.ingest import ingest
            from openseeker.worldgen import write_world

            ingest([write_world(root / "world", 0, 200, ("en",))["pages"]], world, overwrite=True)
        results["stage"] = _child("stage", {"root": str(root), "data": str(qa), "corpus": str(world),
                                            "latency": a.stage_latency, "concurrency": a.stage_concurrency,
                                            "shard_size": max(50, a.stage_items // 16), "ray": not a.no_ray})
        print(json.dumps(results["stage"]), flush=True)
    if results.get("ingest"):
        results["projection"] = project(results["ingest"], results.get("search"))
    results["load_average_end"] = _load()
    text = json.dumps(results, indent=2)
    print(text)
    if a.json_out:
        Path(a.json_out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
