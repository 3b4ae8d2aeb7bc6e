"""The ``openseeker-v2`` agent profile: the format of the released OpenSeeker-v2 model (METHOD.md 5.5, 8).

What differs from ``openseeker-v1``:

* **Tools**: ``search``, ``visit`` and the five sandbox tools; search results whose link contains
  "huggingface" are dropped (``tools.enabled`` / ``tools.search_exclude`` defaults).
* **Prompt layout**: a one-line system prompt; the chat template appends a ``# Tools`` section with the
  tools as full OpenAI objects (``{"type": "function", "function": {...}}``) and the
  ``<tool_calls_begin>`` format rule. Given a checkout of the official repository as
  ``agent.prompt_source``, both the prompt and that section come from it (the template is rendered with
  jinja2, so the text is byte for byte what the model saw); given a text file, the file is the prompt and
  the section is our own wording around the same JSON.
* **Answers** in ``\\boxed{}``: every question gets an instruction to box the final answer (the checkout's
  text, or ours), and ``final_answer`` is the boxed text.
* **Parsing**: the v1 parser plus one error for a ``<tool_calls_begin>`` block without any call; a turn
  with neither a call nor an answer counts as a tool call.
* **Tool limit**: one more turn, rendered *without* the tools section and forced to start with the v2
  "tool limit reached" text; a turn that still calls tools is discarded and retried with the "tools are
  disabled" text, up to three attempts, then the run ends with ``no_final_answer_after_tools_disabled``.
  (These short forced texts are format facts, reproduced as the official runner writes them.)
* **Rejection sampling** keeps only trajectories with at least ``min_tool_calls`` calls (v2's low-step
  filter). The paper gives no value; 30 is our default (one summary of the paper cites 30 as an example).
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

from openseeker.agent import prompts
from openseeker.agent.format import _V1_BLOCK, _V1_CALL, ParsedTurn, parse_error_v1, parse_turn_v1
from openseeker.agent.profiles import V1_CONTEXT_ANSWER, V1_TOKEN_LIMIT, Profile, profiles
from openseeker.errors import ConfigError
from openseeker.llm.types import ToolSpec
from openseeker.prose import OfficialText, load_prose
from openseeker.tools.layout import OPENSEEKER_V1

V2_TOOL_LIMIT = (
    "I have reached the tool usage limit. Do NOT call any more tools. Do NOT output <tool_calls_begin> tags. "
    "Provide my final answer as plain text NOW."
)
V2_RETRY = (
    "Tools are disabled. Do NOT output any <tool_calls_begin> tags. Provide my final answer as plain text "
    "immediately."
)
V2_EMPTY_BLOCK = (
    "ERROR: Found <tool_calls_begin> block but no <tool_call> inside. I must either call a tool with "
    "<tool_call>...</tool_call> or provide my final answer directly as plain text WITHOUT any tool_calls tags."
)
OFFICIAL_SYSTEM = OfficialText("src/llm_tool_openseeker_v2.py", "developer_prompt")
OFFICIAL_SUFFIX = OfficialText("eval/generate_answer_v2.py", "BOX_FORMAT_INSTRUCTION")
OFFICIAL_TEMPLATE = "src/config/chat_template.jinja"
DEFAULT_MIN_TOOL_CALLS = 30


def parse_turn_v2(text: str, reasoning: str | None = None) -> ParsedTurn:
    """The v1 parse, plus the v2 runner's error for a call block that holds no call."""
    parsed = parse_turn_v1(text, reasoning)
    if parsed.answer is None:
        blocks = _V1_BLOCK.findall(parsed.content)
        if blocks and not any(_V1_CALL.search(b) for b in blocks):
            parsed.errors.insert(0, V2_EMPTY_BLOCK)
    return parsed


def boxed(text: str) -> str:
    """The content of the last ``\\boxed{...}`` in ``text`` (nested braces allowed), else ``text``."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return text
    i = start + len("\\boxed{")
    depth, out = 1, list[str]()
    while i < len(text):
        ch = text[i]
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0:
            return "".join(out).strip()
        out.append(ch)
        i += 1
    return text  # unclosed: keep the whole answer


def _tool_json(tools: list[ToolSpec]) -> str:
    return "\n".join(json.dumps(t.openai(), ensure_ascii=False) for t in tools)


def _render_official_template(template: Path, short: str, tools: list[ToolSpec]) -> str:
    """The system turn the official chat template renders for ``short`` and ``tools``, without the
    ChatML markers around it (our renderer adds them back)."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment()
    env.filters["tojson"] = lambda obj: json.dumps(obj, ensure_ascii=False)
    env.globals["strftime_now"] = lambda fmt: datetime.datetime.now().strftime(fmt)
    try:
        rendered = env.from_string(template.read_text(encoding="utf-8")).render(
            messages=[{"role": "system", "content": short}],
            tools=[t.openai() for t in tools] or None,
            add_generation_prompt=False,
        )
    except Exception as e:
        raise ConfigError(
            f"Cannot render the chat template {str(template)!r}: {type(e).__name__}: {e}"
        ) from None
    m = re.fullmatch(r"<\|im_start\|>system\n(.*)<\|im_end\|>\n?", rendered, re.S)
    if m is None:
        raise ConfigError(f"{str(template)!r} did not render one ChatML system turn for a system message")
    return m.group(1)


def build_system(tools: list[ToolSpec], source: str | None, with_tools: bool) -> str:
    """The v2 system message: the short prompt, then (``with_tools``) the template's tools section."""
    short = load_prose(
        source, OFFICIAL_SYSTEM, what="the openseeker-v2 system prompt", profile="openseeker-v2"
    )
    short = short.strip() if source is not None and Path(source).is_file() else short
    if not with_tools or not tools:
        return short
    template = Path(source).expanduser() / OFFICIAL_TEMPLATE if source is not None else None
    if template is not None and template.is_file():
        return _render_official_template(template, short, tools)
    return short + "\n\n" + prompts.load("tools_v2_en").strip().replace("{tools}", _tool_json(tools))


def question_suffix(source: str | None) -> str:
    """The \\boxed{} instruction appended to each question (the checkout's, else ours)."""
    if source is not None and Path(source).expanduser().is_dir():
        return load_prose(
            source, OFFICIAL_SUFFIX, what="the v2 answer-format instruction", profile="openseeker-v2"
        )
    return "\n\n" + prompts.load("boxed_en").strip()


@profiles.register("openseeker-v2")
def _openseeker_v2() -> Profile:
    return Profile(
        name="openseeker-v2",
        description="the released OpenSeeker-v2 model's format: 7 tools, template-rendered tool JSON, \\boxed{} "
        "answers, forced answer without tools at the limit (prompt read from prompt_source)",
        tools=OPENSEEKER_V1,
        parse_turn=parse_turn_v2,
        parse_error=parse_error_v1,
        error_block_per_bad_call=False,
        forced_prefix={
            "tool_limit": V2_TOOL_LIMIT,
            "turn_limit": V2_TOOL_LIMIT,
            "context": V1_TOKEN_LIMIT,
            "retry": V2_RETRY,
        },
        context_limit_answer=V1_CONTEXT_ANSWER,
        system_prompt=None,
        official_system=OFFICIAL_SYSTEM,
        build_system=build_system,
        question_suffix=question_suffix,
        final_answer=boxed,
        agent_defaults={"on_tool_limit": "force_answer", "count_parse_errors": True, "mode": "text"},
        tool_defaults={"enabled": ["search", "visit", "sandbox"], "search_exclude": ["huggingface"]},
        min_tool_calls=DEFAULT_MIN_TOOL_CALLS,
    )
