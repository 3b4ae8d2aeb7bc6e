"""Configuration of the search agent."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from openseeker.config import StrictModel
from openseeker.llm.config import RolesConfig
from openseeker.tools.config import ToolsConfig


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
        default=256_000, ge=512, description="context budget (prompt + generation)"
    )
    max_tokens: int = Field(default=32_768, ge=16, description="generation budget of one turn")
    min_generation_tokens: int = Field(
        default=2048,
        ge=1,
        description="below this generation budget the agent stops using tools and concludes",
    )
    forced_min_tokens: int = Field(
        default=128,
        ge=1,
        description="below this budget no answer is generated (finish_reason context_limit)",
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
    forced_prefix: str | None = Field(default=None, description="text a forced final turn starts with")

    def fit_context(self, n_ctx: int) -> AgentConfig:
        """A copy whose budgets fit a model with an ``n_ctx``-token window (small local models).

        Generation gets at most a quarter of the window; the thresholds scale with it.
        """
        max_tokens = min(self.max_tokens, max(16, n_ctx // 4))
        return self.model_copy(
            update={
                "max_context_tokens": max(512, n_ctx),
                "max_tokens": max_tokens,
                "min_generation_tokens": min(self.min_generation_tokens, max(1, max_tokens // 2)),
                "forced_min_tokens": min(self.forced_min_tokens, max(1, max_tokens // 8)),
            }
        )


class AgentRunConfig(StrictModel):
    """What ``openseeker agent ask`` needs: models, tools and loop options (one config file for all)."""

    roles: RolesConfig = Field(default_factory=RolesConfig)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    agent: AgentConfig = Field(default_factory=AgentConfig)
    cache: str | None = Field(default=None, description="LLM response cache file (none by default)")
