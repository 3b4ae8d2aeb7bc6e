"""Clue truth measured on the generated world: the QA check rejects false descriptions and keeps true ones,
and the world audit (which knows every fact) confirms both, exactly.

A scripted model plays every role. Its descriptions come from what the prompt says each entity is, so
they are true; for every other seed it writes false ones (a wrong type and a date no fact has), as small
models do when they copy an example.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import orjson

from openseeker.corpus.base import MemoryCorpus
from openseeker.pipeline.stage import read_rejects, read_stage
from openseeker.synth.config import QASynthConfig
from openseeker.synth.qa import run_qa_synthesis
from openseeker.worldgen import generate_world
from openseeker.worldgen.audit import audit_records

from .conftest import Script


class WorldScript(Script):
    """True descriptions from the listed kinds; false ones (type and date) for every other question."""

    def _obfuscate(self, user: str, lang: str) -> str:
        block = re.search(
            r"(?:Entities, with what the facts say each one is|实体及事实所说的类别)[:：]\n((?:- .+\n?)+)",
            user,
        )
        rows = [
            re.match(r"- (.+?)(?::|：)\s*(.*)$", ln) for ln in (block.group(1).splitlines() if block else [])
        ]
        ents = [(r.group(1).strip(), r.group(2).strip()) for r in rows if r]
        lie = hashlib.sha256(ents[0][0].encode()).digest()[0] % 2 == 1 if ents else False
        descs = []
        for e, kind in ents:
            known = "(" not in kind and "（" not in kind
            last = re.split(r", |、", kind)[-1] if known else ""
            if lie:
                wrong = "company" if "company" not in kind and "公司" not in kind else "person"
                d = (
                    f"a {wrong} from the late 2050s"
                    if lang == "en"
                    else f"2050年代末的一家{'公司' if wrong == 'company' else '人物'}"
                )
            elif last:
                d = f"a {last}" if lang == "en" else f"一个{last}"
            else:
                d = "an entity" if lang == "en" else "某个实体"
            descs.append({"entity": e, "description": d})
        return orjson.dumps({"descriptions": descs}).decode()


def test_false_clues_are_rejected_and_the_world_audit_agrees(tmp_path, make_roles):
    world = generate_world(seed=3, n_pages=240)
    corpus = MemoryCorpus.from_records([p.to_dict() for p in world.pages])
    roles, _ = make_roles(WorldScript())
    cfg = QASynthConfig.model_validate(
        {
            "out": str(tmp_path / "run"),
            "n": 24,
            "k": 3,
            "seed": 0,
            "concurrency": 4,
            "progress": False,
            "seeds": {"min_text_chars": 40},
            # the scripted descriptions share words with the pages: search rank is recorded, not judged
            "checks": {"shortcut": "record"},
        }
    )
    res = run_qa_synthesis(cfg, roles=roles, corpus=corpus)
    run = Path(cfg.out or "")
    accepted = list(read_stage(run, "qa"))
    rejects = list(read_rejects(run, "qa"))
    false = [r for r in rejects if r["reason"] == "check:false_clue"]
    assert res.errors == 0 and len(accepted) >= 3 and len(false) >= 3, res.stats["reject_reasons"]
    assert {r["language"] for r in accepted} == {"en", "zh"}
    for r in false:  # the rejection names each false description, its entity and why
        assert r["detail"]["detail"]["false"] and all(
            {"entity", "description", "why"} <= set(x) for x in r["detail"]["detail"]["false"]
        )

    # measured exactly on the world: every accepted description is true ...
    summary = audit_records(accepted, world)["summary"]
    assert summary["clue_descriptions"] >= 6 and summary["clue_truth"] == 1.0, audit_records(accepted, world)
    assert summary["records_with_false_clue"] == 0
    # ... and every question the check rejected for a false clue has one in the world too
    rejected = audit_records([r["record"] for r in false], world)
    assert rejected["summary"]["records_with_false_clue"] == len(false), rejected

    funnel = orjson.loads((run / "qa" / "funnel.json").read_bytes())
    steps = {s["step"]: s["count"] for s in funnel["funnel"]}
    assert steps["clue_truth"] == len(accepted) and funnel["reject_reasons"]["check:false_clue"] == len(false)
    assert funnel["counters"]["clue:false"] >= len(false) and funnel["counters"]["clue:true"] >= 6
    assert "| clues true |" in (run / "qa" / "funnel.md").read_text()
