"""The data that goes in and out of every LLM call.

Messages are plain dicts in the OpenAI chat format (``{"role": ..., "content": ...}``, plus
``tool_calls`` on assistant messages and ``tool_call_id`` on tool messages), so records can be
exported without conversion. Tools are given as OpenAI function specs (:class:`ToolSpec`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from openseeker.records import Record

Message = dict[str, Any]


@dataclass
class ToolSpec(Record):
    """A tool the model may call: name, description and a JSON-schema of its parameters."""

    name: str
    description: str
    parameters: dict[str, Any]

    def openai(self) -> dict[str, Any]:
        """The ``{"type": "function", "function": {...}}`` form of the OpenAI API."""
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.parameters}}

    def flat(self) -> dict[str, Any]:
        """The flat ``{"name", "description", "parameters"}`` form used in OpenSeeker system prompts."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}


@dataclass
class ToolCall(Record):
    """One tool call requested by the model."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str = ""


@dataclass
class Usage(Record):
    """Token usage of one call (or a sum of calls)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    cached_calls: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.calls + other.calls,
            self.cached_calls + other.cached_calls,
        )


@dataclass
class LLMOutput(Record):
    """What a call returns.

    Attributes:
        text: the visible completion text (for the ``completions`` provider: everything generated after
            the prompt, including a ``<think>`` block when the model writes one).
        reasoning: separate reasoning text when the server returns it apart (``reasoning_content``).
        tool_calls: native tool calls (chat endpoints with ``tools``).
        finish_reason: ``stop``, ``length``, ``tool_calls``, ...
        usage: token accounting for this call.
        model: the ``provider/model`` id that produced it.
        cached: whether it came from the response cache.
        parsed: the validated object for structured-output calls.
    """

    text: str = ""
    reasoning: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    cached: bool = False
    parsed: Any = None


class GenerateConfig(BaseModel):
    """Generation options. ``None`` means "the provider's / server's default"."""

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    seed: int | None = None
    json_schema: dict[str, Any] | None = Field(
        default=None, description="constrain the output to this JSON schema (where the backend supports it)"
    )
    grammar: str | None = Field(default=None, description="a GBNF grammar (llama.cpp backends)")
    prefill: str | None = Field(
        default=None, description="text the assistant turn starts with (completions/llamacpp: appended to the prompt)"
    )
    timeout: float | None = None
    extra_body: dict[str, Any] | None = None

    def merged(self, other: GenerateConfig | None) -> GenerateConfig:
        """Values of ``other`` override ours where set."""
        if other is None:
            return self
        data = self.model_dump(exclude_none=True)
        data.update(other.model_dump(exclude_none=True))
        return GenerateConfig(**data)

    def cache_relevant(self) -> dict[str, Any]:
        """The fields that can change the output (timeouts cannot)."""
        return self.model_dump(exclude_none=True, exclude={"timeout"})


@dataclass
class Capabilities:
    """What a model endpoint offers the agent (from its server profile, or the provider itself).

    Attributes:
        server: the server's title (for messages).
        context_window: prompt + generation tokens allowed (``None``: not known).
        max_output_tokens: the most tokens of one reply (``None``: not known).
        continuation: how an assistant turn can be continued: ``prefill`` (the prompt is rendered
            client-side: completions, llamacpp), ``continue_final_message`` (vLLM / SGLang chat), or
            ``None`` (the forced answer is asked for by an instruction instead).
        tool_role: the text-mode tool-response role the endpoint accepts (``None``: any).
        notes: free-form details (the profile's source).
    """

    server: str = ""
    context_window: int | None = None
    max_output_tokens: int | None = None
    continuation: str | None = None
    tool_role: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)
