"""Configuration of the QA synthesis stage (``openseeker synth qa``).

Every knob of the pipeline lives here, grouped by step, so that a run folder's ``qa/config.yaml`` says
exactly how its questions were made.
"""

from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from openseeker.config import StrictModel
from openseeker.llm.config import RolesConfig
from openseeker.pipeline.executor import ExecutorConfig
from openseeker.synth.check import BUILTIN, CheckMode, check_class, qa_checks


class SeedConfig(StrictModel):
    """Which pages may become seeds (the answer of a question is the seed page's entity)."""

    min_out_links: int | None = Field(
        default=None,
        description="minimum distinct in-corpus out-links; default: the expansion's min_neighbours",
    )
    exclude_list_pages: bool = Field(
        default=True, description="skip list, index, disambiguation and date pages"
    )
    include: list[str] = Field(default_factory=list, description="only these seeds (titles, URLs or ids)")
    exclude: list[str] = Field(default_factory=list, description="never these seeds (titles, URLs or ids)")
    include_file: str | None = Field(default=None, description="a text file with one title/URL/id per line")
    exclude_file: str | None = Field(default=None, description="a text file with one title/URL/id per line")
    min_text_chars: int = Field(default=200, description="skip stubs shorter than this")


class ExpandConfig(StrictModel):
    """Topological expansion around the seed: the paper's one-hop star, plus an optional second hop."""

    strategy: Literal["random", "informative"] = Field(
        default="informative", description="how neighbours are picked among the seed's out-links"
    )
    min_neighbours: int = Field(default=2, description="fewer usable neighbours than this rejects the seed")
    second_hop: int = Field(
        default=0,
        description="budget of extra pages reached through a first-hop neighbour (indirect entities)",
    )
    skip_list_pages: bool = Field(
        default=True, description="do not expand into list/date/disambiguation pages"
    )


class ExtractConfig(StrictModel):
    """Entity-subgraph extraction by the generator role."""

    page_chars: int = Field(default=600, description="character budget of each page's excerpt in the prompt")
    total_chars: int = Field(default=3600, description="character budget of all excerpts together")
    lead_sentences: int = Field(default=2, description="leading prose sentences of each page always included")
    skip_patterns: list[str] = Field(
        default_factory=lambda: [
            r"^this is a featured article",
            r"^sos children",
            r"click here for more information",
            r"^for more information see",
            r"schools wikipedia selection",
            r"^related subjects",
        ],
        description="regexes of boilerplate sentences never shown to the generator (case-insensitive)",
    )
    min_facts: int = Field(default=2, description="fewer grounded facts than this rejects the seed")
    grounding_threshold: float = Field(
        default=0.85, description="fuzzy containment score an evidence sentence needs to count as found"
    )
    min_evidence_chars: int = Field(default=20, description="shorter evidence is dropped (half for Chinese)")
    constrain_evidence: bool = Field(
        default=True, description="restrict evidence to the shown sentences in the output schema (enum)"
    )
    max_tokens: int = 900


class QuestionConfig(StrictModel):
    """Question generation and obfuscation."""

    min_edges: int = Field(default=2, description="the question must chain at least this many facts")
    max_tokens: int = 400


