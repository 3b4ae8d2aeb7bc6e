"""``eval run`` with the embedded local model as the judge: refused, or with --allow-weak-judge every number
marked (slow: the real model judges the whole calibration set once; the second run reads the cache)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from openseeker.cli.eval import eval_group
from openseeker.evaluate import runner as runner_mod
from openseeker.judge.calibration import WeakJudgeError

pytestmark = [pytest.mark.slow, pytest.mark.llamacpp]


def _installed() -> bool:
    import importlib.util

    if importlib.util.find_spec("llama_cpp") is None:
        return False
    from openseeker.llm import local_model as lm

    return lm.is_installed(lm.get_model("default"))


class _Traj:
    def __init__(self, answer: str):
        self.final_response, self.final_answer = f"<answer>{answer}</answer>", answer
        self.finish_reason, self.tool_calls, self.steps, self.seconds = "answer", 1, 2, 0.1
        self.usage, self.model = {}, "scripted/agent"


class _Agent:
    """Answers every question with babble: only a judge that accepts anything finds it right."""

    def __init__(self) -> None:
        self.runs = 0

    async def run(self, question, *, id="", scope=None):
        self.runs += 1
        return _Traj("P.S. P.S. I hope you enjoy my answer")


@pytest.mark.skipif(not _installed(), reason="llama-cpp-python or the embedded default model is not installed")
def test_the_embedded_model_is_refused_as_a_judge(tmp_path, qa_jsonl, monkeypatch) -> None:
    agent = _Agent()
    monkeypatch.setattr(runner_mod, "build_eval_agent", lambda cfg, roles, bench=None: agent)
    cfg = tmp_path / "eval.yaml"
    cfg.write_text(
        "roles:\n  judge: {model: llamacpp/default, options: {n_threads: 2, n_ctx: 2048}}\n"
        # greedy decoding: a re-ask repeats the reply, and the verdict is in the first tokens
        "eval: {judge: openseeker, judge_max_tokens: 4, judge_max_attempts: 1}\n",
        encoding="utf-8",
    )
    args = ["run", "-b", "custom", "--data", str(qa_jsonl), "--agent", str(cfg), "--out", str(tmp_path / "r")]
    res = CliRunner().invoke(eval_group, args)
    assert isinstance(res.exception, WeakJudgeError), res.output
    assert "false-accept" in str(res.exception) and "--allow-weak-judge" in str(res.exception)
    assert agent.runs == 0  # refused before any question ran
    res = CliRunner().invoke(eval_group, [*args, "--allow-weak-judge"])
    assert res.exit_code == 0, res.output
    out = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    cal = out["judge_calibration"]
    assert cal["cached"] and cal["passed"] is False and cal["worst_false_accept"] > 0.1
    mark = f"weak judge (false-accept {100 * cal['worst_false_accept']:.1f} %)"
    assert cal["caveat"] == mark
    assert out["accuracy"]["caveat"] == mark and out["caveats"] == [mark]
    assert mark in res.output
