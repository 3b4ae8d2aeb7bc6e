"""``openseeker cache info|clear``: inspect or clear the LLM response cache."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from openseeker.llm.cache import ResponseCache, default_cache_path

_path_option = click.option(
    "--path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The cache file (default: $OPENSEEKER_CACHE or ~/.cache/openseeker/llm.sqlite).",
)


@click.group()
def cache() -> None:
    """The LLM response cache (SQLite; keyed by request + scope; only successful answers)."""


@cache.command()
@_path_option
def info(path: Path | None) -> None:
    """Show the cache file, its size and entries per model."""
    p = path or default_cache_path()
    console = Console()
    if not p.exists():
        console.print(f"No cache at {p} (nothing cached yet).")
        return
    i = ResponseCache(p).info()
    click.echo(f"{i.path}: {i.entries:,} responses, {i.size_bytes / 1e6:.2f} MB")
    if i.by_model:
        t = Table("model", "responses")
        for model, n in i.by_model.items():
            t.add_row(model, f"{n:,}")
        console.print(t)


@cache.command()
@_path_option
@click.option("--model", default=None, help="Only the entries of this provider/model id.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def clear(path: Path | None, model: str | None, yes: bool) -> None:
    """Delete cached responses (all, or one model's)."""
    p = path or default_cache_path()
    if not p.exists():
        click.echo(f"No cache at {p}.")
        return
    what = f"the cached responses of {model}" if model else "every cached response"
    if not yes:
        click.confirm(f"Delete {what} in {p}?", abort=True)
    n = ResponseCache(p).clear(model=model)
    click.echo(f"Deleted {n:,} responses from {p}.")
