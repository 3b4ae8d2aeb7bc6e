"""Reading a vague description into checkable claims: head type, date ranges, magnitudes, names, other words.

English and Chinese. Dates: decades with a part ("the late 1960s", "1960年代末"), centuries ("19th-century",
"十九世纪", "二十世纪六十年代"), years, before/after/between; a verb right before a date ("founded in",
"创建于") ties it to that kind of fact. Magnitudes: the words :func:`openseeker.synth.obfuscate.blur_number`
writes ("a few thousand", "几千") and numbers with a modifier ("about 120,000", "约12万"). The head noun is
the last type word of the first noun phrase in English ("a river town on the coast" -> town) and the last
type word of the first clause in Chinese, where modifiers come first ("一座由织工创建的古镇" -> 古镇).
See :mod:`openseeker.clues.rules` for how the claims are judged.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from openseeker.clues import vocab as V
from openseeker.records import Record

Interval = tuple[float, float]
INF = math.inf

_HAN = re.compile(r"[\u3400-\u9fff]")


def fold(text: str) -> str:
    """NFKC, lower case, one space between words (punctuation kept: it bounds noun phrases)."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def is_zh(text: str) -> bool:
    """Chinese text: Han characters make up a good part of it (a description may be one character, 几)."""
    han = len(_HAN.findall(text))
    return han > 0 and han >= 0.3 * len("".join(text.split()))


# --- dates --------------------------------------------------------------------------------------------

_ORD_WORDS = {
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
    "twenty-first": 21,
}  # fmt: skip
_PART = r"(?:(early|mid|late|first half of the|second half of the|turn of the)[\s-]*)?"
_DECADE_EN = re.compile(r"(?<![\w-])(?:the\s+)?" + _PART + r"([1-9]\d{1,2})0['’]?s(?!\w)")
_CENTURY_EN = re.compile(
    r"(?<![\w-])(?:the\s+)?" + _PART + r"(\d{1,2}(?:st|nd|rd|th)|" + "|".join(_ORD_WORDS) + r")[\s-]+century"
)
_YEAR_EN = re.compile(r"(?<![\d,.])(1\d{3}|20\d{2})(?![\d,]|['’]?s\b)")
_BETWEEN_EN = re.compile(r"between\s+(1\d{3}|20\d{2})\s+and\s+(1\d{3}|20\d{2})")
_BEFORE_EN = re.compile(r"(before|prior to|until|by|earlier than)\s+$")
_AFTER_EN = re.compile(r"(after|since|later than|from)\s+$")

_ZH_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")}
_ZH_PART = r"(初期|初叶|初|上半叶|前期|中期|中叶|下半叶|末期|末叶|末|后期)?"
DECADE_ZH = re.compile(r"([1-9]\d{1,2})0\s*年代" + _ZH_PART)
_CENTURY_ZH = re.compile(
    r"(\d{1,2}|[一二三四五六七八九十]{1,3})\s*世纪(?:([一二三四五六七八九])十年代)?" + _ZH_PART
)
YEAR_ZH = re.compile(r"(?<!\d)(\d{4})\s*年(?!代)(之前|以前|前|之后|以后|后)?")


def _zh_number(s: str) -> int:
    if s.isdigit():
        return int(s)
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + _ZH_DIGIT.get(s[1], 0)
    if "十" in s:
        tens, _, ones = s.partition("十")
        return 10 * _ZH_DIGIT.get(tens, 0) + (_ZH_DIGIT.get(ones, 0) if ones else 0)
    return _ZH_DIGIT.get(s, 0)


def _part(start: float, span: float, part: str | None) -> Interval:
    """The part of ``[start, start + span)`` a qualifier names, with generous overlaps at the edges."""
    p = (part or "").strip()
    if p in ("early", "初期", "初叶", "初", "前期"):
        return start, start + span * 0.4
    if p in ("mid", "中期", "中叶"):
        return start + span * 0.3, start + span * 0.75
    if p in ("late", "末期", "末叶", "末", "后期"):
        return start + span * 0.6, start + span - 1
    if p in ("first half of the", "上半叶"):
        return start, start + span * 0.55
    if p in ("second half of the", "下半叶"):
        return start + span * 0.45, start + span - 1
    if p == "turn of the":
        return start - 6, start + 6
    return start, start + span - 1


