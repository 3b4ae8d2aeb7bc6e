"""Agent profiles: everything about the turn format a trained model depends on, chosen by name.

A :class:`Profile` bundles the texts and rules of one format: the system prompt, how a turn is parsed and
how parse failures are reported (and counted), the tool-response layout
(:class:`~openseeker.tools.layout.ToolLayout`), the forced-stop and context-limit texts, and defaults for
the loop options. ``agent.profile`` in the config selects one; explicit agent options still win over the
profile's defaults.

Built in:

``openseeker`` (default)
    The toolkit's own wording: our system prompt, a forgiving parser whose errors carry a format hint,
    one ``Error:`` block for each undecodable call, parse failures counted as tool calls.
``openseeker-v1``
    The released OpenSeeker-v1 models' exact format (METHOD.md sections 5 and 6): the official tool
    layouts and error texts, the strict parser with its fixed error texts (a failed parse is answered but
    not counted), one response block per call that ran, the run stopping at the tool limit, and the
    official forced-stop and context-limit texts (the ones the official ``eval.py`` counts). Its system
    prompt and judge prompt are prose this project does not ship: give ``agent.prompt_source`` (a text
    file, or a local checkout of the official repository).

``openseeker-v2``
    The released OpenSeeker-v2 model's format (:mod:`openseeker.agent.profile_v2`): the seven v2 tools, the
    tools rendered by the chat template, ``\\boxed{}`` answers, a forced answer without tools at the limit.

New profiles are registered with ``@profiles.register("name")`` on a function returning a :class:`Profile`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openseeker.agent import prompts
from openseeker.agent.format import (
    ParsedTurn,
    parse_error_message,
    parse_error_v1,
    parse_turn,
    parse_turn_v1,
)
from openseeker.judge.official import V1_JUDGE, V1_JUDGE_SYSTEM
from openseeker.llm.types import ToolSpec
from openseeker.prose import OfficialText, judge_messages, load_prose
from openseeker.registry import Registry
from openseeker.tools.layout import OPENSEEKER, OPENSEEKER_V1, ToolLayout

if TYPE_CHECKING:
    from openseeker.agent.config import AgentConfig
    from openseeker.tools.config import ToolsConfig


@dataclass(frozen=True)
class Profile:
    """One turn format (see the module docstring).

    Attributes:
        name: the registry name.
        description: one line for listings.
        tools: the tool-response layout.
        parse_turn: ``(text, reasoning) -> ParsedTurn``.
        parse_error: the observation after a turn with neither a call nor an answer, from the parser's
            error texts.
        error_block_per_bad_call: whether each call that did not decode gets an ``Error:`` response block
            next to the valid calls (ours) or is left out (official: one block per call that ran).
        forced_prefix: the text a forced final turn starts with, by cause (``tool_limit``, ``turn_limit``,
            ``context``).
        context_limit_answer: the final response when not even a forced answer fits.
        system_prompt: the name of our own system-prompt template (``{tools}`` field); ``None`` when the
            prompt must come from ``agent.prompt_source``.
        official_system: where ``prompt_source`` holds the system prompt when it is a checkout.
        official_judge: where a checkout holds the judge prompt (its ``system`` message too, when
            ``official_judge_system`` names one).
        official_judge_system: the file of the checkout whose ``{"role": "system", ...}`` message the
            official judge sends.
        agent_defaults: :class:`~openseeker.agent.config.AgentConfig` values this format implies.
        build_system: ``(tools, prompt_source, with_tools) -> text``, for formats whose chat template
            renders the tools (``with_tools=False``: the system message of a forced turn without tools).
        question_suffix: ``(prompt_source) -> text`` appended to every question.
        final_answer: ``(answer) -> text`` taken from the final answer (e.g. the ``\\boxed{}`` content).
        tool_defaults: :class:`~openseeker.tools.config.ToolsConfig` values this format implies.
        min_tool_calls: trajectory synthesis keeps only rollouts with at least this many tool calls, unless
            the stage sets its own ``min_tool_calls``.
    """

    name: str
    description: str
    tools: ToolLayout
    parse_turn: Callable[[str, str | None], ParsedTurn]
    parse_error: Callable[[list[str]], str]
    error_block_per_bad_call: bool
    forced_prefix: Mapping[str, str]
    context_limit_answer: str
    system_prompt: str | None = "system_en"
    official_system: OfficialText | None = None
    official_judge: OfficialText | None = None
    official_judge_system: str | None = None
    agent_defaults: Mapping[str, Any] = field(default_factory=dict)
    build_system: Callable[[list[ToolSpec], str | None, bool], str] | None = None
    question_suffix: Callable[[str | None], str] | None = None
    final_answer: Callable[[str], str] | None = None
    tool_defaults: Mapping[str, Any] = field(default_factory=dict)
    min_tool_calls: int = 0

    def configure(self, config: AgentConfig) -> AgentConfig:
        """``config`` with this profile's defaults for every option the user did not set."""
        update = {k: v for k, v in self.agent_defaults.items() if k not in config.model_fields_set}
        return config.model_copy(update=update) if update else config

    def configure_tools(self, tools: ToolsConfig) -> ToolsConfig:
        """``tools`` with this profile's tool defaults for every field the user did not set."""
        update = {k: v for k, v in self.tool_defaults.items() if k not in tools.model_fields_set}
        return tools.model_copy(update=update) if update else tools

    def system_text(
        self, tools: list[ToolSpec], *, template: str | None = None, source: str | None = None
    ) -> str:
        """The system prompt: ``template`` (a ``{tools}`` template) if given, else the profile's own, else
        the text read from ``source`` (see :func:`load_prose`)."""
        if template is not None:
            return _fill_tools(template, tools, formatted=True)
        if self.build_system is not None:
            return self.build_system(tools, source, True)
        if self.system_prompt is not None and source is None:
            return _fill_tools(prompts.load(self.system_prompt), tools, formatted=True)
        text = load_prose(source, self.official_system, what=f"the {self.name} system prompt", profile=self.name)
        return _fill_tools(text, tools, formatted=False)

    def judge_messages(self, source: str | None) -> tuple[str | None, str]:
        """``(system, user template)`` of this profile's official judge, read from ``source``
        (see :func:`openseeker.prose.judge_messages`)."""
        return judge_messages(
            source, self.official_judge, self.official_judge_system, what=f"the {self.name} judge prompt",
            profile=self.name,
        )

    def forced_text(self, cause: str) -> str:
        """The forced prefix for ``cause`` (``tool_limit``, ``turn_limit`` or ``context``)."""
        return self.forced_prefix.get(cause) or self.forced_prefix["tool_limit"]


