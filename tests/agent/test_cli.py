"""CLI smoke tests over a real corpus folder, with the echo model (it repeats the last message)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from openseeker.cli.main import cli
from openseeker.corpus import ingest
from openseeker.testing.terminal import restore_terminal_signals

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
            "--out",
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


def test_agent_ask_trace_shows_unparsed_output(corpus: Path) -> None:
    # the echo model repeats the question: a turn with neither a tool call nor an answer
    res = CliRunner().invoke(
        cli,
        ["agent", "ask", "pondering</think>I will answer in my own way", "--corpus", str(corpus),
         "--llm", "scripted/echo", "--max-tool-calls", "1"],
        env={"COLUMNS": "250"},
    )
    assert res.exit_code == 0, res.output
    assert "model output (not parsed): I will answer in my own way" in res.output
    assert "correction sent to the model:" in res.output and "neither a valid tool call" in res.output


def test_agent_ask_save_writes_the_partial_trajectory_when_the_model_fails(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from openseeker.cli.main import main

    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    out = tmp_path / "partial.json"
    with pytest.raises(SystemExit) as e:
        main(["agent", "ask", "Who designed the Analytical Engine?", "--corpus", str(corpus),
              "--llm", "scripted/flaky_models:search_then_down", "--out", str(out)])
    assert e.value.code == 3
    saved = json.loads(out.read_text())
    assert saved["finish_reason"] == "error" and len(saved["steps"]) == 1
    assert saved["steps"][0]["calls"][0]["name"] == "search" and "Babbage" in saved["steps"][0]["calls"][0]["response"]
    assert saved["metadata"]["error"]["type"] == "LLMResponseError"
    assert "Partial trajectory (1 finished steps, finish_reason 'error')" in capsys.readouterr().err


def test_agent_ask_save_on_ctrl_c_in_a_terminal(corpus: Path, tmp_path: Path) -> None:
    import os
    import sys

    pexpect = pytest.importorskip("pexpect")
    out = tmp_path / "partial.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path]), "COLUMNS": "200"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "openseeker.cli.main", "agent", "ask", "Who designed the Analytical Engine?", "--corpus", str(corpus),
         "--llm", "scripted/flaky_models:search_then_hang", "--out", str(out)],
        env=env, encoding="utf-8", timeout=120, dimensions=(50, 200), preexec_fn=restore_terminal_signals,
    )
    child.expect("step 1")  # the first step is printed; the model now hangs on the second
    child.sendintr()
    child.expect(r"Partial trajectory \(1 finished steps, finish_reason 'interrupted'\)")
    child.expect("Interrupted.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    saved = json.loads(out.read_text())
    assert saved["finish_reason"] == "interrupted" and len(saved["steps"]) == 1


def test_agent_ask_without_a_corpus_uses_the_embedded_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No --corpus, service or web backend: the tools read the generated world, built once per user."""
    from openseeker.default_corpus import default_corpus

    monkeypatch.setenv("OPENSEEKER_HOME", str(tmp_path / "home"))
    q = (
        '</think><tool_calls_begin><tool_call>{"name": "search", "arguments": {"query": ["city founded"]}}'
        "</tool_call></tool_calls_end>"
    )
    out = tmp_path / "t.json"
    args = ["agent", "ask", q, "--llm", "scripted/echo", "--max-tool-calls", "1", "--out", str(out)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert "embedded default corpus" in res.output
    built = tmp_path / "home" / "default-corpus"
    traj = json.loads(out.read_text())
    assert "openseeker-world.test" in traj["steps"][0]["calls"][0]["response"]  # hits from the generated world
    # built once: the second call reuses it (same folder, not rebuilt)
    stamp = (built / "openseeker-default.json").stat().st_mtime_ns
    assert default_corpus() == built and (built / "openseeker-default.json").stat().st_mtime_ns == stamp
    assert not [p for p in (tmp_path / "home").iterdir() if p.name.startswith(".default-corpus-")]


def test_default_corpus_is_rebuilt_when_its_stamp_is_missing(tmp_path: Path) -> None:
    """A build killed before its stamp was written (or an older version) is rebuilt, never used half made."""
    from openseeker.corpus import open_corpus
    from openseeker.default_corpus import default_corpus

    first = default_corpus(tmp_path)
    (first / "openseeker-default.json").unlink()
    again = default_corpus(tmp_path)
    assert again == first and (again / "openseeker-default.json").exists()
    c = open_corpus(again)
    assert c.search("founded", top_k=3)
