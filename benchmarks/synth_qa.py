"""QA synthesis throughput (issue 4): accepted QA records per minute at concurrency 64, as a fraction of
the latency-bound ideal.

A local OpenAI-compatible server (``openseeker.testing.fake_openai``) runs in a separate process and
answers every request after a fixed latency, playing each pipeline role by recognising its prompt
(extraction, question, obfuscation, rewrite, closed-book, oracle, uniqueness, judge) with valid JSON
built from the request. The whole stage runs for real: seed selection and expansion on a generated
corpus (ingested into the real store with its BM25 index), excerpts, grounding, the ``openai`` provider over HTTP, the leak and search-shortcut checks,
the judge, and the sharded stage writer. Every seed is designed to be accepted, so each record costs
exactly ``CALLS`` sequential model calls and the ideal is ``concurrency * 60 / (CALLS * latency)``.

    python benchmarks/synth_qa.py                      # 640 seeds, latency 0.2 s, concurrency 64
    python benchmarks/synth_qa.py --seeds 1280 --latency 0.1
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# extract, question, obfuscate, rewrite, closed book, judge (of the closed-book answer), oracle (judged by
# exact match, no call), uniqueness
CALLS = 7 + 1
SYLL = "ka lo ri ven tam sol dor mi fa nu ber gal tes quin rho var pel zan".split()


# --------------------------------------------------------------------------------------- the server


def respond(req: dict[str, Any]) -> str:
    """Answer one pipeline request (English prompts) with valid JSON built from the request."""
    msgs = req.get("messages") or []
    system = str(msgs[0].get("content", "")) if msgs else ""
    user = str(msgs[-1].get("content", "")) if msgs else ""
    if system.startswith("You are a careful, impartial grader"):
        return "B"  # only the closed-book answer ("Nowhere Land") reaches the judge model
    if "knowledge graph" in system:
        theme = re.search(r'central entity is "(.+?)"', user)
        name = theme.group(1) if theme else "?"
        facts = []
        for label, title, text in re.findall(r"\[(P\d+)\] (.+)\n(.+)", user)[1:]:
            sent = re.match(r"[^.]+\.", text)
            facts.append(
                {
                    "subject": name,
                    "relation": "is linked with",
                    "object": title.strip(),
                    "evidence": sent.group(0) if sent else text,
                    "page": label,
                }
            )
        return json.dumps({"facts": facts, "aliases": []})
    if "multi-hop trivia" in system:
        ids = re.findall(r"^(f\d+):", user, re.M)[:3]
        objs = re.findall(r"^f\d+: .+? \| .+? \| (.+)$", user, re.M)[:3]
        return json.dumps({"question": "Identify the item: " + "; ".join(objs) + ".", "fact_ids": ids})
    if "blur names" in system:
        # entity lines "- name: what the facts say it is"; every bench page says "X is a settlement ...",
        # so "a settlement" is true by the clue-truth rules (no entailment call)
        ents = re.findall(r"^- (.+?): ", user, re.M)
        return json.dumps({"descriptions": [{"entity": e, "description": "a settlement"} for e in ents]})
    if "rewrite trivia" in system:
        q = re.search(r"^Question: (.+)$", user, re.M)
        question = q.group(1) if q else ""
        for e, d in re.findall(r"^- (.+?) -> (.+)$", user, re.M):
            question = question.replace(e, d)
        return json.dumps({"question": question})
    if "from memory" in system:
        return json.dumps({"answer": "Nowhere Land"})
    if "only the facts provided" in system:
        subj = re.search(r"^f1: (.+?) \|", user, re.M)
        return json.dumps({"answer": subj.group(1) if subj else "?"})
    if "exactly one answer" in system:
        return json.dumps({"alternatives": []})
    return "unexpected request"


def serve(latency: float) -> None:
    from openseeker.testing.fake_openai import FakeOpenAIServer

    srv = FakeOpenAIServer(respond, latency=latency, record=False, port=0).start()
    print(f"READY {srv.port}", flush=True)
    threading.Event().wait()


# --------------------------------------------------------------------------------------- the corpus


def make_corpus(out: Path, pages: int, links: int, seed: int = 0) -> Any:
    """A generated web graph (invented place names, sentences that mention each linked page), ingested
    into a real corpus store with its BM25 index, as ``openseeker corpus ingest`` would."""
    from openseeker.corpus import open_corpus
    from openseeker.corpus.ingest import ingest

    rng = random.Random(seed)
    names: list[str] = []
    while len(names) < pages:
        n = "".join(rng.choice(SYLL) for _ in range(3)).capitalize()
        if n not in names:
            names.append(n)
    rows = []
    for i, name in enumerate(names):
        targets = rng.sample([x for j, x in enumerate(names) if j != i], links)
        sents = [f"{name} is a settlement on the plain of {rng.choice(names)} with a long history."]
        sents += [
            f"In {rng.randint(1200, 1990)} it signed a trade charter with {t} over {rng.randint(2, 900)} "
            f"barrels of salt."
            for t in targets
        ]
        rows.append(
            {
                "url": f"https://bench.example/{name}",
                "title": name,
                "text": " ".join(sents),
                "links": [{"url": f"https://bench.example/{t}", "anchor": t} for t in targets],
            }
        )
    src = out / "pages.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    ingest([str(src)], out / "corpus")
    return open_corpus(out / "corpus")


# ----------------------------------------------------------------------------------------- the run


def run(seeds: int, latency: float, concurrency: int, k: int, pages: int) -> dict[str, Any]:
    from openseeker.llm import LLMConfig, RolesConfig
    from openseeker.llm.registry import Roles
    from openseeker.synth.config import QASynthConfig
    from openseeker.synth.qa import run_qa_synthesis

    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--latency", str(latency)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("READY"):
            raise SystemExit(f"server did not start: {line!r}")
        port = int(line.split()[1])
        llm = LLMConfig(
            model="openai/bench",
            base_url=f"http://127.0.0.1:{port}/v1",
            api_key="bench",
            max_concurrency=concurrency * 2,
            cache=False,
            timeout=60,
        )
        with tempfile.TemporaryDirectory() as tmp:
            corpus = make_corpus(Path(tmp), pages, links=max(k + 2, 8))
            cfg = QASynthConfig(
                out=str(Path(tmp) / "run"),
                n=seeds,
                k=k,
                seed=0,
                concurrency=concurrency,
                progress=False,
                roles=RolesConfig(default=llm),
            )
            roles = Roles(cfg.roles)
            t0 = time.perf_counter()
            res = run_qa_synthesis(cfg, roles=roles, corpus=corpus)
            wall = time.perf_counter() - t0
            stage_s = float(res.stats["last_run"]["seconds"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    ideal = concurrency * 60.0 / (CALLS * latency)
    per_min = res.outputs * 60.0 / stage_s
    return {
        "seeds": seeds,
        "accepted": res.outputs,
        "rejected": res.rejected,
        "errors": res.errors,
        "reject_reasons": res.stats["reject_reasons"],
        "latency_s": latency,
        "concurrency": concurrency,
        "calls_per_record": CALLS,
        "stage_seconds": round(stage_s, 2),
        "wall_seconds_with_report": round(wall, 2),
        "records_per_min": round(per_min, 1),
        "ideal_per_min": round(ideal, 1),
        "fraction_of_ideal": round(per_min / ideal, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--seeds", type=int, default=640)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--pages", type=int, default=2000)
    args = ap.parse_args()
    if args.serve:
        serve(args.latency)
        return
    out = run(args.seeds, args.latency, args.concurrency, args.k, args.pages)
    print(json.dumps(out, indent=2))
    print(
        f"\nQA synthesis: {out['records_per_min']} records/min at concurrency {out['concurrency']} "
        f"and {out['latency_s']} s latency = {100 * out['fraction_of_ideal']:.0f}% of the latency-bound ideal "
        f"({out['ideal_per_min']}/min); target >= 80%."
    )


if __name__ == "__main__":
    main()
