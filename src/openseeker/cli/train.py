"""``openseeker train``: supervised fine-tuning of the student on exported trajectories."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from openseeker.cli.options import out_option
from openseeker.config import load_config


@click.group()
def train() -> None:
    """Supervised fine-tuning (TRL + transformers + PEFT) on SFT exports."""


def _overrides(**flags: Any) -> dict[str, Any]:
    lora = {k: flags.pop(k) for k in ("r", "alpha") if k in flags}
    lora = {k: v for k, v in lora.items() if v is not None}
    launch = {
        "accelerate_config": flags.pop("accelerate_config", None),
        "num_processes": flags.pop("num_processes", None),
    }
    launch = {k: v for k, v in launch.items() if v is not None}
    out = {k: v for k, v in flags.items() if v is not None}
    if lora:
        out["lora"] = lora
    if launch:
        out["launch"] = launch
    return out


@train.command("sft")
@click.option(
    "--data",
    "data",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Export file or folder (openseeker `messages` JSONL or OpenSeeker-v1-Data rows).",
)
@click.option("--model", "model", required=True, help="Base model: a local folder (or a hub id when online).")
@out_option("Run folder.", required=True, type=click.Path(path_type=Path))
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, path_type=Path),
    help="YAML/TOML with SFTTrainConfig keys (optionally under a `train:` section).",
)
@click.option("--mode", type=click.Choice(["full", "lora"]), help="Full fine-tune or LoRA.")
@click.option("--max-seq-length", type=int, help="Tokens per sample.")
@click.option(
    "--overlong", type=click.Choice(["drop", "truncate"]), help="Policy for samples over max-seq-length."
)
@click.option("--epochs", type=float, help="Training epochs.")
@click.option("--max-steps", type=int, help="Stop after N optimizer steps.")
@click.option("--lr", "learning_rate", type=float, help="Peak learning rate.")
@click.option("--batch-size", "per_device_batch_size", type=int, help="Per-device batch size.")
@click.option("--grad-accum", "gradient_accumulation_steps", type=int, help="Gradient accumulation steps.")
@click.option("--lora-r", "r", type=int, help="LoRA rank.")
@click.option("--lora-alpha", "alpha", type=int, help="LoRA alpha.")
@click.option("--seed", type=int, help="Random seed (data order, init of LoRA weights).")
@click.option(
    "--only-correct/--all-rows",
    "only_correct",
    default=None,
    help="Train only on trajectories labelled correct.",
)
@click.option(
    "--deepspeed",
    type=click.Path(exists=True, path_type=Path),
    help="DeepSpeed config (JSON, or YAML read into a dict).",
)
@click.option(
    "--accelerate-config",
    type=click.Path(exists=True, path_type=Path),
    help="Re-run this command under `accelerate launch --config_file FILE`.",
)
@click.option("--num-processes", type=int, help="With --accelerate-config: processes (GPUs) to start.")
@click.option("--resume", is_flag=True, help="Continue from the last checkpoint in OUT/checkpoints.")
@click.option(
    "--dry-run", is_flag=True, help="Prepare the data and write data_report.json, but do not train."
)
def sft(
    data: Path, model: str, out: Path, config_file: Path | None, resume: bool, dry_run: bool, **flags: Any
) -> None:
    """Fine-tune MODEL on the export DATA; weights, logs and data report go to OUT.

    Loss is on the agent's own tokens only (reasoning, tool calls, answers); every assistant turn keeps
    its <think> block, as at inference. Multi-GPU: pass --accelerate-config (or run this command under
    `accelerate launch` yourself).
    """
    from openseeker.train.config import SFTTrainConfig
    from openseeker.train.launch import already_launched, build_launch_command, exec_launch

    cfg = load_config(SFTTrainConfig, config_file, _overrides(**flags), section="train")
    if cfg.launch.accelerate_config is not None and not already_launched() and not dry_run:
        cmd = build_launch_command(
            cfg.launch, _argv_from_train() or _rebuild_args(click.get_current_context())
        )
        click.echo("launching: " + " ".join(cmd), err=True)
        exec_launch(cmd)
        return

    if dry_run:
        from openseeker.train.dataset import prepare_sft_data, write_data_report
        from openseeker.train.sft import load_tokenizer

        prepared = prepare_sft_data(data, load_tokenizer(model), cfg)
        path = write_data_report(out, prepared)
        click.echo(f"data: {prepared.report.summary()}")
        click.echo(f"report: {path}")
        return

    from openseeker.train.sft import run_sft

    result = run_sft(data, model, out, cfg, resume=resume, echo=lambda s: click.echo(s, err=True))
    if result.interrupted:
        from openseeker.cli.interrupt import command_line
        from openseeker.errors import ExitCode

        click.echo(
            f"Interrupted after step {result.steps} of {result.max_steps}; checkpoint: {result.checkpoint}\n"
            f"Resume with:\n  {command_line(extra=['--resume'])}",
            err=True,
        )
        click.get_current_context().exit(ExitCode.INTERRUPTED)
    first = f"{result.losses[0]:.4f}" if result.losses else "n/a"
    last = f"{result.losses[-1]:.4f}" if result.losses else "n/a"
    click.echo(f"trained {result.steps} steps; loss {first} -> {last}; model: {result.model_dir}")


def _argv_from_train() -> list[str] | None:
    """``sys.argv`` from ``train sft`` on, when this process was started as ``openseeker ... train sft``."""
    argv = sys.argv[1:]
    for i in range(len(argv) - 1):
        if argv[i : i + 2] == ["train", "sft"]:
            return argv[i:]
    return None


def _rebuild_args(ctx: click.Context) -> list[str]:
    """The ``train sft`` argv from the parsed parameters (when called through CliRunner or the API)."""
    args = ["train", "sft"]
    for name, value in ctx.params.items():
        if value is None or value is False or name in ("accelerate_config", "num_processes"):
            continue
        opt = next(p for p in ctx.command.params if p.name == name)
        flag = opt.opts[0]
        if value is True:
            args.append(flag)
        else:
            args += [flag, str(value)]
    return args


@train.command("render")
@click.option(
    "--data",
    "data",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Export file or folder.",
)
@click.option("--index", default=0, show_default=True, help="Which conversation to show.")
@click.option("--model", "model", default=None, help="Show token-level masking with this model's tokenizer.")
def render(data: Path, index: int, model: str | None) -> None:
    """Print one conversation as the trainer sees it: trainable text in green, masked text dimmed."""
    from rich.console import Console
    from rich.text import Text

    from openseeker.errors import DataError
    from openseeker.train.data import iter_conversations
    from openseeker.train.render import IGNORE_INDEX, render_segments, tokenize_conversation

    conv = next((c for i, c in enumerate(iter_conversations(data)) if i == index), None)
    if conv is None:
        raise DataError(f"no conversation at index {index}", path=str(data))
    console = Console()
    text = Text()
    if model is None:
        for seg in render_segments(conv.messages):
            text.append(seg.text, style="green" if seg.trainable else "dim")
    else:
        from openseeker.train.sft import load_tokenizer

        tok = load_tokenizer(model)
        sample = tokenize_conversation(conv.messages, tok, 10**9, "drop")
        for tid, lab in zip(sample.input_ids, sample.labels, strict=True):
            text.append(tok.decode([tid]), style="dim" if lab == IGNORE_INDEX else "green")
    console.print(text)
    console.print(f"[bold]{conv.id}[/] ({conv.fmt}, {conv.source})")
