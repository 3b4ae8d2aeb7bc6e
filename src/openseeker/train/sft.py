"""``run_sft``: supervised fine-tuning of the student on an export, with TRL's SFTTrainer.

The data arrive pre-tokenized (``input_ids`` + ``labels`` from :mod:`openseeker.train.render`), so TRL does
no templating of its own: the loss mask is ours and is checked token by token in the tests.

Run folder (``out``)::

    config.yaml          resolved SFTTrainConfig (plus data/model paths)
    data_report.json     kept / truncated / dropped counts and token statistics
    data_rejects.jsonl   every row that did not become a sample, with its source and reason
    tokenized/node<k>/   the tokenized export (Arrow), one copy per node
    checkpoints/         trainer checkpoints (resumable with resume=True)
    model/               final weights (full model, or the LoRA adapter) and tokenizer
    model_merged/        LoRA merged into the base (only with lora.merge_on_save)
    train_log.jsonl      the trainer's log history (loss, learning rate, grad norm per logging step)
    train_result.json    summary: steps, first/last loss, runtime (``interrupted: true`` after a Ctrl-C)

Ctrl-C stops at the end of the current step with a checkpoint in ``checkpoints/`` (see
:mod:`openseeker.train.control`); ``resume=True`` continues from it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

import orjson

from openseeker.config import dump_config
from openseeker.errors import ConfigError, DataError, missing_extra
from openseeker.io.jsonl import write_jsonl
from openseeker.train.config import SFTTrainConfig
from openseeker.train.dataset import DataReport, prepare_sft_data_to_file, read_data_report, write_data_report
from openseeker.train.render import IM_END, IM_START

log = logging.getLogger(__name__)


@dataclasses.dataclass
class SFTResult:
    """What a training run produced.

    Attributes:
        out_dir: the run folder.
        model_dir: final weights (or adapter) and tokenizer.
        steps: optimizer steps taken.
        losses: training loss at each logging step.
        data: the prepared-data report.
        interrupted: training was stopped by Ctrl-C (``model_dir`` was not written; resume from
            ``checkpoint``).
        checkpoint: the checkpoint saved when interrupted.
        max_steps: the optimizer steps the whole run is planned for.
    """

    out_dir: Path
    model_dir: Path
    steps: int
    losses: list[float]
    data: dict[str, Any]
    interrupted: bool = False
    checkpoint: Path | None = None
    max_steps: int = 0


def _require_stack() -> None:
    for pkg in ("torch", "transformers", "trl", "datasets"):
        try:
            __import__(pkg)
        except ImportError:
            raise missing_extra(pkg, "train", "openseeker train") from None


def _is_main_process() -> bool:
    return os.environ.get("RANK", "0") == "0" and os.environ.get("LOCAL_RANK", "0") in ("0", "-1")


def resolve_precision(cfg: SFTTrainConfig) -> tuple[bool, bool]:
    """``(bf16, fp16)`` flags for the trainer: ``auto`` means bf16 on a capable GPU, fp32 otherwise."""
    import torch

    if cfg.precision == "bf16":
        return True, False
    if cfg.precision == "fp16":
        return False, True
    if cfg.precision == "fp32" or cfg.use_cpu or not torch.cuda.is_available():
        return False, False
    return bool(torch.cuda.is_bf16_supported()), False


def load_tokenizer(model_path: str | Path) -> Any:
    """Load the model's tokenizer, checking the ChatML tokens and giving it a pad token if it lacks one."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_path))
    vocab = tok.get_vocab()
    missing = [t for t in (IM_START, IM_END) if t not in vocab]
    if missing:
        # Still trainable (the markers become several ordinary tokens), but the model will not match an
        # inference server that expects single special tokens: say so loudly.
        log.warning(
            "tokenizer at %s has no single token for %s; ChatML markers will be split", model_path, missing
        )
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token if tok.eos_token is not None else IM_END
    return tok


