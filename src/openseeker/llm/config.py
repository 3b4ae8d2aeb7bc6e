"""Configuration of one LLM role, and of the set of roles a stage uses."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator

from openseeker.config import StrictModel
from openseeker.llm.types import GenerateConfig

Role = Literal["generator", "teacher", "summarizer", "verifier", "judge", "agent"]
ROLES: tuple[str, ...] = ("generator", "teacher", "summarizer", "verifier", "judge", "agent")

DEFAULT_MODEL = "llamacpp/default"


class LLMConfig(StrictModel):
    """One role's model: a ``provider/model`` string plus options.

    Examples: ``openai/gpt-4.1`` (OpenAI), ``openai/Qwen3-32B`` with ``base_url`` for vLLM/SGLang,
    ``completions/OpenSeeker-v1-30B-SFT`` for the released models, ``llamacpp/default`` for the embedded
    local model, ``llamacpp//path/to/model.gguf`` for any GGUF file.
    """

    model: str = DEFAULT_MODEL
    base_url: str | None = None
    api_key_env: str | None = Field(default=None, description="name of the environment variable holding the key")
    api_key: SecretStr | None = Field(default=None, description="the key itself (prefer api_key_env)")
    generation: GenerateConfig = Field(default_factory=GenerateConfig)
    max_concurrency: int = 32
    timeout: float = 600.0
    max_retries: int = 6
    cache: bool = True
    options: dict[str, Any] = Field(default_factory=dict, description="provider-specific options")

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"model": data}
        return data

    @property
    def provider(self) -> str:
        return self.model.split("/", 1)[0]

    @property
    def model_name(self) -> str:
        return self.model.split("/", 1)[1] if "/" in self.model else ""


class RolesConfig(StrictModel):
    """Models for each role; a role left unset uses ``default``."""

    default: LLMConfig = Field(default_factory=LLMConfig)
    generator: LLMConfig | None = None
    teacher: LLMConfig | None = None
    summarizer: LLMConfig | None = None
    verifier: LLMConfig | None = None
    judge: LLMConfig | None = None
    agent: LLMConfig | None = None

    def for_role(self, role: str) -> LLMConfig:
        """The config of ``role`` (falling back to ``default``)."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
        return getattr(self, role) or self.default
