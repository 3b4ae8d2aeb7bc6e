"""The verifier's entailment call for clues the rules leave undecided, behind a calibration gate.

"Do these facts support this description of X?" is a judgement a model can get wrong, so the verifier is
asked only after it has passed calibration on a labelled clue set (``clue_calibration.yaml``: our own
items in English and Chinese; true descriptions, and descriptions with a wrong type, date, number or
relation, a detail the facts do not state, a copied example). The harness is the one that calibrates
answer judges (:mod:`openseeker.judge.calibration`): the verifier is wrapped as a judge whose *question*
is the facts, *gold* the entity and *response* the description, so the figures (agreement, false-accept
by language), the cache per model and prompt version, and the gate's threshold (``max_false_accept``)
are the same. A verifier above the threshold is never asked: its clues stay undecided and are rejected,
which costs yield, never truth.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel

from openseeker.errors import StructuredOutputError
from openseeker.judge.calibration import Calibration, CalibrationItem, calibrate, load_set
from openseeker.judge.verdict import Verdict
from openseeker.llm.base import LLM
from openseeker.llm.structured import generate_structured
from openseeker.synth.prompts import Prompt, load_prompts
from openseeker.synth.structured import structured_config

log = logging.getLogger(__name__)

# (entity, description, evidence lines, language) -> "true" | "false" | None, and the raw reply ("" when
# the verifier was not asked)
Entail = Callable[[str, str, list[str], str], Awaitable[tuple[str | None, str]]]


class ClueVerdictOut(BaseModel):
    """The verifier's verdict on one description."""

    verdict: Literal["supported", "contradicted", "not_stated"]


def render_evidence(lines: list[str]) -> str:
    """The evidence lines as the prompt shows them."""
    return "\n".join(f"- {x}" for x in lines if x.strip()) or "-"


class EntailmentJudge:
    """The verifier asked whether facts support a description (in the judge protocol, for calibration).

    Args:
        llm: the verifier.
        prompt: the ``clue`` prompt of one language.
        scope: the response-cache scope of its calls.
        max_reasks: re-asks after an invalid reply.
    """

    def __init__(self, llm: LLM, prompt: Prompt, *, scope: str = "clue", max_reasks: int = 1):
        self.llm = llm
        self.prompt = prompt
        self.name = "clue-entailment"
        self.prompt_version = prompt.version
        self.scope = scope
        self.max_reasks = max_reasks
        self.generation = structured_config(ClueVerdictOut, temperature=0.0, max_tokens=40)

    @property
    def model_id(self) -> str:
        return self.llm.name

    async def ask(self, entity: str, description: str, lines: list[str]) -> tuple[str | None, str]:
        """``(supported | contradicted | not_stated | None when unparsable, raw reply)``."""
        msgs = self.prompt.messages(entity=entity, facts=render_evidence(lines), description=description)
        try:
            obj, out = await generate_structured(
                self.llm,
                msgs,
                ClueVerdictOut,
                self.generation,
                scope=f"{self.scope}|clue|{entity}",
                max_reasks=self.max_reasks,
            )
        except StructuredOutputError as e:
            return None, e.raw or ""
        return obj.verdict, out.text

    async def judge(
        self, question: str, gold: str, response: str, *, aliases: list[str] | None = None
    ) -> Verdict:
        """Calibration's view: ``question`` holds the evidence lines, ``gold`` the entity, ``response`` the
        description; correct means "supported"."""
        label, raw = await self.ask(gold, response, [x for x in question.splitlines() if x.strip()])
        correct = None if label is None else label == "supported"
        return Verdict(correct, self.name, self.prompt_version, raw, label, method="llm")


def load_clue_set() -> tuple[str, list[CalibrationItem]]:
    """``(version, items)`` of the built-in clue calibration set."""
    return load_set(str(files(__package__).joinpath("clue_calibration.yaml")))


class EntailmentGate:
    """Calibrates the verifier once per run (on first need) and hands out the entailment call.

    Args:
        max_false_accept: the most false-accepts (false or unstated descriptions judged supported),
            overall or in either language, a usable verifier may have.
    """

    def __init__(self, max_false_accept: float):
        self.max_false_accept = max_false_accept
        self.calibration: Calibration | None = None
        self.usable: bool | None = None
        self._lock = asyncio.Lock()

    async def ensure(self, llm: LLM, max_reasks: int) -> bool:
        """Whether the verifier passed calibration (run on the first call, cached per model on disk)."""
        async with self._lock:
            if self.usable is None:
                judges = {
                    lang: EntailmentJudge(
                        llm, load_prompts(lang)["clue"], scope="clue-calibration", max_reasks=max_reasks
                    )
                    for lang in ("en", "zh")
                }
                version, items = load_clue_set()
                cal = await calibrate(
                    lambda lang: judges["zh" if lang == "zh" else "en"], items=items, set_version=version
                )
                cal.threshold = self.max_false_accept
                cal.passed = cal.worst_false_accept <= self.max_false_accept
                self.calibration, self.usable = cal, cal.passed
                log.log(
                    logging.INFO if cal.passed else logging.WARNING,
                    "clue entailment by the verifier %s: %s",
                    "enabled" if cal.passed else "off (failed calibration; undecided clues are rejected)",
                    cal.line(),
                )
        return bool(self.usable)

    def entailer(self, llm: LLM, prompt: Prompt, scope: str, max_reasks: int) -> Entail:
        """The entailment call of one question (its language's prompt, its cache scope)."""
        judge = EntailmentJudge(llm, prompt, scope=scope, max_reasks=max_reasks)

        async def entail(
            entity: str, description: str, lines: list[str], lang: str
        ) -> tuple[str | None, str]:
            if not await self.ensure(llm, max_reasks):
                return None, ""
            label, raw = await judge.ask(entity, description, lines)
            return {"supported": "true", "contradicted": "false"}.get(label or ""), raw

        return entail
