"""``openseeker synth qa`` as a user meets it: the live progress in a real terminal (a pty), Ctrl-C with the
stats and funnel so far and the exact command that resumes, and plain progress lines when not on a terminal."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest
import yaml

from openseeker.testing.terminal import restore_terminal_signals

from . import conftest

SYNTH_DIR = Path(__file__).resolve().parent


@pytest.fixture
def setup(tmp_path: Path) -> tuple[list[str], dict[str, str], Path]:
    """A corpus, a config naming a slow scripted model (0.3 s per call), the command's args and env."""
    from openseeker.corpus.ingest import ingest

    src = tmp_path / "pages.jsonl"
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in conftest.en_records()))
    ingest([str(src)], tmp_path / "corpus")
    (tmp_path / "slow_model.py").write_text(textwrap.dedent(f"""
        import asyncio, sys
        sys.path.insert(0, {str(SYNTH_DIR)!r})
        import conftest

        async def slow(messages, tools, config):
            await asyncio.sleep(0.3)
            return conftest.cli_script(messages, tools, config)
    """))
    cfg = tmp_path / "qa.yaml"
    cfg.write_text(yaml.safe_dump({"qa": {
        "roles": {"default": {"model": "scripted/slow_model:slow"}},
        "seeds": {"min_text_chars": 20},
        "checks": {"shortcut": "record"},
    }}))
    run = tmp_path / "run"
    args = ["synth", "qa", "--corpus", str(tmp_path / "corpus"), "--out", str(run), "--seeds", "6", "--pages-per-seed", "3",
            "--lang", "en", "--config", str(cfg), "--concurrency", "1"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path]), "COLUMNS": "250",
           "TERM": "xterm"}
    env.pop("OPENSEEKER_PROGRESS", None)
    return args, env, run


def test_live_progress_and_ctrl_c_in_a_terminal(setup: tuple[list[str], dict[str, str], Path]) -> None:
    pexpect = pytest.importorskip("pexpect")
    args, env, run = setup
    child = pexpect.spawn(sys.executable, ["-m", "openseeker.cli.main", *args], env=env, encoding="utf-8",
                          timeout=120, dimensions=(40, 250), preexec_fn=restore_terminal_signals)
    child.expect("QA synthesis")
    child.expect(r"calls? in flight")  # the live LLM activity line ("1 call", "0 calls")
    child.expect(r"now: \w+")  # the step the seed in flight is at
    child.expect(r"ETA \d+:\d\d:\d\d")  # known once a seed has finished
    child.sendintr()  # Ctrl-C, as the terminal sends it
    child.expect("Interrupted.")
    child.expect("Stats and funnel so far:")
    child.expect("resume with:")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    printed = child.before.strip().splitlines()[0].strip()
    assert printed == shlex.join(["openseeker", *args])

    stats = json.loads((run / "qa" / "stats.json").read_text())
    assert stats["last_run"]["ended"] == "interrupted"
    assert 1 <= stats["inputs_done"] < 6
    assert stats["usage"]["calls"] > 0 and stats["usage"]["completion_tokens"] > 0  # measured token usage
    assert "scripted/slow_model:slow" in stats["usage_by_model"]
    funnel = (run / "qa" / "funnel.md").read_text()
    assert f"| seeds | {stats['inputs_done']} |" in funnel

    # the printed command finishes the run without redoing the seeds already done
    done = subprocess.run([sys.executable, "-m", "openseeker.cli.main", *shlex.split(printed)[1:]],
                          env={**env, "OPENSEEKER_PROGRESS": "off"}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"({stats['inputs_done']} seeds already done)" in done.stdout


def test_plain_progress_lines_when_not_on_a_terminal(setup: tuple[list[str], dict[str, str], Path]) -> None:
    args, env, _run = setup
    env["OPENSEEKER_PROGRESS_INTERVAL"] = "0.5"
    done = subprocess.run([sys.executable, "-m", "openseeker.cli.main", *args[:-1], "3"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("[QA synthesis (k=3)]")]
    assert len(lines) >= 2, done.stderr
    assert re.search(r"\] \d/\d+ seeds \(\d+ kept, \d+ rejected, 0 failed\) \| \d:\d\d:\d\d elapsed, ETA ", lines[0])
    assert "LLM:" in lines[-1] and "tok/s" in lines[-1] and lines[-1].startswith("[QA synthesis (k=3)] 6/6 seeds")
    assert "\x1b[" not in done.stderr  # no terminal control codes in a log
