"""中文页面模板 (Chinese page templates). Written for Chinese, not translated from the English ones; every
fact sentence names its entities (works in 《》), so each sentence is self-contained evidence."""

from __future__ import annotations

from openseeker.worldgen.model import Entity
from openseeker.worldgen.names_zh import KIND_ZH, OCCUPATION_ZH
from openseeker.worldgen.render import Context, Sentence, say

UNIT = {
    "university": "名学生",
    "company": "名员工",
    "society": "名会员",
    "museum": "名工作人员",
    "orchestra": "名乐手",
    "publisher": "名员工",
}
_VERB = {
    "novel": "写下了小说",
    "symphony": "创作了交响曲",
    "opera": "创作了歌剧",
    "painting": "绘制了",
    "treatise": "撰写了论著",
    "film": "执导了电影",
}
_FILLER = {
    "person": [
        "后世学者认为{n}的工作严谨而富有开创性。",
        "{n}的书信至今仍散存于多家私人收藏之中。",
        "关于{n}早年的经历，史料记载不多。",
    ],
    "city": ["{n}以老街和集市闻名。", "{n}的旧城区曾两度重建。"],
    "country": ["{n}境内多山，海岸线漫长。"],
    "organisation": ["{n}的档案可供研究者预约查阅。"],
    "work": ["《{n}》问世以来屡被评论界重新解读。"],
    "event": ["关于{n}的各家记载在细节上不尽相同。"],
}


def _occ(v: object) -> str:
    return OCCUPATION_ZH.get(str(v), str(v))


def person(c: Context, p: Entity) -> list[list[Sentence]]:
    """开篇（生卒、职业、出生地）、求学与事业、作品、参与的事件。"""
    occ_f, b_f, d_f, city_f = (
        c.fact(p, "occupation"),
        c.fact(p, "birth_year"),
        c.fact(p, "death_year"),
        c.fact(p, "born_in"),
    )
    city = c.obj(p, "born_in")
    occ, b, d = _occ(c.value(p, "occupation")), c.value(p, "birth_year"), c.value(p, "death_year")
    lede: list[Sentence] = []
    if d is not None and c.rng.random() < 0.5:
        lede.append(
            say("{p}（{b}年—{d}年），{o}，生于{c}。", [b_f, d_f, occ_f, city_f], p=p, b=b, d=d, o=occ, c=city)
        )
    else:
        tpl = c.pick(["{p}是一位{o}，{b}年生于{c}。", "{p}于{b}年出生在{c}，后来成为一名{o}。"])
        if d is None:
            tpl = "{p}是一位{o}，{b}年生于{c}，至今在世。"
        lede.append(say(tpl, [occ_f, city_f, b_f], p=p, o=occ, c=city, b=b))
        if d is not None:
            lede.append(say(c.pick(["{p}于{d}年去世。", "{p}卒于{d}年。"]), [d_f], p=p, d=d))
    country = c.obj(city, "country") if city else None
    if city and country and c.rng.random() < 0.5:
        lede.append(say("{c}是{k}的一座城市。", [c.fact(city, "country")], c=city, k=country))
    career: list[Sentence] = []
    uni = c.obj(p, "educated_at")
    if uni:
        career.append(
            say(c.pick(["{p}曾就读于{u}。", "{p}毕业于{u}。"]), [c.fact(p, "educated_at")], p=p, u=uni)
        )
    mentor = c.obj(p, "student_of")
    if mentor:
        career.append(
            say(c.pick(["{p}师从{m}。", "{p}早年是{m}的学生。"]), [c.fact(p, "student_of")], p=p, m=mentor)
        )
    emp = c.obj(p, "worked_for")
    if emp:
        career.append(
            say(c.pick(["{p}后来任职于{o}。", "{p}曾加入{o}。"]), [c.fact(p, "worked_for")], p=p, o=emp)
        )
    for org, f in c.inverse(p, "founded_by"):
        career.append(
            say(
                "{y}年，{p}在{c}创办了{o}。",
                [f, c.fact(org, "founded_year"), c.fact(org, "headquarters")],
                y=c.value(org, "founded_year"),
                p=p,
                c=c.obj(org, "headquarters"),
                o=org,
            )
        )
    for s, f in c.inverse(p, "student_of", 4):
        career.append(say("{s}是{p}的学生之一。", [f], s=s, p=p))
    works: list[Sentence] = []
    for w, f in c.inverse(p, "created_by"):
        kind, year = str(c.value(w, "kind")), c.value(w, "year")
        facts = [f, c.fact(w, "year"), c.fact(w, "kind")]
        if c.rng.random() < 0.5:
            works.append(say("{y}年，{p}" + _VERB[kind] + "《{w}》。", facts, y=year, p=p, w=w))
        else:
            works.append(say("《{w}》是{p}于{y}年完成的{k}。", facts, w=w, p=p, y=year, k=KIND_ZH[kind]))
    events: list[Sentence] = []
    for ev, f in ((c.entities[f.object], f) for f in c.out[p.id].get("participated_in", []) if f.object):
        opts = ["{y}年，{p}参加了{e}。", "{p}是{y}年{e}的参与者之一。"]
        if ev.kind == "treaty":
            opts = ["{y}年，{p}签署了{e}。", "{p}是{y}年{e}的签署人之一。"]
        events.append(say(c.pick(opts), [f, c.fact(ev, "year")], y=c.value(ev, "year"), p=p, e=ev))
    if c.rng.random() < 0.4:
        events.append(say(c.pick(_FILLER["person"]), n=p))
    return [lede, career, works, events]


