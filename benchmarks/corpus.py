"""Corpus benchmark (issue 3): ingest throughput and peak memory, BM25 search latency vs rank_bm25, and graph
lookup latency, on Wikispeedia and on a generated corpus (default 1M pages, 10M links).

Usage::

    python benchmarks/corpus.py                              # full: 1M generated pages (+ Wikispeedia if given)
    python benchmarks/corpus.py --pages 100000 --wikispeedia ../shared/data/wikispeedia --json-out bench.json

Every measured phase runs in its own child process, so each "peak RSS" is that phase's own maximum resident
set size. Everything runs single-threaded (one CPU core).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from openseeker.corpus.sources import Source, SourceLink, SourcePage

SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "ta",
    "shi",
    "po",
    "va",
    "de",
    "zu",
    "bri",
    "gon",
    "tel",
    "mar",
    "sen",
]


def _word(i: int) -> str:
    out = []
    i += 16
    while i:
        i, r = divmod(i, len(SYLLABLES))
        out.append(SYLLABLES[r])
    return "".join(out)


class GeneratedSource(Source):
    """A deterministic synthetic web graph: Zipfian text (30k-word vocabulary, 30-90 words per page) and
    ``links_per_page`` links per page, half to popular pages (Pareto), half uniform, 5% dangling."""

    kind = "generated"

    def __init__(self, pages: int, links_per_page: int = 10, seed: int = 0):
        super().__init__(Path("generated"))
        self.pages, self.links_per_page, self.seed = pages, links_per_page, seed

    def __iter__(self) -> Iterator[SourcePage]:
        rng = np.random.default_rng(self.seed)
        vocab = [_word(i) for i in range(30_000)]
        weights = 1.0 / np.arange(1, 30_001)
        weights /= weights.sum()
        batch = 10_000
        for start in range(0, self.pages, batch):
            n = min(batch, self.pages - start)
            lengths = rng.integers(30, 91, n)
            words = rng.choice(30_000, size=int(lengths.sum()), p=weights)
            k = self.links_per_page
            popular = np.minimum((rng.pareto(1.2, (n, k // 2)) * 50).astype(np.int64), self.pages - 1)
            uniform = rng.integers(0, self.pages, (n, k - k // 2))
            targets = np.concatenate([popular, uniform], axis=1)
            dangling = rng.random((n, k)) < 0.05
            pos = 0
            for j in range(n):
                pid = start + j
                ws = [vocab[w] for w in words[pos : pos + lengths[j]]]
                pos += lengths[j]
                title = f"{ws[0].title()} {ws[1]} {pid}"
                text = " ".join(ws[:15]) + ". " + " ".join(ws[15:]) + "."
                links = []
                for t, dead in zip(targets[j], dangling[j], strict=True):
                    url = f"https://gen.test/missing/{t}" if dead else f"https://gen.test/p/{t}"
                    links.append(SourceLink(url, f"page {t}", ws[0] + " links to page " + str(t) + "."))
                yield SourcePage(f"https://gen.test/p/{pid}", title, text, "en", links)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(p * (len(s) - 1) + 0.5))]


def _latency(fn: Any, args: list[Any]) -> dict[str, float]:
    """Wall-clock and CPU time per call. On a shared machine the wall time includes waiting for a core;
    the CPU time (this process, single-threaded) is what one call costs on an idle core."""
    times, cpu = [], []
    for a in args:
        t, c = time.perf_counter(), time.process_time()
        fn(a)
        cpu.append((time.process_time() - c) * 1000)
        times.append((time.perf_counter() - t) * 1000)
    total = sum(times) / 1000
    return {
        "p50_ms": round(_pct(times, 0.5), 3),
        "p99_ms": round(_pct(times, 0.99), 3),
        "mean_ms": round(statistics.fmean(times), 3),
        "qps": round(len(times) / total, 1),
        "cpu_p50_ms": round(_pct(cpu, 0.5), 3),
        "cpu_p99_ms": round(_pct(cpu, 0.99), 3),
        "cpu_qps": round(len(cpu) / max(sum(cpu) / 1000, 1e-9), 1),
        "n": len(times),
    }


# -- phases (each runs in a child process) ---------------------------------------------------------------


def phase_ingest(args: dict[str, Any]) -> dict[str, Any]:
    from openseeker.corpus.ingest import ingest

    src: Any = GeneratedSource(args["pages"], args["links"]) if args.get("pages") else args["path"]
    t = time.perf_counter()
    report = ingest([src], args["out"], overwrite=True)
    secs = time.perf_counter() - t
    return {
        "pages": report.pages,
        "links": report.links,
        "dangling": report.dangling_links,
        "seconds": round(secs, 1),
        "index_seconds": round(report.index_seconds, 1),
        "pages_per_s": round(report.pages / secs, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "db_mb": round((Path(args["out"]) / "corpus.sqlite").stat().st_size / 2**20, 1),
    }


def _queries(store: Any, n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    qs = []
    for _ in range(n):
        words = store.get(rng.randrange(len(store))).text.replace(".", "").split()
        k = rng.randint(3, 5)
        i = rng.randrange(max(1, len(words) - k))
        qs.append(" ".join(words[i : i + k]))
    return qs


def phase_search(args: dict[str, Any]) -> dict[str, Any]:
    from openseeker.corpus import open_corpus

    store = open_corpus(args["corpus"])
    qs = _queries(store, args["queries"])
    store.search(qs[0])  # load the index (mmap) before timing
    out = {
        "pages": len(store),
        "index_only": _latency(lambda q: store.index.search(q, 10), qs),
        "with_snippets": _latency(lambda q: store.search(q, 10), qs),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    if args.get("rank_bm25"):
        from rank_bm25 import BM25Okapi

        class LuceneIdfBM25(BM25Okapi):  # type: ignore[misc]
            """rank_bm25's Okapi scoring with the idf our index uses (Lucene's, never negative), so both
            rank by the same formula and the speed comparison is like for like."""

            def _calc_idf(self, nd: dict[str, int]) -> None:
                for word, df in nd.items():
                    self.idf[word] = math.log(1.0 + (self.corpus_size - df + 0.5) / (df + 0.5))

        tok = store.index.tokenizer
        t = time.perf_counter()
        pages = list(store.iter_pages())
        bm = LuceneIdfBM25([tok(f"{p.title}\n{p.title}\n{p.text}") for p in pages])
        out["rank_bm25_build_s"] = round(time.perf_counter() - t, 1)
        sub = qs[: args["rank_bm25"]]
        agree = out["top10_agreement"] = _agreement(store, bm, [p.id for p in pages], sub)
        if agree["mean_overlap"] < 0.98:  # different results: a speed ratio would compare unlike things
            raise SystemExit(f"our top 10 disagrees with rank_bm25's: {agree}")

        def rb(q: str) -> Any:
            s = bm.get_scores(tok(q))
            return np.argpartition(-s, 10)[:10]

        out["rank_bm25"] = _latency(rb, sub)
        out["ours_same_queries"] = _latency(lambda q: store.index.search(q, 10), sub)
        out["speedup_p50"] = round(
            out["rank_bm25"]["p50_ms"] / max(out["ours_same_queries"]["p50_ms"], 1e-6), 1
        )
    return out


def _agreement(store: Any, bm: Any, ids: list[int], queries: list[str]) -> dict[str, float]:
    """How far our top 10 matches rank_bm25's on the same queries (the share of pages in common, per query):
    the speed comparison means something only if both return the same pages. Equal scores at the cut may
    be ordered differently (float32 here, float64 there), so a query can differ by a tied page."""
    tok = store.index.tokenizer
    overlaps = []
    for q in queries:
        s = bm.get_scores(tok(q))
        theirs = {ids[i] for i in np.argsort(-s, kind="stable")[:10] if s[i] > 0}
        ours = {d for d, _ in store.index.search(q, 10)}
        overlaps.append(len(ours & theirs) / max(len(ours), len(theirs), 1))
    return {
        "mean_overlap": round(statistics.fmean(overlaps), 3),
        "min_overlap": round(min(overlaps), 3),
        "identical": sum(o == 1.0 for o in overlaps),
        "n": len(overlaps),
    }


def phase_graph(args: dict[str, Any]) -> dict[str, Any]:
    from openseeker.corpus import open_corpus

    store = open_corpus(args["corpus"])
    rng = random.Random(2)
    ids = [rng.randrange(len(store)) for _ in range(args["lookups"])]
    urls = [store.get(i).url for i in ids[:200]]
    return {
        "get_by_url": _latency(store.get, urls),
        "out_links": _latency(store.out_links, ids),
        "in_links": _latency(store.in_links, ids[:200]),
        "two_hop_limit_1000": _latency(lambda i: store.neighbourhood(i, 2, 1000), ids[:200]),
    }


PHASES = {"ingest": phase_ingest, "search": phase_search, "graph": phase_graph}


def _child(phase: str, args: dict[str, Any]) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--phase", phase, "--phase-args", json.dumps(args)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{res.stderr[-3000:]}")
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=1_000_000, help="generated corpus size (default 1M)")
    ap.add_argument("--links-per-page", type=int, default=10)
    ap.add_argument("--subset", type=int, default=50_000, help="pages of the rank_bm25 comparison")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--rank-bm25-queries", type=int, default=50)
    ap.add_argument("--wikispeedia", default=None, help="Wikispeedia folder (skipped when not given)")
    ap.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--phase-args", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.phase:
        print(json.dumps(PHASES[a.phase](json.loads(a.phase_args))))
        return
    work = Path(a.work or tempfile.mkdtemp(prefix="corpus-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"pages": a.pages, "links_per_page": a.links_per_page}
    if a.wikispeedia:
        ws = str(work / "wikispeedia")
        results["wikispeedia"] = {
            "ingest": _child("ingest", {"path": a.wikispeedia, "out": ws}),
            "search": _child(
                "search", {"corpus": ws, "queries": a.queries, "rank_bm25": a.rank_bm25_queries}
            ),
            "graph": _child("graph", {"corpus": ws, "lookups": 1000}),
        }
        print(json.dumps({"wikispeedia": results["wikispeedia"]}, indent=1), flush=True)
    sub = str(work / "subset")
    results["subset"] = {
        "ingest": _child("ingest", {"pages": a.subset, "links": a.links_per_page, "out": sub}),
        "search": _child("search", {"corpus": sub, "queries": a.queries, "rank_bm25": a.rank_bm25_queries}),
    }
    print(json.dumps({"subset": results["subset"]}, indent=1), flush=True)
    gen = str(work / "generated")
    results["generated"] = {
        "ingest": _child("ingest", {"pages": a.pages, "links": a.links_per_page, "out": gen}),
        "search": _child("search", {"corpus": gen, "queries": a.queries}),
        "graph": _child("graph", {"corpus": gen, "lookups": 1000}),
    }
    print(json.dumps({"generated": results["generated"]}, indent=1), flush=True)
    g = results["generated"]
    results["load_average"] = os.getloadavg()
    results["targets"] = {
        "search_p50_le_5ms": g["search"]["index_only"]["p50_ms"] <= 5.0,
        "search_cpu_p50_le_5ms": g["search"]["index_only"]["cpu_p50_ms"] <= 5.0,
        "ingest_peak_lt_2GB": g["ingest"]["peak_rss_mb"] < 2048,
    }
    print(json.dumps({"targets": results["targets"]}))
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
