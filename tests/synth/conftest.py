"""Fixtures of the QA synthesis tests: small generated corpora (EN and ZH) and a scripted LLM that plays
every role of the pipeline by dispatching on the prompt, with switches that drive each funnel branch."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

from openseeker.corpus.base import MemoryCorpus
from openseeker.judge import prompts as judge_prompts
from openseeker.llm import LLMOutput, RolesConfig, ScriptedLLM
from openseeker.llm.registry import Roles
from openseeker.synth.prompts import load_prompts

# --- corpora ------------------------------------------------------------------------------------

_EN = [
    (
        "Alderbrook",
        "Alderbrook is a market town on the River Quell. The town was founded in 1642 by the weaver "
        "Marta Venn. Its Old Mill Museum opened in 1971 and holds 3,400 looms. The Harrow Railway reached "
        "Alderbrook in 1868.",
        ["River Quell", "Marta Venn", "Old Mill Museum", "Harrow Railway"],
    ),
    (
        "River Quell",
        "The River Quell is a river of 84 kilometres that rises in the Brennan Hills. It flows "
        "through Alderbrook before joining the sea at Port Salve.",
        ["Brennan Hills", "Alderbrook", "Port Salve"],
    ),
    (
        "Marta Venn",
        "Marta Venn was a weaver born in 1611 in Port Salve. She founded Alderbrook after leaving "
        "the Brennan Hills guild.",
        ["Port Salve", "Alderbrook", "Brennan Hills"],
    ),
    (
        "Old Mill Museum",
        "The Old Mill Museum is a textile museum in Alderbrook. Its collection was assembled "
        "by the Harrow Railway company in the 1960s.",
        ["Alderbrook", "Harrow Railway"],
    ),
    (
        "Harrow Railway",
        "The Harrow Railway was a railway company founded in 1851. Its line connected Port "
        "Salve with Alderbrook and the Brennan Hills.",
        ["Port Salve", "Alderbrook", "Brennan Hills"],
    ),
    (
        "Brennan Hills",
        "The Brennan Hills are a range of low hills. Their highest point reaches 612 metres "
        "above the River Quell valley.",
        ["River Quell"],
    ),
    (
        "Port Salve",
        "Port Salve is a harbour city of about 120,000 people. The Harrow Railway ended at its "
        "docks, where the River Quell meets the sea.",
        ["Harrow Railway", "River Quell"],
    ),
    (
        "List of towns in Quellshire",
        "This is a list of towns. Alderbrook, Port Salve and others.",
        ["Alderbrook", "Port Salve", "River Quell"],
    ),
    ("1868", "1868 was a year. The Harrow Railway reached Alderbrook.", ["Harrow Railway", "Alderbrook"]),
]

_ZH = [
    (
        "青石镇",
        "青石镇是位于白河畔的一座古镇。该镇于1642年由织工林秀创建。镇上的老磨坊博物馆于1971年开放。"
        "南岭铁路于1868年通到青石镇。",
        ["白河", "林秀", "老磨坊博物馆", "南岭铁路"],
    ),
    ("白河", "白河是一条长84公里的河流，发源于苍山。它流经青石镇后在盐港入海。", ["苍山", "青石镇", "盐港"]),
    ("林秀", "林秀是一位织工，1611年生于盐港。她离开苍山行会后创建了青石镇。", ["盐港", "青石镇", "苍山"]),
    (
        "老磨坊博物馆",
        "老磨坊博物馆是青石镇的一座纺织博物馆。其藏品由南岭铁路公司在1960年代收集。",
        ["青石镇", "南岭铁路"],
    ),
    (
        "南岭铁路",
        "南岭铁路是一家创建于1851年的铁路公司。它的线路连接盐港、青石镇和苍山。",
        ["盐港", "青石镇", "苍山"],
    ),
    ("苍山", "苍山是一片低矮的山地。其最高点海拔612米。", ["白河"]),
    ("盐港", "盐港是一座约有12万人口的港口城市。南岭铁路的终点在盐港码头。", ["南岭铁路", "白河"]),
]


def _records(rows: list[tuple[str, str, list[str]]], lang: str) -> list[dict[str, Any]]:
    return [
        {
            "url": f"https://{lang}.example.org/{t.replace(' ', '_')}",
            "title": t,
            "text": text,
            "language": lang,
            "links": [
                {"url": f"https://{lang}.example.org/{x.replace(' ', '_')}", "anchor": x} for x in links
            ],
        }
        for t, text, links in rows
    ]


@pytest.fixture
def en_corpus() -> MemoryCorpus:
    return MemoryCorpus.from_records(_records(_EN, "en"))


@pytest.fixture
def zh_corpus() -> MemoryCorpus:
    return MemoryCorpus.from_records(_records(_ZH, "zh"))


# --- the scripted pipeline model -------------------------------------------------------------------

_STEP_OF_SYSTEM = {p.system: (lang, step) for lang in ("en", "zh") for step, p in load_prompts(lang).items()}
_JUDGE_SYSTEMS = set(judge_prompts.SYSTEM.values())
_GREEK = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda"] * 3
_STEMS = list("甲乙丙丁戊己庚辛壬癸") * 3
_SENT = re.compile(r"[^.。！？]+[.。！？]")


@dataclass
class Script:
    """How the scripted model behaves at each step; ``ok`` everywhere gives accepted questions.

    extract: ok | invalid | schema | ungrounded | one_fact
    question: ok | invalid | empty | unknown | one_edge
    obfuscate: ok (vacuous, true) | typed (true, from the entity kinds) | false | unsupported | echo |
        invalid | incomplete | leaky
    rewrite: ok | invalid | empty | leak | named | echo
    closed_book: wrong | right
    oracle: right | wrong
    uniqueness: unique | ambiguous | invalid
    judge: ok | garbage
    clue (the verifier's entailment call): lexical (supported when every word of the description is in the
        facts: strict, it passes calibration) | always (supported: fails calibration) | contradicted
        (never supported: passes) | garbage
    fail_theme: raise an exception (a transient failure) when extracting for this theme
    """

    extract: str = "ok"
    question: str = "ok"
    obfuscate: str = "ok"
    rewrite: str = "ok"
    closed_book: str = "wrong"
    oracle: str = "right"
    uniqueness: str = "unique"
    judge: str = "ok"
    clue: str = "lexical"
    fail_theme: str | None = None
    answers: dict[str, str] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)

    def __call__(self, messages: list[dict[str, Any]], tools: Any, config: Any) -> str | LLMOutput:
        system = str(messages[0].get("content", ""))
        user = str(messages[1].get("content", "")) if len(messages) > 1 else ""
        if system in _JUDGE_SYSTEMS:
            self.steps.append("judge")
            if self.judge == "garbage":
                return "I cannot decide."
            # Grade as a careful judge would on exact answers: the normalized prediction must equal the
            # reference (or one of the aliases shown with it). Strict enough to pass calibration.
            from openseeker.judge.rules import fold

            golds = re.findall(r"^(?:Reference answer|参考答案)[:：]\s*(.+)$", user, re.M)
            resps = re.findall(r"^(?:Predicted answer|预测答案)[:：]\s*(.+)$", user, re.M)
            accepted = re.split(r"\s*\((?:also accepted|也接受): |; |\)$", golds[-1]) if golds else []
            ok = bool(resps) and fold(resps[-1]) in {fold(g) for g in accepted if g}
            return "A" if ok else "B"
        lang, step = _STEP_OF_SYSTEM.get(system, ("en", "unknown"))
        self.steps.append(step)
        return getattr(self, f"_{step}")(user, lang)

    # each step -------------------------------------------------------------------------------
    def _extract(self, user: str, lang: str) -> str:
        theme = re.search(r'central entity is "(.+?)"|核心实体是“(.+?)”', user)
        assert theme, user
        name = theme.group(1) or theme.group(2)
        if self.fail_theme == name:
            raise RuntimeError("transient failure")
        if self.extract == "invalid":
            return "Sorry, I cannot produce JSON for this."
        if self.extract == "schema":
            return '{"facts": [{"subject": "x"}]}'
        blocks = re.findall(r"\[(P\d+)\] (.+)\n(.+)", user)
        facts = []
        for label, title, text in blocks[1:]:
            sent = next((s.strip() for s in _SENT.findall(text)), text)
            if self.extract == "ungrounded":
                sent = "This sentence was invented and appears in no page at all."
            facts.append(
                {
                    "subject": name,
                    "relation": "is linked with",
                    "object": title.strip(),
                    "evidence": sent,
                    "page": label,
                }
            )
        if self.extract == "one_fact":
            facts = facts[:1]
        return orjson.dumps({"facts": facts, "aliases": [f"{name} Town"] if lang == "en" else []}).decode()

    def _question(self, user: str, lang: str) -> str:
        ids = re.findall(r"^(f\d+):", user, re.M)
        if self.question == "invalid":
            return "no json here"
        if self.question == "empty":
            return '{"question": "  ", "fact_ids": ["f1", "f2"]}'
        if self.question == "unknown":
            ids = ["f1", "f99"]
        if self.question == "one_edge":
            ids = ids[:1]
        objs = re.findall(r"^f\d+: .+? \| .+? \| (.+)$", user, re.M)
        # wording that shares no word with the test corpora, so search finds the answer only via names
        q = (
            ("Identify settlement: " + "; ".join(objs[:3]) + ".")
            if lang == "en"
            else ("指认：" + "；".join(objs[:3]) + "。")
        )
        return orjson.dumps({"question": q, "fact_ids": ids[:3]}).decode()

    def _obfuscate(self, user: str, lang: str) -> str:
        # the entity list: "- name: what the facts say it is"
        block = re.search(
            r"(?:Entities, with what the facts say each one is|实体及事实所说的类别)[:：]\n((?:- .+\n?)+)",
            user,
        )
        rows = [
            re.match(r"- (.+?)(?::|：)\s*(.*)$", ln) for ln in (block.group(1).splitlines() if block else [])
        ]
        ents = [(r.group(1).strip(), r.group(2).strip()) for r in rows if r]
        if self.obfuscate == "invalid":
            return "no json"
        if self.obfuscate == "incomplete":
            ents = ents[:1]

        def describe(i: int, kind: str) -> str:
            known = kind and "(" not in kind and "（" not in kind
            if self.obfuscate == "typed" and known:  # true: what the facts say it is
                return f"a {kind}" if lang == "en" else f"一个{kind}"
            if self.obfuscate == "false":  # the old prompt's example, copied onto every entity
                return "a 19th-century French chemist" if lang == "en" else "一位十九世纪的法国化学家"
            if self.obfuscate == "unsupported":  # a detail no fact states
                return f"a famous {_GREEK[i]}" if lang == "en" else f"著名的{_STEMS[i]}号"
            if self.obfuscate == "echo":  # the prompt's own instruction
                return "what kind of thing it is" if lang == "en" else "先按列表说明它是什么"
            return "an entity" if lang == "en" else "某个实体"  # vacuous, so true

        descs = [{"entity": e, "description": describe(i, k)} for i, (e, k) in enumerate(ents)]
        if self.obfuscate == "leaky" and descs:
            descs[0]["description"] = f"the famous {ents[0][0]}"
        return orjson.dumps({"descriptions": descs}).decode()

    def _rewrite(self, user: str, lang: str) -> str:
        q = re.search(r"^(?:Question: |问题：)(.+)$", user, re.M)
        ans = re.search(r'answer \("(.+?)"|唯一答案（“(.+?)”', user)
        answer = (ans.group(1) or ans.group(2)) if ans else "?"
        question = q.group(1) if q else ""
        pairs = re.findall(r"^- (.+?) -> (.+)$", user, re.M)
        if self.rewrite != "named":
            for e, d in pairs:
                question = question.replace(e, d)
        if self.rewrite == "invalid":
            return "[not json"  # json-repair makes a list of it: valid JSON, wrong schema
        if self.rewrite == "empty":
            question = ""
        if self.rewrite == "echo":  # the instructions copied into the question
            question += (
                " Keep every clue of the question and its single answer."
                if lang == "en"
                else "保留问题的全部线索以及唯一答案。"
            )
        if self.rewrite == "leak":
            # case- and width-changed (EN), spaced out (ZH): the leak check must still see it
            shown = answer.upper().replace("A", "Ａ") if lang == "en" else " ".join(answer)
            question += f" (hint: {shown})"
        self.answers[question] = answer
        return orjson.dumps({"question": question}).decode()

    def _clue(self, user: str, lang: str) -> str:
        if self.clue == "garbage":
            return "perhaps"
        if self.clue in ("always", "contradicted"):
            return '{"verdict": "%s"}' % ("supported" if self.clue == "always" else "contradicted")
        facts = (
            re.search(r"(?:Facts about it|关于它的事实)[:：]\n(.*?)\n\n", user, re.S) or re.search("()", "")
        ).group(1)
        desc = (re.search(r'Description: "(.*)"|描述：“(.*)”', user) or re.search("()()", "")).groups()
        text = next((d for d in desc if d), "")
        low = facts.lower()
        if lang == "zh":
            han = re.findall(r"[\u4e00-\u9fff]+", text)
            units = [w[i : i + 2] for w in han for i in range(len(w) - 1)]
        else:
            units = [
                w
                for w in re.findall(r"[a-z0-9]+", text.lower())
                if len(w) > 3 and w not in {"that", "with", "where", "which"}
            ]
        ok = all(u in low for u in units)
        return orjson.dumps({"verdict": "supported" if ok else "not_stated"}).decode()

    def _closed_book(self, user: str, lang: str) -> str:
        q = re.search(r"^(?:Question: |问题：)(.+)$", user, re.M)
        guess = (
            self.answers.get(q.group(1) if q else "", "?") if self.closed_book == "right" else "Nowhere Land"
        )
        return orjson.dumps({"answer": guess}).decode()

    def _oracle(self, user: str, lang: str) -> str:
        subj = re.search(r"^f1: (.+?) \|", user, re.M)
        ans = subj.group(1) if (subj and self.oracle == "right") else "Somewhere Else"
        return orjson.dumps({"answer": ans}).decode()

    def _uniqueness(self, user: str, lang: str) -> str:
        ans = re.search(r'other than "(.+?)"|除“(.+?)”之外', user)
        name = (ans.group(1) or ans.group(2)) if ans else ""
        if self.uniqueness == "invalid":
            return "none"
        alts = [name, "Another Town"] if self.uniqueness == "ambiguous" else [name]
        return orjson.dumps({"alternatives": alts}).decode()


@pytest.fixture
def make_roles():
    """``make_roles(script) -> (roles, llm)``: every role played by one scripted model."""

    def make(script: Script) -> tuple[Roles, ScriptedLLM]:
        llm = ScriptedLLM(fn=script, name="scripted/qa")
        roles = Roles(RolesConfig(), overrides={r: llm for r in ("generator", "verifier", "judge")})
        return roles, llm

    return make


# --- a module-level model for config files (``scripted/<this module>:cli_script``) ------------------

CLI_SCRIPT = Script()


def cli_script(messages: list[dict[str, Any]], tools: Any, config: Any) -> str | LLMOutput:
    """The scripted model as a plain function, reachable from a config file."""
    return CLI_SCRIPT(messages, tools, config)


def en_records() -> list[dict[str, Any]]:
    """The English test corpus as JSONL-ready page records."""
    return _records(_EN, "en")