def _decade(d: int, part: str | None) -> Interval:
    """A decade and its part; "the 1800s" / "1800年代" may also mean the century, so both readings count."""
    lo, hi = _part(d, 10, part)
    if d % 100 == 0:
        c_lo, c_hi = _part(d, 100, part)
        lo, hi = min(lo, c_lo), max(hi, c_hi)
    return lo, hi


@dataclass
class DateClaim(Record):
    """A date range the description states; ``cue`` is the fact kind a preceding verb ties it to."""

    text: str
    lo: float
    hi: float
    cue: str | None = None
    start: int = 0
    end: int = 0


@dataclass
class AmountClaim(Record):
    """A magnitude the description states."""

    text: str
    lo: float
    hi: float


# --- magnitudes ---------------------------------------------------------------------------------------

_VAGUE_EN: list[tuple[str, float, float]] = [
    (r"hundreds of millions", 1e8, 1e9),
    (r"tens of millions", 1e7, 1e8),
    (r"hundreds of thousands", 1e5, 1e6),
    (r"tens of thousands", 1e4, 1e5),
    (r"(?:a few |several )?billions?", 1e9, INF),
    (r"(?:a few |several )million|millions", 1e6, 1e9),
    (r"(?:a few |several )thousand|thousands", 1e3, 1e4),
    (r"(?:a few |several )hundred|hundreds", 100, 1e3),
    (r"(?:several |a few )dozen|dozens", 10, 100),
    (r"a dozen", 10, 15),
    (r"a handful", 0, 10),
    (r"(?:a few |several )hundred thousand", 1e5, 1e6),
    (r"a hundred thousand", 6.7e4, 1.5e5),
    (r"a hundred", 67, 150),
    (r"a thousand", 670, 1500),
    (r"a million", 6.7e5, 1.5e6),
]
_VAGUE_EN_RE = [(re.compile(r"(?<!\w)(?:" + p + r")(?!\w)"), lo, hi) for p, lo, hi in _VAGUE_EN]
_MOD_EN = (
    r"(about|around|approximately|roughly|some|close to|nearly|almost|over|more than|above|at least|under|"
    r"fewer than|less than|below|up to)"
)
_NUM_EN = re.compile(
    r"(?:"
    + _MOD_EN
    + r"\s+)?(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(thousand|million|billion))?(?!\w)"
)
MULT = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "万": 1e4, "亿": 1e8, "千": 1e3, "百": 100}
# Chinese vague counts: a prefix (几 "a few", 十几 "a dozen or so", 几十 "dozens"...) times a unit
_ZH_PREFIX: dict[str, Interval] = {
    "十几": (11, 20), "几十": (10, 100), "数十": (10, 100), "几百": (100, 1e3), "数百": (100, 1e3),
    "几千": (1e3, 1e4), "数千": (1e3, 1e4), "几": (1, 10), "数": (1, 10),
}  # fmt: skip
_ZH_UNIT = {"十万": 1e5, "百万": 1e6, "千万": 1e7, "十": 10, "百": 100, "千": 1e3, "万": 1e4, "亿": 1e8}
_VAGUE_ZH_RE = re.compile(
    r"(十几|几十|数十|几百|数百|几千|数千|几|数)(十万|百万|千万|十|百|千|万|亿)?(?![乎何])"
)
_OTHER_ZH = [
    (re.compile(r"成千上万"), 1e3, 1e5),
    (re.compile(r"上千"), 1e3, 1e4),
    (re.compile(r"上万"), 1e4, 1e5),
]


def _vague_zh(prefix: str, unit: str | None) -> Interval | None:
    if unit is None:
        return (0, 10) if prefix == "几" else _ZH_PREFIX[prefix] if prefix != "数" else None
    if (prefix in ("几", "数") and unit == "百万") or (prefix in ("几百", "数百") and unit == "万"):
        return 1e6, 1e8  # as blur_number writes 数百万 for 1e6..1e8
    if prefix in ("几", "数") and unit == "亿":
        return 1e8, INF
    lo, hi = _ZH_PREFIX[prefix]
    return lo * _ZH_UNIT[unit], hi * _ZH_UNIT[unit]


_MOD_ZH = r"(约|大约|近|将近|超过|逾|不到|少于|多于)?"
_NUM_ZH = re.compile(_MOD_ZH + r"(?<![\d.])(\d+(?:\.\d+)?)\s*(万|亿)?(?!\s*(?:年|\d))")


