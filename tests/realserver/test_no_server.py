"""A server that is not running stops a command within seconds with "no server at URL" (one probe, no
retries), instead of failing every input after its retries (~60 s per seed before)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from openseeker.testing.llama_server import free_port


def _run(*args: object) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "openseeker.cli.main", *map(str, args)],
                         capture_output=True, text=True, timeout=120)
    return res, time.monotonic() - t0


@pytest.fixture
def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"


def test_agent_ask(world: Path, dead_url: str) -> None:
    res, seconds = _run("agent", "ask", "Who?", "--corpus", world / "corpus", "--llm", "openai/x", "--base-url", dead_url)
    assert res.returncode != 0 and f"no server at {dead_url}" in res.stderr and "Traceback" not in res.stderr
    assert seconds < 30


def test_synth_qa_stage(world: Path, dead_url: str, tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"roles": {"default": {"model": "openai/x", "base_url": dead_url}}}))
    res, seconds = _run("synth", "qa", "--corpus", world / "corpus", "--out", tmp_path / "run", "--n", 5,
                        "--config", cfg, "--no-progress")
    assert res.returncode != 0 and f"no server at {dead_url}" in res.stderr, res.stderr
    assert seconds < 30
    assert not (tmp_path / "run" / "qa" / "errors.jsonl").exists()  # no input was tried
