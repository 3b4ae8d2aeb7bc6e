"""``openseeker export``: SFT datasets from trajectories, and import of released OpenSeeker data."""

from __future__ import annotations

import json

import click

from openseeker.errors import ExitCode


@click.group()
def export() -> None:
    """Export trajectories for SFT (TRL messages, OpenSeeker-v1-Data, ShareGPT) and import released data."""


@export.command("sft")
@click.option(
    "--run",
    "run",
    required=True,
    multiple=True,
    type=click.Path(exists=True),
    help="Run folder (RUN/trajectories/) or a trajectory JSONL file; repeat to mix several.",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output JSONL file.")
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
@click.option("--min-tool-calls", type=int, default=0, show_default=True)
@click.option("--max-tool-calls", type=int, default=None)
@click.option(
    "--max-tokens", type=int, default=None, help="Drop samples longer than this (estimated tokens)."
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
    help="Dataset name in the LLaMA-Factory dataset_info entry (sharegpt).",
)
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
) -> None:
    """Write the student view (raw tool responses, the teacher's turns) as an SFT dataset.

    \b
    Examples:
      openseeker export sft --run run/ --out sft.jsonl
      openseeker export sft --run run/ --run released/ --format openseeker --out mixed.jsonl
      openseeker export sft --run run/ --format sharegpt --out data/openseeker.jsonl --max-tokens 32000
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
    )
    click.echo(json.dumps(rep.to_dict(), indent=2))
    if rep.written == 0:
        click.echo("No trajectory passed the filters (see 'skipped').", err=True)


@export.command("import-openseeker")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out", required=True, type=click.Path(file_okay=False), help="Run folder to write (RUN/trajectories/)."
)
@click.option("--limit", type=int, default=None, help="Only the first N rows.")
@click.option("--no-progress", is_flag=True)
def import_openseeker_cmd(file: str, out: str, limit: int | None, no_progress: bool) -> None:
    """Import rows of the released OpenSeeker-v1-Data layout as trajectory records.

    \b
    Example:
      openseeker export import-openseeker openseeker_v1_data.jsonl --out released/
    """
    from openseeker.export.openseeker_data import import_openseeker

    res = import_openseeker(file, out, limit=limit, progress=not no_progress)
    click.echo(
        f"Imported {res.outputs} trajectories into {res.path}; {res.rejected} rows rejected "
        f"{res.stats.get('reject_reasons', {})}; {res.skipped} already done."
    )
    if res.errors:
        click.echo(f"{res.errors} rows failed (see {res.path / 'errors.jsonl'}); rerun to retry.", err=True)
        click.get_current_context().exit(ExitCode.PARTIAL)
