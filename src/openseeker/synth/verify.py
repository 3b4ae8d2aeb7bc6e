"""Dual verification with the verifier role, and the answer-uniqueness probe.

* closed book: the verifier answers from memory; a question it answers correctly is too easy;
* oracle: the verifier answers given the (un-blurred) entity subgraph; a question it then gets wrong is
  not solvable from its own facts;
* uniqueness (beyond the paper): the verifier lists other entities that fit every clue; any that is not
  the answer makes the question ambiguous.

Correctness is decided by the judge shared with evaluation, and its raw output is kept. A judge reply
that cannot be parsed is never guessed: the question is rejected as ``verify:judge_unparsed``. Each is a
registered :class:`~openseeker.synth.check.QACheck` (``closed_book``, ``oracle``, ``uniqueness``).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from openseeker.errors import StructuredOutputError
from openseeker.judge.verdict import Judge, Verdict
from openseeker.llm.base import LLM
from openseeker.llm.structured import generate_structured
from openseeker.synth.check import Candidate, CheckContext, Pass, QACheck, Reject, qa_checks
from openseeker.synth.prompts import Prompt
from openseeker.synth.question import render_facts
from openseeker.synth.records import CheckOutcome, Fact
from openseeker.synth.structured import structured_config
from openseeker.synth.text import normalize


class AnswerOut(BaseModel):
    """A verifier's short answer."""

    answer: str = Field(max_length=300)


class AlternativesOut(BaseModel):
    """Other answers the verifier finds consistent with the question."""

    alternatives: list[str] = Field(max_length=10)


def _verdict_detail(v: Verdict) -> dict[str, object]:
    return {
        "correct": v.correct,
        "judge": v.judge,
        "prompt_version": v.prompt_version,
        "extracted_answer": v.extracted_answer,
        "method": v.method,
    }


async def _answer(
    llm: LLM, prompt: Prompt, scope: str, max_reasks: int, **values: object
) -> tuple[str | None, str]:
    gen = structured_config(AnswerOut, temperature=0.0, max_tokens=120)
    try:
        obj, out = await generate_structured(
            llm, prompt.messages(**values), AnswerOut, gen, scope=scope, max_reasks=max_reasks
        )
    except StructuredOutputError as e:
        return None, e.raw or ""
    return obj.answer.strip(), out.text


async def closed_book(
    llm: LLM,
    judge: Judge,
    prompt: Prompt,
    question: str,
    answer: str,
    aliases: list[str],
    *,
    mode: str,
    scope: str,
    max_reasks: int = 2,
) -> CheckOutcome:
    """Passes when the verifier, with no context, does NOT answer correctly (the question needs search).

    A verifier reply that is not valid JSON counts as "not answered" (the model could not produce an
    answer), which passes; the raw reply is kept.
    """
    pred, raw = await _answer(llm, prompt, f"{scope}|closed", max_reasks, question=question)
    if pred is None or not pred:
        return CheckOutcome("closed_book", True, mode, {"prediction": pred, "note": "no answer"}, raw)
    v = await judge.judge(question, answer, pred, aliases=aliases)
    detail = {"prediction": pred, **_verdict_detail(v)}
    if v.correct is None:
        return CheckOutcome("closed_book", None, mode, {**detail, "note": "judge_unparsed"}, v.raw)
    return CheckOutcome("closed_book", not v.correct, mode, detail, f"{raw}\n---judge---\n{v.raw}")


async def oracle(
    llm: LLM,
    judge: Judge,
    prompt: Prompt,
    question: str,
    answer: str,
    aliases: list[str],
    facts: list[Fact],
    *,
    mode: str,
    scope: str,
    max_reasks: int = 2,
) -> CheckOutcome:
    """Passes when the verifier, given the entity subgraph's facts, answers correctly (the question is solvable)."""
    pred, raw = await _answer(
        llm,
        prompt,
        f"{scope}|oracle",
        max_reasks,
        question=question,
        facts=render_facts(facts, evidence=True),
    )
    if pred is None or not pred:
        return CheckOutcome("oracle", False, mode, {"prediction": pred, "note": "no answer"}, raw)
    v = await judge.judge(question, answer, pred, aliases=aliases)
    detail = {"prediction": pred, **_verdict_detail(v)}
    if v.correct is None:
        return CheckOutcome("oracle", None, mode, {**detail, "note": "judge_unparsed"}, v.raw)
    return CheckOutcome("oracle", bool(v.correct), mode, detail, f"{raw}\n---judge---\n{v.raw}")


