"""The README's "Extending openseeker" examples run as written: each Python block of
``docs/readme/90-extending.md`` in a fresh interpreter (their registrations do not leak into other tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "readme" / "90-extending.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.S | re.M)


def test_every_plugin_kind_has_an_example():
    text = DOC.read_text(encoding="utf-8")
    for kind in ("search backend", "LLM provider", "benchmark", "judge", "QA check", "tool"):
        assert f"### A {kind}" in text or f"### An {kind}" in text
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_example_runs(code: str, tmp_path: Path):
    src = str(Path(__file__).resolve().parents[2] / "src")  # this checkout's package, not another install
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)}
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
