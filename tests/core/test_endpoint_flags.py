"""``--llm`` / ``--base-url`` on every stage command: which roles they set, and that the config file keeps
the roles the command line does not name (the stages themselves run against a real server in
``tests/realserver/test_stages.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from openseeker.cli.options import endpoint_options, roles_override
from openseeker.config import load_config
from openseeker.synth.config import QASynthConfig

URL = "http://127.0.0.1:8080/v1"


@click.command()
@endpoint_options()
@click.option("--generator")
@click.option("--judge")
@click.option("--config", "config_file")
def show(generator: str | None, judge: str | None, config_file: str | None) -> None:
    roles = roles_override(generator=generator, judge=judge)
    cfg = load_config(QASynthConfig, config_file, {"roles": roles}, section="qa")
    click.echo(json.dumps({"override": roles, "roles": cfg.roles.model_dump(mode="json", exclude_none=True)}))


def _show(*args: str) -> dict[str, Any]:
    res = CliRunner().invoke(show, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return dict(json.loads(res.output))


def test_nothing_given_overrides_nothing() -> None:
    assert _show()["override"] is None


def test_llm_and_base_url_go_to_the_default_role() -> None:
    assert _show("--llm", "openai/Qwen3-8B", "--base-url", URL)["override"] == {
        "default": {"model": "openai/Qwen3-8B", "base_url": URL}
    }
    assert _show("--base-url", URL)["override"] == {"default": {"base_url": URL}}


def test_role_flags_get_the_endpoint_unless_in_process() -> None:
    got = _show("--generator", "openai/big", "--judge", "llamacpp/default", "--base-url", URL)["override"]
    assert got == {
        "generator": {"model": "openai/big", "base_url": URL},
        "judge": {"model": "llamacpp/default"},
        "default": {"base_url": URL},
    }
    # an in-process --llm takes no endpoint either
    assert _show("--llm", "llamacpp/default", "--base-url", URL)["override"] == {
        "default": {"model": "llamacpp/default"}
    }


def test_config_roles_not_named_are_kept(tmp_path: Path) -> None:
    cfg = tmp_path / "qa.yaml"
    cfg.write_text(
        "roles:\n  default: {model: openai/old, base_url: http://old/v1}\n"
        "  verifier: {model: openai/checker, base_url: http://checker/v1}\n",
        encoding="utf-8",
    )
    roles = _show("--config", str(cfg), "--base-url", URL)["roles"]
    assert roles["default"]["model"] == "openai/old" and roles["default"]["base_url"] == URL
    assert roles["verifier"] == {
        **roles["verifier"],
        "model": "openai/checker",
        "base_url": "http://checker/v1",
    }


@pytest.mark.parametrize(
    "command", [["agent", "ask"], ["quickstart"], ["synth", "qa"], ["synth", "traj"], ["eval", "run"]]
)
def test_every_stage_command_has_the_flags(command: list[str]) -> None:
    from openseeker.cli.main import cli

    res = CliRunner().invoke(cli, [*command, "--help"])
    assert res.exit_code == 0 and "--llm" in res.output and "--base-url" in res.output
