"""JSONL with orjson: one JSON object per line, UTF-8, gzip when the name ends in ``.gz``."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from openseeker.errors import DataError
from openseeker.records import to_jsonable

_OPTS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps_line(obj: Any) -> bytes:
    """Serialize one record (or dict) as a JSON line, newline included."""
    if hasattr(obj, "to_dict"):
        obj = obj.to_dict()
    try:
        return orjson.dumps(obj, option=_OPTS)
    except TypeError:
        return orjson.dumps(to_jsonable(obj), option=_OPTS, default=str)


def _open(path: Path, mode: str, gz: bool | None = None) -> IO[bytes]:
    if path.suffix == ".gz" if gz is None else gz:
        return gzip.open(path, mode)  # type: ignore[return-value]
    return open(path, mode)


def iter_jsonl(path: str | Path, *, skip_bad: bool = False, bad: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
    """Yield each line of a JSONL file as a dict.

    A malformed line raises :class:`DataError` naming the file and line, unless ``skip_bad`` is set, in
    which case it is appended to ``bad`` (``{"line": n, "error": ..., "text": ...}``) so the caller can
    count and report it. A truncated gzip stream raises :class:`DataError` too.
    """
    p = Path(path)
    n = 0
    try:
        with _open(p, "rb") as fh:
            for n, raw in enumerate(fh, 1):
                line = raw.strip()
                if not line:
                    continue
                try:
                    obj = orjson.loads(line)
                except orjson.JSONDecodeError as e:
                    if not skip_bad:
                        raise DataError(f"invalid JSON ({e})", path=str(p), position=f"line {n}") from None
                    if bad is not None:
                        bad.append({"line": n, "error": str(e), "text": line[:500].decode("utf-8", "replace")})
                    continue
                if not isinstance(obj, dict):
                    if not skip_bad:
                        raise DataError("expected a JSON object per line", path=str(p), position=f"line {n}")
                    if bad is not None:
                        bad.append({"line": n, "error": "not an object", "text": line[:500].decode("utf-8", "replace")})
                    continue
                yield obj
    except (EOFError, gzip.BadGzipFile, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise DataError("file not found", path=str(p)) from None
        raise DataError(f"corrupt or truncated file ({e})", path=str(p), position=f"line {n + 1}") from None


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read a whole JSONL file."""
    return list(iter_jsonl(path))


def write_jsonl(path: str | Path, rows: Iterable[Any]) -> int:
    """Write rows (dicts or records) to a JSONL file atomically (temp file + rename); returns the count."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    n = 0
    with _open(tmp, "wb", gz=p.suffix == ".gz") as fh:
        for row in rows:
            fh.write(dumps_line(row))
            n += 1
    tmp.replace(p)
    return n


def append_jsonl(path: str | Path, rows: Iterable[Any]) -> int:
    """Append rows to a JSONL file with a single write (so a crash leaves whole lines or a torn tail)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    n = 0
    for row in rows:
        buf.write(dumps_line(row))
        n += 1
    with open(p, "ab") as fh:
        fh.write(buf.getvalue())
    return n
