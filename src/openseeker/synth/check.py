"""QA checks: one class per check, registered by name; the synthesizer runs the configured list.

A check looks at a finished question (:class:`Candidate`) and returns :class:`Pass` or :class:`Reject`::

    from openseeker.synth.check import Candidate, CheckContext, Pass, QACheck, Reject, qa_checks

    @qa_checks.register("no_digits")
    class NoDigits(QACheck):
        name = "no_digits"
        label = "no digits"                  # its row in the funnel report
        reason = "check:digits"              # the rejection reason when it fails in ``reject`` mode

        async def check(self, record: Candidate, ctx: CheckContext) -> Pass | Reject:
            digits = [c for c in record.question if c.isdigit()]
            return Reject(self.reason, {"digits": digits}) if digits else Pass()

Each check runs in a mode from ``checks.<name>`` (``reject``, ``record`` or ``off``; default
:attr:`QACheck.default_mode`): a failing question is rejected with the check's reason, or the outcome is only
recorded in the QA record, or the check is skipped. A check the configuration names (``checks.no_digits:
reject``) that is not among the built-ins runs after them, in the order given. The funnel report's rows and
the stage's rejection reasons are read from these classes (:func:`steps`), so a new check is one class plus
its registration; third-party packages register through the ``openseeker.qa_check`` entry-point group.

Checks run cheapest first; those that call a model say which roles (:attr:`QACheck.roles`, checked before
the stage starts) and whether a judge decides them (:attr:`QACheck.judged`: the judge is calibrated first).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel

from openseeker.corpus.base import Corpus
from openseeker.errors import ConfigError
from openseeker.judge.verdict import Judge
from openseeker.registry import Registry
from openseeker.synth.records import CheckOutcome, Fact, SubgraphNode

if TYPE_CHECKING:
    from openseeker.llm.registry import Roles
    from openseeker.synth.config import QASynthConfig
    from openseeker.synth.prompts import Prompt

CheckMode = Literal["reject", "record", "off"]
"""``reject``: a failing question is rejected; ``record``: the outcome is only recorded; ``off``: skipped."""


@dataclass
class Pass:
    """The question passes the check (``detail`` and ``raw`` model output are recorded)."""

    detail: dict[str, Any] = field(default_factory=dict)
    raw: str = ""


@dataclass
class Reject:
    """The question fails the check: ``reason`` is its rejection reason (``check:leak``); ``undecided``
    when the check could not decide (an unparsable judge reply), which is never read as a pass."""

    reason: str
    detail: dict[str, Any] = field(default_factory=dict)
    raw: str = ""
    undecided: bool = False


@dataclass
class Candidate:
    """The question under check, with what it was built from."""

    question: str
    answer: str
    aliases: list[str]
    language: str
    seed_id: int
    seed_title: str
    facts: list[Fact]
    """the entity subgraph's grounded facts"""
    obfuscation_map: dict[str, str] = field(default_factory=dict)
    """entity -> the vague description the question uses for it"""
    subgraph: list[SubgraphNode] = field(default_factory=list)
    """the expanded pages (the seed first)"""


@dataclass
class CheckContext:
    """What a check may use: the corpus, the LLM roles, the prompts of the question's language, the cache
    scope of its model calls, and the (calibrated) judge."""

    config: QASynthConfig
    corpus: Corpus
    roles: Roles
    prompts: Mapping[str, Prompt]
    scope: str
    language: str
    judge_for: Callable[[str], Judge]

    def judge(self) -> Judge:
        """The judge of the question's language (built on first use)."""
        return self.judge_for(self.language)


class QACheck:
    """One QA check (see the module docstring). Subclasses set the class attributes and :meth:`check`.

    Args:
        config: the stage config (built-in checks read their options from ``config.checks``).
        options: the check's own options, validated by :attr:`Options`, from ``checks.<name>`` when that is
            a mapping (``{mode: reject, threshold: 3}``).
    """

    name: ClassVar[str]
    label: ClassVar[str] = ""
    """its row in the funnel report (default: the name)"""
    reason: ClassVar[str] = ""
    """the rejection reason of a failed question (default ``check:<name>``)"""
    undecided_reason: ClassVar[str] = ""
    """the rejection reason when the check cannot decide (default ``check:<name>_undecided``)"""
    default_mode: ClassVar[CheckMode] = "reject"
    roles: ClassVar[tuple[str, ...]] = ()
    """the LLM roles it calls (asked once before the stage starts)"""
    judged: ClassVar[bool] = False
    """decided on a judge's word (the judge is calibrated before the stage starts)"""
    always_run: ClassVar[bool] = False
    """still runs when ``off`` (its detail feeds the record), without deciding anything"""
    Options: ClassVar[type[BaseModel] | None] = None
    """the model of the check's own options, if any"""

    def __init__(self, config: QASynthConfig, options: BaseModel | None = None):
        self.config = config
        self.options = options

    @classmethod
    def reject_reason(cls) -> str:
        return cls.reason or f"check:{cls.name}"

    @classmethod
    def undecided(cls) -> str:
        return cls.undecided_reason or f"check:{cls.name}_undecided"

    @classmethod
    def title(cls) -> str:
        return cls.label or cls.name

    async def check(self, record: Candidate, ctx: CheckContext) -> Pass | Reject:
        """Decide on one question."""
        raise NotImplementedError


qa_checks: Registry[type[QACheck]] = Registry("qa_check")
"""Check name -> the :class:`QACheck` class (``@qa_checks.register(name)`` on the class)."""

# the built-in checks, cheapest first (the model-judged ones last); imported when first used
BUILTIN: dict[str, str] = {
    "leak": "openseeker.synth.checks:LeakCheck",
    "decontam": "openseeker.synth.checks:DecontamCheck",
    "shortcut": "openseeker.synth.checks:ShortcutCheck",
    "clue_truth": "openseeker.synth.clue_check:ClueTruthCheck",
    "closed_book": "openseeker.synth.verify:ClosedBookCheck",
    "oracle": "openseeker.synth.verify:OracleCheck",
    "uniqueness": "openseeker.synth.verify:UniquenessCheck",
}


def _register_builtin(name: str, target: str) -> None:
    def factory() -> type[QACheck]:
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]

    qa_checks.register(name)(factory)  # the module's own registration (the class) replaces this on import


for _name, _target in BUILTIN.items():
    _register_builtin(_name, _target)


def check_class(name: str) -> type[QACheck]:
    """The check class registered as ``name``."""
    entry = qa_checks.get(name)
    # a decorated class is registered as itself; a built-in as the factory that imports it
    cls = entry if isinstance(entry, type) else entry()
    if not (isinstance(cls, type) and issubclass(cls, QACheck)):
        raise ConfigError(f"QA check {name!r} is not a QACheck class (got {cls!r}).")
    return cls


def steps(names: list[str]) -> list[tuple[str, str]]:
    """``(name, funnel label)`` of each named check."""
    return [(n, check_class(n).title()) for n in names]


def outcome(name: str, result: Pass | Reject, mode: str) -> CheckOutcome:
    """The recorded outcome of a check's result in ``mode``."""
    if isinstance(result, Pass):
        return CheckOutcome(name, True, mode, result.detail, result.raw)
    return CheckOutcome(name, None if result.undecided else False, mode, result.detail, result.raw)
