"""``synth qa``, ``synth traj`` and ``eval run`` against llama-cpp-python's server through both providers,
with tiny limits: every request is accepted by the server and every input ends as a record or a reject
for a content reason (never an error)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from .helpers import PROVIDERS, rejected_requests, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.llamacpp]


def _roles(provider: str, url: str) -> dict[str, Any]:
    return {"default": {"model": f"{provider}/NAME", "base_url": url}}


def _endpoint(provider: str, url: str, cfg: dict[str, Any], *role_flags: str) -> list[str]:
    """Point the stage at the server: the ``openai`` runs through the command line only (``--base-url`` with
    ``--llm``, or with the given role flags), the ``completions`` runs through ``roles`` in the config file."""
    if provider == "completions":
        cfg["roles"] = _roles(provider, url)
        return []
    model = f"{provider}/NAME"
    return [*(a for flag in role_flags or ("--llm",) for a in (flag, model)), "--base-url", url]


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _errors(stage_dir: Path) -> list[dict[str, Any]]:
    f = stage_dir / "errors.jsonl"
    return [json.loads(line) for line in f.read_text().splitlines()] if f.exists() else []


def _rejects(stage_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for f in sorted((stage_dir / "rejects").glob("*.jsonl"))
            for line in f.read_text().splitlines()]


def _records(stage_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for f in sorted(stage_dir.glob("0*.jsonl")) for line in f.read_text().splitlines()]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_synth_qa(llama_server: Any, world: Path, tmp_path: Path, provider: str) -> None:
    before = len(llama_server.statuses())
    data: dict[str, Any] = {
        "qa": {
            "n": 1, "k": 2, "lang": "en", "concurrency": 1, "max_reasks": 0,
            "seeds": {"min_text_chars": 60},
            "extract": {"page_chars": 300, "total_chars": 600, "max_tokens": 200},
            "question": {"max_tokens": 80},
            # recorded, not rejecting: every structured call of the stage is made
            "checks": {"shortcut": "record", "closed_book": "record", "oracle": "record", "uniqueness": "record"},
        },
    }
    flags = _endpoint(provider, llama_server.base_url, data)
    cfg = _write(tmp_path / "qa.yaml", data)
    out = tmp_path / "run"
    res = run_cli("synth", "qa", "--config", cfg, "--corpus", world / "corpus", "--out", out, "--no-progress", *flags)
    assert res.exit_code == 0, res.output
    stage = out / "qa"
    assert _errors(stage) == []
    assert len(_records(stage)) + len(_rejects(stage)) == 1
    for r in _rejects(stage):
        assert not r["reason"].startswith(("error", "llm")), r
    assert rejected_requests(llama_server, before) == []
    assert llama_server.alive()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_synth_traj_retrospective(llama_server: Any, world: Path, qa_item: Path, tmp_path: Path, provider: str) -> None:
    before = len(llama_server.statuses())
    data: dict[str, Any] = {
        "tools": {"corpus": str(world / "corpus"), "top_k": 2, "visit_mode": "raw", "max_page_chars": 600},
        "traj": {
            "qa": str(qa_item), "rollouts": 1, "concurrency": 1, "keep_incorrect": True, "keep_forced": True,
            "max_raw_context_tokens": None,
            "agent": {"context": "retrospective", "max_tool_calls": 2, "max_tokens": 96,
                      "summarize_min_chars": 0, "summarizer_max_tokens": 48, "on_tool_limit": "force_answer"},
        },
    }
    flags = _endpoint(provider, llama_server.base_url, data, "--teacher", "--summarizer", "--judge")
    cfg = _write(tmp_path / "traj.yaml", data)
    out = tmp_path / "run"
    res = run_cli("synth", "traj", "--config", cfg, "--out", out, "--no-progress", *flags)
    assert res.exit_code == 0, res.output
    stage = out / "trajectories"
    assert _errors(stage) == []
    trajs = [*_records(stage), *(r["record"] for r in _rejects(stage) if r.get("record"))]
    assert len(trajs) == 1, (_records(stage), _rejects(stage))
    t = trajs[0]
    assert t["context"] == "retrospective" and t["usage"].get("summarizer") is not None
    steps = t["steps"]
    if len(steps) >= 2 and steps[0]["calls"] and steps[1]["calls"]:  # summarized one step behind
        assert all(c["summary_method"] in ("llm", "verbatim", "failed") for c in steps[0]["calls"])
    if t["metadata"].get("forced_by") == "tool_limit":
        assert t["steps"][-1]["forced_via"] == ("instruction" if provider == "openai" else "prefill")
    assert rejected_requests(llama_server, before) == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_eval_run_with_llm_judge(llama_server: Any, world: Path, qa_item: Path, tmp_path: Path, provider: str) -> None:
    before = len(llama_server.statuses())
    out = tmp_path / "eval"
    data: dict[str, Any] = {
        "benchmark": "synth", "data": str(qa_item), "out": str(out), "judge": "openseeker", "concurrency": 1,
        # the served embedded model fails judge calibration (rightly): allowed here, every number is marked;
        # a verdict is in the first tokens and greedy re-asks repeat themselves
        "allow_weak_judge": True, "judge_max_tokens": 4, "judge_max_attempts": 1,
        "tools": {"corpus": str(world / "corpus"), "top_k": 2, "visit_mode": "raw", "max_page_chars": 600},
        "agent": {"max_tool_calls": 1, "max_tokens": 96},
    }
    flags = _endpoint(provider, llama_server.base_url, data)
    cfg = _write(tmp_path / "eval.yaml", {"eval": data})
    res = run_cli("eval", "run", "--benchmark", "synth", "--config", cfg, *flags)
    assert res.exit_code == 0, res.output
    run = json.loads((out / "results.json").read_text())["run"]
    assert run["complete"] is True and run["errors"] == 0 and run["records"] == 1, run
    assert run["judge_model"] == f"{provider}/NAME"
    results = json.loads((out / "results.json").read_text())
    assert results["judge_calibration"]["passed"] is False and results["accuracy"]["caveat"].startswith("weak judge")
    assert rejected_requests(llama_server, before) == []
