"""The registry of judges and the judge specs built from it.

A judge is registered under a name with a factory ``factory(llm, lang="en", **options) -> Judge``; third-party
packages add judges through the ``openseeker.judge`` entry-point group. A *judge spec* names one, optionally
prefixed: ``exact+NAME`` decides normalized exact matches without the model, ``rules+NAME`` lets the
:class:`~openseeker.judge.rules.RulesJudge` decide first and hands only undecided items to ``NAME``.
Every place that takes a judge spec (evaluation, QA verification, trajectory rejection sampling) checks it
against this registry (:func:`check_spec`), so a judge added through the entry point is accepted everywhere.
"""

from __future__ import annotations

from typing import Any

from openseeker.errors import ConfigError
from openseeker.judge.llm import LLMJudge
from openseeker.judge.rules import RulesJudge
from openseeker.judge.verdict import Judge
from openseeker.llm.base import LLM
from openseeker.registry import Registry

judges: Registry[Judge] = Registry("judge")

PREFIXES = ("exact", "rules")


@judges.register("binary")
def _binary(llm: LLM | None, lang: str = "en", **kw: Any) -> Judge:
    return LLMJudge("binary", llm, lang, **kw)


@judges.register("openseeker")
def _openseeker(llm: LLM | None, lang: str = "en", **kw: Any) -> Judge:
    return LLMJudge("binary", llm, lang, **kw)


@judges.register("browsecomp")
def _browsecomp(llm: LLM | None, lang: str = "en", **kw: Any) -> Judge:
    return LLMJudge("browsecomp", llm, lang, **kw)


@judges.register("xbench")
def _xbench(llm: LLM | None, lang: str = "zh", **kw: Any) -> Judge:
    return LLMJudge("xbench", llm, lang, **kw)


@judges.register("openseeker-v1")
def _openseeker_v1(llm: LLM | None, lang: str = "en", *, prompt_source: str | None = None, **kw: Any) -> Judge:
    # the official A/B judge: one English prompt for every benchmark, read from the user's copy
    from openseeker.judge.official import v1_judge_messages

    template = v1_judge_messages(prompt_source)
    return LLMJudge("binary", llm, "en", template=template, name="openseeker-v1", **kw)


@judges.register("rules")
def _rules(llm: LLM | None, lang: str = "en", **kw: Any) -> Judge:
    return RulesJudge(None)


def split_spec(spec: str) -> tuple[str | None, str]:
    """``(prefix, name)`` of a judge spec: ``"rules+binary"`` -> ``("rules", "binary")``."""
    head, sep, tail = spec.partition("+")
    if sep and head in PREFIXES:
        return head, tail
    return None, spec


def check_spec(spec: str) -> str:
    """``spec`` if it names a registered judge (optionally prefixed), else a :class:`ConfigError`."""
    prefix, name = split_spec(spec)
    if name in judges and not (prefix and name == "rules"):
        return spec
    raise ConfigError(
        f"Unknown judge {spec!r}: use one of {', '.join(judges.names())}, optionally prefixed with exact+ or "
        "rules+ (e.g. rules+binary)."
    )


def needs_model(spec: str) -> bool:
    """Whether the judge of ``spec`` calls a model (only the bare ``rules`` judge does not)."""
    return spec != "rules"


def get_judge(
    style: str, llm: LLM | None, lang: str = "en", *, prompt_source: str | None = None, **kwargs: Any
) -> Judge:
    """Build a judge from a spec.

    Args:
        style: a registered judge name: ``binary`` (= ``openseeker``, our A/B prompt), ``openseeker-v1``
            (the official A/B prompt, read from ``prompt_source``), ``browsecomp``, ``xbench``, ``rules``,
            or one added through the ``openseeker.judge`` entry point; prefix ``exact+`` to decide exact
            matches without the model (``exact+binary``), or ``rules+`` to let the rules judge decide first
            and hand only undecided items to the model (``rules+binary``).
        llm: the judge model, typically ``roles["judge"]`` (unused by ``rules``).
        lang: prompt language, ``en`` or ``zh``.
        prompt_source: for ``openseeker-v1``: a text file with the judge prompt, or an official checkout.
        **kwargs: ``max_attempts`` (default 3), ``generation`` (a :class:`GenerateConfig`).

    Returns:
        An object with ``async judge(question, gold, response, aliases=None) -> Verdict``.
    """
    prefix, name = split_spec(check_spec(style))
    if prefix == "rules":
        return RulesJudge(get_judge(name, llm, lang, prompt_source=prompt_source, **kwargs))
    extra: dict[str, Any] = {"exact": True} if prefix == "exact" else {}
    if name == "openseeker-v1":
        extra["prompt_source"] = prompt_source
    if name == "rules":
        return RulesJudge(None)
    return judges.create(name, llm, lang, **kwargs, **extra)
