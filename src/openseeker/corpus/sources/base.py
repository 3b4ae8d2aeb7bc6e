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
    """``url`` is an alias of ``target_url`` (MediaWiki redirects); links to it resolve to the target."""

    url: str
    target_url: str


@dataclass
class SourceReject(Record):
    """A record that could not be used, with where it was and why."""

    path: str
    position: str
    reason: str
    detail: str = ""


SourceItem = SourcePage | SourceRedirect | SourceReject


class Source(ABC):
    """A streaming reader of one input path.

    Attributes:
        path: the input file or folder.
        kind: the registry name of the reader.
        stats: counters the reader fills while streaming (``skipped_non_html``, ``redirects`` ...).
        limit: stop after this many pages (``None`` = all), for quick runs and tests.
    """

    kind: str = "source"

    def __init__(self, path: str | Path, *, limit: int | None = None, **options: Any):
        self.path = Path(path)
        self.limit = limit
        self.options = options
        self.stats: Counter[str] = Counter()

    @abstractmethod
    def __iter__(self) -> Iterator[SourceItem]:
        """Yield pages, redirects and rejects in input order."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"
