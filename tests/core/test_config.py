from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from openseeker.config import StrictModel, dump_config, env_overrides, load_config, redact
from openseeker.errors import ConfigError
from openseeker.llm.config import LLMConfig, RolesConfig


class Inner(StrictModel):
    depth: int = 1
    name: str = "x"


class StageCfg(StrictModel):
    n: int = 10
    k: int = 4
    lang: str = "en"
    inner: Inner = Inner()
    roles: RolesConfig = RolesConfig()


def test_layering_defaults_file_env_cli(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("n: 20\nk: 5\ninner: {depth: 2}\nroles: {judge: openai/gpt-4.1}\n")
    env = {"OPENSEEKER_K": "7", "OPENSEEKER_INNER__NAME": "fromenv", "OTHER": "1"}
    cfg = load_config(StageCfg, f, {"n": 30, "lang": None}, environ=env)
    assert cfg.n == 30  # CLI wins
    assert cfg.k == 7  # env beats file
    assert cfg.inner.depth == 2 and cfg.inner.name == "fromenv"
    assert cfg.lang == "en"  # None flags are ignored
    assert cfg.roles.for_role("judge").model == "openai/gpt-4.1"
    assert cfg.roles.for_role("teacher").model == "llamacpp/default"


def test_toml_and_sections(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('n = 3\n[qa]\nk = 9\n[traj]\nrollouts = 2\n')  # traj: another stage's section
    cfg = load_config(StageCfg, f, section="qa", environ={})
    assert (cfg.n, cfg.k) == (3, 9)


def test_unknown_key_and_bad_value_are_clear_errors(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("nn: 3\n")
    with pytest.raises(ConfigError, match="nn"):
        load_config(StageCfg, f, environ={})
    with pytest.raises(ConfigError, match="n"):
        load_config(StageCfg, None, {"n": "many"}, environ={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(StageCfg, tmp_path / "missing.yaml", environ={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid"):
        load_config(StageCfg, bad, environ={})


def test_env_values_are_parsed() -> None:
    assert env_overrides(environ={"OPENSEEKER_A__B": "[1, 2]", "OPENSEEKER_C": "true"}) == {"a": {"b": [1, 2]}, "c": True}


def test_secrets_are_redacted_in_dump(tmp_path: Path) -> None:
    cfg = LLMConfig(model="openai/x", api_key=SecretStr("sk-very-secret"), api_key_env="MY_KEY",
                    options={"headers": {"Authorization": "Bearer sk-very-secret"}, "token": "t0k"})
    dump_config(cfg, tmp_path / "config.yaml")
    text = (tmp_path / "config.yaml").read_text()
    assert "sk-very-secret" not in text and "t0k" not in text
    data = yaml.safe_load(text)
    assert data["api_key"] == "***" and data["api_key_env"] == "MY_KEY"
    assert redact({"nested": [{"password": "p"}]}) == {"nested": [{"password": "***"}]}


def test_llm_config_from_string() -> None:
    roles = RolesConfig.model_validate({"default": "scripted/echo", "agent": {"model": "completions/m", "base_url": "http://h"}})
    assert roles.for_role("summarizer").model == "scripted/echo"
    assert roles.for_role("agent").provider == "completions"
    assert roles.for_role("agent").model_name == "m"
    with pytest.raises(ValueError):
        roles.for_role("nobody")


# -- strictness: a typo anywhere in a file is an error with a suggestion, one line -------------------------


def _load_qa(tmp_path: Path, text: str, **overrides: object) -> object:
    from openseeker.synth.config import QASynthConfig

    f = tmp_path / "c.yaml"
    f.write_text(text)
    return load_config(QASynthConfig, f, overrides, section="qa", environ={})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # unknown key at the top of the stage's own section (before: silently dropped)
        ("qa: {kk: 3}\n", "qa.kk: unknown key (did you mean 'k'?)"),
        # unknown top-level key of a file with sections (before: silently dropped)
        ("nn: 3\nqa: {k: 3}\n", "nn: unknown key (did you mean 'n'?)"),
        # deeper levels, in the own section and in shared keys
        ("qa: {checks: {shortcut_topk: 2}}\n", "qa.checks.shortcut_topk: unknown key (did you mean 'shortcut_top_k'?)"),
        ("roles: {judge: {modle: openai/x}}\n", "roles.judge.modle: unknown key (did you mean 'model'?)"),
        # other stages' sections in the same file are checked too (keys and values)
        ("traj: {rollout: 2}\n", "traj.rollout: unknown key (did you mean 'rollouts'?)"),
        ("traj: {rollouts: 0}\n", "traj.rollouts: Input should be greater than or equal to 1"),
        ("eval: {agent: {max_tool_callz: 3}}\n", "eval.agent.max_tool_callz: unknown key (did you mean 'max_tool_calls'?)"),
        ("quickstart: {world: {n_page: 50}}\n", "quickstart.world.n_page: unknown key (did you mean 'n_pages'?)"),
        ("tools: {search: corpus, options: {safty: {}}}\n", "tools.options.safty: unknown key (did you mean 'safety'?)"),
        # providers and tool backends are resolved before any work
        ("roles: {generator: nosuch/x}\n", "roles.generator: Unknown llm backend 'nosuch'"),
        ("qa: {roles: {judge: gpt-4}}\n", "qa.roles.judge: model 'gpt-4' must be written 'provider/model'"),
        ("tools: {search: serpr}\n", "tools.search: Unknown search backend 'serpr'. Did you mean 'serper'?"),
    ],
)
def test_every_key_at_every_level_is_checked(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        _load_qa(tmp_path, text)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_one_file_configures_several_stages(tmp_path: Path) -> None:
    from openseeker.synth.trajectories import TrajSynthConfig

    text = (
        "out: runs/x\nroles: {default: scripted/echo}\nheldout_fraction: 0.1\n"  # shared + quickstart-only
        "agent: {max_tool_calls: 5}\ntools: {search: corpus, top_k: 3}\n"
        "qa: {n: 7, k: 2}\ntraj: {rollouts: 2, qa: runs/x}\neval: {judge: binary}\n"
        "export: {format: sharegpt, max_tokens: 9000}\n"
    )
    qa = _load_qa(tmp_path, text)
    assert (qa.n, qa.k, qa.out, qa.roles.default.model) == (7, 2, "runs/x", "scripted/echo")  # type: ignore[attr-defined]
    traj = load_config(TrajSynthConfig, tmp_path / "c.yaml", section="traj", environ={})
    assert (traj.rollouts, traj.qa, traj.agent.max_tool_calls, traj.tools.top_k) == (2, "runs/x", 5, 3)


def test_every_example_config_is_valid_for_the_stages_it_names() -> None:
    from openseeker.evaluate.runner import EvalConfig
    from openseeker.quickstart import QuickstartConfig
    from openseeker.synth.trajectories import TrajSynthConfig
    from openseeker.train.config import SFTTrainConfig

    examples = Path(__file__).resolve().parents[2] / "examples"
    loaders = {"quickstart": QuickstartConfig, "traj": TrajSynthConfig, "eval": EvalConfig, "train": SFTTrainConfig}
    for f in sorted(examples.glob("*.yaml")):
        if f.name.startswith(("train_accelerate", "train_deepspeed")):
            continue  # accelerate / DeepSpeed files, not openseeker configs
        for section, cls in loaders.items():
            load_config(cls, f, {"benchmark": "custom"} if cls is EvalConfig else None, section=section, environ={})


def test_undecodable_and_odd_files_are_one_line_errors(tmp_path: Path) -> None:
    binary = tmp_path / "model.yaml"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(ConfigError, match=r"is not a text file \(byte 128 is not UTF-8\)"):
        load_config(StageCfg, binary, environ={})
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(StageCfg, tmp_path, environ={})
    with pytest.raises(ConfigError, match="qa: must be a mapping"):
        _load_qa(tmp_path, "qa: 3\n")


def test_flags_and_environment_are_checked_too(tmp_path: Path) -> None:
    from openseeker.synth.config import QASynthConfig

    with pytest.raises(ConfigError, match=r"roles\.generator\.model: Unknown llm backend 'nosuch'"):
        load_config(QASynthConfig, None, {"roles": {"generator": {"model": "nosuch/x"}}}, environ={})
    env = {"OPENSEEKER_ROLES__JUDGE__MODLE": "openai/x", "OPENSEEKER_CACHE": "/tmp/c.sqlite"}  # CACHE: not config
    with pytest.raises(ConfigError, match=r"roles\.judge\.modle: unknown key"):
        load_config(QASynthConfig, None, environ=env)
