"""JSON schema -> GBNF grammar for llama.cpp backends, escaped correctly and checked before use.

llama-cpp-python's converter (``llama_cpp.llama_grammar.json_schema_to_gbnf``) writes each enum or const
value as the GBNF literal of its JSON text but escapes only quotes and line breaks, not backslashes. A
value holding a double quote (JSON text ``"the \\"wise man\\""``) thus becomes a literal that ends early;
llama.cpp cannot parse the grammar, returns no sampler, and the process crashes on the next token
(exit 139) before any Python error is raised. Every real corpus has quotes, so:

* :func:`schema_to_gbnf` runs the same converter with a literal formatter that escapes backslashes too;
* :func:`check_grammar` asks llama.cpp itself to parse a grammar against the model's vocabulary and
  raises :class:`GrammarError` (a counted, catchable error) instead of letting it crash the process;
* :func:`sanitize_schema` removes the enum values a server-side copy of the faulty converter cannot take,
  for servers that convert the schema themselves (llama-cpp-python's server).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from openseeker.errors import LLMError, missing_extra

_ROOT = b"root"


class GrammarError(LLMError):
    """A grammar (or the grammar built from a JSON schema) that llama.cpp cannot parse."""


def escape_literal(text: str) -> str:
    """``text`` as a GBNF double-quoted literal (backslash, quote and line breaks escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


@lru_cache(maxsize=256)
def _convert(schema_json: str) -> str:
    try:
        from llama_cpp.llama_grammar import SchemaConverter
    except ImportError as e:
        raise missing_extra("llama-cpp-python", "local", "Building a GBNF grammar from a JSON schema") from e

    class _Converter(SchemaConverter):
        def _format_literal(self, literal: str) -> str:
            return escape_literal(literal)

    conv = _Converter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)  # type: ignore[no-untyped-call]
    schema = conv.resolve_refs(json.loads(schema_json), "input")
    conv.visit(schema, "")  # type: ignore[no-untyped-call]
    return str(conv.format_grammar())  # type: ignore[no-untyped-call]


def schema_to_gbnf(schema: dict[str, Any]) -> str:
    """The GBNF grammar accepting exactly the JSON documents of ``schema`` (needs llama-cpp-python).

    Raises:
        GrammarError: the schema uses something the converter cannot express.
    """
    text = json.dumps(schema, sort_keys=True)
    try:
        return _convert(text)
    except (ValueError, KeyError, TypeError, AssertionError, RecursionError, NotImplementedError) as e:
        raise GrammarError(f"cannot build a grammar from the JSON schema: {type(e).__name__}: {e}") from e


def check_grammar(llama: Any, grammar: str) -> None:
    """Parse ``grammar`` with llama.cpp against ``llama``'s vocabulary, then free the result.

    llama-cpp-python hands a grammar to llama.cpp only when sampling starts, and a grammar that does not
    parse crashes the process there; parsing it here first turns that into :class:`GrammarError`.
    """
    import llama_cpp

    model = getattr(llama, "_model", None)
    vocab = getattr(model, "vocab", None)
    if vocab is None:  # another llama-cpp-python layout: nothing to check with
        return
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), _ROOT)
    if not sampler:
        head = grammar[:300].replace("\n", " | ")
        raise GrammarError(f"llama.cpp cannot parse the grammar (it would crash the process): {head} ...")
    llama_cpp.llama_sampler_free(sampler)


def _hostile(value: Any) -> bool:
    # what the faulty converter mis-escapes: anything whose JSON text holds a backslash
    return isinstance(value, str) and "\\" in json.dumps(value, ensure_ascii=False)


def sanitize_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` without enum/const values that llama-cpp-python's converter mis-escapes.

    An enum keeps its other values (the model can still choose only among listed ones); an enum left
    empty, or such a ``const``, is dropped (the field is free; callers validate replies anyway).
    """

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items() if k not in ("enum", "const")}
        if "enum" in node and isinstance(node["enum"], list):
            kept = [v for v in node["enum"] if not _hostile(v)]
            if kept:
                out["enum"] = kept
        if "const" in node and not _hostile(node["const"]):
            out["const"] = node["const"]
        return out

    result: dict[str, Any] = walk(schema)
    return result
