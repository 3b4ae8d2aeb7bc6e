"""``openseeker agent ask`` against llama-cpp-python's server, by URL only, through both providers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .helpers import PROVIDERS, rejected_requests, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.llamacpp]
QUESTION = "Which country is Ostbrig the capital of?"


def test_agent_ask_with_only_the_url(llama_server: Any, world: Path, tmp_path: Path) -> None:
    """The issue's acceptance command: no option beyond the model and the URL (the tools read the embedded
    default corpus, built on first use)."""
    before = len(llama_server.statuses())
    out = tmp_path / "t.json"
    res = run_cli(
        "agent", "ask", QUESTION, "--llm", "openai/NAME", "--base-url", llama_server.base_url, "--save", out,
    )
    assert res.exit_code == 0, res.output
    assert "embedded default corpus" in res.output
    traj = json.loads(out.read_text())
    assert traj["finish_reason"] in ("answer", "forced_answer", "no_final_answer_after_tools_disabled",
                                     "context_limit"), traj["finish_reason"]
    # budgets came from the server's (assumed) 2048-token window, not the 32k default
    assert all(s["max_tokens"] <= 512 for s in traj["steps"])
    assert rejected_requests(llama_server, before) == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_agent_ask_at_the_tool_limit_forces_an_answer(
    llama_server: Any, world: Path, tmp_path: Path, provider: str
) -> None:
    before = len(llama_server.statuses())
    out = tmp_path / "t.json"
    res = run_cli(
        "agent", "ask", QUESTION, "--corpus", world / "corpus", "--llm", f"{provider}/NAME",
        "--base-url", llama_server.base_url, "--max-tool-calls", "1", "--max-tokens", "96", "--save", out,
    )
    assert res.exit_code == 0, res.output
    traj = json.loads(out.read_text())
    assert traj["metadata"].get("forced_by") == "tool_limit", traj["finish_reason"]
    last = traj["steps"][-1]
    assert last["forced"] and traj["finish_reason"] in ("forced_answer", "no_final_answer_after_tools_disabled")
    if provider == "openai":  # llama-cpp-python cannot continue an assistant turn: ask by instruction
        assert last["forced_via"] == "instruction" and "final answer" in last["instruction"]
    else:  # the completions provider renders the prompt itself: continue from the forced prefix
        assert last["forced_via"] == "prefill" and last["prefill"] and last["instruction"] is None
    assert rejected_requests(llama_server, before) == []