def deepspeed_config(path: Path) -> str | dict[str, Any]:
    """A DeepSpeed config for transformers: JSON files go by path, YAML files are read into a dict.

    transformers only parses JSON; accepting YAML lets the examples stay in one format and carry comments.
    """
    if path.suffix in (".yaml", ".yml"):
        from openseeker.config import read_config_file

        return read_config_file(path)
    if not path.exists():
        raise ConfigError(f"DeepSpeed config {str(path)!r} does not exist")
    return str(path)


def _arg_names(cls: type) -> set[str]:
    import inspect

    return set(inspect.signature(cls).parameters)


def build_sft_args(cfg: SFTTrainConfig, out_dir: Path, has_eval: bool) -> Any:
    """The TRL ``SFTConfig`` for ``cfg`` (training arguments only; data is pre-tokenized)."""
    from trl import SFTConfig  # type: ignore[attr-defined]

    bf16, fp16 = resolve_precision(cfg)
    kwargs: dict[str, Any] = {
        "output_dir": str(out_dir / "checkpoints"),
        "num_train_epochs": cfg.epochs,
        "max_steps": cfg.max_steps,
        "learning_rate": cfg.learning_rate,
        "lr_scheduler_type": cfg.lr_scheduler,
        "warmup_steps": float(cfg.warmup_ratio) if cfg.warmup_ratio > 0 else 0,
        "weight_decay": cfg.weight_decay,
        "max_grad_norm": cfg.max_grad_norm,
        "per_device_train_batch_size": cfg.per_device_batch_size,
        "per_device_eval_batch_size": cfg.per_device_batch_size,
        "gradient_accumulation_steps": cfg.gradient_accumulation_steps,
        "bf16": bf16,
        "fp16": fp16,
        "seed": cfg.seed,
        "data_seed": cfg.seed,
        "logging_steps": cfg.logging_steps,
        "logging_first_step": True,
        "save_strategy": cfg.save_strategy,
        "save_steps": cfg.save_steps,
        "save_total_limit": cfg.save_total_limit,
        "report_to": cfg.report_to or "none",
        "use_cpu": cfg.use_cpu,
        "dataloader_num_workers": cfg.dataloader_num_workers,
        "eval_strategy": ("epoch" if cfg.save_strategy == "epoch" else "steps") if has_eval else "no",
        "eval_steps": cfg.save_steps if has_eval else None,
        # data are tokenized and truncated by us; TRL's own truncation is a no-op at this length
        "max_length": cfg.max_seq_length,
        "packing": cfg.packing,
        "padding_free": cfg.packing,
        "shuffle_dataset": True,
        "remove_unused_columns": True,
    }
    # transformers 5 renamed gradient_checkpointing to activation_checkpointing (the old name warns)
    ckpt = (
        "activation_checkpointing"
        if "activation_checkpointing" in _arg_names(SFTConfig)
        else "gradient_checkpointing"
    )
    kwargs[ckpt] = cfg.gradient_checkpointing
    if cfg.gradient_checkpointing:
        kwargs[f"{ckpt}_kwargs"] = {"use_reentrant": False}
    if cfg.router_aux_loss_coef is not None:
        kwargs["router_aux_loss_coef"] = cfg.router_aux_loss_coef
    if cfg.deepspeed is not None:
        kwargs["deepspeed"] = deepspeed_config(cfg.deepspeed)
    if cfg.fsdp:
        kwargs["fsdp"] = cfg.fsdp
        if cfg.fsdp_config is not None:
            kwargs["fsdp_config"] = str(cfg.fsdp_config)
    return SFTConfig(**kwargs)


def build_peft_config(cfg: SFTTrainConfig) -> Any:
    """A PEFT ``LoraConfig`` for ``mode: lora``, else None."""
    if cfg.mode != "lora":
        return None
    try:
        from peft import LoraConfig
    except ImportError:
        raise missing_extra("peft", "train", "LoRA training") from None
    return LoraConfig(
        r=cfg.lora.r,
        lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout,
        target_modules=cfg.lora.target_modules,
        task_type="CAUSAL_LM",
    )


