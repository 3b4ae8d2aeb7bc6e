"""Content-Encoding decoding with a bounded output, for bodies from servers we do not trust.

A few hundred bytes of brotli or gzip can expand to gigabytes. ``httpx`` decodes each received chunk in
full before the caller sees it, so a size limit checked on the decoded chunks comes too late (a 481-byte
brotli body decompressed to 600 MB before a 10 MB limit could act). :class:`BoundedDecoder` decodes
incrementally and never produces more than the remaining allowance plus one byte, so it stops a bomb
after about ``max_bytes`` of output, whatever the compression ratio.

Supported: ``identity``, ``gzip`` (and ``x-gzip``, several members), ``deflate`` (zlib-wrapped or raw)
and ``br`` (with ``brotli>=1.2``, whose decoder takes an output limit). Anything else is refused, and
:data:`ACCEPT_ENCODING` advertises only what can be decoded this way.
"""

from __future__ import annotations

import zlib
from typing import Protocol

try:  # only brotli releases whose decoder takes an output limit (1.2 and later) can decode safely
    import brotli

    brotli.Decompressor().process(b"", output_buffer_limit=1)
    _BROTLI = True
except (ImportError, TypeError):  # pragma: no cover - pyproject asks for brotli>=1.2
    _BROTLI = False

ACCEPT_ENCODING = "gzip, deflate, br" if _BROTLI else "gzip, deflate"


class BodyTooLarge(Exception):
    """The (decoded) body exceeds its limit."""


class UnsupportedEncoding(Exception):
    """A Content-Encoding this module does not decode (or not within a bounded output)."""


class _Stage(Protocol):
    def feed(self, data: bytes, limit: int) -> bytes:
        """Decode ``data``; return at most ``limit`` bytes (``limit + 1`` means "there is more")."""


class _Zlib:
    """gzip (``wbits=31``, consecutive members) or deflate (zlib-wrapped, else raw) with bounded output."""

    def __init__(self, gzip: bool):
        self.gzip = gzip
        self.first = True
        self.done = False  # bytes after the last member that are not another member: ignored
        self.obj = zlib.decompressobj(31 if gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes, limit: int) -> bytes:
        out = b""
        while data and not self.done and len(out) <= limit:
            new_member = self.obj.eof
            if new_member:
                if not self.gzip:
                    self.done = True
                    break
                self.obj = zlib.decompressobj(31)
            try:
                out += self.obj.decompress(data, limit + 1 - len(out))
            except zlib.error:
                if new_member:  # trailing garbage after a complete body (browsers ignore it too)
                    self.done = True
                    break
                if self.gzip or not self.first:
                    raise
                # "deflate" is sent both zlib-wrapped (the standard) and raw (common in practice)
                self.obj = zlib.decompressobj(-zlib.MAX_WBITS)
                out += self.obj.decompress(data, limit + 1 - len(out))
            self.first = False
            data = self.obj.unconsumed_tail or (self.obj.unused_data if self.obj.eof else b"")
        return out


class _Brotli:
    def __init__(self) -> None:
        self.obj = brotli.Decompressor()

    def feed(self, data: bytes, limit: int) -> bytes:
        out = self.obj.process(data, output_buffer_limit=limit + 1)
        while len(out) <= limit and not self.obj.can_accept_more_data():
            more = self.obj.process(b"", output_buffer_limit=limit + 1 - len(out))
            if not more:
                break
            out += more
        return bytes(out)


def _stage(name: str) -> _Stage | None:
    if name in ("gzip", "x-gzip"):
        return _Zlib(gzip=True)
    if name == "deflate":
        return _Zlib(gzip=False)
    if name == "br" and _BROTLI:
        return _Brotli()
    if name in ("", "identity"):
        return None
    raise UnsupportedEncoding(name)


class BoundedDecoder:
    """Decode a body sent with ``content_encoding`` (the header's value), raising :class:`BodyTooLarge`
    as soon as the decoded size would exceed ``max_bytes``."""

    def __init__(self, content_encoding: str, max_bytes: int):
        names = [n.strip().lower() for n in content_encoding.split(",")]
        # codings are listed in the order they were applied, so they are undone in reverse
        self.stages = [s for s in (_stage(n) for n in reversed(names)) if s is not None]
        self.max_bytes = max_bytes
        self.size = 0

    def feed(self, raw: bytes) -> bytes:
        """The decoded bytes of the next raw chunk."""
        data = raw
        for stage in self.stages:
            try:
                data = stage.feed(data, self.max_bytes - self.size)
            except Exception as e:  # zlib.error, brotli.error: the body is not what its header says
                raise UnsupportedEncoding(f"corrupt {type(stage).__name__.strip('_').lower()} data") from e
            if len(data) > self.max_bytes - self.size:
                raise BodyTooLarge(self.size + len(data))
        self.size += len(data)
        if self.size > self.max_bytes:
            raise BodyTooLarge(self.size)
        return data
