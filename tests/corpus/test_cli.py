"""The ``openseeker corpus`` commands end to end on small fixtures."""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from openseeker.cli.main import cli


def test_cli_ingest_info_page_search_export_import(tmp_path: Path, en_dump: Path, html_dir: Path) -> None:
    run = CliRunner()
    out = tmp_path / "c"
    r = run.invoke(cli, ["corpus", "ingest", str(en_dump), str(html_dir), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "pages" in r.output and "dangling" in r.output
    r = run.invoke(cli, ["corpus", "info", str(out), "--json"])
    info = orjson.loads(r.output)
    assert info["pages"] == 5 and info["redirects"] == 1
    r = run.invoke(cli, ["corpus", "info", str(out)])
    assert "out-degree" in r.output
    r = run.invoke(cli, ["corpus", "page", str(out), "https://en.wikipedia.org/wiki/Lutece"])
    assert r.exit_code == 0 and "Paris" in r.output and "Out-links" in r.output
    r = run.invoke(cli, ["corpus", "page", str(out), "no such page"])
    assert r.exit_code != 0 and "no page" in r.output
    r = run.invoke(cli, ["corpus", "search", str(out), "Greek alphabet letter", "--json"])
    assert orjson.loads(r.output)[0]["title"] == "Beta page"
    r = run.invoke(cli, ["corpus", "export", str(out), "--parquet", str(tmp_path / "pq")])
    assert r.exit_code == 0 and (tmp_path / "pq" / "links.parquet").exists()
    r = run.invoke(cli, ["corpus", "import", str(tmp_path / "pq"), "--out", str(tmp_path / "c2")])
    assert r.exit_code == 0, r.output
    r = run.invoke(cli, ["corpus", "search", str(tmp_path / "c2"), "river Seine"])
    assert "Seine" in r.output


def test_cli_no_index_then_reindex(tmp_path: Path, jsonl_file: Path) -> None:
    run = CliRunner()
    out = tmp_path / "c"
    assert (
        run.invoke(cli, ["corpus", "ingest", str(jsonl_file), "--out", str(out), "--no-index"]).exit_code == 0
    )
    r = run.invoke(cli, ["corpus", "search", str(out), "number"])
    assert r.exit_code != 0 and "reindex" in str(r.exception)
    r = run.invoke(cli, ["corpus", "reindex", str(out)])
    assert r.exit_code == 0 and "Indexed 3 pages" in r.output
    assert "One" in run.invoke(cli, ["corpus", "search", str(out), "number"]).output


def test_cli_ingest_json_report_and_kind(tmp_path: Path, jsonl_file: Path) -> None:
    renamed = tmp_path / "pages.txt"
    renamed.write_bytes(jsonl_file.read_bytes())
    r = CliRunner().invoke(
        cli, ["corpus", "ingest", f"jsonl:{renamed}", "--out", str(tmp_path / "c"), "--json"]
    )
    assert r.exit_code == 0, r.output
    assert orjson.loads(r.output)["pages"] == 3
