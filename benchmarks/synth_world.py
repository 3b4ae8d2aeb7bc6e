"""QA synthesis quality on the generated world, measured exactly: funnel, rejection reasons, and the world
audit's answerability, uniqueness and clue-truth rates of the accepted questions.

A world is generated and ingested into the real corpus store; QA synthesis runs on it with the chosen model
in every role (generator, verifier; the rules judge decides the closed-book/oracle checks, as by default);
then every question that reached obfuscation (accepted or rejected later) is audited against the world's
known facts. Besides the rates of the accepted questions it prints how the clue-truth check's verdict on
each description compares with the world's (a description the world finds false must never be one the
check called true).

    python benchmarks/synth_world.py --model llamacpp/smollm2 --seeds 8
    python benchmarks/synth_world.py --model llamacpp/qwen --seeds 8 --lang en --record-model-checks
    python benchmarks/synth_world.py --model openai/gpt-4.1 --seeds 50 --json out.json

``--record-model-checks`` records (rather than rejects on) the search-shortcut, closed-book, oracle and
uniqueness checks, as the quickstart does, so that a small model's questions reach "accepted" and their
clues are measured; leak and clue truth still reject. Run it under ``timeout``: a small local model takes
tens of seconds per seed on two cores.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

VERDICTS = ("true", "false", "undecided")


def check_clues(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The clue-truth check's verdicts recorded on an accepted record or a rejected one's partial record."""
    checks = row.get("checks") or {}
    detail = (checks.get("clue_truth") or {}).get("detail") or {}
    return list(detail.get("clues") or [])


