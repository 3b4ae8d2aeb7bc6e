"""The ``openseeker train`` commands end to end, and the accelerate re-launch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from openseeker.errors import ConfigError
from openseeker.train.config import LaunchSettings, SFTTrainConfig
from openseeker.train.launch import already_launched, build_launch_command

from .conftest import write_export

pytest.importorskip("trl")
pytest.importorskip("peft")


def test_train_sft_cli_with_config_file_and_eval(tmp_path: Path, tiny_model_dir: Path) -> None:
    from openseeker.cli.main import cli

    export = write_export(tmp_path / "export.jsonl", n=8)
    config = tmp_path / "train.yaml"
    config.write_text(
        "train:\n  mode: lora\n  lora: {r: 4, alpha: 8, target_modules: all-linear}\n  max_steps: 3\n"
        "  per_device_batch_size: 2\n  gradient_accumulation_steps: 1\n  logging_steps: 1\n  eval_fraction: 0.25\n"
        "  save_strategy: steps\n  save_steps: 3\n  use_cpu: true\n  gradient_checkpointing: true\n  max_seq_length: 512\n"
    )
    out = tmp_path / "run"
    res = CliRunner().invoke(
        cli,
        [
            "train",
            "sft",
            "--data",
            str(export),
            "--model",
            str(tiny_model_dir),
            "--out",
            str(out),
            "--config",
            str(config),
            "--lr",
            "1e-2",
            "--only-correct",
        ],
    )
    assert res.exit_code == 0, res.output + repr(res.exception)
    assert "trained 3 steps" in res.output
    result = json.loads((out / "train_result.json").read_text())
    assert result["mode"] == "lora" and result["samples"] + result["eval_samples"] == 7  # conv-4 is incorrect
    assert (out / "checkpoints" / "checkpoint-3").is_dir()
    assert any("eval_loss" in json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines())
    saved = (out / "config.yaml").read_text()
    assert "learning_rate: 0.01" in saved and "only_correct: true" in saved


def test_render_command_shows_a_conversation(tmp_path: Path, tiny_model_dir: Path) -> None:
    from openseeker.cli.train import train

    export = write_export(tmp_path / "export.jsonl", n=2)
    res = CliRunner().invoke(
        train, ["render", "--data", str(export), "--index", "1", "--model", str(tiny_model_dir)]
    )
    assert res.exit_code == 0, res.output
    assert "Lyon" in res.output and "conv-1" in res.output
    plain = CliRunner().invoke(train, ["render", "--data", str(export)])
    assert plain.exit_code == 0 and "<tool_response>" in plain.output and "conv-0" in plain.output


def test_accelerate_config_relaunches_the_same_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openseeker.cli.train import train
    from openseeker.train import launch

    for k in ("LOCAL_RANK", "ACCELERATE_LAUNCHED", "OPENSEEKER_TRAIN_LAUNCHED"):
        monkeypatch.delenv(k, raising=False)
    acc = tmp_path / "acc.yaml"
    acc.write_text("num_processes: 8\n")
    export = write_export(tmp_path / "export.jsonl", n=1)
    seen: list[list[str]] = []
    monkeypatch.setattr(launch, "exec_launch", seen.append)
    res = CliRunner().invoke(
        train,
        [
            "sft",
            "--data",
            str(export),
            "--model",
            "m",
            "--out",
            str(tmp_path / "o"),
            "--accelerate-config",
            str(acc),
            "--num-processes",
            "2",
            "--mode",
            "lora",
        ],
    )
    assert res.exit_code == 0, res.output
    (cmd,) = seen
    i = cmd.index("accelerate.commands.launch")
    assert cmd[i + 1 : i + 5] == ["--config_file", str(acc), "--num_processes", "2"]
    tail = cmd[cmd.index("openseeker.cli.main") + 1 :]
    assert tail[:2] == ["train", "sft"] and "--mode" in tail and str(export) in tail


def test_launch_helpers(tmp_path: Path) -> None:
    assert already_launched({"LOCAL_RANK": "0"}) and not already_launched({})
    with pytest.raises(ConfigError, match="does not exist"):
        build_launch_command(LaunchSettings(accelerate_config=tmp_path / "nope.yaml"), ["train", "sft"])
    acc = tmp_path / "a.yaml"
    acc.write_text("{}")
    cmd = build_launch_command(
        LaunchSettings(accelerate_config=acc, extra_args=["--main_process_port", "29501"]), ["x"], python="py"
    )
    assert cmd == [
        "py",
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(acc),
        "--main_process_port",
        "29501",
        "-m",
        "openseeker.cli.main",
        "x",
    ]


def test_config_validation_and_deepspeed_yaml(tmp_path: Path) -> None:
    from openseeker.train.sft import deepspeed_config

    with pytest.raises(ValueError, match="mutually exclusive"):
        SFTTrainConfig(deepspeed=tmp_path / "ds.json", fsdp="full_shard")
    ds = tmp_path / "ds.yaml"
    ds.write_text("zero_optimization: {stage: 3}\nbf16: {enabled: auto}\n")
    assert deepspeed_config(ds) == {"zero_optimization": {"stage": 3}, "bf16": {"enabled": "auto"}}
