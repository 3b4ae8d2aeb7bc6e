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
    f.write_text('n = 3\n[qa]\nk = 9\n[other]\nzzz = 1\n')
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
