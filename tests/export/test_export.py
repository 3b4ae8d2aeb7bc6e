"""SFT export: the student view restores every raw response; filters; the three layouts; import round trip."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from openseeker.agent import Agent, AgentConfig, Trajectory
from openseeker.agent.format import split_responses
from openseeker.errors import ConfigError, DataError
from openseeker.export import export_sft, import_openseeker, row_to_trajectory
from openseeker.io.jsonl import read_jsonl, write_jsonl
from openseeker.llm import ScriptedLLM, ToolSpec
from openseeker.pipeline.stage import read_rejects, read_stage
from openseeker.tools.base import Tool, Toolset


class Echo(Tool):
    spec = ToolSpec(
        "search",
        "Search.",
        {"type": "object", "properties": {"query": {"type": "array"}}, "required": ["query"]},
    )

    async def __call__(self, arguments: dict[str, Any]) -> str:
        return f"RAW results for {arguments['query']}: " + "lorem ipsum " * 40


def call(*queries: str) -> str:
    return (
        "<tool_calls_begin>\n"
        + "".join(
            "<tool_call>\n" + json.dumps({"name": "search", "arguments": {"query": [q]}}) + "\n</tool_call>\n"
            for q in queries
        )
        + "</tool_calls_end>"
    )


def make_traj(i: int, *, correct: bool | None, n_steps: int = 3) -> Trajectory:
    turns = [f"step {k}</think>\n\n" + call(f"q{i}-{k}a", f"q{i}-{k}b") for k in range(n_steps)]
    turns.insert(1, "confused</think>\n\nhmm")  # a parse failure observation
    turns.append("final</think>\n\n<answer>A" + str(i) + "</answer>")
    llm = ScriptedLLM(turns)
    summ = ScriptedLLM(fn=lambda m, t, c: "SUMMARY")
    traj = asyncio.run(
        Agent(llm, Toolset([Echo()]), AgentConfig(summarize_min_chars=10), summarizer=summ).run(
            f"question {i}?", id=f"t{i}", context="retrospective"
        )
    )
    traj.gold, traj.correct = f"A{i}", correct
    return traj


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    trajs = [
        make_traj(0, correct=True),
        make_traj(1, correct=False),
        make_traj(2, correct=None),
        make_traj(3, correct=True, n_steps=1),
    ]
    write_jsonl(run / "trajectories" / "00000.jsonl", trajs)
    return run


def test_messages_restore_every_raw_response(run_dir: Path, tmp_path: Path) -> None:
    rep = export_sft(run_dir, tmp_path / "sft.jsonl", "messages")
    assert rep.read == 4 and rep.written == 2 and rep.skipped == {"not_correct": 1, "unjudged": 1}
    rows = read_jsonl(tmp_path / "sft.jsonl")
    traj = Trajectory.from_dict(read_jsonl(run_dir / "trajectories" / "00000.jsonl")[0])
    msgs = rows[0]["messages"]
    tool_contents = [m["content"] for m in msgs if m["role"] == "tool"]
    raw = []
    for s in traj.steps:
        raw.extend([c.response for c in s.calls] or ([s.parse_error] if s.parse_error else []))
    assert tool_contents == raw and "SUMMARY" not in json.dumps(rows[0])
    assert all(c.summary == "SUMMARY" for c in traj.steps[0].calls)  # the record had summaries
    assistants = [m["content"] for m in msgs if m["role"] == "assistant"]
    assert assistants == [s.text for s in traj.steps]
    assert assistants[0].startswith("<think>\nstep 0\n</think>\n\n<tool_calls_begin>")
    assert assistants[-1].endswith("<answer>A0</answer>")
    assert (
        msgs[0]["role"] == "system"
        and "<tools>" in msgs[0]["content"]
        and msgs[1]["content"] == "question 0?"
    )
    assert rows[0]["tools"][0]["type"] == "function" and rows[0]["metadata"]["correct"] is True
    assert set(rows[0]) == {"messages", "tools", "metadata"}
    assert all(set(m) == {"role", "content"} and isinstance(m["content"], str) for m in msgs)


@pytest.mark.slow  # importing trl pulls in torch (~10 s)
def test_trl_accepts_messages(run_dir: Path, tmp_path: Path) -> None:
    trl = pytest.importorskip("trl.data_utils")
    export_sft(run_dir, tmp_path / "sft.jsonl", "messages")
    for row in read_jsonl(tmp_path / "sft.jsonl"):
        assert trl.is_conversational(row)


def test_filters(run_dir: Path, tmp_path: Path) -> None:
    rep = export_sft(run_dir, tmp_path / "a.jsonl", correctness="any", min_tool_calls=4)
    assert rep.written == 3 and rep.skipped == {"too_few_tool_calls": 1}
    rep = export_sft(run_dir, tmp_path / "b.jsonl", correctness="judged", max_tool_calls=3)
    assert rep.written == 1 and rep.skipped == {"unjudged": 1, "too_many_tool_calls": 2}
    rep = export_sft(run_dir, tmp_path / "c.jsonl", correctness="incorrect")
    assert rep.written == 1
    small = export_sft(run_dir, tmp_path / "d.jsonl", correctness="any", max_tokens=900)
    assert small.written == 1 and small.skipped == {"too_long": 3}
    assert json.loads((tmp_path / "d.jsonl.report.json").read_text())["written"] == 1


def test_openseeker_layout_and_import_roundtrip(run_dir: Path, tmp_path: Path) -> None:
    export_sft(run_dir, tmp_path / "os.jsonl", "openseeker", correctness="any")
    rows = read_jsonl(tmp_path / "os.jsonl")
    r = rows[0]
    assert list(r) == ["question", "answer", "number of tool calls", "trajectory correctness", "trajectory"]
    assert r["trajectory correctness"] == "Correct" and rows[1]["trajectory correctness"] == "Incorrect"
    assert [t["role"] for t in r["trajectory"][:5]] == ["system", "user", "assistant", "user", "assistant"]
    assert split_responses(r["trajectory"][3]["content"]) == [
        c.response
        for c in Trajectory.from_dict(read_jsonl(run_dir / "trajectories" / "00000.jsonl")[0]).steps[0].calls
    ]
    res = import_openseeker(tmp_path / "os.jsonl", tmp_path / "imported")
    assert res.outputs == 4 and res.rejected == 0
    imported = list(read_stage(tmp_path / "imported", "trajectories", Trajectory))
    original = [Trajectory.from_dict(x) for x in read_jsonl(run_dir / "trajectories" / "00000.jsonl")]
    for a, b in zip(imported, original, strict=True):
        assert [s.text for s in a.steps] == [s.text for s in b.steps]
        assert [[c.response for c in s.calls] for s in a.steps] == [
            [c.response for c in s.calls] for s in b.steps
        ]
        assert [s.parse_error for s in a.steps] == [s.parse_error for s in b.steps]
        assert [[(c.name, c.arguments) for c in s.calls] for s in a.steps] == [
            [(c.name, c.arguments) for c in s.calls] for s in b.steps
        ]
        assert (a.final_answer, a.gold, a.correct, a.tool_calls) == (
            b.final_answer,
            b.gold,
            b.correct,
            b.tool_calls,
        )
        assert [t.name for t in a.tools] == ["search"] and a.system == b.system
    # Exporting the imported records gives the same file again.
    export_sft(tmp_path / "imported", tmp_path / "os2.jsonl", "openseeker", correctness="any")
    assert (tmp_path / "os2.jsonl").read_bytes() == (tmp_path / "os.jsonl").read_bytes()


def test_import_rejects_are_counted(tmp_path: Path) -> None:
    good = {
        "question": "q",
        "answer": "a",
        "number of tool calls": 1,
        "trajectory correctness": "Correct",
        "trajectory": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "<think>r</think>" + call("x")},
            {"role": "user", "content": "<tool_response>\nres\n</tool_response>"},
            {"role": "assistant", "content": "<think>r</think><answer>a</answer>"},
        ],
    }
    bad = json.loads(json.dumps(good))
    bad["trajectory"][2]["content"] = "<tool_response>1</tool_response><tool_response>2</tool_response>"
    f = tmp_path / "rows.jsonl"
    f.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in (good, bad, {"question": "x"})))
    res = import_openseeker(f, tmp_path / "run")
    assert res.outputs == 1 and res.stats["reject_reasons"] == {
        "response_count_mismatch": 1,
        "missing_trajectory": 1,
    }
    rej = list(read_rejects(tmp_path / "run", "trajectories"))
    assert rej[0]["detail"]["row"] == 2
    t = row_to_trajectory(good, id="g")
    assert t.steps[0].calls[0].response == "res" and t.final_answer == "a" and t.finish_reason == "answer"


def test_sharegpt(run_dir: Path, tmp_path: Path) -> None:
    rep = export_sft(run_dir, tmp_path / "sg.jsonl", "sharegpt")
    row = read_jsonl(tmp_path / "sg.jsonl")[0]
    froms = [c["from"] for c in row["conversations"]]
    assert froms[0] == "human" and froms[1::2] == ["gpt"] * (len(froms) // 2)
    assert all(f in ("human", "observation") for f in froms[0::2])
    obs = row["conversations"][2]["value"]
    # LLaMA-Factory wraps an observation in one <tool_response>; the join makes that one block per response.
    assert split_responses("<tool_response>\n" + obs + "\n</tool_response>")[1].startswith(
        "RAW results for ['q0-0b']"
    )
    info = json.loads(Path(rep.extra_files[0]).read_text())
    assert (
        info["openseeker_sft"]["formatting"] == "sharegpt"
        and info["openseeker_sft"]["file_name"] == "sg.jsonl"
    )


def test_mixing_runs(run_dir: Path, tmp_path: Path) -> None:
    export_sft(run_dir, tmp_path / "os.jsonl", "openseeker", correctness="any")
    import_openseeker(tmp_path / "os.jsonl", tmp_path / "released")
    rep = export_sft([run_dir, tmp_path / "released"], tmp_path / "mixed.jsonl", correctness="correct")
    assert rep.read == 8 and rep.written == 4


def test_sharegpt_function_call_roles(run_dir: Path, tmp_path: Path) -> None:
    rep = export_sft(run_dir, tmp_path / "fc.jsonl", "sharegpt", tool_calls="function_call")
    row = read_jsonl(tmp_path / "fc.jsonl")[0]
    froms = [c["from"] for c in row["conversations"]]
    # LLaMA-Factory's alignment: user-side turns at odd positions, assistant-side turns at even ones
    assert all(f in ("human", "observation") for f in froms[0::2])
    assert all(f in ("gpt", "function_call") for f in froms[1::2])
    assert froms.count("function_call") == 3  # the three calling turns; the parse failure stays a gpt turn
    first = row["conversations"][1]["value"]
    think, _, payload = first.partition("</think>")
    assert think == "<think>\nstep 0\n"
    calls = json.loads(payload)  # what LLaMA-Factory parses after taking the think block out
    assert calls == [{"name": "search", "arguments": {"query": ["q0-0a"]}},
                     {"name": "search", "arguments": {"query": ["q0-0b"]}}]
    assert row["conversations"][3] == {"from": "gpt", "value": "<think>\nconfused\n</think>\n\nhmm"}
    assert row["conversations"][-1]["from"] == "gpt" and "<answer>A0</answer>" in row["conversations"][-1]["value"]
    assert [t["name"] for t in json.loads(row["tools"])] == ["search"]
    info = json.loads(Path(rep.extra_files[0]).read_text())["openseeker_sft"]
    assert info["columns"]["tools"] == "tools" and info["tags"]["function_tag"] == "function_call"


def test_dataset_info_is_merged_not_clobbered(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    out.mkdir()
    (out / "dataset_info.json").write_text(json.dumps({"mine": {"file_name": "mine.json"}}))
    export_sft(run_dir, out / "a.jsonl", "sharegpt", dataset_name="a")
    export_sft(run_dir, out / "b.jsonl", "sharegpt", dataset_name="b", tool_calls="function_call")
    info = json.loads((out / "dataset_info.json").read_text())
    assert set(info) == {"mine", "a", "b"} and info["a"]["file_name"] == "a.jsonl"
    assert not list(out.glob("*.dataset_info.json"))
    (out / "dataset_info.json").write_text("[1, 2")
    with pytest.raises(DataError, match=r"dataset_info\.json"):
        export_sft(run_dir, out / "c.jsonl", "sharegpt", dataset_name="c")
    assert not (out / "c.jsonl").exists()
    with pytest.raises(ConfigError, match="sharegpt"):
        export_sft(run_dir, out / "d.jsonl", "messages", tool_calls="function_call")


def test_export_cli_prints_a_table(run_dir: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from openseeker.cli.main import cli

    r = CliRunner().invoke(
        cli, ["export", "sft", "--run", str(run_dir), "--out", str(tmp_path / "x.jsonl"), "--format", "sharegpt"],
        env={"COLUMNS": "200"},
    )
    assert r.exit_code == 0, r.output
    assert "SFT export (sharegpt)" in r.output and "skipped: not_correct" in r.output
    assert "dataset_info.json" in r.output and not r.output.lstrip().startswith("{")
    r = CliRunner().invoke(cli, ["export", "sft", "--run", str(run_dir), "--out", str(tmp_path / "y.jsonl"), "--json"])
    assert json.loads(r.output)["written"] == 2
