"""Sharded stages on Ray: each unfinished shard is a Ray task that rebuilds the stage from its config.

``executor: ray`` in a stage's config (CLI ``--executor ray [--ray-address ADDR] [--workers N]``) makes
:meth:`~openseeker.pipeline.stages.Stage.arun` hand its unfinished shards to :class:`RemoteShards`. The
driver (the process the user started) keeps what must be decided in one place: it lists the inputs,
shards them, checks fingerprints and completion markers, holds the stage's lock, follows the shards'
checkpoints for progress and ``last_run``, writes ``errors.jsonl`` and ``stats.json``, and runs the stage's
reports at the end. Each of the ``workers`` Ray actors (a :class:`ShardWorker`) gets the
:class:`~openseeker.pipeline.stages.StageSpec`, and is then handed one unfinished shard after another
(its number and fingerprint). A worker:

* rebuilds the stage and its config, and opens its work from it once (LLM clients, tools, corpus, judges);
* checks that it lists the same inputs for the shard (the fingerprint), else fails loudly;
* splits the global endpoint budget: every role's ``max_concurrency`` is divided by the number of workers
  (⌊budget / workers⌋ each, so the workers together never exceed it; the number of workers is capped by
  the smallest budget); the stage's ``concurrency`` (inputs in flight) is per worker;
* keeps its LLM response cache node-local: the configured file (``<run>/cache/llm.sqlite`` by default)
  when it is on a local file system, else ``<tmp>/openseeker-<uid>/cache/<hash>/llm.sqlite`` on the
  worker's machine (SQLite's write-ahead log needs shared memory, which network file systems do not give;
  a web tool-call cache, ``tools.cache``, is part of the config the run checks, so it must be given a
  node-local path by the user);
* runs the shard exactly as a local run would (:func:`~openseeker.pipeline.stage.run_shard`: the same
  records, the same checkpoint, the same marker) under a per-shard lock, logging to
  ``<run>/logs/<stage>/<shard>.log`` and writing its failures to ``<run>/<stage>/errors/<shard>.jsonl``
  (the driver appends those it is told of to ``errors.jsonl``, which the reports read).

A worker that dies is restarted by Ray and its shard retried, resuming from the shard's checkpoint; a driver that dies
leaves a run folder any later run finishes, on Ray or locally. The run folder must be visible at the same
path on every node (a shared file system), and API keys must come from each node's environment
(``api_key_env``): a key written into the config would travel through Ray in the clear, so it is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from openseeker.errors import ConfigError, StageError
from openseeker.io.jsonl import dumps_line
from openseeker.llm.config import ROLES, RolesConfig
from openseeker.llm.registry import Roles
from openseeker.pipeline.executor import Executor, ExecutorConfig, make_executor
from openseeker.pipeline.run import RunFolder
from openseeker.pipeline.stage import ShardOutcome, ShardTask, _shard_name, run_shard, shard_fingerprint
from openseeker.pipeline.stages import Resources, StageSpec
from openseeker.redaction import SecretFilter

log = logging.getLogger(__name__)

NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "lustre", "gpfs", "beegfs", "glusterfs", "ceph", "9p",
     "fuse.sshfs", "fuse.glusterfs", "fuse.cephfs", "fuse.s3fs", "fuse.gcsfuse", "fuse.juicefs", "afs"}
)


# -- the worker -----------------------------------------------------------------------------------------


def split_roles(roles: RolesConfig, workers: int) -> RolesConfig:
    """``roles`` with every ``max_concurrency`` divided by ``workers`` (at least 1 each)."""
    update: dict[str, Any] = {}
    for name in ("default", *ROLES):
        cfg = getattr(roles, name)
        if cfg is not None:
            update[name] = cfg.model_copy(update={"max_concurrency": max(1, cfg.max_concurrency // workers)})
    return roles.model_copy(update=update)


def min_budget(roles: RolesConfig) -> int:
    """The smallest endpoint budget (``max_concurrency``) among the configured roles."""
    return min(int(getattr(roles, n).max_concurrency) for n in ("default", *ROLES) if getattr(roles, n) is not None)


def filesystem_type(path: Path) -> str:
    """The type of the file system holding ``path`` (from ``/proc/mounts``; ``""`` when unknown)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return ""
    target = path.resolve()
    best, kind = -1, ""
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = Path(parts[1].replace("\\040", " "))
        if (target == mount or mount in target.parents) and len(mount.parts) > best:
            best, kind = len(mount.parts), parts[2]
    return kind


