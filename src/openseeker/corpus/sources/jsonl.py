"""JSONL pages: one object per line with ``url``, ``title``, ``text``, optional ``language`` and ``links``
(URL strings or ``{"url", "anchor"}`` objects; relative URLs are resolved against the page URL).

A line that is not valid JSON, not UTF-8, or lacks a field is rejected with its line number; a line longer
than ``max_record_bytes`` is skipped while it is read (never held whole) and rejected as ``too_large``; a
truncated or corrupt ``.gz`` file raises :class:`~openseeker.errors.DataError`.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urldefrag, urljoin

import orjson

from openseeker.corpus.sources.base import Source, SourceItem, SourceLink, SourcePage, SourceReject
from openseeker.corpus.text import detect_language, find_anchor, sentence_around
from openseeker.errors import DataError


def _open(path: str) -> IO[bytes]:
    if path.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


_ABSOLUTE = ("http://", "https://")


def bounded_lines(fh: IO[bytes], max_bytes: int) -> Iterator[tuple[bytes | None, int]]:
    """``(line, size)`` for each line of ``fh``; ``line`` is ``None`` when it is longer than ``max_bytes``
    (the rest of such a line is read and dropped in 1 MB pieces)."""
    while True:
        line = fh.readline(max_bytes + 1)
        if not line:
            return
        if len(line) <= max_bytes or line.endswith(b"\n"):
            yield line, len(line)
            continue
        size = len(line)
        del line
        while True:
            piece = fh.readline(2**20)
            size += len(piece)
            if not piece or piece.endswith(b"\n"):
                break
        yield None, size


def page_from_record(obj: dict[str, Any]) -> SourcePage:
    """Build a page from one JSON object; raises ``ValueError`` on missing or mistyped fields."""
    for key in ("url", "title", "text"):
        if not isinstance(obj.get(key), str):
            raise ValueError(f"field {key!r} is missing or not a string")
    url, text = obj["url"].strip(), obj["text"]
    if not url:
        raise ValueError("field 'url' is empty")
    links: list[SourceLink] = []
    lower = text.lower()
    pos = 0
    for ln in obj.get("links") or []:
        if isinstance(ln, str):
            target, anchor = ln, ""
        elif isinstance(ln, dict) and isinstance(ln.get("url"), str):
            target, anchor = ln["url"], str(ln.get("anchor") or "")
        else:
            raise ValueError(f"link {ln!r} is neither a URL string nor an object with 'url'")
        ctx = str(ln.get("context") or "") if isinstance(ln, dict) else ""
        if anchor and not ctx:
            span = find_anchor(text, anchor, pos, lower)
            if span is not None:
                ctx, pos = sentence_around(text, *span), span[1]
        target = target.strip()
        # Absolute links (the common case) need no urljoin, which is slow in Python.
        target = (
            target.split("#", 1)[0] if target.startswith(_ABSOLUTE) else urldefrag(urljoin(url, target))[0]
        )
        links.append(SourceLink(target, anchor, ctx))
    lang = obj.get("language")
    language = lang if isinstance(lang, str) and lang else detect_language(obj["title"] + " " + text)
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return SourcePage(url, obj["title"], text, language, links, dict(meta or {}))


class JsonlSource(Source):
    """Streaming reader of a ``.jsonl`` / ``.jsonl.gz`` file of pages.

    Options:
        byte_range: ``(start, end)``: only the lines that start in these bytes of an uncompressed file
            (``start`` at a line start; a parallel ingest's work unit). Positions are then given as the
            line's byte offset, since the line number would need a read of everything before it.
    """

    kind = "jsonl"

    def __iter__(self) -> Iterator[SourceItem]:
        path = str(self.path)
        emitted = 0
        lineno = 0
        rng = self.options.get("byte_range")
        offset = rng[0] if rng else 0
        try:
            with _open(path) as fh:
                if rng:
                    fh.seek(offset)
                for lineno, (raw, size) in enumerate(bounded_lines(fh, self.max_record_bytes), 1):
                    if rng and offset >= rng[1]:
                        return
                    where = f"byte {offset}" if rng else f"line {lineno}"
                    offset += size
                    if raw is None:
                        yield self.too_large(where, size)
                        continue
                    if not raw.strip():
                        continue
                    try:
                        obj = orjson.loads(raw)
                        if not isinstance(obj, dict):
                            raise ValueError("the line is not a JSON object")
                        page = page_from_record(obj)
                    except (orjson.JSONDecodeError, ValueError) as e:
                        self.stats["rejected"] += 1
                        reason = "invalid_json" if isinstance(e, orjson.JSONDecodeError) else "invalid_record"
                        yield SourceReject(path, where, reason, str(e)[:300])
                        continue
                    yield page
                    emitted += 1
                    if self.limit is not None and emitted >= self.limit:
                        return
        except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as e:
            raise DataError(
                f"corrupt or truncated compressed file ({type(e).__name__}: {e})",
                path=path,
                position=f"line {lineno + 1}",
            ) from e


def line_ranges(path: Path, unit_bytes: int) -> list[tuple[int, int]]:
    """Byte ranges of about ``unit_bytes`` of an uncompressed JSONL file, each starting at a line start
    (found by seeking near each cut and reading to the next newline: no full read of the file)."""
    size = path.stat().st_size
    cuts = [0]
    with path.open("rb") as fh:
        while cuts[-1] + unit_bytes < size:
            pos = cuts[-1] + unit_bytes
            fh.seek(pos)
            while True:  # to the end of the line the cut fell into, 1 MB at a time (a line may be huge)
                piece = fh.read(2**20)
                i = piece.find(b"\n")
                if i >= 0 or not piece:
                    pos = pos + i + 1 if i >= 0 else size
                    break
                pos += len(piece)
            if pos >= size:
                break
            cuts.append(pos)
    return [(a, b) for a, b in zip(cuts, [*cuts[1:], size], strict=True)]
