"""``openseeker export``: SFT datasets from trajectories, and import of released OpenSeeker data."""

from __future__ import annotations

import json
from typing import Any

import click

from openseeker.cli.options import old_spellings, out_option, progress_options
from openseeker.errors import ExitCode


@click.group()
def export() -> None:
    """Export trajectories for SFT (TRL messages, OpenSeeker-v1-Data, ShareGPT) and import released data."""


@old_spellings({"--max-tokens": "--max-seq-length"})
@export.command("sft")
@click.option(
    "--run",
    "run",
    required=True,
    multiple=True,
    type=click.Path(exists=True),
    help="Run folder (RUN/trajectories/) or a trajectory JSONL file; repeat to mix several.",
)
@out_option("Output JSONL file.", required=True, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["messages", "openseeker", "sharegpt"]),
    default="messages",
    show_default=True,
    help="messages: TRL/OpenAI; openseeker: released layout; sharegpt: LLaMA-Factory.",
)
@click.option(
    "--correctness",
    type=click.Choice(["correct", "incorrect", "judged", "any"]),
    default="correct",
    show_default=True,
    help="Which trajectories by the judge's verdict.",
)
@click.option("--min-tool-calls", type=int, default=0, show_default=True, help="Drop trajectories with fewer tool calls.")
@click.option("--max-tool-calls", type=int, default=None, help="Drop trajectories with more tool calls.")
@click.option(
    "--max-seq-length",
    "max_tokens",
    type=int,
    default=None,
    help="Drop samples longer than this many tokens (estimated as characters / 4, or counted with --tokenizer).",
)
@click.option(
    "--tokenizer", default=None, help="Count tokens with this Hugging Face tokenizer (needs transformers)."
)
@click.option("--allow-no-answer", is_flag=True, help="Keep trajectories that ended without an <answer>.")
@click.option(
    "--name",
    "dataset_name",
    default="openseeker_sft",
    show_default=True,
    help="Dataset name in the LLaMA-Factory dataset_info.json entry (sharegpt).",
)
@click.option(
    "--tool-calls",
    type=click.Choice(["text", "function_call"]),
    default="text",
    show_default=True,
    help="sharegpt: tool calls as text inside gpt turns, or as LLaMA-Factory function_call turns + tools column.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the export report as JSON.")
def sft(
    run: tuple[str, ...],
    out: str,
    fmt: str,
    correctness: str,
    min_tool_calls: int,
    max_tool_calls: int | None,
    max_tokens: int | None,
    tokenizer: str | None,
    allow_no_answer: bool,
    dataset_name: str,
    tool_calls: str,
    as_json: bool,
) -> None:
    """Write the student view (raw tool responses, the teacher's turns) as an SFT dataset.

    \b
    Examples:
      openseeker export sft --run run/ --out sft.jsonl
      openseeker export sft --run run/ --run released/ --format openseeker --out mixed.jsonl
      openseeker export sft --run run/ --format sharegpt -o data/openseeker.jsonl --max-seq-length 32000
      openseeker export sft --run run/ --format sharegpt --tool-calls function_call --out data/os_fc.jsonl

    The sharegpt format also writes (or adds its entry to) dataset_info.json in the output folder,
    the file LLaMA-Factory reads: point its dataset_dir there.
    """
    from openseeker.agent.context import chars_per_token, tokenizer_counter
    from openseeker.export.sft import export_sft

    counter = tokenizer_counter(tokenizer) if tokenizer else chars_per_token
    rep = export_sft(
        list(run),
        out,
        fmt,
        correctness=correctness,  # type: ignore[arg-type]
        min_tool_calls=min_tool_calls,
        max_tool_calls=max_tool_calls,
        max_tokens=max_tokens,
        require_answer=not allow_no_answer,
        token_counter=counter,
        dataset_name=dataset_name,
        tool_calls=tool_calls,
    )
    if as_json:
        click.echo(json.dumps(rep.to_dict(), indent=2))
    else:
        _print_report(rep, estimated=tokenizer is None)
    if rep.written == 0:
        click.echo("No trajectory passed the filters (see the skipped rows).", err=True)


def _print_report(rep: Any, *, estimated: bool) -> None:
    """The export report as a table: what was read, written and skipped (by reason), and the files."""
    from rich.console import Console
    from rich.table import Table

    t = Table("", "trajectories", title=f"SFT export ({rep.format})", title_justify="left")
    t.add_row("read", str(rep.read))
    t.add_row("[bold]written[/]", f"[bold]{rep.written}[/]")
    for reason, n in rep.skipped.items():
        t.add_row(f"skipped: {reason}", str(n))
    console = Console()
    console.print(t)
    if rep.written:
        console.print(
            f"per sample: {rep.tokens_mean:g} tokens on average (max {rep.tokens_max}"
            + ("; estimated as characters / 4, --tokenizer counts them" if estimated else "")
            + f"), {rep.tool_calls_mean:g} tool calls on average",
            soft_wrap=True,
        )
    console.print(f"wrote {rep.out} (+ {rep.out}.report.json)", soft_wrap=True)
    for extra in rep.extra_files:
        console.print(f"wrote {extra}", soft_wrap=True)


@export.command("import-openseeker")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@out_option("Run folder to write (RUN/trajectories/).", required=True, type=click.Path(file_okay=False))
@click.option("--limit", type=int, default=None, help="Only the first N rows.")
@progress_options
def import_openseeker_cmd(file: str, out: str, limit: int | None, no_progress: bool) -> None:
    """Import rows of the released OpenSeeker-v1-Data layout as trajectory records.

    \b
    Example:
      openseeker export import-openseeker openseeker_v1_data.jsonl --out released/
    """
    from openseeker.cli.interrupt import resumable
    from openseeker.export.openseeker_data import import_openseeker

    resumable()
    res = import_openseeker(file, out, limit=limit, progress=not no_progress)
    click.echo(
        f"Imported {res.outputs} trajectories into {res.path}; {res.rejected} rows rejected "
        f"{res.stats.get('reject_reasons', {})}; {res.skipped} already done."
    )
    if res.errors:
        click.echo(f"{res.errors} rows failed (see {res.path / 'errors.jsonl'}); rerun to retry.", err=True)
        click.get_current_context().exit(ExitCode.PARTIAL)
