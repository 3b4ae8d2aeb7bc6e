"""Turn a fetched body into readable text: HTML main content to Markdown with links kept, plain text,
JSON, and PDF.

HTML goes through trafilatura (Markdown, links and tables kept); when it finds no main content,
resiliparse's main-content extractor, then its whole-page extractor, take over. Out-links come from
selectolax (fast, and resolved against the page URL).
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin

from openseeker.errors import ToolError

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml")
TEXT_TYPES = ("text/plain", "text/markdown", "text/x-markdown", "text/csv")
JSON_TYPES = ("application/json",)
PDF_TYPES = ("application/pdf", "application/x-pdf")

_MIN_CHARS = 20  # below this a page is treated as empty (boilerplate only)


_warned: set[str] = set()


def _warn_once(package: str, consequence: str) -> None:
    if package not in _warned:
        _warned.add(package)
        log.warning(
            "%s is not installed, so %s. Install it with: pip install 'openseeker[web]'", package, consequence
        )


@dataclass
class Extracted:
    """Readable content of one body."""

    content: str
    title: str = ""
    content_type: str = "text/plain"
    links: list[str] = field(default_factory=list)


def media_type(content_type: str | None) -> str:
    """``"text/html; charset=utf-8"`` -> ``"text/html"``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def charset_of(content_type: str | None) -> str | None:
    m = re.search(r"charset=([\w.:-]+)", content_type or "", re.IGNORECASE)
    return m.group(1).strip("\"'") if m else None


def sniff(body: bytes) -> str:
    """A media type guessed from the first bytes, for servers that send none or a generic one."""
    head = body[:1024].lstrip().lower()
    if head.startswith(b"%pdf-"):
        return "application/pdf"
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head or b"<head" in head:
        return "text/html"
    if head.startswith((b"{", b"[")):
        return "application/json"
    return "text/plain"


def decode(body: bytes, charset: str | None) -> str:
    """Decode with the declared charset, else UTF-8; undecodable bytes become U+FFFD."""
    for enc in (charset, "utf-8"):
        if enc:
            try:
                return body.decode(enc)
            except (LookupError, UnicodeDecodeError):
                continue
    return body.decode("utf-8", errors="replace")


def looks_binary(text: str) -> bool:
    """Whether decoded text is mostly not text (a binary file served as text)."""
    if not text:
        return False
    sample = text[:4000]
    bad = sum(1 for ch in sample if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\n\r\t\f"))
    return bad / len(sample) > 0.1


def html_links(html: str, base_url: str) -> list[str]:
    """Absolute http(s) out-links of a page, in order, without duplicates or fragments."""
    from selectolax.lexbor import LexborHTMLParser

    seen: dict[str, None] = {}
    for node in LexborHTMLParser(html).css("a[href]"):
        href = (node.attributes.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = urldefrag(urljoin(base_url, href))[0]
        if url.startswith(("http://", "https://")) and url not in seen:
            seen[url] = None
    return list(seen)


def html_title(html: str) -> str:
    from selectolax.lexbor import LexborHTMLParser

    node = LexborHTMLParser(html).css_first("title")
    return " ".join(node.text().split()) if node is not None else ""


def _trafilatura_markdown(html: str, url: str) -> str:
    try:
        import trafilatura
    except ImportError:  # the 'web' extra is missing: resiliparse (a core dependency) does the work
        _warn_once("trafilatura", "HTML pages are extracted as plain text without Markdown links")
        return ""
    try:
        text = trafilatura.extract(
            html,
            url=url,
            output_format="markdown",
            include_links=True,
            include_tables=True,
            include_comments=False,
            favor_recall=True,
        )
    except Exception as e:  # trafilatura raises assorted lxml errors on broken markup
        log.debug("trafilatura failed on %s: %s", url, e)
        return ""
    return text or ""


def html_to_markdown(html: str, url: str) -> Extracted:
    """Main content of an HTML page as Markdown (links kept), with its title and out-links."""
    text = _trafilatura_markdown(html, url)
    if len(text.strip()) < _MIN_CHARS:
        from resiliparse.extract.html2text import extract_plain_text

        for main in (True, False):
            text = extract_plain_text(html, main_content=main, links=False, alt_texts=False)
            if len(text.strip()) >= _MIN_CHARS:
                break
    return Extracted(text.strip(), html_title(html), "text/markdown", html_links(html, url))


def pdf_to_text(body: bytes, url: str, max_pages: int = 200) -> Extracted:
    """Text of a PDF (page by page) with its document title."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:
        _warn_once("pypdf", "PDF pages cannot be read")
        raise ToolError(
            f"The page {url} is a PDF, which this installation cannot read "
            "(install it with: pip install 'openseeker[web]')."
        ) from None

    try:
        reader = PdfReader(io.BytesIO(body))
        pages = []
        for i, page in enumerate(reader.pages):
            if i >= max_pages:
                pages.append(f"[... {len(reader.pages) - max_pages} more pages not extracted]")
                break
            pages.append((page.extract_text() or "").strip())
        title = ""
        if reader.metadata is not None and reader.metadata.title:
            title = str(reader.metadata.title).strip()
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise ToolError(f"The PDF at {url} could not be read ({type(e).__name__}).") from None
    return Extracted("\n\n".join(p for p in pages if p).strip(), title, "application/pdf")


def extract(body: bytes, content_type: str | None, url: str) -> Extracted:
    """Readable content of a fetched body, by its media type (sniffed when missing or generic).

    Raises:
        ToolError: the type is not readable (images, archives ...), or nothing readable is in it.
    """
    mtype = media_type(content_type)
    if not mtype or mtype in ("application/octet-stream", "binary/octet-stream"):
        mtype = sniff(body)
    if mtype in PDF_TYPES or (mtype in HTML_TYPES + TEXT_TYPES and body.lstrip()[:5] == b"%PDF-"):
        out = pdf_to_text(body, url)
    elif mtype in HTML_TYPES or mtype.endswith("+xml"):
        text = decode(body, charset_of(content_type))
        if looks_binary(text):
            raise ToolError(f"The page {url} is not readable text (binary content served as {mtype}).")
        out = html_to_markdown(text, url)
    elif mtype in TEXT_TYPES or mtype in JSON_TYPES or mtype.startswith("text/") or mtype.endswith("+json"):
        text = decode(body, charset_of(content_type))
        if looks_binary(text):
            raise ToolError(f"The page {url} is not readable text (binary content served as {mtype}).")
        out = Extracted(text.strip(), "", mtype)
    else:
        raise ToolError(f"The page {url} has content of type {mtype!r}, which cannot be read as text.")
    if not out.content.strip():
        raise ToolError(f"The page {url} has no readable content.")
    return out
