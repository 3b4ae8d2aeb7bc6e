"""The LLM layer: one ``generate`` interface, a registry of providers, roles, retries, cache."""

from openseeker.llm.base import LLM, WrapperLLM
from openseeker.llm.config import ROLES, LLMConfig, RolesConfig
from openseeker.llm.providers.scripted import ScriptedLLM
from openseeker.llm.registry import Roles, build_llm, get_llm, providers
from openseeker.llm.structured import generate_structured
from openseeker.llm.types import GenerateConfig, LLMOutput, Message, ToolCall, ToolSpec, Usage

__all__ = [
    "LLM",
    "ROLES",
    "GenerateConfig",
    "LLMConfig",
    "LLMOutput",
    "Message",
    "Roles",
    "RolesConfig",
    "ScriptedLLM",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "WrapperLLM",
    "build_llm",
    "generate_structured",
    "get_llm",
    "providers",
]
