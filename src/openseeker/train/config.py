"""Typed configuration of ``openseeker train sft``.

Defaults are sized for a laptop-scale smoke run; the paper-scale values are in
``examples/train_sft_paper.yaml`` and documented (as our inference, not stated values) in the README.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from openseeker.config import StrictModel


class LoraSettings(StrictModel):
    """LoRA adapter settings (used when ``mode: lora``)."""

    r: int = Field(default=16, ge=1, description="adapter rank")
    alpha: int = Field(default=32, ge=1, description="LoRA scaling numerator (scale = alpha / r)")
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    target_modules: list[str] | Literal["all-linear"] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"],
        description="module names to adapt, or 'all-linear'",
    )
    merge_on_save: bool = Field(
        default=False, description="also save the adapter merged into the base weights"
    )


class LaunchSettings(StrictModel):
    """Multi-process launch through ``accelerate launch`` (the CLI re-executes itself under it)."""

    accelerate_config: Path | None = Field(
        default=None,
        description="an accelerate config file; when set, the CLI re-runs itself via `accelerate launch`",
    )
    num_processes: int | None = Field(default=None, ge=1, description="override the config's num_processes")
    extra_args: list[str] = Field(
        default_factory=list, description="more `accelerate launch` flags, verbatim"
    )


class SFTTrainConfig(StrictModel):
    """Everything ``openseeker train sft`` needs besides the data, model and output paths."""

    mode: Literal["full", "lora"] = "full"
    lora: LoraSettings = Field(default_factory=lambda: LoraSettings())

    # data
    max_seq_length: int = Field(default=32768, ge=16, description="tokens per sample, after rendering")
    overlong: Literal["drop", "truncate"] = Field(
        default="drop",
        description="over-long samples: drop them, or cut them at the last assistant-turn boundary that fits "
        "(system prompt and question always kept)",
    )
    only_correct: bool = Field(
        default=False,
        description="keep only rows whose metadata/`trajectory correctness` says Correct (rows without a "
        "label are kept and counted)",
    )
    max_samples: int | None = Field(
        default=None, ge=1, description="use at most this many samples (after filtering)"
    )
    eval_fraction: float = Field(default=0.0, ge=0.0, lt=1.0, description="held-out fraction for eval loss")

    # optimisation
    epochs: float = Field(default=2.0, gt=0)
    max_steps: int = Field(
        default=-1, description="stop after this many optimizer steps (-1: run all epochs)"
    )
    learning_rate: float = Field(default=1e-5, gt=0)
    lr_scheduler: Literal[
        "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup"
    ] = "cosine"
    warmup_ratio: float = Field(default=0.03, ge=0.0, lt=1.0)
    weight_decay: float = Field(default=0.0, ge=0.0)
    max_grad_norm: float = Field(default=1.0, gt=0)
    per_device_batch_size: int = Field(default=1, ge=1)
    gradient_accumulation_steps: int = Field(default=8, ge=1)
    gradient_checkpointing: bool = True
    precision: Literal["auto", "bf16", "fp16", "fp32"] = Field(
        default="auto", description="auto: bf16 on a GPU that supports it, fp32 on CPU"
    )
    attn_implementation: str | None = Field(
        default=None, description="e.g. flash_attention_2 or sdpa; None lets transformers choose"
    )
    packing: bool = Field(
        default=False,
        description="pack several short samples per row (TRL BFD packing, position ids reset per sample); "
        "needs a flash-attention implementation to avoid cross-sample attention",
    )
    router_aux_loss_coef: float | None = Field(
        default=None,
        ge=0.0,
        description="MoE load-balancing loss weight; None keeps the model's own (0.001 for Qwen3-30B-A3B), 0 disables",
    )
    seed: int = 42

    # bookkeeping
    logging_steps: int = Field(default=10, ge=1)
    save_strategy: Literal["epoch", "steps", "no"] = Field(
        default="epoch", description="when to write checkpoints"
    )
    save_steps: int = Field(
        default=500, ge=1, description="checkpoint (and eval) interval with save_strategy: steps"
    )
    save_total_limit: int | None = Field(default=2, ge=1)
    report_to: list[str] = Field(default_factory=list, description="e.g. ['wandb'] or ['tensorboard']")
    use_cpu: bool = Field(default=False, description="force CPU even when a GPU is visible")
    dataloader_num_workers: int = Field(default=0, ge=0)

    # multi-GPU pass-through (the files are handed to transformers/accelerate unchanged)
    deepspeed: Path | None = Field(
        default=None, description="a DeepSpeed JSON config (ZeRO-3 for the paper scale)"
    )
    fsdp: str | None = Field(
        default=None, description="FSDP mode string for transformers, e.g. 'full_shard auto_wrap'"
    )
    fsdp_config: Path | None = Field(
        default=None, description="an FSDP JSON/YAML config file for transformers"
    )
    launch: LaunchSettings = Field(default_factory=lambda: LaunchSettings())

    @model_validator(mode="after")
    def _check(self) -> SFTTrainConfig:
        if self.deepspeed is not None and self.fsdp:
            raise ValueError("deepspeed and fsdp are mutually exclusive; choose one")
        return self

    @property
    def global_batch_per_device(self) -> int:
        """Samples per optimizer step on one device (batch x accumulation)."""
        return self.per_device_batch_size * self.gradient_accumulation_steps
