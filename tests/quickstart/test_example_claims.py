"""Every example in examples/ is what its header says it is (the parse checks are in test_examples.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openseeker.config import load_config, read_config_file
from openseeker.evaluate.runner import EvalConfig
from openseeker.quickstart import (
    DEFAULT_AGENT,
    DEFAULT_EVAL,
    DEFAULT_EXPORT,
    DEFAULT_QA,
    DEFAULT_TOOLS,
    DEFAULT_TRAJ,
    QuickstartConfig,
    load_quickstart_config,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SECTIONS = {
    "qa": DEFAULT_QA,
    "traj": DEFAULT_TRAJ,
    "agent": DEFAULT_AGENT,
    "tools": DEFAULT_TOOLS,
    "export": DEFAULT_EXPORT,
    "eval": DEFAULT_EVAL,
}


@pytest.fixture(autouse=True)
def _no_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in [n for n in os.environ if n.startswith("OPENSEEKER_")]:
        monkeypatch.delenv(name)


def _missing(defaults: dict[str, Any], written: dict[str, Any], prefix: str = "") -> list[str]:
    """The keys of ``defaults`` (nested) that ``written`` leaves out."""
    out = []
    for key, value in defaults.items():
        if key not in written:
            out.append(prefix + key)
        elif isinstance(value, dict) and isinstance(written[key], dict):
            out += _missing(value, written[key], f"{prefix}{key}.")
    return out


def test_quickstart_example_writes_out_every_default_value() -> None:
    """The header: "Every value below is the quickstart's default, written out"."""
    path = EXAMPLES / "quickstart.yaml"
    written = read_config_file(path)["quickstart"]
    assert "every value below is the quickstart's default" in path.read_text().lower()
    # every top-level setting is written out, with its default value
    assert sorted(set(QuickstartConfig.model_fields) - set(written)) == []
    example, default = load_quickstart_config(path), QuickstartConfig()
    assert example.model_dump(exclude=set(SECTIONS)) == default.model_dump(exclude=set(SECTIONS))
    for section, defaults in SECTIONS.items():
        # every value the quickstart sets in code is in the file ...
        assert _missing(defaults, written[section]) == [], section
        # ... and none differs: the stage gets the same settings with the file as without it
        effective, built_in = example.merged(section, defaults), default.merged(section, defaults)
        if section == "agent":  # the one provider-dependent value: on for llamacpp models, the file's provider
            built_in.setdefault("constrain_format", default.roles.for_role("agent").provider == "llamacpp")
        assert effective == built_in, section


def test_wikispeedia_example() -> None:
    """The header: Wikispeedia (~4,600 Wikipedia articles) with the embedded local model."""
    cfg = load_quickstart_config(EXAMPLES / "wikispeedia.yaml")
    assert cfg.corpus is not None and Path(cfg.corpus).name == "wikispeedia"
    assert cfg.roles.for_role("generator").model == "llamacpp/default"
    articles = ROOT / cfg.corpus / "articles.tsv"
    if not articles.exists():
        pytest.skip(f"the Wikispeedia copy is not at {articles.parent} (needs ../shared)")
    n = sum(1 for line in articles.read_text().splitlines() if line and not line.startswith("#"))
    assert 4500 <= n <= 4700, n


def test_eval_browsecomp_example() -> None:
    """The header: BrowseComp (the encrypted CSV), a seeded 200-question subset, web tools."""
    cfg = load_config(EvalConfig, EXAMPLES / "eval_browsecomp.yaml", section="eval", environ={})
    assert cfg.benchmark == "browsecomp" and str(cfg.data).endswith(".csv")
    assert cfg.sample == 200 and cfg.seed is not None
    assert cfg.tools.search not in ("corpus", None) and cfg.tools.fetch not in ("corpus", None)


def test_released_model_example() -> None:
    """The header: OpenSeeker-v1-30B-SFT through the completions provider, with the openseeker-v1 profile."""
    raw = read_config_file(EXAMPLES / "openseeker_v1_model.yaml")
    cfg = load_config(EvalConfig, EXAMPLES / "openseeker_v1_model.yaml", {"benchmark": "browsecomp-zh"},
                      section="eval", environ={})
    assert cfg.roles.for_role("agent").model == "completions/OpenSeeker-v1-30B-SFT"
    agent = raw.get("agent") or raw.get("eval", {}).get("agent") or {}
    assert agent.get("profile") == "openseeker-v1" and agent.get("prompt_source")


def test_accelerate_and_deepspeed_examples() -> None:
    """The headers: FSDP2 + context parallelism on 8 nodes x 8 GPUs (cp 8); ZeRO-3 on one node of 8 GPUs."""
    cp = read_config_file(EXAMPLES / "train_accelerate_fsdp2_cp.yaml")
    assert cp["distributed_type"] == "FSDP" and cp["fsdp_config"]["fsdp_version"] == 2
    assert (cp["num_machines"], cp["num_processes"]) == (8, 64)
    assert cp["parallelism_config"]["parallelism_config_cp_size"] == 8
    z3 = read_config_file(EXAMPLES / "train_accelerate_zero3.yaml")
    assert z3["distributed_type"] == "DEEPSPEED" and z3["deepspeed_config"]["zero_stage"] == 3
    assert (z3["num_machines"], z3["num_processes"]) == (1, 8)
    ds = read_config_file(EXAMPLES / "train_deepspeed_zero3.yaml")
    assert ds["zero_optimization"]["stage"] == 3
