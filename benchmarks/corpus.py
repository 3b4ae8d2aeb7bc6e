"""Corpus benchmark (issues 3 and 19): ingest and index-build peak memory, search latency and top-10
agreement against bm25s and tantivy, and the memory N serving processes share, on a generated corpus.

The corpus is a JSONL file of synthetic pages (about 500 words each, drawn from a Zipf distribution over
a 500k-word vocabulary, so the index has >= 300k terms; 10 links per page, half to popular pages, 5 %
dangling). It is generated once and reused::

    python benchmarks/corpus.py --pages 100000 --data /tmp/osk-bench          # generate if missing, run all
    python benchmarks/corpus.py --pages 1000000 --data /tmp/osk-bench --json-out bench-1m.json
    python benchmarks/corpus.py --pages 100000 --data /tmp/osk-bench --phases search,share

Phases (each in its own child process, so each peak is that phase's own; peak = ``VmHWM``):

* ``ingest``: ``openseeker.corpus.ingest`` of the JSONL file (store, links, BM25 index), single-threaded.
* ``reindex``: ``openseeker.corpus.ingest.reindex`` alone (the index build from the store).
* ``search``: queries of 3-5 consecutive words of random pages, top 10, through ``CorpusStore.search``
  (snippets included, hits from the hit store; then the same with hits read from SQLite, the baseline) and
  the index alone (``--evict`` first drops the corpus's files from the page cache, ``--prefetch-hits`` then
  reads the hit store in, as ``corpus serve`` does at start); the same queries through bm25s
  (``BM25.load(mmap=True)`` of our index files + ``retrieve``: its exhaustive scoring, our weights) and
  through tantivy (an index of the same tokens, whitespace tokenizer, BM25 with its own k1 = 1.2). Top-10 agreement with bm25s is the mean
  share of bm25s's top 10 that we return; below 0.98 the phase fails instead of printing speed ratios
  that would compare unlike results. With ``--bm25s-build`` (default up to 20k pages) bm25s also
  builds its own index from the same tokens, and agreement is measured against that too.
* ``share``: 1, 2 and 4 serving processes open the corpus and run queries; their RSS, USS and PSS while
  all are alive, and the extra of each process (USS after opening and querying minus before), against a
  process that loads the vocabulary as a Python dict (what every process paid before the term table).
* ``graph``: page / link / 2-hop lookups.

Ratios (ours / baseline, or baseline / ours for latency, so > 1 means we are faster) come from the same
run; ``uptime``'s load average is recorded before and after each phase.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson

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
VOCAB = 500_000


def _word(i: int) -> str:
    out = []
    i += 16
    while i:
        i, r = divmod(i, len(SYLLABLES))
        out.append(SYLLABLES[r])
    return "".join(out)


def generate(path: Path, pages: int, seed: int = 0, links_per_page: int = 10) -> None:
    """Write ``pages`` synthetic JSONL pages to ``path`` (see module docstring).

    Texts are assembled from bytes in C (``b"".join(map(...))``): every word has a variant followed by a
    space and one followed by ". " (each 15th word ends a sentence), and needs no JSON escaping."""
    rng = np.random.default_rng(seed)
    words = [_word(i) for i in range(VOCAB)]
    pieces = [p for w in words for p in (w.encode() + b" ", w.encode() + b". ")]
    cdf = np.cumsum(1.0 / np.arange(1, VOCAB + 1))
    cdf /= cdf[-1]
    tmp = path.with_suffix(".part")
    batch = 10_000
    with tmp.open("wb") as fh:
        for start in range(0, pages, batch):
            n = min(batch, pages - start)
            lengths = rng.integers(300, 701, n)
            ids = np.minimum(np.searchsorted(cdf, rng.random(int(lengths.sum()))), VOCAB - 1)
            offsets = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            pos_in_page = np.arange(len(ids)) - np.repeat(offsets[:-1], lengths)
            ends = (pos_in_page % 15 == 14) | (pos_in_page == np.repeat(lengths, lengths) - 1)
            sel = (ids * 2 + ends).tolist()
            k = links_per_page
            popular = np.minimum((rng.pareto(1.2, (n, k // 2)) * 50).astype(np.int64), pages - 1)
            uniform = rng.integers(0, pages, (n, k - k // 2))
            targets = np.concatenate([popular, uniform], axis=1).tolist()
            dangling = (rng.random((n, k)) < 0.05).tolist()
            anchor_at = rng.integers(0, 280, (n, k)).tolist()
            out = []
            for j in range(n):
                pid = start + j
                o = int(offsets[j])
                text = b"".join(map(pieces.__getitem__, sel[o : o + int(lengths[j])])).rstrip()
                first, second = words[ids[o]], words[ids[o + 1]]
                links = [
                    {
                        "url": f"https://gen.test/{'missing' if dead else 'p'}/{t}",
                        "anchor": f"{words[ids[o + a]]} {words[ids[o + a + 1]]}",
                    }
                    for t, dead, a in zip(targets[j], dangling[j], anchor_at[j], strict=True)
                ]
                out.append(
                    b'{"url":"https://gen.test/p/%d","title":"%s %s %d","text":"%s","language":"en","links":%s}'
                    % (pid, first.title().encode(), second.encode(), pid, text, orjson.dumps(links))
                )
            fh.write(b"\n".join(out) + b"\n")
    tmp.rename(path)


# -- measurement helpers ----------------------------------------------------------------------------------


def _hwm_mb() -> float:
    """This process's peak resident set (``VmHWM``; ``ru_maxrss`` would carry the parent's over exec)."""
    m = re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text())
    return round(int(m.group(1)) / 1024, 1) if m else -1.0


def _pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(p * (len(s) - 1) + 0.5))]


def _latency(fn: Any, args: list[Any]) -> tuple[dict[str, float], list[Any]]:
    """Per-call wall and CPU time (the CPU time is what a call costs on an idle core), and the results."""
    times, cpu, results = [], [], []
    for a in args:
        t, c = time.perf_counter(), time.process_time()
        results.append(fn(a))
        cpu.append((time.process_time() - c) * 1000)
        times.append((time.perf_counter() - t) * 1000)
    stats = {
        "p50_ms": round(_pct(times, 0.5), 3),
        "p99_ms": round(_pct(times, 0.99), 3),
        "mean_ms": round(statistics.fmean(times), 3),
        "cpu_p50_ms": round(_pct(cpu, 0.5), 3),
        "cpu_p99_ms": round(_pct(cpu, 0.99), 3),
        "n": len(times),
    }
    return stats, results


def _queries(store: Any, n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    qs = []
    for _ in range(n):
        words = store.get(rng.randrange(len(store))).text.replace(".", "").split()
        k = rng.randint(3, 5)
        i = rng.randrange(max(1, len(words) - k))
        qs.append(" ".join(words[i : i + k]))
    return qs


def _agreement(ours: list[list[int]], ref: list[list[int]]) -> float:
    shares = [len(set(a) & set(b)) / len(b) for a, b in zip(ours, ref, strict=True) if b]
    return round(statistics.fmean(shares), 4) if shares else 1.0


# -- phases (each runs in a child process) ---------------------------------------------------------------


def _dir_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.iterdir()) / 2**20, 1) if path.is_dir() else 0.0


def phase_ingest(args: dict[str, Any]) -> dict[str, Any]:
    from openseeker.corpus.ingest import ingest

    t, c = time.perf_counter(), time.process_time()
    report = ingest([args["jsonl"]], args["out"], overwrite=True)
    secs, cpu = time.perf_counter() - t, time.process_time() - c
    return {
        "pages": report.pages,
        "links": report.links,
        "vocab": report.index.get("vocab"),
        "postings": report.index.get("postings"),
        "dense_terms": report.index.get("dense_terms"),
        "seconds": round(secs, 1),
        "cpu_seconds": round(cpu, 1),
        "index_seconds": round(report.index_seconds, 1),
        "pages_per_cpu_s": round(report.pages / cpu, 1),
        "peak_rss_mb": _hwm_mb(),
        "db_mb": round((Path(args["out"]) / "corpus.sqlite").stat().st_size / 2**20, 1),
        "index_mb": _dir_mb(Path(args["out"]) / "bm25"),
        "hits_mb": _dir_mb(Path(args["out"]) / "hits"),
    }


def phase_reindex(args: dict[str, Any]) -> dict[str, Any]:
    from openseeker.corpus.ingest import reindex

    t, c = time.perf_counter(), time.process_time()
    info = reindex(args["corpus"])
    return {
        "seconds": round(time.perf_counter() - t, 1),
        "cpu_seconds": round(time.process_time() - c, 1),
        "vocab": info["vocab"],
        "peak_rss_mb": _hwm_mb(),
        "hits_mb": _dir_mb(Path(args["corpus"]) / "hits"),
    }


def _tantivy_index(store: Any, path: Path) -> Any:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("body", stored=False, tokenizer_name="whitespace")
    schema = sb.build()
    path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(schema, path=str(path))
    if not index.searcher().num_docs:
        tok = store.index.tokenizer
        writer = index.writer(heap_size=256_000_000, num_threads=1)
        for p in store.iter_pages():
            writer.add_document(tantivy.Document(body=" ".join(tok(f"{p.title}\n{p.title}\n{p.text}"))))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
    return index, schema


def _bm25s_own(store: Any) -> Any:
    """bm25s's own index over the same tokens (ids as numpy arrays: Python lists would not fit)."""
    import bm25s
    from bm25s.tokenization import Tokenized

    tok = store.index.tokenizer
    vocab: dict[str, int] = {}
    ids = []
    for p in store.iter_pages():
        ids.append([vocab.setdefault(t, len(vocab)) for t in tok(f"{p.title}\n{p.title}\n{p.text}")])
    model = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    model.index(Tokenized(ids=ids, vocab=vocab), show_progress=False)
    return model, vocab


