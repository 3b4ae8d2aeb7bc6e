"""Prompt echo: model output that repeats our prompts' own words instead of doing the task.

Small models copy what they are shown: the obfuscation prompt's example description came back as the
description of unrelated entities, and the rewrite instructions came back inside the question. A
:class:`PromptEcho` holds the fixed text of every prompt (the templates without their ``$placeholders``,
so facts and names the prompt carries are not counted) as word n-grams (character n-grams for Chinese)
and finds the fragments an output shares with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from openseeker.synth.prompts import Prompt, load_prompts
from openseeker.synth.text import is_cjk, normalize

_PLACEHOLDER = re.compile(r"\$\{?\w+\}?")


def _units(text: str) -> list[str]:
    """Words, or characters for Chinese (where words are not separated)."""
    t = normalize(text)
    return [c for c in t if not c.isspace()] if is_cjk(t) else t.split()


def _grams(units: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(units[i : i + n]) for i in range(len(units) - n + 1)}


class PromptEcho:
    """The fixed text of a set of prompts, as n-grams (``words`` for Latin script, ``chars`` for Chinese).

    Args:
        prompts: the prompts whose own words an output must not repeat.
        words: n-gram length in words (English).
        chars: n-gram length in characters (Chinese).
    """

    def __init__(self, prompts: Iterable[Prompt], *, words: int = 4, chars: int = 6):
        self.words, self.chars = words, chars
        self.grams: dict[tuple[str, ...], str] = {}
        for p in prompts:
            for part in (p.system, *_PLACEHOLDER.split(p.user)):
                for line in part.splitlines():
                    units = _units(line)
                    n = chars if is_cjk(line) else words
                    for g in _grams(units, n):
                        self.grams.setdefault(g, p.step)

    def fragments(self, text: str) -> list[str]:
        """The prompt fragments ``text`` repeats (joined runs of shared n-grams), longest first."""
        units = _units(text)
        cjk = is_cjk(text)
        n = self.chars if cjk else self.words
        hits = [i for i in range(len(units) - n + 1) if tuple(units[i : i + n]) in self.grams]
        runs: list[tuple[int, int]] = []
        for i in hits:
            if runs and i <= runs[-1][1]:
                runs[-1] = (runs[-1][0], i + n)
            else:
                runs.append((i, i + n))
        sep = "" if cjk else " "
        return sorted((sep.join(units[a:b]) for a, b in runs), key=len, reverse=True)


_CACHE: dict[tuple[str, int, int], PromptEcho] = {}


def prompt_echo(lang: str, *, words: int = 4, chars: int = 6) -> PromptEcho:
    """The echo detector over every QA synthesis prompt of ``lang`` (and the English ones: models answer
    Chinese prompts with English instructions too)."""
    key = (lang, words, chars)
    if key not in _CACHE:
        prompts = list(load_prompts(lang).values()) + (
            list(load_prompts("en").values()) if lang != "en" else []
        )
        _CACHE[key] = PromptEcho(prompts, words=words, chars=chars)
    return _CACHE[key]
