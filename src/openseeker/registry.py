"""One registry for every pluggable backend: LLM providers, search backends, page fetchers, judges,
corpus sources, benchmarks.

Backends register a *factory* under a name. The factory body does the (possibly heavy, optional)
imports, so nothing is imported until a backend is used; a missing extra surfaces as a
:class:`~openseeker.errors.PrerequisiteError` with the install command. Third-party packages add backends
through the entry-point group ``openseeker.<kind>`` (for example ``openseeker.llm``).
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from openseeker.errors import ConfigError

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class Registry(Generic[T]):
    """Named factories of one kind of backend."""

    def __init__(self, kind: str):
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}
        self._entry_points_loaded = False

    def register(self, name: str) -> Callable[[F], F]:
        """Decorator: register ``factory`` under ``name`` (later registrations replace earlier ones)."""

        def deco(factory: F) -> F:
            self._factories[name] = factory
            return factory

        return deco

    def register_lazy(self, name: str, target: str) -> None:
        """Register the factory at ``target`` (``"package.module:function"``) under ``name``, imported on
        first use. This is how a registry lists its built-ins that live in modules above it: by name, the
        way entry points do, so that the lower module does not import the higher one. The module's own
        registration (a decorator) replaces this one when the module is imported."""

        def factory(*args: Any, **kwargs: Any) -> Any:
            return resolve(target)(*args, **kwargs)

        factory.lazy_target = target  # type: ignore[attr-defined]
        self._factories.setdefault(name, factory)

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=f"openseeker.{self.kind}"):
            if ep.name not in self._factories:
                self._factories[ep.name] = ep.load()

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        self._load_entry_points()
        return sorted(self._factories)

    def get(self, name: str) -> Callable[..., T]:
        """The factory registered under ``name``; a typo gets a suggestion."""
        self._load_entry_points()
        try:
            return self._factories[name]
        except KeyError:
            close = difflib.get_close_matches(name, self._factories, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"Unknown {self.kind} backend {name!r}.{hint} Known: {', '.join(self.names())}."
            ) from None

    def create(self, name: str, *args: Any, **kwargs: Any) -> T:
        """Call the factory registered under ``name``."""
        return self.get(name)(*args, **kwargs)

    def __contains__(self, name: str) -> bool:
        self._load_entry_points()
        return name in self._factories


def resolve(target: str) -> Any:
    """The object named by ``"package.module:attribute"``."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
