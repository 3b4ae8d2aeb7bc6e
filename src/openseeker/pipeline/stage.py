"""Sharded, resumable stages.

A stage maps input records to output records with an async function. Its run folder looks like::

    <run>/<stage>/00000.jsonl          outputs of shard 0 (typed records as JSON lines)
    <run>/<stage>/rejects/00000.jsonl  deliberate rejections of shard 0, each with a reason
    <run>/<stage>/errors.jsonl         failures (exceptions); these inputs are retried on the next run
    <run>/<stage>/_state/00000.ckpt    append-only checkpoint: one line per finished input
    <run>/<stage>/_state/00000.done    completion marker of shard 0
    <run>/<stage>/_state/lock          the stage's lock file (holds the PID of the running process)
    <run>/<stage>/stats.json           counts, rejection reasons, custom counters, token usage
    <run>/logs/<stage>.log             the stage's log

Inputs are assigned to shards by position (``index // shard_size``), so the same inputs always land in
the same shard (append new inputs at the end). Re-running a stage skips completed shards (a shard's
marker holds a fingerprint of its input keys, so a shard whose inputs changed is reopened); inside an unfinished shard it skips inputs
already in the checkpoint. Each finished input is committed by (1) appending its output lines, then
(2) appending a checkpoint line that records the new end offsets of the output and rejects files. On
restart the files are truncated back to the last committed offsets, so a crash at any instant (even
``kill -9`` in the middle of a write) leaves every input's outputs present exactly once.

The driver may hand its unfinished shards to a :class:`ShardRunner` (:mod:`openseeker.pipeline.distributed`:
Ray tasks that rebuild the stage from its config and run :func:`run_shard` on the same files); it still
enumerates and fingerprints the shards, follows their checkpoints and writes ``errors.jsonl`` and the stats.

Only one process may run a stage of a run folder at a time: :func:`stage_lock` takes an exclusive OS
file lock (``flock``) on ``_state/lock`` for the whole run, so a second process is refused with
:class:`~openseeker.errors.RunLockedError` naming the holder's PID, and a crashed holder's lock is
released by the operating system.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import time
import traceback
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Protocol, TypeVar

import orjson
from pydantic import BaseModel

from openseeker import activity
from openseeker.concurrency import bounded_map
from openseeker.config import dump_config
from openseeker.errors import RunLockedError, StageError
from openseeker.io.jsonl import dumps_line, iter_jsonl
from openseeker.pipeline.progress import StageProgress
from openseeker.redaction import SecretFilter, scrub, scrub_bytes

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)


@dataclass
class Reject:
    """A deliberate, final rejection of one input (counted by ``reason``; kept in the rejects file)."""

    reason: str
    detail: Any = None
    record: Any = None


def _numbers(usage: Any) -> dict[str, float]:
    d = usage if isinstance(usage, dict) else getattr(usage, "__dict__", {})
    return {k: v for k, v in d.items() if isinstance(v, int | float) and not isinstance(v, bool)}


@dataclass
class StageContext:
    """Per-input helper handed to the stage function: custom counters, token usage, the current step.

    Token usage is measured: every LLM call made while the input is worked on (by any role, in any task it
    starts) is added to ``llm_usage`` by model. ``add_usage`` is for usage the stage learns of otherwise
    (an external agent's report); it is kept apart, as ``reported_usage`` in ``stats.json``.
    """

    key: str
    counts: Counter[str] = field(default_factory=Counter)
    usage: dict[str, float] = field(default_factory=dict)
    llm_usage: dict[str, dict[str, float]] = field(default_factory=dict)
    current_step: str | None = None

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to the custom counter ``name`` (aggregated into ``stats.json``)."""
        self.counts[name] += n

    def add_usage(self, usage: Any) -> None:
        """Report usage (prompt_tokens, completion_tokens, ...) that did not go through openseeker's LLM client."""
        for k, v in _numbers(usage).items():
            self.usage[k] = self.usage.get(k, 0) + v

    def record_llm(self, model: str, usage: Any) -> None:
        """Add one LLM call's usage under its model (called by :mod:`openseeker.activity`)."""
        per_model = self.llm_usage.setdefault(model, {})
        for k, v in _numbers(usage).items():
            per_model[k] = per_model.get(k, 0) + v

    def step(self, name: str) -> None:
        """Name the step this input is at (shown by the progress display)."""
        self.current_step = name


@dataclass
class StageResult:
    """Summary of one stage invocation."""

    stage: str
    path: Path
    processed: int
    skipped: int
    outputs: int
    rejected: int
    errors: int
    stats: dict[str, Any]

    @property
    def complete(self) -> bool:
        """True when every input has been handled (no errors left to retry)."""
        return self.errors == 0


def _shard_name(i: int) -> str:
    return f"{i:05d}"


class _ShardWriter:
    """Appends outputs/rejects of one shard and commits each input with a checkpoint line."""

    def __init__(self, stage_dir: Path, shard: int):
        self.out_path = stage_dir / f"{_shard_name(shard)}.jsonl"
        self.rej_path = stage_dir / "rejects" / f"{_shard_name(shard)}.jsonl"
        self.ckpt_path = stage_dir / "_state" / f"{_shard_name(shard)}.ckpt"
        self.rej_path.parent.mkdir(parents=True, exist_ok=True)
        self.ckpt_path.parent.mkdir(parents=True, exist_ok=True)
        self.done_keys: set[str] = set()
        out_end, rej_end = self._recover()
        self.out = open(self.out_path, "ab")
        self.rej = open(self.rej_path, "ab")
        self.ckpt = open(self.ckpt_path, "ab")
        self.out_end, self.rej_end = out_end, rej_end

    def _recover(self) -> tuple[int, int]:
        out_end = rej_end = 0
        good = 0
        if self.ckpt_path.exists():
            data = self.ckpt_path.read_bytes()
            for line in data.split(b"\n"):
                if not line:
                    continue
                try:
                    entry = orjson.loads(line)
                except orjson.JSONDecodeError:
                    break  # a torn last line: that input was not committed
                self.done_keys.add(entry["key"])
                out_end, rej_end = entry["out_end"], entry["rej_end"]
                good += len(line) + 1
            if good != len(data):
                with open(self.ckpt_path, "r+b") as fh:
                    fh.truncate(good)
        for path, end in ((self.out_path, out_end), (self.rej_path, rej_end)):
            if path.exists() and path.stat().st_size != end:
                with open(path, "r+b") as fh:  # drop lines of inputs that were written but not committed
                    fh.truncate(end)
        return out_end, rej_end

    def commit(self, key: str, outputs: list[Any], rejects: list[dict[str, Any]], ctx: StageContext) -> None:
        if outputs:
            # a model or service may echo a key it was given: no known secret value goes into a record
            buf = scrub_bytes(b"".join(dumps_line(o) for o in outputs))
            self.out.write(buf)
            self.out.flush()
            self.out_end += len(buf)
        if rejects:
            buf = scrub_bytes(b"".join(dumps_line(r) for r in rejects))
            self.rej.write(buf)
            self.rej.flush()
            self.rej_end += len(buf)
        entry = {
            "key": key,
            "out_end": self.out_end,
            "rej_end": self.rej_end,
            "n_out": len(outputs),
            "rejects": [r["reason"] for r in rejects],
            "counts": dict(ctx.counts),
            "usage": dict(ctx.usage),
            "llm_usage": ctx.llm_usage,
        }
        self.ckpt.write(orjson.dumps(entry) + b"\n")
        self.ckpt.flush()
        self.done_keys.add(key)

    def close(self) -> None:
        for fh in (self.out, self.rej, self.ckpt):
            fh.close()


def iter_checkpoints(stage_dir: Path) -> Iterator[dict[str, Any]]:
    """Every committed input of a stage folder (one checkpoint entry each: key, counts, usage, ...)."""
    for ck in sorted((stage_dir / "_state").glob("*.ckpt")):
        for line in ck.read_bytes().split(b"\n"):
            if line:
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError:
                    break


def compute_stats(stage_dir: Path) -> dict[str, Any]:
    """Aggregate every shard's checkpoint into stage statistics."""
    inputs = outputs = 0
    reasons: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    reported: Counter[str] = Counter()
    by_model: dict[str, Counter[str]] = {}
    for e in iter_checkpoints(stage_dir):
        inputs += 1
        outputs += e.get("n_out", 0)
        reasons.update(e.get("rejects", []))
        counts.update(e.get("counts", {}))
        reported.update(e.get("usage", {}))
        for model, u in (e.get("llm_usage") or {}).items():
            by_model.setdefault(model, Counter()).update(u)
    total: Counter[str] = Counter({"prompt_tokens": 0, "completion_tokens": 0, "calls": 0, "cached_calls": 0})
    for u in by_model.values():
        total.update(u)
    shards = sorted(p.stem for p in (stage_dir / "_state").glob("*.done"))
    stats: dict[str, Any] = {
        "inputs_done": inputs,
        "outputs": outputs,
        "rejected": sum(reasons.values()),
        "reject_reasons": dict(reasons.most_common()),
        "counters": dict(counts),
        "usage": dict(total),
        "usage_by_model": {m: dict(u) for m, u in sorted(by_model.items())},
        "shards_done": shards,
    }
    if reported:
        stats["reported_usage"] = dict(reported)
    return stats


# the stage locks held by the current task (and the tasks it starts): a caller that holds a stage's lock
# (the evaluation runner around its stage) may call run_stage on it without locking itself out
_HELD: ContextVar[frozenset[Path]] = ContextVar("openseeker_stage_locks", default=frozenset())


@contextlib.contextmanager
def stage_lock(run_dir: str | Path, stage: str) -> Iterator[Path]:
    """Hold the exclusive lock of ``<run_dir>/<stage>`` for the duration of the ``with`` block.

    The lock is an OS file lock (``flock``) on ``<run_dir>/<stage>/_state/lock``: the kernel releases it
    when the holder exits, however it exits (``kill -9`` included), so there is never a stale lock to
    remove. The holder writes its PID into the file for the message the next process gets. Re-entering
    from the same task is allowed; any other holder (another process, or another task of this one) is
    refused at once.

    Raises:
        RunLockedError: another holder has the lock (the message names its PID).
    """
    state = Path(run_dir) / stage / "_state"
    path = (state / "lock").resolve()
    held = _HELD.get()
    if path in held:
        yield path
        return
    state.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raw = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
            pid = int(raw) if raw.isdigit() else None
            who = f"process {pid}" if pid is not None else "another process"
            raise RunLockedError(
                f"Run folder {str(run_dir)!r} is busy: {who} is running its {stage!r} stage "
                f"(lock {path}). Wait for it to finish (or stop it), or use another run folder.",
                pid=pid,
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        token = _HELD.set(held | {path})
        try:
            yield path
        finally:
            _HELD.reset(token)
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _attach_log(run_dir: Path, stage: str) -> logging.Handler:
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(run_dir / "logs" / f"{stage}.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter())  # no known secret value reaches the log file
    logging.getLogger("openseeker").addHandler(handler)
    if logging.getLogger("openseeker").level in (logging.NOTSET, logging.WARNING):
        logging.getLogger("openseeker").setLevel(logging.INFO)
    return handler


async def run_stage(
    run_dir: str | Path,
    stage: str,
    items: Iterable[T],
    fn: Callable[[T, StageContext], Awaitable[Any]],
    *,
    key: Callable[[T], str],
    shard_size: int = 1000,
    concurrency: int = 16,
    config: BaseModel | None = None,
    progress: bool = False,
    total: int | None = None,
    description: str | None = None,
    unit: str = "inputs",
    runner: ShardRunner | None = None,
) -> StageResult:
    """Run ``fn`` over ``items``, writing sharded, resumable outputs under ``<run_dir>/<stage>/``.

    ``fn(item, ctx)`` may return a record, a list of records (several outputs, or none), a
    :class:`Reject`, or a list mixing records and rejects. An exception is logged to ``errors.jsonl``
    and counted; that input is *not* checkpointed, so the next run retries it.

    The stage's lock (:func:`stage_lock`) is held for the whole call: a second process running the same
    stage on the same run folder is refused with :class:`~openseeker.errors.RunLockedError`.

    ``stats.json`` is written however the call ends; ``last_run.ended`` says how: ``finished``,
    ``interrupted`` (Ctrl-C, cancellation; the inputs in flight are retried on the next run) or ``failed``.

    Args:
        run_dir: the run folder.
        stage: the stage name (sub-folder).
        items: the inputs, in a deterministic order (they are assigned to shards by position).
        fn: the async work function.
        key: a unique, stable id for each input.
        shard_size: inputs per shard.
        concurrency: inputs in flight at once.
        config: the stage's resolved config; written (redacted) to ``<run>/<stage>/config.yaml``.
        progress: show the progress (:mod:`openseeker.pipeline.progress`: live or plain lines).
        total: the number of inputs, for the progress display.
        description: the progress display's label.
        unit: what an input is called in the progress display (``seeds``, ``rollouts``, ...).
        runner: run the unfinished shards elsewhere (:mod:`openseeker.pipeline.distributed`: Ray tasks
            that rebuild the stage from its config); this process still enumerates the shards, checks
            their fingerprints and markers, follows their checkpoints and writes ``errors.jsonl`` and the
            stats. ``None``: every shard runs here.
    """
    with stage_lock(run_dir, stage):
        return await _run_stage_locked(
            Path(run_dir), stage, items, fn, key=key, shard_size=shard_size, concurrency=concurrency,
            config=config, progress=progress, total=total, description=description, unit=unit,
            runner=runner,
        )


@dataclass
class _Tally:
    """What this invocation did (``last_run`` in ``stats.json``)."""

    processed: int = 0
    skipped: int = 0
    outputs: int = 0
    rejected: int = 0
    errors: int = 0


@dataclass(frozen=True)
class ShardTask:
    """An unfinished shard handed to a :class:`ShardRunner`: its number and the fingerprint of its keys
    (the worker checks that it lists the same inputs)."""

    shard: int
    fingerprint: str
    size: int


@dataclass
class ShardOutcome:
    """What running one shard did: its counts, its failures (``errors.jsonl`` entries, retried on the next
    run) and whether it is complete (its marker written)."""

    shard: int
    skipped: int = 0
    committed: int = 0
    outputs: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False


class ShardRunner(Protocol):
    """Runs shards somewhere else (see :func:`run_stage`'s ``runner``)."""

    workers: int

    def run(self, tasks: list[ShardTask]) -> AsyncIterator[ShardOutcome]:
        """The outcome of each task as it finishes (any order); a task whose worker died is retried."""
        ...


async def _run_stage_locked(
    run_dir: Path,
    stage: str,
    items: Iterable[T],
    fn: Callable[[T, StageContext], Awaitable[Any]],
    *,
    key: Callable[[T], str],
    shard_size: int,
    concurrency: int,
    config: BaseModel | None,
    progress: bool,
    total: int | None,
    description: str | None,
    unit: str,
    runner: ShardRunner | None,
) -> StageResult:
    stage_dir = run_dir / stage
    stage_dir.mkdir(parents=True, exist_ok=True)
    if config is not None:
        dump_config(config, stage_dir / "config.yaml")
    handler = _attach_log(run_dir, stage)
    tally = _Tally()
    seen: set[str] = set()
    started = time.monotonic()
    active: dict[str, StageContext] = {}  # the inputs in flight, for the progress display's "now:"
    display = StageProgress(
        description or stage, total, unit=unit, steps=lambda: [c.current_step for c in list(active.values())],
        mode=None if progress else "off",
    ).start()
    ended = "failed"
    try:
        it = iter(items)
        shard = 0
        remote: list[ShardTask] = []
        while True:
            chunk = list(islice(it, shard_size))
            if not chunk:
                break
            done_marker = stage_dir / "_state" / f"{_shard_name(shard)}.done"
            keys = [key(x) for x in chunk]
            for k in keys:
                if k in seen:
                    raise StageError(f"Stage {stage!r}: duplicate input key {k!r}; keys must be unique.")
                seen.add(k)
            fingerprint = shard_fingerprint(keys)
            if done_marker.exists() and done_marker.read_text().strip() not in (fingerprint, ""):
                # The shard's inputs changed (more samples, another subset): reopen it; the checkpoint
                # still keeps finished inputs from being redone.
                log.info("stage %s: shard %s inputs changed; resuming it", stage, _shard_name(shard))
                done_marker.unlink()
            if done_marker.exists():
                tally.skipped += len(chunk)
                display.add_skipped(len(chunk))
            elif runner is not None:
                remote.append(ShardTask(shard, fingerprint, len(chunk)))
            else:
                outcome = await run_shard(
                    stage, stage_dir, shard, keys, chunk, fn, fingerprint=fingerprint, concurrency=concurrency,
                    display=display, active=active, on_error=_error_writer(stage_dir),
                )
                _count(tally, outcome)
            shard += 1
        if remote and runner is not None:
            await _run_remote(stage_dir, remote, runner, tally, display)
        ended = "finished"
    except (asyncio.CancelledError, KeyboardInterrupt):
        ended = "interrupted"
        raise
    finally:
        display.stop()
        logging.getLogger("openseeker").removeHandler(handler)
        handler.close()
        # also when interrupted: the counts so far, for the user and for the funnel
        stats = _write_stats(stage_dir, stage, tally, started, ended)
    return StageResult(
        stage, stage_dir, tally.processed, tally.skipped, tally.outputs, tally.rejected, tally.errors, stats
    )


def shard_fingerprint(keys: list[str]) -> str:
    """The fingerprint of a shard's input keys (its completion marker holds it)."""
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()


def _error_entry(key: str, exc: BaseException) -> dict[str, Any]:
    return {
        "key": key, "time": time.time(), "type": type(exc).__name__, "error": scrub(str(exc)),
        "traceback": scrub("".join(traceback.format_exception(exc)))[-4000:],
    }


def _error_writer(stage_dir: Path) -> Callable[[dict[str, Any]], None]:
    def write(entry: dict[str, Any]) -> None:
        with open(stage_dir / "errors.jsonl", "ab") as fh:
            fh.write(dumps_line(entry))

    return write


def _count(tally: _Tally, outcome: ShardOutcome) -> None:
    tally.skipped += outcome.skipped
    tally.processed += outcome.committed + len(outcome.errors)
    tally.outputs += outcome.outputs
    tally.rejected += outcome.rejected
    tally.errors += len(outcome.errors)


async def run_shard(
    stage: str,
    stage_dir: Path,
    shard: int,
    keys: list[str],
    chunk: list[Any],
    fn: Callable[[Any, StageContext], Awaitable[Any]],
    *,
    fingerprint: str,
    concurrency: int,
    on_error: Callable[[dict[str, Any]], None],
    display: StageProgress | None = None,
    active: dict[str, StageContext] | None = None,
) -> ShardOutcome:
    """Run the unfinished inputs of one shard (those not in its checkpoint), committing each as it finishes,
    and write its completion marker when none failed. Failures go to ``on_error`` (an ``errors.jsonl``
    entry each). Used by the driver for local shards and by a worker for the shard it was given."""
    outcome = ShardOutcome(shard)
    writer = _ShardWriter(stage_dir, shard)
    todo = [(k, x) for k, x in zip(keys, chunk, strict=True) if k not in writer.done_keys]
    outcome.skipped = len(chunk) - len(todo)
    if display is not None:
        display.add_skipped(outcome.skipped)
    running = active if active is not None else {}

    async def work(pair: tuple[str, Any]) -> tuple[StageContext, Any]:
        ctx = StageContext(key=pair[0])
        running[pair[0]] = ctx
        activity.usage_sink.set(ctx.record_llm)  # this task's LLM calls are this input's
        try:
            return ctx, await fn(pair[1], ctx)
        finally:
            running.pop(pair[0], None)

    try:
        async for (k, _x), res in bounded_map(work, todo, concurrency):
            if isinstance(res, BaseException):
                if not isinstance(res, Exception):
                    raise res
                log.error("stage %s: input %s failed: %r", stage, k, res)
                entry = _error_entry(k, res)
                outcome.errors.append(entry)
                on_error(entry)
                if display is not None:
                    display.add_result(failed=True)
                continue
            ctx, value = res
            values = value if isinstance(value, list) else ([] if value is None else [value])
            outs = [v for v in values if not isinstance(v, Reject)]
            rejs = [
                {"key": k, "reason": v.reason, "detail": v.detail, "record": v.record}
                for v in values if isinstance(v, Reject)
            ]
            writer.commit(k, outs, rejs, ctx)
            outcome.committed += 1
            outcome.outputs += len(outs)
            outcome.rejected += len(rejs)
            if display is not None:
                display.add_result(kept=len(outs), rejected=len(rejs))
    finally:
        writer.close()
    if not outcome.errors:
        (stage_dir / "_state" / f"{_shard_name(shard)}.done").write_text(fingerprint)
        outcome.done = True
    return outcome


class _CheckpointTail:
    """Follows the checkpoints of shards running elsewhere: each newly committed input is counted (tally and
    display) as it appears, so progress and ``last_run`` are this run's, even when a worker died mid-shard
    and its retry finished the shard."""

    def __init__(self, stage_dir: Path, shards: list[int]):
        self.paths = {s: stage_dir / "_state" / f"{_shard_name(s)}.ckpt" for s in shards}
        self.offsets = {s: (p.stat().st_size if p.exists() else 0) for s, p in self.paths.items()}

    def already_done(self, shard: int) -> int:
        path = self.paths[shard]
        data = path.read_bytes()[: self.offsets[shard]] if path.exists() else b""
        return len({orjson.loads(line)["key"] for line in data.splitlines() if line.strip()})

    def feed(self, tally: _Tally, display: StageProgress) -> None:
        for s, path in self.paths.items():
            try:
                with open(path, "rb") as fh:
                    fh.seek(self.offsets[s])
                    data = fh.read()
            except FileNotFoundError:
                continue
            end = data.rfind(b"\n") + 1  # a line still being written is read next time
            for line in data[:end].splitlines():
                try:
                    e = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue  # a line torn by a killed worker; its retry truncates it
                tally.processed += 1
                tally.outputs += e.get("n_out", 0)
                tally.rejected += len(e.get("rejects", []))
                display.add_result(kept=e.get("n_out", 0), rejected=len(e.get("rejects", [])))
            self.offsets[s] += end


async def _run_remote(
    stage_dir: Path, tasks: list[ShardTask], runner: ShardRunner, tally: _Tally, display: StageProgress
) -> None:
    """Hand ``tasks`` to ``runner``; follow their checkpoints; write their failures to ``errors.jsonl``."""
    tail = _CheckpointTail(stage_dir, [t.shard for t in tasks])
    for t in tasks:
        n = tail.already_done(t.shard)
        tally.skipped += n
        display.add_skipped(n)

    async def follow() -> None:
        while True:
            await asyncio.sleep(0.5)
            tail.feed(tally, display)

    follower = asyncio.create_task(follow())
    write_error = _error_writer(stage_dir)
    try:
        async for outcome in runner.run(tasks):
            tail.feed(tally, display)
            for entry in outcome.errors:
                write_error(entry)
                tally.processed += 1
                tally.errors += 1
                display.add_result(failed=True)
    finally:
        follower.cancel()
        tail.feed(tally, display)


def _write_stats(stage_dir: Path, stage: str, tally: _Tally, started: float, ended: str) -> dict[str, Any]:
    stats = compute_stats(stage_dir)
    stats.update({
        "stage": stage,
        "last_run": {
            "processed": tally.processed, "skipped": tally.skipped, "outputs": tally.outputs,
            "rejected": tally.rejected, "errors": tally.errors, "ended": ended,
            "seconds": round(time.monotonic() - started, 3), "pid": os.getpid(),
        },
    })
    (stage_dir / "stats.json").write_bytes(orjson.dumps(stats, option=orjson.OPT_INDENT_2))
    return stats


def run_stage_sync(*args: Any, **kwargs: Any) -> StageResult:
    """Blocking wrapper around :func:`run_stage`."""
    return asyncio.run(run_stage(*args, **kwargs))


def read_stage(run_dir: str | Path, stage: str, cls: type[R] | None = None) -> Iterator[Any]:
    """Yield a stage's outputs in shard order, as ``cls`` records when given (else dicts)."""
    stage_dir = Path(run_dir) / stage
    if not stage_dir.exists():
        raise StageError(f"No stage {stage!r} in run folder {str(run_dir)!r}; run that stage first.")
    for path in sorted(stage_dir.glob("[0-9]*.jsonl")):
        for row in iter_jsonl(path):
            yield cls.from_dict(row) if cls is not None else row  # type: ignore[attr-defined]


def read_rejects(run_dir: str | Path, stage: str) -> Iterator[dict[str, Any]]:
    """Yield a stage's rejections (each with ``key``, ``reason``, ``detail``, ``record``)."""
    for path in sorted((Path(run_dir) / stage / "rejects").glob("*.jsonl")):
        yield from iter_jsonl(path)
