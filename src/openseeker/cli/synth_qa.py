"""``openseeker synth qa``: synthesize verified multi-hop QA pairs from a corpus (or report on a run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from openseeker.cli.options import (
    endpoint_options,
    executor_options,
    executor_override,
    old_spellings,
    out_option,
    progress_options,
    roles_override,
)
from openseeker.errors import ExitCode


@old_spellings({"--n": "--seeds", "--k": "--pages-per-seed"})
@click.command("qa")
@click.option(
    "--corpus", "corpus", type=click.Path(), help="Corpus folder (from 'openseeker corpus ingest')."
)
@out_option("Run folder; records go to RUN/qa/.", type=click.Path())
@click.option("--seeds", "n", type=int, help="Number of seeds to try (default 200).")
@click.option(
    "--pages-per-seed",
    "k",
    type=int,
    help="k: pages gathered around each seed, the difficulty knob (default 6).",
)
@click.option("--lang", type=click.Choice(["en", "zh", "any"]), help="Only seeds in this language.")
@click.option(
    "--config", "config_file", type=click.Path(exists=True, dir_okay=False), help="YAML/TOML config."
)
@endpoint_options()
@click.option("--generator", help="Generator model, provider/model (e.g. llamacpp/smollm2).")
@click.option("--verifier", help="Verifier model, provider/model.")
@click.option("--judge", help="Judge model, provider/model (the style: --judge-style).")
@click.option(
    "--judge-style",
    help="Judge for the closed-book/oracle checks: binary, rules, rules+binary, browsecomp, xbench ...",
)
@click.option(
    "--allow-weak-judge",
    is_flag=True,
    default=None,
    help="Run the judged checks with a judge that failed calibration (records are marked).",
)
@click.option("--concurrency", type=int, help="Seeds in flight at once.")
@executor_options
@click.option("--seed", type=int, help="Random seed (seed choice, expansion, LLM cache scope).")
@click.option("--second-hop", type=int, help="Budget of pages reached through a second hop.")
@click.option("--shortcut-top-k", type=int, help="Reject when the answer page is in the top-k search hits.")
@click.option(
    "--decontam",
    "decontam_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Benchmark questions file to decontaminate against (repeatable; JSONL, CSV or text).",
)
@progress_options
@click.option(
    "--report",
    "report",
    type=click.Path(exists=True, file_okay=False),
    help="Only (re)write the funnel report of an existing run folder, then exit.",
)
def qa(
    corpus: str | None,
    out: str | None,
    n: int | None,
    k: int | None,
    lang: str | None,
    config_file: str | None,
    generator: str | None,
    verifier: str | None,
    judge: str | None,
    judge_style: str | None,
    allow_weak_judge: bool | None,
    concurrency: int | None,
    seed: int | None,
    second_hop: int | None,
    shortcut_top_k: int | None,
    decontam_files: tuple[str, ...],
    no_progress: bool,
    report: str | None,
) -> None:
    """Synthesize fact-grounded, obfuscated multi-hop questions with dual verification.

    \b
    Examples:
      openseeker synth qa --corpus corpus/ --seeds 200 --pages-per-seed 6 --lang en -o run/
      openseeker synth qa --corpus corpus/ --out run/ --generator openai/gpt-4.1 --verifier openai/gpt-4.1
      openseeker synth qa --report run/

    Rerunning the same command resumes: finished seeds are skipped, failed ones retried. Exits with
    status 1 when some seeds failed (counted in RUN/qa/errors.jsonl).
    """
    from openseeker.cli.interrupt import resumable
    from openseeker.config import load_config
    from openseeker.synth.funnel import write_report

    if report:
        paths = write_report(report)
        click.echo(Path(paths["md"]).read_text(encoding="utf-8"))
        click.echo(f"Wrote {paths['json']}, {paths['md']}, {paths['png']}")
        return
    from openseeker.synth.config import QASynthConfig
    from openseeker.synth.qa import run_qa_synthesis

    roles = roles_override(generator=generator, verifier=verifier, judge=judge)
    overrides: dict[str, Any] = {
        "corpus": corpus,
        "out": out,
        "n": n,
        "k": k,
        "lang": lang,
        "concurrency": concurrency,
        "seed": seed,
        "judge_style": judge_style,
        "allow_weak_judge": allow_weak_judge,
    }
    if roles:
        overrides["roles"] = roles
    if second_hop is not None:
        overrides["expand"] = {"second_hop": second_hop}
    checks: dict[str, Any] = {}
    if shortcut_top_k is not None:
        checks["shortcut_top_k"] = shortcut_top_k
    if decontam_files:
        checks.update(decontam="reject", decontam_files=list(decontam_files))
    if checks:
        overrides["checks"] = checks
    if no_progress:
        overrides["progress"] = False
    if (ex := executor_override()) is not None:
        overrides["executor"] = ex
    cfg = load_config(QASynthConfig, config_file, overrides, section="qa")
    run = Path(cfg.out or ".")
    resumable(note=f"Stats and funnel so far: {run / 'qa' / 'stats.json'}, {run / 'qa' / 'funnel.md'}")
    res = run_qa_synthesis(cfg)
    click.echo(
        f"QA synthesis: {res.outputs} accepted, {res.rejected} rejected, {res.errors} failed "
        f"({res.skipped} seeds already done). Records: {run / 'qa'}; funnel: {run / 'qa' / 'funnel.md'}"
    )
    if res.errors:
        click.echo(
            f"{res.errors} seeds failed (see {run / 'qa' / 'errors.jsonl'}); rerun to retry them.", err=True
        )
        click.get_current_context().exit(ExitCode.PARTIAL)
