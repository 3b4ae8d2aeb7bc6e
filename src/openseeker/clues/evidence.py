"""Reading evidence: what grounded sentences say an entity is, and the dates and numbers they state.

These build the :class:`~openseeker.clues.rules.Profile` of an entity from the QA record's grounded facts
(:mod:`openseeker.synth.clue_check`). Types come from the copula ("Alderbrook is a market town",
"青石镇是…一座古镇"), apposition ("the weaver Marta Venn", "织工林秀"), a few relations ("born in X" makes
X a place, "studied at X" a university) and the name's own head word ("Yarridge Press", "南岭铁路").
"""

from __future__ import annotations

import re
import unicodedata

from openseeker.clues import vocab as V
from openseeker.clues.parse import (
    BREAK_EN,
    DECADE_ZH,
    MULT,
    TOKEN,
    YEAR_ZH,
    Interval,
    fold,
    head_en,
    is_zh,
    singular,
    type_of_word,
    zh_scan,
)

_EV_YEAR_EN = re.compile(r"(?<![\d,.])(1\d{3}|20\d{2})(s)?(?![\d,])")
_EV_NUM_EN = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(thousand|million|billion))?(?!\w)"
)
_EV_NUM_ZH = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(万|亿|千|百)?(?!\s*(?:年|\d))")


def years_in(text: str) -> list[Interval]:
    """Years (and decades) stated in an evidence text."""
    t = fold(text)
    out: list[Interval] = []
    if is_zh(t):
        for x in DECADE_ZH.finditer(t):
            d = int(x.group(1)) * 10
            out.append((d, d + 9))
        out += [(int(x.group(1)), int(x.group(1))) for x in YEAR_ZH.finditer(t)]
        return out
    for x in _EV_YEAR_EN.finditer(t):
        y = int(x.group(1))
        out.append((y, y + (9 if y % 100 else 99)) if x.group(2) else (y, y))
    return out


def numbers_in(text: str) -> list[float]:
    """Counts and measures stated in an evidence text (years left out)."""
    t = fold(text)
    out: list[float] = []
    if is_zh(t):
        for x in _EV_NUM_ZH.finditer(t):
            out.append(float(x.group(1)) * MULT.get(x.group(2) or "", 1))
        return out
    for x in _EV_NUM_EN.finditer(t):
        raw = x.group(1)
        if re.fullmatch(r"(1\d{3}|20\d{2})", raw) and not re.match(r"\s+[a-z]+s\b", t[x.end() :]):
            continue  # a year, unless a plural noun follows ("1500 students")
        out.append(float(raw.replace(",", "")) * MULT.get(x.group(2) or "", 1))
    return out


_CUE_EN = [
    (k, re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, vs)) + r")(?!\w)")) for k, vs in V.CUES_EN.items()
]
_CUE_ZH = [(k, re.compile("|".join(map(re.escape, vs)))) for k, vs in V.CUES_ZH.items()]


def cue_years_in(text: str) -> dict[str, list[Interval]]:
    """Years tied to a fact kind by a verb in an evidence text ("founded in 1642", "1611年生于")."""
    t = fold(text)
    out: dict[str, list[Interval]] = {}
    zh = is_zh(t)
    if not re.search(r"\d{3}", t):
        return out
    for kind, rx in _CUE_ZH if zh else _CUE_EN:
        for x in rx.finditer(t):
            if zh:  # a year right before or after the verb, within its clause
                left = re.split(r"[，。；;)）]", t[max(0, x.start() - 8) : x.start()])[-1]
                window = left + " " + re.split(r"[，。；;(（]", t[x.end() : x.end() + 10])[0]
            else:
                window = " ".join(re.split(r"[.;:!?]", t[x.end() : x.end() + 60])[0].split()[:6])
            for y in years_in(window):
                out.setdefault(kind, []).append(y)
    return out


