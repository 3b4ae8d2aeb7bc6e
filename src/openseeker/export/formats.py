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


def to_sharegpt(traj: Trajectory) -> dict[str, Any]:
    """(c) ShareGPT as read by LLaMA-Factory: ``conversations`` of human/gpt/observation turns + ``system``.

    The tool schemas are already inside the system prompt, so no ``tools`` column is written (LLaMA-Factory
    would render them a second time).
    """
    conv = [{"from": "human", "value": traj.question}]
    for step in traj.steps:
        conv.append({"from": "gpt", "value": step.text})
        obs = observations(step)
        if obs:
            conv.append({"from": "observation", "value": _OBS_JOIN.join(obs)})
    return {"conversations": conv, "system": traj.system, "id": traj.id}


def sharegpt_dataset_info(name: str, file_name: str) -> dict[str, Any]:
    """The ``dataset_info.json`` entry that registers a ShareGPT export with LLaMA-Factory."""
    return {
        name: {
            "file_name": file_name,
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "system": "system"},
            "tags": {
                "role_tag": "from",
                "content_tag": "value",
                "user_tag": "human",
                "assistant_tag": "gpt",
                "observation_tag": "observation",
                "system_tag": "system",
            },
        }
    }


def convert(traj: Trajectory, fmt: str) -> dict[str, Any]:
    """One sample of format ``fmt`` (``messages``, ``openseeker`` or ``sharegpt``)."""
    if fmt == "messages":
        return to_messages(traj)
    if fmt == "openseeker":
        return to_openseeker(traj)
    if fmt == "sharegpt":
        return to_sharegpt(traj)
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


def sample_text(traj: Trajectory) -> str:
    """The whole sample as one string (for token-length filters)."""
    return json.dumps(to_messages(traj)["messages"], ensure_ascii=False)
