"""Trajectory synthesis with a scripted teacher and summarizer: rejection sampling, filters, resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from openseeker.agent import AgentConfig, Trajectory, render_context
from openseeker.corpus.base import MemoryCorpus
from openseeker.errors import DataError
from openseeker.judge.calibration import WeakJudgeError
from openseeker.judge.verdict import Verdict
from openseeker.llm import LLMConfig, Roles, RolesConfig, ScriptedLLM, ToolSpec
from openseeker.pipeline.stage import read_rejects, read_stage
from openseeker.synth.records import read_qa
from openseeker.synth.trajectories import TrajSynthConfig, run_trajectory_synthesis
from openseeker.tools.base import Tool, Toolset

CORPUS = MemoryCorpus.from_records(
    [
        {
            "url": "https://w.test/Babbage",
            "title": "Charles Babbage",
            "text": "Babbage designed the Analytical Engine. " * 20,
        },
        {
            "url": "https://w.test/Lovelace",
            "title": "Ada Lovelace",
            "text": "Ada Lovelace wrote the first program. " * 20,
        },
    ]
)


class Search(Tool):
    spec = ToolSpec(
        "search",
        "Search.",
        {"type": "object", "properties": {"query": {"type": "array"}}, "required": ["query"]},
    )

    async def __call__(self, arguments: dict[str, Any]) -> str:
        return "\n".join(
            f"[{h.title}]({h.url}) {h.snippet}" for q in arguments["query"] for h in CORPUS.search(q)
        )


def call(**args: object) -> str:
    return (
        "<tool_calls_begin><tool_call>"
        + json.dumps({"name": "search", "arguments": args})
        + "</tool_call></tool_calls_end>"
    )


def teacher_fn(messages: list[dict], tools: Any, config: Any) -> str:
    q = messages[1]["content"]
    turns = sum(m["role"] == "assistant" for m in messages)
    if "short" in q:
        return "easy</think><answer>Charles Babbage</answer>"
    if "loop" in q:
        return f"t{turns}</think>" + call(query=["Babbage"])
    if turns < 2:
        return f"t{turns}</think>" + call(query=["Babbage engine", "Lovelace"])
    return "done</think><answer>" + ("Charles Babbage" if "good" in q else "Ada Lovelace") + "</answer>"


class GoldJudge:
    name = "gold-substring"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def judge(
        self, question: str, gold: str, response: str, *, aliases: list[str] | None = None
    ) -> Verdict:
        self.calls.append((gold, response))
        if "unparsable" in question:
            return Verdict(None, self.name, raw="???")
        return Verdict(gold.lower() in response.lower(), self.name)


def write_qa(path: Path) -> Path:
    rows = [
        {"id": "good", "question": "good: who designed the Analytical Engine?", "answer": "Charles Babbage"},
        {
            "id": "wrong",
            "question": "wrong: who designed the Analytical Engine?",
            "answer": "Charles Babbage",
        },
        {"id": "short", "question": "short: who designed it?", "answer": "Charles Babbage"},
        {"id": "loop", "question": "loop: who designed it?", "answer": "Charles Babbage"},
        {"id": "unp", "question": "good unparsable: who?", "answer": "Charles Babbage"},
    ]
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def make_roles() -> tuple[Roles, ScriptedLLM, ScriptedLLM]:
    teacher = ScriptedLLM(fn=teacher_fn, name="scripted/teacher")
    summ = ScriptedLLM(fn=lambda m, t, c: "summary", name="scripted/summ")
    roles = Roles(
        RolesConfig(default=LLMConfig(model="scripted/echo")),
        overrides={"teacher": teacher, "summarizer": summ, "judge": summ},
    )
    return roles, teacher, summ


def test_rejection_sampling_and_filters(tmp_path: Path) -> None:
    qa = write_qa(tmp_path / "qa.jsonl")
    cfg = TrajSynthConfig(
        qa=str(qa),
        out=str(tmp_path / "run"),
        rollouts=2,
        min_tool_calls=1,
        progress=False,
        agent=AgentConfig(max_tool_calls=3, on_tool_limit="stop", summarize_min_chars=10),
    )
    roles, teacher, _summ = make_roles()
    judge = GoldJudge()
    # a gold-substring judge accepts too many wrong answers: refused before any rollout ...
    with pytest.raises(WeakJudgeError, match="rejection sampling"):
        run_trajectory_synthesis(cfg, roles, toolset=Toolset([Search()]), judge=judge)
    assert teacher.requests == []
    # ... unless allowed, and then every kept trajectory and stats.json say so
    cfg = cfg.model_copy(update={"allow_weak_judge": True})
    res = run_trajectory_synthesis(cfg, roles, toolset=Toolset([Search()]), judge=judge)
    assert res.processed == 10 and res.errors == 0
    cal = json.loads((tmp_path / "run" / "trajectories" / "stats.json").read_text())["judge_calibration"]
    assert cal["passed"] is False and cal["false_accept"] > 0.1 and cal["n"] >= 60
    kept = list(read_stage(tmp_path / "run", "trajectories", Trajectory))
    assert sorted(t.id for t in kept) == ["good#r0", "good#r1"]
    assert all(t.correct and t.gold == "Charles Babbage" and t.context == "retrospective" for t in kept)
    assert all(t.metadata["judge_caveat"].startswith("weak judge (false-accept") for t in kept)
    assert res.stats["reject_reasons"] == {
        "incorrect": 2,
        "too_few_tool_calls": 2,
        "finish_tool_limit": 2,
        "unparsed_verdict": 2,
    }
    rejects = list(read_rejects(tmp_path / "run", "trajectories"))
    assert {r["reason"] for r in rejects} >= {"incorrect"}
    assert all(Trajectory.from_dict(r["record"]).steps for r in rejects)  # inspectable
    # One cache scope per rollout, and summaries one step behind.
    scopes = {r.scope for r in teacher.requests}
    assert {"traj:good:0", "traj:good:1"} <= scopes
    t = kept[0]
    assert t.steps[0].calls[0].summary == "summary" and t.steps[1].calls[0].summary is None
    assert render_context(t, "retrospective", 2)[3]["content"] == "summary"
    assert res.stats["counters"]["rollouts"] == 10
    # Resumable: a second run does nothing new.
    res2 = run_trajectory_synthesis(cfg, roles, toolset=Toolset([Search()]), judge=judge)
    assert res2.processed == 0 and res2.skipped == 10


def test_keep_incorrect_and_no_judge(tmp_path: Path) -> None:
    qa = write_qa(tmp_path / "qa.jsonl")
    roles, _, _ = make_roles()
    cfg = TrajSynthConfig(
        qa=str(qa), out=str(tmp_path / "a"), keep_incorrect=True, progress=False, limit=2, allow_weak_judge=True
    )
    run_trajectory_synthesis(cfg, roles, toolset=Toolset([Search()]), judge=GoldJudge())
    kept = {t.id: t.correct for t in read_stage(tmp_path / "a", "trajectories", Trajectory)}
    assert kept == {"good#r0": True, "wrong#r0": False}
    cfg2 = TrajSynthConfig(qa=str(qa), out=str(tmp_path / "b"), judge_style="none", progress=False, limit=2)
    run_trajectory_synthesis(cfg2, roles, toolset=Toolset([Search()]))
    assert [t.correct for t in read_stage(tmp_path / "b", "trajectories", Trajectory)] == [None, None]


def test_read_qa_from_run_folder_and_errors(tmp_path: Path) -> None:
    (tmp_path / "run" / "qa").mkdir(parents=True)
    (tmp_path / "run" / "qa" / "00000.jsonl").write_text(
        json.dumps(
            {
                "id": "x",
                "question": "巴贝奇设计了什么？",
                "answer": "分析机",
                "aliases": ["Analytical Engine"],
            }
        )
        + "\n"
    )
    items = [it.to_dict() for it in read_qa(tmp_path / "run")]
    assert items == [
        {
            "id": "x",
            "question": "巴贝奇设计了什么？",
            "answer": "分析机",
            "aliases": ["Analytical Engine"],
            "language": "zh",
        }
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q", "answer": "a"}\n{"question": "no answer"}\n')
    with pytest.raises(DataError, match=r"bad.jsonl at line 2"):
        read_qa(bad)
