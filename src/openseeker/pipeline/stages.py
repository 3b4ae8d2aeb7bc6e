"""Stage objects: each sharded stage of the pipeline as data.

A :class:`Stage` names a stage (its sub-folder of the run and its registry name), its config type, the record
types it reads and writes, and how to open its work from a config. Running it is the same for every stage
(:meth:`Stage.arun`): build the work, hand its inputs to :func:`~openseeker.pipeline.stage.run_stage` (which
shards them by position, fingerprints each shard and writes its completion marker), then let the work write
its reports. Everything a stage needs (LLM clients with the run's one response cache, tools, corpus,
judges) is built from its config by :meth:`Stage.open`, unless the caller hands ready objects in
:class:`Resources`.

So a stage can be shipped as plain data: a :class:`StageSpec` (stage name, config, run folder) pickles, and
:meth:`StageSpec.build` rebuilds the stage and its config anywhere the package is installed; a worker then
opens the work itself from the config. The order of stages in a run (the quickstart) is a declared list of
these objects.

Built-in stages: ``qa`` (:data:`openseeker.synth.qa.STAGE_QA`), ``trajectories``
(:data:`openseeker.synth.trajectories.STAGE_TRAJECTORIES`), ``eval`` (:data:`openseeker.evaluate.runner.STAGE_EVAL`).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from openseeker.errors import ConfigError
from openseeker.llm.config import RolesConfig
from openseeker.llm.registry import Roles
from openseeker.pipeline.run import RunFolder
from openseeker.pipeline.stage import StageContext, StageResult, run_stage, stage_lock
from openseeker.records import Record
from openseeker.registry import Registry

C = TypeVar("C", bound=BaseModel)


@dataclass
class Resources:
    """Ready objects a caller hands a stage instead of having it build them from its config (tests with
    scripted models, the quickstart sharing one set of roles across its stages). A worker gets none."""

    roles: Roles | None = None
    corpus: Any = None
    toolset: Any = None
    judge: Any = None
    agent: Any = None
    items: Sequence[Any] | None = None


def stage_roles(roles: RolesConfig, run: RunFolder, cache: str | Path | None = None) -> Roles:
    """The LLM roles of a stage of ``run``: the one place roles are built, with the run's one response
    cache (``<run>/cache/llm.sqlite``) unless the stage config names another file."""
    return Roles(roles, cache_path=cache or run.llm_cache)


class Work(Protocol):
    """A stage's opened work: its inputs and the per-input function (see :meth:`Stage.open`)."""

    @property
    def config(self) -> Any:
        """The resolved config the stage runs with (written to ``<run>/<stage>/config.yaml``)."""

    @property
    def items(self) -> Sequence[Any]:
        """The inputs, in a deterministic order (the driver shards them by position)."""

    @property
    def description(self) -> str:
        """The progress label."""

    @property
    def unit(self) -> str:
        """What an input is called in the progress display (``seeds``, ``rollouts`` ...)."""

    def key(self, item: Any, /) -> str:
        """A unique, stable id of an input."""

    async def __call__(self, item: Any, ctx: StageContext, /) -> Any:
        """The work on one input: a record, a :class:`~openseeker.pipeline.stage.Reject`, or a list."""

    async def finish(self, result: StageResult) -> Any:
        """Reports after the stage; returns what :meth:`Stage.arun` returns."""

    async def stopped(self) -> None:
        """The stage was interrupted (Ctrl-C) or failed: reports of what was finished (then it re-raises)."""

    async def aclose(self) -> None:
        """Release what :meth:`Stage.open` built (LLM clients, tool connections)."""


