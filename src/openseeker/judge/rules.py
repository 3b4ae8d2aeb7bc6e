"""The ``rules`` judge: decides what plain rules can decide, and says *undecided* for the rest.

It answers only where the gold answer is exact:

* **correct** when the committed answer equals the gold answer or an alias after normalization (Unicode
  NFKC, so full-width CJK letters, digits and punctuation fold to ASCII; accents, case, punctuation of any
  script, markup and English articles dropped), or when it states the gold quantity (numbers compared at
  the precision the answer gives, thousands separators, scale words such as ``million`` / ``万``, and
  units of length, mass, time and percent converted);
* **wrong** for an empty answer, a refusal that does not contain the gold answer, several hedged
  candidates (``Paris or Lyon``), a different number or quantity, or a short answer that shares no word
  (no character, in Chinese) with the gold answer or any alias and does not resemble it (so a
  transliteration variant stays undecided);
* **undecided** for everything else: paraphrases, partial answers, long prose. With a fallback LLM judge
  (``rules+binary``) those go to it; without one they count as unparsed.

Every verdict records ``method="rules"`` and the rule that fired (``details["rule"]``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from openseeker.judge.normalize import after_thinking, extract_answer
from openseeker.judge.verdict import Judge, Verdict

RULES_VERSION = "rules/v1"

_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_REFUSAL = re.compile(
    r"(?:\b(?:i|we)\s+(?:could|can|was|were|am|are)\s*(?:not|n't|unable)\b|\bunable to\b|\bno (?:answer|"
    r"information|result)s?\b|\b(?:not|never) (?:found|determin\w*|known|sure)\b|\bunknown\b|\bcannot\b|"
    r"\bdon'?t know\b|\bdo not know\b|\bnot (?:possible|available)\b|\bno idea\b|"
    r"无法|不知道|未找到|没有找到|找不到|不确定|未知|不清楚|没有答案|无从)"
)
_ALTERNATIVES = re.compile(r"\s+or\s+|\s*/\s*|\s*;\s*|或者|还是|或是|或|\s+vs\.?\s+|也可能是?")
_STOP = frozenset(
    "a an the of in on at to for and or is was were be by it its this that as with from which who what "
    "answer final i think believe".split()
)
_STOP_ZH = frozenset("的是了在和与或者也可能为答案")


def fold(text: str | None) -> str:
    """Normalize for comparison: NFKC, accents stripped, casefold, markup/punctuation/articles dropped,
    whitespace collapsed (and removed entirely between CJK characters)."""
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", text)
    s = re.sub(r"</?answer>", " ", s, flags=re.I)
    s = "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch))
    s = s.casefold()
    s = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in s)
    s = _ARTICLES.sub(" ", s)
    s = " ".join(s.split())
    # spaces between CJK characters carry no meaning
    return re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", s)


# ------------------------------------------------------------------------------------------ quantities
_DIGITS_ZH = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL_ZH = {"十": 10, "百": 100, "千": 1000}
_SCALE = {
    "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9,
    "万": 1e4, "亿": 1e8, "百万": 1e6, "千万": 1e7, "千": 1e3,
}  # fmt: skip
# unit -> (dimension, factor to the dimension's base unit)
_UNITS: dict[str, tuple[str, float]] = {
    **dict.fromkeys(["%", "percent", "per cent", "pct"], ("percent", 1.0)),
    **dict.fromkeys(["km", "kilometer", "kilometers", "kilometre", "kilometres", "公里", "千米"], ("length", 1000.0)),
    **dict.fromkeys(["m", "meter", "meters", "metre", "metres", "米"], ("length", 1.0)),
    **dict.fromkeys(["cm", "centimeter", "centimeters", "centimetre", "centimetres", "厘米"], ("length", 0.01)),
    **dict.fromkeys(["mm", "millimeter", "millimeters", "millimetre", "millimetres", "毫米"], ("length", 0.001)),
    **dict.fromkeys(["mile", "miles", "英里"], ("length", 1609.344)),
    **dict.fromkeys(["ft", "foot", "feet", "英尺"], ("length", 0.3048)),
    **dict.fromkeys(["kg", "kilogram", "kilograms", "公斤", "千克"], ("mass", 1000.0)),
    **dict.fromkeys(["g", "gram", "grams", "克"], ("mass", 1.0)),
    **dict.fromkeys(["tonne", "tonnes", "ton", "tons", "吨"], ("mass", 1e6)),
    **dict.fromkeys(["lb", "lbs", "pound", "pounds", "磅"], ("mass", 453.59237)),
    **dict.fromkeys(["year", "years", "yr", "yrs", "年"], ("year", 1.0)),
    **dict.fromkeys(["month", "months", "个月", "月"], ("month", 1.0)),
    **dict.fromkeys(["day", "days", "天", "日"], ("day", 1.0)),
    **dict.fromkeys(["hour", "hours", "hr", "hrs", "小时"], ("second", 3600.0)),
    **dict.fromkeys(["minute", "minutes", "min", "mins", "分钟"], ("second", 60.0)),
    **dict.fromkeys(["second", "seconds", "sec", "secs", "秒"], ("second", 1.0)),
    **dict.fromkeys(["people", "persons", "person", "人", "名"], ("count-people", 1.0)),
    **dict.fromkeys(["times", "次"], ("count-times", 1.0)),
    **dict.fromkeys(["$", "usd", "dollar", "dollars", "美元"], ("usd", 1.0)),
    **dict.fromkeys(["¥", "yuan", "rmb", "cny", "元", "人民币"], ("cny", 1.0)),
    **dict.fromkeys(["yen", "jpy", "日元"], ("jpy", 1.0)),
    **dict.fromkeys(["€", "eur", "euro", "euros", "欧元"], ("eur", 1.0)),
}
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_SCALE_ALT = "|".join(re.escape(s) for s in sorted(_SCALE, key=len, reverse=True))
_NUM = re.compile(
    # atomic: "1980s" is not 198 followed by something; a number never starts inside another
    rf"(?<![\d.,])(?P<pre>[$€¥])?\s*(?P<num>(?>[-+]?\d+(?:,\d{{3}})*(?:\.\d+)?)|[零〇一二两三四五六七八九十百千]+)"
    rf"\s*(?P<scale>{_SCALE_ALT})?(?![a-z])\s*(?P<unit>{_UNIT_ALT})?(?![a-z])",
    re.I,
)


@dataclass(frozen=True)
class Quantity:
    """A number in its dimension's base unit; ``step`` is the resolution it was stated at, in the same unit
    (``271.3`` has step 0.1; ``1.2 million`` has step 100,000; ``5 km`` has step 1,000 m)."""

    value: float
    dimension: str | None
    step: float


def _zh_number(text: str) -> float | None:
    if any(ch in _SMALL_ZH for ch in text):
        total, current = 0, 0
        for ch in text:
            if ch in _DIGITS_ZH:
                current = _DIGITS_ZH[ch]
            elif ch in _SMALL_ZH:
                total += (current or 1) * _SMALL_ZH[ch]
                current = 0
            else:
                return None
        return float(total + current)
    if all(ch in _DIGITS_ZH for ch in text):  # digit by digit, as in years: 一九八九
        return float("".join(str(_DIGITS_ZH[ch]) for ch in text))
    return None


def quantities(text: str) -> list[Quantity]:
    """Every number in ``text`` with its scale word and unit (Arabic or Chinese numerals)."""
    s = unicodedata.normalize("NFKC", text).casefold()
    out: list[Quantity] = []
    for m in _NUM.finditer(s):
        raw = m.group("num")
        if raw[0].isdigit() or raw[0] in "+-":
            value = float(raw.replace(",", ""))
            step = 10.0 ** -(len(raw.split(".", 1)[1]) if "." in raw else 0)
        else:
            zh = _zh_number(raw)
            if zh is None:
                continue
            value, step = zh, 1.0
        scale = _SCALE[m.group("scale")] if m.group("scale") else 1.0
        unit = m.group("unit") or m.group("pre")
        dim, factor = _UNITS[unit.lower()] if unit else (None, 1.0)
        out.append(Quantity(value * scale * factor, dim, step * scale * factor))
    return out


def _same_quantity(gold: Quantity, pred: Quantity) -> bool:
    """Same dimension (or one unstated) and equal at the prediction's precision: for a gold 271.35,
    ``271.3`` and ``271`` match and ``270`` does not."""
    if gold.dimension and pred.dimension and gold.dimension != pred.dimension:
        return False
    return abs(gold.value - pred.value) <= pred.step / 2 * (1 + 1e-9) + 1e-12


def _numeric_only(text: str) -> bool:
    """Whether ``text`` is essentially one quantity (digits, scale, unit, a few filler characters)."""
    rest = _NUM.sub(" ", unicodedata.normalize("NFKC", text).casefold())
    rest = re.sub(r"(?:about|approximately|around|roughly|exactly|circa|约|大约|左右|共)", " ", rest)
    return not re.search(r"[a-z\u3400-\u9fff]", rest)


# ------------------------------------------------------------------------------------------------ judge
def _tokens(folded: str) -> set[str]:
    if _CJK.search(folded):
        return {ch for ch in folded if _CJK.match(ch) and ch not in _STOP_ZH} | {
            w for w in folded.split() if not _CJK.search(w) and w not in _STOP
        }
    return {w for w in folded.split() if w not in _STOP}


def _initials(folded: str) -> str:
    return "".join(w[0] for w in folded.split() if w not in _STOP)


def _contains(hay: str, needle: str) -> bool:
    if not needle:
        return False
    if _CJK.search(needle):
        return needle in hay
    return re.search(rf"(?<![\w]){re.escape(needle)}(?![\w])", hay) is not None


def decide(candidate: str | None, response: str, golds: list[str]) -> tuple[bool | None, str]:
    """``(correct, rule)``: ``correct`` is ``None`` when no rule decides."""
    golds_f = [g for g in (fold(x) for x in golds) if g]
    cand = fold(candidate)
    visible = after_thinking(response or "")
    if not cand:
        if not fold(visible):
            return False, "empty"
        if _REFUSAL.search(visible.casefold()) and not any(_contains(fold(visible), g) for g in golds_f):
            return False, "refusal"
        return None, "no_answer_extracted"
    if cand in golds_f:
        return True, "normalized_match"
    has_gold = any(_contains(cand, g) for g in golds_f)
    if _REFUSAL.search((candidate or "").casefold()) and not has_gold:
        return False, "refusal"
    parts = [fold(p) for p in _ALTERNATIVES.split(candidate or "") if fold(p)]
    if len(parts) > 1:
        hits = [p for p in parts if p in golds_f or any(_contains(p, g) for g in golds_f)]
        if hits and len(hits) < len(parts):
            return False, "several_candidates"
    gold_q = [quantities(g) for g in golds if _numeric_only(g)]
    gold_q = [q for q in gold_q if len(q) == 1]
    if gold_q:
        pred_q = quantities(candidate or "")
        values = {(q.value, q.dimension) for q in pred_q}
        if len(values) == 1 and _numeric_only(candidate or ""):
            ok = any(_same_quantity(g[0], pred_q[0]) for g in gold_q)
            return ok, "quantity_match" if ok else "quantity_mismatch"
        if not pred_q and _numeric_only(candidate or ""):
            return False, "quantity_missing"
    if has_gold:
        return None, "contains_gold"
    short = len(cand.split()) <= 12 if not _CJK.search(cand) else len(cand) <= 30
    if short and golds_f:
        shared = any(_tokens(cand) & _tokens(g) for g in golds_f)
        similar = max(difflib.SequenceMatcher(None, cand, g).ratio() for g in golds_f)
        abbreviation = any(cand.replace(" ", "") == _initials(g) for g in golds_f)
        if not shared and similar < 0.6 and not abbreviation:
            return False, "disjoint"
    return None, "undecided"


class RulesJudge:
    """The rules judge (module docstring), optionally handing undecided items to an LLM judge.

    Args:
        fallback: the judge asked when no rule decides (``None``: the verdict is unparsed).
    """

    def __init__(self, fallback: Judge | None = None):
        self.fallback = fallback
        self.name = "rules" if fallback is None else f"rules+{getattr(fallback, 'name', 'llm')}"
        self.style = self.name

    @property
    def model_id(self) -> str:
        return "rules" if self.fallback is None else f"rules+{getattr(self.fallback, 'model_id', '?')}"

    @property
    def prompt_version(self) -> str:
        fb = getattr(self.fallback, "prompt_version", None)
        return RULES_VERSION if fb is None else f"{RULES_VERSION}+{fb}"

    @property
    def usage(self) -> Any:
        return getattr(self.fallback, "usage", None)

    async def judge(
        self, question: str, gold: str, response: str, *, aliases: list[str] | None = None
    ) -> Verdict:
        candidate = extract_answer(response)
        correct, rule = decide(candidate, response, [gold, *(aliases or [])])
        if correct is not None:
            return Verdict(
                correct,
                judge="rules",
                prompt_version=RULES_VERSION,
                extracted_answer=candidate,
                method="rules",
                attempts=0,
                details={"rule": rule},
            )
        if self.fallback is not None:
            v = await self.fallback.judge(question, gold, response, aliases=aliases)
            v.details = {**v.details, "rules": rule}
            return v
        return Verdict(
            None,
            judge="rules",
            prompt_version=RULES_VERSION,
            extracted_answer=candidate,
            method="rules",
            attempts=0,
            details={"rule": rule, "reason": "undecided by the rules and no calibrated LLM judge configured"},
        )
