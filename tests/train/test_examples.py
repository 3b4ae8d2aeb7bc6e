"""The example training configs under examples/ stay valid as the config models change."""

from __future__ import annotations

from pathlib import Path

import pytest

from openseeker.config import load_config
from openseeker.train.config import SFTTrainConfig

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["train_sft_smoke.yaml", "train_sft_paper.yaml"])
def test_sft_examples_load(name: str) -> None:
    cfg = load_config(SFTTrainConfig, EXAMPLES / name, section="train", environ={})
    assert cfg.max_seq_length >= 1024


def test_smoke_example_is_what_the_readme_says() -> None:
    # the README's smoke block: LoRA on CPU, 10 steps, a log line per step, its data shipped beside it
    cfg = load_config(SFTTrainConfig, EXAMPLES / "train_sft_smoke.yaml", section="train", environ={})
    assert cfg.mode == "lora" and cfg.use_cpu and cfg.max_steps == 10 and cfg.logging_steps == 1
    assert (EXAMPLES / "data" / "sft_smoke.jsonl").read_text().count("\n") == 2


def test_paper_example_is_full_sft_at_256k() -> None:
    cfg = load_config(SFTTrainConfig, EXAMPLES / "train_sft_paper.yaml", section="train", environ={})
    assert cfg.mode == "full" and cfg.max_seq_length == 262144 and cfg.precision == "bf16"


@pytest.mark.parametrize("name", ["train_accelerate_zero3.yaml", "train_accelerate_fsdp2_cp.yaml"])
def test_accelerate_examples_load(name: str) -> None:
    config_args = pytest.importorskip("accelerate.commands.config.config_args")
    cfg = config_args.load_config_from_file(str(EXAMPLES / name))
    assert cfg.mixed_precision == "bf16" and cfg.num_processes >= 8


def test_deepspeed_example_reads_as_a_dict() -> None:
    pytest.importorskip("trl")
    from openseeker.train.sft import deepspeed_config

    ds = deepspeed_config(EXAMPLES / "train_deepspeed_zero3.yaml")
    assert isinstance(ds, dict) and ds["zero_optimization"]["stage"] == 3
