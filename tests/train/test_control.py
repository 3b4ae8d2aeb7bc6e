"""The training loop's control: the warmup's first step learns (and the log shows the rate applied), and
Ctrl-C in a real terminal stops at the next step with a checkpoint that ``--resume`` continues."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openseeker.testing.terminal import restore_terminal_signals

from .conftest import write_export
from .test_sft import _cfg

pytest.importorskip("trl")


def test_warmup_first_step_learns_and_the_log_shows_the_applied_rate(tmp_path: Path, tiny_model_dir: Path) -> None:
    from transformers import TrainerCallback

    from openseeker.train.sft import run_sft

    class Applied(TrainerCallback):
        def __init__(self) -> None:
            self.rates: list[float] = []

        def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, optimizer: Any = None, **kw: Any) -> None:
            self.rates.append(optimizer.param_groups[0]["lr"])

    applied = Applied()
    cfg = _cfg(max_steps=4, warmup_ratio=0.5, lr_scheduler="linear", learning_rate=1e-2)
    res = run_sft(write_export(tmp_path / "e.jsonl", n=8), tiny_model_dir, tmp_path / "run", cfg, callbacks=[applied])
    logged = [h["learning_rate"] for h in map(json.loads, (tmp_path / "run" / "train_log.jsonl").read_text().splitlines())
              if "loss" in h]
    # 2 warmup steps of a peak of 1e-2, then a linear decay to 0 at step 4 (which is never applied)
    assert applied.rates == pytest.approx([5e-3, 1e-2, 1e-2, 5e-3])
    assert logged == pytest.approx(applied.rates) and res.steps == 4


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "openseeker.cli.main", *args]


@pytest.mark.slow  # two training processes (imports of torch and TRL dominate)
def test_ctrl_c_stops_at_the_next_step_with_a_checkpoint_and_resumes(tmp_path: Path, tiny_model_dir: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    export = write_export(tmp_path / "export.jsonl", n=8)
    config = tmp_path / "train.yaml"
    config.write_text(
        "train: {max_steps: 60, per_device_batch_size: 2, gradient_accumulation_steps: 1, logging_steps: 1,\n"
        "        save_strategy: 'no', use_cpu: true, gradient_checkpointing: false, max_seq_length: 512,\n"
        "        learning_rate: 1.0e-3, warmup_ratio: 0.0}\n"
    )
    out = tmp_path / "run"
    args = ["train", "sft", "--data", str(export), "--model", str(tiny_model_dir), "--out", str(out),
            "--config", str(config)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "300"}
    child = pexpect.spawn(sys.executable, _cli(*args)[1:], env=env, encoding="utf-8", timeout=300,
                          dimensions=(40, 300), preexec_fn=restore_terminal_signals)
    child.expect(r"'loss'")  # training has started: the first step is logged
    child.sendintr()  # Ctrl-C as a terminal sends it: SIGINT to the foreground process group
    child.expect("stopping after the current step")
    child.expect("Resume with:")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130, child.before
    resume = child.before.strip().splitlines()[0].strip()
    assert resume == shlex.join(["openseeker", *args, "--resume"])
    result = json.loads((out / "train_result.json").read_text())
    assert result["interrupted"] is True and 1 <= result["steps"] < 60
    checkpoint = Path(result["checkpoint"])
    assert checkpoint.name == f"checkpoint-{result['steps']}" and (checkpoint / "trainer_state.json").exists()
    assert not (out / "model").exists()

    # the printed command continues from the checkpoint to the planned 60 steps
    done = subprocess.run(_cli(*shlex.split(resume)[1:]), env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "trained 60 steps" in done.stdout
    steps = [h["step"] for h in map(json.loads, (out / "train_log.jsonl").read_text().splitlines()) if "loss" in h]
    assert steps == list(range(1, 61))  # the checkpoint's history, then the steps after it: none twice
    assert re.search(r"model: .*model", done.stdout) and (out / "model" / "model.safetensors").exists()
