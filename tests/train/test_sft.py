"""A few CPU training steps of a tiny local model: full and LoRA, the run folder, the data report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from openseeker.train.config import SFTTrainConfig
from openseeker.train.dataset import prepare_sft_data

from .conftest import write_export

pytest.importorskip("trl")
pytest.importorskip("peft")


def _cfg(**kw) -> SFTTrainConfig:
    base = {
        "max_seq_length": 512,
        "max_steps": 12,
        "per_device_batch_size": 4,
        "gradient_accumulation_steps": 1,
        "learning_rate": 3e-3,
        "warmup_ratio": 0.0,
        "lr_scheduler": "constant",
        "logging_steps": 1,
        "save_strategy": "no",
        "gradient_checkpointing": False,
        "use_cpu": True,
        "seed": 0,
    }
    base.update(kw)
    return SFTTrainConfig.model_validate(base)


def _falls(losses: list[float]) -> bool:
    head, tail = losses[:3], losses[-3:]
    return sum(tail) / len(tail) < 0.8 * (sum(head) / len(head))


@pytest.mark.parametrize(
    ("max_len", "overlong", "kept", "dropped"),
    [
        # every conversation is 211 tokens; its first assistant turn ends at token 141
        (150, "truncate", 8, {"incorrect": 2}),  # cut after the first assistant turn
        (150, "drop", 0, {"incorrect": 2, "overlong": 8}),
        (60, "truncate", 0, {"incorrect": 2, "overlong": 8}),  # not even the first turn fits
    ],
)
def test_prepare_reports_filters_and_overlong(
    tmp_path: Path, tiny_tokenizer, max_len: int, overlong: str, kept: int, dropped: dict[str, int]
) -> None:
    export = write_export(tmp_path / "export.jsonl", n=10)
    prepared = prepare_sft_data(
        export, tiny_tokenizer, _cfg(only_correct=True, max_seq_length=max_len, overlong=overlong)
    )
    rep = prepared.report
    assert rep.rows_read == 10 and rep.formats == {"messages": 10} and rep.full_length_max > 150
    # conv-4 and conv-9 are labelled incorrect; the other 8 are all longer than max_len
    assert (rep.kept, rep.truncated, rep.dropped) == (kept, kept, dropped)
    assert len(prepared.rows) == kept
    assert sorted(r["reason"] for r in prepared.rejects) == sorted(
        reason for reason, n in dropped.items() for _ in range(n)
    )
    assert all(len(r["input_ids"]) <= max_len for r in prepared.rows)


def test_full_and_lora_training_lower_the_loss(tmp_path: Path, tiny_model_dir: Path) -> None:
    from openseeker.train.sft import run_sft

    export = write_export(tmp_path / "export.jsonl")
    full = run_sft(export, tiny_model_dir, tmp_path / "full", _cfg())
    assert full.steps == 12 and _falls(full.losses), full.losses
    assert (full.model_dir / "model.safetensors").exists()
    report = json.loads((tmp_path / "full" / "data_report.json").read_text())
    assert report["kept"] == 12 and report["dropped"] == {}
    assert (tmp_path / "full" / "train_log.jsonl").exists() and (tmp_path / "full" / "config.yaml").exists()

    lora_cfg = _cfg(
        mode="lora",
        learning_rate=2e-2,
        lora={"r": 8, "alpha": 16, "target_modules": "all-linear", "merge_on_save": True},
    )
    lora = run_sft(export, tiny_model_dir, tmp_path / "lora", lora_cfg)
    assert _falls(lora.losses), lora.losses
    assert (lora.model_dir / "adapter_model.safetensors").exists()
    assert (tmp_path / "lora" / "model_merged" / "model.safetensors").exists()


def test_cli_dry_run_writes_the_data_report(tmp_path: Path, tiny_model_dir: Path) -> None:
    from openseeker.cli.train import train

    export = write_export(tmp_path / "export.jsonl", n=4)
    res = CliRunner().invoke(
        train,
        [
            "sft",
            "--data",
            str(export),
            "--model",
            str(tiny_model_dir),
            "--out",
            str(tmp_path / "run"),
            "--max-seq-length",
            "40",
            "--overlong",
            "drop",
            "--dry-run",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "dropped: overlong=4" in res.output
    report = json.loads((tmp_path / "run" / "data_report.json").read_text())
    assert report["dropped"] == {"overlong": 4} and report["kept"] == 0
    rejects = (tmp_path / "run" / "data_rejects.jsonl").read_text().splitlines()
    assert len(rejects) == 4 and json.loads(rejects[0])["reason"] == "overlong"


def test_report_counts_turns_without_reasoning_and_rows_without_assistant(
    tmp_path: Path, tiny_tokenizer
) -> None:
    rows = [
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "<answer>x</answer>"}]},
        {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}]},
        {"question": "q", "answer": "a", "trajectory correctness": "Incorrect",
         "trajectory": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "<think>\nr\n</think>\n\n<answer>a</answer>"}]},
    ]  # fmt: skip
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    prepared = prepare_sft_data(path, tiny_tokenizer, _cfg())
    rep = prepared.report
    assert rep.formats == {"messages": 2, "openseeker_v1": 1}
    assert rep.kept == 2 and rep.dropped == {"no_assistant_turn": 1} and rep.unlabeled == 2
    assert rep.assistant_turns == 2 and rep.assistant_turns_without_think == 1
    assert prepared.rejects == [
        {"id": f"{path}:record 2", "source": f"{path}:record 2", "reason": "no_assistant_turn"}
    ]
