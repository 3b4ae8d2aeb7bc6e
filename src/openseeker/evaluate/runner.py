"""Run an agent on a benchmark: concurrent, resumable, one record per (question, sample).

The run folder::

    <out>/eval/00000.jsonl     per-item records (EvalRecord), sharded and resumable (run_stage)
    <out>/eval/errors.jsonl    agent/judge failures; those items are retried on the next run
    <out>/eval/config.yaml     the resolved config (secrets redacted)
    <out>/results.json         the summary: metrics, subset, judge model and prompt version

Records hold the trajectory, which contains the question text: a run folder on an encrypted benchmark
holds plaintext and must not be published (canary policy).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, cast

import orjson
from pydantic import Field

from openseeker.agent.config import AgentConfig
from openseeker.concurrency import bounded_map
from openseeker.config import StrictModel
from openseeker.errors import ConfigError
from openseeker.evaluate.benchmarks import Benchmark, BenchmarkItem, get_benchmark, select_items
from openseeker.evaluate.metrics import summarize
from openseeker.io.jsonl import append_jsonl, iter_jsonl
from openseeker.judge import check_spec, get_judge
from openseeker.judge.calibration import DEFAULT_MAX_FALSE_ACCEPT, gate
from openseeker.judge.llm import parse_confidence
from openseeker.judge.registry import needs_model
from openseeker.judge.verdict import Judge, Verdict
from openseeker.llm.config import RolesConfig
from openseeker.llm.registry import Roles
from openseeker.llm.types import GenerateConfig
from openseeker.pipeline.executor import ExecutorConfig
from openseeker.pipeline.run import RunFolder
from openseeker.pipeline.stage import StageContext, StageResult, read_stage
from openseeker.pipeline.stages import Resources, Stage, stage_roles
from openseeker.records import Record, to_jsonable
from openseeker.tools.config import ToolsConfig

STAGE = "eval"


class EvalConfig(StrictModel):
    """Configuration of ``openseeker eval run`` (the ``--agent`` file may hold ``roles``, ``tools``, ``agent``)."""

    benchmark: str = Field(
        description="registered benchmark name (browsecomp, xbench-deepsearch, custom, ...)"
    )
    data: str | None = Field(default=None, description="benchmark file or folder")
    out: str = Field(default="runs/eval", description="run folder")
    samples: int = Field(default=1, ge=1, description="samples per question (avg@k / pass@k)")
    limit: int | None = None
    ids: list[str] | None = None
    sample: int | None = Field(default=None, description="evaluate a seeded random subset of this size")
    seed: int = 0
    judge: str = Field(
        default="openseeker",
        description="openseeker (our A/B judge), openseeker-v1 (the official A/B prompt, from "
        "judge_prompt_source), official (the benchmark's own grader style), binary, browsecomp, xbench, or "
        "rules; prefix exact+ (exact matches decided without the model) or rules+ (rules first, the model "
        "for undecided items)",
    )
    judge_lang: str = Field(default="auto", description="auto (the question's language), en or zh")
    judge_max_attempts: int = 3
    judge_max_tokens: int | None = Field(
        default=None, description="generation budget of one judge reply (default: the provider's)"
    )
    judge_prompt_source: str | None = Field(
        default=None,
        description="openseeker-v1 judge: a text file with the judge prompt, or an official checkout",
    )
    max_false_accept: float = Field(
        default=DEFAULT_MAX_FALSE_ACCEPT,
        ge=0,
        le=1,
        description="refuse a judge whose false-accept rate on the calibration set exceeds this",
    )
    allow_weak_judge: bool = Field(
        default=False, description="run with a judge that failed calibration; every number is then marked"
    )
    concurrency: int = 8
    shard_size: int = 100
    executor: ExecutorConfig = Field(
        default_factory=ExecutorConfig,
        description="where shards run: local (this process) or ray (Ray tasks; {kind, address, workers})",
    )
    roles: RolesConfig = Field(default_factory=RolesConfig)
    tools: ToolsConfig = Field(default_factory=ToolsConfig, description="the agent's tools")
    agent: AgentConfig = Field(default_factory=AgentConfig, description="the agent's loop options")
    prices: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="model -> {prompt, completion} USD per 1M tokens"
    )
    include_last_bin: bool = Field(
        default=False, description="HLE calib_err: score the last bin (upstream skips it)"
    )
    rejudge_unparsed: bool = Field(
        default=True, description="on every run, judge unparsed verdicts again (as OpenSeeker's eval does)"
    )
    progress: bool = False


class AgentLike(Protocol):
    """Anything with ``async run(question, *, id, scope) -> trajectory``."""

    async def run(self, question: str, *, id: str = "", scope: str | None = None) -> Any: ...


@dataclass
class EvalRecord(Record):
    """One (question, sample) result."""

    STAGE: ClassVar[str] = "eval"

    key: str
    question_id: str
    sample: int
    topic: str
    lang: str
    final_answer: str | None
    final_response: str
    correct: bool | None
    verdict: Verdict
    confidence: float | None
    tool_calls: int
    usage: dict[str, int]
    judge_usage: dict[str, int]
    agent_model: str
    judge_model: str
    seconds: float
    steps: int
    finish_reason: str
    table: dict[str, Any] | None = None
    trajectory: dict[str, Any] = field(default_factory=dict)


@dataclass
class AgentAnswer:
    """What the evaluation reads from an agent's result: any object with these attributes (a
    :class:`~openseeker.agent.Trajectory` has them all; a missing one takes its default)."""

    final_response: str
    final_answer: str | None
    tool_calls: int
    steps: int
    usage: dict[str, int]
    seconds: float
    model: str
    finish_reason: str

    @classmethod
    def of(cls, traj: Any, *, seconds: float) -> AgentAnswer:
        """Read ``traj`` (``seconds``: the measured time, used when it reports none)."""
        calls, steps = getattr(traj, "tool_calls", 0), getattr(traj, "steps", 0)
        return cls(
            final_response=str(getattr(traj, "final_response", "") or ""),
            final_answer=getattr(traj, "final_answer", None),
            tool_calls=len(calls) if isinstance(calls, list) else int(calls or 0),
            steps=len(steps) if isinstance(steps, list) else int(steps or 0),
            usage=_flat_usage(getattr(traj, "usage", None)),
            seconds=float(getattr(traj, "seconds", 0.0) or seconds),
            model=str(getattr(traj, "model", "") or ""),
            finish_reason=str(getattr(traj, "finish_reason", "") or "unknown"),
        )


@dataclass
class EvalResult:
    """What :func:`run_eval` returns."""

    path: Path
    summary: dict[str, Any]
    stage: StageResult

    @property
    def complete(self) -> bool:
        return self.stage.complete


def judge_style(config: EvalConfig) -> str:
    """The judge spec of a run: ``official`` resolved for the benchmark (its :attr:`Benchmark.judge_style`),
    ``openseeker`` as ``binary``; any judge of the registry (entry points included), optionally prefixed with
    ``exact+`` or ``rules+``. A benchmark with its own scoring is scored, not judged (its scoring's name)."""
    bench = get_benchmark(config.benchmark)
    if bench.score is not None:
        return bench.judge_style
    parts = config.judge.split("+")
    parts = [bench.judge_style if p == "official" else "binary" if p == "openseeker" else p for p in parts]
    return check_spec("+".join(parts))


def _flat_usage(usage: Any) -> dict[str, int]:
    """Token counts of the acting model: the ``agent`` entry of per-role usage, or a flat usage."""
    u = to_jsonable(usage) if usage is not None else {}
    if not isinstance(u, dict):
        u = getattr(usage, "__dict__", {}) or {}
    if isinstance(u.get("agent"), dict):
        u = u["agent"]
    return {k: int(v) for k, v in u.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def _as_dict(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "to_dict"):
        return cast("dict[str, Any]", obj.to_dict())
    if hasattr(obj, "model_dump"):
        return cast("dict[str, Any]", obj.model_dump())
    out = to_jsonable(obj)
    return out if isinstance(out, dict) else {"value": out}


def _check_fingerprint(out: Path, fp: dict[str, Any]) -> None:
    """Refuse to resume a run folder made with different settings: records would silently mix two
    configurations, and finished shards are skipped by position, so a changed subset or sample count
    could leave new items unrun. Resuming the identical command is always fine."""
    path = out / STAGE / "fingerprint.json"
    fp = orjson.loads(orjson.dumps(to_jsonable(fp), option=orjson.OPT_SORT_KEYS))
    if path.exists():
        old = orjson.loads(path.read_bytes())
        diff = sorted(k for k in set(old) | set(fp) if old.get(k) != fp.get(k))
        if diff:
            raise ConfigError(
                f"Run folder {str(out)!r} was made with different settings ({', '.join(diff)}); "
                f"use a new --out, or delete the folder to start over."
            )
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(fp, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


REJUDGED = "rejudged.jsonl"


async def _rejudge(
    records: list[dict[str, Any]],
    by_id: dict[str, BenchmarkItem],
    judge_for: Any,
    out: Path,
    config: EvalConfig,
    skip: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Apply earlier re-judgements (``eval/rejudged.jsonl``, last one wins), then judge the still-unparsed
    LLM verdicts once more and append the new verdicts there. The stage records stay as first written."""
    path = out / STAGE / REJUDGED
    overlay: dict[str, dict[str, Any]] = {}
    if path.exists():
        overlay = {row["key"]: row for row in iter_jsonl(path)}
    merged = [{**r, **overlay[r["key"]]} if r["key"] in overlay else r for r in records]
    if not config.rejudge_unparsed:
        return merged
    todo = [
        r
        for r in merged
        if r.get("correct") is None
        and r.get("verdict", {}).get("method") == "llm"
        and r["question_id"] in by_id
        and r["key"] not in (skip or set())
    ]
    if not todo:
        return merged

    async def again(rec: dict[str, Any]) -> dict[str, Any]:
        item = by_id[rec["question_id"]]
        v = await judge_for(item.lang).judge(
            item.question,
            item.answer,
            rec.get("final_response") or rec.get("final_answer") or "",
            aliases=item.aliases or None,
        )
        conf = v.confidence if v.confidence is not None else rec.get("confidence")
        rejudges = int(rec.get("rejudges", 0)) + 1
        return {
            "key": rec["key"],
            "correct": v.correct,
            "verdict": v.to_dict(),
            "confidence": conf,
            "rejudges": rejudges,
        }

    updates: dict[str, dict[str, Any]] = {}
    async for _rec, res in bounded_map(again, todo, config.concurrency):
        if isinstance(res, BaseException):
            if not isinstance(res, Exception):
                raise res
            continue  # a judge call that failed outright stays unparsed; the next run tries again
        append_jsonl(path, [res])
        updates[res["key"]] = res
    return [{**r, **updates[r["key"]]} if r["key"] in updates else r for r in merged]


def build_eval_agent(config: EvalConfig, roles: Roles, bench: Benchmark | None = None) -> AgentLike:
    """The agent of the ``agent`` issue, built from the config (imported lazily), kept away from where the
    benchmark's answers are published (its safety hints join ``tools.blocklist``)."""
    from openseeker.agent import build_agent

    tools = config.tools
    if bench is not None and bench.hints():
        tools = tools.model_copy(update={"blocklist": [*tools.blocklist, *bench.hints()]})
    return build_agent(roles, tools, config.agent)


@dataclass
class EvalWork:
    """The opened evaluation stage: its (question, sample) pairs, the per-pair work, the summary after."""

    config: EvalConfig
    items: list[tuple[BenchmarkItem, int]]
    description: str
    run_one: Callable[[tuple[BenchmarkItem, int], StageContext], Awaitable[EvalRecord]]
    report: Callable[[StageResult], Awaitable[EvalResult]]
    close: Callable[[], Awaitable[None]]

    unit: str = "inputs"

    @staticmethod
    def key(pair: tuple[BenchmarkItem, int]) -> str:
        return f"{pair[0].id}#{pair[1]}"

    async def stopped(self) -> None:
        return None

    async def __call__(self, pair: tuple[BenchmarkItem, int], ctx: StageContext) -> EvalRecord:
        return await self.run_one(pair, ctx)

    async def finish(self, result: StageResult) -> EvalResult:
        return await self.report(result)

    async def aclose(self) -> None:
        await self.close()


async def open_eval(config: EvalConfig, res: Resources) -> EvalWork:
    """Open the evaluation from its config: the benchmark subset, the roles, the agent (its server asked
    once), the calibrated judge, and the run folder's fingerprint check."""
    if config.samples < 1:
        raise ConfigError("samples must be >= 1")
    bench = get_benchmark(config.benchmark)
    all_items = list(res.items) if res.items is not None else bench.load(config.data)
    chosen, subset = select_items(
        all_items, ids=config.ids, limit=config.limit, sample=config.sample, seed=config.seed
    )
    roles = res.roles or stage_roles(config.roles, RunFolder(config.out))
    agent = res.agent or build_eval_agent(config, roles, bench)

    async def close() -> None:
        toolset = getattr(agent, "toolset", None)
        if res.agent is None and toolset is not None:  # MCP connections, and any sandbox still open
            await toolset.aclose()
        if res.roles is None:
            await roles.aclose()

    try:
        prepare = getattr(agent, "prepare", None)
        if prepare is not None:  # no server, or budgets that do not fit it: stop before any question
            await prepare()
        return await _open_eval(config, roles, agent, bench, chosen, subset, res.judge, close)
    except BaseException:
        await close()
        raise


STAGE_EVAL: Stage[EvalConfig] = Stage("eval", EvalConfig, BenchmarkItem, EvalRecord, open_eval)
"""The evaluation stage: benchmark items in, one :class:`EvalRecord` per (question, sample) out."""


async def arun_eval(
    config: EvalConfig,
    roles: Roles | None = None,
    agent: AgentLike | None = None,
    *,
    judge: Judge | None = None,
    items: Sequence[BenchmarkItem] | None = None,
) -> EvalResult:
    """Async form of :func:`run_eval`."""
    res = Resources(roles=roles, agent=agent, judge=judge, items=items)
    return await STAGE_EVAL.arun(config, res)  # type: ignore[no-any-return]


async def _open_eval(
    config: EvalConfig,
    roles: Roles,
    agent: AgentLike,
    bench: Benchmark,
    chosen: list[BenchmarkItem],
    subset: Any,
    judge: Judge | None,
    close: Callable[[], Awaitable[None]],
) -> EvalWork:
    style = judge_style(config)
    scored = bench.score is not None  # the benchmark's own scoring (WideSearch's tables), not a judge
    # the rules judge needs no model; a benchmark's scoring uses one only when it is configured
    if judge is None and ((not scored and needs_model(style)) or (scored and config.roles.judge is not None)):
        await roles.preflight("judge")
    judges: dict[str, Judge] = {}
    table_llm = roles["judge"] if config.roles.judge is not None and scored else None

    def judge_for(lang: str) -> Judge:
        if judge is not None:
            return judge
        lang = lang if config.judge_lang == "auto" else config.judge_lang
        if lang not in judges:
            judges[lang] = get_judge(
                style,
                None if style == "rules" else roles["judge"],  # the rules judge needs no model loaded
                lang=lang,
                max_attempts=config.judge_max_attempts,
                prompt_source=config.judge_prompt_source,
                generation=GenerateConfig(temperature=0.0, max_tokens=config.judge_max_tokens),
            )
        return judges[lang]

    # Nothing is scored on the word of a judge that has not passed calibration (or been allowed as weak).
    calibration = None
    if not scored:
        calibration = await gate(
            judge_for,
            max_false_accept=config.max_false_accept,
            allow_weak=config.allow_weak_judge,
            what="the evaluation",
        )
    caveat = calibration.caveat() if calibration is not None and not calibration.passed else None

    _check_fingerprint(
        Path(config.out),
        {
            "benchmark": config.benchmark,
            "judge_style": style,
            "judge_lang": config.judge_lang,
            "judge_model": getattr(judge, "model_id", type(judge).__name__)
            if judge is not None
            else ("rules" if style == "rules" else roles.model_id("judge")),
            "agent_model": roles.model_id("agent"),
            # what the user set (a run folder from before these sections were typed resumes)
            "tools": config.tools.model_dump(mode="json", exclude_unset=True),
            "agent": config.agent.model_dump(mode="json", exclude_unset=True),
            "samples": config.samples,
            "selected_ids": [it.id for it in chosen],
        },
    )
    work = [(it, s) for it in chosen for s in range(config.samples)]
    fresh: set[str] = set()  # keys judged in this run

    async def one(pair: tuple[BenchmarkItem, int], ctx: StageContext) -> EvalRecord:
        item, s = pair
        key = f"{item.id}#{s}"
        t0 = time.monotonic()
        traj = await agent.run(item.question, id=key, scope=f"eval:{config.benchmark}:{key}")
        got = AgentAnswer.of(traj, seconds=time.monotonic() - t0)
        response, final_answer = got.final_response, got.final_answer
        ctx.add_usage(got.usage)
        table = None
        judge_usage: dict[str, int] = {}
        if bench.score is not None:
            result = await bench.score(item, response, table_llm)
            verdict, table, judge_usage = result.verdict, result.detail, result.usage
        else:
            j = judge_for(item.lang)
            # The judge sees the final response (with its <answer> tag), as OpenSeeker's evaluation does.
            verdict = await j.judge(
                item.question, item.answer, response or (final_answer or ""), aliases=item.aliases or None
            )
            judge_usage = {
                k: int(v)
                for k, v in (verdict.details.get("usage") or {}).items()
                if k in ("prompt_tokens", "completion_tokens", "calls")
            }
        fresh.add(key)
        ctx.count(f"verdict_{verdict.correct}")
        return EvalRecord(
            key=key,
            question_id=item.id,
            sample=s,
            topic=item.topic,
            lang=item.lang,
            final_answer=final_answer,
            final_response=response,
            correct=verdict.correct,
            verdict=verdict,
            confidence=verdict.confidence if verdict.confidence is not None else parse_confidence(response),
            tool_calls=got.tool_calls,
            usage=got.usage,
            judge_usage=judge_usage,
            agent_model=got.model or roles.model_id("agent"),
            judge_model=verdict.judge,
            seconds=round(got.seconds, 3),
            steps=got.steps,
            finish_reason=got.finish_reason,
            table=table,
            trajectory=_as_dict(traj),
        )

    async def report(stage: StageResult) -> EvalResult:
        chosen_ids = {it.id for it in chosen}
        records = [
            r
            for r in read_stage(config.out, STAGE)
            if r["question_id"] in chosen_ids and r["sample"] < config.samples
        ]
        by_id = {it.id: it for it in chosen}
        if not scored:
            # only verdicts from earlier runs: this run's items already had their bounded attempts
            records = await _rejudge(records, by_id, judge_for, Path(config.out), config, skip=fresh)
        summary = summarize(
            records, prices=config.prices, include_last_bin=config.include_last_bin, caveat=caveat
        )
        summary["judge_calibration"] = (
            calibration.summary() if calibration is not None else {"skipped": "table scoring is not calibrated"}
        )
        any_judge = next(iter(judges.values()), judge)
        summary["run"] = {
            "benchmark": config.benchmark,
            "subset": subset,
            "samples": config.samples,
            "judge_style": style,
            "judge_model": getattr(any_judge, "model_id", None)
            or (roles.model_id("judge") if style != "rules" else "rules"),
            "prompt_version": getattr(any_judge, "prompt_version", None),
            # what actually answered (the records say), else what was configured
            "agent_model": ", ".join(sorted({str(r.get("agent_model")) for r in records if r.get("agent_model")}))
            or roles.model_id("agent"),
            "records": len(records),
            "expected_records": len(work),
            "errors": stage.errors,
            "complete": stage.complete and len(records) == len(work),
        }
        out = Path(config.out)
        (out / "results.json").write_bytes(
            orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
        )
        return EvalResult(out, summary, stage)

    return EvalWork(config, work, f"eval {config.benchmark}", one, report, close)


def run_eval(
    config: EvalConfig, roles: Roles | None = None, agent: AgentLike | None = None, **kwargs: Any
) -> EvalResult:
    """Evaluate an agent on a benchmark and write ``<out>/results.json``.

    Args:
        config: what to run (benchmark, data, subset, samples, judge, models).
        roles: role models (default: built from ``config.roles`` with a response cache in the run folder).
        agent: any object with ``async run(question, *, id, scope)`` returning a trajectory (default: the
            toolkit's agent built from ``config.agent`` and ``config.tools``).
        **kwargs: ``judge`` (a ready :class:`Judge`), ``items`` (pre-loaded benchmark items).

    Returns:
        An :class:`EvalResult` with the summary; re-running the same config resumes.
    """
    return asyncio.run(arun_eval(config, roles, agent, **kwargs))


def load_results(run: str | Path) -> dict[str, Any]:
    """The ``results.json`` of a run folder."""
    p = Path(run) / "results.json"
    if not p.exists():
        raise ConfigError(
            f"{str(run)!r} has no results.json; run 'openseeker eval run' (or resume it) first."
        )
    return cast("dict[str, Any]", orjson.loads(p.read_bytes()))
