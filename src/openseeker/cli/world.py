"""``openseeker world``: write the embedded default corpus (the generated fictional encyclopedia) to a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


@click.command("world")
@click.option(
    "--out", "-o", "out", required=True, type=click.Path(file_okay=False), help="Folder to write the world into."
)
@click.option(
    "--pages", type=click.IntRange(min=20), default=3000, show_default=True,
    help="Pages in total, split evenly over the languages (at least 20 per language).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed; the world is a pure function of it.")
@click.option(
    "--lang", "languages", type=click.Choice(["en", "zh"]), multiple=True,
    help="A language of the world (repeatable; default: en and zh).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the world's manifest as JSON.")
def world(out: str, pages: int, seed: int, languages: tuple[str, ...], as_json: bool) -> None:
    """Generate the fictional, hyperlinked encyclopedia that every offline default runs on.

    Writes OUT/pages.jsonl (a corpus source), facts.jsonl, entities.jsonl and world.json. A folder that
    already holds the same world (same pages, seed and languages) is left as it is.

    \b
    Examples:
      openseeker world --out corpora/world --pages 3000 --seed 0
      openseeker world --out corpora/world-en --pages 500 --lang en
      openseeker corpus ingest corpora/world/pages.jsonl --out corpora/world-graph
    """
    from openseeker.worldgen import write_world

    langs = languages or ("en", "zh")
    manifest_path = Path(out) / "world.json"
    before = manifest_path.read_bytes() if manifest_path.exists() else None
    paths = write_world(out, seed=seed, n_pages=pages, languages=langs)
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    if as_json:
        click.echo(json.dumps(manifest, indent=2, ensure_ascii=False))
        return
    _print_summary(manifest, paths, reused=before == paths["manifest"].read_bytes())


def _print_summary(manifest: dict[str, Any], paths: dict[str, Path], *, reused: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    summary = manifest["summary"]
    by_lang = summary["by_language"]
    types = sorted({t for counts in by_lang.values() for t in counts})
    table = Table("language", *types, "pages", title=f"world (seed {summary['seed']})", title_justify="left")
    for lang, counts in sorted(by_lang.items()):
        table.add_row(lang, *(str(counts.get(t, 0)) for t in types), str(sum(counts.values())))
    console = Console()
    console.print(table)
    console.print(
        f"{summary['pages']} pages, {summary['entities']} entities, {summary['facts']} facts "
        f"({summary['mentions']} fact sentences)" + ("; the folder already held this world" if reused else ""),
        soft_wrap=True,
    )
    folder = paths["pages"].parent
    console.print(f"Files: {folder}/pages.jsonl, facts.jsonl, entities.jsonl, world.json", soft_wrap=True)
    console.print(f"Next: openseeker corpus ingest {paths['pages']} --out {folder}-graph", soft_wrap=True)
