"""Wikispeedia layout: ``articles.tsv``, ``links.tsv`` and ``plaintext_articles.tar.gz`` in one folder.

Article names are URL-encoded; a page's URL is ``https://en.wikipedia.org/wiki/<encoded name>`` (the name
as written in the files) and its title the decoded name with spaces. The plaintext has no anchor positions,
so each link's anchor is recovered approximately: the first occurrence of the target's title in the text
(case-insensitive), with the sentence around it as context; when the title does not occur, the anchor is
the title itself and the context is empty.
"""

from __future__ import annotations

import gzip
import tarfile
import zlib
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

from openseeker.corpus.sources.base import Source, SourceItem, SourceLink, SourcePage, SourceReject
from openseeker.corpus.text import clean_whitespace, find_anchor, sentence_around
from openseeker.errors import DataError

WIKI_PREFIX = "https://en.wikipedia.org/wiki/"


def name_to_title(name: str) -> str:
    """``%C3%85land`` -> ``Åland``; underscores become spaces."""
    return unquote(name).replace("_", " ")


def strip_header(raw: str) -> tuple[str, str]:
    """Drop the ``#copyright`` / title / ``Related subjects`` preamble; return ``(text, subjects)``."""
    paras = raw.replace("\r\n", "\n").split("\n\n")
    subjects = ""
    i = 0
    # The preamble is at most: "#copyright", title, "2007 Schools Wikipedia Selection. Related subjects: ...".
    while i < min(len(paras), 4):
        p = paras[i].strip()
        if p.startswith("#copyright") or not p:
            i += 1
        elif "Schools Wikipedia Selection" in p:
            subjects = " ".join(p.split("Related subjects:", 1)[-1].split())
            i += 1
            break
        elif i <= 2:
            i += 1  # the title line
        else:
            break
    return clean_whitespace("\n\n".join(paras[i:])), subjects


def _read_tsv(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                line = line.rstrip("\n")
                if line and not line.startswith("#"):
                    yield n, line.split("\t")
    except UnicodeDecodeError as e:
        raise DataError(f"not valid UTF-8 ({e.reason})", path=str(path), position=f"byte {e.start}") from e


class WikispeediaSource(Source):
    """Reader of the Wikispeedia folder layout (see module docstring)."""

    kind = "wikispeedia"

    def __iter__(self) -> Iterator[SourceItem]:
        root = self.path
        names = [cols[0] for _, cols in _read_tsv(root / "articles.tsv")]
        known = set(names)
        out: dict[str, list[str]] = defaultdict(list)
        # links.tsv is a side table of the dataset (~120k lines), small enough to hold per page name.
        for n, cols in _read_tsv(root / "links.tsv"):
            if len(cols) != 2:
                raise DataError(
                    "expected 'source<TAB>target'", path=str(root / "links.tsv"), position=f"line {n}"
                )
            out[cols[0]].append(cols[1])
        tar_path = root / "plaintext_articles.tar.gz"
        seen: set[str] = set()
        emitted = 0
        try:
            with tarfile.open(tar_path, mode="r|gz") as tar:
                for member in tar:
                    if not member.isfile() or not member.name.endswith(".txt"):
                        continue
                    name = Path(member.name).name[: -len(".txt")]
                    if name not in known:
                        self.stats["not_in_articles_tsv"] += 1
                        yield SourceReject(str(tar_path), member.name, "not_in_articles_tsv")
                        continue
                    if member.size > self.max_record_bytes:
                        seen.add(name)
                        yield self.too_large(member.name, member.size)
                        continue
                    fh = tar.extractfile(member)
                    raw_bytes = fh.read() if fh else b""
                    try:
                        raw = raw_bytes.decode("utf-8")
                    except UnicodeDecodeError as e:
                        self.stats["rejected"] += 1
                        yield SourceReject(
                            str(tar_path), f"{member.name} byte {e.start}", "not_utf8", e.reason
                        )
                        continue
                    seen.add(name)
                    yield self._page(name, raw, out.get(name, []))
                    emitted += 1
                    if self.limit is not None and emitted >= self.limit:
                        return
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError) as e:
            raise DataError(
                f"corrupt or truncated archive ({type(e).__name__}: {e})",
                path=str(tar_path),
                position=f"after {emitted} articles",
            ) from e
        for name in names:
            if name not in seen:
                self.stats["missing_plaintext"] += 1
                yield SourceReject(
                    str(tar_path), name, "missing_plaintext", "listed in articles.tsv, no text file"
                )

    def _page(self, name: str, raw: str, targets: list[str]) -> SourcePage:
        text, subjects = strip_header(raw)
        links: list[SourceLink] = []
        lower = text.lower()
        for tgt in targets:
            title = name_to_title(tgt)
            span = find_anchor(text, title, lower=lower)
            if span is None:
                links.append(SourceLink(WIKI_PREFIX + tgt, title, ""))
                self.stats["anchor_not_found"] += 1
            else:
                links.append(
                    SourceLink(WIKI_PREFIX + tgt, text[span[0] : span[1]], sentence_around(text, *span))
                )
        meta = {"subjects": subjects} if subjects else {}
        return SourcePage(WIKI_PREFIX + name, name_to_title(name), text, "en", links, meta)
