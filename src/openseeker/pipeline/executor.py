"""Where independent pieces of work run: in this process, in local worker processes, or on a Ray cluster.

Both sharded stages (one call per unfinished shard) and the corpus ingest (one call per work unit) hand a
picklable function and its picklable arguments to an :class:`Executor` and consume the results as they
complete. The caller keeps everything that must be decided in one place (which shards or units exist, their
fingerprints and completion markers, the order results are merged in); the executor only runs calls.

* ``local`` with ``workers=1``: calls run one after another in this process (no pool, no pickling).
* ``local`` with ``workers=N``: a pool of N spawned processes on this machine.
* ``ray``: each call is a Ray task (one CPU each) on the cluster at ``address`` (``None``: a local cluster
  of ``workers`` CPUs started for this process, or the one already initialised); at most ``workers`` calls
  run at once. A task whose worker process dies is retried by Ray (``max_retries``), which is safe because
  every call here resumes from its own checkpoint or completion marker.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import multiprocessing
import os
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from typing import Any, Literal

from pydantic import Field, model_validator

from openseeker.config import StrictModel
from openseeker.errors import ConfigError, missing_extra

ExecutorKind = Literal["local", "ray"]
EXECUTORS: tuple[str, ...] = ("local", "ray")
RAY_RETRIES = 3


class Executor(ABC):
    """Runs ``fn(arg)`` for many arguments (see the module docstring)."""

    kind: str = ""
    workers: int = 1

    @abstractmethod
    def map_unordered(self, fn: Callable[[Any], Any], args: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """``(index into args, result)`` as calls finish. The first failing call's exception is raised
        (after the calls not yet started are dropped); a caller that stops iterating early stops the rest."""

    async def amap_unordered(self, fn: Callable[[Any], Any], args: Sequence[Any]) -> AsyncGenerator[tuple[int, Any], None]:
        """:meth:`map_unordered` for a caller on an event loop (here: one call at a time, in a thread)."""
        for i, a in enumerate(args):
            yield i, await asyncio.to_thread(fn, a)

    async def amap_stateful(
        self, worker: type[Any], init: tuple[Any, ...], args: Sequence[Any]
    ) -> AsyncGenerator[tuple[int, Any], None]:
        """``await w.run(arg)`` for each argument on ``workers`` long-lived workers ``w = worker(*init)``, so
        what a worker builds once (a stage's LLM clients, tools, corpus) serves many calls; ``await
        w.close()`` at the end. Here: one worker in this process, calls one after another."""
        w = worker(*init)
        try:
            for i, a in enumerate(args):
                yield i, await w.run(a)
        finally:
            await w.close()

    def close(self) -> None:  # noqa: B027 - nothing to release for the inline executor
        """Release workers (a Ray cluster this executor started is shut down)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InlineExecutor(Executor):
    """One call after another, in this process."""

    kind = "local"

    def map_unordered(self, fn: Callable[[Any], Any], args: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for i, a in enumerate(args):
            yield i, fn(a)


class ProcessExecutor(Executor):
    """A pool of ``workers`` spawned processes on this machine (each imports openseeker afresh)."""

    kind = "local"

    def __init__(self, workers: int):
        self.workers = workers
        # spawn, not fork: the parent may hold threads (progress display, SQLite, an event loop)
        self._pool = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        self._abandoned = False  # calls were still running when the caller stopped (an error, Ctrl-C)

    def map_unordered(self, fn: Callable[[Any], Any], args: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        futures = {self._pool.submit(fn, a): i for i, a in enumerate(args)}
        try:
            for fut in cf.as_completed(futures):
                yield futures[fut], fut.result()
        finally:
            for fut in futures:
                fut.cancel()
            self._abandoned = any(not f.done() for f in futures)

    def close(self) -> None:
        if self._abandoned:
            # a call failed or the caller stopped: the calls still running are not waited for
            for proc in list(getattr(self._pool, "_processes", {}).values()):
                proc.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)


def ray_module() -> Any:
    """The ``ray`` package, or a :class:`~openseeker.errors.PrerequisiteError` naming the extra."""
    try:
        import ray
    except ImportError as e:
        raise missing_extra("ray", "ray", "Running stages or the ingest on Ray") from e
    return ray


def ray_init(address: str | None, workers: int, env: dict[str, str] | None = None) -> bool:
    """Connect to the Ray cluster at ``address``, or start a local one with ``workers`` CPUs; return whether
    this call started it (then :func:`ray_module` ``.shutdown()`` is the caller's). A cluster already
    initialised in this process is used as it is. ``env``: extra environment variables of the workers."""
    ray = ray_module()
    if ray.is_initialized():
        return False
    # the workers must import this same openseeker (a source checkout on PYTHONPATH, not only the installed one)
    env_vars = {**({"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}), **(env or {})}
    runtime_env = {"env_vars": env_vars} if env_vars else None
    if address:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=True)
    else:
        ray.init(num_cpus=max(1, workers), include_dashboard=False, runtime_env=runtime_env, log_to_driver=True)
    return True


class RayExecutor(Executor):
    """Each call a Ray task (see the module docstring).

    Args:
        address: a running cluster (``ray://host:10001`` or ``host:6379``; ``auto`` for the one this machine
            belongs to); ``None`` starts a local cluster with ``workers`` CPUs.
        workers: calls in flight at once (the caller splits global budgets by this number).
        max_retries: how often Ray reruns a call whose worker died.
    """

    kind = "ray"

    def __init__(self, address: str | None = None, workers: int = 2, max_retries: int = RAY_RETRIES):
        self.ray = ray_module()
        self.workers = max(1, workers)
        self.max_retries = max_retries
        self._started = ray_init(address, self.workers)

    def _remote(self, fn: Callable[[Any], Any]) -> Any:
        return self.ray.remote(num_cpus=1, max_retries=self.max_retries, retry_exceptions=False)(fn)

    def _get(self, ref: Any) -> Any:
        try:
            return self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as e:
            cause = getattr(e, "cause", None)
            if isinstance(cause, Exception):  # the worker's own exception (a DataError, a StageError ...)
                raise cause from None
            raise

    def map_unordered(self, fn: Callable[[Any], Any], args: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        remote = self._remote(fn)
        todo = list(enumerate(args))
        todo.reverse()
        running: dict[Any, int] = {}
        try:
            while todo or running:
                while todo and len(running) < self.workers:
                    i, a = todo.pop()
                    running[remote.remote(a)] = i
                done, _ = self.ray.wait(list(running), num_returns=1)
                for ref in done:
                    i = running.pop(ref)
                    yield i, self._get(ref)
        finally:
            for ref in running:
                self.ray.cancel(ref, force=True)

    async def amap_unordered(self, fn: Callable[[Any], Any], args: Sequence[Any]) -> AsyncGenerator[tuple[int, Any], None]:
        remote = self._remote(fn)
        todo = list(enumerate(args))
        todo.reverse()
        running: dict[asyncio.Future[Any], tuple[int, Any]] = {}
        try:
            while todo or running:
                while todo and len(running) < self.workers:
                    i, a = todo.pop()
                    ref = remote.remote(a)
                    running[asyncio.wrap_future(ref.future())] = (i, ref)
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for fut in done:
                    i, ref = running.pop(fut)
                    yield i, self._get(ref)
        finally:
            for _i, ref in running.values():
                self.ray.cancel(ref, force=True)

    async def amap_stateful(
        self, worker: type[Any], init: tuple[Any, ...], args: Sequence[Any]
    ) -> AsyncGenerator[tuple[int, Any], None]:
        """The workers are Ray actors (one CPU each, at most one call each at a time). An actor whose process
        dies is restarted (built again from ``init``) and its call retried, up to ``max_retries`` times."""
        ray = self.ray
        cls = ray.remote(num_cpus=1, max_restarts=self.max_retries, max_task_retries=self.max_retries)(worker)
        actors = [cls.remote(*init) for _ in range(min(self.workers, len(args)))]
        todo = list(enumerate(args))
        todo.reverse()
        running: dict[asyncio.Future[Any], tuple[int, Any, Any]] = {}
        idle = list(actors)
        try:
            while todo or running:
                while todo and idle:
                    i, a = todo.pop()
                    actor = idle.pop()
                    ref = actor.run.remote(a)
                    running[asyncio.wrap_future(ref.future())] = (i, ref, actor)
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for fut in done:
                    i, ref, actor = running.pop(fut)
                    idle.append(actor)
                    yield i, self._get(ref)
        finally:
            for _i, ref, _actor in running.values():
                with contextlib.suppress(Exception):
                    ray.cancel(ref)
            closing = [a.close.remote() for a in idle]
            with contextlib.suppress(Exception):
                await asyncio.wait([asyncio.wrap_future(r.future()) for r in closing], timeout=30)
            for a in actors:
                ray.kill(a)

    def close(self) -> None:
        if self._started:
            self.ray.shutdown()
            self._started = False


class ExecutorConfig(StrictModel):
    """Where a sharded stage runs: ``local`` (this process) or ``ray`` (each shard a Ray task).

    Written as a plain string (``executor: ray``) or as a mapping with the options below."""

    kind: Literal["local", "ray"] = Field(default="local", description="local or ray")
    address: str | None = Field(
        default=None, description="Ray cluster address (ray://head:10001, head:6379, auto); None: a local one"
    )
    workers: int = Field(default=2, ge=1, description="shards in flight at once (Ray tasks)")

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"kind": data} if isinstance(data, str) else data


def make_executor(kind: str = "local", workers: int = 1, address: str | None = None) -> Executor:
    """The executor named ``kind`` (``local`` or ``ray``) with ``workers`` calls in flight."""
    if kind not in EXECUTORS:
        raise ConfigError(f"unknown executor {kind!r}; use one of {', '.join(EXECUTORS)}")
    if workers < 1:
        raise ConfigError(f"workers must be >= 1 (got {workers})")
    if kind == "ray":
        return RayExecutor(address, workers)
    if address:
        raise ConfigError("--ray-address needs --executor ray")
    return InlineExecutor() if workers == 1 else ProcessExecutor(workers)