def _modified(n: float, mod: str | None) -> Interval:
    m = (mod or "").strip()
    if m in ("about", "around", "approximately", "roughly", "some", "close to", "约", "大约"):
        return n / 1.5, n * 1.5
    if m in ("nearly", "almost", "近", "将近"):
        return n * 0.7, n
    if m in ("over", "more than", "above", "at least", "超过", "逾", "多于"):
        return n, INF
    if m in ("under", "fewer than", "less than", "below", "up to", "不到", "少于"):
        return 0, n
    return n * 0.98, n * 1.02


# --- reading a description ----------------------------------------------------------------------------


@dataclass
class TypeClaim(Record):
    """The head noun: what the description says the entity is."""

    word: str
    coarse: str
    fine: str | None
    family: str | None = None
    alternatives: list[TypeClaim] = field(default_factory=list)  # "a town or village": either will do


@dataclass
class Claims(Record):
    """Everything a description says, as checkable parts."""

    head: TypeClaim | None = None
    dates: list[DateClaim] = field(default_factory=list)
    amounts: list[AmountClaim] = field(default_factory=list)
    names: list[tuple[str, str | None]] = field(default_factory=list)
    residual: list[str] = field(default_factory=list)
    also: list[TypeClaim] = field(default_factory=list)
    """further heads in apposition, each a claim too ("a 19th-century chemist, a publisher")"""
    identity: str | None = None
    """another entity's name the description *is* ("The Drowned Lighthouse (film)" for a city)"""


class _Marked:
    """A folded text with consumed character spans (a span is read by one rule only)."""

    def __init__(self, text: str):
        self.text = text
        self.used = [False] * len(text)

    def free(self, a: int, b: int) -> bool:
        return not any(self.used[a:b])

    def take(self, a: int, b: int) -> None:
        for i in range(a, b):
            self.used[i] = True

    def rest(self) -> str:
        return "".join(" " if u else c for c, u in zip(self.text, self.used, strict=True))


def _verbs(words: tuple[str, ...]) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


_CUE_BEFORE_EN = [
    (
        k,
        re.compile(
            r"(?<!\w)"
            + _verbs(vs)
            + r"(?:\s+(?:in|during|around|about|circa|c\.|by|before|after))?(?:\s+the)?\s*$"
        ),
    )
    for k, vs in V.CUES_EN.items()
]
_CUE_BEFORE_ZH = [(k, re.compile(_verbs(vs) + r"(?:于|在)?\s*$")) for k, vs in V.CUES_ZH.items()]
_CUE_AFTER_ZH = [(k, re.compile(r"\s*" + _verbs(vs))) for k, vs in V.CUES_ZH.items()]


def _cue_before(text: str, start: int, zh: bool) -> str | None:
    """The fact kind of a verb right before a date ("founded in the 1640s", "创建于1642年")."""
    before = text[max(0, start - 30) : start]
    return next((k for k, rx in (_CUE_BEFORE_ZH if zh else _CUE_BEFORE_EN) if rx.search(before)), None)


def _cue_after_zh(text: str, end: int) -> str | None:
    """The fact kind of a verb right after a date, as Chinese puts it ("1611年生于")."""
    return next((k for k, rx in _CUE_AFTER_ZH if rx.match(text, end)), None)


