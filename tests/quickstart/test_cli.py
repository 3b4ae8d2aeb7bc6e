"""The ``openseeker quickstart`` command line (the full run is exercised in test_quickstart.py and CI)."""

from __future__ import annotations

from click.testing import CliRunner

from openseeker.cli.main import cli
from openseeker.cli.quickstart import print_summary


def test_help_lists_the_options() -> None:
    res = CliRunner().invoke(cli, ["quickstart", "--help"])
    assert res.exit_code == 0, res.output
    for opt in ("--out", "--corpus", "--llm", "--config", "--fast"):
        assert opt in res.output


def test_missing_corpus_is_a_clear_error(tmp_path) -> None:
    res = CliRunner().invoke(
        cli,
        ["quickstart", "--out", str(tmp_path / "run"), "--corpus", str(tmp_path / "nope"), "--no-progress"],
    )
    assert res.exit_code != 0
    assert "does not exist" in str(res.exception) or "does not exist" in res.output


def test_summary_printing_handles_partial_runs() -> None:
    from rich.console import Console

    console = Console(record=True, width=120)
    print_summary(
        {
            "out": "runs/x",
            "stages": {
                "corpus": {"pages": 10, "links": 20, "seconds": 1.0},
                "qa": {
                    "seeds": 4,
                    "accepted": 0,
                    "errors": 2,
                    "rejected": {"extract:no_grounded_facts": 2},
                    "seconds": 3.0,
                },
                "trajectories": {"skipped": "no accepted questions"},
            },
            "paths": {"corpus": "runs/x/corpus"},
            "seconds": 4.0,
        },
        console,
    )
    text = console.export_text()
    assert "extract:no_grounded_facts 2" in text and "2 failed" in text and "runs/x/corpus" in text
