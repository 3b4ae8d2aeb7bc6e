"""Import rows of the released OpenSeeker-v1-Data layout as our trajectory records, so that released data
and our own synthesized data can be mixed, filtered and exported alike.

Each assistant turn is kept verbatim as the step's ``text``; its ``<think>`` reasoning, tool calls and
answer are parsed out of it, and the following user turn's ``<tool_response>`` blocks become the raw
responses of those calls, in order. Rows that cannot be mapped one-to-one (for example a different number
of responses than calls) are counted rejections naming the row, never guessed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openseeker.agent.format import extract_answer, parse_calls, split_responses, split_think, strip_blocks
from openseeker.agent.records import Observation, Step, Trajectory
from openseeker.errors import DataError
from openseeker.io.jsonl import iter_jsonl
from openseeker.llm.types import ToolSpec
from openseeker.pipeline.stage import Reject, StageContext, StageResult, run_stage

STAGE = "trajectories"


def tools_from_system(system: str) -> list[ToolSpec]:
    """The tool specs listed inside ``<tools>...</tools>`` (flat or OpenAI-wrapped, one JSON per line)."""
    # The prompt may mention the tags in prose too, so read every line of every <tools> block.
    block = "\n".join(re.findall(r"<tools>(.*?)</tools>", system, re.S))
    specs = []
    for line in block.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            continue
        d = d.get("function", d)
        if isinstance(d, dict) and "name" in d:
            specs.append(ToolSpec(d["name"], d.get("description", ""), d.get("parameters", {})))
    return specs


def row_to_trajectory(row: dict[str, Any], *, id: str, source: str = "") -> Trajectory:
    """Convert one released row; raises :class:`ValueError` with the reason when it cannot be mapped."""
    turns = row.get("trajectory")
    if not isinstance(turns, list) or not turns:
        raise ValueError("missing_trajectory")
    i = 0
    system = ""
    if turns[0].get("role") == "system":
        system, i = str(turns[0].get("content") or ""), 1
    if i >= len(turns) or turns[i].get("role") != "user":
        raise ValueError("no_question_turn")
    question = str(row.get("question") or turns[i].get("content") or "")
    i += 1
    steps: list[Step] = []
    while i < len(turns):
        turn = turns[i]
        if turn.get("role") != "assistant":
            raise ValueError("unexpected_role")
        text = str(turn.get("content") or "")
        reasoning, content = split_think(text)
        step = Step(index=len(steps), reasoning=reasoning, content=content, text=text)
        answer = extract_answer(content)
        responses: list[str] | None = None
        if i + 1 < len(turns) and turns[i + 1].get("role") in ("user", "tool"):
            nxt = str(turns[i + 1].get("content") or "")
            responses = split_responses(nxt) if turns[i + 1].get("role") == "user" else [nxt]
            if not responses and nxt.strip():
                raise ValueError("user_turn_without_tool_response")
            i += 1
        i += 1
        if answer is not None:
            step.answer = answer
            if responses:
                raise ValueError("responses_after_answer")
        else:
            calls, _errors = parse_calls(content)
            if calls:
                if responses is None:  # the run was cut after this turn (the tool-call limit)
                    responses = [""] * len(calls)
                if len(responses) != len(calls):
                    raise ValueError("response_count_mismatch")
                step.calls = [
                    Observation(c.name, c.arguments, response=r, error=r.startswith("Error"))
                    for c, r in zip(calls, responses, strict=True)
                ]
            elif responses:
                if len(responses) != 1:
                    raise ValueError("response_count_mismatch")
                step.parse_error = responses[0]
        steps.append(step)
    last = steps[-1] if steps else None
    correctness = row.get("trajectory correctness")
    n_calls = row.get("number of tool calls")
    return Trajectory(
        id=id,
        question=question,
        steps=steps,
        system=system,
        tools=tools_from_system(system),
        final_answer=last.answer if last else None,
        final_response=strip_blocks(last.content) if last else "",
        finish_reason="answer" if last is not None and last.answer is not None else "unknown",
        tool_calls=int(n_calls) if isinstance(n_calls, int | float) else sum(len(s.calls) for s in steps),
        model="openseeker-v1-data",
        mode="text",
        context="raw",
        gold=str(row["answer"]) if row.get("answer") is not None else None,
        correct=True if correctness == "Correct" else False if correctness == "Incorrect" else None,
        metadata={"source": source, "imported": True, "trajectory correctness": correctness},
    )


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    yield from enumerate(iter_jsonl(path), 1)


async def aimport_openseeker(
    path: str | Path,
    out: str | Path,
    *,
    limit: int | None = None,
    shard_size: int = 1000,
    progress: bool = False,
) -> StageResult:
    """Async form of :func:`import_openseeker`."""
    p = Path(path)
    if not p.exists():
        raise DataError("file not found", path=str(p))
    prefix = p.name.split(".")[0]

    async def convert(item: tuple[int, dict[str, Any]], ctx: StageContext) -> Trajectory | Reject:
        n, row = item
        try:
            traj = row_to_trajectory(row, id=f"{prefix}-{n}", source=f"{p.name}:{n}")
        except ValueError as e:
            return Reject(str(e), {"file": str(p), "row": n})
        ctx.count("tool_calls", traj.tool_calls)
        ctx.count(f"correctness_{traj.metadata['trajectory correctness']}")
        return traj

    rows: Iterator[tuple[int, dict[str, Any]]] = _rows(p)
    if limit is not None:
        rows = itertools.islice(rows, limit)
    return await run_stage(
        out,
        STAGE,
        rows,
        convert,
        key=lambda r: f"{prefix}-{r[0]}",
        shard_size=shard_size,
        concurrency=1,
        progress=progress,
        description=f"import {p.name}",
        unit="rows",
    )


def import_openseeker(
    path: str | Path,
    out: str | Path,
    *,
    limit: int | None = None,
    shard_size: int = 1000,
    progress: bool = False,
) -> StageResult:
    """Import an OpenSeeker-v1-Data JSONL file into ``<out>/trajectories/`` (resumable; rejects counted).

    Args:
        path: the JSONL file (rows with ``question``, ``answer``, ``number of tool calls``,
            ``trajectory correctness`` and ``trajectory``).
        out: the run folder to write.
        limit: only the first N rows.
        shard_size: rows per output shard.
        progress: show a progress bar.
    """
    return asyncio.run(aimport_openseeker(path, out, limit=limit, shard_size=shard_size, progress=progress))