def _dates(m: _Marked, zh: bool) -> list[DateClaim]:
    out: list[DateClaim] = []
    t = m.text

    def add(a: int, b: int, lo: float, hi: float) -> None:
        if not m.free(a, b):
            return
        prefix = t[max(0, a - 20) : a]
        if not zh:
            if mb := _BEFORE_EN.search(prefix):
                lo, a = -INF, a - len(mb.group(0))
            elif ma := _AFTER_EN.search(prefix):
                hi, a = INF, a - len(ma.group(0))
        cue = _cue_before(t, a, zh) or (_cue_after_zh(t, b) if zh else None)
        out.append(DateClaim(t[a:b].strip(), lo, hi, cue, a, b))
        m.take(a, b)

    if zh:
        for x in _CENTURY_ZH.finditer(t):
            c = _zh_number(x.group(1))
            start = 100 * (c - 1)
            if x.group(2):
                lo, hi = _part(start + 10 * _ZH_DIGIT[x.group(2)], 10, x.group(3))
            else:
                lo, hi = _part(start, 100, x.group(3))
            add(x.start(), x.end(), lo, hi)
        for x in DECADE_ZH.finditer(t):
            add(x.start(), x.end(), *_decade(int(x.group(1)) * 10, x.group(2)))
        for x in YEAR_ZH.finditer(t):
            y, rel = int(x.group(1)), x.group(2) or ""
            lo, hi = (-INF, y) if rel in ("之前", "以前", "前") else (y, INF) if rel else (y, y)
            add(x.start(), x.end(), lo, hi)
        return out
    for x in _BETWEEN_EN.finditer(t):
        add(x.start(), x.end(), int(x.group(1)), int(x.group(2)))
    for x in _CENTURY_EN.finditer(t):
        word = x.group(2)
        c = _ORD_WORDS.get(word) or int(re.sub(r"\D", "", word))
        add(x.start(), x.end(), *_part(100 * (c - 1), 101, x.group(1)))
    for x in _DECADE_EN.finditer(t):
        add(x.start(), x.end(), *_decade(int(x.group(2)) * 10, x.group(1)))
    for x in _YEAR_EN.finditer(t):
        y = int(x.group(1))
        add(x.start(), x.end(), y, y)
    return out


def _amounts(m: _Marked, zh: bool) -> list[AmountClaim]:
    out: list[AmountClaim] = []
    t = m.text

    def add(a: int, b: int, lo: float, hi: float) -> None:
        if m.free(a, b):
            out.append(AmountClaim(t[a:b].strip(), lo, hi))
            m.take(a, b)

    if zh:
        for rx, lo, hi in _OTHER_ZH:
            for x in rx.finditer(t):
                add(x.start(), x.end(), lo, hi)
        for x in _VAGUE_ZH_RE.finditer(t):
            if (iv := _vague_zh(x.group(1), x.group(2))) is not None:
                add(x.start(), x.end(), *iv)
        for x in _NUM_ZH.finditer(t):
            n = float(x.group(2)) * MULT.get(x.group(3) or "", 1)
            add(x.start(), x.end(), *_modified(n, x.group(1)))
        return out
    for rx, lo, hi in _VAGUE_EN_RE:
        for x in rx.finditer(t):
            add(x.start(), x.end(), lo, hi)
    for x in _NUM_EN.finditer(t):
        n = float(x.group(2).replace(",", "")) * MULT.get(x.group(3) or "", 1)
        add(x.start(), x.end(), *_modified(n, x.group(1)))
    return out


def _names(
    m: _Marked, names: Iterable[str], zh: bool, spans: list[tuple[int, int, str]] | None = None
) -> list[tuple[str, str | None]]:
    """Names found in the text, each with the relation its verb states (``None`` without a verb); their
    spans are appended to ``spans``."""
    found: dict[str, str | None] = {}
    for n in sorted({fold(x) for x in names if x and x.strip()}, key=len, reverse=True):
        if len(n) < (2 if is_zh(n) else 3):
            continue
        rx = re.escape(n) if is_zh(n) else r"(?<!\w)" + re.escape(n) + r"(?!\w)"
        for x in re.finditer(rx, m.text):
            if m.free(x.start(), x.end()):
                m.take(x.start(), x.end())
                if spans is not None:
                    spans.append((x.start(), x.end(), n))
                rel = relation_before(m.text[: x.start()])
                if n not in found or (rel and not found[n]):
                    found[n] = rel
    return list(found.items())


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_REL_BEFORE_EN = [
    (
        rel,
        re.compile(
            r"(?<!\w)(?:"
            + _alternation(ws)
            + r")(?:\s+(?:in|at|by|from|under|for|to|with|of|on))?(?:\s+the)?\s*$"
        ),
    )
    for rel, ws in V.RELATIONS_EN.items()
]
_REL_BEFORE_ZH = [
    (rel, re.compile("(?:" + _alternation(ws) + r")(?:于|在|了)?\s*$")) for rel, ws in V.RELATIONS_ZH.items()
]
_REL_IN_EN = [
    (rel, re.compile(r"(?<!\w)(?:" + _alternation(ws) + r")(?!\w)")) for rel, ws in V.RELATIONS_EN.items()
]
_REL_IN_ZH = [(rel, re.compile(_alternation(ws))) for rel, ws in V.RELATIONS_ZH.items()]


