"""The whole pipeline, end to end, in one resumable call: ``openseeker quickstart``.

corpus -> QA synthesis -> split (train / held-out) -> world audit -> trajectory synthesis -> SFT export
-> evaluation of the agent on the held-out questions. Every stage writes into one run folder::

    <out>/world/          the generated default corpus (pages.jsonl, facts.jsonl, entities.jsonl, world.json)
    <out>/corpus/         the ingested web graph (store + search index)
    <out>/qa/             accepted QA records, rejects, funnel.{json,md,png}
    <out>/world_questions.jsonl  template questions from the world's facts (when QA yields too few)
    <out>/splits/         train.jsonl (for trajectories) and heldout.jsonl (for evaluation)
    <out>/audit.json      answerability / uniqueness of the questions, measured on the world's known facts
    <out>/trajectories/   teacher rollouts (kept and rejected, with reasons)
    <out>/sft/            the SFT export (+ its report)
    <out>/eval/, results.json   per-question evaluation records and the summary
    <out>/quickstart.json the summary of all of the above (stage times, counts, paths)

Each stage is resumable on its own (sharded stage runner, LLM response cache), so re-running the same
command continues where it stopped. The stage APIs are imported lazily.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from openseeker.config import StrictModel, deep_merge, dump_config
from openseeker.errors import ConfigError
from openseeker.io.jsonl import write_jsonl
from openseeker.llm.config import RolesConfig
from openseeker.pipeline.run import RunFolder
from openseeker.pipeline.stages import Resources, stage_roles

SUMMARY_NAME = "quickstart.json"

# Sized so that the whole run stays under 15 minutes on 2 CPU cores with the embedded local model.
DEFAULT_QA: dict[str, Any] = {
    "n": 8,
    "k": 3,
    "lang": "any",
    "concurrency": 2,
    "seeds": {"min_text_chars": 60},  # Chinese pages are short in characters
    "extract": {"page_chars": 500, "total_chars": 1800, "max_tokens": 500},
    "question": {"max_tokens": 200},
    # A small local model rarely passes the model-judged checks; the quickstart records their outcome
    # (and the world audit measures the truth exactly) instead of rejecting, so every stage has data.
    # Clue truth still rejects (its rules are free), but without the verifier's entailment call: the
    # embedded model fails its calibration (false-accept 48 %, benchmarks/synth_world.py --calibrate), so
    # calibrating it would cost minutes only to leave undecided clues undecided.
    "checks": {
        "shortcut": "record",
        "closed_book": "record",
        "oracle": "record",
        "uniqueness": "record",
        "clue_entailment": False,
    },
    # The generated world's answers are exact titles: the rules judge decides them without a model (the
    # embedded model fails calibration as a judge; see 'openseeker eval calibrate-judge').
    "judge_style": "rules",
}
DEFAULT_AGENT: dict[str, Any] = {
    "max_tool_calls": 2,
    "max_turns": 4,
    "max_tokens": 256,
    "min_generation_tokens": 96,
    "forced_min_tokens": 48,
    "forced_answer_retries": 1,
    "grammar_max_thought_chars": 300,
    "grammar_max_calls": 2,
    "summarizer_max_tokens": 128,
}
DEFAULT_TOOLS: dict[str, Any] = {
    "search": "corpus",
    "fetch": "corpus",
    "top_k": 5,
    "visit_mode": "raw",
    "max_page_chars": 2500,
}
DEFAULT_TRAJ: dict[str, Any] = {
    "rollouts": 1,
    "concurrency": 2,
    "keep_incorrect": True,
    "keep_forced": True,
    "max_raw_context_tokens": None,
    "judge_style": "rules",
}
DEFAULT_EXPORT: dict[str, Any] = {"format": "messages", "correctness": "any", "require_answer": False}
DEFAULT_EVAL: dict[str, Any] = {"benchmark": "synth", "judge": "rules", "concurrency": 2}
FAST: dict[str, Any] = {
    "world": {"n_pages": 120},
    "qa": {"n": 4, "k": 2},
    "agent": {"max_tool_calls": 1, "max_turns": 3, "max_tokens": 192},
}


class WorldOptions(StrictModel):
    """The generated default corpus (used when no ``corpus`` is given)."""

    seed: int = 0
    n_pages: int = Field(default=300, ge=40, description="total pages over all languages")
    languages: list[str] = Field(default_factory=lambda: ["en", "zh"])


class QuickstartConfig(StrictModel):
    """The quickstart: which corpus, which models, and overrides for each stage's own config.

    The stage sections (``qa``, ``traj``, ``export``, ``eval``, ``agent``, ``tools``) are merged over
    the quickstart's small defaults and validated by the stage's own config class.
    """

    out: str = Field(default="runs/quickstart", description="the run folder")
    corpus: str | None = Field(
        default=None,
        description="a corpus folder (openseeker corpus ingest) or a source to ingest (e.g. a Wikispeedia "
        "folder); default: the generated world",
    )
    corpus_limit: int | None = Field(default=None, description="ingest at most this many pages per source")
    world: WorldOptions = Field(default_factory=WorldOptions)
    roles: RolesConfig = Field(default_factory=RolesConfig)
    tools: dict[str, Any] = Field(default_factory=dict, description="ToolsConfig overrides")
    agent: dict[str, Any] = Field(
        default_factory=dict, description="AgentConfig overrides (teacher and agent)"
    )
    qa: dict[str, Any] = Field(default_factory=dict, description="QASynthConfig overrides")
    traj: dict[str, Any] = Field(default_factory=dict, description="TrajSynthConfig overrides")
    export: dict[str, Any] = Field(default_factory=dict, description="export_sft options (format, filters)")
    eval: dict[str, Any] = Field(default_factory=dict, description="EvalConfig overrides")
    world_questions: Literal["off", "fallback", "always"] = Field(
        default="fallback",
        description="add template questions built from the generated world's known facts (unique and "
        "answerable by construction): always, or only when QA synthesis accepted fewer than min_questions",
    )
    world_questions_n: int = Field(default=6, ge=1, description="how many template questions to add")
    min_questions: int = Field(default=3, ge=0, description="the fallback threshold (see world_questions)")
    heldout_fraction: float = Field(default=0.34, gt=0, lt=1, description="share of questions held out")
    split_seed: int = 0
    fast: bool = Field(default=False, description="an even smaller run (a smoke test)")
    progress: bool = True

    def world_options(self) -> WorldOptions:
        """The world settings, with the ``--fast`` size unless the user set one."""
        if self.fast and "n_pages" not in self.world.model_fields_set:
            return self.world.model_copy(update=FAST["world"])
        return self.world

    def merged(self, section: str, defaults: dict[str, Any]) -> dict[str, Any]:
        """``defaults`` <- ``--fast`` overrides <- the user's section."""
        base = deep_merge(defaults, FAST.get(section, {})) if self.fast else dict(defaults)
        return deep_merge(base, getattr(self, section))


