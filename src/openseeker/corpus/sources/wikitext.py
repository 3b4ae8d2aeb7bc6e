"""Wikitext to plain text with its links, in one parse and one walk of the parse tree.

mwparserfromhell parses a page once; :func:`render` walks the nodes and writes the visible text (what
``strip_code`` would give: templates, comments and invisible tags dropped, links replaced by their display
text), while recording every article link with its exact position in the text. The positions come from
private-use marker characters written around each link's display text and removed after the whitespace is
cleaned, so anchors need no search and no second parse of the link text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mwparserfromhell.definitions import is_visible
from mwparserfromhell.nodes import (
    Argument,
    ExternalLink,
    Heading,
    HTMLEntity,
    Tag,
    Text,
    Wikilink,
)

from openseeker.corpus.text import clean_whitespace

_OPEN, _CLOSE = "\ue000", "\ue001"
_MARKED = re.compile(f"{_OPEN}([^{_OPEN}{_CLOSE}]*){_CLOSE}")
_STRAY = re.compile(f"[{_OPEN}{_CLOSE}]")


def without_markers(wikitext: str) -> str:
    """``wikitext`` minus the two private-use characters :func:`render` uses as link markers."""
    return _STRAY.sub("", wikitext) if _OPEN in wikitext or _CLOSE in wikitext else wikitext


_INTERWIKI = re.compile(r"^[a-z]{2,3}(-[a-z]{2,})*$")
# Tags whose content is not article prose (on top of mwparserfromhell's invisible tags).
DROP_TAGS = frozenset(
    {"ref", "references", "gallery", "math", "score", "timeline", "syntaxhighlight", "templatedata"}
)


@dataclass
class WikiLink:
    """An article link: the target title as written (fragment removed), the display text, and the
    ``[start, end)`` span of the display text in the rendered text (``None`` when it shows no text)."""

    target: str
    anchor: str
    span: tuple[int, int] | None


def display_title(title: str) -> str:
    """A title as MediaWiki shows it: underscores are spaces, runs of spaces collapsed."""
    return " ".join(title.replace("_", " ").split())


class _Walk:
    def __init__(self, namespaces: set[str]):
        self.namespaces = namespaces
        self.out: list[str] = []
        self.targets: list[tuple[str, str]] = []  # (target, anchor) per marked or unmarked link, in order

    def link_target(self, node: Wikilink) -> str | None:
        """The article title a wikilink points to; ``None`` for File/Category/interwiki links (dropped)."""
        raw = str(node.title).strip().lstrip(":")
        if ":" in raw:
            head = raw.split(":", 1)[0].strip().lower()
            if head in self.namespaces or _INTERWIKI.match(head):
                return None
        return raw.split("#", 1)[0].strip()

    def walk(self, code: Any, in_link: bool = False) -> None:
        out = self.out
        for node in code.nodes:
            kind = type(node)
            if kind is Text:
                out.append(node.value)
            elif kind is Wikilink:
                target = self.link_target(node)
                if target is None:
                    continue
                if node.text is not None:
                    mark = len(out)
                    self.walk(node.text, in_link=True)
                    shown = " ".join("".join(out[mark:]).split())
                    del out[mark:]
                else:
                    shown = display_title(str(node.title).strip().lstrip(":"))
                if in_link or not target:
                    out.append(shown)  # a link inside a link's text, or a same-page #section link
                elif shown:
                    out.append(f"{_OPEN}{shown}{_CLOSE}")
                    self.targets.append((target, shown))
                else:
                    self.targets.append((target, ""))
            elif kind is Tag:
                if node.contents is not None and not node.self_closing:
                    name = str(node.tag).strip().lower()
                    if name not in DROP_TAGS and is_visible(name):
                        self.walk(node.contents, in_link)
            elif kind is Heading:
                self.walk(node.title, in_link)
            elif kind is HTMLEntity:
                out.append(node.normalize())
            elif kind is ExternalLink:
                if not node.brackets:
                    out.append(str(node.url))
                elif node.title:
                    self.walk(node.title, in_link)
            elif kind is Argument:
                if node.default is not None:
                    self.walk(node.default, in_link)
            # Templates and comments render to nothing.


def render(code: Any, namespaces: set[str]) -> tuple[str, list[WikiLink]]:
    """The cleaned plain text of parsed wikitext ``code`` and its article links with their spans."""
    w = _Walk(namespaces)
    w.walk(code)
    marked = clean_whitespace("".join(w.out))
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    size = 0
    for m in _MARKED.finditer(marked):
        before = marked[pos : m.start()]
        parts.append(before)
        size += len(before)
        anchor = m.group(1)
        parts.append(anchor)
        spans.append((size, size + len(anchor)))
        size += len(anchor)
        pos = m.end()
    parts.append(marked[pos:])
    text = "".join(parts)
    links: list[WikiLink] = []
    it = iter(spans)
    for target, anchor in w.targets:
        links.append(WikiLink(target, anchor or display_title(target), next(it, None) if anchor else None))
    return text, links
