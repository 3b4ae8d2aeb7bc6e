"""The verifier's entailment call for what the clue rules leave undecided: asked only once it has passed
calibration on the clue set, and then its verdict decides; a verifier that fails is never asked."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson

from openseeker.llm import ScriptedLLM
from openseeker.pipeline.stage import read_rejects
from openseeker.synth.clue_check import check_clue_truth
from openseeker.synth.clue_entail import EntailmentGate, load_clue_set
from openseeker.synth.prompts import load_prompts
from openseeker.synth.records import Fact

from .conftest import Script
from .test_qa_pipeline import _run

FACTS = [
    Fact(
        "f1", "Marta Venn", "born in", "Port Salve", "Marta Venn was a weaver born in 1611 in Port Salve.", 3
    )
]


def test_the_clue_set_covers_both_languages_and_both_labels():
    version, items = load_clue_set()
    assert version and len(items) >= 40
    for lang in ("en", "zh"):
        mine = [i for i in items if i.lang == lang]
        assert sum(i.correct for i in mine) >= 7 and sum(not i.correct for i in mine) >= 10
    assert {"wrong_type", "wrong_date", "wrong_number", "unstated_detail", "copied_example"} <= {
        i.kind for i in items
    }


def test_entailment_decides_only_what_the_rules_leave_undecided():
    asked: list[str] = []

    async def entail(entity, description, lines, lang):
        asked.append(description)
        assert lines == [FACTS[0].evidence] and lang == "en"
        return ("true" if "French" not in description else "false"), '{"verdict": "..."}'

    mapping = {"Marta Venn": "a weaver from a harbour", "Port Salve": "a company"}
    out = asyncio.run(check_clue_truth(mapping, FACTS, mode="reject", entail=entail))
    # "a company" is false by the rules (Port Salve is a place): no call; the other is the verifier's
    assert asked == ["a weaver from a harbour"] and out.passed is False and out.detail["entailed"] == 1
    clues = {c["entity"]: c for c in out.detail["clues"]}
    assert clues["Marta Venn"]["verdict"] == "true" and clues["Marta Venn"]["method"] == "rules+entailment"
    assert clues["Port Salve"]["method"] == "rules"
    out = asyncio.run(
        check_clue_truth({"Marta Venn": "a French weaver"}, FACTS, mode="reject", entail=entail)
    )
    assert out.passed is False and out.detail["false"][0]["why"][-1] == "entailment: false"


def _gate_with(script: Script) -> tuple[EntailmentGate, bool]:
    gate = EntailmentGate(max_false_accept=0.10)
    llm = ScriptedLLM(fn=script, name="scripted/verifier")
    return gate, asyncio.run(gate.ensure(llm, max_reasks=0))


def test_a_strict_verifier_passes_calibration_and_a_lenient_one_fails():
    gate, ok = _gate_with(Script())  # supported only when every word is in the facts
    assert ok and gate.calibration is not None and gate.calibration.false_accept == 0.0
    assert gate.calibration.n == len(load_clue_set()[1]) and set(gate.calibration.by_lang) == {"en", "zh"}
    gate, ok = _gate_with(Script(clue="always"))
    assert not ok and gate.calibration is not None and gate.calibration.false_accept == 1.0
    # unparsable replies agree with nothing but accept nothing either: usable, and every clue they are
    # asked about stays undecided (never a pass)
    gate, ok = _gate_with(Script(clue="garbage"))
    assert ok and gate.calibration is not None and gate.calibration.agreement == 0.0
    assert gate.calibration.unparsed == gate.calibration.n


def test_prompts_of_the_entailment_call():
    for lang in ("en", "zh"):
        msgs = load_prompts(lang)["clue"].messages(entity="X", facts="- f", description="d")
        assert "supported" in msgs[1]["content"] and "not_stated" in msgs[1]["content"]


def test_in_the_stage_a_verifier_that_fails_calibration_is_never_asked(tmp_path, en_corpus, make_roles):
    script = Script(obfuscate="unsupported", clue="always")
    _res, _, run = _run(tmp_path, en_corpus, make_roles, script, n=2, checks={"shortcut": "off"})
    rejects = list(read_rejects(run, "qa"))
    assert [r["reason"] for r in rejects] == ["check:clue_undecided"] * 2
    why = rejects[0]["detail"]["detail"]["undecided"][0]["why"]
    assert why[-1] == "entailment: not asked (the verifier failed calibration)"
    stats = orjson.loads((Path(run) / "qa" / "stats.json").read_bytes())
    cal = stats["clue_truth_calibration"]
    assert cal["passed"] is False and cal["caveat"].startswith("weak judge") and cal["false_accept"] == 1.0
    assert stats["counters"]["clue:entailed"] == 0 and stats["counters"]["clue:undecided"] >= 2


def test_in_the_stage_a_calibrated_verifier_decides(tmp_path, en_corpus, make_roles):
    script = Script(obfuscate="unsupported", clue="contradicted")
    _res, _, run = _run(tmp_path, en_corpus, make_roles, script, n=2, checks={"shortcut": "off"})
    rejects = list(read_rejects(run, "qa"))
    assert [r["reason"] for r in rejects] == ["check:false_clue"] * 2
    clue = rejects[0]["detail"]["detail"]["false"][0]
    assert clue["why"][-1] == "entailment: false"
    stats = orjson.loads((Path(run) / "qa" / "stats.json").read_bytes())
    assert stats["clue_truth_calibration"]["passed"] is True and stats["counters"]["clue:entailed"] >= 2
    # rules only: nothing is asked, the undecided clues stay undecided
    _res, _, run = _run(
        tmp_path / "rules",
        en_corpus,
        make_roles,
        script,
        n=2,
        checks={"shortcut": "off", "clue_entailment": False},
    )
    assert [r["reason"] for r in read_rejects(run, "qa")] == ["check:clue_undecided"] * 2
