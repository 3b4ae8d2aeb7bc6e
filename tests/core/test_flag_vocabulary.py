"""One flag vocabulary: every command matches the README's flag table, short flags mean one thing, and the
old spellings still work (hidden, with a warning) for one release."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from openseeker.cli.main import cli, main
from openseeker.cli.options import rewrite_old_spellings

DOC = Path(__file__).resolve().parents[2] / "docs" / "readme" / "10-foundation.md"


def _commands() -> dict[str, click.Command]:
    ctx = click.Context(cli)
    found: dict[str, click.Command] = {}

    def walk(cmd: click.Command, path: list[str]) -> None:
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None:
                    walk(sub, [*path, name])
        else:
            found[" ".join(path)] = cmd

    walk(cli, [])
    return found


COMMANDS = _commands()


def _option(cmd: click.Command, flag: str) -> click.Option | None:
    return next((p for p in cmd.params if isinstance(p, click.Option) and flag in p.opts + p.secondary_opts), None)


def _table() -> list[dict[str, list[str]]]:
    text = DOC.read_text(encoding="utf-8").split("<!-- flag-table -->", 1)[1].split("<!-- /flag-table -->")[0]
    rows = []
    for line in text.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append({
            "flags": re.findall(r"`(-[^`]+)`", cells[0]),
            "commands": [re.sub(r"\s*\(.*", "", c) for c in re.findall(r"`([a-z][^`]*)`", cells[2])],
            "old": re.findall(r"`([a-z][^`]*)`", cells[3]),
        })
    return rows


TABLE = _table()


@pytest.mark.parametrize("row", TABLE, ids=[r["flags"][-1] for r in TABLE])
def test_every_command_in_the_table_has_the_flag(row: dict[str, list[str]]) -> None:
    for name in row["commands"]:
        assert name in COMMANDS, name
        opts = {tuple(sorted(p.opts)) for p in COMMANDS[name].params if isinstance(p, click.Option)}
        assert tuple(sorted(row["flags"])) in opts, f"{name} lacks {row['flags']}"
    for old in row["old"]:
        command, flag = old.rsplit(" ", 1)
        mapping = getattr(COMMANDS[command], "old_spellings", {})
        assert mapping.get(flag) == row["flags"][-1], old
        assert _option(COMMANDS[command], flag) is None or flag == row["flags"][-1], f"{old} is still visible"


def test_every_table_flag_means_one_thing_everywhere() -> None:
    """A flag of the table appears only on the commands the table lists, and short flags only as listed."""
    listed = {flag: set(r["commands"]) for r in TABLE for flag in r["flags"]}
    shorts = {f: r["flags"][-1] for r in TABLE for f in r["flags"] if not f.startswith("--")}
    for name, cmd in COMMANDS.items():
        for p in cmd.params:
            if not isinstance(p, click.Option):
                continue
            for flag in p.opts + p.secondary_opts:
                if flag in listed:
                    assert name in listed[flag], f"{name} has {flag} but the table does not list it"
                if flag in shorts:
                    assert shorts[flag] in p.opts, f"{name}: {flag} is not {shorts[flag]}"
    for name, cmd in COMMANDS.items():
        if _option(cmd, "--out") is not None:
            assert "-o" in _option(cmd, "--out").opts, name  # type: ignore[union-attr]
        for odd in ("--n", "--k", "--sample", "--agent", "--style", "--save"):
            assert _option(cmd, odd) is None, f"{name} still shows {odd}"


def test_old_spellings_are_rewritten_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    mapping = {"--n": "--seeds", "-k": "--samples"}
    assert rewrite_old_spellings(["--n", "5", "-k3", "--n=7", "--", "--n"], mapping, "x") == [
        "--seeds", "5", "--samples=3", "--seeds=7", "--", "--n",
    ]
    err = capsys.readouterr().err
    assert "x --n is an old spelling; use --seeds" in err and "-k is an old spelling; use --samples" in err


def test_old_spellings_still_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openseeker.worldgen import write_world

    write_world(tmp_path / "w", seed=0, n_pages=40, languages=("en",))
    assert _run(["corpus", "ingest", str(tmp_path / "w" / "pages.jsonl"), "--out", str(tmp_path / "c"),
                 "--language", "en"]) == 0
    assert "use --lang" in capsys.readouterr().err
    page = "1"
    assert _run(["corpus", "page", str(tmp_path / "c"), page, "--chars", "12", "--json"]) == 0
    out, err = capsys.readouterr()
    assert "use --max-chars" in err and '"text"' in out
    assert _run(["corpus", "export", str(tmp_path / "c"), "--parquet", str(tmp_path / "pq")]) == 0
    assert (tmp_path / "pq" / "pages.parquet").exists() and "use --out" in capsys.readouterr().err


def _run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as e:
        return int(e.code or 0)
    return 0
