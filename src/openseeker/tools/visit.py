"""The ``visit`` tool: read pages, either raw or as a goal-conditioned extraction.

* **raw**: the page text (truncated to ``max_page_chars`` with a visible marker) and its out-links.
* **extract**: like the OpenSeeker visit tool (METHOD.md 6.2), a summarizer LLM reads the page with the
  agent's goal and returns JSON ``{"rational", "evidence", "summary"}`` (``rational`` spelled as in the
  trained format). Long pages are split into chunks of ``chunk_chars`` at paragraph breaks, extracted
  concurrently and merged. The agent sees ``Evidence in page:`` and ``Summary:`` sections.

Every failure is an observation: an unknown URL or fetch error becomes a sentence naming the URL, and a
summarizer failure falls back to a truncated raw excerpt, saying so.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import BaseModel, Field

from openseeker.errors import BudgetExceededError, ConfigError, LLMError, ToolError
from openseeker.llm.base import LLM
from openseeker.llm.structured import generate_structured
from openseeker.llm.types import Message, ToolSpec
from openseeker.text import has_cjk
from openseeker.tools.base import FetchedPage, PageFetcher, Tool
from openseeker.tools.layout import OPENSEEKER, ToolLayout

VISIT_SPEC = ToolSpec(
    name="visit",
    description=(
        "Open one or more web pages and return what they say about your goal: the relevant evidence quoted "
        "from the page and a short summary."
    ),
    parameters={
        "type": "object",
        "properties": {
            "url": {
                "type": ["string", "array"],
                "items": {"type": "string"},
                "minItems": 1,
                "description": "The URL of a page, or a list of URLs, to read.",
            },
            "goal": {"type": "string", "description": "What you want to learn from the page(s)."},
        },
        "required": ["url", "goal"],
    },
)

FALLBACK_EXCERPT_CHARS = 6000
MAX_LINKS_SHOWN = 100


class PageExtraction(BaseModel):
    """The summarizer's reply for one chunk."""

    rational: str = Field(default="", description="where in the page the goal-relevant information is")
    evidence: str = Field(default="", description="the relevant passages, quoted as completely as needed")
    summary: str = Field(default="", description="how the evidence answers the goal, in a short paragraph")


_PROMPT_EN = """You read a web page on behalf of a research agent and pull out what serves its goal.

## Page ({url})
{content}

## Goal
{goal}

Do three things:
1. rational: say which parts of the page relate to the goal (or that none do).
2. evidence: copy the relevant passages from the page, with enough surrounding context to be understood on
   their own. Keep numbers, names and dates exactly as written. Several paragraphs are fine. Leave it empty if
   nothing is relevant.
3. summary: in one short paragraph, state what the evidence tells about the goal, in a logical order.

Answer with one JSON object with exactly the keys "rational", "evidence" and "summary", and nothing else."""

_PROMPT_ZH = """你代表一个研究型智能体阅读网页，找出与其目标相关的内容。

## 网页（{url}）
{content}

## 目标
{goal}

请完成三件事：
1. rational：指出网页中哪些部分与目标有关（若都无关，请说明）。
2. evidence：原样摘录相关段落，保留足够的上下文使其可以单独理解；数字、人名、日期须与原文一致。可以有多段。若没有相关内容则留空。
3. summary：用一小段话，按逻辑顺序说明这些证据对目标意味着什么。

只输出一个 JSON 对象，键恰好为 "rational"、"evidence" 和 "summary"，不要输出其他内容。"""


