"""Prompt texts of the agent (our own wording)."""

from __future__ import annotations

from importlib.resources import files


def load(name: str) -> str:
    """The text of ``prompts/<name>.txt``."""
    return files(__package__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
