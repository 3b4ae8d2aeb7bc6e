"""Reading prose this project does not ship: prompts of released models and official judges.

The user gives a text file holding the prompt, or a local checkout of the official repository, where the text
is a module-level string assignment (:class:`OfficialText`) read with :mod:`ast`, never executed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from openseeker.errors import ConfigError


@dataclass(frozen=True)
class OfficialText:
    """Where a prose text lives in a checkout of the official repository: a module-level string
    assigned to ``name`` in the Python file ``path`` (read with :mod:`ast`, never executed)."""

    path: str
    name: str



def _string_value(node: ast.AST | None) -> str | None:
    """A string literal, possibly followed by ``.strip()`` / ``.lstrip()`` / ``.rstrip()``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("strip", "lstrip", "rstrip")
        and not node.args
    ):
        inner = _string_value(node.func.value)
        return None if inner is None else getattr(inner, node.func.attr)()
    return None


def _parse_python(path: Path) -> ast.Module:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError) as e:
        raise ConfigError(f"Cannot read {str(path)!r} as Python source: {e}") from None


def _assigned_string(path: Path, name: str) -> str | None:
    for node in ast.walk(_parse_python(path)):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return _string_value(node.value)
    return None


def _system_message(path: Path) -> str | None:
    """The content of a ``{"role": "system", "content": "..."}`` literal in a Python file."""
    if not path.is_file():
        return None
    for node in ast.walk(_parse_python(path)):
        if isinstance(node, ast.Dict):
            fields = {
                k.value: _string_value(v)
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            }
            if fields.get("role") == "system" and fields.get("content"):
                return fields["content"]
    return None


def load_prose(source: str | Path | None, official: OfficialText | None, *, what: str, profile: str) -> str:
    """Read a prompt this project does not ship.

    Args:
        source: a text file holding the prompt, or a local checkout of the official repository.
        official: where the text lives in a checkout.
        what: what is being read (for messages).
        profile: the profile name (for messages).

    Raises:
        ConfigError: ``source`` is missing, does not exist, or does not hold the text.
    """
    where = f"{official.name} in {official.path}" if official else "it"
    if source is None:
        raise ConfigError(
            f"The {profile!r} profile needs {what}, which openseeker does not ship. Set agent.prompt_source "
            f"(for the judge: eval.judge_prompt_source / --judge-prompt) to a text file holding it, or to a "
            f"local checkout of the official repository (git clone https://github.com/rui-ye/OpenSeeker), "
            f"where {where} is read."
        )
    p = Path(source).expanduser()
    if p.is_file():
        text = p.read_text(encoding="utf-8")
        if not text.strip():
            raise ConfigError(f"{str(p)!r} is empty; it should hold {what}.")
        return text
    if p.is_dir():
        if official is None:
            raise ConfigError(f"The {profile!r} profile cannot read {what} from a folder; give a text file.")
        f = p / official.path
        if not f.is_file():
            raise ConfigError(
                f"{str(p)!r} is not a checkout of the official OpenSeeker repository: {official.path} is "
                f"missing. Give the checkout's root folder, or a text file holding {what}."
            )
        found = _assigned_string(f, official.name)
        if not found:
            raise ConfigError(f"{str(f)!r} has no string assigned to {official.name!r}; cannot read {what}.")
        return found
    raise ConfigError(
        f"The prompt source {str(p)!r} for {what} does not exist (agent.prompt_source; for the judge "
        "eval.judge_prompt_source / --judge-prompt)."
    )


def judge_messages(
    source: str | None, official: OfficialText | None, system_file: str | None, *, what: str, profile: str
) -> tuple[str | None, str]:
    """``(system, user template)`` of an official judge, read from ``source``.

    The user template has ``{question}``, ``{correct_answer}`` and ``{response}`` fields. ``system`` is
    ``None`` when ``source`` is a single file (the caller supplies its own) or ``system_file`` is not given.
    """
    template = load_prose(source, official, what=what, profile=profile)
    system = None
    if source is not None and Path(source).is_dir() and system_file:
        system = _system_message(Path(source) / system_file)
    return system, template
