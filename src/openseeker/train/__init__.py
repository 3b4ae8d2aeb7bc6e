"""Supervised fine-tuning of the student on exported trajectories.

Public API::

    from openseeker.train import SFTTrainConfig, run_sft, prepare_sft_data, render_segments

Heavy dependencies (torch, transformers, TRL, PEFT) are imported only when training starts, so reading,
rendering and reporting on an export work without the ``train`` extra.
"""

from typing import Any

from openseeker.train.config import LaunchSettings, LoraSettings, SFTTrainConfig
from openseeker.train.data import Conversation, iter_conversations, row_to_conversation
from openseeker.train.dataset import DataReport, PreparedData, prepare_sft_data, write_data_report
from openseeker.train.render import (
    GENERATION_PROMPT,
    IGNORE_INDEX,
    Segment,
    TokenizedSample,
    render_segments,
    render_text,
    tokenize_conversation,
)

__all__ = [
    "GENERATION_PROMPT",
    "IGNORE_INDEX",
    "Conversation",
    "DataReport",
    "LaunchSettings",
    "LoraSettings",
    "PreparedData",
    "SFTTrainConfig",
    "Segment",
    "TokenizedSample",
    "iter_conversations",
    "prepare_sft_data",
    "render_segments",
    "render_text",
    "row_to_conversation",
    "run_sft",
    "tokenize_conversation",
    "write_data_report",
]


def __getattr__(name: str) -> Any:  # lazy: importing run_sft must not pull torch into `openseeker --help`
    if name in ("run_sft", "SFTResult"):
        from openseeker.train import sft

        return getattr(sft, name)
    raise AttributeError(name)
