"""Conversion of a stored trajectory into the three SFT sample layouts.

All three carry the *student view* (METHOD eq. 2): the teacher's turns verbatim, with every tool
response raw; retrospective summaries never leave the record.
"""

from __future__ import annotations

import json
from typing import Any

from openseeker.agent.format import RESP_CLOSE, RESP_OPEN, format_responses
from openseeker.agent.records import Step, Trajectory
from openseeker.llm.types import Message

FORMATS = ("messages", "openseeker", "sharegpt")


def observations(step: Step) -> list[str]:
    """The raw observations of a step (one per call; the parse-error message when the turn had no call)."""
    if step.calls:
        return [c.response for c in step.calls]
    if step.parse_error is not None:
        return [step.parse_error]
    return []


def correctness_label(correct: bool | None) -> str:
    """The ``trajectory correctness`` value of the released data."""
    return "Correct" if correct is True else "Incorrect" if correct is False else "Unjudged"


def to_messages(traj: Trajectory) -> dict[str, Any]:
    """(a) OpenAI messages + tools: ``{"messages", "tools", "metadata"}`` (TRL's conversational format).

    One ``tool`` message per tool response; the chat template (Qwen3 / OpenSeeker) renders consecutive
    tool messages as one user turn of ``<tool_response>`` blocks, which is the released data's layout.
    """
    msgs: list[Message] = []
    if traj.system:
        msgs.append({"role": "system", "content": traj.system})
    msgs.append({"role": "user", "content": traj.question})
    for step in traj.steps:
        msgs.append({"role": "assistant", "content": step.text})
        msgs.extend({"role": "tool", "content": o} for o in observations(step))
    return {"messages": msgs, "tools": [t.openai() for t in traj.tools], "metadata": metadata(traj)}


def metadata(traj: Trajectory) -> dict[str, Any]:
    """A fixed set of fields (a stable column schema for Arrow / ``datasets``)."""
    return {
        "id": traj.id,
        "gold": traj.gold,
        "correct": traj.correct,
        "final_answer": traj.final_answer,
        "tool_calls": traj.tool_calls,
        "steps": len(traj.steps),
        "finish_reason": traj.finish_reason,
        "model": traj.model,
        "context": traj.context,
    }


def to_openseeker(traj: Trajectory) -> dict[str, Any]:
    """(b) The released OpenSeeker-v1-Data layout (METHOD section 4)."""
    turns: list[Message] = []
    if traj.system:
        turns.append({"role": "system", "content": traj.system})
    turns.append({"role": "user", "content": traj.question})
    for step in traj.steps:
        turns.append({"role": "assistant", "content": step.text})
        obs = observations(step)
        if obs:
            turns.append({"role": "user", "content": format_responses(obs)})
    return {
        "question": traj.question,
        "answer": traj.gold if traj.gold is not None else (traj.final_answer or ""),
        "number of tool calls": traj.tool_calls,
        "trajectory correctness": correctness_label(traj.correct),
        "trajectory": turns,
    }


# Joining the responses of one turn with this separator makes LLaMA-Factory's Qwen templates (which wrap an
# observation in one <tool_response> block) render exactly one block per response.
_OBS_JOIN = f"\n{RESP_CLOSE}\n{RESP_OPEN}\n"


TOOL_CALL_STYLES = ("text", "function_call")


def to_sharegpt(traj: Trajectory, tool_calls: str = "text") -> dict[str, Any]:
    """(c) ShareGPT as read by LLaMA-Factory: ``conversations`` + ``system`` (+ ``tools``).

    ``tool_calls="text"`` (default): every turn is a ``gpt`` turn with the OpenSeeker text verbatim, tool
    calls included; no ``tools`` column is written, because the schemas are already in the system prompt
    (LLaMA-Factory would render them a second time).

    ``tool_calls="function_call"``: a turn that calls tools becomes a ``function_call`` turn, its value the
    turn's ``<think>`` block followed by the calls as JSON (a list for several calls; LLaMA-Factory moves the
    think block in front of the calls it renders in the model template's own tool format), and the tool
    schemas go in a ``tools`` column. A turn whose calls did not all decode stays a ``gpt`` text turn, since
    it has no well-formed call to write.
    """
    if tool_calls not in TOOL_CALL_STYLES:
        raise ValueError(f"unknown tool-call style {tool_calls!r}; choose one of {', '.join(TOOL_CALL_STYLES)}")
    conv = [{"from": "human", "value": traj.question}]
    for step in traj.steps:
        call_turn = _function_call_value(step) if tool_calls == "function_call" else None
        if call_turn is not None:
            conv.append({"from": "function_call", "value": call_turn})
        else:
            conv.append({"from": "gpt", "value": step.text})
        obs = observations(step)
        if obs:
            conv.append({"from": "observation", "value": _OBS_JOIN.join(obs)})
    row: dict[str, Any] = {"conversations": conv, "system": traj.system, "id": traj.id}
    if tool_calls == "function_call":
        row["tools"] = json.dumps([t.flat() for t in traj.tools], ensure_ascii=False)
    return row


# the name the agent loop gives the observation of a call that did not decode (no real call to write)
_UNDECODED = "invalid_tool_call"


def _function_call_value(step: Step) -> str | None:
    """The ``function_call`` value of a step that made well-formed calls, else None."""
    if not step.calls or any(c.name == _UNDECODED for c in step.calls):
        return None
    calls = [{"name": c.name, "arguments": c.arguments} for c in step.calls]
    payload = json.dumps(calls[0] if len(calls) == 1 else calls, ensure_ascii=False)
    return (f"<think>\n{step.reasoning}\n</think>\n\n" if step.reasoning else "") + payload


def sharegpt_dataset_info(name: str, file_name: str, tool_calls: str = "text") -> dict[str, Any]:
    """The ``dataset_info.json`` entry that registers a ShareGPT export with LLaMA-Factory."""
    columns = {"messages": "conversations", "system": "system"}
    tags = {
        "role_tag": "from",
        "content_tag": "value",
        "user_tag": "human",
        "assistant_tag": "gpt",
        "observation_tag": "observation",
        "system_tag": "system",
    }
    if tool_calls == "function_call":
        columns["tools"] = "tools"
        tags["function_tag"] = "function_call"
    return {name: {"file_name": file_name, "formatting": "sharegpt", "columns": columns, "tags": tags}}


def convert(traj: Trajectory, fmt: str, *, tool_calls: str = "text") -> dict[str, Any]:
    """One sample of format ``fmt`` (``messages``, ``openseeker`` or ``sharegpt`` with ``tool_calls``)."""
    if fmt == "messages":
        return to_messages(traj)
    if fmt == "openseeker":
        return to_openseeker(traj)
    if fmt == "sharegpt":
        return to_sharegpt(traj, tool_calls)
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


def sample_text(traj: Trajectory) -> str:
    """The whole sample as one string (for token-length filters)."""
    return json.dumps(to_messages(traj)["messages"], ensure_ascii=False)
