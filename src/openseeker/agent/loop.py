"""The ReAct loop: generate a turn, run its tool calls, repeat until an answer or a limit.

One loop serves teacher rollouts (``context="retrospective"``), inference and evaluation (``"raw"``). Each
request is rendered from the trajectory record by :func:`~openseeker.agent.context.render_context`, so the
record holds exactly what every request contained.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import math
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal

from openseeker.agent import prompts
from openseeker.agent.config import AgentConfig
from openseeker.agent.context import (
    TokenCounter,
    chars_per_token,
    count_messages,
    render_context,
    tokenizer_counter,
)
from openseeker.agent.format import format_calls, format_turn, strip_blocks, turn_grammar
from openseeker.agent.profiles import get_profile
from openseeker.agent.records import Observation, Step, Trajectory
from openseeker.agent.summarize import Summarizer
from openseeker.errors import BudgetExceededError, ContextLengthError
from openseeker.llm.base import LLM
from openseeker.llm.types import Capabilities, GenerateConfig, LLMOutput, Message, ToolCall, Usage
from openseeker.tools.base import Toolset

log = logging.getLogger(__name__)
OnStep = Callable[[Trajectory, Step], Any]
_SKIPPED = "Error: the tool-call limit was reached; this call was not run."


_STATED = re.compile(r"(\d+) (?:tokens )?in the messages|(\d+) in your prompt")


def prompt_tokens_stated(message: str) -> int | None:
    """The prompt length an OpenAI-style context-length error states ("... (1990 in the messages, ...")."""
    m = _STATED.search(message)
    return int(m.group(1) or m.group(2)) if m else None


class RunCounter:
    """One run's token counter: the configured estimate, memoized, and how far the server's own prompt
    counts have run above it.

    Every step re-counts the whole history; memoizing by text (per run, so memory is freed with the run)
    keeps a tokenizer-backed counter linear. Budgets are planned with the estimate times :attr:`scale`,
    which only grows, and only when the server counted over 10 % more than estimated: characters / 4
    undercounts some tokenizers by a fifth (SmolLM2 on repeated tags), and a prompt planned with it near
    the window is refused by the server, again and again, while the turn shrinks a budget that is not
    what overflows.
    """

    def __init__(self, count: TokenCounter):
        self._count = functools.lru_cache(maxsize=None)(count)
        self.scale = 1.0

    def __call__(self, text: str) -> int:
        return int(self._count(text))

    def planned(self, tokens: int) -> int:
        """``tokens`` estimated, as the server will probably count them."""
        return math.ceil(tokens * self.scale)

    def observe(self, estimated: int, actual: int) -> None:
        """The server counted ``actual`` prompt tokens where the estimate was ``estimated``."""
        if estimated > 0 and actual > 1.1 * estimated and actual / estimated > self.scale:
            self.scale = actual / estimated


def make_counter(spec: str) -> TokenCounter:
    """A token counter from ``AgentConfig.token_counter``."""
    if spec == "chars":
        return chars_per_token
    if spec.startswith("tokenizer:"):
        return tokenizer_counter(spec.split(":", 1)[1])
    from openseeker.errors import ConfigError

    raise ConfigError(f"token_counter must be 'chars' or 'tokenizer:<name>', got {spec!r}")


class Agent:
    """A search agent.

    Args:
        llm: the acting model (the teacher in synthesis, the student at inference).
        toolset: the tools it may call.
        config: loop options; ``config.profile`` fixes the turn format, its texts and the tool layout
            (applied to ``toolset``).
        summarizer: the model that writes retrospective summaries (defaults to ``llm``).
        token_counter: overrides ``config.token_counter``.

    Raises:
        ConfigError: the profile is unknown, or needs a prompt that ``config.prompt_source`` does not give.
    """

    def __init__(
        self,
        llm: LLM,
        toolset: Toolset,
        config: AgentConfig | None = None,
        summarizer: LLM | None = None,
        *,
        token_counter: TokenCounter | None = None,
    ):
        config = config or AgentConfig()
        self.profile = get_profile(config.profile)
        self.config = self.profile.configure(config)
        self.llm = llm
        self.toolset = toolset
        toolset.use_layout(self.profile.tools)
        self.summarizer_llm = summarizer
        self.count = token_counter or make_counter(self.config.token_counter)
        # read once, so a missing prompt source fails here rather than in the middle of a stage
        self.system = self._system_text()
        source = self.config.prompt_source
        suffix = self.profile.question_suffix
        self.question_suffix = suffix(source) if suffix is not None else ""
        self.capabilities: Capabilities | None = None
        self._fitted: AgentConfig | None = None

    def _system_text(self) -> str:
        if self.config.mode != "text":
            return self._native_system()
        return self.profile.system_text(
            self.toolset.specs, template=self.config.system_template, source=self.config.prompt_source
        )

    def _forced_system(self) -> str | None:
        """The system message of a turn with tools disabled, for formats whose template renders the tools
        (re-rendered without them, as OpenSeeker-v2 does); ``None``: the usual one."""
        build = self.profile.build_system
        if build is None or self.config.mode != "text" or self.config.system_template is not None:
            return None
        return build(self.toolset.specs, self.config.prompt_source, False)

    async def prepare(self) -> AgentConfig:
        """Ask the endpoint what it offers (once) and fit the budgets and tool role to it.

        Stages call this before their first input, so that a server that is not running, or settings
        that cannot fit its context window, stop the stage at once with one message.

        Raises:
            LLMServerError: no server at the model's base URL.
            ConfigError: the settings do not fit the endpoint (see :meth:`AgentConfig.fitted`).
        """
        if self._fitted is None:
            self.capabilities = await self.llm.capabilities()
            self._fitted = self.config.fitted(self.capabilities)
        return self._fitted

    # ------------------------------------------------------------------------------------------- public

    async def run(
        self,
        question: str,
        *,
        id: str = "",
        context: Literal["raw", "retrospective"] | None = None,
        scope: str | None = None,
        on_step: OnStep | None = None,
    ) -> Trajectory:
        """Answer ``question``; return the full trajectory (never raises for model misbehaviour).

        Args:
            question: the user question.
            id: the trajectory id (a random one when empty).
            context: ``raw`` or ``retrospective`` (default: ``config.context``).
            scope: the LLM cache scope (one per rollout, so repeated rollouts are not collapsed).
            on_step: called with ``(trajectory, step)`` after every finished step (may be async).
        """
        # Tool sources (MCP servers) connect here, so that their tools are in the prompt; the session ties
        # per-rollout tool state (sandboxes) to this run and releases it however the run ends.
        await self.toolset.start()
        if self.toolset.sources:  # their tools are known only once connected
            self.system = self._system_text()
        async with self.toolset.session(uuid.uuid4().hex):
            return await self._run(
                question + self.question_suffix, id=id, context=context, scope=scope, on_step=on_step
            )

    async def _run(
        self,
        question: str,
        *,
        id: str,
        context: Literal["raw", "retrospective"] | None,
        scope: str | None,
        on_step: OnStep | None,
    ) -> Trajectory:
        cfg = await self.prepare()
        strategy = context or cfg.context
        specs = self.toolset.specs
        traj = Trajectory(
            id=id or uuid.uuid4().hex[:12],
            question=question,
            model=self.llm.name,
            mode=cfg.mode,
            context=strategy,
            system=self.system,
            tools=list(specs),
            metadata={"scope": scope} if scope else {},
        )
        forced_system = self._forced_system()
        if forced_system is not None:  # what forced turns are sent instead of `system` (for the record)
            traj.metadata["system_without_tools"] = forced_system
        summarizer = None
        if strategy == "retrospective":
            summarizer = Summarizer(
                self.summarizer_llm or self.llm,
                min_chars=cfg.summarize_min_chars,
                max_tokens=cfg.summarizer_max_tokens,
                language=cfg.summary_language,
            )
        usage = Usage()
        start = time.monotonic()
        forced_by: str | None = None
        count = RunCounter(self.count)
        try:
            while True:
                if forced_by is None and len(traj.steps) >= cfg.max_turns:
                    forced_by = "turn_limit"
                step, out_usage, forced_by, done = await self._turn(
                    cfg, traj, strategy, forced_by, scope, count
                )
                usage = usage + out_usage
                if step is None:  # no room left to generate anything
                    traj.finish_reason = "context_limit"
                    traj.final_response = self.profile.context_limit_answer
                    break
                traj.steps.append(step)
                if done:
                    await self._notify(on_step, traj, step)
                    break
                await self._act(cfg, traj, step, summarizer, scope)
                await self._notify(on_step, traj, step)
                if traj.tool_calls >= cfg.max_tool_calls and forced_by is None:
                    if cfg.on_tool_limit == "stop":
                        traj.finish_reason = "tool_limit"
                        traj.final_response = strip_blocks(step.content)
                        break
                    forced_by = "tool_limit"
        finally:
            traj.seconds = time.monotonic() - start
            traj.usage = {"agent": usage.to_dict()}
            if summarizer is not None:
                traj.usage["summarizer"] = summarizer.usage.to_dict()
            if forced_by:
                traj.metadata["forced_by"] = forced_by
        return traj

    # ------------------------------------------------------------------------------------------ helpers

    def _native_system(self) -> str:
        return prompts.load("system_en").split("\n\n# Tools", 1)[0].strip()

    async def _notify(self, on_step: OnStep | None, traj: Trajectory, step: Step) -> None:
        if on_step is not None:
            res = on_step(traj, step)
            if inspect.isawaitable(res):
                await res

    def _gen_config(
        self, cfg: AgentConfig, max_tokens: int, tools_enabled: bool, prefill: str | None
    ) -> GenerateConfig:
        grammar = None
        if cfg.constrain_format and cfg.mode == "text":
            grammar = turn_grammar(
                self.toolset.specs if tools_enabled else [],
                max_thought_chars=cfg.grammar_max_thought_chars,
                max_calls=cfg.grammar_max_calls,
                open_think=cfg.grammar_open_think and prefill is None,
            )
        return GenerateConfig(max_tokens=max_tokens, grammar=grammar, prefill=prefill)

    def _forced_request(self, cfg: AgentConfig, cause: str) -> tuple[str, str | None, str | None]:
        """How to ask for the final answer: ``(forced_via, prefill, instruction)``.

        Text mode continues the turn from the forced prefix where the endpoint can (a client-rendered
        prompt, or a server that continues the final assistant message); otherwise, and in native mode,
        the request goes without tools and with a user message asking for the answer.
        """
        via = self.capabilities.continuation if self.capabilities is not None else None
        if cfg.mode == "text" and via is not None:
            return via, (cfg.forced_prefix or self.profile.forced_text(cause)), None
        return "instruction", None, (cfg.forced_instruction or prompts.load("answer_now_en").strip())

    async def _turn(
        self,
        cfg: AgentConfig,
        traj: Trajectory,
        strategy: Literal["raw", "retrospective"],
        forced_by: str | None,
        scope: str | None,
        count: RunCounter,
    ) -> tuple[Step | None, Usage, str | None, bool]:
        """Generate one step. Returns (step or None when nothing fits, usage, forced_by, finished)."""
        upto = len(traj.steps)
        msgs = render_context(traj, strategy, upto, tool_role=cfg.tool_role)
        prompt_tokens = count_messages(msgs, count)
        raw_tokens = (
            prompt_tokens
            if strategy == "raw"
            else count_messages(render_context(traj, "raw", upto, tool_role=cfg.tool_role), count)
        )
        retro_tokens = prompt_tokens if strategy == "retrospective" else raw_tokens
        max_tokens = min(cfg.max_tokens, cfg.max_context_tokens - count.planned(prompt_tokens))
        usage = Usage()
        attempts = 0
        discarded = False  # a forced turn that still called tools was thrown away
        gen_seconds = 0.0
        while True:
            if forced_by is None and max_tokens < cfg.min_generation_tokens:
                if upto == 0:  # a forced answer before any search would pass silently for a result
                    why = (
                        f"the server rejected it as too long with max_tokens {int(max_tokens / 0.9)}"
                        if attempts
                        else f"~{prompt_tokens} tokens of system prompt and question"
                    )
                    raise ContextLengthError(
                        f"the first request ({why}) leaves {max_tokens} tokens to generate, below "
                        f"agent.min_generation_tokens ({cfg.min_generation_tokens}) with agent.max_context_tokens "
                        f"{cfg.max_context_tokens}: raise the context window (and max_context_tokens), lower "
                        "min_generation_tokens, or shorten the question"
                    )
                forced_by = "context"
            if max_tokens < cfg.forced_min_tokens:
                return None, usage, forced_by, True
            forced = forced_by is not None
            # A retry after a forced turn that still called tools uses the profile's "retry" text where it has one.
            cause = "retry" if (discarded and "retry" in self.profile.forced_prefix) else forced_by
            via, prefill, instruction = (
                self._forced_request(cfg, cause or "") if forced else (None, None, None)
            )
            system = traj.metadata.get("system_without_tools") if forced else None
            if system is not None and msgs and msgs[0].get("role") == "system":
                msgs = [{**msgs[0], "content": system}, *msgs[1:]]
            request: list[Message] = msgs
            budget = max_tokens
            if instruction:  # the instruction takes room in the context
                request = [*msgs, {"role": "user", "content": instruction}]
                room = cfg.max_context_tokens - count.planned(
                    prompt_tokens + count_messages(request[-1:], count)
                )
                budget = max(1, min(max_tokens, room))
            native_tools = self.toolset.specs if (cfg.mode == "native" and not forced) else None
            attempts += 1
            t0 = time.monotonic()
            try:
                out: LLMOutput = await self.llm.generate(
                    request,
                    tools=native_tools,
                    config=self._gen_config(cfg, budget, not forced, prefill),
                    scope=scope if attempts == 1 or scope is None else f"{scope}|a{attempts}",
                )
            except ContextLengthError as e:
                gen_seconds += time.monotonic() - t0
                # Shrink the generation budget by 10 % (METHOD 5.3); the checks above then force an answer.
                max_tokens = int(max_tokens * 0.9)
                # A server that says how long the prompt was also says when no budget can fit it.
                if (stated := prompt_tokens_stated(str(e))) is not None:
                    count.observe(count_messages(request, count), stated)
                    max_tokens = min(max_tokens, cfg.max_context_tokens - count.planned(prompt_tokens))
                continue
            gen_seconds += time.monotonic() - t0
            usage = usage + out.usage
            if out.usage.prompt_tokens:
                count.observe(count_messages(request, count), out.usage.prompt_tokens)
            step = self._make_step(upto, out, prefill)
            step.max_tokens, step.attempts, step.seconds = budget, attempts, gen_seconds
            step.prompt_tokens, step.prompt_tokens_raw, step.prompt_tokens_retrospective = (
                prompt_tokens,
                raw_tokens,
                retro_tokens,
            )
            step.completion_tokens = out.usage.completion_tokens or self.count(out.text)
            if not forced:
                if step.answer is not None:
                    self._finish(traj, step, "answer")
                    return step, usage, forced_by, True
                if cfg.mode == "native" and not step.calls and step.parse_error is None:
                    step.answer = strip_blocks(step.content)
                    self._finish(traj, step, "answer")
                    return step, usage, forced_by, True
                return step, usage, forced_by, False
            # Tools are disabled: an answer (tagged or plain text) ends the run; new calls are discarded.
            step.forced, step.forced_via, step.instruction = True, via, instruction
            if step.calls and attempts < cfg.forced_answer_retries:
                discarded = True
                continue
            if step.calls or (step.answer is None and not strip_blocks(step.content)):
                step.calls, step.parse_error = [], None
                self._finish(traj, step, "no_final_answer_after_tools_disabled")
                traj.final_answer = None
                return step, usage, forced_by, True
            if step.answer is None:
                step.answer = strip_blocks(step.content)
            step.parse_error = None
            self._finish(traj, step, "forced_answer")
            return step, usage, forced_by, True

    def _make_step(self, index: int, out: LLMOutput, prefill: str | None) -> Step:
        text = out.text
        if prefill and prefill not in text[: len(prefill) + 32]:
            # The provider appended the prefill to the prompt but returned only the continuation (the
            # completions provider returns the whole turn, prefill included): the turn starts with it.
            text = prefill + ("" if text.startswith((" ", "\n")) else " ") + text
            if "</think>" not in text and out.reasoning is None and "<answer>" in text:
                head, _, tail = text.partition("<answer>")
                text = head + "</think>\n\n<answer>" + tail
        parsed = self.profile.parse_turn(text, out.reasoning)
        step = Step(index=index, reasoning=parsed.reasoning, content=parsed.content, prefill=prefill)
        if self.config.mode == "native" and out.tool_calls:
            step.native_tool_calls = True
            step.calls = [
                Observation(c.name, dict(c.arguments), id=c.id or f"call_{index}_{i}")
                for i, c in enumerate(out.tool_calls)
            ]
            step.text = format_turn(
                parsed.reasoning,
                (parsed.content + "\n" if parsed.content else "") + format_calls(list(out.tool_calls)),
            )
            return step
        step.text = parsed.text
        if parsed.answer is not None:
            step.answer = parsed.answer
        elif parsed.calls:
            step.calls = [Observation(c.name, dict(c.arguments)) for c in parsed.calls]
            if parsed.errors and self.profile.error_block_per_bad_call:
                # the calls that did not decode get an observation each (the profile decides)
                step.calls.extend(
                    Observation("invalid_tool_call", {}, response=f"Error: {e}", error=True)
                    for e in parsed.errors
                )
        elif self.config.mode == "text" or parsed.errors:
            step.parse_error = self.profile.parse_error(parsed.errors)
        return step

    def _finish(self, traj: Trajectory, step: Step, reason: str) -> None:
        traj.finish_reason = reason
        extract = self.profile.final_answer
        traj.final_answer = extract(step.answer) if (extract and step.answer is not None) else step.answer
        traj.final_response = strip_blocks(step.content) if step.content else (step.answer or "")

    async def _act(
        self, cfg: AgentConfig, traj: Trajectory, step: Step, summarizer: Summarizer | None, scope: str | None
    ) -> None:
        """Run the step's calls (and, concurrently, summarize the previous step's responses)."""
        t0 = time.monotonic()
        budget = cfg.max_tool_calls - traj.tool_calls
        todo = [c for c in step.calls if not c.error]
        run_now, skipped = todo[: max(0, budget)], todo[max(0, budget) :]
        for c in skipped:
            c.response, c.error = _SKIPPED, True

        async def one(obs: Observation) -> None:
            t = time.monotonic()
            try:
                res = await self.toolset.call(ToolCall(obs.name, obs.arguments, obs.id))
            except BudgetExceededError:
                raise  # a spent budget stops the run; the stage retries this input after a resume
            # A tool bug or an unexpected backend failure: the model reads it, the log keeps it.
            except Exception as e:
                log.warning("tool %s failed with %r", obs.name, e)
                text = self.toolset.layout.tool_exception.format(
                    name=obs.name, type=type(e).__name__, error=e
                )
                obs.response, obs.error = text, True
                obs.seconds = time.monotonic() - t
                return
            obs.response, obs.error, obs.seconds = res.content, res.error, res.seconds

        async def run_tools() -> None:
            if cfg.parallel_tools:
                await asyncio.gather(*(one(o) for o in run_now))
            else:
                for o in run_now:
                    await one(o)
            step.tool_seconds = time.monotonic() - t0

        async def summarize_previous() -> None:
            # One step behind (METHOD 3.1): the new observation has arrived, so the previous one is compressed.
            if summarizer is None or len(traj.steps) < 2:
                return
            prev = traj.steps[-2]
            s0 = time.monotonic()
            await asyncio.gather(*(summarizer.summarize(traj.question, o, scope=scope) for o in prev.calls))
            prev.summary_seconds = time.monotonic() - s0

        await asyncio.gather(run_tools(), summarize_previous())
        n_calls = len(step.calls) - len(skipped)
        if n_calls == 0 and step.parse_error is not None and cfg.count_parse_errors:
            n_calls = 1
        traj.tool_calls += n_calls