def load_model(model_path: str | Path, cfg: SFTTrainConfig) -> Any:
    """Load the base model in the training precision."""
    import torch
    from transformers import AutoModelForCausalLM

    bf16, fp16 = resolve_precision(cfg)
    dtype = torch.bfloat16 if bf16 else torch.float16 if fp16 else torch.float32
    kwargs: dict[str, Any] = {"dtype": dtype}
    if cfg.attn_implementation:
        kwargs["attn_implementation"] = cfg.attn_implementation
    model = AutoModelForCausalLM.from_pretrained(str(model_path), **kwargs)
    if cfg.gradient_checkpointing:
        model.config.use_cache = False  # the KV cache is useless in training and conflicts with checkpointing
    return model


_FLASH = ("flash_attention_2", "flash_attention_3", "kernels-community/vllm-flash-attn3")


def _node_rank() -> int:
    """This process's node index (0 on a single machine), from the launcher's environment."""
    if "GROUP_RANK" in os.environ:  # torchrun / accelerate set it per node
        return int(os.environ["GROUP_RANK"])
    rank, local_world = os.environ.get("RANK"), os.environ.get("LOCAL_WORLD_SIZE")
    return int(rank) // max(int(local_world), 1) if rank and local_world else 0


def _prepare_datasets(
    data: str | Path, tokenizer: Any, cfg: SFTTrainConfig, args: Any, out_dir: Path, main: bool
) -> tuple[Any, Any, DataReport]:
    """Tokenize once per node into ``out/tokenized/node<k>/``; every rank of the node memory-maps the file.

    One file per node, written by the node's first process while the others wait, works both with a
    shared run folder and with node-local disks. Rank 0 also writes the run's data report.
    """
    from datasets import Dataset

    node_dir = out_dir / "tokenized" / f"node{_node_rank()}"
    arrow = node_dir / "train.arrow"
    with args.main_process_first(local=True, desc="tokenize the export"):
        if args.local_process_index == 0:
            prepared = prepare_sft_data_to_file(data, tokenizer, cfg, arrow)
            write_data_report(node_dir, prepared)
            if main:
                write_data_report(out_dir, prepared)
        report = read_data_report(node_dir)
    if report.kept == 0:
        raise DataError(
            f"no trainable sample left ({report.summary()}); see {out_dir / 'data_rejects.jsonl'}",
            path=str(data),
        )
    ds = Dataset.from_file(str(arrow)).select_columns(["input_ids", "labels"])
    if cfg.eval_fraction > 0:
        if len(ds) < 2:
            raise ConfigError(f"eval_fraction={cfg.eval_fraction} needs at least 2 samples, got {len(ds)}")
        split = ds.train_test_split(test_size=cfg.eval_fraction, seed=cfg.seed)
        return split["train"], split["test"], report
    return ds, None, report


