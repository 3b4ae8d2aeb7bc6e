"""``openseeker corpus``: ingest hyperlinked sources into a web graph, inspect it, search it, export it."""

from __future__ import annotations

import sys
from typing import Any

import click
import orjson

from openseeker.cli.options import old_spellings, out_option, top_k_option
from openseeker.errors import ExitCode


def _echo_json(value: Any) -> None:
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())


def _console() -> Any:
    from rich.console import Console

    return Console()


@click.group()
def corpus() -> None:
    """Build and inspect a local web graph (pages + links + BM25 index).

    Sources: a Wikispeedia folder, MediaWiki XML dumps (.xml/.xml.bz2), a folder of HTML files, WARC files
    (.warc/.warc.gz) and JSONL pages. The format is detected from the path; force one with KIND:PATH.
    """


@old_spellings({"--language": "--lang", "--base-url": "--url-prefix"})
@corpus.command("ingest")
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False), help="Corpus directory."
)
@click.option(
    "--kind",
    type=click.Choice(["wikispeedia", "mediawiki", "html", "warc", "jsonl"]),
    default=None,
    help="Force the source format for every SOURCE.",
)
@click.option("--limit", type=int, default=None, help="At most this many pages per source (quick runs).")
@click.option(
    "--url-prefix",
    "base_url",
    default=None,
    help="URL prefix of the pages of an HTML folder (or of a dump without <siteinfo><base>).",
)
@click.option(
    "--site",
    default=None,
    help="Site of a MediaWiki dump's page URLs, overriding the dump's <siteinfo> (e.g. https://zh.wikipedia.org).",
)
@click.option("--lang", "language", type=click.Choice(["en", "zh"]), default=None, help="Force the page language.")
@click.option(
    "--max-record-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Reject records (a JSONL line, a wikitext, an HTML file) larger than this; default 8.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing corpus in --out.")
@click.option("--no-index", is_flag=True, help="Skip building the BM25 index.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Work units read at once: local processes, or Ray tasks with --executor ray.",
)
@click.option(
    "--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True, help="Where units run."
)
@click.option("--ray-address", default=None, help="A running Ray cluster (default: a local one of --workers CPUs).")
@click.option(
    "--unit-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=32,
    show_default=True,
    help="About this many MB of input per work unit (multistream dumps, JSONL files).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the ingest report as JSON.")
def ingest_cmd(
    sources: tuple[str, ...],
    out_dir: str,
    kind: str | None,
    limit: int | None,
    base_url: str | None,
    site: str | None,
    language: str | None,
    max_record_mb: float | None,
    overwrite: bool,
    no_index: bool,
    workers: int,
    executor: str,
    ray_address: str | None,
    unit_mb: float,
    as_json: bool,
) -> None:
    """Read SOURCE... into the corpus directory --out (store, link graph, search index).

    The sources are split into work units (files, page ranges of a multistream dump via its index, byte
    ranges of a JSONL file) read by --workers processes or Ray tasks. The corpus is built in a hidden folder
    inside --out and moved into place only when the ingest succeeds, so a failed run leaves --out as it
    was; a killed one keeps its finished units, and the same command resumes it.
    """
    from openseeker.corpus.ingest import ingest

    opts: dict[str, Any] = {}
    if base_url:
        opts["base_url"] = base_url
    if site:
        opts["site"] = site
    if max_record_mb:
        opts["max_record_bytes"] = int(max_record_mb * 2**20)
    if language:
        opts["language"] = language
    report = ingest(
        list(sources),
        out_dir,
        kind=kind,
        limit=limit,
        overwrite=overwrite,
        build_search_index=not no_index,
        progress=not as_json,
        workers=workers,
        executor=executor,
        ray_address=ray_address,
        unit_mb=unit_mb,
        **opts,
    )
    if as_json:
        _echo_json(report.to_dict())
        return _exit_if_empty(report, out_dir)
    from rich.table import Table

    t = Table(title=f"Ingested into {out_dir}", show_header=False)
    t.add_row("pages", f"{report.pages:,}")
    t.add_row(
        "links", f"{report.links:,} ({report.resolved_links:,} resolved, {report.dangling_links:,} dangling)"
    )
    t.add_row("redirects", f"{report.redirects:,}")
    t.add_row("languages", ", ".join(f"{k}: {v:,}" for k, v in report.languages.items()) or "-")
    t.add_row("rejected", ", ".join(f"{k}: {v:,}" for k, v in report.rejected.items()) or "none")
    for name, stats in report.source_stats.items():
        if stats:
            t.add_row(name, ", ".join(f"{k}: {v:,}" for k, v in stats.items()))
    reused = f", {report.units_reused:,} reused from an interrupted run" if report.units_reused else ""
    t.add_row("work units", f"{report.units:,} ({report.workers} {report.executor} workers{reused})")
    t.add_row("time", f"{report.seconds:.1f} s (index {report.index_seconds:.1f} s)")
    _console().print(t)
    if report.rejected:
        _console().print(f"[yellow]Rejected records are listed in {out_dir}/rejects.jsonl[/yellow]")
    _exit_if_empty(report, out_dir)


