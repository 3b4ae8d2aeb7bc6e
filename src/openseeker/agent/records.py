"""The stored form of an agent run: one :class:`Trajectory` of :class:`Step` s.

The record is the single source of truth. Every context the model ever saw (the raw student view and the
retrospective teacher view) is *derived* from it by :func:`openseeker.agent.context.render_context`, and
every export format is rendered from it, so the two can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from openseeker.llm.types import ToolSpec
from openseeker.records import Record


@dataclass
class Observation(Record):
    """One tool call of a step and what came back.

    Attributes:
        name: the tool name as the model wrote it (may be unknown to the toolset).
        arguments: the decoded arguments.
        response: the raw tool response, verbatim (the student's and the inference view).
        error: whether the response is an error message (unknown tool, bad arguments, tool failure).
        summary: the summarizer's compression of ``response`` (teacher view), once the next step has run.
        summary_method: ``llm`` (summarizer call), ``verbatim`` (too short to be worth summarizing) or
            ``failed`` (the summarizer call failed; the teacher then saw the raw response).
        seconds: tool wall time.
        summary_seconds: summarizer wall time.
        id: the native tool-call id (native mode only).
    """

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    response: str = ""
    error: bool = False
    summary: str | None = None
    summary_method: str | None = None
    seconds: float = 0.0
    summary_seconds: float = 0.0
    id: str = ""

    def view(self, summarized: bool) -> str:
        """The text the model sees for this call: the summary when ``summarized`` and one exists."""
        if summarized and self.summary is not None:
            return self.summary
        return self.response


@dataclass
class Step(Record):
    """One assistant turn and the observations it produced.

    Attributes:
        index: 0-based turn number.
        reasoning: the ``<think>`` text.
        content: the visible text after ``</think>`` (tool-call block or answer), as generated.
        text: the turn in OpenSeeker format (``<think>\\n...\\n</think>\\n\\n`` + content); this is what
            the history and the SFT export carry.
        calls: the tool calls of this turn with their responses.
        parse_error: the message returned to the model when the turn had neither a valid call nor an answer.
        answer: the text inside ``<answer>`` when the turn answered.
        forced: the turn was generated with tools disabled (tool/context limit), see ``forced_via``.
        forced_via: how the final answer was asked for: ``prefill`` (the turn continued from ``prefill`` in a
            client-rendered prompt), ``continue_final_message`` (the server continued it), or
            ``instruction`` (a user message, ``instruction``, asked for the answer; tools withdrawn).
        prefill: text the turn was forced to start with (it is part of ``reasoning``/``text``).
        instruction: a user message sent right before this turn (it is part of every later context).
        max_tokens: the generation budget actually used for the turn.
        prompt_tokens: estimated prompt tokens of the context actually sent.
        prompt_tokens_raw: estimated prompt tokens of the raw (student) view at this step.
        prompt_tokens_retrospective: same for the retrospective (teacher) view.
        completion_tokens: tokens generated (provider-reported when available).
        seconds: generation wall time; ``tool_seconds`` and ``summary_seconds`` likewise.
        attempts: generation attempts (context-length retries, discarded tool calls while forced).
        native_tool_calls: native mode: whether the turn's calls came as native tool calls.
    """

    index: int
    reasoning: str = ""
    content: str = ""
    text: str = ""
    calls: list[Observation] = field(default_factory=list)
    parse_error: str | None = None
    answer: str | None = None
    forced: bool = False
    forced_via: str | None = None
    prefill: str | None = None
    instruction: str | None = None
    max_tokens: int | None = None
    prompt_tokens: int = 0
    prompt_tokens_raw: int = 0
    prompt_tokens_retrospective: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    tool_seconds: float = 0.0
    summary_seconds: float = 0.0
    attempts: int = 1
    native_tool_calls: bool = False

    @property
    def has_observations(self) -> bool:
        return bool(self.calls) or self.parse_error is not None


@dataclass
class Trajectory(Record):
    """A whole agent run (one rollout).

    Attributes:
        id: the run id (``<qa id>#r<k>`` in synthesis).
        question: the user question.
        steps: the turns.
        final_answer: the text inside the final ``<answer>`` (``None`` when the run ended without one).
        final_response: the text after the last ``</think>`` of the final turn, tool blocks removed (what
            the official evaluation hands the judge).
        finish_reason: ``answer``, ``forced_answer``, ``tool_limit``, ``turn_limit``, ``context_limit``,
            ``no_final_answer_after_tools_disabled`` or ``error``.
        tool_calls: tool calls made (parse failures count too, as in OpenSeeker-v2).
        usage: token usage by role (``agent``, ``summarizer``).
        model: the agent's ``provider/model``.
        seconds: wall time of the run.
        metadata: anything else (rollout index, scope, forced_by, language, source ...).
        system: the system prompt sent.
        tools: the tool specs the model was offered.
        mode: ``text`` (OpenSeeker tags in the text) or ``native`` (the endpoint's tool calling).
        context: the strategy the acting model saw: ``raw`` or ``retrospective``.
        gold: the reference answer (synthesis, import).
        aliases: accepted alternative answers.
        correct: the judge's verdict (``None``: not judged or unparsed).
        verdict: the judge's full verdict.
    """

    STAGE: ClassVar[str] = "trajectories"  # the stage of a run folder that writes them

    id: str
    question: str
    steps: list[Step] = field(default_factory=list)
    final_answer: str | None = None
    final_response: str = ""
    finish_reason: str = "unknown"
    tool_calls: int = 0
    usage: dict[str, Any] = field(default_factory=dict)
    model: str = ""
    seconds: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)
    system: str = ""
    tools: list[ToolSpec] = field(default_factory=list)
    mode: str = "text"
    context: str = "raw"
    gold: str | None = None
    aliases: list[str] = field(default_factory=list)
    correct: bool | None = None
    verdict: dict[str, Any] | None = None

    @property
    def observations(self) -> list[Observation]:
        return [c for s in self.steps for c in s.calls]
