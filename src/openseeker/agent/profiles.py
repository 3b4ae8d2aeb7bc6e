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

import ast
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openseeker.agent import prompts
from openseeker.agent.format import (
    ParsedTurn,
    parse_error_message,
    parse_error_v1,
    parse_turn,
    parse_turn_v1,
)
from openseeker.errors import ConfigError
from openseeker.llm.types import ToolSpec
from openseeker.registry import Registry
from openseeker.tools.layout import OPENSEEKER, OPENSEEKER_V1, ToolLayout

if TYPE_CHECKING:
    from openseeker.agent.config import AgentConfig
    from openseeker.tools.config import ToolsConfig


@dataclass(frozen=True)
class OfficialText:
    """Where a prose text lives in a checkout of the official repository: a module-level string
    assigned to ``name`` in the Python file ``path`` (read with :mod:`ast`, never executed)."""

    path: str
    name: str


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
        """``(system, user template)`` of this profile's official judge, read from ``source``.

        The user template has ``{question}``, ``{correct_answer}`` and ``{response}`` fields. ``system``
        is ``None`` when ``source`` is a single file (the caller supplies its own).
        """
        template = load_prose(source, self.official_judge, what=f"the {self.name} judge prompt", profile=self.name)
        system = None
        if source is not None and Path(source).is_dir() and self.official_judge_system:
            system = _system_message(Path(source) / self.official_judge_system)
        return system, template

    def forced_text(self, cause: str) -> str:
        """The forced prefix for ``cause`` (``tool_limit``, ``turn_limit`` or ``context``)."""
        return self.forced_prefix.get(cause) or self.forced_prefix["tool_limit"]


def _fill_tools(text: str, tools: list[ToolSpec], *, formatted: bool) -> str:
    lines = "\n".join(json.dumps(t.flat(), ensure_ascii=False) for t in tools)
    if formatted:  # our own templates escape literal braces
        return text.format(tools=lines).strip()
    # prose from elsewhere is used verbatim; a literal "{tools}" marks where our tool schemas go
    return text.replace("{tools}", lines) if "{tools}" in text else text


def _string_value(node: ast.AST | None) -> str | None:
    """A string literal, possibly followed by ``.strip()`` / ``.lstrip()`` / ``.rstrip()``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("strip", "lstrip", "rstrip")
        and not node.args
    ):
        inner = _string_value(node.func.value)
        return None if inner is None else getattr(inner, node.func.attr)()
    return None


def _parse_python(path: Path) -> ast.Module:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError) as e:
        raise ConfigError(f"Cannot read {str(path)!r} as Python source: {e}") from None


def _assigned_string(path: Path, name: str) -> str | None:
    for node in ast.walk(_parse_python(path)):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return _string_value(node.value)
    return None


def _system_message(path: Path) -> str | None:
    """The content of a ``{"role": "system", "content": "..."}`` literal in a Python file."""
    if not path.is_file():
        return None
    for node in ast.walk(_parse_python(path)):
        if isinstance(node, ast.Dict):
            fields = {
                k.value: _string_value(v)
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            }
            if fields.get("role") == "system" and fields.get("content"):
                return fields["content"]
    return None


def load_prose(source: str | Path | None, official: OfficialText | None, *, what: str, profile: str) -> str:
    """Read a prompt this project does not ship.

    Args:
        source: a text file holding the prompt, or a local checkout of the official repository.
        official: where the text lives in a checkout.
        what: what is being read (for messages).
        profile: the profile name (for messages).

    Raises:
        ConfigError: ``source`` is missing, does not exist, or does not hold the text.
    """
    where = f"{official.name} in {official.path}" if official else "it"
    if source is None:
        raise ConfigError(
            f"The {profile!r} profile needs {what}, which openseeker does not ship. Set agent.prompt_source "
            f"(for the judge: eval.judge_prompt_source / --judge-prompt) to a text file holding it, or to a "
            f"local checkout of the official repository (git clone https://github.com/rui-ye/OpenSeeker), "
            f"where {where} is read."
        )
    p = Path(source).expanduser()
    if p.is_file():
        text = p.read_text(encoding="utf-8")
        if not text.strip():
            raise ConfigError(f"{str(p)!r} is empty; it should hold {what}.")
        return text
    if p.is_dir():
        if official is None:
            raise ConfigError(f"The {profile!r} profile cannot read {what} from a folder; give a text file.")
        f = p / official.path
        if not f.is_file():
            raise ConfigError(
                f"{str(p)!r} is not a checkout of the official OpenSeeker repository: {official.path} is "
                f"missing. Give the checkout's root folder, or a text file holding {what}."
            )
        found = _assigned_string(f, official.name)
        if not found:
            raise ConfigError(f"{str(f)!r} has no string assigned to {official.name!r}; cannot read {what}.")
        return found
    raise ConfigError(
        f"The prompt source {str(p)!r} for {what} does not exist (agent.prompt_source; for the judge "
        "eval.judge_prompt_source / --judge-prompt)."
    )


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
        official_judge=OfficialText("eval/prompt.py", "JUDGE_PROMPT_BC_en"),
        official_judge_system="eval/eval.py",
        agent_defaults={"on_tool_limit": "stop", "count_parse_errors": False, "mode": "text"},
    )


def get_profile(name: str) -> Profile:
    """The profile registered as ``name`` (``openseeker``, ``openseeker-v1``, ``openseeker-v2``, ...)."""
    return profiles.create(name)


from openseeker.agent import profile_v2 as _v2  # noqa: E402, F401 - registers "openseeker-v2"
