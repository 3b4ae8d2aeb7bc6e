"""The retrospective summarizer: compresses one tool response for the teacher's view (METHOD 3.1)."""

from __future__ import annotations

import json
import re
import time

from openseeker.agent import prompts
from openseeker.agent.records import Observation
from openseeker.errors import LLMError
from openseeker.llm.base import LLM
from openseeker.llm.types import GenerateConfig, Usage

_CJK = re.compile(r"[\u4e00-\u9fff]")


def detect_language(text: str) -> str:
    """``zh`` when the text holds CJK characters, else ``en``."""
    return "zh" if _CJK.search(text) else "en"


class Summarizer:
    """Writes ``Observation.summary`` with a summarizer-role LLM.

    Args:
        llm: the summarizer model.
        min_chars: responses shorter than this are kept verbatim (summarizing them saves nothing).
        max_tokens: generation budget of one summary.
        max_input_chars: the raw response is cut to this length in the summarizer's prompt.
        language: ``auto`` (from the question), ``en`` or ``zh``.
    """

    def __init__(
        self,
        llm: LLM,
        *,
        min_chars: int = 200,
        max_tokens: int = 2048,
        max_input_chars: int = 200_000,
        language: str = "auto",
    ):
        self.llm = llm
        self.min_chars = min_chars
        self.max_tokens = max_tokens
        self.max_input_chars = max_input_chars
        self.language = language
        self.usage = Usage()

    def prompt(self, question: str, obs: Observation) -> str:
        """The summarizer's prompt for one observation."""
        lang = detect_language(question) if self.language == "auto" else self.language
        template = prompts.load("summarize_zh" if lang == "zh" else "summarize_en")
        call = json.dumps({"name": obs.name, "arguments": obs.arguments}, ensure_ascii=False)
        return template.format(question=question, call=call, response=obs.response[: self.max_input_chars])

    async def summarize(self, question: str, obs: Observation, *, scope: str | None = None) -> None:
        """Fill ``obs.summary``; a failed call leaves the raw response in the teacher's view (``failed``)."""
        if obs.summary is not None:
            return
        if obs.error or len(obs.response) < self.min_chars:
            obs.summary, obs.summary_method = obs.response, "verbatim"
            return
        start = time.monotonic()
        try:
            out = await self.llm.generate(
                [{"role": "user", "content": self.prompt(question, obs)}],
                config=GenerateConfig(max_tokens=self.max_tokens),
                scope=scope,
            )
        except LLMError as e:
            obs.summary_method = f"failed: {type(e).__name__}"
            obs.summary_seconds = time.monotonic() - start
            return
        self.usage = self.usage + out.usage
        text = out.text
        if "</think>" in text:  # a thinking summarizer: keep only its answer
            text = text.rpartition("</think>")[2]
        obs.summary = text.strip()
        obs.summary_method = "llm"
        obs.summary_seconds = time.monotonic() - start
