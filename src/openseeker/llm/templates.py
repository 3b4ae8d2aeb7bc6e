"""Chat templates rendered on the client, for raw ``/v1/completions`` endpoints and in-process models.

Two templates (our own renderer, written from the format's description in METHOD.md section 5.2):

``openseeker`` (alias ``qwen3-thinking``)
    ChatML (``<|im_start|>role\\n...<|im_end|>\\n``) as the released OpenSeeker models were trained on:

    * the generation prompt is ``<|im_start|>assistant\\n<think>\\n``, so the thinking block is forced open;
    * assistant turns after the last real user query are written ``<think>\\n{reasoning}\\n</think>\\n\\n{content}``,
      so in an agent episode (one query, many turns) every earlier turn keeps its reasoning; assistant
      turns before that query keep only their content;
    * ``role: tool`` messages are written inside a user turn as ``\\n<tool_response>\\n{content}\\n</tool_response>``,
      and consecutive tool messages share one user turn;
    * a user message that is itself a ``<tool_response>...</tool_response>`` block is not a "real query".

``chatml``
    Plain ChatML, every message as it is, generation prompt ``<|im_start|>assistant\\n`` (SmolLM2, Qwen2.5).

Reasoning of an assistant message is taken from ``reasoning_content`` (or ``reasoning``), else from a
``<think>...</think>`` block at the start of its content, which is how the completions provider returns
text (the forced ``<think>\\n`` included), so a returned turn can be appended to the history as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from openseeker.errors import ConfigError
from openseeker.llm.types import Message, ToolSpec

IM_START, IM_END = "<|im_start|>", "<|im_end|>"
END_TOKENS = ("<|im_end|>", "<|endoftext|>", "<|end_of_text|>", "</s>")


def _content(m: Message) -> str:
    c = m.get("content")
    if c is None:
        return ""
    if isinstance(c, str):
        return c
    if isinstance(c, list):  # OpenAI content parts: keep the text parts
        return "".join(p.get("text", "") for p in c if isinstance(p, dict))
    return str(c)


def split_reasoning(m: Message) -> tuple[str, str]:
    """``(reasoning, content)`` of an assistant message."""
    content = _content(m)
    reasoning = m.get("reasoning_content") or m.get("reasoning")
    if isinstance(reasoning, str):
        return reasoning.strip("\n"), content
    if "</think>" in content:
        before, _, after = content.partition("</think>")
        return before.split("<think>")[-1].strip("\n"), after.lstrip("\n")
    return "", content


def _tool_call_json(call: dict[str, Any]) -> str:
    fn = call.get("function", call)
    args = fn.get("arguments", {})
    if isinstance(args, str):
        try:
            args = orjson.loads(args)
        except orjson.JSONDecodeError:
            pass  # keep the model's own (broken) text rather than inventing arguments
    name = orjson.dumps(fn.get("name", "")).decode()
    args_text = args if isinstance(args, str) else orjson.dumps(args).decode()
    return f'{{"name": {name}, "arguments": {args_text}}}'


def _tool_calls_text(m: Message, content: str) -> str:
    out = ""
    for i, call in enumerate(m.get("tool_calls") or []):
        if i > 0 or content:
            out += "\n"
        out += f"<tool_call>\n{_tool_call_json(call)}\n</tool_call>"
    return out


def tools_section(tools: Sequence[ToolSpec]) -> str:
    """Our description of native tools, appended to the system message (one flat JSON spec per line)."""
    specs = "\n".join(orjson.dumps(t.flat()).decode() for t in tools)
    return (
        "\n\n# Tools\n\nYou can call the functions described below, one JSON object per line inside "
        f"<tools></tools>:\n<tools>\n{specs}\n</tools>\n\n"
        'To call a function, write a JSON object with the keys "name" and "arguments" inside '
        '<tool_call></tool_call> tags:\n<tool_call>\n{"name": <function name>, "arguments": <arguments object>}\n'
        "</tool_call>"
    )


def _is_tool_response(m: Message) -> bool:
    c = _content(m).strip()
    return m.get("role") == "user" and c.startswith("<tool_response>") and c.endswith("</tool_response>")


def _with_tools(messages: Sequence[Message], tools: Sequence[ToolSpec] | None) -> list[Message]:
    msgs = list(messages)
    if not tools:
        return msgs
    if msgs and msgs[0].get("role") == "system":
        return [{**msgs[0], "content": _content(msgs[0]) + tools_section(tools)}, *msgs[1:]]
    return [{"role": "system", "content": tools_section(tools).lstrip("\n")}, *msgs]


def render_openseeker(
    messages: Sequence[Message], tools: Sequence[ToolSpec] | None = None, add_generation_prompt: bool = True
) -> str:
    """The OpenSeeker / Qwen3-thinking ChatML prompt (see the module docstring)."""
    msgs = _with_tools(messages, tools)
    last_query = len(msgs) - 1
    for i in range(len(msgs) - 1, -1, -1):
        if msgs[i].get("role") == "user" and not _is_tool_response(msgs[i]):
            last_query = i
            break
    parts: list[str] = []
    for i, m in enumerate(msgs):
        role = m.get("role")
        if role in ("system", "user"):
            parts.append(f"{IM_START}{role}\n{_content(m)}{IM_END}\n")
        elif role == "assistant":
            reasoning, content = split_reasoning(m)
            is_last = i == len(msgs) - 1
            if i > last_query and (reasoning or is_last):
                body = f"<think>\n{reasoning}\n</think>\n\n{content.lstrip(chr(10))}"
            else:
                body = content
            parts.append(f"{IM_START}assistant\n{body}{_tool_calls_text(m, body)}{IM_END}\n")
        elif role == "tool":
            if i == 0 or msgs[i - 1].get("role") != "tool":
                parts.append(f"{IM_START}user")
            parts.append(f"\n<tool_response>\n{_content(m)}\n</tool_response>")
            if i == len(msgs) - 1 or msgs[i + 1].get("role") != "tool":
                parts.append(f"{IM_END}\n")
        else:
            raise ConfigError(f"message {i} has an unknown role {role!r}")
    if add_generation_prompt:
        parts.append(f"{IM_START}assistant\n<think>\n")
    return "".join(parts)


def render_chatml(
    messages: Sequence[Message], tools: Sequence[ToolSpec] | None = None, add_generation_prompt: bool = True
) -> str:
    """Plain ChatML: ``<|im_start|>role\\ncontent<|im_end|>\\n`` per message."""
    parts: list[str] = []
    for m in _with_tools(messages, tools):
        content = _content(m)
        if m.get("role") == "assistant":
            content += _tool_calls_text(m, content)
        parts.append(f"{IM_START}{m.get('role')}\n{content}{IM_END}\n")
    if add_generation_prompt:
        parts.append(f"{IM_START}assistant\n")
    return "".join(parts)


Renderer = Callable[[Sequence[Message], Sequence[ToolSpec] | None, bool], str]

TEMPLATES: dict[str, tuple[Renderer, str]] = {
    # name -> (renderer, text the generation prompt forces the assistant turn to start with)
    "openseeker": (render_openseeker, "<think>\n"),
    "qwen3-thinking": (render_openseeker, "<think>\n"),
    "chatml": (render_chatml, ""),
}


def get_template(name: str) -> tuple[Renderer, str]:
    """``(renderer, forced_prefix)`` of a template name."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise ConfigError(f"unknown chat template {name!r}; templates: {', '.join(TEMPLATES)}") from None


def render(
    messages: Sequence[Message],
    template: str = "openseeker",
    tools: Sequence[ToolSpec] | None = None,
    add_generation_prompt: bool = True,
) -> str:
    """Render ``messages`` with the named template."""
    fn, _ = get_template(template)
    return fn(messages, tools, add_generation_prompt)


def strip_end_tokens(text: str) -> str:
    """Remove trailing end-of-turn tokens (servers asked to keep special tokens may return them)."""
    changed = True
    while changed:
        changed = False
        stripped = text.rstrip()
        for tok in END_TOKENS:
            if stripped.endswith(tok):
                text = stripped[: -len(tok)]
                changed = True
    return text
