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
from openseeker.evaluate.verdict import Judge
from openseeker.llm.registry import Roles
from openseeker.pipeline.stage import Reject, StageContext, StageResult, run_stage
from openseeker.records import Record
from openseeker.synth import checks as qchecks
from openseeker.synth import verify
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

# The rejection reason of each check that fails in ``reject`` mode.
CHECK_REASONS = {
    "leak": "check:leak",
    "decontam": "check:contaminated",
    "shortcut": "check:shortcut",
    "closed_book": "verify:closed_book_correct",
    "oracle": "verify:oracle_wrong",
    "uniqueness": "check:ambiguous",
}
UNDECIDED_REASONS = {
    "closed_book": "verify:judge_unparsed",
    "oracle": "verify:judge_unparsed",
    "uniqueness": "check:uniqueness_unparsed",
}


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
        self.decontam = (
            qchecks.DecontamIndex.from_files(config.checks.decontam_files, config.checks.decontam_ngram)
            if config.checks.decontam != "off" and config.checks.decontam_files
            else None
        )
        if config.checks.decontam != "off" and self.decontam is None:
            raise ConfigError(
                "checks.decontam is on but checks.decontam_files is empty; give benchmark files."
            )

    def judge_for(self, lang: str) -> Judge:
        """The judge of a language (built lazily from the shared evaluation judges)."""
        if self._judge is not None:
            return self._judge
        if lang not in self._judges:
            from openseeker.evaluate.judges import get_judge  # the evaluation harness owns judges

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

        # 5-6. obfuscation and rewrite
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
        )
        ctx.count("funnel:obfuscated")
        state.update(question=ob.question, obfuscation_map=ob.mapping)
        question = ob.question

        # checks, cheapest first
        ck = cfg.checks
        outcomes: dict[str, CheckOutcome] = {}
        leak_terms = [answer, *aliases, page.title, page.title.replace("_", " ")]
        self._gate(
            ctx,
            outcomes,
            state,
            qchecks.check_leak(question, leak_terms, ck.leak) if ck.leak != "off" else None,
            "leak",
        )
        self._gate(
            ctx,
            outcomes,
            state,
            self.decontam.check(question, ck.decontam_threshold, ck.decontam)
            if self.decontam is not None
            else None,
            "decontam",
        )
        shortcut = qchecks.check_shortcut(
            self.corpus,
            question,
            page.id,
            top_k=ck.shortcut_top_k,
            depth=ck.shortcut_depth,
            mode=ck.shortcut if ck.shortcut != "off" else "record",
        )
        state["shortcut_rank"] = shortcut.detail["rank"]
        self._gate(ctx, outcomes, state, shortcut if ck.shortcut != "off" else None, "shortcut")
        # the model-judged checks (the paper's dual verification, then uniqueness)
        closed: CheckOutcome | None = None
        if ck.closed_book != "off":
            closed = await verify.closed_book(
                self.roles["verifier"],
                self.judge_for(lang),
                prompts["closed_book"],
                question,
                answer,
                aliases,
                mode=ck.closed_book,
                scope=scope,
                max_reasks=cfg.max_reasks,
            )
        self._gate(ctx, outcomes, state, closed, "closed_book")
        solved: CheckOutcome | None = None
        if ck.oracle != "off":
            solved = await verify.oracle(
                self.roles["verifier"],
                self.judge_for(lang),
                prompts["oracle"],
                question,
                answer,
                aliases,
                sub.facts,
                mode=ck.oracle,
                scope=scope,
                max_reasks=cfg.max_reasks,
            )
        self._gate(ctx, outcomes, state, solved, "oracle")
        unique: CheckOutcome | None = None
        if ck.uniqueness != "off":
            unique = await verify.uniqueness(
                self.roles["verifier"],
                prompts["uniqueness"],
                question,
                answer,
                aliases,
                sub.facts,
                max_alternatives=ck.max_alternatives,
                mode=ck.uniqueness,
                scope=scope,
                max_reasks=cfg.max_reasks,
            )
        self._gate(ctx, outcomes, state, unique, "uniqueness")
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
            shortcut_rank=shortcut.detail["rank"],
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

    @staticmethod
    def _gate(
        ctx: StageContext,
        outcomes: dict[str, CheckOutcome],
        state: dict[str, Any],
        outcome: CheckOutcome | None,
        name: str,
    ) -> None:
        """Record a check's outcome; raise the check's rejection when it fails in ``reject`` mode."""
        if outcome is None:
            outcomes[name] = CheckOutcome(name, None, "off")
            ctx.count(f"funnel:{name}")
            ctx.count(f"off:{name}")
            return
        outcomes[name] = outcome
        state.setdefault("checks", {})[name] = outcome.to_dict()
        if outcome.mode == "reject":
            if outcome.passed is None:
                raise StepRejected(UNDECIDED_REASONS.get(name, f"check:{name}_undecided"), outcome.to_dict())
            if not outcome.passed:
                raise StepRejected(CHECK_REASONS[name], outcome.to_dict())
        ctx.count(f"funnel:{name}")


def _key(task: SeedTask) -> str:
    return f"seed-{task.page_id}"


def _open_corpus(path: str) -> Corpus:
    from openseeker.corpus import open_corpus  # type: ignore[attr-defined]  # the corpus package provides it

    return open_corpus(path)  # type: ignore[no-any-return]


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
    if config.k < 1 or config.n < 0:
        raise ConfigError(f"k must be >= 1 and n >= 0 (got k={config.k}, n={config.n}).")
    if corpus is None:
        if not config.corpus:
            raise ConfigError("QA synthesis needs a corpus (corpus / --corpus).")
        corpus = _open_corpus(config.corpus)
    run = Path(config.out)
    own_roles = roles is None
    if roles is None:
        roles = Roles(config.roles, cache_path=config.cache or run / "cache" / "llm.sqlite")
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
    synth = QASynthesizer(config, roles, corpus, judge)
    tasks = [SeedTask(i, pid) for i, pid in enumerate(seeds)]
    calibration = None
    try:
        ck = config.checks
        judged = judge is None and config.judge_style != "rules" and (ck.closed_book != "off" or ck.oracle != "off")
        verified = any(m != "off" for m in (ck.closed_book, ck.oracle, ck.uniqueness))
        await roles.preflight("generator", *(["verifier"] if verified else []), *(["judge"] if judged else []))
        if ck.closed_book != "off" or ck.oracle != "off":
            from openseeker.evaluate.calibration import gate

            # the closed-book and oracle checks decide on the judge's word: calibrate it first
            calibration = await gate(
                lambda lang: synth.judge_for("zh" if lang == "zh" else "en"),
                max_false_accept=config.max_false_accept,
                allow_weak=config.allow_weak_judge,
                what="the closed-book/oracle checks",
                flag="allow_weak_judge",
            )
            synth.caveat = None if calibration.passed else calibration.caveat()
        result = await run_stage(
            run,
            STAGE,
            tasks,
            synth,
            key=_key,
            shard_size=config.shard_size,
            concurrency=config.concurrency,
            config=config,
            progress=config.progress,
            total=len(tasks),
            description=f"QA synthesis (k={config.k})",
        )
        if calibration is not None:
            from openseeker.evaluate.calibration import add_to_stats

            add_to_stats(result, calibration)
    finally:
        if own_roles:
            await roles.aclose()
    from openseeker.synth.funnel import write_report

    write_report(run)
    return result


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
