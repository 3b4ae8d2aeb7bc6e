"""Generation options for the structured calls of QA synthesis.

Building a pydantic model's JSON schema costs milliseconds; at a few thousand calls a minute that is
real CPU, so each schema is built once and passed to ``generate_structured`` ready made (it is also what
constrains a local llama.cpp model's decoding).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from pydantic import BaseModel

from openseeker.llm.types import GenerateConfig

_GRAMMAR_HOSTILE = ("maxLength", "maxItems")


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in _GRAMMAR_HOSTILE}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


@cache
def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of ``model`` as sent to the backend (built once).

    Length bounds are left out: llama.cpp turns ``maxLength: 1500`` into 1500 nested optional rules, which
    its grammar parser refuses (and the process can crash). Pydantic still enforces them on the reply.
    """
    return _strip(model.model_json_schema())  # type: ignore[no-any-return]


def with_choices(model: type[BaseModel], choices: dict[tuple[str, ...], list[str]]) -> dict[str, Any]:
    """The schema of ``model`` with some string fields restricted to a list of values (``enum``).

    ``choices`` maps a path inside the schema (e.g. ``("$defs", "FactOut", "properties", "page")``) to the
    allowed values. Under constrained decoding this makes a small model quote an evidence sentence
    verbatim or pick an existing fact id, instead of inventing one; strong models lose nothing.
    An empty list leaves the field free (an empty enum could never be satisfied).
    """
    schema = copy.deepcopy(schema_of(model))
    for path, values in choices.items():
        allowed = list(dict.fromkeys(v for v in values if v))
        if not allowed:
            continue
        node = schema
        for key in path:
            node = node[key]
        node["enum"] = allowed
    return schema


def structured_config(
    model: type[BaseModel],
    *,
    temperature: float,
    max_tokens: int,
    choices: dict[tuple[str, ...], list[str]] | None = None,
) -> GenerateConfig:
    """Options for one structured call: sampling plus the output schema (optionally with ``choices``)."""
    schema = with_choices(model, choices) if choices else schema_of(model)
    return GenerateConfig(temperature=temperature, max_tokens=max_tokens, json_schema=schema)
