"""Exact audit of synthesized questions against a generated world (no model involved).

Because every sentence of a generated world was written from known structured facts, a QA record
synthesized from it can be checked exactly:

* **answerability**: every evidence sentence the question uses is a sentence of the world (so it states
  true facts), the claimed fact is one of the facts that sentence states, and the answer is the seed
  entity;
* **clue truth**: every description of the obfuscation map is judged against the world's complete
  knowledge of its entity (:mod:`openseeker.worldgen.clue_audit`): type, dates, numbers, linked names;
* **uniqueness**: the structured facts behind the used evidence form a small conjunctive query (the answer
  and every other entity of the chain are variables, unless the question names them verbatim); the audit
  counts how many world entities satisfy it, both with exact values and with values blurred the way
  obfuscation blurs them (years to decades, counts to orders of magnitude). One match means unique.

QA records are read defensively (plain dicts): ``question``, ``answer``, ``aliases``, ``language``,
``seed`` (``url``/``title``), ``edges_used`` and ``entity_subgraph.facts`` (``id``, ``subject``,
``relation``, ``object``, ``evidence``, and ``page_title`` / ``url``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from openseeker.worldgen.clue_audit import ClueAuditor
from openseeker.worldgen.model import Entity, Fact, FactMention, World, _norm
from openseeker.worldgen.names_zh import KIND_ZH, OCCUPATION_ZH

MAX_LISTED = 5


def _value_forms(v: str | int) -> list[str]:
    """How a literal may be written in a claim: ``12300``, ``12,300``, the Chinese word for a kind."""
    if isinstance(v, int):
        return [str(v), f"{v:,}"]
    forms = [str(v)]
    if v in OCCUPATION_ZH:
        forms.append(OCCUPATION_ZH[v])
    if v in KIND_ZH:
        forms.append(KIND_ZH[v])
    return forms


def _overlap(a: str, b: str) -> bool:
    a, b = _norm(a), _norm(b)
    return bool(a) and bool(b) and (a in b or b in a)


class Auditor:
    """Audits QA records against one :class:`World`."""

    def __init__(self, world: World):
        self.world = world
        self.clues = ClueAuditor(world, self.resolve)
        self.by_type: dict[tuple[str, str], list[Entity]] = {}
        for e in world.entities.values():
            self.by_type.setdefault((e.language, e.type), []).append(e)
        self._names_by_len = {
            lang: sorted(
                (e for e in world.entities.values() if e.language == lang), key=lambda e: -len(e.name)
            )
            for lang in world.languages()
        }

    # -- resolving names and sentences -------------------------------------------------------------------

    def resolve(self, text: str, language: str) -> Entity | None:
        """The entity a free-text name refers to: exact name/alias, else the longest name inside ``text``."""
        if not text:
            return None
        e = self.world.entity_by_name(text.strip("《》\"' "), language)
        if e:
            return e
        t = _norm(text)
        return next((e for e in self._names_by_len.get(language, []) if _norm(e.name) in t), None)

    def match_sentence(self, evidence: str, page_url: str | None) -> list[FactMention]:
        """World fact mentions of the sentence ``evidence`` (exact, else containment on the cited page,
        else containment anywhere). Empty when the sentence is not in the world."""
        n = _norm(evidence)
        if not n:
            return []
        if n in self.world.sentences:
            return self.world.sentences[n]
        pages = [page_url] if page_url and page_url in self.world.page_sentences else []
        for url in pages:
            for s in self.world.page_sentences[url]:
                ns = _norm(s)
                if n in ns or (ns in n and len(ns) > 0.6 * len(n)):
                    return self.world.sentences[ns]
        for ns, ms in self.world.sentences.items():
            if len(n) >= 12 and (n in ns or (ns in n and len(ns) > 0.6 * len(n))):
                return ms
        return []

    def _obj_forms(self, f: Fact) -> list[str]:
        if f.object is not None:
            e = self.world.entities[f.object]
            return [e.name, *e.aliases]
        assert f.value is not None
        return _value_forms(f.value)

    def supporting(self, claim: Mapping[str, Any], mentions: list[FactMention]) -> list[Fact]:
        """The facts of a matched sentence that the claimed (subject, object) pair states, either way round."""
        subj, obj = str(claim.get("subject", "")), str(claim.get("object", ""))
        out: list[Fact] = []
        for m in mentions:
            f = m.fact
            s_forms = [self.world.entities[f.subject].name, *self.world.entities[f.subject].aliases]
            o_forms = self._obj_forms(f)
            direct = any(_overlap(subj, s) for s in s_forms) and any(_overlap(obj, o) for o in o_forms)
            reverse = any(_overlap(obj, s) for s in s_forms) and any(_overlap(subj, o) for o in o_forms)
            if (direct or reverse) and f.key not in {x.key for x in out}:
                out.append(f)
        return out

    # -- the two measurements ----------------------------------------------------------------------------

    def audit(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Audit one QA record; see the module docstring for what is measured."""
        lang = str(record.get("language") or "en")
        seed_info = record.get("seed") if isinstance(record.get("seed"), Mapping) else {}
        assert isinstance(seed_info, Mapping)
        seed = None
        if seed_info.get("url") in self.world.by_url:
            seed = self.world.by_url[seed_info["url"]]
        if seed is None and seed_info.get("title"):
            seed = self.resolve(str(seed_info["title"]), lang)
        answer = str(record.get("answer") or "")
        names = [answer, *[str(a) for a in record.get("aliases") or []]]
        answer_entity = self.resolve(answer, lang)
        if seed is None:
            seed = answer_entity
        answer_is_seed = seed is not None and any(
            _norm(n) in {_norm(x) for x in (seed.name, *seed.aliases)} for n in names if n
        )
        sub = record.get("entity_subgraph") or {}
        facts = [
            f for f in (sub.get("facts") if isinstance(sub, Mapping) else []) or [] if isinstance(f, Mapping)
        ]
        used_ids = {str(x) for x in record.get("edges_used") or []}
        used = [f for f in facts if str(f.get("id")) in used_ids] if used_ids else facts
        title_to_url = {e.name: e.url for e in self.world.entities.values() if e.language == lang}
        evidence_rows = []
        pattern: list[Fact] = []
        for claim in used:
            url = (
                claim.get("url")
                or claim.get("page_url")
                or title_to_url.get(str(claim.get("page_title", "")))
            )
            ms = self.match_sentence(str(claim.get("evidence", "")), url)
            support = self.supporting(claim, ms) if ms else []
            evidence_rows.append(
                {
                    "id": claim.get("id"),
                    "evidence": claim.get("evidence"),
                    "in_world": bool(ms),
                    "supported": bool(support),
                    "facts": [f.key for f in support],
                }
            )
            pattern.extend(f for f in support if f.key not in {p.key for p in pattern})
        all_true = bool(evidence_rows) and all(r["in_world"] and r["supported"] for r in evidence_rows)
        touches_seed = seed is not None and any(seed.id in (f.subject, f.object) for f in pattern)
        out: dict[str, Any] = {
            "id": record.get("id"),
            "language": lang,
            "answer": answer,
            "seed": seed.name if seed else None,
            "answer_is_seed": answer_is_seed,
            "evidence": evidence_rows,
            "evidence_in_world": sum(r["in_world"] for r in evidence_rows),
            "evidence_supported": sum(r["supported"] for r in evidence_rows),
            "evidence_total": len(evidence_rows),
            "answerable": bool(answer_is_seed and all_true and touches_seed),
        }
        ob = record.get("obfuscation_map") or {}
        out["clues"] = self.clues.judge_map(ob, lang) if isinstance(ob, Mapping) else []
        if seed is None or not touches_seed:
            out.update(
                matches_exact=None,
                matches_fuzzy=None,
                unique_exact=None,
                unique_fuzzy=None,
                constraints=len(pattern),
                distractors=[],
            )
            return out
        question = str(record.get("question") or "")
        exact = self.count_matches(seed, pattern, question, fuzzy=False)
        fuzzy = self.count_matches(seed, pattern, question, fuzzy=True)
        out.update(
            constraints=len(pattern),
            matches_exact=len(exact),
            matches_fuzzy=len(fuzzy),
            unique_exact=exact == [seed.id],
            unique_fuzzy=fuzzy == [seed.id],
            distractors=[self.world.entities[x].name for x in fuzzy if x != seed.id][:MAX_LISTED],
        )
        return out

    def count_matches(self, seed: Entity, pattern: list[Fact], question: str, *, fuzzy: bool) -> list[str]:
        """Entity ids (of the seed's type) for which the chain ``pattern`` can be satisfied in the world.

        Entities of the chain other than the seed become variables of their own type, except those the
        question names verbatim, which stay fixed.
        """
        qn = _norm(question)
        fixed = {
            eid
            for f in pattern
            for eid in (f.subject, f.object)
            if eid and eid != seed.id and _norm(self.world.entities[eid].name) in qn
        }
        variables = sorted(
            {eid for f in pattern for eid in (f.subject, f.object) if eid and eid not in fixed},
            key=lambda x: (x != seed.id, x),
        )
        matches = []
        for cand in self.by_type.get((seed.language, seed.type), []):
            if self._solve(pattern, variables, {seed.id: cand.id}, fixed, fuzzy):
                matches.append(cand.id)
        return matches

    def _value_ok(self, have: set[str | int], want: str | int, fuzzy: bool) -> bool:
        if not fuzzy or not isinstance(want, int):
            return want in have
        return any(isinstance(h, int) and _bucket(h, want) == _bucket(want, want) for h in have)

    def _solve(
        self, pattern: list[Fact], variables: list[str], bind: dict[str, str], fixed: set[str], fuzzy: bool
    ) -> bool:
        def val(x: str) -> str | None:
            return x if x in fixed else bind.get(x)

        # check every triple whose ends are bound; pick the next variable adjacent to a bound one
        for f in pattern:
            s = val(f.subject)
            if s is None:
                continue
            if f.object is None:
                assert f.value is not None
                if not self._value_ok(self.world.out.get((s, f.relation), set()), f.value, fuzzy):
                    return False
            else:
                o = val(f.object)
                if o is not None and o not in self.world.out.get((s, f.relation), set()):
                    return False
        free = [v for v in variables if v not in bind]
        if not free:
            return True
        var, cands = None, None
        for f in pattern:
            if f.object is None:
                continue
            s, o = val(f.subject), val(f.object)
            if s is not None and o is None and f.object in free:
                var, cands = (
                    f.object,
                    {x for x in self.world.out.get((s, f.relation), set()) if isinstance(x, str)},
                )
                break
            if o is not None and s is None and f.subject in free:
                var, cands = f.subject, set(self.world.inv.get((f.relation, o), set()))
                break
        if var is None:
            # disconnected from the seed: any entity of the variable's type will do
            var = free[0]
            t = self.world.entities[var]
            cands = {e.id for e in self.by_type.get((t.language, t.type), [])}
        assert cands is not None
        want_type = self.world.entities[var].type
        for c in sorted(cands):
            if self.world.entities[c].type != want_type:
                continue
            if self._solve(pattern, variables, {**bind, var: c}, fixed, fuzzy):
                return True
        return False


