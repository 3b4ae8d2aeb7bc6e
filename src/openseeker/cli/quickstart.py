"""``openseeker quickstart``: the whole pipeline end to end on the embedded default (or your corpus/models)."""

from __future__ import annotations

from typing import Any

import click

from openseeker.cli.options import endpoint_options, out_option, progress_options, roles_override
from openseeker.errors import ExitCode


@click.command()
@out_option("Run folder (default runs/quickstart). Re-running continues it.", default=None)
@click.option(
    "--corpus",
    default=None,
    help="A corpus folder or a source to ingest, e.g. ../shared/data/wikispeedia "
    "(default: the generated fictional world).",
)
@endpoint_options(
    "provider/model for every role, e.g. openai/gpt-4.1-mini (default: llamacpp/default, the embedded local model)."
)
@click.option(
    "--config",
    "config_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="YAML/TOML config (see examples/quickstart.yaml).",
)
@click.option("--fast", is_flag=True, default=None, help="An even smaller run (smoke test).")
@click.option("--pages", type=int, default=None, help="Pages of the generated world (total over languages).")
@click.option("--seeds", "n_seeds", type=int, default=None, help="QA seeds to try.")
@progress_options
def quickstart(
    out: str | None,
    corpus: str | None,
    config_file: str | None,
    fast: bool | None,
    pages: int | None,
    n_seeds: int | None,
    no_progress: bool,
) -> None:
    """Corpus -> QA synthesis -> trajectories -> SFT export -> evaluation, with the yield funnel.

    \b
    Examples:
      openseeker quickstart
      openseeker quickstart --corpus ../shared/data/wikispeedia --out runs/qs-wiki
      openseeker quickstart --llm openai/gpt-4.1-mini --config examples/paper_scale.yaml
      openseeker quickstart --fast --llm openai/local --base-url http://127.0.0.1:8080/v1

    Exits with status 1 when some inputs of a stage failed (re-running the same command retries them).
    """
    from rich.console import Console

    from openseeker.quickstart import load_quickstart_config, run_quickstart

    console = Console(stderr=True)
    overrides: dict[str, Any] = {"out": out, "corpus": corpus, "fast": fast}
    if no_progress:
        overrides["progress"] = False
    # flags go through the config loader, so that they are validated (and --llm resolved) like the file
    if roles_over := roles_override():
        overrides["roles"] = roles_over
    if pages is not None:
        overrides["world"] = {"n_pages": pages}
    if n_seeds is not None:
        overrides["qa"] = {"n": n_seeds}
    cfg = load_quickstart_config(config_file, overrides)
    console.rule(f"openseeker quickstart -> {cfg.out}")
    console.print(
        f"models: {cfg.roles.default.model} (default role); corpus: {cfg.corpus or 'generated world'}"
    )

    def report(stage: str, message: str) -> None:
        console.print(f"[bold cyan]{stage:>12}[/] {message}")

    from openseeker.cli.interrupt import resumable
    from openseeker.pipeline.stage import stage_lock

    resumable(note=f"Each stage's stats so far are in its folder under {cfg.out}")
    # one quickstart per run folder: besides its locked stages it ingests, splits and exports in place
    with stage_lock(cfg.out, "quickstart"):
        summary = run_quickstart(cfg, report=report)
    print_summary(summary, console)
    failed = failed_stages(summary)
    if failed:
        console.print(
            f"[red]Some inputs failed in: {', '.join(failed)}; re-run the same command to retry.[/]"
        )
        click.get_current_context().exit(ExitCode.PARTIAL)


def failed_stages(summary: dict[str, Any]) -> list[str]:
    """The stages of a quickstart summary with failed inputs (or an evaluation left incomplete)."""
    return [
        name
        for name, info in summary.get("stages", {}).items()
        if isinstance(info, dict) and (info.get("errors") or info.get("complete") is False)
    ]


