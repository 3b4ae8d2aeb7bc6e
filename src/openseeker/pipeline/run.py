"""The run folder: it owns every path of a run and reads its records back as their types.

Every stage, the CLI and the quickstart go through :class:`RunFolder` for the paths of a run
(``<run>/<stage>/``, the one LLM response cache ``<run>/cache/llm.sqlite``, the logs) and for reading what a
stage wrote: ``run.read(QARecord)`` yields the accepted QA records of ``<run>/qa/`` as
:class:`~openseeker.synth.records.QARecord` objects. A record class names the stage that writes it with a
``STAGE`` class attribute, so there is one reader per record kind::

    run = RunFolder("runs/r1")
    for qa in run.read(QARecord): ...
    run.stats("qa")["reject_reasons"]
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import orjson

from openseeker.errors import StageError
from openseeker.pipeline.stage import compute_stats, read_rejects, read_stage
from openseeker.records import Record

R = TypeVar("R", bound=Record)

CACHE = Path("cache") / "llm.sqlite"
"""The LLM response cache of a run, relative to the run folder (shared by every stage of the run)."""


def record_stage(cls: type[Record]) -> str:
    """The stage that writes records of ``cls`` (its ``STAGE`` class attribute)."""
    stage = getattr(cls, "STAGE", None)
    if not isinstance(stage, str):
        raise TypeError(f"{cls.__name__} names no stage (a STAGE class attribute); pass the stage explicitly.")
    return stage


class RunFolder:
    """One run folder (see the module docstring). Cheap to create; nothing is read until asked."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    def __fspath__(self) -> str:
        return str(self.path)

    # -- paths -------------------------------------------------------------------------------------------

    def stage_dir(self, stage: str) -> Path:
        """``<run>/<stage>/``: a stage's shards, rejects, errors, state and stats."""
        return self.path / stage

    def file(self, *parts: str) -> Path:
        """A file of the run outside the stages (``results.json``, ``splits/train.jsonl`` ...)."""
        return self.path.joinpath(*parts)

    @property
    def llm_cache(self) -> Path:
        """The run's one LLM response cache, ``<run>/cache/llm.sqlite``."""
        return self.path / CACHE

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    def has(self, stage: str) -> bool:
        """Whether ``stage`` has run here (its folder exists)."""
        return self.stage_dir(stage).is_dir()

    # -- reading -----------------------------------------------------------------------------------------

    def read(self, cls: type[R], stage: str | None = None) -> Iterator[R]:
        """The outputs of ``stage`` (default: the stage that writes ``cls``) as ``cls`` records, in shard
        order."""
        return read_stage(self.path, stage or record_stage(cls), cls)

    def rows(self, stage: str) -> Iterator[dict[str, Any]]:
        """The outputs of ``stage`` as plain JSON objects."""
        return read_stage(self.path, stage)

    def rejects(self, stage: str) -> Iterator[dict[str, Any]]:
        """The deliberate rejections of ``stage`` (``key``, ``reason``, ``detail``, ``record``)."""
        return read_rejects(self.path, stage)

    def stats(self, stage: str) -> dict[str, Any]:
        """A stage's ``stats.json`` (as written at the end of its last run), else counts from its checkpoints."""
        path = self.stage_dir(stage) / "stats.json"
        if path.exists():
            return orjson.loads(path.read_bytes())  # type: ignore[no-any-return]
        if not self.has(stage):
            raise StageError(f"No stage {stage!r} in run folder {str(self.path)!r}; run that stage first.")
        return compute_stats(self.stage_dir(stage))
