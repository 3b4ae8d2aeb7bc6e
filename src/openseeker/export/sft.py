"""``export_sft``: trajectories of a run -> an SFT dataset file, with filters and a counted report."""

from __future__ import annotations

import inspect
import json
import typing
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, create_model

from openseeker.agent.context import TokenCounter, chars_per_token, count_messages
from openseeker.agent.records import Trajectory
from openseeker.errors import ConfigError, DataError
from openseeker.export.formats import FORMATS, TOOL_CALL_STYLES, convert, sharegpt_dataset_info, to_messages
from openseeker.io.jsonl import iter_jsonl
from openseeker.records import Record

Correctness = Literal["correct", "incorrect", "judged", "any"]


@dataclass
class ExportReport(Record):
    """What an export read, wrote and skipped (by reason)."""

    out: str
    format: str
    read: int = 0
    written: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    tokens_mean: float = 0.0
    tokens_max: int = 0
    tool_calls_mean: float = 0.0
    extra_files: list[str] = field(default_factory=list)


def iter_trajectories(source: str | Path | Sequence[str | Path]) -> Iterator[Trajectory]:
    """Trajectories of a run folder (``<run>/trajectories/*.jsonl``), a JSONL file, or several of them (in order)."""
    if not isinstance(source, str | Path):
        for one in source:
            yield from iter_trajectories(one)
        return
    p = Path(source)
    if p.is_dir():
        stage = p / "trajectories" if (p / "trajectories").is_dir() else p
        files = sorted(stage.glob("[0-9]*.jsonl"))
        if not files:
            raise ConfigError(
                f"No trajectory records under {str(stage)!r}; run `openseeker synth traj` first."
            )
    elif p.exists():
        files = [p]
    else:
        raise ConfigError(f"{str(p)!r} does not exist.")
    for f in files:
        for row in iter_jsonl(f):
            yield Trajectory.from_dict(row)


def _skip_reason(
    traj: Trajectory,
    tokens: int,
    *,
    correctness: Correctness,
    min_tool_calls: int,
    max_tool_calls: int | None,
    max_tokens: int | None,
    require_answer: bool,
) -> str | None:
    if correctness == "correct" and traj.correct is not True:
        return "not_correct" if traj.correct is False else "unjudged"
    if correctness == "incorrect" and traj.correct is not False:
        return "not_incorrect"
    if correctness == "judged" and traj.correct is None:
        return "unjudged"
    if require_answer and traj.final_answer is None:
        return "no_answer"
    if traj.tool_calls < min_tool_calls:
        return "too_few_tool_calls"
    if max_tool_calls is not None and traj.tool_calls > max_tool_calls:
        return "too_many_tool_calls"
    if max_tokens is not None and tokens > max_tokens:
        return "too_long"
    return None


