"""Judge calibration: the built-in labelled set, the figures, the cache, the gate and the CLI."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest
from click.testing import CliRunner

from openseeker.cli.eval import eval_group
from openseeker.judge import get_judge
from openseeker.judge.calibration import WeakJudgeError, calibrate, gate, load_set
from openseeker.llm import ScriptedLLM


def yes_man(messages, tools, config):
    """A scripted judge that accepts everything (as the embedded model was seen to do)."""
    return "A"


def test_the_set_covers_every_kind_in_both_languages():
    version, items = load_set()
    assert version and len(items) >= 60 and len({it.id for it in items}) == len(items)
    assert Counter(it.lang for it in items).keys() == {"en", "zh"}
    kinds = {it.kind for it in items}
    for kind in ("exact", "alias", "paraphrase", "number_format", "unit", "partial", "wrong_entity", "refusal"):
        assert kind in kinds, kind
    assert {"empty", "several_candidates"} <= kinds
    labels = Counter(it.correct for it in items)
    assert min(labels.values()) >= 25  # both labels well represented


def test_rules_judge_figures_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENSEEKER_CALIBRATION_DIR", str(tmp_path))
    cal = asyncio.run(calibrate(lambda lang: get_judge("rules", None)))
    # the rules never accept a wrong answer nor reject a right one on this set; the rest stays undecided
    assert cal.false_accept == 0.0 and cal.false_reject == 0.0 and cal.unparsed > 0
    assert cal.agreement == pytest.approx((cal.n - cal.unparsed) / cal.n) and not cal.cached
    assert cal.methods == {"rules": cal.n} and set(cal.by_lang) == {"en", "zh"}
    again = asyncio.run(calibrate(lambda lang: get_judge("rules", None)))
    assert again.cached and again.agreement == cal.agreement and len(list(tmp_path.glob("*.json"))) == 1


def test_gate_refuses_a_lenient_judge_and_never_caches_a_scripted_one():
    judge = get_judge("binary", ScriptedLLM(fn=yes_man, name="scripted/yes"))
    with pytest.raises(WeakJudgeError, match=r"false-accept 100\.0 %"):
        asyncio.run(gate(lambda lang: judge))
    cal = asyncio.run(gate(lambda lang: judge, allow_weak=True))
    assert cal.passed is False and cal.caveat() == "weak judge (false-accept 100.0 %)"
    assert cal.false_reject == 0.0 and not cal.cached
    assert not asyncio.run(calibrate(lambda lang: judge)).cached


def test_calibrate_judge_cli():
    cli = CliRunner()
    r = cli.invoke(eval_group, ["calibrate-judge", "--style", "rules"])
    assert r.exit_code == 0, r.output
    assert "false-accept" in r.output and "passes" in r.output
    r = cli.invoke(
        eval_group,
        ["calibrate-judge", "--judge", "scripted/tests.judge.test_calibration:yes_man", "--json"],
    )
    assert r.exit_code == 1  # the judge would be refused
    data = json.loads(r.output)
    assert data["false_accept"] == 1.0 and data["passed"] is False and data["n"] >= 60


def test_a_judge_lenient_in_one_language_is_refused():
    """Overall 2 of 35 wrong answers accepted (5.7 %), but both are Chinese (2 of 14): refused."""
    from openseeker.judge.verdict import Verdict

    _, items = load_set()
    labels = {(it.question, it.response): it.correct for it in items}
    lenient = {(it.question, it.response) for it in items if it.lang == "zh" and not it.correct}
    lenient = set(sorted(lenient)[:2])

    class HalfLenient:
        name = "half-lenient"

        async def judge(self, question, gold, response, *, aliases=None):
            key = (question, response)
            return Verdict(True if key in lenient else labels[key], "half-lenient")

    with pytest.raises(WeakJudgeError, match=r"zh 14\.3 %"):
        asyncio.run(gate(lambda lang: HalfLenient()))
    cal = asyncio.run(gate(lambda lang: HalfLenient(), allow_weak=True))
    assert cal.false_accept == pytest.approx(2 / 35) and cal.worst_false_accept == pytest.approx(2 / 14)
    assert cal.summary()["caveat"] == "weak judge (false-accept 14.3 %)"


def test_identity_names_the_weights_without_loading_them():
    from pathlib import Path

    from openseeker.judge.calibration import _served

    class Lazy:  # like the in-process provider: the weights file is known, the model loads on first use
        path = Path("/models/SmolLM2.gguf")

        @property
        def model(self):
            raise AssertionError("the model was loaded")

    class Wrapper:  # like the response cache around a provider
        def __init__(self, inner):
            self.inner = inner

    assert _served(Lazy()) == "/models/SmolLM2.gguf" and _served(Wrapper(Lazy())) == "/models/SmolLM2.gguf"
    served = type("Served", (), {"model": "Qwen3-32B"})()
    assert _served(served) == "Qwen3-32B"
