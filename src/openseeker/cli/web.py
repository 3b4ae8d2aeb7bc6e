"""``openseeker web``: try the web search/fetch backends, inspect the tool cache and the run budgets."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click
import orjson

from openseeker.cli.options import old_spellings, top_k_option
from openseeker.config import deep_merge, env_overrides, load_config
from openseeker.errors import ConfigError, ExitCode
from openseeker.tools.config import ToolsConfig

_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="YAML/TOML file; its 'tools:' section (or the whole file) is a ToolsConfig.",
)


def _tools_config(config_path: str | None, **overrides: Any) -> ToolsConfig:
    # OPENSEEKER_TOOLS__* variables configure the tools of every stage; honour them here too
    env_tools = env_overrides().get("tools")
    flags = {k: v for k, v in overrides.items() if v is not None}
    merged = deep_merge(env_tools, flags) if isinstance(env_tools, dict) else flags
    return load_config(ToolsConfig, config_path, merged, section="tools")


def _echo_json(value: Any) -> None:
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


@click.group()
def web() -> None:
    """Web search and page fetching: try a backend, inspect the tool-call cache and budgets.

    Backends and limits come from the 'tools:' section of a config file (see docs: web backends).
    """


@old_spellings({"-b": "--backend"})
@web.command("search")
@click.argument("queries", nargs=-1, required=True)
@click.option("--backend", default=None, help="serper, tavily, brave, searxng or replay (default: config).")
@top_k_option(default=None)
@click.option("--cache", "cache_path", default=None, help="Tool-call cache file (SQLite).")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
@_config_option
def search_cmd(
    queries: tuple[str, ...],
    backend: str | None,
    top_k: int | None,
    cache_path: str | None,
    as_json: bool,
    config_path: str | None,
) -> None:
    """Search the web for one or more QUERIES (several run as one batch).

    Exits with status 1 when some queries failed (each failure is printed in place of its hits).
    """
    from openseeker.tools.base import search_backends
    from openseeker.web import search_many, wrap_backends

    cfg = _tools_config(config_path, search=backend, top_k=top_k, cache=cache_path)
    if cfg.search == "corpus":
        raise ConfigError(
            "No web search backend chosen: pass --backend serper (or tavily, brave, searxng, replay) "
            "or set tools.search in the config."
        )
    raw = search_backends.create(cfg.search, cfg)
    search, _ = wrap_backends(raw, _NoFetch(), cfg)
    results = asyncio.run(search_many(search, list(queries), cfg.top_k))
    if as_json:
        _echo_json(
            [
                {"query": q, "error": str(r)}
                if isinstance(r, Exception)
                else {"query": q, "hits": [h.to_dict() for h in r]}
                for q, r in zip(queries, results, strict=True)
            ]
        )
        return _exit_if_failed(results)
    for q, r in zip(queries, results, strict=True):
        click.secho(f"### {q}", bold=True)
        if isinstance(r, Exception):
            click.secho(f"Error: {r}", fg="red")
            continue
        if not r:
            click.echo("(no results)")
        for i, h in enumerate(r, 1):
            click.echo(f"{i}. {h.title}\n   {h.url}")
            extra = "  ".join(
                x for x in (h.date and f"Date: {h.date}", h.source and f"Source: {h.source}") if x
            )
            if extra:
                click.echo(f"   {extra}")
            if h.snippet:
                click.echo(f"   {h.snippet}")
        click.echo()
    _exit_if_failed(results)


def _exit_if_failed(results: list[Any]) -> None:
    failed = sum(isinstance(r, Exception) for r in results)
    if failed:
        click.echo(f"{failed} of {len(results)} queries failed.", err=True)
        click.get_current_context().exit(ExitCode.PARTIAL)


class _NoFetch:
    name = "none"

    async def fetch(self, url: str) -> Any:  # pragma: no cover - never called
        raise NotImplementedError


class _NoSearch:
    name = "none"

    async def search(self, query: str, top_k: int = 10) -> Any:  # pragma: no cover - never called
        raise NotImplementedError


@web.command("fetch")
@click.argument("url")
@click.option("--fetcher", "-f", default=None, help="jina, http or replay (default: config).")
@click.option("--cache", "cache_path", default=None, help="Tool-call cache file (SQLite).")
@click.option(
    "--max-chars", type=int, default=4000, show_default=True, help="Print at most this much content."
)
@click.option("--json", "as_json", is_flag=True, help="Print the page as JSON.")
@_config_option
def fetch_cmd(
    url: str,
    fetcher: str | None,
    cache_path: str | None,
    max_chars: int,
    as_json: bool,
    config_path: str | None,
) -> None:
    """Fetch URL and print its main content (Markdown) and out-links."""
    from openseeker.tools.base import fetchers
    from openseeker.web import wrap_backends

    cfg = _tools_config(config_path, fetch=fetcher, cache=cache_path)
    if cfg.fetch == "corpus":
        raise ConfigError("No web fetcher chosen: pass --fetcher http (or jina, replay) or set tools.fetch.")
    _, fetch = wrap_backends(_NoSearch(), fetchers.create(cfg.fetch, cfg), cfg)
    page = asyncio.run(fetch.fetch(url))
    if as_json:
        _echo_json(page.to_dict())
        return
    click.secho(f"# {page.title or page.url}", bold=True)
    click.echo(
        f"URL: {page.url}  ({page.content_type}, {len(page.content)} chars, {len(page.links)} links, "
        f"via {page.metadata.get('fetcher', fetch.name)})\n"
    )
    click.echo(page.content[:max_chars])
    if len(page.content) > max_chars:
        click.echo(f"\n[... {len(page.content) - max_chars} more characters]")


@web.group("cache")
def cache_group() -> None:
    """The persistent tool-call cache shared by every stage."""


def _cache_path(path: str | None, config_path: str | None) -> Path:
    chosen = path or _tools_config(config_path).cache
    if not chosen:
        raise ConfigError("No cache file: pass --path or set tools.cache in the config.")
    return Path(chosen)


@cache_group.command("info")
@click.option("--path", default=None, help="Cache file (default: tools.cache of the config).")
@click.option("--json", "as_json", is_flag=True)
@_config_option
def cache_info(path: str | None, as_json: bool, config_path: str | None) -> None:
    """Show the cache's entries per backend and its size."""
    from openseeker.web.cache import ToolCache

    p = _cache_path(path, config_path)
    if not p.exists():
        raise ConfigError(f"Cache file {str(p)!r} does not exist yet.")
    info = ToolCache(p).info()
    if as_json:
        _echo_json(info)
        return
    click.echo(f"{info['path']}: {info['bytes'] / 1e6:.2f} MB")
    if not info["entries"]:
        click.echo("(empty)")
    for e in info["entries"]:
        click.echo(f"  {e['backend']:<10} {e['op']:<7} {e['count']:>8} entries")