def export_sft(
    run_dir: str | Path | Sequence[str | Path],
    out: str | Path,
    format: str = "messages",
    *,
    correctness: Correctness = "correct",
    min_tool_calls: int = 0,
    max_tool_calls: int | None = None,
    max_tokens: int | None = None,
    require_answer: bool = True,
    token_counter: TokenCounter = chars_per_token,
    dataset_name: str = "openseeker_sft",
    tool_calls: str = "text",
) -> ExportReport:
    """Write the student view of a run's trajectories as an SFT dataset.

    Args:
        run_dir: a run folder (``<run>/trajectories/``), a trajectory JSONL file, or a list of them (to mix
            our own runs with imported released data).
        out: the output JSONL file.
        format: ``messages`` (OpenAI messages + tools, for TRL), ``openseeker`` (the released
            OpenSeeker-v1-Data layout) or ``sharegpt`` (LLaMA-Factory; its entry is written into, or merged
            with, the ``dataset_info.json`` of the output folder).
        correctness: keep ``correct`` (default), ``incorrect``, ``judged`` (either) or ``any`` trajectories.
        min_tool_calls: drop trajectories with fewer tool calls.
        max_tool_calls: drop trajectories with more tool calls.
        max_tokens: drop samples longer than this (estimated with ``token_counter``).
        require_answer: drop trajectories that ended without an ``<answer>``.
        token_counter: token estimate of a text (default characters / 4).
        dataset_name: the dataset's name in the LLaMA-Factory entry.
        tool_calls: ``sharegpt`` only: ``text`` (calls inside the ``gpt`` turns, as generated) or
            ``function_call`` (LLaMA-Factory's ``function_call`` turns and a ``tools`` column).

    Returns:
        An :class:`ExportReport` (also written as ``<out>.report.json``).
    """
    if format not in FORMATS:
        raise ConfigError(f"Unknown export format {format!r}; choose one of {', '.join(FORMATS)}.")
    if tool_calls not in TOOL_CALL_STYLES:
        raise ConfigError(f"tool_calls must be one of {', '.join(TOOL_CALL_STYLES)} (got {tool_calls!r}).")
    if tool_calls != "text" and format != "sharegpt":
        raise ConfigError(f"tool_calls={tool_calls!r} is an option of the sharegpt format, not of {format!r}.")
    if correctness not in ("correct", "incorrect", "judged", "any"):
        raise ConfigError(f"correctness must be correct, incorrect, judged or any (got {correctness!r}).")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if format == "sharegpt":
        read_dataset_info(out.parent)  # refuse a broken dataset_info.json before writing anything
    report = ExportReport(out=str(out), format=format)
    skipped: Counter[str] = Counter()
    tokens_sum = calls_sum = 0
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "wb") as fh:
        for traj in iter_trajectories(run_dir):
            report.read += 1
            tokens = count_messages(to_messages(traj)["messages"], token_counter)
            reason = _skip_reason(
                traj,
                tokens,
                correctness=correctness,
                min_tool_calls=min_tool_calls,
                max_tool_calls=max_tool_calls,
                max_tokens=max_tokens,
                require_answer=require_answer,
            )
            if reason is not None:
                skipped[reason] += 1
                continue
            fh.write(orjson.dumps(convert(traj, format, tool_calls=tool_calls), option=orjson.OPT_APPEND_NEWLINE))
            report.written += 1
            tokens_sum += tokens
            calls_sum += traj.tool_calls
            report.tokens_max = max(report.tokens_max, tokens)
    tmp.replace(out)
    report.skipped = dict(skipped.most_common())
    if report.written:
        report.tokens_mean = round(tokens_sum / report.written, 1)
        report.tool_calls_mean = round(calls_sum / report.written, 2)
    if format == "sharegpt":
        info = merge_dataset_info(out.parent, sharegpt_dataset_info(dataset_name, out.name, tool_calls))
        report.extra_files.append(str(info))
    out.with_name(out.name + ".report.json").write_text(
        json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8"
    )
    return report


def read_dataset_info(folder: Path) -> dict[str, Any]:
    """The entries of ``folder/dataset_info.json`` ({} when there is none).

    Raises:
        DataError: the file is not a JSON object (it may hold the user's other datasets: never overwritten).
    """
    path = folder / "dataset_info.json"
    if not path.exists():
        return {}
    try:
        current = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"not valid JSON ({e}); fix or move it to export here", path=str(path)) from None
    if not isinstance(current, dict):
        raise DataError("not a JSON object; fix or move it to export here", path=str(path))
    return current


def merge_dataset_info(folder: Path, entries: dict[str, Any]) -> Path:
    """Add ``entries`` to ``folder/dataset_info.json`` (the one file LLaMA-Factory reads), keeping the others.

    An entry of the same name is replaced; the file is replaced atomically.
    """
    path = folder / "dataset_info.json"
    current = read_dataset_info(folder)
    current.update(entries)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def report_dict(report: ExportReport) -> dict[str, Any]:
    """The report as a plain dict (for printing)."""
    return report.to_dict()


def _options_model() -> type[BaseModel]:
    """The quickstart's ``export:`` options as a config model: ``format`` plus :func:`export_sft`'s keyword
    options (so a typo in them is a config error)."""
    hints = typing.get_type_hints(export_sft)
    fields: dict[str, Any] = {"format": (str, "messages")}
    for p in inspect.signature(export_sft).parameters.values():
        if p.kind is inspect.Parameter.KEYWORD_ONLY:
            fields[p.name] = (hints.get(p.name, Any), p.default)
    return create_model(
        "ExportOptions", __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=True), **fields
    )


ExportOptions = _options_model()