_NAME_HEADS_EN = {
    "university", "college", "institute", "academy", "school", "museum", "gallery", "library", "press",
    "publishers", "company", "railway", "bank", "society", "association", "guild", "club", "orchestra",
    "philharmonic", "ensemble", "choir", "expedition", "congress", "conference", "exhibition", "treaty",
    "festival", "strike", "war", "battle", "river", "lake", "hills", "mountains", "symphony", "opera",
    "film", "novel",
}  # fmt: skip
_NAME_HEADS_ZH = ("大学", "学院", "学堂", "公司", "铁路", "学会", "协会", "博物馆", "乐团", "书局", "出版社", "交响曲",
                  "考察", "大会", "博览会", "条约", "罢工", "艺术节", "音乐节", "诗歌节", "戏剧节", "电影节")  # fmt: skip


def name_type(name: str) -> V.TypeClass | None:
    """A type read from a name's own head word ("Yarridge Press", "College of Belhaven", "南岭铁路")."""
    t = fold(name)
    if is_zh(t):
        for suf in sorted(_NAME_HEADS_ZH, key=len, reverse=True):
            if t.endswith(suf):
                if suf == "铁路":
                    return ("org", "company")
                if suf.endswith("节"):
                    return ("event", "festival")
                return V.TYPES_ZH.get(suf)
        return None
    t = re.sub(r"\s*\(([^)]*)\)\s*$", lambda x: " " + x.group(1), t)  # "Silent Harbour (film)"
    words = re.findall(r"[a-z]+", t.split(" of ")[0]) if " of " in t else re.findall(r"[a-z]+", t)
    first = re.findall(r"[a-z]+", t)
    for w in [words[-1] if words else "", first[0] if first else ""]:
        if w in _NAME_HEADS_EN:
            return ("org", "publisher") if w == "publishers" else type_of_word(w)
    return None


_PLACE_VERBS = r"(?:born|died|lived|located|situated|held|set|headquartered|based|settled|grew up|raised)"
# (text right before the name, text right after it, the type): "born in X" makes X a place
_REL_TYPES_EN: list[tuple[re.Pattern[str] | None, re.Pattern[str] | None, V.TypeClass]] = [
    (re.compile(_PLACE_VERBS + r"(?:\s+in\s+\d{4})?\s+in\s+(?:the\s+(?:city|town|village)\s+of\s+)?$"), None, ("place", None)),
    (re.compile(r"(?:city|town|village|port|kingdom|republic|county|province|region|island)\s+of\s+$"), None, ("place", None)),
    (re.compile(r"capital\s+of\s+$"), None, ("place", "country")),
    (re.compile(r"(?:(?:studied|educated|taught|enrolled|lectured)\s+at|graduated\s+from)\s+(?:the\s+)?$"), None,
     ("org", "university")),
    (re.compile(r"(?:(?:published|employed)\s+by|worked\s+(?:for|at))\s+(?:the\s+)?$"), None, ("org", None)),
    (re.compile(r"(?:written|painted|composed|directed|authored)\s+by\s+$"), None, ("person", None)),
    (re.compile(r"(?:participated|took part)\s+in\s+(?:the\s+)?$"), None, ("event", None)),
    (None, re.compile(r"(?:\s*\([^)]*\))?\s+(?:was|were)\s+born"), ("person", None)),
]  # fmt: skip
_REL_TYPES_ZH: list[tuple[re.Pattern[str] | None, re.Pattern[str] | None, V.TypeClass]] = [
    (re.compile(r"(?:生于|出生于|出生在|位于|坐落于|定居于|来自|迁居)$"), None, ("place", None)),
    (re.compile(r"在$"), re.compile(r"(?:举行|召开|举办|签订|签署)"), ("place", None)),
    (re.compile(r"(?:毕业于|就读于|求学于|执教于|任教于)$"), None, ("org", "university")),
    (re.compile(r"由$"), re.compile(r"出版"), ("org", None)),
    (re.compile(r"(?:参加|参与)了?$"), None, ("event", None)),
]
_COPULA_EN = re.compile(
    r"(?:\s*\([^)]*\))?\s*,?\s+(?:is|was|are|were|remains|remained|became)\s+(?:(?:a|an|the|one of the)\s+)?"
)
_COPULA_ZH = re.compile(r"(?:（[^）]*）|\([^)]*\))?(?:是|为|乃)([^，,。；;]*)")
_ZH_TYPE_WORDS = sorted((w for w in V.TYPES_ZH if len(w) >= 2), key=len, reverse=True)


