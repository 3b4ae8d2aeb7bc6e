"""What every source reader yields: :class:`SourcePage` records (with raw links) and :class:`SourceReject` s.

Readers stream: they hold one record (plus, for some formats, a small per-file side table) in memory at a
time. Problems with a single record become a :class:`SourceReject` that the ingest writes to the rejects
file; problems that make the rest of a file unreadable (truncated compression, broken XML) raise
:class:`~openseeker.errors.DataError` naming the file and position.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openseeker.records import Record


@dataclass
class SourceLink(Record):
    """A link as found in the source: the target URL (absolute), its anchor text and sentence."""

    url: str
    anchor: str = ""
    context: str = ""


@dataclass
class SourcePage(Record):
    """A page as read from a source, before ids are assigned."""

    url: str
    title: str
    text: str
    language: str | None = None
    links: list[SourceLink] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class SourceRedirect(Record):
    """``url`` is an alias of ``target_url`` (MediaWiki redirects); links to it resolve to the target, and
    ``title`` (when the source has one) finds the target by name too."""

    url: str
    target_url: str
    title: str = ""


@dataclass
class SourceReject(Record):
    """A record that could not be used, with where it was and why."""

    path: str
    position: str
    reason: str
    detail: str = ""


SourceItem = SourcePage | SourceRedirect | SourceReject

# A page larger than this (bytes of its raw record: a JSONL line, a wikitext, an HTML file or WARC block) is
# rejected as ``too_large`` without being parsed, so one hostile record cannot exhaust memory.
DEFAULT_MAX_RECORD_BYTES = 8 * 2**20


class Source(ABC):
    """A streaming reader of one input path.

    Attributes:
        path: the input file or folder.
        kind: the registry name of the reader.
        stats: counters the reader fills while streaming (``skipped_non_html``, ``redirects`` ...).
        limit: stop after this many pages (``None`` = all), for quick runs and tests.
        max_record_bytes: records larger than this are rejected (``too_large``) unparsed (option
            ``max_record_bytes``, default :data:`DEFAULT_MAX_RECORD_BYTES`).
    """

    kind: str = "source"

    def __init__(self, path: str | Path, *, limit: int | None = None, **options: Any):
        self.path = Path(path)
        self.limit = limit
        self.options = options
        self.max_record_bytes = int(options.get("max_record_bytes") or DEFAULT_MAX_RECORD_BYTES)
        self.stats: Counter[str] = Counter()

    def too_large(self, position: str, size: int) -> SourceReject:
        """The counted reject of a record over :attr:`max_record_bytes`."""
        self.stats["rejected"] += 1
        return SourceReject(
            str(self.path),
            position,
            "too_large",
            f"{size:,} bytes > max_record_bytes {self.max_record_bytes:,}",
        )

    @abstractmethod
    def __iter__(self) -> Iterator[SourceItem]:
        """Yield pages, redirects and rejects in input order."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"