Reporter = Callable[[str, str], None]


def _quiet(stage: str, message: str) -> None:
    pass


def split_questions(
    records: list[dict[str, Any]], fraction: float, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split QA records into (train, held-out) deterministically by a hash of ``seed`` and the record id.

    The split of a record never depends on the other records, so questions accepted on a resumed run do
    not move earlier ones between the splits. With two or more records both sides are non-empty.
    """

    def score(r: dict[str, Any]) -> float:
        h = hashlib.sha256(f"{seed}:{r.get('id')}".encode()).digest()
        return int.from_bytes(h[:8], "big") / 2**64

    ordered = sorted(records, key=lambda r: (score(r), str(r.get("id"))))
    held = [r for r in ordered if score(r) < fraction]
    if len(records) >= 2 and not held:
        held = ordered[:1]
    if len(records) >= 2 and len(held) == len(records):
        held = held[:-1]
    held_ids = {id(r) for r in held}
    return [r for r in ordered if id(r) not in held_ids], held


class Quickstart:
    """One quickstart run (use :func:`run_quickstart`)."""

    def __init__(
        self,
        config: QuickstartConfig,
        *,
        roles: Any = None,
        judge: Any = None,
        toolset: Any = None,
        report: Reporter = _quiet,
    ):
        self.cfg = config
        self.out = Path(config.out)
        self.report = report
        self.judge = judge
        self.toolset = toolset
        self._roles = roles
        self.run = RunFolder(self.out)
        self.summary: dict[str, Any] = {"out": str(self.out), "stages": {}, "paths": {}}
        # what the steps hand on (see PIPELINE)
        self.corpus_dir = self.out / "corpus"
        self.records: list[dict[str, Any]] = []
        self.train = self.heldout = self.out / "splits"
        self.n_train = self.n_held = 0
        self._cpu = time.process_time()

    # -- helpers -----------------------------------------------------------------------------------------

    def _save(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / SUMMARY_NAME).write_text(
            json.dumps(self.summary, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )

    def _stage(self, name: str, t0: float, **info: Any) -> None:
        info["seconds"] = round(time.monotonic() - t0, 2)
        # CPU time of this process (all threads) since the previous stage: on a shared machine it says what
        # the stage costs better than wall time does
        cpu = time.process_time()
        info["cpu_seconds"] = round(cpu - self._cpu, 2)
        self._cpu = cpu
        self.summary["stages"][name] = info
        self._save()
        self.report(name, f"{info['seconds']:.1f}s")

    def roles(self) -> Any:
        """The roles every stage of the run shares (built once, with the run's one response cache)."""
        if self._roles is None:
            self._roles = stage_roles(self.cfg.roles, self.run)
        return self._roles

    def agent_dict(self, role: str) -> dict[str, Any]:
        """The agent options for ``role``; the turn grammar is on by default only for local llama.cpp models
        (small models need it; other endpoints do not take a GBNF grammar)."""
        agent = self.cfg.merged("agent", DEFAULT_AGENT)
        agent.setdefault("constrain_format", self.cfg.roles.for_role(role).provider == "llamacpp")
        return agent

    def tools_dict(self, corpus_dir: Path) -> dict[str, Any]:
        return deep_merge(deep_merge(DEFAULT_TOOLS, {"corpus": str(corpus_dir)}), self.cfg.tools)

    # -- stages ------------------------------------------------------------------------------------------

    def corpus(self) -> Path:
        """The corpus folder: the generated world ingested, a ready corpus, or a source ingested."""
        self.corpus_dir = self._corpus()
        return self.corpus_dir

    def _corpus(self) -> Path:
        from openseeker.corpus.ingest import ingest
        from openseeker.corpus.schema import DB_NAME, REPORT_NAME

        t0 = time.monotonic()
        info: dict[str, Any] = {}
        if self.cfg.corpus is None:
            from openseeker.worldgen import write_world

            w = self.cfg.world_options()
            paths = write_world(self.out / "world", w.seed, w.n_pages, w.languages)
            self.summary["paths"]["world"] = str(self.out / "world")
            self._stage("world", t0, pages=w.n_pages, languages=w.languages, facts=str(paths["facts"]))
            t0 = time.monotonic()
            sources: list[Path] = [paths["pages"]]
        else:
            src = Path(self.cfg.corpus)
            if not src.exists():
                raise ConfigError(f"corpus {str(src)!r} does not exist")
            if (src / DB_NAME).exists():
                self.summary["paths"]["corpus"] = str(src)
                self._stage("corpus", t0, reused=str(src))
                return src
            sources = [src]
        dest = self.out / "corpus"
        if not ((dest / DB_NAME).exists() and (dest / REPORT_NAME).exists()):
            self.report("corpus", f"ingesting {', '.join(str(s) for s in sources)}")
            rep = ingest(
                sources, dest, overwrite=True, limit=self.cfg.corpus_limit, progress=self.cfg.progress
            )
            info = {
                "pages": rep.pages,
                "links": rep.links,
                "dangling_links": rep.dangling_links,
                "languages": rep.languages,
            }
        else:
            info = {
                k: v
                for k, v in json.loads((dest / REPORT_NAME).read_text(encoding="utf-8")).items()
                if k in ("pages", "links", "dangling_links", "languages")
            }
            info["resumed"] = True
        self.summary["paths"]["corpus"] = str(dest)
        self._stage("corpus", t0, **info)
        return dest

    async def qa(self) -> list[dict[str, Any]]:
        from openseeker.synth.config import QASynthConfig
        from openseeker.synth.qa import STAGE_QA
        from openseeker.synth.records import QARecord

        corpus_dir = self.corpus_dir
        t0 = time.monotonic()
        data = deep_merge(
            self.cfg.merged("qa", DEFAULT_QA),
            {
                "roles": self.cfg.roles.model_dump(),
                "corpus": str(corpus_dir),
                "out": str(self.out),
                "progress": self.cfg.progress,
            },
        )
        cfg = QASynthConfig.model_validate(data)
        res = await STAGE_QA.arun(cfg, Resources(roles=self.roles(), judge=self.judge))
        records = [r.to_dict() for r in self.run.read(QARecord)]
        self.records = records
        funnel = self.out / "qa" / "funnel.json"
        self.summary["paths"]["qa"] = str(self.out / "qa")
        self._stage(
            "qa",
            t0,
            seeds=res.processed + res.skipped,
            accepted=len(records),
            rejected=res.stats.get("reject_reasons", {}),
            errors=res.errors,
            funnel=str(funnel) if funnel.exists() else None,
        )
        return records

    def world_questions(self) -> list[dict[str, Any]]:
        """Template questions from the world's facts, per ``world_questions`` (see the config)."""
        qs = self._world_questions(self.records)
        self.records = self.records + qs
        return qs

    def _world_questions(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        mode = self.cfg.world_questions
        if self.cfg.corpus is not None or mode == "off":
            return []
        if mode == "fallback" and len(records) >= self.cfg.min_questions:
            return []
        from openseeker.worldgen.generate import load_world
        from openseeker.worldgen.questions import template_questions

        t0 = time.monotonic()
        qs = template_questions(
            load_world(self.out / "world"), self.cfg.world_questions_n, seed=self.cfg.world.seed
        )
        path = self.out / "world_questions.jsonl"
        write_jsonl(path, qs)
        self.summary["paths"]["world_questions"] = str(path)
        why = (
            "always"
            if mode == "always"
            else f"QA synthesis accepted {len(records)} < {self.cfg.min_questions}"
        )
        self._stage("world_questions", t0, added=len(qs), reason=why)
        return qs

    def split(self) -> tuple[Path, Path, int, int]:
        t0 = time.monotonic()
        train, held = split_questions(self.records, self.cfg.heldout_fraction, self.cfg.split_seed)
        d = self.out / "splits"
        write_jsonl(d / "train.jsonl", train)
        write_jsonl(d / "heldout.jsonl", held)
        self.summary["paths"]["splits"] = str(d)
        self._stage("split", t0, train=len(train), heldout=len(held))
        self.train, self.heldout = d / "train.jsonl", d / "heldout.jsonl"
        self.n_train, self.n_held = len(train), len(held)
        return self.train, self.heldout, self.n_train, self.n_held

    def audit(self) -> None:
        records = self.records
        if self.cfg.corpus is not None:
            return
        from openseeker.worldgen.audit import audit_records
        from openseeker.worldgen.generate import load_world

        t0 = time.monotonic()
        rep = audit_records(records, load_world(self.out / "world"))
        (self.out / "audit.json").write_text(json.dumps(rep, indent=2, ensure_ascii=False), encoding="utf-8")
        self.summary["paths"]["audit"] = str(self.out / "audit.json")
        self._stage("audit", t0, **{k: v for k, v in rep["summary"].items() if k != "by_language"})

    async def trajectories(self) -> None:
        from openseeker.agent import AgentConfig
        from openseeker.synth.trajectories import STAGE_TRAJECTORIES, TrajSynthConfig

        train, corpus_dir = self.train, self.corpus_dir
        t0 = time.monotonic()
        agent = deep_merge(self.agent_dict("teacher"), {"context": "retrospective"})
        data = deep_merge(
            self.cfg.merged("traj", DEFAULT_TRAJ),
            {
                "qa": str(train),
                "out": str(self.out),
                "roles": self.cfg.roles.model_dump(),
                "tools": self.tools_dict(corpus_dir),
                "progress": self.cfg.progress,
            },
        )
        data["agent"] = deep_merge(agent, data.get("agent", {}))
        AgentConfig.model_validate(data["agent"])
        cfg = TrajSynthConfig.model_validate(data)
        res = await STAGE_TRAJECTORIES.arun(
            cfg, Resources(roles=self.roles(), toolset=self.toolset, judge=self.judge)
        )
        counters = res.stats.get("counters", {})
        self.summary["paths"]["trajectories"] = str(self.out / "trajectories")
        self._stage(
            "trajectories",
            t0,
            rollouts=res.processed + res.skipped,
            kept=res.stats.get("outputs", 0),
            rejected=res.stats.get("reject_reasons", {}),
            correct=counters.get("correct", 0),
            incorrect=counters.get("incorrect", 0),
            judge=cfg.judge_style,
            **_judge_info(res.stats.get("judge_calibration")),
            errors=res.errors,
        )

    def export(self) -> None:
        from openseeker.export.sft import export_sft

        t0 = time.monotonic()
        opts = self.cfg.merged("export", DEFAULT_EXPORT)
        fmt = opts.pop("format")
        out = self.out / "sft" / f"sft_{fmt}.jsonl"
        rep = export_sft(self.out, out, fmt, **opts)
        self.summary["paths"]["sft"] = str(out)
        self._stage("export", t0, format=fmt, read=rep.read, written=rep.written, skipped=rep.skipped)

    async def evaluate(self) -> None:
        from openseeker.evaluate.runner import STAGE_EVAL, EvalConfig

        heldout, corpus_dir = self.heldout, self.corpus_dir
        t0 = time.monotonic()
        data = deep_merge(
            self.cfg.merged("eval", DEFAULT_EVAL),
            {
                "data": str(heldout),
                "out": str(self.out),
                "roles": self.cfg.roles.model_dump(),
                "progress": self.cfg.progress,
            },
        )
        data.setdefault("tools", self.tools_dict(corpus_dir))
        data.setdefault("agent", self.agent_dict("agent"))
        cfg = EvalConfig.model_validate(data)
        agent = None
        if self.toolset is not None:
            from openseeker.agent import Agent

            roles = self.roles()
            agent = Agent(
                roles["agent"],
                self.toolset,
                cfg.agent,
                summarizer=roles["summarizer"],
            )
        res = await STAGE_EVAL.arun(cfg, Resources(roles=self.roles(), agent=agent, judge=self.judge))
        self.summary["paths"]["eval"] = str(self.out / "results.json")
        acc = res.summary.get("accuracy")
        detail = acc if isinstance(acc, dict) else {"acc": acc}
        self._stage(
            "eval",
            t0,
            questions=res.summary.get("run", {}).get("records"),
            accuracy=detail.get("acc"),
            correct=detail.get("correct"),
            wrong=detail.get("wrong"),
            unparsed=detail.get("unparsed"),
            judge=res.summary.get("run", {}).get("judge_style"),
            judge_methods=res.summary.get("judge_methods"),
            **_judge_info(res.summary.get("judge_calibration")),
            complete=res.complete,
        )

    # -- the run -----------------------------------------------------------------------------------------

    async def arun(self) -> dict[str, Any]:
        start, cpu_start = time.monotonic(), time.process_time()
        self.out.mkdir(parents=True, exist_ok=True)
        dump_config(self.cfg, self.out / "quickstart.config.yaml")
        try:
            for step in PIPELINE:
                why = step.skip(self) if step.skip is not None else None
                if why is not None:
                    if step.record_skip:
                        self.summary["stages"][step.name] = {"skipped": why}
                    continue
                if step.in_thread:
                    await asyncio.to_thread(step.run, self)
                else:
                    done = step.run(self)
                    if inspect.isawaitable(done):
                        await done
        finally:
            self.summary["seconds"] = round(time.monotonic() - start, 2)
            self.summary["cpu_seconds"] = round(time.process_time() - cpu_start, 2)
            self._save()
            if self._roles is not None and hasattr(self._roles, "aclose"):
                await self._roles.aclose()
        return self.summary


@dataclass(frozen=True)
class Step:
    """One step of the quickstart's pipeline.

    Attributes:
        name: the step's name in ``quickstart.json``.
        run: ``run(quickstart)`` (sync or async); the sharded stages run their :class:`Stage` object.
        skip: ``skip(quickstart) -> reason | None``: why the step does not run this time.
        record_skip: write the skip reason into the summary.
        in_thread: run a blocking step in a worker thread (the corpus ingest).
    """

    name: str
    run: Callable[[Quickstart], Any]
    skip: Callable[[Quickstart], str | None] | None = None
    record_skip: bool = True
    in_thread: bool = False


def _no_train(q: Quickstart) -> str | None:
    return None if q.n_train else "no accepted questions for training"


PIPELINE: tuple[Step, ...] = (
    Step("corpus", Quickstart.corpus, in_thread=True),
    Step("qa", Quickstart.qa),  # the QA synthesis stage (STAGE_QA)
    Step("world_questions", Quickstart.world_questions),
    Step("split", Quickstart.split),
    Step("audit", Quickstart.audit),
    Step("trajectories", Quickstart.trajectories, skip=_no_train),  # STAGE_TRAJECTORIES
    Step("export", Quickstart.export, skip=_no_train, record_skip=False),
    Step("eval", Quickstart.evaluate, skip=lambda q: None if q.n_held else "no held-out questions"),  # STAGE_EVAL
)
"""The quickstart's pipeline as data: its steps in order (see :class:`Step`)."""


def _judge_info(cal: dict[str, Any] | None) -> dict[str, Any]:
    """The judge's calibration for the summary: its figures, and the caveat when it was allowed as weak."""
    if not cal or "false_accept" not in cal:
        return {}
    info: dict[str, Any] = {
        "judge_false_accept": cal["false_accept"],
        "judge_agreement": cal["agreement"],
    }
    if cal.get("caveat"):
        info["caveat"] = cal["caveat"]
    return info


def load_quickstart_config(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> QuickstartConfig:
    """The quickstart config from defaults, an optional file (``examples/quickstart.yaml``), ``OPENSEEKER_*``
    variables and ``overrides`` (CLI flags)."""
    from openseeker.config import load_config

    return load_config(QuickstartConfig, path, overrides, section="quickstart")


def run_quickstart(
    config: QuickstartConfig,
    *,
    roles: Any = None,
    judge: Any = None,
    toolset: Any = None,
    report: Reporter = _quiet,
) -> dict[str, Any]:
    """Run the whole pipeline; returns the summary also written to ``<out>/quickstart.json``.

    Args:
        config: the quickstart config.
        roles: ready LLM roles (an :class:`openseeker.llm.Roles`, e.g. with scripted models in tests);
            default: built from ``config.roles`` with a response cache in the run folder.
        judge: a ready judge used by QA verification, trajectory rejection sampling and evaluation.
        toolset: ready agent tools; default: built from ``config.tools`` over the run's corpus.
        report: ``report(stage, message)`` progress callback (the CLI prints these).
    """
    return asyncio.run(Quickstart(config, roles=roles, judge=judge, toolset=toolset, report=report).arun())
