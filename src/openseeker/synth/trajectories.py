"""Denoised trajectory synthesis (METHOD section 3): teacher rollouts with a retrospective context,
rejection sampling by the judge, stored with every raw response for the student's view.

For each QA pair, ``rollouts`` independent runs of the teacher (each with its own LLM cache scope) are
made. A rollout is kept when it ended with an answer that the judge finds correct against the gold answer
and passes the optional filters; every other rollout is a counted, inspectable rejection in
``<run>/trajectories/rejects/`` (reasons: ``finish_<reason>``, ``too_few_tool_calls``,
``context_too_long``, ``incorrect``, ``unparsed_verdict``).

The judge is calibrated before the first rollout (:func:`openseeker.judge.calibration.gate`): one that
accepts too many wrong answers is refused unless ``allow_weak_judge``, and then every kept trajectory
carries the caveat in ``metadata.judge_caveat``. The figures go into ``stats.json``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from openseeker.agent import Agent, AgentConfig, Trajectory
from openseeker.agent.context import context_tokens
from openseeker.config import StrictModel
from openseeker.errors import ConfigError
from openseeker.judge import get_judge
from openseeker.judge.verdict import Judge
from openseeker.llm.config import RolesConfig
from openseeker.llm.registry import Roles
from openseeker.pipeline.executor import ExecutorConfig
from openseeker.pipeline.run import RunFolder
from openseeker.pipeline.stage import Reject, StageContext, StageResult
from openseeker.pipeline.stages import Resources, Stage, stage_roles
from openseeker.synth.records import QAPair, read_qa
from openseeker.tools.base import Toolset
from openseeker.tools.config import ToolsConfig

log = logging.getLogger(__name__)
STAGE = "trajectories"


class TrajSynthConfig(StrictModel):
    """The trajectory synthesis stage."""

    qa: str | None = Field(
        default=None,
        description="a QA run folder (<qa>/qa/*.jsonl) or a JSONL file with "
        "question/answer (+ id, aliases, language)",
    )
    out: str | None = Field(default=None, description="the run folder; records go to <out>/trajectories/")
    roles: RolesConfig = Field(default_factory=RolesConfig)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    agent: AgentConfig = Field(default_factory=lambda: AgentConfig(context="retrospective"))
    role: str = Field(default="teacher", description="the role that acts (the teacher)")
    context: Literal["raw", "retrospective"] = Field(
        default="retrospective", description="the teacher's view"
    )
    rollouts: int = Field(default=1, ge=1, description="rollouts per question (rejection sampling)")
    limit: int | None = Field(default=None, description="only the first N questions")
    judge_style: str = Field(
        default="rules",
        description="judge spec: rules (no model; the default, since the embedded model fails calibration as "
        "a judge), binary, rules+binary, exact+binary, openseeker-v1 ... (see openseeker eval); 'none' keeps "
        "rollouts unjudged",
    )
    judge_prompt_source: str | None = Field(
        default=None, description="openseeker-v1 judge: its prompt file or an official checkout"
    )
    max_false_accept: float = Field(
        default=0.10, ge=0, le=1, description="refuse a judge above this false-accept rate on the calibration set"
    )
    allow_weak_judge: bool = Field(
        default=False, description="keep trajectories on the word of a judge that failed calibration (marked)"
    )
    keep_incorrect: bool = Field(default=False, description="keep judged-incorrect rollouts (labelled)")
    keep_forced: bool = Field(
        default=False, description="keep rollouts answered only after tools were disabled"
    )
    min_tool_calls: int = Field(
        default=0, ge=0, description="reject rollouts with fewer tool calls (OpenSeeker-v2's low-step filter)"
    )
    max_raw_context_tokens: int | None = Field(
        default=256_000, description="reject rollouts whose raw (student) context exceeds this"
    )
    concurrency: int = 16
    shard_size: int = 1000
    executor: ExecutorConfig = Field(
        default_factory=ExecutorConfig,
        description="where shards run: local (this process) or ray (Ray tasks; {kind, address, workers})",
    )
    cache: str | None = Field(default=None, description="LLM response cache; default <out>/cache/llm.sqlite")
    progress: bool = True


@dataclass
class TrajTask:
    """One rollout of one QA pair."""

    qa: QAPair
    rollout: int

    @property
    def key(self) -> str:
        return f"{self.qa.id}#r{self.rollout}"


def _tasks(items: list[QAPair], rollouts: int) -> Iterator[TrajTask]:
    for qa in items:
        for k in range(rollouts):
            yield TrajTask(qa, k)


class TrajectorySynthesizer:
    """The per-rollout work function of the stage (callable with ``(task, ctx)``)."""

    def __init__(
        self,
        config: TrajSynthConfig,
        agent: Agent,
        judges: dict[str, Judge] | None,
        judge_factory: Any = None,
    ):
        self.config = config
        self.agent = agent
        self.judges = judges if judges is not None else {}
        self.judge_factory = judge_factory
        self.caveat: str | None = None  # set when a judge that failed calibration was allowed

    def judge_for(self, lang: str) -> Judge | None:
        if self.config.judge_style == "none":
            return None
        if lang not in self.judges:
            if self.judge_factory is None:
                return next(iter(self.judges.values()), None)
            self.judges[lang] = self.judge_factory(lang)
        return self.judges[lang]

    async def __call__(self, task: TrajTask, ctx: StageContext) -> Trajectory | Reject:
        cfg = self.config
        qa = task.qa
        traj = await self.agent.run(
            qa.question, id=task.key, context=cfg.context, scope=f"traj:{qa.id}:{task.rollout}"
        )
        traj.gold, traj.aliases = qa.answer, qa.aliases
        traj.metadata.update(
            {"qa_id": qa.id, "rollout": task.rollout, "language": qa.language, "role": cfg.role}
        )
        ctx.count("rollouts")
        ctx.count("tool_calls", traj.tool_calls)
        ctx.count("steps", len(traj.steps))
        ctx.count(f"finish_{traj.finish_reason}")
        for usage in traj.usage.values():
            ctx.add_usage(usage)
        record = traj.to_dict()
        ok_finish = traj.finish_reason == "answer" or (
            cfg.keep_forced and traj.finish_reason == "forced_answer"
        )
        if not ok_finish:
            return Reject(f"finish_{traj.finish_reason}", {"tool_calls": traj.tool_calls}, record)
        if traj.tool_calls < cfg.min_tool_calls:
            return Reject(
                "too_few_tool_calls", {"tool_calls": traj.tool_calls, "min": cfg.min_tool_calls}, record
            )
        if cfg.max_raw_context_tokens is not None:
            raw = context_tokens(traj, "raw", counter=self.agent.count)
            traj.metadata["raw_context_tokens"] = raw
            if raw > cfg.max_raw_context_tokens:
                return Reject("context_too_long", {"raw_tokens": raw}, traj.to_dict())
        judge = self.judge_for(qa.language)
        if judge is None:
            return traj
        verdict = await judge.judge(
            qa.question, qa.answer, traj.final_response, aliases=qa.aliases or None
        )
        traj.correct, traj.verdict = verdict.correct, verdict.to_dict()
        if self.caveat:
            traj.metadata["judge_caveat"] = self.caveat
        if verdict.correct is None:
            return Reject("unparsed_verdict", {"raw": verdict.raw[:500]}, traj.to_dict())
        if not verdict.correct:
            ctx.count("incorrect")
            if not cfg.keep_incorrect:
                return Reject(
                    "incorrect", {"answer": traj.final_answer, "gold": qa.answer}, traj.to_dict()
                )
        else:
            ctx.count("correct")
        return traj


class TrajWork:
    """The opened trajectory stage: its rollouts, the per-rollout synthesizer, its reports."""

    def __init__(
        self, config: TrajSynthConfig, items: list[QAPair], roles: Roles, own_roles: bool, own_tools: bool
    ):
        self.config = config
        self.items = list(_tasks(items, config.rollouts))
        self.description = f"trajectories ({config.rollouts}x{len(items)})"
        self.unit = "rollouts"
        self.roles = roles
        self.toolset: Toolset | None = None
        self.synth: TrajectorySynthesizer | None = None
        self.calibration: Any = None
        self._own_roles, self._own_tools = own_roles, own_tools

    @staticmethod
    def key(task: TrajTask) -> str:
        return task.key

    async def __call__(self, task: TrajTask, ctx: StageContext) -> Trajectory | Reject:
        assert self.synth is not None
        return await self.synth(task, ctx)

    async def finish(self, result: StageResult) -> StageResult:
        if self.calibration is not None:
            from openseeker.judge.calibration import add_to_stats

            add_to_stats(result, self.calibration)
        return result

    async def stopped(self) -> None:
        return None

    async def aclose(self) -> None:
        if self._own_tools and self.toolset is not None:  # MCP connections, and any sandbox still open
            await self.toolset.aclose()
        if self._own_roles:
            await self.roles.aclose()


async def open_trajectory_synthesis(config: TrajSynthConfig, res: Resources) -> TrajWork:
    """Open the trajectory stage from its config: the QA items, the roles, the tools, the teacher agent (its
    server asked once) and the calibrated judge."""
    if not config.qa:
        raise ConfigError("Trajectory synthesis needs QA input (qa / --qa): a QA run folder or a JSONL file.")
    items = read_qa(config.qa, config.limit)
    roles = res.roles or stage_roles(config.roles, RunFolder(config.out or ""), config.cache)
    judge: Judge | None = res.judge
    from openseeker.agent.profiles import get_profile

    profile = get_profile(config.agent.profile)
    if "min_tool_calls" not in config.model_fields_set and profile.min_tool_calls:
        # the profile's low-step filter (OpenSeeker-v2) unless the stage sets its own
        config = config.model_copy(update={"min_tool_calls": profile.min_tool_calls})
    work = TrajWork(config, items, roles, own_roles=res.roles is None, own_tools=res.toolset is None)
    try:
        toolset = res.toolset
        if toolset is None:
            from openseeker.toolbox import build_toolset

            toolset = build_toolset(profile.configure_tools(config.tools), roles["summarizer"])
        work.toolset = toolset
        agent = Agent(roles[config.role], toolset, config.agent, summarizer=roles["summarizer"])
        await agent.prepare()  # no server, or budgets that do not fit it: stop before any rollout
        judged = judge is None and config.judge_style not in ("none", "rules")  # rules need no model
        await roles.preflight("summarizer", *(["judge"] if judged else []))
        factory = None
        if judge is None and config.judge_style != "none":
            judge_llm = None if config.judge_style == "rules" else roles["judge"]  # rules need no model

            def factory(lang: str) -> Judge:
                return get_judge(
                    config.judge_style,
                    judge_llm,
                    "zh" if lang == "zh" else "en",
                    prompt_source=config.judge_prompt_source,
                )

        synth = TrajectorySynthesizer(config, agent, {"*": judge} if judge is not None else None, factory)
        work.synth = synth
        if config.judge_style != "none" or judge is not None:
            from openseeker.judge.calibration import gate

            # no rollout is kept on the word of a judge that has not passed calibration
            def judge_for(lang: str) -> Judge:
                found = synth.judge_for("zh" if lang == "zh" else "en") or judge
                assert found is not None  # a judge style other than 'none', or a given judge
                return found

            work.calibration = await gate(
                judge_for,
                max_false_accept=config.max_false_accept,
                allow_weak=config.allow_weak_judge,
                what="rejection sampling",
                flag="allow_weak_judge",
            )
            synth.caveat = None if work.calibration.passed else work.calibration.caveat()
    except BaseException:
        await work.aclose()
        raise
    return work


STAGE_TRAJECTORIES: Stage[TrajSynthConfig] = Stage(
    "trajectories", TrajSynthConfig, QAPair, Trajectory, open_trajectory_synthesis
)
"""The trajectory synthesis stage: QA items in, kept :class:`~openseeker.agent.Trajectory` rollouts out."""


async def arun_trajectory_synthesis(
    config: TrajSynthConfig,
    roles: Roles | None = None,
    *,
    toolset: Toolset | None = None,
    judge: Judge | None = None,
) -> StageResult:
    """Async form of :func:`run_trajectory_synthesis`."""
    if not config.out:
        raise ConfigError("Trajectory synthesis needs an output run folder (out / --out).")
    res = Resources(roles=roles, toolset=toolset, judge=judge)
    return await STAGE_TRAJECTORIES.arun(config, res)  # type: ignore[no-any-return]


def run_trajectory_synthesis(
    config: TrajSynthConfig,
    roles: Roles | None = None,
    *,
    toolset: Toolset | None = None,
    judge: Judge | None = None,
) -> StageResult:
    """Synthesize trajectories for the QA items of ``config.qa``; records go to ``<out>/trajectories/``.

    Args:
        config: the stage config (qa, out, rollouts, filters, agent limits, roles, tools).
        roles: ready LLM roles; by default built from ``config.roles`` with the response cache.
        toolset: ready tools; by default ``openseeker.toolbox.build_toolset(config.tools, summarizer)``.
        judge: the judge; by default ``get_judge(config.judge_style, roles["judge"], lang)`` per language.

    Returns:
        The stage summary; ``stats.json`` counts rejections by reason.
    """
    return asyncio.run(arun_trajectory_synthesis(config, roles, toolset=toolset, judge=judge))
