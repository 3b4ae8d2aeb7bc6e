"""``openseeker synth traj``: denoised trajectory synthesis (teacher rollouts, judged against the gold)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from openseeker.cli.options import (
    endpoint_options,
    executor_options,
    executor_override,
    out_option,
    progress_options,
    roles_override,
)
from openseeker.errors import ExitCode


@click.command("traj")
@click.option(
    "--qa", "qa", type=click.Path(exists=True), help="QA run folder (RUN/qa/) or JSONL with question/answer."
)
@out_option("Run folder; records go to RUN/trajectories/.", type=click.Path())
@click.option("--corpus", type=click.Path(), help="Local corpus folder for the search/visit tools.")
@click.option(
    "--config", "config_file", type=click.Path(exists=True, dir_okay=False), help="YAML/TOML config."
)
@endpoint_options()
@click.option("--teacher", help="Teacher model, provider/model.")
@click.option("--summarizer", help="Summarizer model (retrospective summaries and visit extraction).")
@click.option("--judge", help="Judge model, provider/model.")
@click.option(
    "--judge-style",
    help="binary, rules, rules+binary, exact+binary, browsecomp, xbench, openseeker-v1, or none (unjudged).",
)
@click.option(
    "--allow-weak-judge",
    is_flag=True,
    default=None,
    help="Keep rollouts on the word of a judge that failed calibration (each is marked).",
)
@click.option("--rollouts", type=int, help="Rollouts per question (default 1).")
@click.option(
    "--context",
    type=click.Choice(["raw", "retrospective"]),
    help="The teacher's view (default retrospective).",
)
@click.option("--min-tool-calls", type=int, help="Reject rollouts with fewer tool calls.")
@click.option("--max-tool-calls", type=int, help="Tool-call limit of a rollout (default 200).")
@click.option(
    "--keep-incorrect", is_flag=True, default=None, help="Keep judged-incorrect rollouts (labelled)."
)
@click.option("--limit", type=int, help="Only the first N questions.")
@click.option("--concurrency", type=int, help="Rollouts in flight at once.")
@executor_options
@click.option(
    "--constrain/--no-constrain", default=None, help="Grammar-constrained turn format (small local models)."
)
@progress_options
def traj(
    qa: str | None,
    out: str | None,
    corpus: str | None,
    config_file: str | None,
    teacher: str | None,
    summarizer: str | None,
    judge: str | None,
    judge_style: str | None,
    allow_weak_judge: bool | None,
    rollouts: int | None,
    context: str | None,
    min_tool_calls: int | None,
    max_tool_calls: int | None,
    keep_incorrect: bool | None,
    limit: int | None,
    concurrency: int | None,
    constrain: bool | None,
    no_progress: bool,
) -> None:
    """Roll out the teacher on each question with a summarized history; keep the judged-correct runs.

    \b
    Examples:
      openseeker synth traj --qa run/ --out run/ --corpus corpus/ --rollouts 4
      openseeker synth traj --qa qa.jsonl --out run/ --teacher openai/gpt-4.1 --summarizer openai/gpt-4.1-mini

    Rerunning the same command resumes: finished rollouts are skipped, failed ones retried. Exits with
    status 1 when some rollouts failed (counted in RUN/trajectories/errors.jsonl).
    """
    from openseeker.cli.interrupt import resumable
    from openseeker.config import load_config
    from openseeker.synth.trajectories import TrajSynthConfig, run_trajectory_synthesis

    overrides: dict[str, Any] = {
        "qa": qa,
        "out": out,
        "judge_style": judge_style,
        "allow_weak_judge": allow_weak_judge,
        "rollouts": rollouts,
        "context": context,
        "min_tool_calls": min_tool_calls,
        "keep_incorrect": keep_incorrect,
        "limit": limit,
        "concurrency": concurrency,
    }
    roles = roles_override(teacher=teacher, summarizer=summarizer, judge=judge)
    if roles:
        overrides["roles"] = roles
    if corpus:
        overrides["tools"] = {"corpus": corpus}
    agent_over = {
        k: v
        for k, v in {"max_tool_calls": max_tool_calls, "constrain_format": constrain}.items()
        if v is not None
    }
    if agent_over:
        overrides["agent"] = agent_over
    if no_progress:
        overrides["progress"] = False
    if (ex := executor_override()) is not None:
        overrides["executor"] = ex
    cfg = load_config(TrajSynthConfig, config_file, overrides, section="traj")
    run = Path(cfg.out or ".")
    resumable(note=f"Stats so far: {run / 'trajectories' / 'stats.json'}")
    res = run_trajectory_synthesis(cfg)
    reasons = res.stats.get("reject_reasons", {})
    click.echo(
        f"Trajectories: {res.outputs} kept, {res.rejected} rejected {reasons}, {res.errors} failed "
        f"({res.skipped} already done). Records: {run / 'trajectories'}"
    )
    if res.errors:
        click.echo(
            f"{res.errors} rollouts failed (see {run / 'trajectories' / 'errors.jsonl'}); rerun to retry.",
            err=True,
        )
        click.get_current_context().exit(ExitCode.PARTIAL)