def node_local_cache(cache: Path) -> Path:
    """Where a worker keeps the LLM response cache ``cache``: the file itself on a local file system, else a
    file of the same name in this machine's temp folder (see the module docstring)."""
    probe = cache.parent if cache.parent.exists() else cache.parent.parent
    if filesystem_type(probe) not in NETWORK_FILESYSTEMS:
        return cache
    digest = hashlib.sha256(str(cache.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"openseeker-{os.getuid()}" / "cache" / digest / cache.name


@contextlib.contextmanager
def shard_lock(stage_dir: Path, shard: int) -> Iterator[None]:
    """An exclusive lock on one shard (a straggler of a dead driver and its successor never write it both)."""
    path = stage_dir / "_state" / f"{_shard_name(shard)}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # wait: a killed holder's lock is released by the kernel
        yield
    finally:
        os.close(fd)


def _shard_log(run: RunFolder, stage: str, shard: int) -> logging.Handler:
    folder = run.logs / stage
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(folder / f"{_shard_name(shard)}.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s [{socket.gethostname()} pid %(process)d] %(name)s: %(message)s"))
    handler.addFilter(SecretFilter())
    root = logging.getLogger("openseeker")
    root.addHandler(handler)
    if root.level in (logging.NOTSET, logging.WARNING):
        root.setLevel(logging.INFO)
    return handler


class ShardWorker:
    """One worker of a stage: it opens the stage's work from the spec once (LLM clients, tools, corpus,
    judges: a Ray actor keeps them between shards) and runs the shards it is given (see the module docstring).

    Args:
        spec: the stage as plain data.
        shard_size: inputs per shard.
        concurrency: inputs in flight in this worker.
        workers: how many workers share the endpoints' budgets.
    """

    def __init__(self, spec: StageSpec, shard_size: int, concurrency: int, workers: int):
        self.spec, self.shard_size, self.concurrency, self.workers = spec, shard_size, concurrency, workers
        self._work: Any = None
        self._roles: Roles | None = None
        self._keys: list[str] | None = None

    async def _open(self) -> None:
        stage, config = self.spec.build()
        run = RunFolder(self.spec.run)
        if not (run.stage_dir(stage.name) / "_state").is_dir():
            raise StageError(
                f"the run folder {run.path} is not visible on {socket.gethostname()}: with executor ray the "
                "run folder must be on a file system every node mounts at the same path"
            )
        config = config.model_copy(update={"executor": ExecutorConfig(), "concurrency": self.concurrency})
        cache = Path(getattr(config, "cache", None) or run.llm_cache)
        roles_cfg: RolesConfig = config.roles  # type: ignore[attr-defined]
        self._roles = Roles(split_roles(roles_cfg, self.workers), cache_path=node_local_cache(cache))
        self._stage, self._run = stage, run
        self._work = await stage.open(config, Resources(roles=self._roles))

    async def run(self, task: ShardTask) -> ShardOutcome:
        """Run one shard (opening the work on the first call)."""
        if self._work is None:
            await self._open()
        stage, run, work = self._stage, self._run, self._work
        stage_dir = run.stage_dir(stage.name)
        handler = _shard_log(run, stage.name, task.shard)
        try:
            log.info("shard %s of stage %s on %s", _shard_name(task.shard), stage.name, socket.gethostname())
            start = task.shard * self.shard_size
            chunk = list(work.items[start : start + self.shard_size])
            keys = [work.key(x) for x in chunk]
            if shard_fingerprint(keys) != task.fingerprint:
                raise StageError(
                    f"shard {_shard_name(task.shard)} of stage {stage.name!r} lists other inputs on this "
                    "worker than on the driver (the inputs must not depend on the machine: same corpus, "
                    "same input files, same config)"
                )
            errors = stage_dir / "errors" / f"{_shard_name(task.shard)}.jsonl"
            errors.parent.mkdir(exist_ok=True)

            def on_error(entry: dict[str, Any]) -> None:  # this shard's own file; the driver merges them
                with errors.open("ab") as fh:
                    fh.write(dumps_line(entry))

            with shard_lock(stage_dir, task.shard):
                return await run_shard(
                    stage.name, stage_dir, task.shard, keys, chunk, work,
                    fingerprint=task.fingerprint, concurrency=self.concurrency, on_error=on_error,
                )
        finally:
            logging.getLogger("openseeker").removeHandler(handler)
            handler.close()

    async def close(self) -> None:
        """Release what the work opened."""
        if self._work is not None:
            await self._work.aclose()
        if self._roles is not None:
            await self._roles.aclose()


# -- the driver -----------------------------------------------------------------------------------------


def check_shippable(config: Any) -> None:
    """Refuse a config whose API keys are written in it (they would travel through Ray in the clear)."""
    roles = getattr(config, "roles", None)
    if roles is None:
        return
    inline = [n for n in ("default", *ROLES) if getattr(roles, n) is not None and getattr(roles, n).api_key]
    if inline:
        raise ConfigError(
            f"executor ray: roles {', '.join(inline)} carry api_key in the config; give the key by "
            "api_key_env instead (set on every node), so that it never travels through Ray"
        )


class RemoteShards:
    """The :class:`~openseeker.pipeline.stage.ShardRunner` of a stage on an :class:`Executor` (Ray)."""

    def __init__(self, spec: StageSpec, executor: Executor, shard_size: int, concurrency: int, workers: int):
        self.spec, self.executor = spec, executor
        self.shard_size, self.concurrency, self.workers = shard_size, concurrency, workers

    async def run(self, tasks: list[ShardTask]) -> AsyncIterator[ShardOutcome]:
        init = (self.spec, self.shard_size, self.concurrency, self.workers)
        async with contextlib.aclosing(self.executor.amap_stateful(ShardWorker, init, tasks)) as results:
            async for _i, outcome in results:
                yield outcome

    def close(self) -> None:
        self.executor.close()


def shard_runner(spec: StageSpec, config: Any) -> RemoteShards | None:
    """The runner for ``config.executor`` (``None`` for ``local``); the caller closes it."""
    ex_cfg: ExecutorConfig | None = getattr(config, "executor", None)
    if ex_cfg is None or ex_cfg.kind == "local":
        return None
    check_shippable(config)
    workers = min(ex_cfg.workers, min_budget(config.roles)) if getattr(config, "roles", None) else ex_cfg.workers
    executor = make_executor(ex_cfg.kind, workers, ex_cfg.address)
    return RemoteShards(
        spec, executor, int(getattr(config, "shard_size", 1000)), int(getattr(config, "concurrency", 16)), workers
    )
