"""Render a conversation with the OpenSeeker chat template and build loss labels from segment spans.

The template is ChatML, as the OpenSeeker agent renders it at inference (METHOD.md section 5.2):

* ``<|im_start|>{role}\\n{content}<|im_end|>\\n`` for system and user turns;
* tool messages inside one user turn as ``\\n<tool_response>\\n{content}\\n</tool_response>`` blocks,
  consecutive tool messages merged into the same turn;
* assistant turns verbatim, **every** turn keeping its ``<think>`` reasoning (the agent keeps all earlier
  reasoning in context, so training must show the model the same prefix it sees when it acts).

Instead of asking a Jinja template for an assistant mask, the text is built as a list of segments, each
flagged trainable or not, and tokenized segment by segment: the labels then follow from the spans and do
not depend on any template feature. Segments meet at special tokens (``<|im_start|>``, ``<|im_end|>``,
``<think>``) or newlines, so per-segment tokenization equals whole-text tokenization for BPE tokenizers
whose special tokens are added tokens (Qwen, Llama, the test tokenizer); the tests check this.

Trainable: each assistant turn's content and its closing ``<|im_end|>`` (so the model learns to stop).
Masked (-100): system, user and tool turns, and the ``<|im_start|>assistant\\n`` headers, which the
inference loop writes itself.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, Protocol

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
IGNORE_INDEX = -100
#: What the agent appends before asking for a completion; the model continues after ``<think>\n``.
GENERATION_PROMPT = f"{IM_START}assistant\n<think>\n"


class TokenizerLike(Protocol):
    """The slice of a Hugging Face tokenizer that rendering needs."""

    bos_token: str | None
    bos_token_id: int | None

    def __call__(self, text: Any, *, add_special_tokens: bool = ...) -> Any: ...


@dataclasses.dataclass(slots=True)
class Segment:
    """A piece of rendered text.

    Attributes:
        text: the exact characters.
        trainable: whether its tokens carry loss.
        turn: index of the rendered turn it belongs to (merged tool messages form one turn).
        role: the turn's role (``tool`` for a merged tool-response turn).
    """

    text: str
    trainable: bool
    turn: int
    role: str


def canonical_turn(content: str) -> str:
    """An assistant turn as the inference template re-renders it: ``<think>\\n{r}\\n</think>\\n\\n{rest}``.

    The agent appends its own completions to the history and the client-side template normalises the
    newlines around the reasoning (``openseeker.llm.templates.render_openseeker``); training on the same
    normal form means the model learns on exactly the prefixes it will see. Turns without a ``</think>``
    are kept verbatim.
    """
    if "</think>" not in content:
        return content
    before, _, after = content.partition("</think>")
    reasoning = before.split("<think>")[-1].strip("\n")
    return f"<think>\n{reasoning}\n</think>\n\n{after.lstrip(chr(10))}"


def render_segments(messages: list[dict[str, str]]) -> list[Segment]:
    """Render messages into segments following the OpenSeeker template (see module docstring)."""
    segs: list[Segment] = []
    turn = -1
    prev_role = ""
    for m in messages:
        role, content = m["role"], m["content"]
        if role == "tool":
            if prev_role != "tool":
                turn += 1
                segs.append(Segment(f"{IM_START}user", False, turn, "tool"))
            segs.append(Segment(f"\n<tool_response>\n{content}\n</tool_response>", False, turn, "tool"))
        else:
            if prev_role == "tool":
                segs.append(Segment(f"{IM_END}\n", False, turn, "tool"))
            turn += 1
            if role == "assistant":
                segs.append(Segment(f"{IM_START}assistant\n", False, turn, role))
                segs.append(Segment(canonical_turn(content) + IM_END, True, turn, role))
                segs.append(Segment("\n", False, turn, role))
            else:
                segs.append(Segment(f"{IM_START}{role}\n{content}{IM_END}\n", False, turn, role))
        prev_role = role
    if prev_role == "tool":
        segs.append(Segment(f"{IM_END}\n", False, turn, "tool"))
    return segs


def render_text(messages: list[dict[str, str]], add_generation_prompt: bool = False) -> str:
    """The full rendered string (what the agent sends to ``/v1/completions``)."""
    text = "".join(s.text for s in render_segments(messages))
    return text + GENERATION_PROMPT if add_generation_prompt else text


@dataclasses.dataclass(slots=True)
class TokenizedSample:
    """Token ids with labels, and what happened to the sample.

    Attributes:
        input_ids: token ids.
        labels: ids where trainable, ``-100`` elsewhere.
        status: ``ok``, ``truncated``, ``dropped_overlong`` or ``no_trainable_tokens``.
        full_length: tokens before any truncation.
        turns_total: rendered turns; turns_kept: turns left after truncation.
    """

    input_ids: list[int]
    labels: list[int]
    status: Literal["ok", "truncated", "dropped_overlong", "no_trainable_tokens"]
    full_length: int
    turns_total: int
    turns_kept: int

    @property
    def trainable_tokens(self) -> int:
        """How many tokens carry loss."""
        return sum(1 for x in self.labels if x != IGNORE_INDEX)


def _needs_bos(tokenizer: TokenizerLike) -> bool:
    # Llama-style tokenizers expect a BOS; Qwen has none, and some ChatML tokenizers (SmolLM2) call
    # <|im_start|> their BOS, which the template already writes.
    bos = getattr(tokenizer, "bos_token", None)
    return (
        bos is not None
        and getattr(tokenizer, "bos_token_id", None) is not None
        and bos not in (IM_START, IM_END)
    )


def tokenize_conversation(
    messages: list[dict[str, str]],
    tokenizer: TokenizerLike,
    max_length: int,
    overlong: Literal["drop", "truncate"],
) -> TokenizedSample:
    """Render, tokenize and label a conversation, applying the over-long policy.

    ``truncate`` cuts after the last assistant turn that still fits, keeping everything before the first
    assistant turn (system prompt and question). A sample whose first assistant turn does not fit is
    dropped even under ``truncate``: there would be nothing left to learn from.
    """
    segs = render_segments(messages)
    turns_total = (segs[-1].turn + 1) if segs else 0
    enc = tokenizer([s.text for s in segs], add_special_tokens=False)["input_ids"]
    prefix: list[int] = (
        [tokenizer.bos_token_id] if _needs_bos(tokenizer) and tokenizer.bos_token_id is not None else []
    )
    ids: list[int] = list(prefix)
    labels: list[int] = [IGNORE_INDEX] * len(prefix)
    # (token length, turns) after each complete assistant turn: the legal truncation points
    cut_points: list[tuple[int, int]] = []
    for i, (seg, toks) in enumerate(zip(segs, enc, strict=True)):
        ids.extend(toks)
        labels.extend(toks if seg.trainable else [IGNORE_INDEX] * len(toks))
        nxt = segs[i + 1] if i + 1 < len(segs) else None
        if seg.role == "assistant" and (nxt is None or nxt.turn != seg.turn):
            cut_points.append((len(ids), seg.turn + 1))
    full = len(ids)
    if not cut_points:
        return TokenizedSample(ids, labels, "no_trainable_tokens", full, turns_total, turns_total)
    if full <= max_length:
        return TokenizedSample(ids, labels, "ok", full, turns_total, turns_total)
    if overlong == "truncate":
        fitting = [c for c in cut_points if c[0] <= max_length]
        if fitting:
            n, turns = fitting[-1]
            return TokenizedSample(ids[:n], labels[:n], "truncated", full, turns_total, turns)
    return TokenizedSample([], [], "dropped_overlong", full, turns_total, 0)
