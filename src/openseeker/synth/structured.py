"""Generation options for the structured calls of QA synthesis.

Building a pydantic model's JSON schema costs milliseconds; at a few thousand calls a minute that is
real CPU, so each schema is built once and passed to ``generate_structured`` ready made (it is also what
constrains a local llama.cpp model's decoding).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

from openseeker.llm.types import GenerateConfig


@cache
def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of ``model`` (built once)."""
    return model.model_json_schema()


def structured_config(model: type[BaseModel], *, temperature: float, max_tokens: int) -> GenerateConfig:
    """Options for one structured call: sampling plus the output schema."""
    return GenerateConfig(temperature=temperature, max_tokens=max_tokens, json_schema=schema_of(model))