def city(c: Context, e: Entity) -> list[list[Sentence]]:
    k = c.obj(e, "country")
    lede = [say(c.pick(["{c}是{k}的一座城市。", "{c}位于{k}境内。"]), [c.fact(e, "country")], c=e, k=k)]
    for country, f in c.inverse(e, "capital"):
        lede.append(say("{c}是{k}的首都。", [f], c=e, k=country))
    lede.append(
        say(
            c.pick(["{c}建于{y}年。", "{c}始建于{y}年。"]),
            [c.fact(e, "founded_year")],
            c=e,
            y=c.value(e, "founded_year"),
        )
    )
    lede.append(say("{c}的人口为{n}人。", [c.fact(e, "population")], c=e, n=c.value(e, "population")))
    people = []
    for p, f in c.inverse(e, "born_in", 6):
        people.append(
            say(
                c.pick(["{o}{p}出生于{c}。", "{p}生于{c}，是一位{o}。"]),
                [f, c.fact(p, "occupation")],
                o=_occ(c.value(p, "occupation")),
                p=p,
                c=e,
            )
        )
    places = [say("{o}的总部设在{c}。", [f], o=o, c=e) for o, f in c.inverse(e, "headquarters", 5)]
    for ev, f in c.inverse(e, "held_in", 5):
        places.append(say("{y}年，{v}在{c}举行。", [f, c.fact(ev, "year")], y=c.value(ev, "year"), v=ev, c=e))
    places += [say("《{w}》的故事发生在{c}。", [f], w=w, c=e) for w, f in c.inverse(e, "set_in", 4)]
    if c.rng.random() < 0.4:
        places.append(say(c.pick(_FILLER["city"]), n=e))
    return [lede, people, places]


def country(c: Context, e: Entity) -> list[list[Sentence]]:
    cap = c.obj(e, "capital")
    lede = [
        say("{k}是一个人口约{n}的国家。", [c.fact(e, "population")], k=e, n=c.value(e, "population")),
        say(c.pick(["{k}的首都是{c}。", "{c}是{k}的首都。"]), [c.fact(e, "capital")], k=e, c=cap),
    ]
    cities = [
        say("{c}是{k}的一座城市。", [f], c=ci, k=e) for ci, f in c.inverse(e, "country", 10) if ci is not cap
    ]
    if c.rng.random() < 0.4:
        cities.append(say(c.pick(_FILLER["country"]), n=e))
    return [lede, cities]


