"""A judge added through the advertised ``openseeker.judge`` entry point is found by the registry and accepted
by every command that takes a judge spec (it used to be refused by the evaluation's own list of styles)."""

from __future__ import annotations

import importlib
import textwrap
from pathlib import Path

import pytest

from openseeker.evaluate.runner import EvalConfig, judge_style, run_eval
from openseeker.judge import judges
from openseeker.llm import Roles, RolesConfig, ScriptedLLM

PLUGIN = '''
from openseeker.judge import Verdict
from openseeker.judge.normalize import exact_match, extract_answer


class StrictJudge:
    name = "strict-exact"

    async def judge(self, question, gold, response, *, aliases=None):
        answer = extract_answer(response)
        return Verdict(exact_match(answer, gold, aliases), judge=self.name, method="exact", extracted_answer=answer)


def factory(llm, lang="en", **options):
    return StrictJudge()
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A distribution on sys.path whose metadata declares ``[openseeker.judge] strict = ...``."""
    (tmp_path / "strict_judge_plugin.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = tmp_path / "strict_judge_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: strict-judge-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[openseeker.judge]\nstrict = strict_judge_plugin:factory\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    # a fresh view of the registry (restored afterwards): the entry points are read again
    monkeypatch.setattr(judges, "_factories", dict(judges._factories))
    monkeypatch.setattr(judges, "_entry_points_loaded", False)
    return "strict"


class Agent:
    async def run(self, question: str, *, id: str = "", scope: str | None = None):
        from dataclasses import dataclass

        @dataclass
        class T:
            final_response: str
            final_answer: str

        answer = "Barcelona" if "1992" in question else "Lyon"
        return T(f"<answer>{answer}</answer>", answer)


def test_entry_point_judge_runs_an_evaluation(plugin, tmp_path, qa_jsonl):
    assert plugin in judges.names()
    cfg = EvalConfig(benchmark="custom", data=str(qa_jsonl), out=str(tmp_path / "run"), judge=plugin)
    assert judge_style(cfg) == "strict"
    assert judge_style(cfg.model_copy(update={"judge": "rules+strict"})) == "rules+strict"
    roles = Roles(RolesConfig(), overrides={"agent": ScriptedLLM(default="unused")})
    res = run_eval(cfg, roles=roles, agent=Agent())
    assert res.complete and res.summary["run"]["judge_style"] == "strict"
    acc = res.summary["accuracy"]
    assert (acc["correct"], acc["wrong"], acc["unparsed"]) == (1, 2, 0)
    assert res.summary["judge_calibration"]["passed"] is True  # the plugin was calibrated like any judge
