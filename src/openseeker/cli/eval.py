"""``openseeker eval``: run an agent on a benchmark, download benchmark files, build reports."""

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


@old_spellings({"--agent": "--config", "-k": "--samples", "--sample": "--subset", "--judge": "--judge-style"})
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
    "--config",
    "agent_config",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML/TOML config with roles, tools and agent sections (an 'eval' section may set any option).",
)
@endpoint_options("The agent's model (and of every role the config leaves unset), provider/model.")
@click.option("--samples", type=int, help="Samples per question (avg@k, pass@k).")
@out_option("Run folder (re-run to resume).")
@click.option("--limit", type=int, help="Only the first N questions.")
@click.option("--ids", help="Question ids: a,b,c or @file.")
@click.option("--subset", "sample", type=int, help="A seeded random subset of N questions.")
@click.option("--seed", type=int, help="Seed of --subset.")
@click.option(
    "--judge-style",
    "judge",
    help="openseeker (our A/B judge), openseeker-v1 (the official A/B prompt), official, binary, browsecomp, "
    "xbench or rules; prefix exact+ or rules+ (e.g. rules+binary).",
)
@click.option("--judge-lang", help="auto, en or zh.")
@click.option(
    "--judge-prompt",
    "judge_prompt",
    type=click.Path(exists=True),
    help="openseeker-v1 judge: a file with the official judge prompt, or a checkout of the official repository.",
)
@click.option(
    "--allow-weak-judge",
    is_flag=True,
    default=None,
    help="Run even if the judge fails calibration; every number is then marked 'weak judge'.",
)
@click.option("--concurrency", type=int, help="Items in flight.")
@progress_options
@executor_options
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
    judge_prompt: str | None,
    allow_weak_judge: bool | None,
    concurrency: int | None,
    no_progress: bool,
) -> None:
    """Run the agent on a benchmark, judge every answer and write per-item records and results.json.

    The judge is calibrated first (cached; see 'openseeker eval calibrate-judge') and refused when it
    accepts too many wrong answers, unless --allow-weak-judge. Exits with status 1 when some items failed
    (re-run the same command to retry them).
    """
    from openseeker.cli.interrupt import resumable
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
        "judge_prompt_source": judge_prompt,
        "allow_weak_judge": allow_weak_judge,
        "concurrency": concurrency,
        "progress": not no_progress,
    }
    if (ex := executor_override()) is not None:
        overrides["executor"] = ex
    overrides["roles"] = roles_override()
    cfg = load_config(EvalConfig, agent_config, overrides, section="eval")
    resumable(note=f"Stats so far: {Path(cfg.out) / 'eval' / 'stats.json'}")
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
    mark = f" [{a['caveat']}]" if a.get("caveat") else ""
    t = Table(title=f"{meta.get('benchmark', '')}: {a['n']} records{mark}")
    for col in (
        "acc (unparsed = wrong)",
        "acc_parsed",
        "acc_official",
        "± ci95",
        "correct",
        "wrong",
        "unparsed",
        "avg@k",
        "pass@k",
        "tool calls",
    ):
        t.add_column(col)
    smp = s.get("samples", {})
    official = a.get("acc_official")
    t.add_row(
        f"{100 * a['acc']:.1f}%",
        f"{100 * a['acc_parsed']:.1f}%",
        "n/a" if official is None else f"{100 * official:.1f}%",
        f"{100 * a['ci95']:.1f}",
        str(a["correct"]),
        str(a["wrong"]),
        str(a["unparsed"]),
        f"{100 * smp.get('avg_at_k', 0):.1f}%",
        f"{100 * smp.get('pass_at_k', 0):.1f}%",
        f"{s['tool_calls']['mean']:.1f}",
    )
    console = Console()
    console.print(t)
    console.print(
        f"judge: {meta.get('judge_style')} on {meta.get('judge_model')} ({meta.get('prompt_version')}); "
        f"verdicts decided by: {s.get('judge_methods', {})}"
    )
    cal = s.get("judge_calibration") or {}
    if "agreement" in cal:
        state = "passed" if cal.get("passed") else "FAILED, allowed as weak"
        console.print(
            f"judge calibration ({state}): agreement {100 * cal['agreement']:.1f} %, false-accept "
            f"{100 * cal['false_accept']:.1f} %, false-reject {100 * cal['false_reject']:.1f} % "
            f"on {cal['n']} labelled items"
        )
    if mark:
        console.print(f"[bold red]Every number above rests on a {a['caveat']}.[/]")


