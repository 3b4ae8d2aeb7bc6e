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

import concurrent.futures as cf
import multiprocessing
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

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

    def map_unordered(self, fn: Callable[[Any], Any], args: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        futures = {self._pool.submit(fn, a): i for i, a in enumerate(args)}
        try:
            for fut in cf.as_completed(futures):
                yield futures[fut], fut.result()
        finally:
            for fut in futures:
                fut.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def ray_module() -> Any:
    """The ``ray`` package, or a :class:`~openseeker.errors.PrerequisiteError` naming the extra."""
    try:
        import ray
    except ImportError as e:
        raise missing_extra("ray", "ray", "Running stages or the ingest on Ray") from e
    return ray


def ray_init(address: str | None, workers: int) -> bool:
    """Connect to the Ray cluster at ``address``, or start a local one with ``workers`` CPUs; return whether
    this call started it (then :func:`ray_module` ``.shutdown()`` is the caller's). A cluster already
    initialised in this process is used as it is."""
    ray = ray_module()
    if ray.is_initialized():
        return False
    # the workers must import this same openseeker (a source checkout on PYTHONPATH, not only the installed one)
    env = {"PYTHONPATH": os.pathsep.join(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)}
    runtime_env = {"env_vars": env} if env["PYTHONPATH"] else None
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

    def map_unordered(self, fn: Callable[[Any], Any], args: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        ray = self.ray
        remote = ray.remote(num_cpus=1, max_retries=self.max_retries, retry_exceptions=False)(fn)
        todo = list(enumerate(args))
        todo.reverse()
        running: dict[Any, int] = {}
        try:
            while todo or running:
                while todo and len(running) < self.workers:
                    i, a = todo.pop()
                    running[remote.remote(a)] = i
                done, _ = ray.wait(list(running), num_returns=1)
                for ref in done:
                    i = running.pop(ref)
                    yield i, ray.get(ref)
        finally:
            for ref in running:
                ray.cancel(ref, force=True)

    def close(self) -> None:
        if self._started:
            self.ray.shutdown()
            self._started = False


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
