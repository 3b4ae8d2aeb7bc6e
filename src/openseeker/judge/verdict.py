"""The judge contract shared by QA verification and evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from openseeker.records import Record


@dataclass
class Verdict(Record):
    """A judge's decision on one predicted answer.

    ``correct`` is ``None`` when the judge's reply could not be parsed even after retries (or no rule
    decided and no LLM judge was configured): such items are counted as *unparsed*, never guessed.

    ``method`` says what decided: ``exact`` (the exact-match option), ``rules`` (the rules judge), ``llm``
    (a judge model), ``table`` (WideSearch scoring) or ``none``. ``official`` is the label the official
    OpenSeeker ``eval.py`` would read from the first reply of an A/B judge (``A``, ``B`` or ``unknown``;
    ``None`` where that convention does not apply).
    """

    correct: bool | None
    judge: str = ""
    prompt_version: str = ""
    raw: str = ""
    extracted_answer: str | None = None
    confidence: float | None = None
    method: str = "llm"
    attempts: int = 1
    details: dict[str, Any] = field(default_factory=dict)
    official: str | None = None

    @property
    def parsed(self) -> bool:
        return self.correct is not None


@runtime_checkable
class Judge(Protocol):
    """Decides whether ``response`` answers ``question`` with the ``gold`` answer."""

    name: str

    async def judge(
        self, question: str, gold: str, response: str, *, aliases: list[str] | None = None
    ) -> Verdict: ...
