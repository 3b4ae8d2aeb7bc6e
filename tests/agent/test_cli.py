"""CLI smoke tests over a real corpus folder, with the echo model (it repeats the last message)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from openseeker.cli.main import cli
from openseeker.corpus import ingest

PAGES = [
    {
        "url": "https://w.test/Babbage",
        "title": "Charles Babbage",
        "text": "Charles Babbage designed the Analytical Engine, a mechanical computer. " * 5,
    },
    {
        "url": "https://w.test/Lovelace",
        "title": "Ada Lovelace",
        "text": "Ada Lovelace wrote notes on the Analytical Engine. " * 5,
    },
]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    src = tmp_path / "pages.jsonl"
    src.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in PAGES))
    ingest.ingest([str(src)], tmp_path / "corpus")
    return tmp_path / "corpus"


def test_agent_ask_live_trace(corpus: Path, tmp_path: Path) -> None:
    q = (
        '</think><tool_calls_begin><tool_call>{"name": "search", "arguments": {"query": ["Analytical Engine"]}}'
        "</tool_call></tool_calls_end>"
    )
    out = tmp_path / "t.json"
    res = CliRunner().invoke(
        cli,
        [
            "agent",
            "ask",
            q,
            "--corpus",
            str(corpus),
            "--llm",
            "scripted/echo",
            "--max-tool-calls",
            "1",
            "--save",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "step 1" in res.output and "search" in res.output and "forced_answer" in res.output
    traj = json.loads(out.read_text())
    assert (
        traj["steps"][0]["calls"][0]["name"] == "search"
        and "Babbage" in traj["steps"][0]["calls"][0]["response"]
    )


def test_synth_traj_then_export(corpus: Path, tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        json.dumps(
            {"id": "a", "question": "</think><answer>Charles Babbage</answer>", "answer": "Charles Babbage"}
        )
        + "\n"
    )
    run = tmp_path / "run"
    res = CliRunner().invoke(
        cli,
        [
            "synth",
            "traj",
            "--qa",
            str(qa),
            "--out",
            str(run),
            "--corpus",
            str(corpus),
            "--teacher",
            "scripted/echo",
            "--summarizer",
            "scripted/echo",
            "--judge-style",
            "none",
            "--rollouts",
            "2",
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "2 kept" in res.output
    res = CliRunner().invoke(
        cli,
        [
            "export",
            "sft",
            "--run",
            str(run),
            "--out",
            str(tmp_path / "o.jsonl"),
            "--correctness",
            "any",
            "--format",
            "openseeker",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and rows[0]["trajectory correctness"] == "Unjudged"
    res = CliRunner().invoke(
        cli,
        [
            "export",
            "import-openseeker",
            str(tmp_path / "o.jsonl"),
            "--out",
            str(tmp_path / "imp"),
            "--no-progress",
        ],
    )
    assert res.exit_code == 0 and "Imported 2" in res.output
