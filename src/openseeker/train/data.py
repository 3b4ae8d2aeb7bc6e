"""Read SFT exports into plain conversations.

Two input shapes are accepted, per line of a JSONL file (or of every ``*.jsonl[.gz]`` file in a folder):

(a) the openseeker "messages" export: ``{"messages": [...], "tools": [...], "metadata": {...}}`` with roles
    system / user / assistant / tool. Assistant content is the full turn text (``<think>...</think>`` then
    a tool-call block or an ``<answer>``); tool content is the raw tool response.
(b) OpenSeeker-v1-Data rows: ``question``, ``answer``, ``number of tool calls``, ``trajectory correctness``
    and ``trajectory`` (a list of ``{role, content}``; tool responses already sit inside user turns as
    ``<tool_response>`` blocks).

A line that is neither shape, or a message with an unknown role or non-text content, is a
:class:`~openseeker.errors.DataError` naming the file and line: the file is not what the user thinks it is.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import orjson

from openseeker.errors import DataError
from openseeker.io.jsonl import iter_jsonl

Role = Literal["system", "user", "assistant", "tool"]
_ROLES = ("system", "user", "assistant", "tool")
# Keys that may carry a correctness label, in the order they are looked up.
_CORRECT_KEYS = ("trajectory correctness", "trajectory_correctness", "correctness", "correct", "is_correct")


@dataclasses.dataclass(slots=True)
class Conversation:
    """One training sample: normalised messages plus where it came from.

    Attributes:
        id: a stable id (the row's ``id`` / ``metadata.id`` or ``<file>:<line>``).
        messages: ``{"role", "content"}`` dicts; assistant content is the full turn text.
        correct: the trajectory's correctness label, or None when the row has none.
        source: ``file:line`` of the row, for error messages and the rejects file.
        fmt: which input shape it came from (``messages`` or ``openseeker_v1``).
    """

    id: str
    messages: list[dict[str, str]]
    correct: bool | None
    source: str
    fmt: str


def export_files(path: str | Path) -> list[Path]:
    """The JSONL files of an export: the file itself, or every ``*.jsonl``/``*.jsonl.gz`` in a folder (sorted)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(
            f
            for f in p.rglob("*")
            if f.is_file() and (f.name.endswith(".jsonl") or f.name.endswith(".jsonl.gz"))
        )
        if not files:
            raise DataError("folder holds no *.jsonl or *.jsonl.gz files", path=str(p))
        return files
    if not p.exists():
        raise DataError("file not found", path=str(p))
    return [p]


def _parse_label(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("correct", "true", "yes", "1"):
            return True
        if v in ("incorrect", "false", "no", "0", "wrong"):
            return False
    return None


def _label(*mappings: Any) -> bool | None:
    for m in mappings:
        if not isinstance(m, dict):
            continue
        for k in _CORRECT_KEYS:
            if k in m:
                return _parse_label(m[k])
    return None


def _render_tool_calls(calls: Any, where: str) -> str:
    """OpenAI-style ``tool_calls`` as the OpenSeeker text block (only used when content lacks one)."""
    if not isinstance(calls, list):
        raise DataError("assistant `tool_calls` must be a list", path=where)
    parts = []
    for c in calls:
        fn = c.get("function", c) if isinstance(c, dict) else None
        if not isinstance(fn, dict) or "name" not in fn:
            raise DataError(f"cannot read tool call {c!r}", path=where)
        args = fn.get("arguments", {})
        if isinstance(args, str):
            try:
                args = orjson.loads(args)
            except orjson.JSONDecodeError:
                pass  # keep the model's own (invalid) string: the text is what gets trained on
        # the agent's own serialisation (openseeker.agent.format.format_calls): json.dumps defaults
        call = json.dumps({"name": fn["name"], "arguments": args}, ensure_ascii=False)
        parts.append(f"<tool_call>\n{call}\n</tool_call>")
    return "<tool_calls_begin>\n" + "\n".join(parts) + "\n</tool_calls_end>"


def _message(raw: Any, where: str, idx: int) -> dict[str, str]:
    pos = f"{where} message {idx}"
    if not isinstance(raw, dict):
        raise DataError("message must be an object with role and content", path=pos)
    role = raw.get("role")
    if role not in _ROLES:
        raise DataError(f"unknown role {role!r} (expected one of {', '.join(_ROLES)})", path=pos)
    content = raw.get("content")
    if content is None:
        content = ""
    if isinstance(content, list):  # OpenAI content parts: keep text parts only, refuse anything else
        texts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            else:
                raise DataError(f"unsupported content part {str(part)[:80]!r}", path=pos)
        content = "".join(texts)
    if not isinstance(content, str):
        raise DataError(f"content must be text, got {type(content).__name__}", path=pos)
    if role == "assistant":
        reasoning = raw.get("reasoning_content") or raw.get("reasoning")
        if isinstance(reasoning, str) and reasoning and "<think>" not in content:
            content = f"<think>\n{reasoning.strip()}\n</think>\n\n{content.lstrip()}"
        if raw.get("tool_calls") and "<tool_call>" not in content:
            content = content + _render_tool_calls(raw["tool_calls"], pos)
    return {"role": role, "content": content}


def row_to_conversation(row: dict[str, Any], source: str) -> Conversation:
    """Normalise one export row (shape a or b) into a :class:`Conversation`.

    Raises:
        DataError: the row is neither shape, or a message is malformed.
    """
    if isinstance(row.get("messages"), list):
        msgs = [_message(m, source, i) for i, m in enumerate(row["messages"])]
        meta: dict[str, Any] = row["metadata"] if isinstance(row.get("metadata"), dict) else {}
        rid = row.get("id") or meta.get("id") or meta.get("trajectory_id") or source
        return Conversation(str(rid), msgs, _label(meta, row), source, "messages")
    if isinstance(row.get("trajectory"), list):
        msgs = [_message(m, source, i) for i, m in enumerate(row["trajectory"])]
        rid = row.get("id") or source
        return Conversation(str(rid), msgs, _label(row), source, "openseeker_v1")
    raise DataError(
        "row has neither a `messages` list (openseeker export) nor a `trajectory` list (OpenSeeker-v1-Data); "
        f"keys: {sorted(row)[:10]}",
        path=source,
    )


def iter_conversations(path: str | Path) -> Iterator[Conversation]:
    """Yield every conversation of an export file or folder, in file order."""
    for f in export_files(path):
        for n, row in enumerate(iter_jsonl(f), 1):
            # iter_jsonl skips blank lines, so n counts records; name the record, which is what users grep for
            yield row_to_conversation(row, f"{f}:record {n}")