def print_summary(summary: dict[str, Any], console: Any) -> None:
    """The yield funnel, stage times and where each output lies."""
    from rich.table import Table

    st = summary.get("stages", {})
    funnel = Table(title="Yield funnel", show_header=True)
    funnel.add_column("step")
    funnel.add_column("count", justify="right")
    funnel.add_column("notes")

    def row(step: str, count: Any, notes: Any = "") -> None:
        funnel.add_row(step, "" if count is None else str(count), str(notes or ""))

    c = st.get("corpus", {})
    row(
        "corpus pages",
        c.get("pages"),
        f"{c.get('links', '?')} links" if "links" in c else c.get("reused", ""),
    )
    q = st.get("qa", {})
    row("QA seeds tried", q.get("seeds"))
    row("QA accepted", q.get("accepted"), _reasons(q.get("rejected")) + _errors(q, "qa"))
    wq = st.get("world_questions", {})
    if wq:
        row("+ world-template questions", wq.get("added"), wq.get("reason"))
    s = st.get("split", {})
    row("train / held-out", f"{s.get('train', 0)} / {s.get('heldout', 0)}")
    a = st.get("audit", {})
    if a:
        row(
            "audit: answerable",
            a.get("answerable"),
            f"unique (exact) {a.get('unique_exact')}, unique (blurred) {a.get('unique_fuzzy')}"
            + (
                f", clues true {a.get('clue_truth')} of {a['clue_descriptions']} descriptions"
                if a.get("clue_descriptions")
                else ""
            ),
        )
    t = st.get("trajectories", {})
    row("rollouts", t.get("rollouts"), t.get("skipped", ""))
    judged = (
        f"{t.get('correct', 0)} correct, {t.get('incorrect', 0)} wrong by the {t['judge']} judge"
        + (f" [{t['caveat']}]" if t.get("caveat") else "")
        + "; "
        if t.get("judge") and t.get("judge") != "none"
        else "not judged; "
    )
    row("trajectories kept", t.get("kept"), judged + _reasons(t.get("rejected")) + _errors(t, "trajectories"))
    e = st.get("export", {})
    row("SFT samples", e.get("written"), _reasons(e.get("skipped")))
    v = st.get("eval", {})
    row("held-out evaluated", v.get("questions"), _accuracy_note(v) if "accuracy" in v else v.get("skipped"))
    console.print(funnel)
    times = Table(title="Stage times (s)")
    times.add_column("stage")
    times.add_column("wall", justify="right")
    times.add_column("CPU (all threads)", justify="right")
    for name, info in st.items():
        if isinstance(info, dict) and "seconds" in info:
            times.add_row(name, f"{info['seconds']:.1f}", f"{info.get('cpu_seconds', 0):.1f}")
    times.add_row(
        "[bold]total[/]", f"{summary.get('seconds', 0):.1f}", f"{summary.get('cpu_seconds', 0):.1f}"
    )
    console.print(times)
    console.print("[bold]Outputs[/]")
    for name, path in summary.get("paths", {}).items():
        console.print(f"  {name:>12}: {path}")
    console.print(f"  {'summary':>12}: {summary.get('out')}/quickstart.json")


def _accuracy_note(v: dict[str, Any]) -> str:
    """The held-out accuracy, named by the judge that decided it (and marked when that judge is weak)."""
    acc = v.get("accuracy")
    if not isinstance(acc, int | float):
        return str(acc)
    note = f"accuracy {acc:.2f} ({v.get('correct', 0)} correct, {v.get('wrong', 0)} wrong"
    if v.get("unparsed"):
        note += f", {v['unparsed']} undecided counted wrong"
    note += f"; {v.get('judge', '?')} judge"
    if isinstance(v.get("judge_false_accept"), int | float):
        note += f", false-accept {100 * v['judge_false_accept']:.0f} % on the calibration set"
    note += ")"
    if v.get("caveat"):
        note += f" [{v['caveat']}]"
    return note


def _errors(info: dict[str, Any], stage: str) -> str:
    n = info.get("errors") or 0
    return f" [red]{n} failed (see {stage}/errors.jsonl; re-run to retry)[/]" if n else ""


def _reasons(reasons: Any) -> str:
    if not isinstance(reasons, dict) or not reasons:
        return ""
    return "rejected: " + ", ".join(f"{k} {v}" for k, v in reasons.items())
