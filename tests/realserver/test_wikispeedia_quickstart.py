"""``openseeker quickstart --corpus ../shared/data/wikispeedia --fast`` to completion (shared, slow).

Real article text is full of quotes, backslashes and brackets; an evidence sentence with a double quote
used to crash the whole process inside llama.cpp (exit 139) during QA synthesis. The command runs as a
user runs it, in a child process, so a native crash fails this test instead of killing pytest.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.shared, pytest.mark.llamacpp, pytest.mark.timeout(3600)]


def test_wikispeedia_quickstart_fast(shared_dir: Path, tmp_path: Path) -> None:
    corpus = shared_dir / "data" / "wikispeedia"
    if not corpus.exists():
        pytest.skip(f"needs {corpus}")
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("needs llama-cpp-python (the 'local' extra)")
    out = tmp_path / "qs-wiki"
    res = subprocess.run(
        [sys.executable, "-m", "openseeker.cli.main", "quickstart", "--corpus", str(corpus), "--fast",
         "--out", str(out), "--no-progress"],
        capture_output=True, text=True, timeout=3500, env={**os.environ},
    )
    assert res.returncode == 0, (res.returncode, res.stdout[-3000:], res.stderr[-3000:])
    st = json.loads((out / "quickstart.json").read_text(encoding="utf-8"))["stages"]
    assert st["corpus"]["pages"] > 4000
    assert st["qa"]["errors"] == 0, st["qa"]
    for stage in ("qa", "split"):
        assert stage in st, stage
    if st["split"]["train"]:
        assert st["trajectories"]["errors"] == 0
    if st["split"]["heldout"]:
        assert st["eval"]["complete"] is True