def _evict(corpus: Path) -> float:
    """Drop the corpus's files from the page cache (``POSIX_FADV_DONTNEED``; needs no privileges): a cold start."""
    os.sync()  # only clean pages can be dropped
    total = 0
    for f in corpus.rglob("*"):
        if f.is_file():
            fd = os.open(f, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
            total += f.stat().st_size
    return round(total / 2**20, 1)


def phase_search(args: dict[str, Any]) -> dict[str, Any]:
    import bm25s

    from openseeker.corpus import open_corpus
    from openseeker.corpus.store import CorpusStore

    out: dict[str, Any] = {}
    if args.get("evict"):
        out["evicted_mb"] = _evict(Path(args["corpus"]))
    store = open_corpus(args["corpus"])
    if args.get("prefetch_hits") and store.hit_store is not None:
        t = time.perf_counter()
        mb = store.hit_store.prefetch(wait=True)
        out["hits_prefetch"] = {"mb": round(mb, 1), "seconds": round(time.perf_counter() - t, 2)}
    qs = _queries(store, args["queries"], seed=args.get("query_seed", 1))
    # Steady state, as in a serving process: each engine first answers other queries (seed 2, untimed), so
    # the timed ones do not pay for the first touch of the memory-mapped files, without having seen the
    # timed queries themselves.
    warm = _queries(store, args.get("warmup", 1000), seed=2)
    index = store.index
    for q in warm:
        store.search(q, 10)
    toks = [index.tokenizer(q) for q in qs]
    warm_toks = [index.tokenizer(q) for q in warm]
    out.update(
        pages=len(store), queries=len(qs), warmup_queries=len(warm), hit_store=store.hit_store is not None
    )
    out["with_snippets"], hit_runs = _latency(lambda q: store.search(q, 10), qs)
    if store.hit_store is not None:
        # Baseline: the same queries with the hits read from SQLite (as before the hit store). It runs second,
        # so the index pages the first run brought into memory favour the baseline, not us.
        sqlite_store = CorpusStore(args["corpus"], use_hit_store=False)
        out["with_snippets_sqlite"], sqlite_runs = _latency(lambda q: sqlite_store.search(q, 10), qs)
        if [[h.page_id for h in r] for r in hit_runs] != [[h.page_id for h in r] for r in sqlite_runs]:
            raise SystemExit("the hit store and SQLite returned different hits")
        for key in ("p50_ms", "p99_ms", "cpu_p50_ms", "cpu_p99_ms"):
            ratio = out["with_snippets_sqlite"][key] / max(out["with_snippets"][key], 1e-6)
            out[f"speedup_vs_sqlite_hits_{key.removesuffix('_ms')}"] = round(ratio, 2)
    out["index_only"], ours = _latency(lambda t: [d for d, _ in index.search_tokens(t, 10)], toks)
    ref = bm25s.BM25.load(args["corpus"] + "/bm25", mmap=True)

    def bm25s_top(t: list[str]) -> list[int]:
        known = [x for x in t if x in ref.vocab_dict]
        if not known:
            return []
        docs, scores = ref.retrieve([known], k=10, show_progress=False, n_threads=1)
        return [int(d) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    for t in warm_toks:
        bm25s_top(t)
    out["bm25s_on_our_index"], theirs = _latency(bm25s_top, toks)
    out["agreement_top10_bm25s"] = _agreement(ours, theirs)
    if out["agreement_top10_bm25s"] < 0.98:  # different results: a speed ratio would compare unlike things
        raise SystemExit(f"our top 10 disagrees with bm25s's: {out['agreement_top10_bm25s']}")
    if args.get("bm25s_build"):
        t = time.perf_counter()
        own, vocab = _bm25s_own(store)
        out["bm25s_own_build_s"] = round(time.perf_counter() - t, 1)

        def own_top(tk: list[str]) -> list[int]:
            q = [vocab[x] for x in tk if x in vocab]
            if not q:
                return []
            from bm25s.tokenization import Tokenized

            docs, scores = own.retrieve(
                Tokenized(ids=[q], vocab=vocab), k=10, show_progress=False, n_threads=1
            )
            return [int(d) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

        for t in warm_toks:
            own_top(t)
        out["bm25s_own_index"], own_res = _latency(own_top, toks)
        out["agreement_top10_bm25s_own_index"] = _agreement(ours, own_res)
        if out["agreement_top10_bm25s_own_index"] < 0.98:
            raise SystemExit(f"our top 10 disagrees with bm25s's own index: {out}")
        del own
    if args.get("tantivy"):
        import tantivy

        t = time.perf_counter()
        tindex, schema = _tantivy_index(store, Path(args["corpus"] + "-tantivy"))
        out["tantivy_build_s"] = round(time.perf_counter() - t, 1)
        searcher = tindex.searcher()

        def tantivy_top(tk: list[str]) -> list[int]:
            if not tk:
                return []
            q = tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", x)) for x in tk]
            )
            return [a.doc for _, a in searcher.search(q, 10).hits]

        for t in warm_toks:
            tantivy_top(t)
        out["tantivy"], _ = _latency(tantivy_top, toks)
    # Baseline time / ours, index only (the baselines make no snippets); wall times include waiting for a
    # core on a busy machine, CPU times are what a query costs on an idle core.
    ours_t = out["index_only"]
    for name in ("bm25s_on_our_index", "bm25s_own_index", "tantivy"):
        if name in out:
            for key in ("p50_ms", "p99_ms", "cpu_p50_ms", "cpu_p99_ms"):
                ratio = out[name][key] / max(ours_t[key], 1e-6)
                out[f"speedup_vs_{name}_{key.removesuffix('_ms')}"] = round(ratio, 2)
    out["peak_rss_mb"] = _hwm_mb()
    return out


def phase_graph(args: dict[str, Any]) -> dict[str, Any]:
    from openseeker.corpus import open_corpus

    store = open_corpus(args["corpus"])
    rng = random.Random(2)
    ids = [rng.randrange(len(store)) for _ in range(args["lookups"])]
    urls = [store.get(i).url for i in ids[:200]]
    return {
        "get_by_url": _latency(store.get, urls)[0],
        "out_links": _latency(store.out_links, ids)[0],
        "in_links": _latency(store.in_links, ids[:200])[0],
        "two_hop_limit_1000": _latency(lambda i: store.neighbourhood(i, 2, 1000), ids[:200])[0],
    }


def _mem() -> dict[str, float]:
    import psutil

    m = psutil.Process().memory_full_info()
    anon = 0.0
    with open("/proc/self/smaps_rollup") as fh:  # memory no other process can share (heap, arrays)
        for line in fh:
            if line.startswith("Anonymous:"):
                anon = int(line.split()[1]) / 1024
    return {
        "rss_mb": round(m.rss / 2**20, 1),
        "uss_mb": round(m.uss / 2**20, 1),
        "pss_mb": round(m.pss / 2**20, 1),
        "anon_mb": round(anon, 1),
    }


def phase_server(args: dict[str, Any]) -> dict[str, Any]:
    """One serving process: open, query, report memory, wait until told to exit (stdin closes)."""
    from openseeker.corpus import open_corpus

    before = _mem()
    store = open_corpus(args["corpus"])
    if args.get("dict_vocab"):  # what each process paid before the term table
        vocab = json.loads((Path(args["corpus"]) / "bm25" / "vocab.index.json").read_text(encoding="utf-8"))
        assert len(vocab) > 0
    for q in _queries(store, args["queries"], seed=args["seed"]):
        store.search(q, 10)
    after = _mem()
    print(json.dumps({"before": before, "after": after}), flush=True)
    sys.stdin.read()
    return {}


def phase_share(args: dict[str, Any]) -> dict[str, Any]:
    import psutil

    out: dict[str, Any] = {}
    for label, n, dict_vocab in (
        ("1", 1, False),
        ("2", 2, False),
        ("4", 4, False),
        ("dict_vocab_1", 1, True),
    ):
        procs = []
        for i in range(n):
            a = {
                "corpus": args["corpus"],
                "queries": args["queries"],
                "seed": 10 + i,
                "dict_vocab": dict_vocab,
            }
            cmd = [sys.executable, __file__, "--phase", "server", "--phase-args", json.dumps(a)]
            procs.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
        reports = [json.loads(p.stdout.readline()) for p in procs]  # type: ignore[union-attr]
        live = [psutil.Process(p.pid).memory_full_info() for p in procs]  # all alive: shared pages split
        for p in procs:
            p.stdin.close()  # type: ignore[union-attr]
            p.wait()
        out[label] = {
            "processes": n,
            "rss_mb_each": [round(m.rss / 2**20, 1) for m in live],
            "sum_pss_mb": round(sum(m.pss for m in live) / 2**20, 1),
            "sum_uss_mb": round(sum(m.uss for m in live) / 2**20, 1),
            "extra_uss_mb_each": [round(r["after"]["uss_mb"] - r["before"]["uss_mb"], 1) for r in reports],
            "extra_anon_mb_each": [round(r["after"]["anon_mb"] - r["before"]["anon_mb"], 1) for r in reports],
            "interpreter_uss_mb_each": [r["before"]["uss_mb"] for r in reports],
        }
    out["extra_pss_per_additional_process_mb"] = round(
        (out["4"]["sum_pss_mb"] - out["1"]["sum_pss_mb"]) / 3, 1
    )
    out["extra_uss_per_additional_process_mb"] = round(
        (out["4"]["sum_uss_mb"] - out["1"]["sum_uss_mb"]) / 3, 1
    )
    # What a process must have to itself: its anonymous memory after opening the corpus and querying. USS and
    # PSS also count file pages of the mapped index and store that only this process happened to touch (page
    # cache, shared as soon as another process reads them, reclaimable), which grows with the queries asked.
    out["extra_anon_per_process_mb"] = round(statistics.fmean(out["4"]["extra_anon_mb_each"]), 1)
    return out


PHASES = {
    "ingest": phase_ingest,
    "reindex": phase_reindex,
    "search": phase_search,
    "graph": phase_graph,
    "share": phase_share,
    "server": phase_server,
}


def _child(phase: str, args: dict[str, Any], timeout: float | None) -> dict[str, Any]:
    load = os.getloadavg()
    cmd = [sys.executable, __file__, "--phase", phase, "--phase-args", json.dumps(args)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=timeout)
    if res.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{res.stderr[-3000:]}")
    out = dict(json.loads(res.stdout.strip().splitlines()[-1]))
    out["load_average_before"] = [round(x, 2) for x in load]
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=100_000, help="generated corpus size")
    ap.add_argument("--data", default="/tmp/openseeker-corpus-bench", help="folder for the corpus and work")
    ap.add_argument("--phases", default="ingest,reindex,search,share,graph")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument(
        "--query-seed", type=int, default=1, help="seed of the timed search queries (warm-up: seed 2)"
    )
    ap.add_argument(
        "--evict",
        action="store_true",
        help="search: drop the corpus's files from the page cache first (cold start)",
    )
    ap.add_argument(
        "--prefetch-hits", action="store_true", help="search: read the hit store into the page cache first"
    )
    ap.add_argument("--bm25s-build", type=int, default=20_000, help="largest corpus bm25s indexes itself")
    ap.add_argument("--no-tantivy", action="store_true")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per phase")
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--phase-args", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.phase:
        print(json.dumps(PHASES[a.phase](json.loads(a.phase_args))))
        return
    data = Path(a.data)
    data.mkdir(parents=True, exist_ok=True)
    jsonl = data / f"pages-{a.pages}.jsonl"
    corpus = str(data / f"corpus-{a.pages}")
    results: dict[str, Any] = {"pages": a.pages, "cpus": os.cpu_count()}
    if not jsonl.exists():
        t = time.perf_counter()
        generate(jsonl, a.pages)
        results["generate_s"] = round(time.perf_counter() - t, 1)
    phases = a.phases.split(",")
    args: dict[str, dict[str, Any]] = {
        "ingest": {"jsonl": str(jsonl), "out": corpus},
        "reindex": {"corpus": corpus},
        "search": {
            "corpus": corpus,
            "queries": a.queries,
            "query_seed": a.query_seed,
            "evict": a.evict,
            "prefetch_hits": a.prefetch_hits,
            "bm25s_build": a.pages <= a.bm25s_build,
            "tantivy": not a.no_tantivy,
        },
        "share": {"corpus": corpus, "queries": 200},
        "graph": {"corpus": corpus, "lookups": 1000},
    }
    for phase in phases:
        results[phase] = _child(phase, args[phase], a.timeout)
        print(json.dumps({phase: results[phase]}, indent=1), flush=True)
    targets: dict[str, bool] = {}
    if "ingest" in results:
        targets["ingest_peak_le_1GB"] = results["ingest"]["peak_rss_mb"] <= 1024
    if "reindex" in results:
        targets["reindex_peak_le_1GB"] = results["reindex"]["peak_rss_mb"] <= 1024
    if "search" in results:
        s = results["search"]
        targets["search_p50_le_2ms_with_snippets"] = s["with_snippets"]["p50_ms"] <= 2.0
        targets["search_p99_le_10ms_with_snippets"] = s["with_snippets"]["p99_ms"] <= 10.0
        targets["agreement_top10_ge_0.99"] = s["agreement_top10_bm25s"] >= 0.99
    if "share" in results:
        sh = results["share"]
        targets["extra_anon_per_process_le_50MB"] = sh["extra_anon_per_process_mb"] <= 50
        targets["extra_uss_per_additional_process_le_50MB"] = sh["extra_uss_per_additional_process_mb"] <= 50
    results["targets"] = targets
    print(json.dumps({"targets": results["targets"]}))
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
