"""Structured output: validate against a schema, repair common JSON damage, re-ask a bounded number of times.

A reply that still fails after every re-ask raises :class:`StructuredOutputError` with a ``reason``
(``invalid_json`` or ``schema_mismatch``) and the raw text, so the caller can count and keep the
rejection; nothing is ever guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

import json_repair
import orjson
from pydantic import BaseModel, ValidationError

from openseeker.errors import StructuredOutputError
from openseeker.llm.base import LLM
from openseeker.llm.types import GenerateConfig, LLMOutput, Message, Usage

M = TypeVar("M", bound=BaseModel)

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.S)
_THINK = re.compile(r"<think>.*?</think>", re.S)


def extract_json_text(text: str) -> str:
    """The most plausible JSON span in a reply: a fenced block, else the outermost ``{...}``/``[...]``."""
    text = _THINK.sub("", text).strip()
    m = _FENCE.search(text)
    if m:
        text = m.group(1).strip()
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        return text
    start = min(starts)
    end = max(text.rfind("}"), text.rfind("]"))
    return text[start : end + 1] if end > start else text[start:]


def parse_json_lenient(text: str) -> Any:
    """Parse JSON, repairing common damage (trailing commas, single quotes, unclosed brackets).

    Raises ValueError when nothing JSON-like can be recovered.
    """
    span = extract_json_text(text)
    try:
        return orjson.loads(span)
    except orjson.JSONDecodeError:
        pass
    if not span.strip():
        raise ValueError("no JSON found in the reply")
    repaired = json_repair.loads(span)
    if repaired in ("", None) or (isinstance(repaired, dict | list) and not repaired and span.strip() not in ("{}", "[]")):
        raise ValueError("no JSON could be recovered from the reply")
    return repaired


async def generate_structured(
    llm: LLM,
    messages: Sequence[Message],
    schema: type[M],
    config: GenerateConfig | None = None,
    *,
    max_reasks: int = 2,
    scope: str | None = None,
    constrain: bool = True,
) -> tuple[M, LLMOutput]:
    """Generate an object of type ``schema`` (a pydantic model).

    Args:
        llm: the model.
        messages: the request.
        schema: the expected pydantic model.
        config: per-call options.
        max_reasks: how many times to show the model its invalid reply and ask again.
        scope: the cache scope.
        constrain: send the JSON schema to the backend for constrained decoding where supported.

    Returns:
        ``(object, output)``; ``output.usage`` sums every attempt and ``output.parsed`` is the object.
    """
    cfg = (config or GenerateConfig()).model_copy()
    if constrain and cfg.json_schema is None and cfg.grammar is None:
        cfg.json_schema = schema.model_json_schema()
    convo = list(messages)
    usage = Usage()
    last_error = ""
    reason = "invalid_json"
    out = LLMOutput()
    for attempt in range(max_reasks + 1):
        out = await llm.generate(convo, config=cfg, scope=f"{scope}|reask{attempt}" if attempt else scope)
        usage = usage + out.usage
        try:
            data = parse_json_lenient(out.text)
        except ValueError as e:
            last_error, reason = f"not valid JSON ({e})", "invalid_json"
        else:
            try:
                obj = schema.model_validate(data)
            except ValidationError as e:
                errs = "; ".join(f"{'.'.join(str(x) for x in er['loc'])}: {er['msg']}" for er in e.errors()[:5])
                last_error, reason = f"does not match the schema ({errs})", "schema_mismatch"
            else:
                out.usage = usage
                out.parsed = obj
                return obj, out
        convo = [
            *convo,
            {"role": "assistant", "content": out.text},
            {"role": "user", "content": (
                f"Your reply {last_error}. Reply again with only a JSON object that matches this schema, "
                f"with no other text:\n{orjson.dumps(schema.model_json_schema()).decode()}"
            )},
        ]
    raise StructuredOutputError(
        f"{llm.name}: output {last_error} after {max_reasks + 1} attempts", raw=out.text, reason=reason
    )
