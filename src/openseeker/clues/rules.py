"""Clue truth by rules: what a vague description claims about its entity, and whether known facts bear it out.

An obfuscated question is only as true as its descriptions ("a town founded in the early 1640s"). This
module reads a description into claims and judges each against a :class:`Profile` of the entity:

* **type**: the head noun ("town", "chemist", "一座古镇") names a class that must agree with what the
  facts say the entity is (a city described as "a company" is false);
* **dates**: a date range ("the late 1960s", "19th-century", "1960年代末") must contain one of the
  entity's dates; after a verb that ties it to a fact ("founded in ...", "生于"), that fact's date;
* **magnitudes**: "a few thousand", "about 120,000", "几万" must contain one of the entity's numbers;
* **names**: another entity the description names must be one the facts link to this entity;
* **the rest**: every other content word must occur in the entity's evidence.

A claim the facts contradict makes the clue false; a clue is true only when every claim is supported;
anything else is undecided (left to an entailment call by a calibrated verifier, never a pass).
The same rules run on two kinds of profile: the grounded facts of a QA record (the QA check,
:mod:`openseeker.synth.clue_check`) and the complete known facts of a generated world (the audit,
:mod:`openseeker.worldgen.audit`). Which of several entities a date or number in a description qualifies
is not parsed beyond the verb-before-date rule: a number is checked against the entity's numbers and
those of the entities its facts link it to.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from openseeker.clues import vocab as V
from openseeker.clues.parse import Interval, TypeClaim, fold, is_zh, parse, stem
from openseeker.records import Record


@dataclass
class Profile:
    """What is known about one entity, from grounded facts or from a generated world.

    ``complete`` says whether the knowledge is exhaustive (a generated world knows a person's one
    occupation; grounded facts only say what their sentences say).
    """

    entity: str
    names: set[str] = field(default_factory=set)
    types: set[V.TypeClass] = field(default_factory=set)
    occupations: set[str] = field(default_factory=set)
    years: list[Interval] = field(default_factory=list)
    cue_years: dict[str, list[Interval]] = field(default_factory=dict)
    numbers: list[float] = field(default_factory=list)
    linked: set[str] = field(default_factory=set)
    relations: dict[str, set[str]] = field(default_factory=dict)
    text: str = ""
    complete: bool = False
    _stems: set[str] | None = None

    def stems(self) -> set[str]:
        if self._stems is None:
            self._stems = {stem(w) for w in re.findall(r"\w+", fold(self.text))}
        return self._stems


@dataclass
class ClueVerdict(Record):
    """The verdict on one description: ``true``, ``false`` or ``undecided``, and why."""

    entity: str
    description: str
    verdict: str
    why: list[str] = field(default_factory=list)
    method: str = "rules"


def _fmt(x: float) -> str:
    return "?" if math.isinf(x) else str(int(x)) if float(x).is_integer() else f"{x:g}"


def _hits(lo: float, hi: float, pool: Iterable[Interval]) -> bool:
    return any(a <= hi and lo <= b for a, b in pool)


def _type_verdict(h: TypeClaim, p: Profile) -> tuple[str, str]:
    """``ok`` | ``word`` (coarse agrees, the word itself needs support) | ``unknown`` | ``false``, and why."""
    if not p.types:
        return "unknown", f"nothing says what {p.entity!r} is"
    same = [t for t in p.types if t[0] == h.coarse]
    if not same:
        said = ", ".join(sorted({t[1] or t[0] for t in p.types}))
        return "false", f"says {h.word!r} ({h.coarse}), but it is a {said}"
    if h.coarse == "person":
        if h.family is None:
            return ("ok" if h.word in ("person", "man", "woman", "figure", "individual", "someone",
                                       "personality", "人物", "某人", "的人", "人士") else "word"), ""  # fmt: skip
        known = {w for o in p.occupations for w in V.OCCUPATION_IMPLIES.get(o, {o})} | p.occupations
        if h.word in known:
            return "ok", ""
        if p.complete and p.occupations:
            fams = {V.OCCUPATIONS_EN.get(o) or V.OCCUPATIONS_ZH.get(o) for o in p.occupations}
            if h.family not in fams:
                return "false", f"says {h.word!r}, but the person is a {'/'.join(sorted(p.occupations))}"
        return "word", ""
    if h.fine is None:
        return "ok", ""
    fines = {t[1] for t in same if t[1]}
    if not fines:
        return "word", ""
    if h.fine in fines or any(h.fine in V.PARENTS.get(f, set()) for f in fines):
        return "ok", ""
    if any(f in V.PARENTS.get(h.fine, set()) for f in fines):
        return "word", ""  # more specific than what is known ("a novel" for "a book")
    return "false", f"says {h.word!r} ({h.fine}), but it is a {'/'.join(sorted(fines))}"


def _same_verb(word: str, p: Profile) -> bool:
    """A verb of the same fact kind in the evidence ("出生" for "生于", "established" for "founded")."""
    for table in (V.CUES_ZH, V.RELATIONS_ZH) if is_zh(word) else (V.CUES_EN, V.RELATIONS_EN):
        for words in table.values():
            if word in words or (not is_zh(word) and stem(word) in {stem(w) for w in words}):
                text = fold(p.text)
                if is_zh(word) and any(w in text for w in words):
                    return True
                if not is_zh(word) and any(
                    (stem(w) in p.stems())
                    if " " not in w
                    else re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)
                    for w in words
                ):
                    return True
    return False


def _lexical(word: str, p: Profile) -> bool:
    if _same_verb(word, p):
        return True
    if is_zh(word):
        return word in re.sub(r"\s+", "", fold(p.text))
    s = stem(word)
    if s in p.stems():
        return True
    return len(s) >= 5 and any(len(x) >= 5 and (x.startswith(s) or s.startswith(x)) for x in p.stems())


def judge(entity: str, description: str, profile: Profile, names: Iterable[str] = ()) -> ClueVerdict:
    """The rules' verdict on ``description`` of ``entity`` given what ``profile`` knows.

    Args:
        entity: the described entity (as the obfuscation map names it).
        description: its vague description.
        profile: what is known about the entity.
        names: names of other entities the description may mention.
    """
    c = parse(description, names=names, own=profile.names | {entity})
    false: list[str] = []
    unknown: list[str] = []
    for extra in c.also:  # each head in apposition must hold too
        v, why = _type_verdict(extra, profile)
        if v == "word":
            v, why = (
                ("ok", "")
                if _lexical(extra.word, profile)
                else ("unknown", f"{extra.word!r} is not in the evidence")
            )
        if v in ("false", "unknown"):
            (false if v == "false" else unknown).append(f"type: {why}")
    if c.head is not None:
        results = []
        for h in [c.head, *c.head.alternatives]:  # "a town or village": the best reading counts
            v, why = _type_verdict(h, profile)
            if v == "word":
                v, why = (
                    ("ok", "")
                    if _lexical(h.word, profile)
                    else ("unknown", f"{h.word!r} is not in the evidence")
                )
            results.append((["false", "unknown", "ok"].index(v), v, why))
        _rank, v, why = max(results)
        if v == "false":
            false.append(f"type: {why}")
        elif v == "unknown":
            unknown.append(f"type: {why}")
    for d in c.dates:
        cued = profile.cue_years.get(d.cue or "", [])
        if d.cue and _hits(d.lo, d.hi, cued):
            continue
        spans = sorted(set(cued or profile.years))
        known = ", ".join(_fmt(a) if a == b else f"{_fmt(a)}-{_fmt(b)}" for a, b in spans[:8])
        known += ", ..." if len(spans) > 8 else ""
        if d.cue and cued:
            false.append(
                f"date: {d.text!r} ({_fmt(d.lo)}-{_fmt(d.hi)}) does not contain its {d.cue} date ({known})"
            )
        elif _hits(d.lo, d.hi, profile.years):
            if d.cue:
                unknown.append(f"date: no {d.cue} date in the evidence for {d.text!r}")
        else:
            false.append(
                f"date: {d.text!r} ({_fmt(d.lo)}-{_fmt(d.hi)}) contains none of its dates ({known or 'none'})"
            )
    for a in c.amounts:
        if not any(a.lo <= x <= a.hi for x in profile.numbers):
            known = ", ".join(_fmt(x) for x in sorted(set(profile.numbers))[:8]) or "none"
            false.append(
                f"number: {a.text!r} ({_fmt(a.lo)}-{_fmt(a.hi)}) contains none of its numbers ({known})"
            )
    if c.identity is not None:  # "The Drowned Lighthouse (film)" as the description of a city
        false.append(f"name: describes {entity!r} as another entity, {c.identity!r}")
    for n, rel in c.names:
        if n not in profile.linked:
            false.append(f"name: {n!r} is not linked to {entity!r} by any fact")
        elif rel and rel not in profile.relations.get(n, set()):
            said = "/".join(sorted(profile.relations.get(n, set()))) or "no stated relation"
            (false if profile.complete else unknown).append(f"name: says {rel} {n!r}; the facts say {said}")
    missing = [w for w in c.residual if not _lexical(w, profile)]
    if missing:
        unknown.append("words not in the evidence: " + ", ".join(repr(w) for w in missing))
    verdict = "false" if false else "undecided" if unknown else "true"
    return ClueVerdict(entity, description, verdict, false or unknown)


LITERAL = re.compile(
    r"(?:in |about |around |c\. ?|约)?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(年代|年|万|亿|s)?\s*([^\d\W]{0,20}(?: [^\d\W]+)?)"
)


def literal_profile(entity: str) -> Profile | None:
    """The profile of an entity that is a literal: a year ("1642", "1642年"), a decade ("1960s") or a
    number with its unit ("3,400 looms", "84 kilometres", "12万"). ``None`` for a name."""
    e = fold(entity).strip()
    m = LITERAL.fullmatch(e)
    if not m:
        return None
    raw, suffix, unit = m.group(1), m.group(2) or "", m.group(3) or ""
    value = float(raw.replace(",", ""))
    p = Profile(entity, names={e}, text=entity, complete=True)
    is_year = "," not in raw and 1000 <= value <= 2100 and not unit and suffix in ("", "年", "年代", "s")
    if is_year:
        span = 9 if suffix in ("s", "年代") else 0
        p.years, p.types = [(value, value + span)], {("date", None)}
    else:
        p.numbers = [value * {"万": 1e4, "亿": 1e8}.get(suffix, 1)]
        p.types = {("number", None)}
    return p