@cache_group.command("clear")
@click.option("--path", default=None, help="Cache file (default: tools.cache of the config).")
@click.option("--backend", default=None, help="Only this backend's entries.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@_config_option
def cache_clear(path: str | None, backend: str | None, yes: bool, config_path: str | None) -> None:
    """Delete cached tool results (all, or one backend's)."""
    from openseeker.web.cache import ToolCache

    p = _cache_path(path, config_path)
    if not p.exists():
        click.echo(f"{p}: no cache file, nothing to clear.")
        return
    if not yes:
        click.confirm(f"Delete {'all' if backend is None else backend} entries of {p}?", abort=True)
    n = ToolCache(p).clear(backend)
    click.echo(f"Deleted {n} entries.")


@web.group("budget")
def budget_group() -> None:
    """Calls and spend counted per run against tools.options.budget."""


@budget_group.command("show")
@click.argument("run", required=False)
@click.option(
    "--path", default=None, help="Budget file (default: tools.options.budget.path, else tools.cache)."
)
@click.option("--json", "as_json", is_flag=True)
@_config_option
def budget_show(run: str | None, path: str | None, as_json: bool, config_path: str | None) -> None:
    """Show what RUN has used (every run when RUN is left out)."""
    from openseeker.web.budget import BudgetStore

    cfg = _tools_config(config_path)
    budget_opts = cfg.options.get("budget") or {}
    chosen = path or budget_opts.get("path") or cfg.cache
    if not chosen:
        raise ConfigError("No budget file: pass --path or set tools.options.budget.path / tools.cache.")
    if not Path(chosen).exists():
        raise ConfigError(f"Budget file {str(chosen)!r} does not exist yet.")
    store = BudgetStore(chosen)
    runs = [run] if run else store.runs()
    rows: list[dict[str, Any]] = []
    for r in runs:
        u = store.usage(r)
        rows.append(
            {
                "run": r,
                "calls": u.calls,
                "spend": u.spend,
                "total_calls": u.total_calls,
                "total_spend": round(u.total_spend, 6),
                "max_calls": budget_opts.get("max_calls"),
                "max_spend": budget_opts.get("max_spend"),
            }
        )
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo("(no runs recorded)")
    for row in rows:
        limit = "" if row["max_calls"] is None else f" / {row['max_calls']}"
        slimit = "" if row["max_spend"] is None else f" / {row['max_spend']}"
        click.secho(
            f"{row['run']}: {row['total_calls']}{limit} calls, spend {row['total_spend']:.4f}{slimit}",
            bold=True,
        )
        for b, c in sorted(row["calls"].items()):
            click.echo(f"  {b:<10} {c:>8} calls  {row['spend'][b]:.4f}")
