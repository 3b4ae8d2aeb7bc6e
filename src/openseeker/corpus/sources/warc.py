"""WARC / WARC.gz files of HTTP responses (Common Crawl style), read with fastwarc.

Only ``response`` records with an HTML content type become pages; every other record is skipped and
counted by kind (``skipped_<type>``, ``skipped_non_html``, ``skipped_status``). A record whose block is
shorter than its declared ``Content-Length`` means the file was cut off: that raises a
:class:`~openseeker.errors.DataError` with the record's byte offset (fastwarc itself stops quietly there).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

from openseeker.corpus.sources.base import Source, SourceItem, SourceReject
from openseeker.corpus.sources.html import DecodeFailure, charset_from_content_type, decode_html, parse_html
from openseeker.errors import DataError

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(body):
        j = body.find(b"\r\n", i)
        if j < 0:
            break
        size = int(body[i:j].split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out += body[j + 2 : j + 2 + size]
        i = j + 2 + size + 2
    return bytes(out)


def split_http(block: bytes) -> tuple[int, dict[str, str], bytes]:
    """Split a raw HTTP response into ``(status, headers lower-cased, decoded body)``."""
    head, sep, body = block.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = block.partition(b"\n\n")
    lines = head.decode("iso-8859-1").splitlines()
    status = 0
    if lines and lines[0].startswith("HTTP/"):
        parts = lines[0].split()
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers: dict[str, str] = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _dechunk(body)
    enc = headers.get("content-encoding", "").lower()
    if enc in ("gzip", "x-gzip"):
        body = gzip.decompress(body)
    elif enc == "deflate":
        body = zlib.decompress(body)
    return status, headers, body


class WarcSource(Source):
    """Streaming reader of one WARC file (plain or gzip), see module docstring."""

    kind = "warc"

    def __iter__(self) -> Iterator[SourceItem]:
        from fastwarc.warc import ArchiveIterator

        path = str(self.path)
        emitted = 0
        offset = 0
        try:
            with open(path, "rb") as fh:
                for rec in ArchiveIterator(fh, parse_http=False):
                    offset = rec.stream_pos
                    if rec.content_length > self.max_record_bytes:
                        yield self.too_large(f"record at byte {offset}", rec.content_length)
                        continue
                    block = rec.reader.read()
                    if rec.content_length <= 0 or len(block) < rec.content_length:
                        raise DataError(
                            f"record is cut off ({len(block)} of {rec.content_length} bytes); the file "
                            "is truncated",
                            path=path,
                            position=f"record at byte {offset}",
                        )
                    rtype = rec.headers.get("WARC-Type", "") or ""
                    if rtype != "response":
                        self.stats[f"skipped_{rtype or 'untyped'}"] += 1
                        continue
                    url = rec.headers.get("WARC-Target-URI", "") or ""
                    try:
                        status, headers, body = split_http(block)
                    except (OSError, ValueError, zlib.error) as e:
                        self.stats["rejected"] += 1
                        yield SourceReject(path, f"record at byte {offset}", "bad_http", f"{url}: {e}")
                        continue
                    ctype = headers.get("content-type", "").lower()
                    if not ctype.startswith(_HTML_TYPES):
                        self.stats["skipped_non_html"] += 1
                        continue
                    if not 200 <= status < 300:
                        self.stats["skipped_status"] += 1
                        continue
                    html = decode_html(body, charset_from_content_type(ctype))
                    if isinstance(html, DecodeFailure):
                        self.stats["rejected"] += 1
                        yield SourceReject(
                            path, f"record at byte {offset}", "undecodable", f"{url}: {html.detail}"
                        )
                        continue
                    page = parse_html(html, url)
                    if not page.text:
                        self.stats["rejected"] += 1
                        yield SourceReject(path, f"record at byte {offset}", "no_text", url)
                        continue
                    page.metadata["warc_date"] = rec.headers.get("WARC-Date", "") or ""
                    yield page
                    emitted += 1
                    if self.limit is not None and emitted >= self.limit:
                        return
        except OSError as e:
            raise DataError(
                f"cannot read the WARC stream ({e})", path=path, position=f"after the record at byte {offset}"
            ) from e
