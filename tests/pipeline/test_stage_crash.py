"""Kill a running stage with SIGKILL at random points, several times, then finish it: every input's
outputs must be present exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from openseeker.pipeline import read_rejects, read_stage

WORKER = Path(__file__).with_name("crash_worker.py")
N = 2000


def _expected() -> tuple[Counter, Counter]:
    outs: Counter = Counter()
    rejects: Counter = Counter()
    for i in range(N):
        key = f"i{i:04d}"
        if i % 7 == 0:
            rejects[key] += 1
        elif i % 5 == 0:
            outs[f"{key}-a"] += 1
            outs[f"{key}-b"] += 1
        else:
            outs[key] += 1
    return outs, rejects


def test_sigkill_at_random_points_then_resume(tmp_path: Path) -> None:
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(WORKER.parent), *sys.path])}
    kills = 0
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, str(WORKER), str(tmp_path), str(N)], stdout=subprocess.PIPE, env=env)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"started"
        time.sleep(rng.uniform(0.1, 1.5))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 1
    done = subprocess.run([sys.executable, str(WORKER), str(tmp_path), str(N)], capture_output=True, env=env, check=True)
    assert b"finished" in done.stdout
    outs, rejects = _expected()
    got_outs = Counter(r["id"] for r in read_stage(tmp_path, "crash"))
    got_rejects = Counter(r["key"] for r in read_rejects(tmp_path, "crash"))
    assert got_outs == outs  # every output exactly once
    assert got_rejects == rejects
    values = {r["id"]: r["value"] for r in read_stage(tmp_path, "crash")}
    assert values["i0001"] == 10 and values["i0005-a"] == 5
