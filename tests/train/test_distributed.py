"""Two CPU processes under torchrun: data parallelism, one tokenization per node, one report."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import write_export

pytest.importorskip("trl")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_two_process_data_parallel_run(tmp_path: Path, tiny_model_dir: Path) -> None:
    export = write_export(tmp_path / "export.jsonl", n=12)
    config = tmp_path / "cfg.yaml"
    config.write_text(
        "max_seq_length: 512\nmax_steps: 3\nper_device_batch_size: 2\ngradient_accumulation_steps: 1\n"
        "logging_steps: 1\nsave_strategy: 'no'\ngradient_checkpointing: false\nlearning_rate: 3.0e-3\nuse_cpu: true\n"
    )
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "OPENSEEKER_TRAIN_LAUNCHED"):
        env.pop(k, None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(_free_port()),
           "-m", "openseeker.cli.main", "train", "sft", "--data", str(export), "--model", str(tiny_model_dir),
           "--out", str(out), "--config", str(config)]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    # 3 steps x 2 samples x 2 ranks = the 12 samples: one full epoch means both ranks trained
    assert log[-1]["epoch"] == pytest.approx(1.0)
    assert json.loads((out / "data_report.json").read_text())["kept"] == 12
    assert sorted(p.name for p in (out / "tokenized").iterdir()) == ["node0"]
    assert (out / "model" / "model.safetensors").exists()
