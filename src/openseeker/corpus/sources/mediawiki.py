"""MediaWiki XML dumps (``pages-articles.xml`` / ``.xml.bz2``), streamed with ``iterparse``.

Only the article namespace (0) becomes pages. Redirect pages become :class:`SourceRedirect` s, so links to
a redirect resolve to its target. Wikitext is parsed with mwparserfromhell: wikilinks give the link target,
anchor text and context sentence; File/Category/interwiki links are removed; templates, references and
markup are stripped to plain text. Page URLs are ``<site>/wiki/<Title_with_underscores>`` (percent-encoded),
with the site taken from the dump's ``<siteinfo><base>``, so links and pages match exactly.
"""

from __future__ import annotations

import bz2
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import quote

from openseeker.corpus.sources.base import (
    Source,
    SourceItem,
    SourceLink,
    SourcePage,
    SourceRedirect,
    SourceReject,
)
from openseeker.corpus.text import clean_whitespace, detect_language, find_anchor, sentence_around
from openseeker.errors import DataError, missing_extra

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_INTERWIKI = re.compile(r"^[a-z]{2,3}(-[a-z]{2,})*$")
# Namespace names and aliases that never hold articles, in English and Chinese, on top of those the dump
# lists in <siteinfo><namespaces>.
_NON_ARTICLE = {
    "file",
    "image",
    "media",
    "category",
    "template",
    "wikipedia",
    "wp",
    "help",
    "portal",
    "special",
    "user",
    "talk",
    "module",
    "draft",
    "mediawiki",
    "文件",
    "檔案",
    "档案",
    "图像",
    "圖像",
    "分类",
    "分類",
    "模板",
    "维基百科",
    "維基百科",
    "帮助",
    "幫助",
    "主题",
    "主題",
    "用户",
    "用戶",
    "特殊",
    "媒体",
    "媒體",
}