def organisation(c: Context, e: Entity) -> list[list[Sentence]]:
    kind = str(c.value(e, "kind"))
    hq = c.obj(e, "headquarters")
    lede = [
        say(
            "{o}是一家总部位于{c}的{k}。",
            [c.fact(e, "headquarters"), c.fact(e, "kind")],
            o=e,
            c=hq,
            k=KIND_ZH[kind],
        )
    ]
    founder, year = c.obj(e, "founded_by"), c.value(e, "founded_year")
    if founder:
        lede.append(
            say(
                c.pick(["{o}由{p}于{y}年创立。", "{y}年，{p}创立了{o}。"]),
                [c.fact(e, "founded_year"), c.fact(e, "founded_by")],
                o=e,
                p=founder,
                y=year,
            )
        )
    else:
        lede.append(say("{o}成立于{y}年。", [c.fact(e, "founded_year")], o=e, y=year))
    lede.append(
        say("{o}现有约{n}{u}。", [c.fact(e, "headcount")], o=e, n=c.value(e, "headcount"), u=UNIT[kind])
    )
    people = [say("{p}曾就读于{o}。", [f], p=p, o=e) for p, f in c.inverse(e, "educated_at", 6)]
    people += [say("{p}曾任职于{o}。", [f], p=p, o=e) for p, f in c.inverse(e, "worked_for", 4)]
    output = [
        say("{y}年，{o}出版了《{w}》。", [f, c.fact(w, "year")], y=c.value(w, "year"), o=e, w=w)
        for w, f in c.inverse(e, "published_by", 5)
    ]
    output += [say("{o}主办了{v}。", [f], o=e, v=ev) for ev, f in c.inverse(e, "organised_by", 4)]
    if c.rng.random() < 0.4:
        output.append(say(c.pick(_FILLER["organisation"]), n=e))
    return [lede, people, output]


def work(c: Context, e: Entity) -> list[list[Sentence]]:
    kind, year, creator = str(c.value(e, "kind")), c.value(e, "year"), c.obj(e, "created_by")
    facts = [c.fact(e, "kind"), c.fact(e, "created_by"), c.fact(e, "year")]
    tpl = c.pick(["《{w}》是{p}于{y}年完成的{k}。", "《{w}》是{p}创作的{k}，问世于{y}年。"])
    lede = [say(tpl, facts, w=e, p=creator, y=year, k=KIND_ZH[kind])]
    setting = c.obj(e, "set_in")
    if setting:
        tpl = "《{w}》描绘了{c}的景色。" if kind == "painting" else "《{w}》的故事发生在{c}。"
        lede.append(say(tpl, [c.fact(e, "set_in")], w=e, c=setting))
    pub = c.obj(e, "published_by")
    if pub:
        lede.append(say("《{w}》由{o}出版。", [c.fact(e, "published_by")], w=e, o=pub))
    more: list[Sentence] = []
    if creator:
        birth = c.obj(creator, "born_in")
        if birth:
            more.append(say("{p}出生于{c}。", [c.fact(creator, "born_in")], p=creator, c=birth))
    if c.rng.random() < 0.4:
        more.append(say(c.pick(_FILLER["work"]), n=e))
    return [lede, more]


def event(c: Context, e: Entity) -> list[list[Sentence]]:
    kind, year, place = str(c.value(e, "kind")), c.value(e, "year"), c.obj(e, "held_in")
    lede = [
        say(
            "{v}是{y}年在{c}举行的一次{k}。",
            [c.fact(e, "year"), c.fact(e, "held_in"), c.fact(e, "kind")],
            v=e,
            y=year,
            c=place,
            k=KIND_ZH[kind],
        )
    ]
    org = c.obj(e, "organised_by")
    if org:
        lede.append(say("{v}由{o}主办。", [c.fact(e, "organised_by")], v=e, o=org))
    n = c.value(e, "attendance")
    if n is not None:
        tpl = "{v}共有{n}名成员。" if kind == "expedition" else "约有{n}人参加了{v}。"
        lede.append(say(tpl, [c.fact(e, "attendance")], v=e, n=n))
    opts = ["{p}参加了{v}。", "{p}是{v}的参与者之一。"]
    if kind == "treaty":
        opts = ["{p}签署了{v}。", "{p}是{v}的签署人之一。"]
    people = [say(c.pick(opts), [f], p=p, v=e) for p, f in c.inverse(e, "participated_in")]
    if c.rng.random() < 0.4:
        people.append(say(c.pick(_FILLER["event"]), n=e))
    return [lede, people]


RENDERERS = {
    "person": person,
    "city": city,
    "country": country,
    "organisation": organisation,
    "work": work,
    "event": event,
}
JOINER = ""