def relation_before(text: str) -> str | None:
    """The relation a verb right before a name states ("born in X" -> born, "毕业于X" -> studied)."""
    tail = text[-30:]
    zh = is_zh(tail) or re.search(r"[\u3400-\u9fff]\s*$", tail)
    return next((rel for rel, rx in (_REL_BEFORE_ZH if zh else _REL_BEFORE_EN) if rx.search(tail)), None)


def relations_in(text: str) -> set[str]:
    """The relations the verbs of an evidence sentence state."""
    t = fold(text)
    return {rel for rel, rx in (_REL_IN_ZH if is_zh(t) else _REL_IN_EN) if rx.search(t)}


TOKEN = re.compile(r"[\w]+(?:[-'’][\w]+)*|[^\w\s]")
# Tokens that end the noun phrase a head noun is read from.
BREAK_EN = frozenset(
    """in of on at by for with from to into near that which who whom whose where when while and or but as
    born founded located situated known set held built established named called based whose than under
    over between during after before since""".split()
)


def stem(w: str) -> str:
    w = w.lower().replace("’", "'")
    w = re.sub(r"'s$", "", w)
    for suf, rep in (("ies", "y"), ("ing", ""), ("ers", ""), ("er", ""), ("ed", ""), ("es", ""), ("s", "")):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            return w[: len(w) - len(suf)] + rep
    return w


def type_of_word(w: str) -> V.TypeClass | None:
    w = w.lower()
    if w in V.TYPES_EN:
        return V.TYPES_EN[w]
    for cand in (re.sub(r"ies$", "y", w), re.sub(r"es$", "", w), re.sub(r"s$", "", w)):
        if cand != w and cand in V.TYPES_EN:
            return V.TYPES_EN[cand]
    return None


def singular(w: str) -> str:
    for cand in (w, re.sub(r"ies$", "y", w), re.sub(r"es$", "", w), re.sub(r"s$", "", w)):
        if cand in V.TYPES_EN:
            return cand
    return w


def head_en(tokens: list[str]) -> tuple[int, int] | None:
    """Index range of the head type word in English tokens: the last type word of the first noun phrase
    that contains one ("a river town on the coast" -> town; "a company that printed books" -> company)."""
    i, n = 0, len(tokens)
    while i < n:
        span = type_span(tokens, i)
        if span and not (span[1] < n and tokens[span[1]] in ("'s", "’s", "'", "’")):
            last = span
            j = span[1]
            while j < n and tokens[j] not in BREAK_EN and re.match(r"\w", tokens[j]):
                s2 = type_span(tokens, j)
                if s2:
                    if s2[1] < n and tokens[s2[1]] in ("'s", "’s"):
                        break
                    last = s2
                    j = s2[1]
                else:
                    j += 1
            return last
        i += 1
    return None


def type_span(tokens: list[str], i: int) -> tuple[int, int] | None:
    if i + 2 < len(tokens) and f"{tokens[i]} {tokens[i + 1]} {tokens[i + 2]}" in V.TYPES_EN:
        return i, i + 3
    if i + 1 < len(tokens) and f"{tokens[i]} {tokens[i + 1]}" in V.TYPES_EN:
        return i, i + 2
    if type_of_word(tokens[i]):
        return i, i + 1
    return None


def _zh_index() -> dict[str, list[tuple[str, str]]]:
    words = [(w, "type") for w in V.TYPES_ZH] + [(w, "stop") for w in V.STOP_ZH]
    words += [(w, "block") for w in V.BLOCKERS_ZH]
    index: dict[str, list[tuple[str, str]]] = {}
    for w, kind in sorted(words, key=lambda x: -len(x[0])):  # longest first
        index.setdefault(w[0], []).append((w, kind))
    return index


_ZH_INDEX = _zh_index()


def zh_scan(text: str) -> list[tuple[int, int, str]]:
    """Longest-match scan of Chinese text: ``(start, end, kind)`` with kind ``type``, ``stop`` or ``block``."""
    out, i = [], 0
    while i < len(text):
        for w, kind in _ZH_INDEX.get(text[i], ()):
            if text.startswith(w, i):
                # a one-character type word (国, 城, 河) names a type only as a head, at the end of a
                # phrase ("一座古老的城"); inside a word it is part of a name ("法国化学家")
                nxt = text[i + 1 : i + 2]
                if kind == "type" and len(w) == 1 and nxt and nxt not in "的，,；;。 ":
                    continue
                out.append((i, i + len(w), kind))
                i += len(w)
                break
        else:
            i += 1
    return out


