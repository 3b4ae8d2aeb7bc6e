"""Contexts derived from a stored trajectory: the raw (student / inference) view and the retrospective
(teacher) view of METHOD section 3.1.

``render_context(traj, "retrospective", upto=t)`` is exactly what the teacher was sent before step ``t``:
system, question, then every earlier turn verbatim, with the tool responses of steps ``< t-1`` replaced by
their summaries and the responses of step ``t-1`` (the newest) raw. ``"raw"`` keeps every response
verbatim (eq. 2). The agent builds its requests with this same function, so the record cannot disagree
with what was sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from openseeker.agent.format import format_responses
from openseeker.agent.records import Step, Trajectory
from openseeker.llm.types import Message

ContextStrategy = Literal["raw", "retrospective"]
TokenCounter = Callable[[str], int]
_MESSAGE_OVERHEAD = 4  # role markers and separators of a chat template, per message


def chars_per_token(text: str) -> int:
    """The default token estimate: characters / 4 (as the official runner's ``context_est_tokens``)."""
    return (len(text) + 3) // 4


def tokenizer_counter(name_or_path: str) -> TokenCounter:
    """A counter backed by a Hugging Face tokenizer (needs ``transformers``)."""
    try:
        from transformers import AutoTokenizer
    except ImportError as e:  # pragma: no cover - optional
        from openseeker.errors import missing_extra

        raise missing_extra("transformers", "train", "Counting tokens with a tokenizer") from e
    tok = AutoTokenizer.from_pretrained(name_or_path)
    return lambda text: len(tok.encode(text, add_special_tokens=False))


def count_messages(messages: list[Message], counter: TokenCounter = chars_per_token) -> int:
    """Estimated prompt tokens of a message list."""
    return sum(counter(str(m.get("content") or "")) + _MESSAGE_OVERHEAD for m in messages)


def _summarized(step_index: int, upto: int, strategy: ContextStrategy) -> bool:
    # Retrospective: only the newest step's observations (step upto-1) stay raw.
    return strategy == "retrospective" and step_index < upto - 1


def step_messages(step: Step, *, summarized: bool, native: bool, tool_role: str) -> list[Message]:
    """The messages of one turn: the instruction that preceded it (forced answers), the assistant turn,
    then its observations."""
    msgs: list[Message] = [{"role": "user", "content": step.instruction}] if step.instruction else []
    if native:
        am: Message = {"role": "assistant", "content": step.content}
        if step.native_tool_calls and step.calls:
            am["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": _json(c.arguments)},
                }
                for c in step.calls
            ]
        msgs.append(am)
    else:
        msgs.append({"role": "assistant", "content": step.text})
    if step.calls:
        if native and step.native_tool_calls:
            for c in step.calls:
                msgs.append({"role": "tool", "tool_call_id": c.id, "content": c.view(summarized)})
        elif tool_role == "user" or native:
            msgs.append(
                {"role": "user", "content": format_responses([c.view(summarized) for c in step.calls])}
            )
        else:
            msgs.extend({"role": "tool", "content": c.view(summarized)} for c in step.calls)
    elif step.parse_error is not None:
        if tool_role == "user" or native:
            msgs.append({"role": "user", "content": format_responses([step.parse_error])})
        else:
            msgs.append({"role": "tool", "content": step.parse_error})
    return msgs


def _json(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def render_context(
    traj: Trajectory,
    strategy: ContextStrategy = "raw",
    upto: int | None = None,
    *,
    tool_role: str = "tool",
) -> list[Message]:
    """The messages the model sees before step ``upto`` (default: after the last step).

    Args:
        traj: the stored trajectory (the single source of truth).
        strategy: ``raw`` (every response verbatim) or ``retrospective`` (all but the newest step's
            responses replaced by their summaries).
        upto: the index of the step about to be generated; ``None`` renders the whole trajectory.
        tool_role: ``tool`` (one ``role: tool`` message per response; the completions provider folds
            them into a ``<tool_response>`` user turn) or ``user`` (one user message with the
            concatenated ``<tool_response>`` blocks, for chat endpoints without tool messages).
    """
    n = len(traj.steps) if upto is None else upto
    native = traj.mode == "native"
    msgs: list[Message] = []
    if traj.system:
        msgs.append({"role": "system", "content": traj.system})
    msgs.append({"role": "user", "content": traj.question})
    for step in traj.steps[:n]:
        msgs.extend(
            step_messages(
                step, summarized=_summarized(step.index, n, strategy), native=native, tool_role=tool_role
            )
        )
    return msgs


def context_tokens(
    traj: Trajectory,
    strategy: ContextStrategy,
    upto: int | None = None,
    *,
    counter: TokenCounter = chars_per_token,
    tool_role: str = "tool",
) -> int:
    """Estimated prompt tokens of :func:`render_context`."""
    return count_messages(render_context(traj, strategy, upto, tool_role=tool_role), counter)
