"""Every example config parses with the config classes of the stages that read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from openseeker.agent.config import AgentRunConfig
from openseeker.config import load_config, read_config_file
from openseeker.evaluate.runner import EvalConfig
from openseeker.quickstart import (
    DEFAULT_AGENT,
    DEFAULT_QA,
    DEFAULT_TRAJ,
    QuickstartConfig,
    load_quickstart_config,
)
from openseeker.synth.config import QASynthConfig
from openseeker.synth.trajectories import TrajSynthConfig
from openseeker.tools.config import ToolsConfig

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NO_ENV: dict[str, str] = {}


def _stage_classes() -> dict[str, tuple[type, str]]:
    return {
        "qa": (QASynthConfig, "qa"),
        "traj": (TrajSynthConfig, "traj"),
        "eval": (EvalConfig, "eval"),
        "agent_run": (AgentRunConfig, "agent_run"),
        "tools": (ToolsConfig, "tools"),
    }


@pytest.mark.parametrize("name", ["quickstart", "wikispeedia", "paper_scale"])
def test_pipeline_examples_parse_as_quickstart_and_stage_configs(name: str) -> None:
    from openseeker.agent.config import AgentConfig

    path = EXAMPLES / f"{name}.yaml"
    cfg = load_quickstart_config(path)
    assert isinstance(cfg, QuickstartConfig)
    classes = _stage_classes()
    # the merged stage sections validate with each stage's own class
    qa_cls = classes["qa"][0]
    qa_cls.model_validate({**cfg.merged("qa", DEFAULT_QA), "roles": cfg.roles.model_dump()})
    classes["traj"][0].model_validate({**cfg.merged("traj", DEFAULT_TRAJ), "tools": cfg.tools})
    AgentConfig.model_validate(cfg.merged("agent", DEFAULT_AGENT))
    classes["tools"][0].model_validate(cfg.tools)
    # a file with top-level sections also feeds the stage CLIs (`synth qa/traj --config`) directly
    if "quickstart" not in read_config_file(path):
        for key in ("qa", "traj"):
            cls, section = classes[key]
            load_config(cls, path, section=section, environ=NO_ENV)


def test_paper_scale_recipe_values() -> None:
    cfg = load_quickstart_config(EXAMPLES / "paper_scale.yaml")
    for role in ("generator", "teacher", "summarizer", "verifier", "judge", "agent"):
        rc = cfg.roles.for_role(role)
        assert rc.api_key_env and rc.api_key is None, role
    assert cfg.tools["search"] == "serper" and cfg.tools["fetch"] == "jina"
    assert cfg.agent["max_tool_calls"] == 200 and cfg.agent["max_context_tokens"] == 262144
    cls, section = _stage_classes()["qa"]
    qa = load_config(cls, EXAMPLES / "paper_scale.yaml", section=section, environ=NO_ENV)
    assert qa.k == 6 and qa.roles.for_role("generator").model.startswith("openai/")
    traj_cls, traj_section = _stage_classes()["traj"]
    traj = load_config(traj_cls, EXAMPLES / "paper_scale.yaml", section=traj_section, environ=NO_ENV)
    assert traj.agent.max_tool_calls == 200 and traj.tools.search == "serper"


@pytest.mark.parametrize("name", ["eval_browsecomp", "paper_scale", "openseeker_v1_model"])
def test_eval_examples_parse(name: str) -> None:
    cls, section = _stage_classes()["eval"]
    overrides = {"benchmark": "browsecomp-zh"} if name == "openseeker_v1_model" else None
    cfg = load_config(cls, EXAMPLES / f"{name}.yaml", overrides, section=section, environ=NO_ENV)
    from openseeker.agent.config import AgentConfig
    from openseeker.tools.config import ToolsConfig

    AgentConfig.model_validate(cfg.agent)
    ToolsConfig.model_validate(cfg.tools)
    assert cfg.roles.for_role("agent").model.split("/")[0] in ("completions", "openai", "llamacpp")


def test_released_model_example_runs_agent_ask_config() -> None:
    cls, section = _stage_classes()["agent_run"]
    cfg = load_config(cls, EXAMPLES / "openseeker_v1_model.yaml", section=section, environ=NO_ENV)
    assert cfg.roles.for_role("agent").model == "completions/OpenSeeker-v1-30B-SFT"
    assert cfg.agent.mode == "text" and cfg.agent.max_tool_calls == 200


def test_every_example_is_tested() -> None:
    names = {p.stem for p in EXAMPLES.glob("*.yaml") if not p.stem.startswith("train_")}
    assert names == {"quickstart", "wikispeedia", "paper_scale", "eval_browsecomp", "openseeker_v1_model"}