def _type_claim(word: str, zh: bool) -> TypeClaim:
    if zh:
        coarse, fine = V.TYPES_ZH[word]
        return TypeClaim(word, coarse, fine, V.OCCUPATIONS_ZH.get(word))
    w = singular(word) if " " not in word else word
    coarse, fine = V.TYPES_EN[w]
    return TypeClaim(w, coarse, fine, V.OCCUPATIONS_EN.get(w))


def _segments(tokens: list[str], start: int) -> list[list[str]]:
    """The comma-separated segments of ``tokens`` after index ``start`` (as lists of tokens)."""
    segs: list[list[str]] = []
    cur: list[str] | None = None
    for t in tokens[start:]:
        if t in (",", ";"):
            if cur:
                segs.append(cur)
            cur = []
        elif cur is not None:
            cur.append(t)
    if cur:
        segs.append(cur)
    return segs


def _seg_index(tokens: list[str], seg: list[str]) -> list[tuple[int, str]]:
    """The indexes of a segment's tokens in ``tokens`` (its first occurrence)."""
    for i in range(len(tokens) - len(seg) + 1):
        if tokens[i : i + len(seg)] == seg:
            return [(i + k, t) for k, t in enumerate(seg)]
    return []


_LEAD_EN = re.compile(r"^(?:(?:a|an|the|one|some|this|that)\s+)*")
_AUX_EN = frozenset(
    "is was were are be been being has had have having did does do will would can could".split()
)


def _after_own_copula(text: str, own: Iterable[str], zh: bool) -> str:
    """The description without a leading "<its own name> is/was" ("Iskora is a city in ..." claims that
    Iskora is a city; the name itself is a leak the obfuscation step rejects)."""
    for n in sorted({fold(x) for x in own if x and x.strip()}, key=len, reverse=True):
        if zh:
            if text.startswith(n) and text[len(n) : len(n) + 1] in ("是", "为"):
                return text[len(n) + 1 :]
        elif m := re.match(
            re.escape(n) + r"(?:\s*\([^)]*\))?\s*,?\s+(?:is|was|are|were|remains|became)\s+", text
        ):
            return text[m.end() :]
    return text


def _attach(
    names: list[tuple[str, str | None]], spans: list[tuple[int, int, str]], types_at: list[int]
) -> list[tuple[str, str | None]]:
    """Keep a name's verb only when the verb is the described entity's: no other name and no other type
    word stands before it ("a weaver born in X"; not "a painter's city, where Y was born in X")."""
    out = []
    for n, rel in names:
        start = min((a for a, _b, x in spans if x == n), default=0)
        before_other = any(a < start for a, _b, x in spans if x != n) or any(a < start for a in types_at)
        out.append((n, None if before_other else rel))
    return out


def _identity(text: str, spans: list[tuple[int, int, str]], zh: bool) -> str | None:
    """The name a description consists of: a name at its start with nothing but a disambiguator or an
    apposition after it ("The Drowned Lighthouse (film)", "Kesport, a port"), or, in Chinese, the whole."""
    for a, b, n in spans:
        if zh:
            rest = re.sub(r"[\s\W]|一个|某个|一座|一家|一位", "", text[:a] + text[b:])
            if not rest:
                return n
            continue
        lead = _LEAD_EN.match(text)
        if a == (lead.end() if lead else 0) and re.match(r"\s*(?:$|\(|,|;|:)", text[b:]):
            return n
    return None