def _fill_tools(text: str, tools: list[ToolSpec], *, formatted: bool) -> str:
    lines = "\n".join(json.dumps(t.flat(), ensure_ascii=False) for t in tools)
    if formatted:  # our own templates escape literal braces
        return text.format(tools=lines).strip()
    # prose from elsewhere is used verbatim; a literal "{tools}" marks where our tool schemas go
    return text.replace("{tools}", lines) if "{tools}" in text else text


profiles: Registry[Profile] = Registry("agent_profile")


@profiles.register("openseeker")
def _openseeker() -> Profile:
    forced = prompts.load("forced_en").strip()
    return Profile(
        name="openseeker",
        description="the toolkit's own prompt and texts (forgiving parser, parse failures counted)",
        tools=OPENSEEKER,
        parse_turn=parse_turn,
        parse_error=parse_error_message,
        error_block_per_bad_call=True,
        forced_prefix={"tool_limit": forced, "turn_limit": forced, "context": forced},
        context_limit_answer=(
            "<answer>The maximum context length was reached before an answer was found.</answer>"
        ),
    )


# The official v1 forced texts; the official eval.py counts runs by finding them in the final response.
V1_TOOL_LIMIT = "I have used too many tools, so I will conclude my answer."
V1_TOKEN_LIMIT = "I have used too many tokens, so I will conclude my answer.\n"
V1_CONTEXT_ANSWER = "<answer>\nThe max context length has been reached.</answer>"


@profiles.register("openseeker-v1")
def _openseeker_v1() -> Profile:
    return Profile(
        name="openseeker-v1",
        description="the released OpenSeeker-v1 models' exact format (prompt read from prompt_source)",
        tools=OPENSEEKER_V1,
        parse_turn=parse_turn_v1,
        parse_error=parse_error_v1,
        error_block_per_bad_call=False,
        forced_prefix={"tool_limit": V1_TOOL_LIMIT, "turn_limit": V1_TOOL_LIMIT, "context": V1_TOKEN_LIMIT},
        context_limit_answer=V1_CONTEXT_ANSWER,
        system_prompt=None,
        official_system=OfficialText("src/llm_tool_openseeker.py", "developer_prompt"),
        official_judge=V1_JUDGE,
        official_judge_system=V1_JUDGE_SYSTEM,
        agent_defaults={"on_tool_limit": "stop", "count_parse_errors": False, "mode": "text"},
    )


# its own module (which builds on this one) registers it when imported; listed here by name
profiles.register_lazy("openseeker-v2", "openseeker.agent.profile_v2:_openseeker_v2")


def get_profile(name: str) -> Profile:
    """The profile registered as ``name`` (``openseeker``, ``openseeker-v1``, ``openseeker-v2``, ...)."""
    return profiles.create(name)

