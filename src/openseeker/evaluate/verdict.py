"""The judge contract shared by QA verification and evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from openseeker.records import Record


@dataclass
class Verdict(Record):
    """A judge's decision on one predicted answer.

    ``correct`` is ``None`` when the judge's reply could not be parsed even after retries: such items are
    counted as *unparsed*, never guessed.
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
