"""The real ``openseeker quickstart`` command with the embedded local model, on a tiny budget (slow)."""

from __future__ import annotations

import importlib.util
import json

import pytest
import yaml
from click.testing import CliRunner

from openseeker.cli.main import cli

pytestmark = [pytest.mark.slow, pytest.mark.llamacpp]


def _installed() -> bool:
    if importlib.util.find_spec("llama_cpp") is None:
        return False
    from openseeker.llm import local_model as lm

    return lm.is_installed(lm.get_model("default"))


@pytest.mark.skipif(
    not _installed(), reason="llama-cpp-python or the embedded default model is not installed"
)
def test_cli_end_to_end_with_the_local_model(tmp_path) -> None:
    config = {
        "world": {"n_pages": 60},
        "qa": {"n": 1, "k": 2, "extract": {"max_tokens": 200}},
        "world_questions_n": 2,
        "agent": {
            "max_tool_calls": 1,
            "max_turns": 2,
            "max_tokens": 96,
            "grammar_max_thought_chars": 120,
            "summarizer_max_tokens": 48,
        },
        "roles": {"default": {"model": "llamacpp/default", "options": {"n_threads": 2, "n_ctx": 4096}}},
    }
    cfg = tmp_path / "qs.yaml"
    cfg.write_text(yaml.safe_dump(config), encoding="utf-8")
    out = tmp_path / "run"
    res = CliRunner().invoke(cli, ["quickstart", "--out", str(out), "--config", str(cfg), "--no-progress"])
    assert res.exit_code == 0, res.output + repr(res.exception)
    summary = json.loads((out / "quickstart.json").read_text(encoding="utf-8"))
    st = summary["stages"]
    for stage in ("world", "corpus", "qa", "split", "audit", "trajectories", "export", "eval"):
        assert stage in st, stage
    assert st["split"]["train"] >= 1 and st["split"]["heldout"] >= 1
    assert st["trajectories"]["rollouts"] == st["split"]["train"]
    assert st["eval"]["questions"] == st["split"]["heldout"]
    assert (out / "results.json").exists() and (out / "sft").is_dir()
    # the summary's accuracy is the rules judge's (the embedded model is not trusted as a judge)
    assert st["eval"]["judge"] == "rules" and set(st["eval"]["judge_methods"]) <= {"rules"}
    assert "rules judge" in res.output