def _bucket(h: int, ref: int) -> int:
    """Obfuscation-like blur: years (1000..2100) by decade, other counts by order of magnitude."""
    if 1000 <= ref <= 2100:
        return h // 10 if 1000 <= h <= 2100 else -1
    return math.floor(math.log10(h)) if h > 0 else -1


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate per-record audits: rates of answerability and uniqueness, overall and by language."""

    def agg(rs: list[dict[str, Any]]) -> dict[str, Any]:
        n = len(rs)
        decided = [r for r in rs if r.get("matches_exact") is not None]
        ev_total = sum(r["evidence_total"] for r in rs)

        def rate(num: int, den: int) -> float | None:
            return round(num / den, 4) if den else None

        return {
            "records": n,
            "answer_is_seed": rate(sum(r["answer_is_seed"] for r in rs), n),
            "evidence_in_world": rate(sum(r["evidence_in_world"] for r in rs), ev_total),
            "evidence_supported": rate(sum(r["evidence_supported"] for r in rs), ev_total),
            "answerable": rate(sum(r["answerable"] for r in rs), n),
            "uniqueness_decided": len(decided),
            "unique_exact": rate(sum(bool(r["unique_exact"]) for r in decided), len(decided)),
            "unique_fuzzy": rate(sum(bool(r["unique_fuzzy"]) for r in decided), len(decided)),
            "mean_matches_fuzzy": round(sum(r["matches_fuzzy"] for r in decided) / len(decided), 3)
            if decided
            else None,
            **_clue_rates(rs),
        }

    out = agg(rows)
    langs = Counter(r["language"] for r in rows)
    out["by_language"] = {lang: agg([r for r in rows if r["language"] == lang]) for lang in sorted(langs)}
    return out


def _clue_rates(rs: list[dict[str, Any]]) -> dict[str, Any]:
    """Clue truth over every description of every record: ``clue_truth`` is the share judged true
    (undecided ones are not true), ``clue_false`` the share judged false."""
    clues = [c for r in rs for c in r.get("clues", [])]
    n = len(clues)
    count = Counter(c["verdict"] for c in clues)
    return {
        "clue_descriptions": n,
        "clue_truth": round(count["true"] / n, 4) if n else None,
        "clue_false": round(count["false"] / n, 4) if n else None,
        "clue_undecided": round(count["undecided"] / n, 4) if n else None,
        "records_with_false_clue": sum(
            1 for r in rs if any(c["verdict"] == "false" for c in r.get("clues", []))
        ),
    }


def audit_records(records: Iterable[Mapping[str, Any]], world: World) -> dict[str, Any]:
    """Audit QA records against ``world``.

    Returns:
        ``{"summary": {...}, "records": [per-record audit, ...]}``.
    """
    auditor = Auditor(world)
    rows = [auditor.audit(r) for r in records]
    return {"summary": summarize(rows), "records": rows}


def audit_run(qa_run: str | Path, world_dir: str | Path, stage: str = "qa") -> dict[str, Any]:
    """Audit the accepted QA records of a run folder (``<qa_run>/<stage>/*.jsonl``) against a written world."""
    from openseeker.io.jsonl import iter_jsonl
    from openseeker.worldgen.generate import load_world

    files = sorted((Path(qa_run) / stage).glob("*.jsonl"))
    records = [r for p in files for r in iter_jsonl(p)]
    return audit_records(records, load_world(world_dir))