def _exit_if_empty(report: Any, out_dir: str) -> None:
    """Exit 1 when no page was ingested: every record failed (they are listed in rejects.jsonl)."""
    if not report.pages:
        click.echo(f"No page was ingested into {out_dir} (see its rejects.jsonl).", err=True)
        click.get_current_context().exit(ExitCode.PARTIAL)


@corpus.command("info")
@click.argument("corpus_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--no-degrees", is_flag=True, help="Skip the degree distributions (a scan of all links).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def info_cmd(corpus_dir: str, no_degrees: bool, as_json: bool) -> None:
    """Pages, links, dangling links, degree distributions and languages of CORPUS_DIR."""
    from openseeker.corpus import open_corpus

    info = open_corpus(corpus_dir).info(degree_stats=not no_degrees)
    if as_json:
        _echo_json(info)
        return
    from rich.table import Table

    t = Table(title=f"Corpus {corpus_dir}", show_header=False)
    for key in ("pages", "links", "resolved_links", "dangling_links", "redirects"):
        t.add_row(key.replace("_", " "), f"{info[key]:,}")
    t.add_row("languages", ", ".join(f"{k}: {v:,}" for k, v in info["languages"].items()))
    for key in ("out_degree", "in_degree"):
        if key not in info:
            continue
        d = info[key]
        t.add_row(
            key.replace("_", "-"),
            f"median {d['median']}, p90 {d['p90']}, p99 {d['p99']}, max {d['max']}, "
            f"mean {d['mean']}, zero {d['zero']:,} pages",
        )
    idx = info.get("index")
    t.add_row("BM25 index", f"{idx['vocab']:,} terms, {idx['postings']:,} postings" if idx else "not built")
    hits = info["hit_store"]
    t.add_row("hit store", f"{hits['pages']:,} pages, {hits['mb']:,} MB" if isinstance(hits, dict) else hits)
    t.add_row("created", str(info.get("created")))
    _console().print(t)


@old_spellings({"--chars": "--max-chars"})
@corpus.command("page")
@click.argument("corpus_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("key")
@click.option("--max-chars", "chars", type=int, default=1500, help="Characters of text to show.")
@click.option("--links", "n_links", type=int, default=20, help="Out-links to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the page, out-links and in-link count as JSON.")
def page_cmd(corpus_dir: str, key: str, chars: int, n_links: int, as_json: bool) -> None:
    """Show the page with URL, title or id KEY: text, out-links with anchors, in-link count."""
    from openseeker.corpus import open_corpus

    store = open_corpus(corpus_dir)
    page = store.get(int(key)) if key.isdigit() else store.get(key)
    if page is None:
        raise click.ClickException(f"no page with URL, title or id {key!r} in {corpus_dir}")
    out_links = store.out_links(page.id)
    in_links = store.in_links(page.id)
    if as_json:
        _echo_json(
            {
                "page": page.to_dict(),
                "out_links": [ln.to_dict() for ln in out_links],
                "in_links": len(in_links),
            }
        )
        return
    from rich.markup import escape

    con = _console()
    con.print(
        f"[bold]{escape(page.title)}[/bold]  (id {page.id}, {page.language})\n[cyan]{escape(page.url)}[/cyan]"
    )
    con.print(escape(page.text[:chars]) + (" [dim]...[/dim]" if len(page.text) > chars else ""))
    con.print(
        f"\n[bold]Out-links[/bold] ({len(out_links)}; {sum(ln.target is None for ln in out_links)} dangling), "
        f"[bold]in-links[/bold] {len(in_links)}"
    )
    for ln in out_links[:n_links]:
        mark = "" if ln.target is not None else " [dim](dangling)[/dim]"
        con.print(f"  - {escape(ln.anchor or '')} -> {escape(ln.target_url)}{mark}")


@corpus.command("search")
@click.argument("corpus_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("query")
@top_k_option("Results.", default=10)
@click.option(
    "--mode",
    type=click.Choice(["bm25", "dense", "hybrid"]),
    default="bm25",
    help="dense/hybrid need `corpus embed` first.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
def search_cmd(corpus_dir: str, query: str, top_k: int, mode: str, as_json: bool) -> None:
    """Search CORPUS_DIR for QUERY (BM25 by default)."""
    from openseeker.corpus import open_corpus

    hits = open_corpus(corpus_dir).search(query, top_k, mode=mode)
    if as_json:
        _echo_json([h.to_dict() for h in hits])
        return
    from rich.markup import escape

    con = _console()
    if not hits:
        con.print(f"No results for {query!r}.")
    for i, h in enumerate(hits, 1):
        con.print(
            f"[bold]{i}. {escape(h.title)}[/bold]  [dim]{h.score:.2f}[/dim]\n   [cyan]{escape(h.url)}[/cyan]\n"
            f"   {escape(h.snippet)}"
        )


@corpus.command("reindex")
@click.argument("corpus_dir", type=click.Path(exists=True, file_okay=False))
def reindex_cmd(corpus_dir: str) -> None:
    """Rebuild the BM25 index of CORPUS_DIR from its store."""
    from openseeker.corpus.ingest import reindex

    info = reindex(corpus_dir, progress=True)
    _console().print(
        f"Indexed {info['num_docs']:,} pages: {info['vocab']:,} terms, {info['postings']:,} postings"
    )


@corpus.command("embed")
@click.argument("corpus_dir", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--model",
    "model_path",
    required=True,
    type=click.Path(exists=True, file_okay=False),
    help="A local model2vec model folder (nothing is downloaded).",
)
def embed_cmd(corpus_dir: str, model_path: str) -> None:
    """Build the optional dense index of CORPUS_DIR (enables --mode dense/hybrid)."""
    from openseeker.corpus import open_corpus
    from openseeker.corpus.dense import build_dense
    from openseeker.corpus.ingest import _Progress

    with _Progress(True) as bar:
        task = bar.task("embedding pages", total=len(open_corpus(corpus_dir)))
        info = build_dense(corpus_dir, model_path, on_progress=lambda n: bar.advance(task, n))
    _console().print(f"Embedded {info['pages']:,} pages ({info['dim']} dimensions) with {info['model']}")


@old_spellings({"--parquet": "--out"})
@corpus.command("export")
@click.argument("corpus_dir", type=click.Path(exists=True, file_okay=False))
@out_option(
    "Output folder for pages/links/redirects .parquet.", dest="parquet_dir", required=True,
    type=click.Path(file_okay=False),
)
def export_cmd(corpus_dir: str, parquet_dir: str) -> None:
    """Export CORPUS_DIR to Parquet (zstd)."""
    from openseeker.corpus.parquet import export_parquet

    counts = export_parquet(corpus_dir, parquet_dir)
    _console().print(f"Wrote {', '.join(f'{v:,} {k}' for k, v in counts.items())} to {parquet_dir}")


@corpus.command("import")
@click.argument("parquet_dir", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False), help="Corpus directory."
)
@click.option("--overwrite", is_flag=True, help="Replace an existing corpus in --out.")
def import_cmd(parquet_dir: str, out_dir: str, overwrite: bool) -> None:
    """Rebuild a corpus directory from a Parquet export (same page ids)."""
    from openseeker.corpus.parquet import import_parquet

    s = import_parquet(parquet_dir, out_dir, overwrite=overwrite)
    _console().print(
        f"Imported {s['pages']:,} pages and {s['links']:,} links into {out_dir} ({s['seconds']:.1f} s)"
    )


@corpus.command("serve")
@click.argument("corpus_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: all).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="0: any free port.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Worker processes (they share the memory-mapped index).",
)
@click.option(
    "--threads", type=click.IntRange(min=1), default=4, show_default=True, help="Search threads per worker."
)
@click.option(
    "--mode",
    type=click.Choice(["bm25", "dense", "hybrid"]),
    default="bm25",
    show_default=True,
    help="Default search mode (dense/hybrid need `corpus embed`).",
)
@click.option("--log-level", type=click.Choice(["warning", "info", "debug"]), default="warning")
def serve_cmd(
    corpus_dir: str, host: str, port: int, workers: int, threads: int, mode: str, log_level: str
) -> None:
    """Serve CORPUS_DIR over HTTP to many workers: search and visit (our JSON API), Search-R1 / ASearcher's
    POST /retrieve and POST /access, GET /health.

    Point openseeker's own agents at it with tools.corpus (or --corpus) set to http://HOST:PORT.
    """
    from openseeker.corpus.serve import ServeSettings, bind, serve

    sock = bind(host, port)
    actual = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    # one plain line first (a script or test waits for it), then the details
    click.echo(f"Serving {corpus_dir} on http://{shown}:{actual} ({workers} workers)", err=False)
    sys.stdout.flush()
    serve(ServeSettings(corpus_dir, mode, threads), sock, workers=workers, log_level=log_level)
