"""One process per run folder and stage: an OS file lock, refused with the holder's PID, freed by a crash."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from openseeker.errors import RunLockedError
from openseeker.pipeline import StageContext, read_stage, run_stage, stage_lock

HOLDER = """
import sys, time
from openseeker.pipeline import stage_lock
with stage_lock(sys.argv[1], sys.argv[2]):
    print("locked", flush=True)
    time.sleep(60)
"""


def _hold_in_child(run: Path, stage: str = "s") -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(run), stage], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


async def _echo(x: str, ctx: StageContext) -> dict[str, str]:
    return {"id": x}


def test_second_process_is_refused_with_the_holders_pid_and_a_kill_frees_the_lock(tmp_path: Path) -> None:
    proc = _hold_in_child(tmp_path)
    try:
        with pytest.raises(RunLockedError, match=f"process {proc.pid}") as info:
            asyncio.run(run_stage(tmp_path, "s", ["a", "b"], _echo, key=str))
        assert info.value.pid == proc.pid and info.value.exit_code == 75
        assert not list((tmp_path / "s").glob("*.jsonl"))  # refused before writing anything
        # another stage of the same run folder is not blocked
        assert asyncio.run(run_stage(tmp_path, "other", ["a"], _echo, key=str)).outputs == 1
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # the kernel released the dead holder's lock: no stale lock file to remove by hand
    res = asyncio.run(run_stage(tmp_path, "s", ["a", "b"], _echo, key=str))
    assert res.outputs == 2 and (tmp_path / "s" / "_state" / "lock").read_text().strip() == str(os.getpid())


def test_lock_is_reentrant_in_one_task_but_not_across_tasks(tmp_path: Path) -> None:
    async def go() -> None:
        ready, go_on = asyncio.Event(), asyncio.Event()

        async def intruder() -> None:  # started before the lock is taken, so it does not inherit it
            ready.set()
            await go_on.wait()
            with stage_lock(tmp_path, "s"):
                pass

        other = asyncio.create_task(intruder())
        await ready.wait()
        with stage_lock(tmp_path, "s"):
            # the holder itself may run the stage (the evaluation runner does)
            assert (await run_stage(tmp_path, "s", ["a"], _echo, key=str)).outputs == 1
            go_on.set()
            with pytest.raises(RunLockedError, match=f"process {os.getpid()}"):
                await other
        with stage_lock(tmp_path, "s"):  # released on exit
            pass

    asyncio.run(go())
    assert [r["id"] for r in read_stage(tmp_path, "s")] == ["a"]


def test_two_eval_runs_on_one_folder_at_once(tmp_path: Path) -> None:
    """Two ``openseeker eval run`` on the same --out, started together: one runs, the other is refused
    (exit 75, naming the holder's PID) before writing anything; every record exists once."""
    from openseeker.corpus.ingest import ingest

    pages = tmp_path / "pages.jsonl"
    pages.write_text(
        orjson.dumps({"url": "https://x.test/Paris", "title": "Paris", "text": "Paris is a city. " * 5}).decode()
    )
    ingest([str(pages)], tmp_path / "corpus", progress=False)
    n = 6
    qa = tmp_path / "qa.jsonl"
    qa.write_text("".join(orjson.dumps({"id": f"q{i}", "question": f"Capital {i}?", "answer": "Paris"}).decode()
                          + "\n" for i in range(n)))
    cfg = tmp_path / "agent.yaml"
    cfg.write_text(
        "roles:\n  agent: scripted/gated_models:agent\n  summarizer: scripted/gated_models:agent\n"
        "  judge: scripted/gated_models:judge\n"
        f"tools: {{corpus: '{tmp_path / 'corpus'}'}}\n"
        "eval: {judge: rules}\n"  # a judge that says A to everything would (rightly) fail calibration
    )
    gate = tmp_path / "gate"
    here = Path(__file__).resolve().parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(here.parents[1] / "src"), str(here)]),
        "OPENSEEKER_TEST_GATE": str(gate),
    }
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "openseeker.cli.main", "eval", "run", "-b", "custom", "--data", str(qa),
           "--agent", str(cfg), "--out", str(out), "--concurrency", "1"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    # the refused one ends by itself while the holder waits at the gate (without a lock both would wait)
    deadline = time.monotonic() + 30
    while all(p.poll() is None for p in procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    gate.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    keys = [r["key"] for r in read_stage(out, "eval")]
    assert sorted(keys) == sorted(f"q{i}#0" for i in range(n))  # each record once
    assert sorted(codes) == [0, 75], outputs
    winner, loser = (0, 1) if codes[0] == 0 else (1, 0)
    err = outputs[loser][1]
    assert f"process {procs[winner].pid}" in err and "Traceback" not in err
    results = orjson.loads((out / "results.json").read_bytes())
    assert results["run"]["records"] == n and results["run"]["complete"] is True


def test_a_second_quickstart_on_a_busy_run_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openseeker.cli.main import main

    proc = _hold_in_child(tmp_path / "qs", "quickstart")
    try:
        with pytest.raises(SystemExit) as info:
            main(["quickstart", "--out", str(tmp_path / "qs"), "--fast", "--no-progress"])
        assert info.value.code == 75 and f"process {proc.pid}" in capsys.readouterr().err
        assert sorted(p.name for p in (tmp_path / "qs").iterdir()) == ["quickstart"]  # nothing else written
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
