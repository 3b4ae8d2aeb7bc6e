"""The OpenSeeker turn format: system prompt, parsing of a generated turn, rendering of a turn, grammar.

A turn is ``<think>\\nreasoning\\n</think>\\n\\n`` followed either by a tool-call block::

    <tool_calls_begin>
    <tool_call>
    {"name": "search", "arguments": {"query": ["..."]}}
    </tool_call>
    </tool_calls_end>

or by ``<answer>final answer</answer>``. Parsing is deliberately forgiving (the released models and small
local models both drift from the format), and every failure becomes a message the model can read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import json_repair

from openseeker.agent import prompts
from openseeker.llm.types import ToolCall, ToolSpec

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
CALLS_OPEN, CALLS_CLOSE = "<tool_calls_begin>", "</tool_calls_end>"
CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"
RESP_OPEN, RESP_CLOSE = "<tool_response>", "</tool_response>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
_END_MARKERS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>")

_CALLS_BLOCK = re.compile(re.escape(CALLS_OPEN) + r"(.*?)(?:" + re.escape(CALLS_CLOSE) + r"|$)", re.S)
_CALL = re.compile(
    re.escape(CALL_OPEN) + r"(.*?)(?:" + re.escape(CALL_CLOSE) + r"|(?=" + re.escape(CALL_OPEN) + r")|$)",
    re.S,
)
_RESPONSE = re.compile(re.escape(RESP_OPEN) + r"\n?(.*?)\n?" + re.escape(RESP_CLOSE), re.S)
_STRIP_BLOCKS = re.compile(
    "|".join(
        re.escape(a) + ".*?(?:" + re.escape(b) + "|$)"
        for a, b in ((CALLS_OPEN, CALLS_CLOSE), (CALL_OPEN, CALL_CLOSE), (RESP_OPEN, RESP_CLOSE))
    ),
    re.S,
)


def system_prompt(tools: list[ToolSpec], template: str | None = None) -> str:
    """The OpenSeeker-style system prompt: a role line, then flat tool schemas inside ``<tools>``.

    Args:
        tools: the tools offered; each is written as one flat JSON object per line.
        template: a custom template with a ``{tools}`` field (defaults to our English prompt).
    """
    text = template if template is not None else prompts.load("system_en")
    lines = "\n".join(json.dumps(t.flat(), ensure_ascii=False) for t in tools)
    return text.format(tools=lines).strip()


def format_turn(reasoning: str, content: str) -> str:
    """An assistant turn in OpenSeeker format (the rendering of the official chat template)."""
    return f"{THINK_OPEN}\n{reasoning.strip()}\n{THINK_CLOSE}\n\n{content.strip()}"


def format_calls(calls: list[ToolCall] | list[dict[str, Any]]) -> str:
    """A ``<tool_calls_begin>`` block for ``calls`` (ToolCalls or ``{"name", "arguments"}`` dicts)."""
    parts = []
    for c in calls:
        d = {"name": c.name, "arguments": c.arguments} if isinstance(c, ToolCall) else c
        parts.append(f"{CALL_OPEN}\n{json.dumps(d, ensure_ascii=False)}\n{CALL_CLOSE}")
    return CALLS_OPEN + "\n" + "\n".join(parts) + "\n" + CALLS_CLOSE


def format_responses(responses: list[str]) -> str:
    """The user turn that carries tool responses in the released data: one block per response."""
    return "\n".join(f"{RESP_OPEN}\n{r}\n{RESP_CLOSE}" for r in responses)


def split_responses(text: str) -> list[str]:
    """Inverse of :func:`format_responses` (text outside the blocks is ignored)."""
    return _RESPONSE.findall(text)


@dataclass
class ParsedTurn:
    """A generated turn, taken apart.

    Attributes:
        reasoning: the thinking text.
        content: the text after ``</think>``.
        answer: the answer text when the turn holds ``</answer>``.
        calls: the tool calls that parsed.
        errors: one message per call that could not be decoded.
        text: the turn as it goes back into the history (default: :func:`format_turn` of the two parts).
    """

    reasoning: str
    content: str
    answer: str | None = None
    calls: list[ToolCall] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    text: str = ""

    def __post_init__(self) -> None:
        if not self.text:
            self.text = format_turn(self.reasoning, self.content)


def split_think(text: str, reasoning: str | None = None) -> tuple[str, str]:
    """Split a completion into (reasoning, content) at the last ``</think>``.

    The ``completions`` provider prefills ``<think>\\n``, so the completion usually starts inside the thinking
    block; a model may also write the opening tag itself. ``reasoning`` is a separately returned reasoning
    text (``reasoning_content``), used when the text has no thinking block.
    """
    for m in _END_MARKERS:
        text = text.replace(m, "")
    if THINK_CLOSE in text:
        head, _, tail = text.rpartition(THINK_CLOSE)
        head = head.replace(THINK_OPEN, "")
        return head.strip(), tail.strip()
    if text.lstrip().startswith(THINK_OPEN):
        # An unclosed thinking block: the model never reached an action (usually truncated).
        return text.replace(THINK_OPEN, "").strip(), ""
    return (reasoning or "").strip(), text.strip()


def strip_blocks(content: str) -> str:
    """``content`` without tool-call and tool-response blocks (what remains as a plain answer)."""
    return _STRIP_BLOCKS.sub("", content).strip()


def extract_answer(content: str) -> str | None:
    """The text of the last ``<answer>...</answer>``; ``None`` when there is no ``</answer>``."""
    if ANSWER_CLOSE not in content:
        return None
    before = content[: content.rfind(ANSWER_CLOSE)]
    i = before.rfind(ANSWER_OPEN)
    return (before[i + len(ANSWER_OPEN) :] if i >= 0 else before).strip()


def _decode_json(raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith("```"):
        raw = re.sub(r"^```\w*\n?|\n?```$", "", raw).strip()
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        pass
    value = json_repair.loads(raw)
    if value in ("", None) or isinstance(value, str | int | float):
        raise ValueError("not a JSON object")
    return value


def _to_call(obj: Any) -> ToolCall:
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    if "function" in obj and isinstance(obj["function"], dict):  # the OpenAI wire form
        obj = obj["function"]
    name = obj.get("name", obj.get("tool_name"))
    if not isinstance(name, str) or not name:
        raise ValueError('missing "name"')
    args = obj.get("arguments", obj.get("tool_args", obj.get("parameters", {})))
    if isinstance(args, str):
        # Some models double-encode the arguments object as a JSON string.
        args = _decode_json(args) if args.strip() else {}
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ValueError(f'"arguments" of {name!r} must be a JSON object')
    return ToolCall(name=name, arguments=args)


def parse_calls(content: str) -> tuple[list[ToolCall], list[str]]:
    """All tool calls in ``content``, plus one error message per call that could not be decoded.

    Calls are looked for inside ``<tool_calls_begin>`` blocks, or in the whole text when there is none. A
    ``<tool_call>`` may hold one object or a list of objects; both ``name``/``arguments`` and
    ``tool_name``/``tool_args`` are accepted, and string-valued arguments are JSON-decoded.
    """
    blocks = _CALLS_BLOCK.findall(content) or [content]
    calls: list[ToolCall] = []
    errors: list[str] = []
    for block in blocks:
        for raw in _CALL.findall(block):
            if not raw.strip():
                continue
            try:
                value = _decode_json(raw)
                items = value if isinstance(value, list) else [value]
                for item in items:
                    calls.append(_to_call(item))
            except (ValueError, TypeError) as e:
                snippet = raw.strip()[:200]
                errors.append(f"Could not parse the tool call {snippet!r}: {e}.")
    return calls, errors


def parse_turn(text: str, reasoning: str | None = None) -> ParsedTurn:
    """Parse a generated turn: an answer wins over tool calls (as in the official agent)."""
    thought, content = split_think(text, reasoning)
    answer = extract_answer(content)
    if answer is not None:
        return ParsedTurn(thought, content, answer=answer)
    calls, errors = parse_calls(content)
    return ParsedTurn(thought, content, calls=calls, errors=errors)


FORMAT_HINT = (
    "Your last turn contained neither a valid tool call nor a final answer. Call a tool with "
    f'{CALLS_OPEN}{CALL_OPEN}{{"name": ..., "arguments": {{...}}}}{CALL_CLOSE}{CALLS_CLOSE}, or give the '
    f"final answer as {ANSWER_OPEN}...{ANSWER_CLOSE}."
)


def parse_error_message(errors: list[str]) -> str:
    """The observation returned when a turn yields no usable call and no answer."""
    return (" ".join(errors) + " " if errors else "") + FORMAT_HINT


# ------------------------------------------------------------------------------ the official v1 parser
# The released OpenSeeker-v1 models were trained and evaluated with a stricter parser than ours: closed tags
# only, a small fixed set of JSON repairs, and fixed error texts (METHOD.md 5.2, 5.3). The ``openseeker-v1``
# profile uses these so that a model sees what it would see under the official runner.

V1_NO_TEXT = "ERROR: No text to parse tool calls"
V1_EMPTY_CALL = "ERROR: Found empty <tool_call> tag (inner content is empty)"
V1_BAD_JSON = "ERROR: JSON decode failed even after fix attempt"
V1_JSON_EXCEPTION = "ERROR: Unexpected exception during JSON parsing"
V1_NO_NAME = "ERROR: Tool call missing or empty name field"
V1_ARGS_STRING = "ERROR: Failed to parse arguments as JSON string"
V1_ARGS_NOT_DICT = "ERROR: Arguments is not a dict"
V1_ITEM_NOT_DICT = "ERROR: List item is not a dict"
V1_NOT_OBJECT = "ERROR: Parsed object is neither dict nor list"
V1_PARSE_FAILED = "ERROR: Tool call parsing failed"

_V1_BLOCK = re.compile(re.escape(CALLS_OPEN) + r"\s*(.*?)\s*" + re.escape(CALLS_CLOSE), re.S)
_V1_CALL = re.compile(re.escape(CALL_OPEN) + r"\s*(.*?)\s*" + re.escape(CALL_CLOSE), re.S)
# The repairs, in order: a missing comma between two strings, between a string and a list, between a list
# and a string, between two objects; then trailing commas dropped. Unclosed brackets are closed last.
_V1_REPAIRS = (
    (re.compile(r'"\s+"'), '", "'),
    (re.compile(r'"\s*\['), '", ['),
    (re.compile(r'\]\s*"'), '], "'),
    (re.compile(r"\}\s*\{"), "}, {"),
    (re.compile(r",\s*([\]}])"), r"\1"),
)


def repair_json_v1(raw: str) -> str:
    """The small, fixed set of JSON repairs of the official v1 parser (separators, trailing commas,
    unclosed brackets); anything else stays broken."""
    s = raw.strip()
    if not s:
        return raw
    for pattern, repl in _V1_REPAIRS:
        s = pattern.sub(repl, s)
    s = s.rstrip()
    s += "]" * max(0, s.count("[") - s.count("]"))
    s += "}" * max(0, s.count("{") - s.count("}"))
    return s


def _v1_call(obj: dict[str, Any], calls: list[ToolCall], errors: list[str]) -> None:
    name = obj.get("tool_name") or obj.get("name")
    args = obj.get("tool_args") or obj.get("arguments")
    if not isinstance(name, str) or not name.strip():
        errors.append(V1_NO_NAME)
        return
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            errors.append(V1_ARGS_STRING)
            args = {}
    if not isinstance(args, dict):
        errors.append(V1_ARGS_NOT_DICT)
        args = {}
    # as in the official runner, a call whose arguments did not decode still runs (with no arguments)
    calls.append(ToolCall(name=name.strip(), arguments=args))


def parse_calls_v1(content: str) -> tuple[list[ToolCall], list[str]]:
    """Tool calls and error texts as the official v1 runner finds them (closed tags only)."""
    if not content:
        return [], [V1_NO_TEXT]
    calls: list[ToolCall] = []
    errors: list[str] = []
    for chunk in _V1_BLOCK.findall(content) or [content]:
        for inner in _V1_CALL.findall(chunk):
            inner = inner.strip()
            if not inner:
                errors.append(V1_EMPTY_CALL)
                continue
            try:
                try:
                    obj = json.loads(inner)
                except json.JSONDecodeError:
                    obj = json.loads(repair_json_v1(inner))
            except json.JSONDecodeError:
                errors.append(V1_BAD_JSON)
                continue
            except Exception:  # the official parser's catch-all (e.g. nesting too deep)
                errors.append(V1_JSON_EXCEPTION)
                continue
            if isinstance(obj, dict):
                _v1_call(obj, calls, errors)
            elif isinstance(obj, list):
                for item in obj:
                    if isinstance(item, dict):
                        _v1_call(item, calls, errors)
                    else:
                        errors.append(V1_ITEM_NOT_DICT)
            else:
                errors.append(V1_NOT_OBJECT)
    return calls, errors


def parse_turn_v1(text: str, reasoning: str | None = None) -> ParsedTurn:
    """Parse a turn as the official v1 runner does, and keep its text as that runner puts it back into
    the history.

    The runner splits at the *first* ``</think>``, searches the rest (or, without ``</think>``, the whole
    text) for calls, and stores the raw completion, which its chat template writes back with the reasoning
    before the first ``</think>`` and the content after the last one.
    """
    for m in _END_MARKERS:
        text = text.replace(m, "")
    # The completions provider returns the forced "<think>\n" with the turn; the official runner keeps it
    # in the prompt, so it is not part of the turn's own text.
    own = text[len(THINK_OPEN) + 1 :] if text.startswith(THINK_OPEN + "\n") else text
    view = own.lstrip()
    view = view[len(THINK_OPEN) :] if view.startswith(THINK_OPEN) else own
    if THINK_CLOSE in view:
        thought, _, rest = view.partition(THINK_CLOSE)
        thought, content = thought.strip(), rest.lstrip("\n").lstrip()
    else:
        thought, content = (reasoning or "").strip(), view.strip()
    if THINK_CLOSE in own:
        head, tail = own.split(THINK_CLOSE, 1)[0], own.rsplit(THINK_CLOSE, 1)[1]
        kept = head.rstrip("\n").split(THINK_OPEN)[-1].strip("\n")
        history = f"{THINK_OPEN}\n{kept}\n{THINK_CLOSE}\n\n{tail.lstrip(chr(10))}"
    else:
        history = format_turn(thought, own) if reasoning else own
    if ANSWER_CLOSE in content:
        return ParsedTurn(thought, content, answer=extract_answer(content), text=history)
    calls, errors = parse_calls_v1(content)
    return ParsedTurn(thought, content, calls=calls, errors=errors, text=history)


def parse_error_v1(errors: list[str]) -> str:
    """The observation after a v1 turn with no call: the parser's errors, one per line, or the fixed text."""
    return "\n".join(errors) if errors else V1_PARSE_FAILED


