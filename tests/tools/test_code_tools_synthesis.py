"""Synthesis and evaluation with the v2 tools: a scripted teacher that runs Python in the local sandbox
gets retrospective summaries of the code outputs like any tool response, and every export format carries
the raw outputs; ``eval run`` drives an agent with the sandbox tools end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

from openseeker.agent import AgentConfig
from openseeker.export.formats import FORMATS, convert
from openseeker.export.sft import iter_trajectories
from openseeker.llm import LLMConfig, Roles, RolesConfig
from openseeker.pipeline.stage import read_stage
from openseeker.synth.trajectories import TrajSynthConfig, run_trajectory_synthesis
from openseeker.testing import ScriptedLLM
from openseeker.tools.config import SandboxConfig, ToolsConfig

CODE = "years = [1889, 1921]\nprint(years[1] - years[0])"


def call(name: str, **args: object) -> str:
    return f"<tool_calls_begin>\n<tool_call>\n{json.dumps({'name': name, 'arguments': args})}\n</tool_call>\n</tool_calls_end>"


def teacher(messages: list[dict[str, Any]], tools: Any, config: Any) -> str:
    turns = sum(m["role"] == "assistant" for m in messages)
    last = str(messages[-1].get("content", ""))
    if turns == 0:
        return "Find the year.\n</think>\n\n" + call("search", query=["Eiffel Tower completed"])
    if turns == 1:
        return "I will compute in a sandbox.\n</think>\n\n" + call("create_sandbox")
    if turns == 2:
        sid = last.split("sandbox_id: ")[1].split()[0]
        return "Run it.\n</think>\n\n" + call("run_python_code", code_block=CODE, sandbox_id=sid)
    if turns == 3:
        return "Check the working folder too.\n</think>\n\n" + call(
            "run_python_code", code_block="import os\nsorted(os.listdir('.'))", sandbox_id=_sid(messages)
        )
    return "The difference is 32 years.\n</think>\n\n<answer>32</answer>"


def _sid(messages: list[dict[str, Any]]) -> str:
    for m in messages:
        text = str(m.get("content", ""))
        if "sandbox_id: " in text:
            return text.split("sandbox_id: ")[1].split()[0]
    raise AssertionError("no sandbox id in the history")


def summarizer(messages: list[dict[str, Any]], tools: Any, config: Any) -> str:
    prompt = str(messages[-1]["content"])
    return "SUMMARY: the code printed 32." if "Execution(" in prompt else "SUMMARY: other."


def test_teacher_runs_code_and_the_outputs_are_summarized_and_exported(
    corpus_dir: Path, sandbox_cfg: SandboxConfig, tmp_path: Path
) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_bytes(orjson.dumps({"id": "q1", "question": "How many years after the Eiffel Tower was 1921?", "answer": "32"}) + b"\n")
    teacher_llm = ScriptedLLM(fn=teacher, name="scripted/teacher")
    roles = Roles(
        RolesConfig(default=LLMConfig(model="scripted/echo")),
        overrides={"teacher": teacher_llm, "summarizer": ScriptedLLM(fn=summarizer, name="scripted/summ")},
    )
    cfg = TrajSynthConfig(
        qa=str(qa),
        out=str(tmp_path / "run"),
        progress=False,
        min_tool_calls=3,
        tools=ToolsConfig(corpus=str(corpus_dir), enabled=["search", "visit", "sandbox"], sandbox=sandbox_cfg),
        # responses under 60 characters stay verbatim (the sandbox id); the code outputs are longer
        agent=AgentConfig(context="retrospective", summarize_min_chars=60),
    )
    res = run_trajectory_synthesis(cfg, roles)  # judged by the rules judge (the default; no judge model)
    assert res.complete
    [rec] = list(read_stage(tmp_path / "run", "trajectories"))
    code_obs = rec["steps"][2]["calls"][0]
    assert code_obs["name"] == "run_python_code"
    assert code_obs["response"] == "Execution(Results: [], Logs: Logs(stdout: ['32\\n'], stderr: []), Error: None)"
    assert code_obs["summary"] == "SUMMARY: the code printed 32." and code_obs["summary_method"] == "llm"
    # the teacher saw the summary, not the raw output, once a newer response had arrived
    final_request = json.dumps(teacher_llm.requests[-1].messages)
    assert "SUMMARY: the code printed 32." in final_request and "stdout: ['32\\\\n']" not in final_request
    # every export format carries the raw code outputs (the student's view)
    [traj] = list(iter_trajectories(tmp_path / "run"))
    for fmt in FORMATS:
        sample = json.dumps(convert(traj, fmt), ensure_ascii=False)
        assert "Execution(Results: [], Logs: Logs(stdout: ['32\\\\n']" in sample, fmt
        assert "SUMMARY:" not in sample
    assert not [p for p in Path(str(sandbox_cfg.root)).iterdir() if not p.name.startswith(".")]
