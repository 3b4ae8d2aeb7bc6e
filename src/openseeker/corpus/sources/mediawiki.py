"""MediaWiki XML dumps (``pages-articles.xml`` / ``.xml.bz2``), streamed with ``iterparse``.

Only the article namespace (0) becomes pages. Redirect pages become :class:`SourceRedirect` s, so links to
a redirect resolve to its target (and its title finds the target). Each page's wikitext is tokenized once by
mwparserfromhell and rendered by :mod:`openseeker.corpus.sources.wikitext`: links give the target, the
display text as anchor (``[[Copper_Field]]`` shows as "Copper Field") and the sentence around it;
File/Category/interwiki links, templates, references and markup are dropped.

Page URLs are ``<prefix><Title_with_underscores>`` (percent-encoded), so links and pages match exactly. The
prefix is, in order: the ``site`` option (``--site``), the dump's ``<siteinfo><base>``, the ``base_url``
option, the site named by ``<dbname>`` (``zhwiki`` -> ``https://zh.wikipedia.org/wiki/``), the dump's
``xml:lang`` (``https://<lang>.wikipedia.org/wiki/``), and last ``https://en.wikipedia.org/wiki/``.
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
from openseeker.corpus.text import detect_language, sentence_around
from openseeker.errors import DataError, missing_extra

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_DBNAME = re.compile(
    r"^([a-z][a-z0-9_]*?)(wiki|wiktionary|wikiquote|wikibooks|wikisource|wikinews|wikiversity|wikivoyage)$"
)
_NOT_A_LANGUAGE = {"commons", "meta", "species", "wikidata", "mediawiki", "outreach", "incubator"}
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

WIKIPEDIA_EN = "https://en.wikipedia.org/wiki/"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def title_url(prefix: str, title: str) -> str:
    """The canonical URL of a wiki title: first letter upper-cased, spaces as underscores, percent-encoded."""
    t = " ".join(title.replace("_", " ").split())
    if t and t[0].islower():
        t = t[0].upper() + t[1:]
    return prefix + quote(t.replace(" ", "_"), safe="/:_(),'!-.~")


def normalize_site(site: str) -> str:
    """A ``--site`` value as a title prefix: ``https://zh.wikipedia.org`` -> ``https://zh.wikipedia.org/wiki/``;
    a value with a path (``https://host/w/index.php/``) is kept, with a trailing slash."""
    site = site.strip()
    rest = site.split("://", 1)[-1]
    if "/" not in rest.rstrip("/"):
        return site.rstrip("/") + "/wiki/"
    return site if site.endswith(("/", "=")) else site + "/"


def prefix_from_base(base: str) -> str | None:
    """The title prefix of a ``<siteinfo><base>`` URL (the main page's URL)."""
    base = base.strip()
    if not base.startswith(("http://", "https://")):
        return None
    if "/wiki/" in base:
        return base.split("/wiki/", 1)[0] + "/wiki/"
    if "?title=" in base:
        return base.split("?title=", 1)[0] + "?title="
    return base.rsplit("/", 1)[0] + "/"


def prefix_from_dbname(dbname: str) -> str | None:
    """``zhwiki`` -> ``https://zh.wikipedia.org/wiki/``, ``enwiktionary`` -> ``https://en.wiktionary.org/wiki/``."""
    m = _DBNAME.match(dbname.strip().lower())
    if not m or m.group(1) in _NOT_A_LANGUAGE:
        return None
    project = "wikipedia" if m.group(2) == "wiki" else m.group(2)
    return f"https://{m.group(1).replace('_', '-')}.{project}.org/wiki/"


def _open(path: str) -> tuple[IO[bytes], IO[bytes]]:
    """``(stream to parse, underlying file)``; the file's offset locates errors in compressed input."""
    raw = open(path, "rb")
    return (bz2.open(raw, "rb") if path.endswith(".bz2") else raw), raw


class MediaWikiSource(Source):
    """Streaming reader of a MediaWiki XML export (see module docstring).

    Options:
        site: the site or title prefix to use whatever the dump says (``https://zh.wikipedia.org``).
        base_url: the title prefix to use when the dump has no ``<siteinfo><base>``.
        max_record_bytes: pages with a longer wikitext are rejected as ``too_large``.
        language: force the language instead of the dump's ``xml:lang`` / detection.
        stream_range: ``(header_end, start, end, last)``: read only the bz2 streams in bytes
            ``[start, end)`` of a multistream dump, after its header stream ``[0, header_end)``
            (:mod:`openseeker.corpus.sources.multistream`; the parallel ingest's work units).
    """

    kind = "mediawiki"

    def __iter__(self) -> Iterator[SourceItem]:
        try:
            import mwparserfromhell  # noqa: F401
        except ImportError as e:  # pragma: no cover - installed with the corpus extra
            raise missing_extra("mwparserfromhell", "corpus", "Reading MediaWiki dumps") from e
        path = str(self.path)
        site = self.options.get("site")
        prefix: str | None = normalize_site(site) if site else None
        language: str | None = self.options.get("language")
        xml_lang: str | None = None
        namespaces = set(_NON_ARTICLE)
        pages = 0
        last = "the first page"
        rng = self.options.get("stream_range")
        fh: IO[bytes]
        raw: IO[bytes]
        if rng:
            from openseeker.corpus.sources.multistream import open_range

            fh, raw = open_range(path, *rng)
        else:
            fh, raw = _open(path)
        try:
            root: ET.Element | None = None
            for event, elem in ET.iterparse(fh, events=("start", "end")):
                tag = _local(elem.tag)
                if event == "start":
                    if root is None:
                        root = elem
                        xml_lang = elem.get(_XML_LANG) or None
                    continue
                if tag == "siteinfo":
                    base = prefix_from_base(elem.findtext("{*}base") or "")
                    db = prefix_from_dbname(elem.findtext("{*}dbname") or "")
                    prefix = prefix or base or self.options.get("base_url") or db
                    for ns in elem.iter():
                        if _local(ns.tag) == "namespace" and ns.get("key") not in (None, "0") and ns.text:
                            namespaces.add(ns.text.strip().lower())
                    root.clear() if root is not None else None
                elif tag == "page":
                    if prefix is None:
                        prefix = self.options.get("base_url") or (
                            f"https://{xml_lang}.wikipedia.org/wiki/" if xml_lang else WIKIPEDIA_EN
                        )
                    title = (elem.findtext("{*}title") or "").strip()
                    last = f"the page after {title!r}"
                    item = self._page(elem, title, prefix, language or xml_lang, namespaces)
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
        ns = (elem.findtext("{*}ns") or "0").strip()
        if ns != "0":
            self.stats["skipped_namespace"] += 1
            return None
        url = title_url(prefix, title)
        redirect = elem.find("{*}redirect")
        if redirect is not None and redirect.get("title"):
            self.stats["redirects"] += 1
            return SourceRedirect(url, title_url(prefix, redirect.get("title", "")), title)
        rev = elem.find("{*}revision")
        text_el = rev.find("{*}text") if rev is not None else None
        if text_el is None or text_el.text is None:
            self.stats["rejected"] += 1
            return SourceReject(str(self.path), f"page {title!r}", "no_text", "the page has no revision text")
        wikitext = text_el.text
        # Characters take 1-4 bytes in UTF-8: encode only when the length alone does not decide.
        if len(wikitext) * 4 > self.max_record_bytes and len(wikitext.encode()) > self.max_record_bytes:
            return self.too_large(f"page {title!r}", len(wikitext.encode()))
        from openseeker.corpus.sources.wikitext import render_wikitext

        try:
            text, wlinks = render_wikitext(wikitext, namespaces)
        except Exception as e:
            self.stats["rejected"] += 1
            return SourceReject(str(self.path), f"page {title!r}", "wikitext_parse_error", repr(e))
        links = [
            SourceLink(
                title_url(prefix, ln.target), ln.anchor, sentence_around(text, *ln.span) if ln.span else ""
            )
            for ln in wlinks
        ]
        lang = language if language in ("en", "zh") else detect_language(text)
        meta: dict[str, Any] = {}
        timestamp = rev.findtext("{*}timestamp") if rev is not None else None
        if timestamp:
            meta["timestamp"] = timestamp
        return SourcePage(url, title, text, lang, links, meta)
