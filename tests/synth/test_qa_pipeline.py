"""The QA synthesis stage end to end with the scripted model: every funnel branch, resume, reproducibility,
English and Chinese."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from openseeker.errors import DataError
from openseeker.pipeline.stage import read_rejects, read_stage
from openseeker.synth.checks import answer_rank
from openseeker.synth.config import QASynthConfig
from openseeker.synth.qa import run_qa_synthesis
from openseeker.synth.records import QARecord
from openseeker.synth.text import containment

from .conftest import Script


def _cfg(tmp_path: Path, **kw: Any) -> QASynthConfig:
    base: dict[str, Any] = {
        "out": str(tmp_path / "run"),
        "n": 3,
        "k": 3,
        "seed": 1,
        "concurrency": 4,
        "progress": False,
        "seeds": {"min_text_chars": 20},
        "judge_style": "binary",  # the scripted model's judge (strict, passes calibration) decides the checks
    }
    for key, value in kw.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return QASynthConfig.model_validate(base)


def _run(tmp_path: Path, corpus: Any, make_roles: Any, script: Script, **kw: Any):
    roles, llm = make_roles(script)
    cfg = _cfg(tmp_path, **kw)
    res = run_qa_synthesis(cfg, roles=roles, corpus=corpus)
    return res, llm, Path(cfg.out or "")


def test_accepted_records_keep_everything(tmp_path, en_corpus, make_roles):
    res, _llm, run = _run(tmp_path, en_corpus, make_roles, Script())
    assert res.errors == 0 and res.outputs == 3, res.stats
    recs = list(read_stage(run, "qa", QARecord))
    raw = next(read_stage(run, "qa"))
    for key in ("id", "question", "answer", "aliases", "language"):
        assert key in raw
    for r in recs:
        page = en_corpus.get(r.seed["id"])
        assert page is not None and r.answer == page.title
        assert r.language == "en" and r.k == 3 and r.hops >= 2 and len(r.edges_used) == r.hops
        assert r.answer not in r.question and r.initial_question != r.question
        assert r.obfuscation_map and all(e not in r.question for e in r.obfuscation_map)
        assert set(r.checks) == {
            "leak",
            "decontam",
            "shortcut",
            "clue_truth",
            "closed_book",
            "oracle",
            "uniqueness",
        }
        assert r.checks["clue_truth"].passed and all(
            c["verdict"] == "true" for c in r.checks["clue_truth"].detail["clues"]
        )
        assert r.checks["closed_book"].passed and r.checks["oracle"].passed and r.checks["uniqueness"].passed
        assert r.checks["closed_book"].detail["prediction"] == "Nowhere Land"
        assert "---judge---" in r.checks["closed_book"].raw  # the judge's raw output is kept
        assert r.checks["decontam"].mode == "off"
        assert r.models == {"generator": "scripted/qa", "verifier": "scripted/qa", "judge": "scripted/qa"}
        assert r.prompt_versions["extract"] == "extract-en-v1" and r.prompt_versions["judge"].startswith(
            "binary"
        )
        assert r.seed["url"] == page.url and r.subgraph[0].page_id == page.id
        for f in r.entity_subgraph.facts:  # every fact's evidence is really in its source page
            assert containment(f.evidence, en_corpus.get(f.page_id).text) >= 0.85
    # the funnel report is written at the end of every run
    funnel = orjson.loads((run / "qa" / "funnel.json").read_bytes())
    counts = {s["step"]: s["count"] for s in funnel["funnel"]}
    assert counts["seeds"] == 3 and counts["accepted"] == 3 and counts["oracle"] == 3
    assert (run / "qa" / "funnel.png").stat().st_size > 1000
    md = (run / "qa" / "funnel.md").read_text()
    assert "| seeds | 3 |" in md and "| not contaminated (off for 3) | 3 |" in md
    assert funnel["by_k"]["3"]["accepted"] == 3


def test_list_and_date_pages_never_become_seeds(tmp_path, en_corpus, make_roles):
    _res, _, run = _run(tmp_path, en_corpus, make_roles, Script(), n=50)
    titles = {r["seed"]["title"] for r in read_stage(run, "qa")} | {
        rej["record"].get("seed_title") for rej in read_rejects(run, "qa")
    }
    assert titles and "List of towns in Quellshire" not in titles and "1868" not in titles


BRANCHES = [
    (Script(extract="invalid"), {}, "extract:invalid_json"),
    (Script(extract="schema"), {}, "extract:schema_mismatch"),
    (Script(extract="ungrounded"), {}, "extract:no_grounded_facts"),
    (Script(extract="one_fact"), {}, "extract:too_few_facts"),
    (Script(question="invalid"), {}, "question:invalid_json"),
    (Script(question="empty"), {}, "question:empty"),
    (Script(question="unknown"), {}, "question:unknown_edges"),
    (Script(question="one_edge"), {}, "question:too_few_edges"),
    (Script(obfuscate="invalid"), {}, "obfuscate:invalid_json"),
    (Script(obfuscate="incomplete"), {}, "obfuscate:incomplete"),
    (Script(rewrite="invalid"), {}, "rewrite:schema_mismatch"),  # repaired into a list
    (Script(uniqueness="invalid"), {}, "check:uniqueness_unparsed"),
    (Script(obfuscate="leaky"), {}, "obfuscate:leaky"),
    (Script(rewrite="empty"), {}, "rewrite:empty"),
    (Script(obfuscate="echo"), {}, "obfuscate:echo"),
    (Script(rewrite="echo"), {}, "rewrite:echo"),
    # (the search shortcut is off: these descriptions share words with the corpus pages)
    (Script(obfuscate="false"), {"checks": {"shortcut": "off"}}, "check:false_clue"),
    (Script(obfuscate="unsupported"), {"checks": {"shortcut": "off"}}, "check:clue_undecided"),
    (Script(rewrite="leak"), {}, "check:leak"),
    (Script(rewrite="named"), {"checks": {"shortcut_top_k": 100}}, "check:shortcut"),
    (Script(closed_book="right"), {}, "verify:closed_book_correct"),
    (Script(oracle="wrong"), {}, "verify:oracle_wrong"),
    (Script(uniqueness="ambiguous"), {}, "check:ambiguous"),
    (Script(judge="garbage"), {}, "verify:judge_unparsed"),
    (Script(), {"expand": {"min_neighbours": 6}, "seeds": {"min_out_links": 1}}, "expand:too_few_neighbours"),
]


@pytest.mark.parametrize(("script", "overrides", "reason"), BRANCHES, ids=[b[2] for b in BRANCHES])
def test_every_rejection_branch(tmp_path, en_corpus, make_roles, script, overrides, reason):
    res, _, run = _run(tmp_path, en_corpus, make_roles, script, n=2, **overrides)
    assert res.errors == 0 and res.outputs == 0
    rejects = list(read_rejects(run, "qa"))
    assert [r["reason"] for r in rejects] == [reason] * 2
    assert all(r["detail"]["k"] == 3 and r["record"]["seed_page"] is not None for r in rejects)
    funnel = orjson.loads((run / "qa" / "funnel.json").read_bytes())
    assert funnel["reject_reasons"] == {reason: 2}
    assert funnel["by_k"]["3"]["rejected"] == {reason: 2}


def test_record_mode_keeps_failing_checks(tmp_path, en_corpus, make_roles):
    script = Script(rewrite="named", closed_book="right", uniqueness="ambiguous")
    res, _, run = _run(
        tmp_path,
        en_corpus,
        make_roles,
        script,
        n=2,
        checks={"shortcut": "record", "shortcut_top_k": 100, "closed_book": "record", "uniqueness": "record"},
    )
    assert res.outputs == 2
    for r in read_stage(run, "qa", QARecord):
        assert r.checks["shortcut"].passed is False and r.shortcut_rank is not None
        assert r.checks["closed_book"].passed is False and r.checks["uniqueness"].passed is False
        assert r.checks["uniqueness"].detail["alternatives"] == ["Another Town"]
        assert r.extra["names_kept"]  # the "named" rewrite kept the entity names


def test_checks_off_make_no_verifier_calls(tmp_path, en_corpus, make_roles):
    script = Script(rewrite="named")  # the names stay in, so search finds the answer page: a rank to measure
    res, _llm, run = _run(
        tmp_path,
        en_corpus,
        make_roles,
        script,
        n=2,
        checks={
            "closed_book": "off",
            "oracle": "off",
            "uniqueness": "off",
            "shortcut": "off",
            "leak": "off",
            "clue_truth": "off",
        },
    )
    assert res.outputs == 2
    assert set(script.steps) == {"extract", "question", "obfuscate", "rewrite"}
    for rec in read_stage(run, "qa", QARecord):
        assert all(o.passed is None and o.mode == "off" for o in rec.checks.values())
        # still measured, for the funnel: the rank a direct search gives (default depth 50)
        rank = answer_rank(en_corpus, rec.question, rec.seed["id"], 50)
        assert rank is not None and rec.shortcut_rank == rank


def test_decontamination_rejects_benchmark_overlap(tmp_path, en_corpus, make_roles):
    # First learn the questions the script writes, then use them as a "benchmark" file.
    _, _, run = _run(tmp_path / "a", en_corpus, make_roles, Script(), n=2)
    questions = [r["question"] for r in read_stage(run, "qa")] + [
        r["record"]["question"] for r in read_rejects(run, "qa")
    ]
    bench = tmp_path / "bench.jsonl"
    bench.write_bytes(b"".join(orjson.dumps({"problem": q}) + b"\n" for q in questions))
    _res, _, run2 = _run(
        tmp_path / "b",
        en_corpus,
        make_roles,
        Script(),
        n=2,
        checks={"decontam": "reject", "decontam_files": [str(bench)]},
    )
    assert [r["reason"] for r in read_rejects(run2, "qa")] == ["check:contaminated"] * 2
    assert next(read_rejects(run2, "qa"))["detail"]["detail"]["overlap"] == 1.0


def test_resume_skips_done_and_retries_failures(tmp_path, en_corpus, make_roles):
    res1, _, run = _run(tmp_path, en_corpus, make_roles, Script(fail_theme="Alderbrook"), n=5, seed=3)
    seeds_tried = res1.processed
    failed = res1.errors
    assert failed == 1 and (run / "qa" / "errors.jsonl").exists()
    script = Script()
    res2, _, _ = _run(tmp_path, en_corpus, make_roles, script, n=5, seed=3)
    assert res2.skipped == seeds_tried - failed and res2.processed == 1 and res2.errors == 0
    assert script.steps.count("extract") == 1  # only the failed seed was redone
    ids = [r["id"] for r in read_stage(run, "qa")]
    assert len(ids) == len(set(ids)) == res1.outputs + res2.outputs
    # a larger n with the same seed extends the run; the first seeds are not redone
    res3, _, _ = _run(tmp_path, en_corpus, make_roles, Script(), n=6, seed=3)
    assert res3.skipped == 5 and res3.processed == 1


def test_reproducible_given_seed(tmp_path, en_corpus, make_roles):
    def records(sub: str, seed: int) -> list[dict[str, Any]]:
        _, _, run = _run(
            tmp_path / sub, en_corpus, make_roles, Script(), n=4, seed=seed, expand={"strategy": "random"}
        )
        return sorted(read_stage(run, "qa"), key=lambda r: r["id"])

    a, b, c = records("a", 7), records("b", 7), records("c", 8)
    assert a == b
    assert [r["id"] for r in a] != [r["id"] for r in c] or [r["subgraph"] for r in a] != [
        r["subgraph"] for r in c
    ]


def test_chinese_seeds_use_chinese_prompts(tmp_path, zh_corpus, make_roles):
    res, llm, run = _run(tmp_path, zh_corpus, make_roles, Script(), n=3, lang="zh")
    assert res.outputs == 3, list(read_rejects(run, "qa"))
    systems = {r.messages[0]["content"] for r in llm.requests}
    assert any("知识图谱" in s for s in systems) and not any("knowledge graph" in s for s in systems)
    for r in read_stage(run, "qa", QARecord):
        assert r.language == "zh" and r.prompt_versions["question"] == "question-zh-v1"
        assert r.answer not in r.question and r.question.startswith("指认")


def test_chinese_leak_is_width_insensitive(tmp_path, zh_corpus, make_roles):
    _res, _, run = _run(tmp_path, zh_corpus, make_roles, Script(rewrite="leak"), n=2, lang="zh")
    assert [r["reason"] for r in read_rejects(run, "qa")] == ["check:leak"] * 2


def test_language_filter_with_no_matching_seeds(tmp_path, en_corpus, make_roles):
    # nothing to synthesize from is an error (exit 2), not a silent "0 accepted"
    with pytest.raises(
        DataError, match=r"No page of the corpus \(9 pages\) passes the seed filters \(lang=zh"
    ):
        _run(tmp_path, en_corpus, make_roles, Script(), n=3, lang="zh")


@pytest.mark.shared
def test_wikispeedia_slice_with_scripted_model(tmp_path, shared_dir, make_roles):
    """Real pages (hard-wrapped plain text with captions and infoboxes) through the whole stage."""
    from openseeker.corpus import open_corpus
    from openseeker.corpus.ingest import ingest

    src = shared_dir / "data" / "wikispeedia"
    if not src.exists():
        pytest.skip(f"no Wikispeedia data under {src}")
    ingest([f"wikispeedia:{src}"], tmp_path / "ws", limit=400)
    corpus = open_corpus(tmp_path / "ws")
    res, _, run = _run(tmp_path, corpus, make_roles, Script(), n=6, k=4, seeds={"min_text_chars": 200})
    assert res.errors == 0 and res.processed == 6 and res.outputs >= 1, list(read_rejects(run, "qa"))
    for r in read_stage(run, "qa", QARecord):
        page = corpus.get(r.seed["id"])
        assert r.answer == page.title.replace("_", " ")
        for f in r.entity_subgraph.facts:
            assert containment(f.evidence, corpus.get(f.page_id).text) >= 0.85
            assert "featured article" not in f.evidence and "SOS Children" not in f.evidence


def test_judged_checks_need_a_calibrated_judge(tmp_path, en_corpus, make_roles):
    from openseeker.judge.calibration import WeakJudgeError
    from openseeker.judge.verdict import Verdict

    class YesMan:
        name = "yes-man"

        async def judge(self, question, gold, response, *, aliases=None):
            return Verdict(True, "yes-man")

    roles, _llm = make_roles(Script())
    with pytest.raises(WeakJudgeError, match="closed-book/oracle"):
        run_qa_synthesis(_cfg(tmp_path), roles=roles, corpus=en_corpus, judge=YesMan())
    cfg = _cfg(tmp_path, allow_weak_judge=True, checks={"closed_book": "record"})
    res = run_qa_synthesis(cfg, roles=roles, corpus=en_corpus, judge=YesMan())
    assert res.stats["judge_calibration"]["false_accept"] == 1.0
    rec = next(read_stage(Path(tmp_path / "run"), "qa", QARecord))
    assert rec.extra["judge_caveat"] == "weak judge (false-accept 100.0 %)"
    # the rules judge passes calibration and needs no model
    res = run_qa_synthesis(_cfg(tmp_path / "r", judge_style="rules"), roles=roles, corpus=en_corpus)
    assert res.stats["judge_calibration"]["passed"] is True