@dataclass(frozen=True)
class Stage(Generic[C]):
    """One sharded stage (see the module docstring).

    Attributes:
        name: the run folder's sub-folder and the registry name.
        config: the stage's config model (it has ``out``, ``shard_size``, ``concurrency``, ``progress``).
        input: the record type of its inputs.
        output: the record type it writes (``run.read(output)`` reads them back).
        open: ``await open(config, resources) -> Work``: builds the work from the config (LLM clients, tools,
            corpus, judges), runs the stage's preflight checks and lists its inputs.
    """

    name: str
    config: type[C]
    input: type[Any]
    output: type[Record]
    open: Callable[[C, Resources], Awaitable[Work]]

    def spec(self, config: C) -> StageSpec:
        """This stage with ``config`` as plain, picklable data."""
        out = getattr(config, "out", None)
        if not out:
            raise ConfigError(f"Stage {self.name!r} needs an output run folder (out / --out).")
        # python mode keeps secret values (SecretStr pickles; a JSON dump would mask them); only what was set,
        # so that the config rebuilt on a worker says the same about itself (evaluation's run-folder
        # fingerprint compares the fields a user set)
        return StageSpec(self.name, config.model_dump(exclude_unset=True), str(out))

    async def arun(self, config: C, resources: Resources | None = None) -> Any:
        """Run the stage over all its inputs (resumable); returns what its work's ``finish`` returns."""
        run = RunFolder(getattr(config, "out", None) or "")
        if not getattr(config, "out", None):
            raise ConfigError(f"Stage {self.name!r} needs an output run folder (out / --out).")
        # one process per stage of a run folder, from opening the work to its last report
        with stage_lock(run.path, self.name):
            work = await self.open(config, resources or Resources())
            runner = self._runner(config)
            try:
                result = await run_stage(
                    run.path,
                    self.name,
                    work.items,
                    work,
                    key=work.key,
                    shard_size=getattr(config, "shard_size", 1000),
                    concurrency=getattr(config, "concurrency", 16),
                    config=work.config,
                    progress=bool(getattr(config, "progress", False)),
                    total=len(work.items),
                    description=work.description,
                    unit=work.unit,
                    runner=runner,
                )
            except BaseException:
                await work.stopped()
                raise
            else:
                return await work.finish(result)
            finally:
                await work.aclose()
                if runner is not None:
                    runner.close()

    def _runner(self, config: C) -> Any:
        """The shard runner of ``config.executor`` (``executor: ray``: :mod:`openseeker.pipeline.distributed`,
        bound by name: it sits on this module), or ``None`` to run every shard here."""
        ex = getattr(config, "executor", None)
        if ex is None or getattr(ex, "kind", "local") == "local":
            return None
        distributed = importlib.import_module("openseeker.pipeline.distributed")
        return distributed.shard_runner(self.spec(config), config)


@dataclass(frozen=True)
class StageSpec:
    """A stage as plain data: its name, its config (as a dict of plain values; secrets stay
    :class:`~pydantic.SecretStr`) and its run folder. Picklable; rebuilt with :meth:`build` in any process where
    openseeker is installed."""

    stage: str
    config: dict[str, Any]
    run: str

    def build(self) -> tuple[Stage[Any], BaseModel]:
        """The stage object and its validated config."""
        stage = stages.create(self.stage)
        return stage, stage.config.model_validate({**self.config, "out": self.run})

    async def arun(self) -> Any:
        """Rebuild the stage and run it, building everything from the config."""
        stage, config = self.build()
        return await stage.arun(config)


stages: Registry[Stage[Any]] = Registry("stage")
"""Stage name -> :class:`Stage` (third-party stages through the ``openseeker.stage`` entry points)."""

BUILTIN: dict[str, str] = {
    "qa": "openseeker.synth.qa:STAGE_QA",
    "trajectories": "openseeker.synth.trajectories:STAGE_TRAJECTORIES",
    "eval": "openseeker.evaluate.runner:STAGE_EVAL",
}


def _register_builtin(name: str, target: str) -> None:
    def factory() -> Stage[Any]:  # imported on use: the stage modules sit above this one
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]

    stages.register(name)(factory)


for _name, _target in BUILTIN.items():
    _register_builtin(_name, _target)
