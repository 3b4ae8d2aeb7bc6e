"""``openseeker synth qa`` on a real on-disk corpus (ingested from JSONL), with the scripted model named in a
config file; resume on rerun; ``--report``."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml
from click.testing import CliRunner

from openseeker.cli.main import cli
from openseeker.pipeline.stage import read_stage

from . import conftest


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    from openseeker.corpus.ingest import ingest

    src = tmp_path / "pages.jsonl"
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in conftest.en_records()))
    out = tmp_path / "corpus"
    ingest([str(src)], out)
    return out


def test_cli_runs_resumes_and_reports(tmp_path, corpus_dir):
    spec = f"scripted/{conftest.cli_script.__module__}:cli_script"
    cfg = tmp_path / "qa.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "qa": {
                    "roles": {"default": {"model": spec}},
                    "seeds": {"min_text_chars": 20},
                    "checks": {"shortcut": "record"},
                }
            }
        )
    )
    run = tmp_path / "run"
    args = [
        "synth",
        "qa",
        "--corpus",
        str(corpus_dir),
        "--out",
        str(run),
        "--seeds",
        "3",
        "--pages-per-seed",
        "3",
        "--lang",
        "en",
        "--config",
        str(cfg),
        "--seed",
        "5",
        "--concurrency",
        "2",
        "--no-progress",
    ]
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "3 accepted" in res.output
    recs = list(read_stage(run, "qa"))
    assert len(recs) == 3 and all(r["models"]["generator"] == spec for r in recs)
    saved = yaml.safe_load((run / "qa" / "config.yaml").read_text())
    assert saved["k"] == 3 and saved["seed"] == 5 and saved["corpus"] == str(corpus_dir)
    res2 = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert res2.exit_code == 0 and "3 seeds already done" in res2.output
    res3 = CliRunner().invoke(cli, ["synth", "qa", "--report", str(run)], catch_exceptions=False)
    assert res3.exit_code == 0 and "QA synthesis funnel" in res3.output and "| accepted | 3 |" in res3.output
    assert (run / "qa" / "funnel.png").exists()


def test_cli_needs_a_corpus(tmp_path):
    res = CliRunner().invoke(cli, ["synth", "qa", "--out", str(tmp_path / "r"), "--seeds", "1"])
    assert res.exit_code != 0 and "needs a corpus" in str(res.exception)