# ---------------------------------------------------------------------------------------------- grammar

_GBNF_COMMON = r"""
ws ::= [ \t\n]*
jstr ::= "\"" ( [^"\\\n<] | "\\" ["\\/bfnrtu] )* "\""
jnum ::= "-"? [0-9]+ ("." [0-9]+)?
jval ::= jstr | jnum | "true" | "false" | "null" | jarr | jobj
jarr ::= "[" ws ( jval ( ws "," ws jval )* )? ws "]"
jobj ::= "{" ws ( jstr ws ":" ws jval ( ws "," ws jstr ws ":" ws jval )* )? ws "}"
strlist ::= "[" ws jstr ( ws "," ws jstr ){0,4} ws "]"
"""


def _param_rule(schema: dict[str, Any]) -> str:
    t = schema.get("type")
    types = set(t) if isinstance(t, list) else {t}
    if types == {"string"}:
        return "jstr"
    if types == {"array"} and (schema.get("items") or {}).get("type") == "string":
        return "strlist"
    if types == {"string", "array"}:
        return "( jstr | strlist )"
    if types <= {"integer", "number"}:
        return "jnum"
    return "jval"


def turn_grammar(
    tools: list[ToolSpec],
    *,
    max_thought_chars: int = 600,
    max_answer_chars: int = 300,
    max_calls: int = 3,
    open_think: bool = True,
) -> str:
    """A GBNF grammar that forces the OpenSeeker turn format (for small local models).

    Each tool's arguments are constrained to its required parameters, in schema order, with string and
    string-list values, so that even a 135M model emits calls the toolset accepts.

    Args:
        tools: the tools offered (``[]`` forces an answer).
        max_thought_chars: upper bound of the reasoning length (small models ramble otherwise).
        max_answer_chars: upper bound of the answer length.
        max_calls: calls per turn.
        open_think: whether the generated text starts with ``<think>`` (False when the provider prefills it).
    """
    rules = []
    call_alts = []
    for i, t in enumerate(tools):
        props = t.parameters.get("properties", {}) or {}
        required = [p for p in (t.parameters.get("required") or list(props)) if p in props]
        fields = ' ws "," ws '.join(f'"\\"{p}\\"" ws ":" ws {_param_rule(props[p])}' for p in required)
        rules.append(
            f'call{i} ::= "{{\\"name\\": \\"{t.name}\\", \\"arguments\\": {{" ws {fields or "ws"} ws "}}}}"'
        )
        call_alts.append(f"call{i}")
    think = '"<think>\\n" ' if open_think else ""
    root = f'root ::= {think}thought "\\n</think>\\n\\n" '
    answer = f'"<answer>" [^<\\n]{{1,{max_answer_chars}}} "</answer>"'
    if call_alts:
        rules.append("call ::= " + " | ".join(call_alts))
        rules.append(
            f'calls ::= "<tool_calls_begin>\\n" ( "<tool_call>\\n" call "\\n</tool_call>\\n" ){{1,{max_calls}}} '
            '"</tool_calls_end>"'
        )
        root += f"( calls | {answer} )"
    else:
        root += answer
    thought = f"thought ::= [^<]{{1,{max_thought_chars}}}"
    return "\n".join([root, thought, *rules]) + "\n" + _GBNF_COMMON.strip() + "\n"