# Tags whose content is not article prose.
_DROP_TAGS = {"ref", "references", "gallery", "math", "score", "timeline", "syntaxhighlight", "templatedata"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def title_url(prefix: str, title: str) -> str:
    """The canonical URL of a wiki title: first letter upper-cased, spaces as underscores, percent-encoded."""
    t = " ".join(title.replace("_", " ").split())
    if t and t[0].islower():
        t = t[0].upper() + t[1:]
    return prefix + quote(t.replace(" ", "_"), safe="/:_(),'!-.~")


def _open(path: str) -> tuple[IO[bytes], IO[bytes]]:
    """``(stream to parse, underlying file)``; the file's offset locates errors in compressed input."""
    raw = open(path, "rb")
    return (bz2.open(raw, "rb") if path.endswith(".bz2") else raw), raw  # type: ignore[return-value]


class MediaWikiSource(Source):
    """Streaming reader of a MediaWiki XML export (see module docstring).

    Options:
        base_url: the ``.../wiki/`` prefix to use when the dump has no ``<siteinfo><base>``.
        language: force the language instead of the dump's ``xml:lang`` / detection.
    """

    kind = "mediawiki"

    def __iter__(self) -> Iterator[SourceItem]:
        try:
            import mwparserfromhell  # noqa: F401
        except ImportError as e:  # pragma: no cover - installed with the corpus extra
            raise missing_extra("mwparserfromhell", "corpus", "Reading MediaWiki dumps") from e
        path = str(self.path)
        prefix = self.options.get("base_url") or ""
        language: str | None = self.options.get("language")
        namespaces = set(_NON_ARTICLE)
        pages = 0
        last = "the first page"
        fh, raw = _open(path)
        try:
            root: ET.Element | None = None
            for event, elem in ET.iterparse(fh, events=("start", "end")):
                tag = _local(elem.tag)
                if event == "start":
                    if root is None:
                        root = elem
                        language = language or (elem.get(_XML_LANG) or None)
                    continue
                if tag == "siteinfo":
                    base = elem.findtext("{*}base") or ""
                    if not prefix and "/wiki/" in base:
                        prefix = base.split("/wiki/", 1)[0] + "/wiki/"
                    for ns in elem.iter():
                        if _local(ns.tag) == "namespace" and ns.get("key") not in (None, "0") and ns.text:
                            namespaces.add(ns.text.strip().lower())
                    root.clear() if root is not None else None
                elif tag == "page":
                    title = (elem.findtext("{*}title") or "").strip()
                    last = f"the page after {title!r}"
                    item = self._page(
                        elem, title, prefix or "https://en.wikipedia.org/wiki/", language, namespaces
                    )
                    # Free the parsed page: without this the tree of the whole dump would pile up in memory.
                    elem.clear()
                    if root is not None:
                        root.clear()
                    if item is None:
                        continue
                    yield item
                    if isinstance(item, SourcePage):
                        pages += 1
                        if self.limit is not None and pages >= self.limit:
                            return
        except ET.ParseError as e:
            line, col = e.position
            raise DataError(
                f"malformed XML ({e})", path=path, position=f"line {line}, column {col} (reading {last})"
            ) from e
        except EOFError as e:
            raise DataError(
                f"compressed stream ended early, the file is truncated ({e})",
                path=path,
                position=f"byte {raw.tell()} (reading {last})",
            ) from e
        except OSError as e:
            raise DataError(
                f"cannot read the compressed stream ({e})",
                path=path,
                position=f"byte {raw.tell()} (reading {last})",
            ) from e
        finally:
            fh.close()
            raw.close()

    def _page(
        self, elem: ET.Element, title: str, prefix: str, language: str | None, namespaces: set[str]
    ) -> SourceItem | None:
        import mwparserfromhell

        ns = (elem.findtext("{*}ns") or "0").strip()
        if ns != "0":
            self.stats["skipped_namespace"] += 1
            return None
        url = title_url(prefix, title)
        redirect = elem.find("{*}redirect")
        if redirect is not None and redirect.get("title"):
            self.stats["redirects"] += 1
            return SourceRedirect(url, title_url(prefix, redirect.get("title", "")))
        rev = elem.find("{*}revision")
        text_el = rev.find("{*}text") if rev is not None else None
        if text_el is None or text_el.text is None:
            self.stats["rejected"] += 1
            return SourceReject(str(self.path), f"page {title!r}", "no_text", "the page has no revision text")
        try:
            code = mwparserfromhell.parse(text_el.text)
        except Exception as e:
            self.stats["rejected"] += 1
            return SourceReject(str(self.path), f"page {title!r}", "wikitext_parse_error", repr(e))
        for tag in code.filter_tags(recursive=True):
            if str(tag.tag).strip().lower() in _DROP_TAGS:
                try:
                    code.remove(tag)
                except ValueError:
                    pass  # inside a node already removed
        raw_links: list[tuple[str, str]] = []
        for wl in code.filter_wikilinks(recursive=True):
            target = str(wl.title).strip().lstrip(":")
            head = target.split(":", 1)[0].strip().lower() if ":" in target else ""
            if head and (head in namespaces or _INTERWIKI.match(head)):
                try:
                    code.remove(wl)
                except ValueError:
                    pass  # nested inside a node already removed
                continue
            target = target.split("#", 1)[0].strip()
            if not target:
                continue
            anchor = (
                mwparserfromhell.parse(str(wl.text)).strip_code().strip() if wl.text is not None else target
            )
            raw_links.append((target, anchor or target))
        text = clean_whitespace(code.strip_code(normalize=True, collapse=True))
        links: list[SourceLink] = []
        lower = text.lower()
        pos = 0
        for target, anchor in raw_links:
            span = find_anchor(text, anchor, pos, lower)
            ctx = ""
            if span is not None:
                ctx = sentence_around(text, *span)
                pos = span[1]
            links.append(SourceLink(title_url(prefix, target), anchor, ctx))
        lang = language if language in ("en", "zh") else detect_language(text)
        meta: dict[str, Any] = {}
        if rev is not None and rev.findtext("{*}timestamp"):
            meta["timestamp"] = rev.findtext("{*}timestamp")
        return SourcePage(url, title, text, lang, links, meta)