def _occurrences(t: str, n: str, zh: bool) -> list[tuple[int, int]]:
    out, i = [], t.find(n)
    while i >= 0:
        j = i + len(n)
        if zh or ((i == 0 or not t[i - 1].isalnum()) and (j == len(t) or not t[j].isalnum())):
            out.append((i, j))
        i = t.find(n, i + 1)
    return out


_ARTICLES = {"The", "A", "An", "In", "On", "At", "By", "From", "Of", "For", "With", "After", "Before"}


def _mask_embedded(text: str, folded: str, n: str) -> str:
    """``folded`` with the occurrences of ``n`` that are part of a longer name masked: "Belport" in
    "the Treaty of Belport" or "Belport Congress of Botany" says nothing about the town Belport."""
    cased = " ".join(unicodedata.normalize("NFKC", text).split())
    if len(cased) != len(folded):  # lower() changed a length: no safe alignment, keep everything
        return folded
    out = list(folded)
    for x in re.finditer(r"(?<!\w)" + re.escape(n) + r"(?!\w)", folded):
        before = re.search(
            r"([A-Z][\w'’-]*)\s+(of\s+(?:the\s+)?)?$", cased[max(0, x.start() - 40) : x.start()]
        )
        after = re.match(r"\s+[A-Z]", cased[x.end() : x.end() + 3])
        if (before and (before.group(2) or before.group(1) not in _ARTICLES)) or after:
            out[x.start() : x.end()] = "#" * (x.end() - x.start())
    return "".join(out)


def types_in(text: str, name: str) -> tuple[set[V.TypeClass], set[str]]:
    """What an evidence text says ``name`` is: type classes and occupation words."""
    t, n = fold(text), fold(name)
    types: set[V.TypeClass] = set()
    occ: set[str] = set()
    if not n or n not in t:
        return types, occ
    zh = is_zh(t)
    if not zh:
        t = _mask_embedded(text, t, n)
    for a, b in _occurrences(t, n, zh):
        before, after = t[max(0, a - 60) : a], t[b : b + 40]
        for rx_before, rx_after, ty in _REL_TYPES_ZH if zh else _REL_TYPES_EN:
            if (rx_before is None or rx_before.search(before)) and (
                rx_after is None or rx_after.match(after)
            ):
                types.add(ty)
        if zh:
            if m := _COPULA_ZH.match(t, b):  # 青石镇是…一座古镇: the clause's last type word
                heads = [x for x in zh_scan(m.group(1)) if x[2] == "type"]
                if heads:
                    w = m.group(1)[heads[-1][0] : heads[-1][1]]
                    types.add(V.TYPES_ZH[w])
                    occ |= {w} & V.OCCUPATIONS_ZH.keys()
            w = next((w for w in _ZH_TYPE_WORDS if before.endswith(w)), None)  # apposition: 织工林秀
            if w:
                types.add(V.TYPES_ZH[w])
                occ |= {w} & V.OCCUPATIONS_ZH.keys()
            continue
        if m := _COPULA_EN.match(t, b):  # "Alderbrook is a market town"
            toks = TOKEN.findall(t[m.end() : m.end() + 120])[:8]
            h = head_en(toks)
            if h and all(tok not in BREAK_EN and re.match(r"\w", tok) for tok in toks[: h[0]]):
                w = singular(" ".join(toks[h[0] : h[1]]))
                types.add(V.TYPES_EN[w])
                occ |= {w} & V.OCCUPATIONS_EN.keys()
        toks = TOKEN.findall(before[-40:])  # apposition: "the weaver Marta Venn", "the publishing house X"
        for k in (3, 2, 1):
            w = " ".join(toks[-k:]) if len(toks) >= k else ""
            w1 = singular(w) if k == 1 else w
            if w1 in V.TYPES_EN and V.TYPES_EN[w1][0] != "date":
                types.add(V.TYPES_EN[w1])
                occ |= {w1} & V.OCCUPATIONS_EN.keys()
                break
    return types, occ
