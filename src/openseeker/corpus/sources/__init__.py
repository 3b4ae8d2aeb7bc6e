"""Streaming source readers, one module each, registered by name in :data:`sources`.

``open_source(path)`` picks the reader from the path (``detect_kind``); ``kind:path`` or ``kind=`` forces one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openseeker.corpus.sources.base import (
    Source,
    SourceItem,
    SourceLink,
    SourcePage,
    SourceRedirect,
    SourceReject,
)
from openseeker.errors import DataError
from openseeker.registry import Registry

sources: Registry[Source] = Registry("source")


@sources.register("wikispeedia")
def _wikispeedia(path: str | Path, **options: Any) -> Source:
    from openseeker.corpus.sources.wikispeedia import WikispeediaSource

    return WikispeediaSource(path, **options)


@sources.register("mediawiki")
def _mediawiki(path: str | Path, **options: Any) -> Source:
    from openseeker.corpus.sources.mediawiki import MediaWikiSource

    return MediaWikiSource(path, **options)


@sources.register("html")
def _html(path: str | Path, **options: Any) -> Source:
    from openseeker.corpus.sources.html import HtmlFolderSource

    return HtmlFolderSource(path, **options)


@sources.register("warc")
def _warc(path: str | Path, **options: Any) -> Source:
    from openseeker.corpus.sources.warc import WarcSource

    return WarcSource(path, **options)


@sources.register("jsonl")
def _jsonl(path: str | Path, **options: Any) -> Source:
    from openseeker.corpus.sources.jsonl import JsonlSource

    return JsonlSource(path, **options)


def detect_kind(path: str | Path) -> str:
    """The source kind for a path, from its layout or file name."""
    p = Path(path)
    name = p.name.lower()
    if p.is_dir():
        if (p / "articles.tsv").exists() and (p / "plaintext_articles.tar.gz").exists():
            return "wikispeedia"
        return "html"
    if not p.exists():
        raise DataError("no such file or folder", path=str(p))
    if name.endswith((".warc", ".warc.gz", ".arc.gz")):
        return "warc"
    if name.endswith((".xml", ".xml.bz2")):
        return "mediawiki"
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        return "jsonl"
    raise DataError(
        "cannot tell the source format from the name (expected a Wikispeedia or HTML folder, .warc[.gz], "
        ".xml[.bz2] or .jsonl[.gz]); force one with KIND:PATH, e.g. jsonl:pages.txt",
        path=str(p),
    )


def resolve_spec(spec: str | Path, kind: str | None = None) -> tuple[str, str]:
    """``(kind, path)`` of a source given as a path or ``kind:path`` (the kind detected when not given)."""
    text = str(spec)
    if kind is None and ":" in text and not Path(text).exists():
        head, rest = text.split(":", 1)
        if head in sources:
            kind, text = head, rest
    return kind or detect_kind(text), text


def open_source(spec: str | Path | Source, kind: str | None = None, **options: Any) -> Source:
    """A :class:`Source` for ``spec`` (a path, ``kind:path``, or a ready Source object)."""
    if isinstance(spec, Source):
        return spec
    kind, text = resolve_spec(spec, kind)
    return sources.create(kind, text, **options)


__all__ = [
    "Source",
    "SourceItem",
    "SourceLink",
    "SourcePage",
    "SourceRedirect",
    "SourceReject",
    "detect_kind",
    "open_source",
    "resolve_spec",
    "sources",
]