def _same(a: str, terms: list[str]) -> bool:
    na = normalize(a)
    return any(na and (na == normalize(t) or na in normalize(t) or normalize(t) in na) for t in terms if t)


async def uniqueness(
    llm: LLM,
    prompt: Prompt,
    question: str,
    answer: str,
    aliases: list[str],
    facts: list[Fact],
    *,
    max_alternatives: int,
    mode: str,
    scope: str,
    max_reasks: int = 2,
) -> CheckOutcome:
    """Passes when the verifier finds no other entity consistent with every clue."""
    gen = structured_config(AlternativesOut, temperature=0.0, max_tokens=200)
    msgs = prompt.messages(
        question=question,
        answer=answer,
        facts=render_facts(facts, evidence=True),
        max_alternatives=max_alternatives,
    )
    try:
        obj, out = await generate_structured(
            llm, msgs, AlternativesOut, gen, scope=f"{scope}|unique", max_reasks=max_reasks
        )
    except StructuredOutputError as e:
        return CheckOutcome("uniqueness", None, mode, {"note": f"verifier_{e.reason}"}, e.raw or "")
    others = [a.strip() for a in obj.alternatives if a.strip() and not _same(a, [answer, *aliases])]
    return CheckOutcome("uniqueness", not others, mode, {"alternatives": others[:max_alternatives]}, out.text)


def _result(o: CheckOutcome, cls: type[QACheck]) -> Pass | Reject:
    if o.passed is None:
        return Reject(cls.undecided(), o.detail, o.raw, undecided=True)
    return Pass(o.detail, o.raw) if o.passed else Reject(cls.reject_reason(), o.detail, o.raw)


@qa_checks.register("closed_book")
class ClosedBookCheck(QACheck):
    """The verifier, answering from memory, must get it wrong (the question needs search)."""

    name = "closed_book"
    label = "closed-book wrong"
    reason = "verify:closed_book_correct"
    undecided_reason = "verify:judge_unparsed"
    roles = ("verifier",)
    judged = True

    async def check(self, record: Candidate, ctx: CheckContext) -> Pass | Reject:
        o = await closed_book(
            ctx.roles["verifier"], ctx.judge(), ctx.prompts["closed_book"], record.question, record.answer,
            record.aliases, mode="reject", scope=ctx.scope, max_reasks=self.config.max_reasks,
        )
        return _result(o, type(self))


@qa_checks.register("oracle")
class OracleCheck(QACheck):
    """The verifier, given the entity subgraph's facts, must get it right (the question is solvable)."""

    name = "oracle"
    label = "oracle right"
    reason = "verify:oracle_wrong"
    undecided_reason = "verify:judge_unparsed"
    roles = ("verifier",)
    judged = True

    async def check(self, record: Candidate, ctx: CheckContext) -> Pass | Reject:
        o = await oracle(
            ctx.roles["verifier"], ctx.judge(), ctx.prompts["oracle"], record.question, record.answer,
            record.aliases, record.facts, mode="reject", scope=ctx.scope, max_reasks=self.config.max_reasks,
        )
        return _result(o, type(self))


@qa_checks.register("uniqueness")
class UniquenessCheck(QACheck):
    """The verifier must find no other entity that fits every clue."""

    name = "uniqueness"
    label = "unique answer"
    reason = "check:ambiguous"
    undecided_reason = "check:uniqueness_unparsed"
    roles = ("verifier",)

    async def check(self, record: Candidate, ctx: CheckContext) -> Pass | Reject:
        o = await uniqueness(
            ctx.roles["verifier"], ctx.prompts["uniqueness"], record.question, record.answer, record.aliases,
            record.facts, max_alternatives=self.config.checks.max_alternatives, mode="reject",
            scope=ctx.scope, max_reasks=self.config.max_reasks,
        )
        return _result(o, type(self))
