"""The exit-status table (``openseeker.errors.ExitCode``), through the console-script entry point ``main``:
0 done, 1 some inputs failed (counted), 2 usage / config / data / prerequisite error, 3 any other failure,
75 run folder busy (tests/pipeline/test_stage_lock.py), 130 interrupted. Errors are one line; -v adds the
traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from openseeker.cli.main import main
from openseeker.errors import ExitCode

FAIL = "scripted/failing_models:down"


@pytest.fixture(autouse=True)
def _scripts_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))  # for scripted/failing_models:down


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _pages(n: int = 5) -> list[dict[str, Any]]:
    titles = [f"Town {chr(65 + i)}" for i in range(n)]
    return [
        {
            "url": f"https://t.test/{t.replace(' ', '_')}",
            "title": t,
            "text": f"{t} is a town on a river, founded in {1700 + i} by a miller. " * 5,
            "links": [{"url": f"https://t.test/{o.replace(' ', '_')}", "anchor": o} for o in titles if o != t],
        }
        for i, t in enumerate(titles)
    ]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    from openseeker.corpus.ingest import ingest

    src = tmp_path / "pages.jsonl"
    src.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in _pages()))
    ingest([str(src)], tmp_path / "corpus", progress=False)
    return tmp_path / "corpus"


def test_usage_error_is_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "synth", "qa", "--no-such-flag")
    assert code == ExitCode.USAGE and "no-such-flag" in err


def test_failed_inputs_exit_1_qa_and_traj(capsys: pytest.CaptureFixture[str], tmp_path: Path, corpus: Path) -> None:
    # every seed fails: before, "0 accepted ... 3 failed" and exit 0
    code, out, err = run(
        capsys, "synth", "qa", "--corpus", str(corpus), "--out", str(tmp_path / "run"), "--seeds", "3",
        "--generator", FAIL, "--no-progress",
    )
    assert code == ExitCode.PARTIAL, out + err
    assert "3 failed" in out and "errors.jsonl" in err
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"id": "a", "question": "Who founded Town A?", "answer": "a miller"}\n')
    code, out, err = run(
        capsys, "synth", "traj", "--qa", str(qa), "--out", str(tmp_path / "run"), "--corpus", str(corpus),
        "--teacher", FAIL, "--judge-style", "none", "--no-progress",
    )
    assert code == ExitCode.PARTIAL, out + err
    assert "1 failed" in out and "errors.jsonl" in err


def test_qa_on_an_empty_corpus_is_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    code, _, err = run(capsys, "corpus", "ingest", str(bad), "--out", str(tmp_path / "c"), "--json")
    assert code == ExitCode.PARTIAL and "No page was ingested" in err  # every record was rejected
    code, out, err = run(capsys, "synth", "qa", "--corpus", str(tmp_path / "c"), "--out", str(tmp_path / "r"))
    assert code == ExitCode.USAGE, out + err
    assert "No page of the corpus (0 pages)" in err and len(err.strip().splitlines()) == 1


def test_interrupt_is_130_and_unexpected_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openseeker.corpus.ingest as ingest_mod

    def interrupted(*a: Any, **k: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest_mod, "ingest", interrupted)
    code, _, _ = run(capsys, "corpus", "ingest", "x.jsonl", "--out", str(tmp_path / "c"))
    assert code == ExitCode.INTERRUPTED

    def broken(*a: Any, **k: Any) -> None:
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(ingest_mod, "ingest", broken)
    code, _, err = run(capsys, "corpus", "ingest", "x.jsonl", "--out", str(tmp_path / "c"))
    assert code == ExitCode.FAILED
    assert err.strip().splitlines() == [
        "Error (RuntimeError): disk on fire second line (an unexpected error; run with -v for the traceback)"
    ]
    code, _, err = run(capsys, "-v", "corpus", "ingest", "x.jsonl", "--out", str(tmp_path / "c"))
    assert code == ExitCode.FAILED and "Traceback" in err and 'raise RuntimeError("disk on fire' in err


def test_quickstart_with_failed_inputs_is_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(
        capsys, "quickstart", "--fast", "--pages", "40", "--llm", FAIL, "--out", str(tmp_path / "qs"),
        "--no-progress",
    )
    assert code == ExitCode.PARTIAL, out + err
    assert "Some inputs failed in: qa" in out + err


def test_config_errors_fail_before_any_work(capsys: pytest.CaptureFixture[str], tmp_path: Path, corpus: Path) -> None:
    # an unknown provider: before, every seed failed on its own and the command exited 0
    code, _, err = run(
        capsys, "synth", "qa", "--corpus", str(corpus), "--out", str(tmp_path / "run"), "--generator", "nosuch/x"
    )
    assert code == ExitCode.USAGE and not (tmp_path / "run").exists()
    assert err.strip().splitlines() == [
        "Error (ConfigError): Invalid qa configuration: roles.generator.model: Unknown llm backend 'nosuch'. "
        "Known: completions, llamacpp, openai, scripted"
    ]
    # quickstart: a bad key in a stage section; before, two stages ran, then a 51-line pydantic traceback
    cfg = tmp_path / "qs.yaml"
    cfg.write_text("quickstart:\n  traj: {rollouts: 2, keep_incorect: true}\n")
    code, _, err = run(capsys, "quickstart", "--config", str(cfg), "--out", str(tmp_path / "qs"), "--no-progress")
    assert code == ExitCode.USAGE and not (tmp_path / "qs").exists()
    assert "quickstart.traj.keep_incorect: unknown key (did you mean 'keep_incorrect'?)" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    # a binary file given as the config
    cfg.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    code, _, err = run(capsys, "quickstart", "--config", str(cfg), "--out", str(tmp_path / "qs"))
    assert code == ExitCode.USAGE and "is not a text file" in err and len(err.strip().splitlines()) == 1
