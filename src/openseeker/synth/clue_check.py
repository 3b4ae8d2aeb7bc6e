"""The clue-truth QA check: every description of the obfuscation map must be true of its entity.

Each description is judged by the rules of :mod:`openseeker.clues.rules` against a profile built from the
record's grounded facts (their evidence sentences, relations and linked entities) and, when the entity
has a page in the expanded subgraph, that page's first sentences. A literal entity (a year, a number)
is its own profile. What the rules leave undecided goes to an entailment call by the verifier
(:mod:`openseeker.synth.clue_entail`) only if that verifier passed calibration; otherwise it stays
undecided, which rejects as ``check:clue_undecided``: an undecided clue is never a pass.

Outcome: ``passed`` is ``False`` when a description is false (``check:false_clue``; the detail lists
each false description with its entity and why), ``None`` when one is undecided, ``True`` when all are
true.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from openseeker.clues import vocab as V
from openseeker.clues.evidence import cue_years_in, name_type, numbers_in, types_in, years_in
from openseeker.clues.parse import fold, relations_in
from openseeker.clues.rules import ClueVerdict, Profile, judge, literal_profile
from openseeker.corpus.base import Corpus
from openseeker.judge.calibration import Calibration
from openseeker.synth.check import Candidate, CheckContext, Pass, QACheck, Reject, qa_checks
from openseeker.synth.clue_entail import Entail, EntailmentGate
from openseeker.synth.records import CheckOutcome, Fact, SubgraphNode
from openseeker.synth.text import normalize, title_variants
from openseeker.synth.text import sentences as split_sentences

if TYPE_CHECKING:
    from openseeker.synth.config import QASynthConfig


@functools.lru_cache(maxsize=8192)
def _norm(text: str) -> str:
    return normalize(text)


def _has(text: str, term: str) -> bool:
    """:func:`contains_term` on memoized normal forms (the same sentences are asked about many names)."""
    t, h = _norm(term), _norm(text)
    if not t or t not in h:
        return False
    return not t.isascii() or re.search(rf"(?<!\w){re.escape(t)}(?!\w)", h) is not None


def _about(f: Fact, entity: str) -> bool:
    """Whether a grounded fact's evidence is about ``entity``: it names it, or it is a sentence of the
    entity's own page and the fact is the entity's. (A model's subject and relation alone are not evidence.)"""
    if _has(f.evidence, entity):
        return True
    own_page = bool(f.page_title) and _norm(title_variants(f.page_title)[-1]) == _norm(entity)
    return own_page and _norm(entity) in (_norm(f.subject), _norm(f.object))


def profile_from_facts(
    entity: str, facts: Iterable[Fact], lede: str = "", names: Iterable[str] = ()
) -> Profile:
    """What the grounded facts (and the entity's own page lede) say about ``entity``.

    Memoized: the same entity is profiled for the obfuscation prompt and again by the check.

    Args:
        entity: the entity as the obfuscation map names it.
        facts: the record's grounded facts.
        lede: the first sentences of the entity's own page, if it has one in the subgraph.
        names: other entity names; those that share a fact or an evidence sentence with it are linked.
    """
    key = tuple((f.subject, f.relation, f.object, f.evidence, f.page_title) for f in facts)
    return _profile(entity, key, lede, tuple(names))


@functools.lru_cache(maxsize=2048)
def _profile(
    entity: str, facts_key: tuple[tuple[str, str, str, str, str], ...], lede: str, names: tuple[str, ...]
) -> Profile:
    facts = [Fact("", s, r, o, ev, 0, page) for s, r, o, ev, page in facts_key]
    lit = literal_profile(entity)
    if lit is not None:
        return lit
    # only grounded text counts: evidence sentences about the entity and its page's lede, never the model's
    # own subject/relation/object strings (it writes "Torvale | a company | Torvale Chamber Orchestra")
    mine = [f for f in facts if _about(f, entity)]
    texts = list(dict.fromkeys([f.evidence for f in mine] + ([lede] if lede else [])))
    p = Profile(entity, names={fold(entity)})
    for t in texts:
        ty, occ = types_in(t, entity)
        p.types |= ty
        p.occupations |= occ
        p.years += years_in(t)
        p.numbers += numbers_in(t)
        for kind, ys in cue_years_in(t).items():
            p.cue_years.setdefault(kind, []).extend(ys)
    if (nt := name_type(entity)) is not None:
        p.types.add(nt)
    n_ent = _norm(entity)
    others = {x for f in facts for x in (f.subject, f.object)} | set(names)
    for n in others:
        if not n or _norm(n) == n_ent:
            continue
        for f in mine:  # linked when a sentence about the entity names the other, or is the other's page
            on_page = bool(f.page_title) and _norm(title_variants(f.page_title)[-1]) == _norm(n)
            if _has(f.evidence, n) or (on_page and n_ent in (_norm(f.subject), _norm(f.object))):
                p.linked.add(fold(n))
                p.relations.setdefault(fold(n), set()).update(relations_in(f.evidence))
        if lede and _has(lede, n):
            p.linked.add(fold(n))
            p.relations.setdefault(fold(n), set()).update(relations_in(lede))
    p.text = " ".join([entity, *texts])
    return p


def type_hint(p: Profile, lang: str) -> str:
    """What the facts say an entity is, in words for the obfuscation prompt ("" when they do not say)."""
    words = sorted({V.TYPE_WORDS[t[1] or t[0]][1 if lang == "zh" else 0] for t in p.types})
    words = [w for w in words if w] + sorted(p.occupations)
    return ("、" if lang == "zh" else ", ").join(dict.fromkeys(words))


def known_names(facts: Iterable[Fact], titles: Iterable[str] = ()) -> list[str]:
    """Entity names a description may mention: fact subjects and objects (not literals), page titles."""
    out: dict[str, None] = {}
    for f in facts:
        for x in (f.subject, f.object):
            if literal_profile(x) is None:
                out.setdefault(x, None)
    for t in titles:
        out.setdefault(t.replace("_", " "), None)
    return list(out)


def evidence_lines(p: Profile, facts: Iterable[Fact], lede: str) -> list[str]:
    """The evidence an entailment call sees: every grounded sentence about the entity, and its lede."""
    lines = [f.evidence for f in facts if _about(f, p.entity)]
    return list(dict.fromkeys([*lines, *([lede] if lede else [])]))


async def check_clue_truth(
    mapping: Mapping[str, str],
    facts: list[Fact],
    *,
    mode: str,
    ledes: Mapping[str, str] | None = None,
    titles: Iterable[str] = (),
    lang: str = "en",
    entail: Entail | None = None,
) -> CheckOutcome:
    """Judge every description of ``mapping`` (entity -> description) against the grounded ``facts``.

    Args:
        mapping: the obfuscation map.
        facts: the record's grounded facts (all of the entity subgraph, not only those the question uses).
        mode: the check mode (``reject``, ``record``).
        ledes: entity -> first sentences of its own page in the subgraph.
        titles: the subgraph's page titles (names a description may mention).
        lang: the record's language.
        entail: the calibrated verifier's entailment call for what the rules leave undecided (``None``:
            undecided stays undecided).
    """
    ledes = ledes or {}
    names = known_names(facts, titles)
    verdicts: list[ClueVerdict] = []
    profiles: dict[str, Profile] = {}
    for entity, desc in mapping.items():
        p = profile_from_facts(entity, facts, ledes.get(entity, ""), names)
        profiles[entity] = p
        verdicts.append(judge(entity, desc, p, [n for n in names if normalize(n) != normalize(entity)]))
    raw: list[str] = []
    if entail is not None:
        todo = [v for v in verdicts if v.verdict == "undecided"]

        async def ask(v: ClueVerdict) -> None:
            lines = evidence_lines(profiles[v.entity], facts, ledes.get(v.entity, ""))
            said, reply = await entail(v.entity, v.description, lines, lang)
            if not reply:  # not asked: the verifier did not pass calibration
                v.why = [*v.why, "entailment: not asked (the verifier failed calibration)"]
                return
            raw.append(reply)
            v.method = "rules+entailment"
            if said in ("true", "false"):
                v.why = [*v.why, f"entailment: {said}"]
                v.verdict = said
            else:
                v.why = [*v.why, "entailment: undecided"]

        await asyncio.gather(*(ask(v) for v in todo))
    false = [
        {"entity": v.entity, "description": v.description, "why": v.why}
        for v in verdicts
        if v.verdict == "false"
    ]
    undecided = [
        {"entity": v.entity, "description": v.description, "why": v.why}
        for v in verdicts
        if v.verdict == "undecided"
    ]
    passed = False if false else None if undecided else True
    detail = {
        "clues": [v.to_dict() for v in verdicts],
        "false": false,
        "undecided": undecided,
        "entailed": sum(1 for v in verdicts if v.method != "rules"),
    }
    return CheckOutcome("clue_truth", passed, mode, detail, "\n---\n".join(raw))


def clue_counts(outcome: CheckOutcome) -> dict[str, int]:
    """``{"true": n, "false": n, "undecided": n}`` over an outcome's descriptions (for the funnel counters)."""
    out = {"true": 0, "false": 0, "undecided": 0}
    for c in outcome.detail.get("clues", []):
        out[c["verdict"]] = out.get(c["verdict"], 0) + 1
    return out


@functools.lru_cache(maxsize=1024)
def lede_of(text: str, sentences: int = 2) -> str:
    """The first ``sentences`` sentences of a page (where a page says what its entity is)."""
    return " ".join(split_sentences(text[:2000])[:sentences])


def ledes(nodes: Iterable[SubgraphNode], corpus: Corpus) -> dict[str, str]:
    """Normalized title (and title without its disambiguator) -> the first sentences of that page."""
    out: dict[str, str] = {}
    for node in nodes:
        page = corpus.get(node.page_id)
        if page is None:
            continue
        lede = lede_of(page.text)
        for t in title_variants(node.title):
            out.setdefault(normalize(t), lede)
    return out


def kinds(
    used: list[Fact], facts: list[Fact], nodes: list[SubgraphNode], corpus: Corpus, lang: str
) -> dict[str, str]:
    """What the grounded facts say each entity of the question's chain is (the obfuscation prompt's hints)."""
    pages = ledes(nodes, corpus)
    names = known_names(facts, [n.title for n in nodes])
    ents = {x for f in used for x in (f.subject, f.object)}
    return {
        e: type_hint(profile_from_facts(e, facts, pages.get(normalize(e), ""), names), lang) for e in ents
    }


@qa_checks.register("clue_truth")
class ClueTruthCheck(QACheck):
    """Every description of the obfuscation map must be true of its entity (see the module docstring).

    Rules decide first (free); what they leave undecided is put to the verifier
    (``checks.clue_entailment``) once it has passed calibration on the clue set (:mod:`clue_entail`).
    """

    name = "clue_truth"
    label = "clues true"
    reason = "check:false_clue"
    undecided_reason = "check:clue_undecided"
    roles = ("verifier",)

    def __init__(self, config: QASynthConfig, options: object = None):
        super().__init__(config)
        self.gate: EntailmentGate | None = (
            EntailmentGate(config.max_false_accept) if config.checks.clue_entailment else None
        )

    @property
    def calibration(self) -> Calibration | None:
        """The verifier's calibration on the clue set, once it has run."""
        return self.gate.calibration if self.gate is not None else None

    async def check(self, record: Candidate, ctx: CheckContext) -> Pass | Reject:
        pages = ledes(record.subgraph, ctx.corpus)
        entail = None
        if self.gate is not None and self.gate.usable is not False:
            entail = self.gate.entailer(
                ctx.roles["verifier"], ctx.prompts["clue"], ctx.scope, self.config.max_reasks
            )
        o = await check_clue_truth(
            record.obfuscation_map,
            record.facts,
            mode="reject",
            ledes={e: pages.get(normalize(e), "") for e in record.obfuscation_map},
            titles=[n.title for n in record.subgraph],
            lang=record.language,
            entail=entail,
        )
        counts = {f"clue:{k}": v for k, v in clue_counts(o).items()} | {
            "clue:entailed": int(o.detail["entailed"])
        }
        detail = {**o.detail, "counts": counts}
        if self.gate is not None and self.gate.calibration is not None:
            detail["verifier_calibration"] = self.gate.calibration.line()
        if o.passed:
            return Pass(detail, o.raw)
        return Reject(self.reason if o.passed is False else self.undecided(), detail, o.raw, o.passed is None)


def add_calibration_to_stats(result: Any, name: str, cal: Calibration) -> None:
    """Put a check's own calibration into the stage's ``stats.json`` (``<name>_calibration``)."""
    entry = cal.summary()
    result.stats[f"{name}_calibration"] = entry
    path = Path(result.path) / "stats.json"
    if path.exists():
        stats = orjson.loads(path.read_bytes())
        stats[f"{name}_calibration"] = entry
        path.write_bytes(orjson.dumps(stats, option=orjson.OPT_INDENT_2))