def run_sft(
    data: str | Path,
    model: str | Path,
    out: str | Path,
    cfg: SFTTrainConfig,
    *,
    resume: bool = False,
    echo: Any = None,
    callbacks: list[Any] | None = None,
) -> SFTResult:
    """Fine-tune ``model`` on the export ``data``; write everything into ``out``.

    Args:
        data: an export file or folder (openseeker ``messages`` rows or OpenSeeker-v1-Data rows).
        model: a local Hugging Face model folder (or hub id when the hub is reachable).
        out: the run folder.
        cfg: training settings.
        resume: continue from the last checkpoint in ``out/checkpoints``.
        echo: a callable taking one string for progress messages (default: the logger).
        callbacks: more transformers ``TrainerCallback`` objects.

    Raises:
        DataError: the export is malformed or yields no trainable sample.
        PrerequisiteError: the ``train`` extra is not installed.
    """
    _require_stack()
    from openseeker.train.control import InterruptRequest, OpenSeekerSFTTrainer, StopOnInterrupt

    out_dir = Path(out)
    main = _is_main_process()
    emit = echo or log.info

    def say(msg: str) -> None:
        if main:  # one copy of each message, not one per rank
            emit(msg)

    if main:
        out_dir.mkdir(parents=True, exist_ok=True)
        dump_config(cfg, out_dir / "config.yaml")
        (out_dir / "inputs.json").write_bytes(
            orjson.dumps({"data": str(data), "model": str(model)}, option=orjson.OPT_INDENT_2)
        )

    tokenizer = load_tokenizer(model)
    args = build_sft_args(cfg, out_dir, has_eval=cfg.eval_fraction > 0)
    train_ds, eval_ds, report = _prepare_datasets(data, tokenizer, cfg, args, out_dir, main)
    say(f"data: {report.summary()}")
    if cfg.packing and cfg.attn_implementation not in _FLASH:
        say(
            "warning: packing without a flash-attention implementation lets packed samples attend to each other"
        )

    try:
        base = load_model(model, cfg)
    except OSError as e:
        raise ConfigError(f"cannot load model {str(model)!r}: {e}") from None
    request = InterruptRequest(say)
    stopper = StopOnInterrupt(request)
    trainer = OpenSeekerSFTTrainer(
        model=base,
        args=args,
        train_dataset=train_ds,
        eval_dataset=eval_ds,
        processing_class=tokenizer,
        peft_config=build_peft_config(cfg),
        callbacks=[stopper, *(callbacks or [])],
    )
    with request:
        output = trainer.train(resume_from_checkpoint=True if resume else None)
    if stopper.stopped_at is not None:
        return _interrupted(trainer, out_dir, main, report, len(train_ds))

    model_dir = out_dir / "model"
    trainer.save_model(str(model_dir))
    history = list(trainer.state.log_history)
    losses = [float(h["loss"]) for h in history if "loss" in h]
    if main:
        tokenizer.save_pretrained(str(model_dir))
        if cfg.mode == "lora" and cfg.lora.merge_on_save:
            merged = trainer.model.merge_and_unload()  # type: ignore[union-attr,operator]
            merged.save_pretrained(str(out_dir / "model_merged"))
            tokenizer.save_pretrained(str(out_dir / "model_merged"))
        write_jsonl(out_dir / "train_log.jsonl", history)
        summary = {
            "steps": trainer.state.global_step,
            "first_loss": losses[0] if losses else None,
            "last_loss": losses[-1] if losses else None,
            "mode": cfg.mode,
            "samples": len(train_ds),
            "eval_samples": len(eval_ds) if eval_ds is not None else 0,
            "model_dir": str(model_dir),
            "train_runtime_s": output.metrics.get("train_runtime"),
            "train_samples_per_second": output.metrics.get("train_samples_per_second"),
        }
        (out_dir / "train_result.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return SFTResult(
        out_dir, model_dir, trainer.state.global_step, losses, report.to_dict(), max_steps=trainer.state.max_steps
    )


def _interrupted(trainer: Any, out_dir: Path, main: bool, report: DataReport, samples: int) -> SFTResult:
    """The result of a run stopped by Ctrl-C: the log so far and where its checkpoint is (no final model)."""
    step = trainer.state.global_step
    checkpoint = out_dir / "checkpoints" / f"checkpoint-{step}"
    history = list(trainer.state.log_history)
    losses = [float(h["loss"]) for h in history if "loss" in h]
    if main:
        write_jsonl(out_dir / "train_log.jsonl", history)
        summary = {
            "interrupted": True,
            "steps": step,
            "max_steps": trainer.state.max_steps,
            "checkpoint": str(checkpoint),
            "first_loss": losses[0] if losses else None,
            "last_loss": losses[-1] if losses else None,
            "samples": samples,
        }
        (out_dir / "train_result.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return SFTResult(
        out_dir, out_dir / "model", step, losses, report.to_dict(),
        interrupted=True, checkpoint=checkpoint, max_steps=trainer.state.max_steps,
    )
