"""Resumable, sharded stages and bounded async concurrency."""

from openseeker.concurrency import bounded_map, limiter
from openseeker.pipeline.stage import (
    Reject,
    StageContext,
    StageResult,
    read_rejects,
    read_stage,
    run_stage,
    stage_lock,
)

__all__ = [
    "Reject",
    "StageContext",
    "StageResult",
    "bounded_map",
    "limiter",
    "read_rejects",
    "read_stage",
    "run_stage",
    "stage_lock",
]
