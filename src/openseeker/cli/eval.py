"""``openseeker eval``: run an agent on a benchmark, download benchmark files, build reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from openseeker.errors import ExitCode


def _ids(value: str | None) -> list[str] | None:
    """``a,b,c`` or ``@file`` (one id per line)."""
    if not value:
        return None
    if value.startswith("@"):
        return [ln.strip() for ln in Path(value[1:]).read_text(encoding="utf-8").splitlines() if ln.strip()]
    return [v.strip() for v in value.split(",") if v.strip()]


@click.group("eval")
def eval_group() -> None:
    """Evaluate an agent on benchmarks; judge, score and report."""


@eval_group.command("run")
@click.option(
    "--benchmark",
    "-b",
    required=True,
    help="browsecomp, browsecomp-zh, xbench-deepsearch, widesearch, "
    "hle, custom, synth, ... (see 'openseeker eval list').",
)
@click.option("--data", type=click.Path(exists=True), help="Benchmark file or folder.")
@click.option(
    "--agent",
    "agent_config",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML/TOML config with roles, tools and agent sections (an 'eval' section may set any option).",
)
@click.option("--samples", "-k", type=int, help="Samples per question (avg@k, pass@k).")
@click.option("--out", "-o", help="Run folder (re-run to resume).")
@click.option("--limit", type=int, help="Only the first N questions.")
@click.option("--ids", help="Question ids: a,b,c or @file.")
@click.option("--sample", type=int, help="A seeded random subset of N questions.")
@click.option("--seed", type=int, help="Seed of --sample.")
@click.option("--judge", help="openseeker (A/B, as the paper), official, binary, browsecomp or xbench.")
@click.option("--judge-lang", help="auto, en or zh.")
@click.option("--concurrency", type=int, help="Items in flight.")
def run_cmd(
    benchmark: str,
    data: str | None,
    agent_config: str | None,
    samples: int | None,
    out: str | None,
    limit: int | None,
    ids: str | None,
    sample: int | None,
    seed: int | None,
    judge: str | None,
    judge_lang: str | None,
    concurrency: int | None,
) -> None:
    """Run the agent on a benchmark, judge every answer and write per-item records and results.json.

    Exits with status 1 when some items failed (re-run the same command to retry them).
    """
    from openseeker.config import load_config
    from openseeker.evaluate.runner import EvalConfig, run_eval

    overrides: dict[str, Any] = {
        "benchmark": benchmark,
        "data": data,
        "samples": samples,
        "out": out,
        "limit": limit,
        "ids": _ids(ids),
        "sample": sample,
        "seed": seed,
        "judge": judge,
        "judge_lang": judge_lang,
        "concurrency": concurrency,
        "progress": True,
    }
    cfg = load_config(EvalConfig, agent_config, overrides, section="eval")
    res = run_eval(cfg)
    _print_summary(res.summary)
    click.echo(f"Results: {Path(cfg.out) / 'results.json'}")
    if not res.complete:
        click.secho(
            f"{res.stage.errors} item(s) failed (see {Path(cfg.out) / 'eval' / 'errors.jsonl'}); "
            "re-run the same command to retry them.",
            fg="yellow",
        )
        click.get_current_context().exit(ExitCode.PARTIAL)


def _print_summary(s: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    a, meta = s["accuracy"], s.get("run", {})
    t = Table(title=f"{meta.get('benchmark', '')}: {a['n']} records")
    for col in (
        "accuracy",
        "acc (parsed only)",
        "correct",
        "wrong",
        "unparsed",
        "avg@k",
        "pass@k",
        "tool calls",
        "judge",
    ):
        t.add_column(col)
    smp = s.get("samples", {})
    t.add_row(
        f"{100 * a['acc']:.1f}%",
        f"{100 * a['acc_parsed']:.1f}%",
        str(a["correct"]),
        str(a["wrong"]),
        str(a["unparsed"]),
        f"{100 * smp.get('avg_at_k', 0):.1f}%",
        f"{100 * smp.get('pass_at_k', 0):.1f}%",
        f"{s['tool_calls']['mean']:.1f}",
        f"{meta.get('judge_model')} {meta.get('prompt_version')}",
    )
    Console().print(t)


@eval_group.command("report")
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--out", "-o", required=True, help="Output folder for report.md and report.html.")
def report_cmd(runs: tuple[str, ...], out: str) -> None:
    """Markdown and self-contained HTML report over one or more run folders."""
    from openseeker.evaluate.report import build_report

    paths = build_report(list(runs), out)
    click.echo(f"Wrote {paths['markdown']} and {paths['html']}")


@eval_group.command("download")
@click.argument("benchmark")
@click.option("--dir", "dest", required=True, help="Destination folder (pass it as --data later).")
@click.option("--mirror", help="Base URL to fetch the same files from (checksums still apply).")
@click.option("--force", is_flag=True, help="Fetch even when a verified copy is present.")
def download_cmd(benchmark: str, dest: str, mirror: str | None, force: bool) -> None:
    """Download a benchmark's public (encrypted) files and verify their pinned checksums."""
    from openseeker.evaluate.download import download_benchmark

    for d in download_benchmark(benchmark, dest, mirror=mirror, force=force):
        click.echo(f"{d.status:10s} {d.path}  sha256={d.sha256}")


@eval_group.command("list")
def list_cmd() -> None:
    """List the registered benchmarks."""
    from openseeker.evaluate.benchmarks import benchmarks, get_benchmark

    get_benchmark("custom")  # registers the built-ins
    for name in benchmarks.names():
        b = get_benchmark(name)
        click.echo(
            f"{name:24s} judge={b.judge_style:10s} lang={b.lang}  files={len(getattr(b, 'files', []))}"
        )