@old_spellings({"--style": "--judge-style"})
@eval_group.command("calibrate-judge")
@click.option(
    "--judge",
    "model",
    help="The judge model, provider/model (e.g. llamacpp/default, openai/gpt-4.1-mini); default: the judge "
    "role of --config. Not needed for --judge-style rules.",
)
@click.option(
    "--judge-style",
    "style",
    default="binary",
    show_default=True,
    help="binary (= openseeker), openseeker-v1, browsecomp, xbench or rules; prefix exact+ or rules+.",
)
@click.option("--base-url", help="Endpoint of the judge model (vLLM, SGLang, llama.cpp server ...).")
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML/TOML with roles (the judge role is used) and an eval section (judge_prompt_source ...).",
)
@click.option(
    "--judge-prompt", type=click.Path(exists=True), help="openseeker-v1: the official judge prompt."
)
@click.option("--lang", default="auto", show_default=True, help="auto (each item's language), en or zh.")
@click.option("--max-false-accept", type=float, default=None, help="The refusal threshold (default 0.10).")
@click.option(
    "--max-tokens", type=int, help="Generation budget of one judge reply (default: the provider's)."
)
@click.option("--no-cache", is_flag=True, help="Measure again even if a cached calibration exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the full calibration as JSON.")
def calibrate_judge_cmd(
    model: str | None,
    style: str,
    base_url: str | None,
    config_file: str | None,
    judge_prompt: str | None,
    lang: str,
    max_false_accept: float | None,
    max_tokens: int | None,
    no_cache: bool,
    as_json: bool,
) -> None:
    """Measure a judge on the built-in labelled set: agreement, false-accept and false-reject rates.

    The same calibration (cached per model and prompt version) gates every 'eval run', the rejection
    sampling of 'synth traj' and the checks of 'synth qa'. Exits with status 1 when the judge would be
    refused (false-accept above the threshold).
    """
    import asyncio

    import orjson
    from rich.console import Console
    from rich.table import Table

    from openseeker.config import load_config
    from openseeker.evaluate.runner import EvalConfig
    from openseeker.judge import get_judge
    from openseeker.judge.calibration import DEFAULT_MAX_FALSE_ACCEPT, calibrate
    from openseeker.llm.registry import Roles
    from openseeker.llm.types import GenerateConfig

    cfg = load_config(EvalConfig, config_file, {"benchmark": "custom"}, section="eval")
    roles_cfg = cfg.roles
    if model or base_url:
        judge_cfg = roles_cfg.for_role("judge")
        update: dict[str, Any] = {}
        if model:
            update["model"] = model
        if base_url:
            update["base_url"] = base_url
        roles_cfg = roles_cfg.model_copy(update={"judge": judge_cfg.model_copy(update=update)})
    spec = "binary" if style == "openseeker" else style.replace("openseeker+", "binary+")
    threshold = max_false_accept if max_false_accept is not None else cfg.max_false_accept
    source = judge_prompt or cfg.judge_prompt_source

    async def run() -> Any:
        roles = Roles(roles_cfg)
        try:
            llm = None if spec == "rules" else roles["judge"]
            built: dict[str, Any] = {}

            def judge_for(item_lang: str) -> Any:
                key = item_lang if lang == "auto" else lang
                if key not in built:
                    built[key] = get_judge(
                        spec,
                        llm,
                        key,
                        prompt_source=source,
                        generation=GenerateConfig(
                            temperature=0.0, max_tokens=max_tokens or cfg.judge_max_tokens
                        ),
                    )
                return built[key]

            return await calibrate(judge_for, use_cache=not no_cache)
        finally:
            await roles.aclose()

    cal = asyncio.run(run())
    cal.threshold = threshold if threshold is not None else DEFAULT_MAX_FALSE_ACCEPT
    cal.passed = cal.worst_false_accept <= cal.threshold
    if as_json:
        click.echo(orjson.dumps(cal.summary(), option=orjson.OPT_INDENT_2).decode())
    else:
        console = Console()
        t = Table(title=f"Judge calibration: {cal.judge} on {cal.model} (set {cal.set_version})")
        for col in ("items", "agreement", "false-accept", "false-reject", "unparsed", "decided by"):
            t.add_column(col)
        rows = [("all", cal.n, cal.agreement, cal.false_accept, cal.false_reject, cal.unparsed)]
        rows += [
            (k, v["n"], v["agreement"], v["false_accept"], v["false_reject"], v["unparsed"])
            for k, v in cal.by_lang.items()
        ]
        for i, (name, n, ag, fa, fr, un) in enumerate(rows):
            t.add_row(
                f"{name} ({n})",
                f"{100 * ag:.1f} %",
                f"{100 * fa:.1f} %",
                f"{100 * fr:.1f} %",
                str(un),
                ", ".join(f"{k} {v}" for k, v in cal.methods.items()) if i == 0 else "",
            )
        console.print(t)
        kinds = ", ".join(f"{k} {v['agree']}/{v['n']}" for k, v in cal.by_kind.items())
        console.print(f"agreement by kind: {kinds}")
        console.print(f"prompt: {cal.prompt_version}; {'cached' if cal.cached else f'{cal.seconds:.1f} s'}")
        verdict = "passes" if cal.passed else "[bold red]would be REFUSED[/]"
        console.print(
            f"false-accept limit {100 * cal.threshold:.0f} % (overall and per language; worst "
            f"{100 * cal.worst_false_accept:.1f} %): the judge {verdict}"
        )
    if not cal.passed:
        click.get_current_context().exit(1)


@eval_group.command("report")
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--out", "-o", required=True, help="Output folder for report.md and report.html.")
def report_cmd(runs: tuple[str, ...], out: str) -> None:
    """Markdown and self-contained HTML report over one or more run folders."""
    from openseeker.evaluate.report import build_report

    paths = build_report(list(runs), out)
    click.echo(f"Wrote {paths['markdown']} and {paths['html']}")


@old_spellings({"--dir": "--out"})
@eval_group.command("download")
@click.argument("benchmark")
@out_option("Destination folder (pass it as --data later).", dest="dest", required=True)
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

    for name in benchmarks.names():
        b = get_benchmark(name)
        click.echo(
            f"{name:24s} judge={b.judge_style:10s} lang={b.lang}  files={len(getattr(b, 'files', []))}"
        )
