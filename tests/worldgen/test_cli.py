"""``openseeker world``: the embedded default corpus from the command line, equal to ``write_world``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from openseeker.cli.main import cli, main
from openseeker.corpus.ingest import ingest
from openseeker.errors import ExitCode
from openseeker.io.jsonl import read_jsonl
from openseeker.worldgen import write_world


def test_world_command_writes_the_same_world_as_the_api(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["world", "--out", str(tmp_path / "cli"), "--pages", "120", "--seed", "5"])
    assert r.exit_code == 0, r.output
    assert "120 pages" in r.output and "corpus ingest" in r.output
    api = write_world(tmp_path / "api", seed=5, n_pages=120)
    for key, path in api.items():
        assert (tmp_path / "cli" / path.name).read_bytes() == path.read_bytes(), key
    # the written pages are a corpus source
    report = ingest([str(tmp_path / "cli" / "pages.jsonl")], tmp_path / "graph", progress=False)
    assert report.pages == 120
    # the same command again leaves the folder as it is, and says so
    r = CliRunner().invoke(cli, ["world", "--out", str(tmp_path / "cli"), "--pages", "120", "--seed", "5"])
    assert r.exit_code == 0 and "already held this world" in r.output


def test_world_command_languages_and_json(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["world", "-o", str(tmp_path / "w"), "--pages", "40", "--lang", "en", "--json"])
    assert r.exit_code == 0, r.output
    manifest = json.loads(r.output)
    assert manifest["params"]["languages"] == ["en"] and manifest["summary"]["pages"] == 40
    assert {p["language"] for p in read_jsonl(tmp_path / "w" / "pages.jsonl")} == {"en"}


def test_world_command_refuses_too_few_pages(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as e:
        main(["world", "--out", str(tmp_path / "w"), "--pages", "30"])  # 15 per language
    assert e.value.code == ExitCode.USAGE and not (tmp_path / "w" / "pages.jsonl").exists()