def agreement(rows: list[dict[str, Any]], audits: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """``check verdict -> world verdict -> count`` over every description both judged."""
    table: dict[str, Counter[str]] = {v: Counter() for v in (*VERDICTS, "not checked")}
    for row, audit in zip(rows, audits, strict=True):
        mine = {c["entity"]: c["verdict"] for c in check_clues(row)}
        for c in audit.get("clues", []):
            table[mine.get(c["entity"], "not checked")][c["verdict"]] += 1
    return {k: dict(v) for k, v in table.items() if v}


def _rules_cost(rows: list[dict[str, Any]], corpus: Any) -> dict[str, float] | None:
    """CPU time of the clue-truth rules (type hints for the prompt + the check, no model) per question:
    median and max over the questions, each timed as the median of 5 runs."""
    import asyncio
    import statistics

    from openseeker.synth import clue_check
    from openseeker.synth.records import Fact, SubgraphNode
    from openseeker.synth.text import normalize

    loop = asyncio.new_event_loop()
    times = []
    for r in rows:
        facts = [Fact.from_dict(f) for f in (r.get("entity_subgraph") or {}).get("facts", [])]
        nodes = [SubgraphNode.from_dict(n) for n in r.get("subgraph") or []]
        used = [f for f in facts if f.id in set(r.get("edges_used") or [])]
        runs = []
        for _ in range(5):
            clue_check._profile.cache_clear()  # as in the stage: profiled once for the prompt, reused by the check
            clue_check.lede_of.cache_clear()
            clue_check._norm.cache_clear()
            t0 = time.perf_counter()
            clue_check.kinds(used, facts, nodes, corpus, r.get("language", "en"))
            pages = clue_check.ledes(nodes, corpus)
            loop.run_until_complete(
                clue_check.check_clue_truth(
                    r["obfuscation_map"],
                    facts,
                    mode="reject",
                    ledes={e: pages.get(normalize(e), "") for e in r["obfuscation_map"]},
                    titles=[n.title for n in nodes],
                    lang=r.get("language", "en"),
                )
            )
            runs.append(time.perf_counter() - t0)
        times.append(statistics.median(runs) * 1000)
    loop.close()
    if not times:
        return None
    return {
        "median": round(statistics.median(times), 2),
        "max": round(max(times), 2),
        "questions": len(times),
    }


def synthesize(
    model: str, seeds: int, k: int, lang: str, pages: int, seed: int, record: bool, workdir: Path
) -> float:
    """Generate and ingest the world, run QA synthesis into ``workdir/run``; return the stage's seconds."""
    from openseeker.corpus import open_corpus
    from openseeker.corpus.ingest import ingest
    from openseeker.synth.config import QASynthConfig
    from openseeker.synth.qa import run_qa_synthesis
    from openseeker.worldgen import write_world

    langs = ("en", "zh") if lang == "any" else (lang,)
    paths = write_world(workdir / "world", seed=seed, n_pages=pages, languages=langs)
    ingest([str(paths["pages"])], workdir / "corpus")
    checks: dict[str, Any] = {}
    if record:
        checks = {c: "record" for c in ("shortcut", "closed_book", "oracle", "uniqueness")}
    cfg = QASynthConfig.model_validate(
        {
            "out": str(workdir / "run"),
            "n": seeds,
            "k": k,
            "lang": lang,
            "seed": seed,
            "concurrency": 2,
            "progress": False,
            "roles": {"default": {"model": model, "generation": {"temperature": 0.0}}},
            "seeds": {"min_text_chars": 60},
            # budgets of the quickstart: small local models have a 2k context
            "extract": {"page_chars": 500, "total_chars": 1800, "max_tokens": 500},
            "question": {"max_tokens": 200},
            "checks": checks,
        }
    )
    t0 = time.perf_counter()
    run_qa_synthesis(cfg, corpus=open_corpus(workdir / "corpus"))
    return time.perf_counter() - t0


def rules_verdicts(row: dict[str, Any], corpus: Any) -> list[dict[str, Any]]:
    """The clue-truth rules' verdicts on a record's descriptions, recomputed (also for a question an earlier
    check rejected before the clue check ran)."""
    import asyncio

    from openseeker.synth import clue_check
    from openseeker.synth.records import Fact, SubgraphNode
    from openseeker.synth.text import normalize

    facts = [Fact.from_dict(f) for f in (row.get("entity_subgraph") or {}).get("facts", [])]
    nodes = [SubgraphNode.from_dict(n) for n in row.get("subgraph") or []]
    pages = clue_check.ledes(nodes, corpus)
    out = asyncio.run(
        clue_check.check_clue_truth(
            row["obfuscation_map"],
            facts,
            mode="record",
            ledes={e: pages.get(normalize(e), "") for e in row["obfuscation_map"]},
            titles=[n.title for n in nodes],
            lang=row.get("language", "en"),
        )
    )
    return list(out.detail["clues"])


def _descriptions_of_obfuscation_rejects(rejects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records rebuilt from obfuscation rejects: the partial record with the map the model wrote."""
    out = []
    for r in rejects:
        detail, rec = r.get("detail") or {}, dict(r.get("record") or {})
        if not r["reason"].startswith("obfuscate:") or "entity_subgraph" not in rec:
            continue
        mapping = detail.get("mapping")
        if mapping is None and detail.get("raw"):
            try:
                descs = json.loads(detail["raw"]).get("descriptions") or []
            except (ValueError, AttributeError):
                descs = []
            mapping = {
                d["entity"]: d["description"]
                for d in descs
                if isinstance(d, dict)
                and isinstance(d.get("entity"), str)
                and isinstance(d.get("description"), str)
            }
        if mapping:
            rec["obfuscation_map"] = mapping
            rec["language"] = rec.get("language", "en")
            out.append(rec)
    return out


def analyze(workdir: Path) -> dict[str, Any]:
    """Audit a run folder made by :func:`synthesize` against its world."""
    from openseeker.corpus import open_corpus
    from openseeker.pipeline.stage import read_rejects, read_stage
    from openseeker.synth.funnel import build_funnel, to_markdown
    from openseeker.worldgen import load_world
    from openseeker.worldgen.audit import audit_records

    run_dir = workdir / "run"
    corpus = open_corpus(workdir / "corpus")
    world = load_world(workdir / "world")
    accepted = list(read_stage(run_dir, "qa"))
    rejects = list(read_rejects(run_dir, "qa"))
    rejected = [r["record"] for r in rejects if (r.get("record") or {}).get("obfuscation_map")]
    for r in rejects:  # the check's verdicts of a clue rejection are in its detail
        rec = r.get("record") or {}
        if r["reason"] in ("check:false_clue", "check:clue_undecided") and rec.get("obfuscation_map"):
            rec.setdefault("checks", {})["clue_truth"] = r["detail"]
    obfuscated = [*accepted, *rejected]
    audit_acc = audit_records(accepted, world)
    audit_all = audit_records(obfuscated, world)
    recomputed = [
        {"checks": {"clue_truth": {"detail": {"clues": rules_verdicts(r, corpus)}}}} for r in obfuscated
    ]
    # every description the model wrote, also those the obfuscation step itself rejected (leaky, echo,
    # incomplete maps): more of the model's descriptions to compare the rules with the world on
    written = [*obfuscated, *_descriptions_of_obfuscation_rejects(rejects)]
    audit_written = audit_records(written, world)
    recomputed_written = [
        {"checks": {"clue_truth": {"detail": {"clues": rules_verdicts(r, corpus)}}}} for r in written
    ]
    funnel = build_funnel(run_dir)
    stats = json.loads((run_dir / "qa" / "stats.json").read_text())
    config = (run_dir / "qa" / "config.yaml").read_text()
    return {
        "accepted": len(accepted),
        "rejected": len(rejects),
        "reject_reasons": stats.get("reject_reasons", {}),
        "counters": {k: v for k, v in funnel["counters"].items() if k.startswith(("clue:", "extract:"))},
        "accepted_audit": {k: v for k, v in audit_acc["summary"].items() if k != "by_language"},
        "obfuscated_audit": {
            k: v for k, v in audit_all["summary"].items() if k.startswith(("clue", "records"))
        },
        # in the stage (only questions that reached the check) and recomputed for every obfuscated question
        "check_vs_world": agreement(obfuscated, audit_all["records"]),
        "rules_vs_world_all_obfuscated": agreement(recomputed, audit_all["records"]),
        "rules_vs_world_every_description": agreement(recomputed_written, audit_written["records"]),
        "every_description_audit": {
            k: v for k, v in audit_written["summary"].items() if k.startswith(("clue", "records"))
        },
        "clue_calibration": stats.get("clue_truth_calibration"),
        "clue_rules_ms_per_question": _rules_cost(obfuscated, corpus),
        "config_has_record_mode": "record" in config,
        "funnel_md": to_markdown(funnel),
        "descriptions": [
            {"entity": c["entity"], "description": c["description"], "world": c["verdict"], "why": c["why"]}
            for r in audit_written["records"]
            for c in r.get("clues", [])
        ][:60],
    }


def calibrate_verifier(model: str) -> dict[str, Any]:
    """The verifier's calibration on the clue set (what decides whether the entailment call is used)."""
    import asyncio

    from openseeker.llm.config import RolesConfig
    from openseeker.llm.registry import Roles
    from openseeker.synth.clue_entail import EntailmentGate

    async def go() -> dict[str, Any]:
        roles = Roles(
            RolesConfig.model_validate({"default": {"model": model, "generation": {"temperature": 0.0}}})
        )
        try:
            gate = EntailmentGate(max_false_accept=0.10)
            t0 = time.perf_counter()
            await gate.ensure(roles["verifier"], max_reasks=0)
            assert gate.calibration is not None
            return {"seconds": round(time.perf_counter() - t0, 1), **gate.calibration.summary()}
        finally:
            await roles.aclose()

    return asyncio.run(go())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="llamacpp/smollm2", help="provider/model for every role")
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--lang", default="any", choices=("en", "zh", "any"))
    ap.add_argument("--pages", type=int, default=600, help="world size (pages over all languages)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--record-model-checks", action="store_true")
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--keep", default=None, help="keep the world, corpus and run in this folder")
    ap.add_argument("--analyze", default=None, help="only audit a folder kept by an earlier --keep run")
    ap.add_argument("--calibrate", action="store_true", help="only calibrate the model as the clue verifier")
    args = ap.parse_args()
    if args.calibrate:
        cal = calibrate_verifier(args.model)
        cal.pop("disagreements", None)
        print(json.dumps(cal, indent=2, ensure_ascii=False))
        return
    head: dict[str, Any] = {"model": args.model, "seeds": args.seeds, "k": args.k, "lang": args.lang}
    if args.analyze:
        out = {**head, "model": "(kept run)", **analyze(Path(args.analyze))}
    else:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(args.keep or tmp)
            work.mkdir(parents=True, exist_ok=True)
            secs = synthesize(
                args.model,
                args.seeds,
                args.k,
                args.lang,
                args.pages,
                args.seed,
                args.record_model_checks,
                work,
            )
            out = {
                **head,
                "record_model_checks": args.record_model_checks,
                "seconds": round(secs, 1),
                **analyze(work),
            }
    print(out.pop("funnel_md"))
    print(json.dumps(out, indent=2, ensure_ascii=False))
    acc = out["accepted_audit"]
    passed_false = out["rules_vs_world_every_description"].get("true", {}).get("false", 0)
    print(
        f"\n{out['model']}: {out['accepted']} accepted of {out['seeds']} seeds; accepted questions: answerable "
        f"{acc['answerable']}, unique (blurred) {acc['unique_fuzzy']}, clue truth {acc['clue_truth']} "
        f"({acc['clue_descriptions']} descriptions); of every description the model wrote, ones the rules call "
        f"true that the world finds false: {passed_false}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
