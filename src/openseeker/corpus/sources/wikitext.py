"""Wikitext to plain text with its links, from one pass of mwparserfromhell's tokenizer.

mwparserfromhell parses in two steps: a C tokenizer turns wikitext into a flat token stream, and a Python
builder turns the tokens into a tree of node objects. Building the tree costs more than tokenizing and is
not needed to render text, so :func:`render_wikitext` reads the token stream directly with a small stack
machine. It renders what ``Wikicode.strip_code()`` would (templates, comments, arguments without a default
and invisible tags dropped; tags replaced by their contents; links by their display text; entities
decoded), and records every article link with the exact span of its display text. The spans come from
private-use marker characters written around each display text and removed after the whitespace is
cleaned, so anchors need no search, and a page is parsed exactly once.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from mwparserfromhell.definitions import is_visible
from mwparserfromhell.parser import tokens as T

from openseeker.corpus.text import clean_whitespace

try:
    from mwparserfromhell.parser._tokenizer import CTokenizer as _Tokenizer
except ImportError:  # pragma: no cover - the pure-Python tokenizer, when the C extension is missing
    from mwparserfromhell.parser.tokenizer import Tokenizer as _Tokenizer

_OPEN, _CLOSE = "\ue000", "\ue001"
_MARKED = re.compile(f"{_OPEN}([^{_OPEN}{_CLOSE}]*){_CLOSE}")
_STRAY = re.compile(f"[{_OPEN}{_CLOSE}]")
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


def without_markers(wikitext: str) -> str:
    """``wikitext`` minus the two private-use characters the renderer uses as link markers."""
    return _STRAY.sub("", wikitext) if _OPEN in wikitext or _CLOSE in wikitext else wikitext


class _Frame:
    """An open construct. ``parts`` collect its pieces; ``sink`` is the list text goes to (None: dropped)."""

    __slots__ = ("in_link", "kind", "parts", "sink", "state")

    def __init__(self, kind: str, sink: list[str] | None, in_link: bool, state: int = 0):
        self.kind = kind
        self.sink = sink
        self.parts: list[list[str]] = [sink] if sink is not None else []
        self.in_link = in_link
        self.state = state


def _tokenize(wikitext: str) -> list[Any]:
    return _Tokenizer().tokenize(wikitext, 0, False)  # type: ignore[no-any-return]


def render_wikitext(wikitext: str, namespaces: set[str]) -> tuple[str, list[WikiLink]]:
    """The cleaned plain text of ``wikitext`` and its article links with their spans.

    Links whose title starts with a name in ``namespaces`` (File, Category ...) or an interwiki prefix are
    dropped with everything inside them.
    """
    root: list[str] = []
    stack = [_Frame("root", root, False)]
    targets: list[tuple[str, str]] = []  # (target, shown) per article link, in order
    for tok in _tokenize(without_markers(wikitext)):
        kind = type(tok)
        top = stack[-1]
        if kind is T.Text:
            if top.sink is not None:
                top.sink.append(tok.text)
        elif kind is T.WikilinkOpen:
            title: list[str] = []
            stack.append(_Frame("link", title if top.sink is not None else None, top.in_link))
        elif kind is T.WikilinkSeparator:
            if top.kind == "link" and top.sink is not None:
                text: list[str] = []
                top.parts.append(text)
                top.sink = text
                top.in_link = True
        elif kind is T.WikilinkClose:
            stack.pop()
            parent = stack[-1]
            if parent.sink is None or not top.parts:
                continue
            raw_title = "".join(top.parts[0]).strip().lstrip(":")
            if ":" in raw_title:
                head = raw_title.split(":", 1)[0].strip().lower()
                if head in namespaces or _INTERWIKI.match(head):
                    continue
            target = raw_title.split("#", 1)[0].strip()
            if len(top.parts) > 1:
                shown = " ".join("".join(top.parts[1]).split())
            else:
                shown = display_title(raw_title)
            if parent.in_link or not target:
                parent.sink.append(shown)  # a link inside a link's text, or a same-page #section link
            elif shown:
                parent.sink.append(f"{_OPEN}{shown}{_CLOSE}")
                targets.append((target, shown))
            else:
                targets.append((target, ""))
        elif kind is T.TagOpenOpen:
            # state 0: reading the name; the name decides whether the contents are kept.
            stack.append(_Frame("tag", [] if top.sink is not None else None, top.in_link))
        elif kind is T.TagAttrStart:
            if top.kind == "tag" and top.state == 0:
                top.state = 1
                top.sink = None if top.sink is None else []  # attributes are never shown
        elif kind is T.TagCloseOpen:
            if top.kind == "tag" and top.parts:
                name = "".join(top.parts[0]).strip().lower()
                visible = name not in DROP_TAGS and is_visible(name)
                top.state = 2
                top.sink = [] if visible else None
                if visible:
                    top.parts.append(top.sink)  # type: ignore[arg-type]
            elif top.kind == "tag":
                top.state = 2
        elif kind is T.TagOpenClose:
            if top.kind == "tag":
                top.state = 3
                top.sink = None  # the closing tag's name
        elif kind is T.TagCloseSelfclose or kind is T.TagCloseClose:
            stack.pop()
            parent = stack[-1]
            if kind is T.TagCloseClose and parent.sink is not None and len(top.parts) > 1:
                parent.sink.extend(top.parts[1])
        elif kind is T.TemplateOpen or kind is T.CommentStart:
            stack.append(_Frame("drop", None, top.in_link))
        elif kind is T.TemplateClose or kind is T.CommentEnd:
            stack.pop()
        elif kind is T.ArgumentOpen:
            stack.append(_Frame("arg", None, top.in_link, state=1 if top.sink is not None else 0))
        elif kind is T.ArgumentSeparator:
            if top.kind == "arg" and top.state == 1:
                top.sink = []
                top.parts.append(top.sink)
        elif kind is T.ArgumentClose:
            stack.pop()
            if stack[-1].sink is not None and top.parts:
                stack[-1].sink.extend(top.parts[0])
        elif kind is T.HeadingStart:
            stack.append(_Frame("heading", [] if top.sink is not None else None, top.in_link))
        elif kind is T.HeadingEnd:
            stack.pop()
            if stack[-1].sink is not None and top.parts:
                stack[-1].sink.extend(top.parts[0])
        elif kind is T.HTMLEntityStart:
            stack.append(_Frame("entity", [] if top.sink is not None else None, top.in_link))
        elif kind is T.HTMLEntityNumeric or kind is T.HTMLEntityHex:
            if top.sink is not None:
                top.sink.append("#" if kind is T.HTMLEntityNumeric else "x")
        elif kind is T.HTMLEntityEnd:
            stack.pop()
            if stack[-1].sink is not None and top.parts:
                stack[-1].sink.append(html.unescape("&" + "".join(top.parts[0]) + ";"))
        elif kind is T.ExternalLinkOpen:
            stack.append(_Frame("ext", [] if top.sink is not None else None, top.in_link))
            stack[-1].state = 1 if tok.brackets else 0
        elif kind is T.ExternalLinkSeparator:
            if top.kind == "ext" and top.sink is not None:
                top.sink = []
                top.parts.append(top.sink)
        elif kind is T.ExternalLinkClose:
            stack.pop()
            parent = stack[-1]
            if parent.sink is not None and top.parts:
                if top.state == 0:
                    parent.sink.extend(top.parts[0])  # a bare URL shows itself
                elif len(top.parts) > 1:
                    parent.sink.extend(top.parts[1])  # [url title] shows the title; [url] nothing
        # Separators inside templates and tags (TemplateParam*, TagAttrEquals/Quote) carry no text.
        if not stack:  # pragma: no cover - unbalanced stream; the tokenizer always closes what it opens
            stack.append(_Frame("root", root, False))
    return _finish("".join(root), targets)


def _finish(marked_raw: str, targets: list[tuple[str, str]]) -> tuple[str, list[WikiLink]]:
    marked = clean_whitespace(marked_raw)
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
    for target, anchor in targets:
        links.append(WikiLink(target, anchor or display_title(target), next(it, None) if anchor else None))
    return text, links
