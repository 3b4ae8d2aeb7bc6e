"""The QA synthesis stage: seed -> subgraph -> grounded facts -> question -> obfuscation -> checks.

One input is one seed page. Its output is a :class:`~openseeker.synth.records.QARecord`, or a
:class:`~openseeker.pipeline.stage.Reject` whose reason names the step and the cause
(``expand:too_few_neighbours``, ``extract:no_grounded_facts``, ``verify:closed_book_correct``, ...).
The stage runs on :func:`~openseeker.pipeline.stage.run_stage`, so it is sharded, resumable and
concurrent; with the LLM response cache and a fixed ``seed`` a rerun reproduces the same records.

Python API::

    from openseeker.synth.config import QASynthConfig
    from openseeker.synth.qa import run_qa_synthesis

    result = run_qa_synthesis(QASynthConfig(corpus="corpus/", out="run/", n=50, k=6))
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openseeker.corpus.base import Corpus
from openseeker.errors import ConfigError, DataError
from openseeker.judge import Judge, get_judge
from openseeker.llm.registry import Roles
from openseeker.pipeline.run import RunFolder
from openseeker.pipeline.stage import Reject, StageContext, StageResult
from openseeker.pipeline.stages import Resources, Stage, stage_roles
from openseeker.records import Record
from openseeker.synth import clue_check
from openseeker.synth.check import Candidate, CheckContext, QACheck, check_class, outcome
from openseeker.synth.check import Reject as CheckReject
from openseeker.synth.config import QASynthConfig
from openseeker.synth.entities import StepRejected, extract_entity_subgraph
from openseeker.synth.expand import ExpansionError, expand
from openseeker.synth.obfuscate import obfuscate_question
from openseeker.synth.prompts import load_prompts
from openseeker.synth.question import generate_question
from openseeker.synth.records import CheckOutcome, QARecord
from openseeker.synth.seeds import select_seeds
from openseeker.synth.text import clean_title, normalize, title_variants

log = logging.getLogger(__name__)

STAGE = "qa"


@dataclass
class SeedTask(Record):
    """One input of the stage: a seed page."""

    index: int
    page_id: int


class QASynthesizer:
    """The per-seed work function of the stage (callable as ``await synth(task, ctx)``).

    Args:
        config: the stage config.
        roles: the LLM roles (generator, verifier, judge).
        corpus: the web graph.
        judge: the judge deciding correctness; by default ``get_judge(config.judge_style, roles["judge"])``.
    """

    def __init__(self, config: QASynthConfig, roles: Roles, corpus: Corpus, judge: Judge | None = None):
        self.cfg = config
        self.roles = roles
        self.corpus = corpus
        self._judge = judge
        self._judges: dict[str, Judge] = {}
        self.caveat: str | None = None  # set when a judge that failed calibration was allowed
        # the configured checks in order, cheapest first: (name, the check or None when off, mode); a check's
        # own config errors surface here, before any work
        self.plan: list[tuple[str, QACheck | None, str]] = []
        for name in config.checks.names():
            mode, cls = config.checks.mode(name), check_class(name)
            built = cls(config, config.checks.options(name)) if mode != "off" or cls.always_run else None
            self.plan.append((name, built, mode))

    @property
    def active(self) -> list[QACheck]:
        """The checks that decide or record (not those that are off)."""
        return [c for _, c, mode in self.plan if c is not None and mode != "off"]

    def judge_for(self, lang: str) -> Judge:
        """The judge of a language (built lazily from the shared evaluation judges)."""
        if self._judge is not None:
            return self._judge
        if lang not in self._judges:
            style = self.cfg.judge_style
            llm = None if style == "rules" else self.roles["judge"]  # the rules judge needs no model
            self._judges[lang] = get_judge(style, llm, lang=lang, prompt_source=self.cfg.judge_prompt_source)
        return self._judges[lang]

    async def __call__(self, task: SeedTask, ctx: StageContext) -> QARecord | Reject:
        state: dict[str, Any] = {"k": self.cfg.k, "seed_page": task.page_id}
        try:
            return await self._run(task, ctx, state)
        except StepRejected as e:
            detail = e.detail if isinstance(e.detail, dict) else {"detail": e.detail}
            return Reject(e.reason, {"k": self.cfg.k, **detail}, record=state)

    async def _run(self, task: SeedTask, ctx: StageContext, state: dict[str, Any]) -> QARecord:
        cfg = self.cfg
        ctx.count("funnel:seeds")
        ctx.step("expand")
        page = self.corpus.get(task.page_id)
        if page is None:
            raise StepRejected("expand:seed_missing", {"page_id": task.page_id})
        lang = page.language if page.language in ("en", "zh") else "en"
        prompts = load_prompts(lang)
        scope = f"qa:{cfg.seed}:{page.id}:{cfg.k}"
        answer = clean_title(page.title)
        state.update(seed_title=page.title, language=lang)

        # 1-2. expansion
        rng = random.Random(f"expand:{cfg.seed}:{page.id}:{cfg.k}")
        try:
            graph = expand(self.corpus, page.id, cfg.k, cfg.expand, rng)
        except ExpansionError as e:
            raise StepRejected(e.reason, {"detail": str(e)}) from None
        ctx.count("funnel:expanded")
        state["subgraph"] = [n.to_dict() for n in graph.nodes]

        # 3. entity subgraph
        ctx.step("extract")
        gen = self.roles["generator"]
        sub, llm_aliases, dropped, _raw = await extract_entity_subgraph(
            gen,
            prompts["extract"],
            self.corpus,
            graph,
            answer,
            cfg.extract,
            temperature=cfg.temperature,
            scope=f"{scope}|extract",
            max_reasks=cfg.max_reasks,
        )
        ctx.count("extract:facts_grounded", len(sub.facts))
        ctx.count("extract:facts_dropped", len(dropped))
        ctx.count("funnel:extracted")
        state["entity_subgraph"] = sub.to_dict()
        aliases = self._aliases(page.title, answer, llm_aliases)

        # 4. question
        ctx.step("question")
        draft = await generate_question(
            gen,
            prompts["question"],
            sub,
            answer,
            min_edges=cfg.question.min_edges,
            max_tokens=cfg.question.max_tokens,
            temperature=cfg.temperature,
            scope=f"{scope}|question",
            max_reasks=cfg.max_reasks,
        )
        ctx.count("funnel:generated")
        state.update(initial_question=draft.text, edges_used=draft.edges)
        used = [f for f in sub.facts if f.id in draft.edges]

        # 5-6. obfuscation and rewrite; each entity is shown with what the grounded facts say it is
        ctx.step("obfuscate")
        kinds = clue_check.kinds(used, sub.facts, graph.nodes, self.corpus, lang)
        ob = await obfuscate_question(
            gen,
            prompts,
            draft.text,
            used,
            answer,
            [answer, *aliases, page.title],
            lang,
            max_tokens=cfg.question.max_tokens,
            temperature=cfg.temperature,
            scope=scope,
            max_reasks=cfg.max_reasks,
            kinds=kinds,
        )
        ctx.count("funnel:obfuscated")
        state.update(question=ob.question, obfuscation_map=ob.mapping)
        question = ob.question

        # checks, cheapest first
        record = Candidate(
            question, answer, aliases, lang, page.id, page.title, sub.facts, ob.mapping, graph.nodes
        )
        cctx = CheckContext(cfg, self.corpus, self.roles, prompts, scope, lang, self.judge_for)
        outcomes: dict[str, CheckOutcome] = {}
        details: dict[str, dict[str, Any]] = {}
        for name, check, mode in self.plan:
            ctx.step(name)  # the progress display's "now:"
            result = await check.check(record, cctx) if check is not None else None
            if result is not None:
                details[name] = result.detail
                if name == "shortcut":
                    state["shortcut_rank"] = result.detail["rank"]
                for key, n in result.detail.get("counts", {}).items():  # e.g. clue:true, clue:false
                    ctx.count(key, n)
            if mode == "off" or result is None:  # skipped (a check that always runs decides nothing when off)
                outcomes[name] = CheckOutcome(name, None, "off")
                ctx.count(f"funnel:{name}")
                ctx.count(f"off:{name}")
                continue
            o = outcome(name, result, mode)
            outcomes[name] = o
            state.setdefault("checks", {})[name] = o.to_dict()
            if mode == "reject" and isinstance(result, CheckReject):
                raise StepRejected(result.reason, o.to_dict())
            ctx.count(f"funnel:{name}")
        ctx.count("funnel:accepted")

        models = {"generator": self.roles.model_id("generator"), "verifier": self.roles.model_id("verifier")}
        versions = {step: p.version for step, p in prompts.items()}
        for o in outcomes.values():
            if o.detail.get("judge"):
                models["judge"] = str(o.detail["judge"])
            if o.detail.get("prompt_version"):
                versions["judge"] = str(o.detail["prompt_version"])
        return QARecord(
            id=f"qa-{cfg.seed}-{page.id}-k{cfg.k}",
            question=question,
            answer=answer,
            aliases=aliases,
            language=lang,
            seed={"id": page.id, "url": page.url, "title": page.title},
            k=cfg.k,
            hops=len(draft.edges),
            depth=graph.depth,
            edges_used=draft.edges,
            initial_question=draft.text,
            entity_subgraph=sub,
            obfuscation_map=ob.mapping,
            checks=outcomes,
            models=models,
            prompt_versions=versions,
            subgraph=graph.nodes,
            shortcut_rank=details.get("shortcut", {}).get("rank"),
            extra={"names_kept": ob.names_kept, "dropped_facts": dropped[:20]}
            | ({"judge_caveat": self.caveat} if self.caveat else {}),
        )

    @staticmethod
    def _aliases(title: str, answer: str, proposed: list[str]) -> list[str]:
        out: dict[str, None] = {}
        for a in [*title_variants(title), *proposed]:
            a = a.strip()
            if a and len(a) <= 120 and normalize(a) != normalize(answer):
                out.setdefault(a, None)
        return list(out)


def _checks_phrase(names: list[str]) -> str:
    # "the closed-book/oracle checks", as the calibration gate's messages name them
    return "the " + "/".join(n.replace("_", "-") for n in names) + (" checks" if len(names) > 1 else " check")


def _key(task: SeedTask) -> str:
    return f"seed-{task.page_id}"


def _open_corpus(path: str) -> Corpus:
    from openseeker.corpus import open_corpus

    return open_corpus(path)


class QAWork:
    """The opened QA synthesis stage: its seeds, the per-seed synthesizer, and its reports (see
    :class:`~openseeker.pipeline.stages.Stage`)."""

    def __init__(self, config: QASynthConfig, synth: QASynthesizer, seeds: list[int], own_roles: bool):
        self.config = config
        self.synth = synth
        self.items = [SeedTask(i, pid) for i, pid in enumerate(seeds)]
        self.description = f"QA synthesis (k={config.k})"
        self.unit = "seeds"
        self.calibration: Any = None
        self._own_roles = own_roles

    key = staticmethod(_key)

    async def __call__(self, task: SeedTask, ctx: StageContext) -> QARecord | Reject:
        return await self.synth(task, ctx)

    async def finish(self, result: StageResult) -> StageResult:
        if self.calibration is not None:
            from openseeker.judge.calibration import add_to_stats

            add_to_stats(result, self.calibration)
        for c in self.synth.active:  # a check that calibrated its own model call (clue truth's entailment)
            if (own := getattr(c, "calibration", None)) is not None:
                clue_check.add_calibration_to_stats(result, c.name, own)
        from openseeker.synth.funnel import write_report

        write_report(self.config.out or "")
        return result

    async def stopped(self) -> None:
        """Interrupted (Ctrl-C) or failed: the funnel of what was finished."""
        _funnel_so_far(Path(self.config.out or ""))

    async def aclose(self) -> None:
        if self._own_roles:
            await self.synth.roles.aclose()


async def open_qa_synthesis(config: QASynthConfig, res: Resources) -> QAWork:
    """Open the QA stage from its config: the corpus, the roles, the seeds, the checks (their models asked
    once, the judge calibrated when a check decides on its word)."""
    if config.k < 1 or config.n < 0:
        raise ConfigError(f"k must be >= 1 and n >= 0 (got k={config.k}, n={config.n}).")
    corpus: Corpus | None = res.corpus
    if corpus is None:
        if not config.corpus:
            raise ConfigError("QA synthesis needs a corpus (corpus / --corpus).")
        corpus = _open_corpus(config.corpus)
    min_links = (
        config.seeds.min_out_links if config.seeds.min_out_links is not None else config.expand.min_neighbours
    )
    seeds = select_seeds(
        corpus, config.seeds, n=config.n, lang=config.lang, min_links=min_links, seed=config.seed
    )
    if not seeds and config.n > 0:
        # nothing to synthesize from: an empty (or failed) corpus or filters that exclude every page
        raise DataError(
            f"No page of the corpus ({len(corpus)} pages) passes the seed filters (lang={config.lang}, "
            f"at least {min_links} out-links, seeds.*): check that the corpus was ingested and the filters.",
            path=str(config.corpus) if config.corpus else None,
        )
    if len(seeds) < config.n:
        log.warning("only %d of the %d requested seeds pass the seed filters", len(seeds), config.n)
    roles = res.roles or stage_roles(config.roles, RunFolder(config.out or ""), config.cache)
    work = QAWork(config, QASynthesizer(config, roles, corpus, res.judge), seeds, own_roles=res.roles is None)
    try:
        synth = work.synth
        active = synth.active
        judged_checks = [c.name for c in active if c.judged]
        judged = res.judge is None and config.judge_style != "rules" and bool(judged_checks)
        check_roles = [r for c in active for r in c.roles]
        await roles.preflight("generator", *check_roles, *(["judge"] if judged else []))
        if judged_checks:
            from openseeker.judge.calibration import gate

            # these checks decide on the judge's word: calibrate it first
            work.calibration = await gate(
                lambda lang: synth.judge_for("zh" if lang == "zh" else "en"),
                max_false_accept=config.max_false_accept,
                allow_weak=config.allow_weak_judge,
                what=_checks_phrase(judged_checks),
                flag="allow_weak_judge",
            )
            synth.caveat = None if work.calibration.passed else work.calibration.caveat()
    except BaseException:  # (a refused judge, no server, Ctrl-C): the funnel of what earlier runs finished
        await work.stopped()
        await work.aclose()
        raise
    return work


STAGE_QA: Stage[QASynthConfig] = Stage("qa", QASynthConfig, SeedTask, QARecord, open_qa_synthesis)
"""The QA synthesis stage: seed pages in, :class:`QARecord` out."""


async def arun_qa_synthesis(
    config: QASynthConfig,
    roles: Roles | None = None,
    corpus: Corpus | None = None,
    *,
    judge: Judge | None = None,
) -> StageResult:
    """Async form of :func:`run_qa_synthesis`."""
    if not config.out:
        raise ConfigError("QA synthesis needs an output run folder (out / --out).")
    return await STAGE_QA.arun(config, Resources(roles=roles, corpus=corpus, judge=judge))  # type: ignore[no-any-return]


def _funnel_so_far(run: Path) -> None:
    from openseeker.synth.funnel import write_report

    if not (run / STAGE).is_dir():
        return
    try:
        write_report(run)
    except Exception:  # never hide the stage's own outcome behind the report's
        log.exception("could not write the QA funnel report of %s", run)


def run_qa_synthesis(
    config: QASynthConfig,
    roles: Roles | None = None,
    corpus: Corpus | None = None,
    *,
    judge: Judge | None = None,
) -> StageResult:
    """Run QA synthesis over ``config.n`` seeds; records go to ``<config.out>/qa/``.

    Args:
        config: the stage config (corpus, out, n, k, lang, seed, concurrency, checks, roles).
        roles: ready LLM roles; by default built from ``config.roles`` with the response cache.
        corpus: an open corpus; by default ``openseeker.corpus.open_corpus(config.corpus)``.
        judge: the judge; by default the evaluation judge of ``config.judge_style`` on the judge role.

    Returns:
        The stage summary; the funnel report is written to ``<out>/qa/funnel.{json,md,png}``.
    """
    return asyncio.run(arun_qa_synthesis(config, roles, corpus, judge=judge))
