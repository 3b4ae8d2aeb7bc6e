"""HTML pages: a folder of ``.html`` files (this module) and the HTML parsing shared with the WARC reader.

Main text comes from resiliparse (``main_content=True`` drops navigation, footers, banners); links come from
selectolax's lexbor parser (resiliparse's element iteration is quadratic in the number of links) and are
resolved against the page URL (or its ``<base href>``), with fragments removed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urldefrag, urljoin

from openseeker.corpus.sources.base import Source, SourceItem, SourceLink, SourcePage, SourceReject
from openseeker.corpus.text import clean_whitespace, detect_language, find_anchor, sentence_around

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_LINK_SCHEMES = ("http://", "https://", "file://")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")


@dataclass
class DecodeFailure:
    """Why the bytes of a page could not be decoded."""

    position: int
    detail: str


def decode_html(data: bytes, declared: str | None = None) -> str | DecodeFailure:
    """Decode page bytes: UTF-8, else the charset declared (HTTP header or ``<meta>``), else fail.

    Guessing an encoding would silently garble text, so an undecodable page is reported instead.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        first = e
    candidates = [declared] if declared else []
    m = _META_CHARSET.search(data[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii", "replace"))
    for cs in candidates:
        cs = cs.strip().lower()
        if cs in ("utf-8", "utf8"):
            continue
        try:
            return data.decode(cs)
        except (LookupError, UnicodeDecodeError):
            continue
    return DecodeFailure(
        first.start, f"not valid UTF-8 and no usable declared charset ({first.reason} at byte {first.start})"
    )


def charset_from_content_type(value: str | None) -> str | None:
    """``text/html; charset=ISO-8859-1`` -> ``ISO-8859-1``."""
    if not value:
        return None
    m = re.search(r"charset\s*=\s*\"?([A-Za-z0-9_\-:.]+)", value, re.IGNORECASE)
    return m.group(1) if m else None


def parse_html(html: str, url: str) -> SourcePage:
    """Title, main text and resolved links of one HTML document at ``url``."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree
    from selectolax.lexbor import LexborHTMLParser

    tree = HTMLTree.parse(html)
    text = clean_whitespace(extract_plain_text(tree, main_content=True))
    if not text:
        # Very short pages have no detectable "main content"; keep all their text rather than nothing.
        text = clean_whitespace(extract_plain_text(tree, main_content=False))
    title = " ".join((tree.title or "").split())
    parser = LexborHTMLParser(html)
    base = url
    base_el = parser.css_first("base[href]")
    if base_el is not None and base_el.attributes.get("href"):
        base = urljoin(url, base_el.attributes.get("href") or "")
    links: list[SourceLink] = []
    seen: set[tuple[str, str]] = set()
    lower = text.lower()
    pos = 0
    for a in parser.css("a[href]"):
        href = (a.attributes.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        target = urldefrag(urljoin(base, href))[0]
        if not target.startswith(_LINK_SCHEMES) or target == url:
            continue
        anchor = " ".join(a.text(strip=True).split())
        if (target, anchor) in seen:
            continue
        seen.add((target, anchor))
        span = find_anchor(text, anchor, pos, lower) if anchor else None
        ctx = ""
        if span is not None:
            ctx = sentence_around(text, *span)
            pos = span[1]
        links.append(SourceLink(target, anchor, ctx))
    return SourcePage(
        url, title or url.rstrip("/").rsplit("/", 1)[-1], text, detect_language(title + " " + text), links
    )


def html_files(root: Path) -> list[Path]:
    """Every HTML file under ``root``, sorted (the order pages are read in)."""
    files: list[Path] = []
    for dirpath, _dirs, names in os.walk(root):
        files.extend(Path(dirpath) / n for n in names if n.lower().endswith(HTML_SUFFIXES))
    files.sort()
    return files


class HtmlFolderSource(Source):
    """Every ``.html``/``.htm`` file under a folder (sorted, recursive).

    Options:
        base_url: URL prefix for the folder (``https://docs.example.org/``); a file's URL is the prefix plus
            its relative path. Without it, pages get ``file://`` URLs, and relative links between files
            still resolve to each other.
        file_range: ``(start, end)``: only these files of the sorted list (a parallel ingest's work unit).
    """

    kind = "html"

    def __iter__(self) -> Iterator[SourceItem]:
        root = self.path.resolve()
        base_url: str | None = self.options.get("base_url")
        if base_url and not base_url.endswith("/"):
            base_url += "/"
        files = html_files(root)
        if self.options.get("file_range"):  # a work unit of the parallel ingest: a slice of the sorted files
            start, end = self.options["file_range"]
            files = files[start:end]
        self.stats["files"] = len(files)
        emitted = 0
        for f in files:
            url = base_url + f.relative_to(root).as_posix() if base_url else f.as_uri()
            try:
                size = f.stat().st_size
                if size > self.max_record_bytes:
                    yield self.too_large(str(f), size)
                    continue
                data = f.read_bytes()
            except OSError as e:
                self.stats["rejected"] += 1
                yield SourceReject(str(f), "file", "unreadable", str(e))
                continue
            html = decode_html(data)
            if isinstance(html, DecodeFailure):
                self.stats["rejected"] += 1
                yield SourceReject(str(f), f"byte {html.position}", "undecodable", html.detail)
                continue
            page = parse_html(html, url)
            if not page.text:
                self.stats["rejected"] += 1
                yield SourceReject(str(f), "file", "no_text", "no text could be extracted")
                continue
            yield page
            emitted += 1
            if self.limit is not None and emitted >= self.limit:
                return
