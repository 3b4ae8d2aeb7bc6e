"""The QA synthesis prompts (ours, English and Chinese), loaded from YAML package data.

Each prompt has a ``version`` that is recorded in every QA record, so a change of wording is traceable.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template
from typing import Any

import yaml

from openseeker.errors import ConfigError

STEPS = ("extract", "question", "obfuscate", "rewrite", "closed_book", "oracle", "uniqueness", "clue")
LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Prompt:
    """One step's prompt: a system message and a user template with ``$name`` placeholders."""

    step: str
    version: str
    system: str
    user: str

    def messages(self, **values: Any) -> list[dict[str, str]]:
        """The chat messages with the placeholders filled (a missing value is a programming error)."""
        try:
            user = Template(self.user).substitute({k: str(v) for k, v in values.items()})
        except KeyError as e:
            raise ConfigError(f"Prompt {self.version!r} needs a value for {e.args[0]!r}.") from None
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


@cache
def load_prompts(lang: str) -> dict[str, Prompt]:
    """The prompts of one language (``en`` or ``zh``; anything else falls back to English)."""
    lang = lang if lang in LANGUAGES else "en"
    text = resources.files(__name__).joinpath(f"qa_{lang}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    out: dict[str, Prompt] = {}
    for step in STEPS:
        d = data.get(step)
        if not isinstance(d, dict) or not {"version", "system", "user"} <= d.keys():
            raise ConfigError(f"qa_{lang}.yaml: step {step!r} needs version, system and user.")
        out[step] = Prompt(step, str(d["version"]), str(d["system"]), str(d["user"]))
    return out
