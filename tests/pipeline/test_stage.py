from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from openseeker.errors import StageError
from openseeker.pipeline import (
    Reject,
    StageContext,
    bounded_map,
    limiter,
    read_rejects,
    read_stage,
    run_stage,
)
from openseeker.records import Record


@dataclass
class Num(Record):
    id: str
    v: int


def _items(n: int) -> list[Num]:
    return [Num(f"n{i}", i) for i in range(n)]


def test_outputs_rejects_stats_and_skip(tmp_path: Path) -> None:
    async def fn(x: Num, ctx: StageContext) -> object:
        ctx.count("seen")
        ctx.add_usage({"prompt_tokens": 3, "completion_tokens": 1})
        return Reject("odd", x.v) if x.v % 2 else Num(x.id, x.v * 2)

    res = asyncio.run(run_stage(tmp_path, "s", _items(25), fn, key=lambda x: x.id, shard_size=10))
    assert (res.outputs, res.rejected, res.errors, res.processed) == (13, 12, 0, 25)
    assert sorted(r.v for r in read_stage(tmp_path, "s", Num)) == [2 * i for i in range(0, 25, 2)]
    assert sorted(r["detail"] for r in read_rejects(tmp_path, "s")) == list(range(1, 25, 2))
    stats = json.loads((tmp_path / "s" / "stats.json").read_text())
    assert stats["reject_reasons"] == {"odd": 12}
    assert stats["counters"] == {"seen": 25}
    assert stats["reported_usage"] == {"prompt_tokens": 75, "completion_tokens": 25}
    assert stats["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "calls": 0, "cached_calls": 0}
    assert stats["shards_done"] == ["00000", "00001", "00002"]
    assert (tmp_path / "logs" / "s.log").exists()
    # A second run does nothing: every shard is complete.
    res2 = asyncio.run(run_stage(tmp_path, "s", _items(25), fn, key=lambda x: x.id, shard_size=10))
    assert (res2.processed, res2.skipped) == (0, 25)
    assert len(list(read_stage(tmp_path, "s"))) == 13


def test_errors_are_logged_and_retried_next_run(tmp_path: Path) -> None:
    fail = {"n3", "n7"}

    async def fn(x: Num, ctx: StageContext) -> Num:
        if x.id in fail:
            raise RuntimeError(f"boom {x.id}")
        return x

    res = asyncio.run(run_stage(tmp_path, "s", _items(10), fn, key=lambda x: x.id, shard_size=5))
    assert res.errors == 2 and not res.complete
    errs = [json.loads(line) for line in (tmp_path / "s" / "errors.jsonl").read_text().splitlines()]
    assert {e["key"] for e in errs} == fail and all("boom" in e["error"] for e in errs)
    assert not (tmp_path / "s" / "_state" / "00000.done").exists()
    fail.clear()
    res = asyncio.run(run_stage(tmp_path, "s", _items(10), fn, key=lambda x: x.id, shard_size=5))
    assert res.processed == 2 and res.complete
    assert sorted(r.id for r in read_stage(tmp_path, "s", Num)) == sorted(x.id for x in _items(10))


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    async def fn(x: Num, ctx: StageContext) -> Num:
        return x

    with pytest.raises(StageError, match="duplicate"):
        asyncio.run(run_stage(tmp_path, "s", [Num("a", 1), Num("a", 2)], fn, key=lambda x: x.id))


def test_torn_tail_is_truncated_on_resume(tmp_path: Path) -> None:
    async def fn(x: Num, ctx: StageContext) -> Num:
        return x

    asyncio.run(run_stage(tmp_path, "s", _items(4), fn, key=lambda x: x.id, shard_size=10))
    d = tmp_path / "s"
    (d / "_state" / "00000.done").unlink()
    # Simulate a crash after writing an output but before its checkpoint, and a torn checkpoint line.
    with open(d / "00000.jsonl", "ab") as fh:
        fh.write(b'{"id": "n4", "v": 4}\n{"id": "n5", "v"')
    with open(d / "_state" / "00000.ckpt", "ab") as fh:
        fh.write(b'{"key": "n4", "out_')
    asyncio.run(run_stage(tmp_path, "s", _items(6), fn, key=lambda x: x.id, shard_size=10))
    ids = [r.id for r in read_stage(tmp_path, "s", Num)]
    assert sorted(ids) == [f"n{i}" for i in range(6)]


def test_bounded_map_limits_in_flight() -> None:
    in_flight = 0
    peak = 0

    async def fn(i: int) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001)
        in_flight -= 1
        if i == 5:
            raise ValueError("five")
        return i * i

    async def main() -> list:
        return [r async for r in bounded_map(fn, range(50), 7)]

    results = asyncio.run(main())
    assert peak == 7 and len(results) == 50
    assert isinstance(dict(results)[5], ValueError) and dict(results)[4] == 16


def test_named_limiter_is_shared() -> None:
    async def main() -> bool:
        return limiter("endpoint-a", 3) is limiter("endpoint-a", 99)

    assert asyncio.run(main())


def test_grown_inputs_reopen_a_finished_shard(tmp_path: Path) -> None:
    async def fn(x: Num, ctx: StageContext) -> Num:
        return x

    asyncio.run(run_stage(tmp_path, "s", _items(7), fn, key=lambda x: x.id, shard_size=10))
    res = asyncio.run(run_stage(tmp_path, "s", _items(12), fn, key=lambda x: x.id, shard_size=10))
    assert (res.processed, res.skipped) == (5, 7)
    assert sorted(r.id for r in read_stage(tmp_path, "s", Num)) == sorted(x.id for x in _items(12))