def split_chunks(text: str, chunk_chars: int) -> list[str]:
    """Split ``text`` into pieces of at most ``chunk_chars``, preferring paragraph, then line, breaks."""
    if len(text) <= chunk_chars:
        return [text]
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + chunk_chars)
        if end < len(text):
            for sep in ("\n\n", "\n", "。", ". ", " "):
                cut = text.rfind(sep, start + chunk_chars // 2, end)
                if cut > start:
                    end = cut + len(sep)
                    break
        chunks.append(text[start:end])
        start = end
    return chunks


def truncate(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` with a visible marker saying how much was left out."""
    if len(text) <= max_chars:
        return text
    return (
        text[:max_chars] + f"\n\n[... page truncated: showing the first {max_chars:,} of {len(text):,} "
        "characters ...]"
    )


def parse_urls(arguments: dict[str, Any], layout: ToolLayout = OPENSEEKER) -> list[str]:
    """The URLs of a call: a string or a list of strings."""
    raw = arguments.get("url")
    if raw is None:
        raise ToolError(layout.visit_invalid or "the visit tool needs a 'url' argument: a URL or a list of URLs")
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(u, str) for u in raw):
        raise ToolError("'url' must be a string or an array of strings")
    urls = [u.strip() for u in raw if u.strip()]
    if not urls:
        raise ToolError("'url' is empty; give at least one URL")
    return urls


class VisitTool(Tool):
    """``visit(url: str | list[str], goal: str)`` (see module docstring).

    Args:
        fetcher: where pages come from (local corpus or the web).
        summarizer: the LLM for extract mode (``None``: raw only).
        mode: ``"raw"``, ``"extract"``, or ``"auto"`` (extract when a summarizer is given).
        max_page_chars: page text beyond this is cut (raw output and extractor input).
        chunk_chars: extractor input per LLM call; longer pages are split and merged.
        max_urls: URLs beyond this many in one call are not visited (the text says so).
        layout: how the response reads (set by the agent profile).
    """

    def __init__(
        self,
        fetcher: PageFetcher,
        summarizer: LLM | None = None,
        mode: Literal["auto", "raw", "extract"] = "auto",
        max_page_chars: int = 60_000,
        chunk_chars: int = 24_000,
        max_urls: int = 5,
        layout: ToolLayout = OPENSEEKER,
    ):
        if mode == "extract" and summarizer is None:
            raise ConfigError(
                "visit mode 'extract' needs a summarizer LLM (roles.summarizer); use mode 'raw' or "
                "'auto' to read pages without one"
            )
        self.fetcher = fetcher
        self.summarizer = summarizer
        self.mode: Literal["raw", "extract"] = (
            "extract" if (mode == "extract" or (mode == "auto" and summarizer is not None)) else "raw"
        )
        self.max_page_chars = max_page_chars
        self.chunk_chars = max(1000, chunk_chars)
        self.max_urls = max_urls
        self.layout = layout
        self.spec = VISIT_SPEC

    async def __call__(self, arguments: dict[str, Any]) -> str:
        urls = parse_urls(arguments, self.layout)
        goal = arguments.get("goal")
        if not isinstance(goal, str) or not goal.strip():
            raise ToolError(
                self.layout.visit_invalid
                or "the visit tool needs a 'goal' argument: what you want to learn from the page"
            )
        extra = urls[self.max_urls :]
        parts = list(await asyncio.gather(*(self._one(u, goal.strip()) for u in urls[: self.max_urls])))
        if extra:
            parts.append(f"{len(extra)} more URLs were not visited: at most {self.max_urls} per call.")
        out = self.layout.url_separator.join(parts)
        return out.strip() if self.layout.strip_output else out

    async def _one(self, url: str, goal: str) -> str:
        try:
            page = await self.fetcher.fetch(url)
        except ToolError as e:
            return self.layout.visit_failed.format(url=url, error=e)
        except BudgetExceededError:
            raise  # a spent budget stops the stage (to resume later); it is not an observation
        except Exception as e:
            return self.layout.visit_failed.format(url=url, error=f"{type(e).__name__}: {e}")
        if not page.content.strip():
            return self.layout.visit_empty.format(url=url)
        if self.mode == "raw" or self.summarizer is None:
            return self.render_raw(page)
        return await self._extract(page, goal)

    def render_raw(self, page: FetchedPage, max_chars: int | None = None) -> str:
        """Page text (truncated) plus its out-links with anchors."""
        head = f"Content of {page.url}" + (f" ({page.title})" if page.title else "") + ":"
        out = head + "\n\n" + truncate(page.content, max_chars or self.max_page_chars)
        if page.links:
            anchors = page.metadata.get("anchors") or []
            lines = []
            for i, link in enumerate(page.links[:MAX_LINKS_SHOWN]):
                anchor = anchors[i] if i < len(anchors) and anchors[i] else ""
                lines.append(f"- [{anchor}]({link})" if anchor else f"- {link}")
            more = len(page.links) - MAX_LINKS_SHOWN
            tail = f"\n... and {more} more links" if more > 0 else ""
            out += f"\n\nLinks on this page ({len(page.links)}):\n" + "\n".join(lines) + tail
        return out

    def _messages(self, page: FetchedPage, chunk: str, goal: str) -> list[Message]:
        zh = has_cjk(goal) or page.metadata.get("language") == "zh"
        template = _PROMPT_ZH if zh else _PROMPT_EN
        return [{"role": "user", "content": template.format(url=page.url, content=chunk, goal=goal)}]

    async def _extract(self, page: FetchedPage, goal: str) -> str:
        assert self.summarizer is not None
        text = page.content[: self.max_page_chars]
        chunks = split_chunks(text, self.chunk_chars)
        summarizer = self.summarizer

        async def run(chunk: str) -> PageExtraction | str:
            try:
                obj, _ = await generate_structured(
                    summarizer, self._messages(page, chunk, goal), PageExtraction
                )
                return obj
            except LLMError as e:
                return f"{type(e).__name__}: {e}"

        results = await asyncio.gather(*(run(c) for c in chunks))
        done = [r for r in results if isinstance(r, PageExtraction)]
        failed = [r for r in results if isinstance(r, str)]
        if not done:
            if self.layout.visit_extract_failed is not None:
                return self.layout.visit_extract_failed.format(url=page.url, goal=goal)
            excerpt = self.render_raw(page, FALLBACK_EXCERPT_CHARS)
            return (
                f"The extractor could not process {page.url} ({failed[0][:300]}); here is the beginning of the "
                f"raw page instead.\n\n{excerpt}"
            )
        relevant = [r for r in done if r.evidence.strip()]
        evidence = "\n\n".join(r.evidence.strip() for r in relevant)
        summaries = [r.summary.strip() for r in (relevant or done[:1]) if r.summary.strip()]
        summary = " ".join(summaries)
        if not evidence:
            evidence = self.layout.visit_no_evidence
        if failed:
            summary += (
                f" (Note: {len(failed)} of {len(chunks)} parts of this long page could not be processed "
                "and are not covered.)"
            )
        return self.layout.visit_extract.format(
            url=page.url, goal=goal, evidence=evidence, summary=summary.strip()
        )