def parse(description: str, *, names: Iterable[str] = (), own: Iterable[str] = ()) -> Claims:
    """Read a description into claims (see the module docstring).

    Args:
        description: the vague description.
        names: entity names it may mention (other chain entities, page titles).
        own: the described entity's own names (removed, not claims).
    """
    zh = is_zh(description)
    text = _after_own_copula(fold(description), own, zh)
    m = _Marked(text)
    _names(m, own, zh)
    claims = Claims()
    spans: list[tuple[int, int, str]] = []
    claims.names = _names(m, names, zh, spans)
    claims.dates = _dates(m, zh)
    claims.amounts = _amounts(m, zh)
    rest = m.rest()
    claims.identity = _identity(m.text, spans, zh)
    first_name = min((a for a, _b, _n in spans), default=len(rest))
    if zh:
        clause_end = min([i for i in (rest.find(c) for c in "，,；;。") if i >= 0] or [len(rest)])
        scan = zh_scan(rest)
        heads = [s for s in scan if s[2] == "type" and s[1] <= clause_end]
        head = heads[-1] if heads else None
        alts = []
        if head:  # "城市或城镇": either will do
            k = len(heads) - 1
            while k > 0 and rest[heads[k - 1][1] : heads[k][0]].strip() in ("或", "或者", "或是"):
                alts.append(heads[k - 1])
                k -= 1
            claims.head = _type_claim(rest[head[0] : head[1]], zh)
            claims.head.alternatives = [_type_claim(rest[a:b], zh) for a, b, _k in alts]
            for d in claims.dates:  # as in English, with the head after its modifiers
                lo, hi = (d.end, head[0]) if d.end <= head[0] else (head[1], d.start)
                if d.cue and any(k == "type" and lo <= a < hi for a, _b, k in scan):
                    d.cue = None
        types_at = [a for a, _b, k in scan if k == "type" and (head is None or a != head[0])]
        claims.names = _attach(claims.names, spans, types_at)
        # the leftover text in pieces: cut at every recognised word; a secondary type word ("河流" in
        # "河流旁的古镇") is a piece of its own, looked up like the rest
        pieces, last = [], 0
        for a, b, kind in scan:
            pieces.append(rest[last:a])
            if kind == "block" or (
                kind == "type" and (a, b) != (head[:2] if head else None) and (a, b, kind) not in alts
            ):
                pieces.append(rest[a:b])
            last = b
        pieces.append(rest[last:])
        claims.residual = [x for p in pieces for x in re.split(r"[\s\W\d]+", p) if len(x) >= 2]
        return claims
    found = list(TOKEN.finditer(rest))
    tokens = [x.group(0) for x in found]
    h = head_en(tokens)
    if h and (found[h[0]].start() > first_name or any(t in BREAK_EN or t in _AUX_EN for t in tokens[: h[0]])):
        h = None  # a sentence ("X was born in Y and wrote the treatise Z"), not a noun phrase: no head
    types_at = [x.start() for i, x in enumerate(found) if type_of_word(x.group(0)) and not (h and i == h[0])]
    claims.names = _attach(claims.names, spans, types_at)
    alt: set[int] = set()
    if h:
        claims.head = _type_claim(" ".join(tokens[h[0] : h[1]]), zh)
        j = h[1]
        while j + 1 < len(tokens) and tokens[j] == "or" and (s2 := type_span(tokens, j + 1)):
            claims.head.alternatives.append(_type_claim(" ".join(tokens[s2[0] : s2[1]]), zh))
            alt |= set(range(j, s2[1]))
            j = s2[1]
        # a verb-tied date qualifies the head only when no other type word stands between them
        # ("a town founded in the 1640s"; not "the birthplace of a painter born in the 1820s")
        head_end = found[h[1] - 1].end()
        for d in claims.dates:
            between = [x.group(0) for x in found if head_end <= x.start() < d.start]
            if d.cue and any(type_of_word(w) for w in between):
                d.cue = None
    if h:  # appositions: ", a publisher", ", person" (a segment that is nothing but a type phrase)
        for seg in _segments(tokens, h[1]):
            inner = [t for t in seg if t not in ("a", "an", "the")]
            s2 = type_span(inner, len(inner) - 1) if inner else None
            if (
                s2
                and s2[0] == len(inner) - 1
                and all(not type_of_word(t) and t not in BREAK_EN for t in inner[:-1])
            ):
                claims.also.append(_type_claim(inner[-1], zh))
                alt |= {i for i, _t in _seg_index(tokens, seg)}
    for i, tok in enumerate(tokens):
        if (h and h[0] <= i < h[1]) or i in alt:
            continue
        for part in re.split(r"[-'’]", tok):
            if (
                part
                and part not in V.STOP_EN
                and part != "s"
                and not part.isdigit()
                and re.match(r"\w", part)
            ):
                claims.residual.append(part)
    return claims