class ChecksConfig(StrictModel):
    """Verification and quality checks, each ``reject``, ``record`` or ``off``.

    Besides the built-in checks below, any registered QA check (:mod:`openseeker.synth.check`) may be named:
    ``NAME: reject`` (or a mapping ``{mode: reject, <its options>}``) runs it after the built-ins (such keys
    are kept in :attr:`plugins`).
    """


    leak: CheckMode = "reject"
    decontam: CheckMode = "off"
    decontam_files: list[str] = Field(
        default_factory=list, description="benchmark question files (JSONL, CSV or one question per line)"
    )
    decontam_ngram: int = Field(default=8, description="n-gram size (words; characters x2 for Chinese)")
    decontam_threshold: float = Field(default=0.3, description="fraction of shared n-grams that rejects")
    shortcut: CheckMode = "reject"
    shortcut_top_k: int = Field(
        default=3, description="the answer page in the top-k search hits is a shortcut"
    )
    shortcut_depth: int = Field(
        default=50, description="how deep to look for the answer page's rank (recorded)"
    )
    closed_book: CheckMode = "reject"
    oracle: CheckMode = "reject"
    uniqueness: CheckMode = "reject"
    max_alternatives: int = Field(
        default=3, description="how many other answers the uniqueness probe may list"
    )
    clue_truth: CheckMode = Field(
        default="reject", description="every obfuscated description must be true of its entity (rules first)"
    )
    clue_entailment: bool = Field(
        default=True,
        description="ask the verifier about clues the rules leave undecided, once it passes calibration",
    )

    plugins: dict[str, Any] = Field(
        default_factory=dict,
        description="registered QA checks beyond the built-ins: name -> mode, or {mode, <its options>}",
    )

    @model_validator(mode="before")
    @classmethod
    def _collect_plugins(cls, data: Any) -> Any:
        # a registered check named at the top of the section is one of the plugins
        if isinstance(data, dict):
            moved = {k: v for k, v in data.items() if k not in cls.model_fields and k in qa_checks}
            if moved:
                data = {k: v for k, v in data.items() if k not in moved}
                data["plugins"] = {**(data.get("plugins") or {}), **moved}
        return data

    @model_validator(mode="after")
    def _check_plugins(self) -> ChecksConfig:
        for key, value in self.plugins.items():
            if key in BUILTIN or key not in qa_checks:
                known = [n for n in qa_checks.names() if n not in BUILTIN]
                close = difflib.get_close_matches(key, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"plugins: {key!r} is not a registered QA check{hint}")
            mode, opts = (value, {}) if not isinstance(value, dict) else (value.get("mode"), value)
            if mode not in (None, "reject", "record", "off"):
                raise ValueError(f"{key}: mode must be reject, record or off, got {mode!r}")
            cls = check_class(key)
            opts = {k: v for k, v in opts.items() if k != "mode"}
            if opts and cls.Options is None:
                raise ValueError(f"{key}: this check takes no options (got {', '.join(opts)})")
            if cls.Options is not None:
                try:
                    cls.Options.model_validate(opts)
                except ValidationError as e:
                    raise ValueError(f"{key}: {e.errors()[0]['msg']}") from None
        return self

    def mode(self, name: str) -> CheckMode:
        """The mode of check ``name`` (a registered check not configured runs in its default mode)."""
        if name in type(self).model_fields:
            return getattr(self, name)  # type: ignore[no-any-return]
        value = self.plugins.get(name)
        mode = value.get("mode") if isinstance(value, dict) else value
        return mode or check_class(name).default_mode

    def options(self, name: str) -> BaseModel | None:
        """The validated options of a registered (non built-in) check."""
        cls = check_class(name)
        if cls.Options is None:
            return None
        value = self.plugins.get(name)
        opts = {k: v for k, v in value.items() if k != "mode"} if isinstance(value, dict) else {}
        return cls.Options.model_validate(opts)

    def names(self) -> list[str]:
        """The checks to run, in order: the built-ins, then the registered checks named here."""
        return [*BUILTIN, *(k for k in self.plugins if k not in BUILTIN)]


class QASynthConfig(StrictModel):
    """The whole QA synthesis stage.

    ``n`` is the number of seeds tried; the funnel report says how many became accepted questions.
    """

    roles: RolesConfig = Field(default_factory=RolesConfig)
    corpus: str | None = Field(default=None, description="the corpus folder (openseeker corpus ingest)")
    out: str | None = Field(default=None, description="the run folder; records go to <out>/qa/")
    n: int = Field(default=200, description="number of seeds to try")
    k: int = Field(default=6, description="pages gathered around the seed (the difficulty knob)")
    lang: Literal["en", "zh", "any"] = Field(default="any", description="only seeds in this language")
    seed: int = 0
    concurrency: int = 16
    shard_size: int = 1000
    executor: ExecutorConfig = Field(
        default_factory=ExecutorConfig,
        description="where shards run: local (this process) or ray (Ray tasks; {kind, address, workers})",
    )
    judge_style: str = Field(
        default="rules",
        description="judge spec for the closed-book/oracle checks: rules (no model; the default, since the "
        "embedded model fails calibration as a judge), binary, rules+binary, ... (see openseeker eval)",
    )
    judge_prompt_source: str | None = Field(
        default=None, description="openseeker-v1 judge: its prompt file or an official checkout"
    )
    max_false_accept: float = Field(
        default=0.10, ge=0, le=1, description="refuse a judge above this false-accept rate on the calibration set"
    )
    allow_weak_judge: bool = Field(
        default=False, description="run the judged checks with a judge that failed calibration (marked)"
    )
    cache: str | None = Field(
        default=None, description="LLM response cache file; default <out>/cache/llm.sqlite"
    )
    temperature: float = Field(default=0.7, description="sampling temperature of the generator role")
    max_reasks: int = Field(default=2, description="re-asks after an invalid structured reply, per call")
    seeds: SeedConfig = Field(default_factory=SeedConfig)
    expand: ExpandConfig = Field(default_factory=ExpandConfig)
    extract: ExtractConfig = Field(default_factory=ExtractConfig)
    question: QuestionConfig = Field(default_factory=QuestionConfig)
    checks: ChecksConfig = Field(default_factory=ChecksConfig)
    progress: bool = True
