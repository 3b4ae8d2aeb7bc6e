"""Configuration of the search agent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from openseeker.config import StrictModel
from openseeker.errors import ConfigError
from openseeker.llm.config import RolesConfig
from openseeker.tools.config import ToolsConfig

if TYPE_CHECKING:
    from openseeker.llm.types import Capabilities

# Without a configured value, a turn may generate a quarter of the context window, and the agent keeps
# using tools while at least half a turn's budget is left.
TURN_SHARE = 4


class AgentConfig(StrictModel):
    """Agent loop options; the defaults follow the OpenSeeker paper (METHOD sections 3.1, 5.3, 5.5).

    ``profile`` names the turn format (:mod:`openseeker.agent.profiles`); it supplies defaults for the
    options below that the user leaves unset.
    """

    profile: str = Field(
        default="openseeker",
        description="turn format: openseeker (ours), openseeker-v1 or openseeker-v2 (the released models' exact formats)",
    )
    prompt_source: str | None = Field(
        default=None,
        description="for profiles whose prompt is not shipped (openseeker-v1): a text file holding the "
        "system prompt, or a local checkout of the official OpenSeeker repository",
    )
    mode: Literal["text", "native"] = Field(
        default="text",
        description="text: OpenSeeker tags in the completion (released models, local models); "
        "native: the endpoint's tool calling (chat APIs)",
    )
    context: Literal["raw", "retrospective"] = Field(
        default="raw",
        description="what the acting model sees: raw responses, or the teacher's summarized history",
    )
    max_tool_calls: int = Field(
        default=200, ge=1, description="tool-call limit of one run (parse failures count)"
    )
    max_turns: int = Field(default=400, ge=1, description="assistant turns before a final answer is forced")
    max_context_tokens: int = Field(
        default=256_000,
        ge=512,
        description="context budget (prompt + generation); unset: the server's context window when known",
    )
    max_tokens: int = Field(
        default=32_768,
        ge=16,
        description="generation budget of one turn; unset: a quarter of the context budget, at most 32768",
    )
    min_generation_tokens: int = Field(
        default=2048,
        ge=1,
        description="below this generation budget the agent stops using tools and concludes; "
        "unset: half of max_tokens, at most 2048",
    )
    forced_min_tokens: int = Field(
        default=128,
        ge=1,
        description="below this budget no answer is generated (finish_reason context_limit); "
        "unset: a quarter of min_generation_tokens, at most 128",
    )
    on_tool_limit: Literal["force_answer", "stop"] = Field(
        default="force_answer",
        description="force_answer: one more turn with tools disabled (OpenSeeker-v2); "
        "stop: end the run at once (OpenSeeker-v1)",
    )
    count_parse_errors: bool = Field(
        default=True, description="a turn without call or answer counts as a tool call"
    )
    forced_answer_retries: int = Field(default=3, ge=1, description="attempts at a tool-free final answer")
    tool_role: Literal["tool", "user"] = Field(
        default="tool",
        description="text mode: tool responses as role=tool messages (the completions provider "
        "renders them as <tool_response> user turns) or as one user message with <tool_response> blocks",
    )
    parallel_tools: bool = Field(default=True, description="run the calls of one turn concurrently")
    constrain_format: bool = Field(
        default=False,
        description="send a GBNF grammar forcing the turn format "
        "(llama.cpp backends; for small local models)",
    )
    grammar_open_think: bool = Field(
        default=True, description="the grammar starts with <think> (False when the provider prefills it)"
    )
    grammar_max_thought_chars: int = 600
    grammar_max_calls: int = 3
    summarize_min_chars: int = Field(
        default=200, description="shorter responses are kept verbatim as summaries"
    )
    summarizer_max_tokens: int = 2048
    summary_language: Literal["auto", "en", "zh"] = "auto"
    system_template: str | None = Field(
        default=None, description="a system prompt template with a {tools} field (default: ours, EN)"
    )
    token_counter: str = Field(
        default="chars", description="chars (characters/4) or tokenizer:<name-or-path> (needs transformers)"
    )
    forced_prefix: str | None = Field(
        default=None, description="text a forced final turn starts with (where the endpoint can continue a turn)"
    )
    forced_instruction: str | None = Field(
        default=None,
        description="the user message asking for the final answer where the endpoint cannot continue a turn "
        "(and in native mode); default: ours",
    )

    @model_validator(mode="after")
    def _budgets_fit(self) -> AgentConfig:
        self.fitted()  # raises on settings that cannot work together
        return self

    def fitted(self, caps: Capabilities | None = None) -> AgentConfig:
        """A copy with the budgets the endpoint's context window allows, and its tool-message role.

        Settings the user gave win; the others are derived: ``max_context_tokens`` is the window,
        ``max_tokens`` a quarter of it (at most the default and the server's reply limit),
        ``min_generation_tokens`` half of ``max_tokens`` and ``forced_min_tokens`` a quarter of that.

        Raises:
            ConfigError: settings that cannot work together, in one line naming the keys (every turn would
                be forced to answer, or no turn could generate anything).
        """
        given = self.model_fields_set
        window = caps.context_window if caps is not None else None
        where = f" of {caps.server}" if caps is not None and caps.server else ""
        ctx = self.max_context_tokens
        if window is not None:
            if "max_context_tokens" in given and ctx > window:
                raise ConfigError(
                    f"agent.max_context_tokens ({ctx}) exceeds the context window{where} ({window} tokens): "
                    f"lower agent.max_context_tokens to at most {window}, or leave it unset"
                )
            ctx = min(ctx, window) if "max_context_tokens" in given else window
        out_cap = caps.max_output_tokens if caps is not None else None
        if "max_tokens" in given:
            max_tokens = self.max_tokens
            if out_cap is not None and max_tokens > out_cap:
                raise ConfigError(
                    f"agent.max_tokens ({max_tokens}) exceeds the longest reply{where} ({out_cap} tokens): "
                    "lower agent.max_tokens, or leave it unset"
                )
        else:
            max_tokens = max(16, min(self.max_tokens, ctx // TURN_SHARE, out_cap or self.max_tokens))
        if max_tokens >= ctx:
            raise ConfigError(
                f"agent.max_tokens ({max_tokens}) leaves no room for the prompt in agent.max_context_tokens "
                f"({ctx}{', the context window' + where if window else ''}): lower agent.max_tokens"
            )
        min_gen = self.min_generation_tokens if "min_generation_tokens" in given else min(
            self.min_generation_tokens, max(1, max_tokens // 2)
        )
        if min_gen > max_tokens:
            raise ConfigError(
                f"agent.min_generation_tokens ({min_gen}) exceeds agent.max_tokens ({max_tokens}): every turn "
                "would be forced to answer without searching; lower min_generation_tokens or raise max_tokens"
            )
        forced_min = self.forced_min_tokens if "forced_min_tokens" in given else min(
            self.forced_min_tokens, max(1, min_gen // 4)
        )
        if forced_min > max_tokens:
            raise ConfigError(
                f"agent.forced_min_tokens ({forced_min}) exceeds agent.max_tokens ({max_tokens}): no turn could "
                "generate anything; lower forced_min_tokens"
            )
        update: dict[str, object] = {
            "max_context_tokens": ctx,
            "max_tokens": max_tokens,
            "min_generation_tokens": min_gen,
            "forced_min_tokens": forced_min,
        }
        if caps is not None and caps.tool_role and "tool_role" not in given and self.mode == "text":
            update["tool_role"] = caps.tool_role
        fit = self.model_copy(update=update)
        object.__setattr__(fit, "__pydantic_fields_set__", set(given))  # derived values stay "unset"
        return fit


class AgentRunConfig(StrictModel):
    """What ``openseeker agent ask`` needs: models, tools and loop options (one config file for all)."""

    roles: RolesConfig = Field(default_factory=RolesConfig)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    agent: AgentConfig = Field(default_factory=AgentConfig)
    cache: str | None = Field(default=None, description="LLM response cache file (none by default)")
