"""Typed records that flow between stages, and their JSON form.

Every stage's records are ``@dataclass`` classes that inherit :class:`Record`. They serialize to plain
JSON objects (one per line in a stage's JSONL shards) with :meth:`Record.to_dict` and come back with
:meth:`Record.from_dict`, which rebuilds nested records, lists and dicts of records from the type hints.
Unknown keys are kept in ``extra`` when the class has such a field, and otherwise ignored, so that
files written by a newer version still load.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any, TypeVar, cast, get_args, get_origin

R = TypeVar("R", bound="Record")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _convert(tp: Any, value: Any) -> Any:
    """Rebuild ``value`` (parsed JSON) as type ``tp``."""
    if value is None:
        return None
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        for a in members:
            if isinstance(a, type) and dataclasses.is_dataclass(a) and isinstance(value, dict):
                return _convert(a, value)
        return _convert(members[0], value) if len(members) == 1 else value
    if origin in (list, tuple, set, frozenset) or tp in (list, tuple):
        largs: tuple[Any, ...] = get_args(tp)
        inner = largs[0] if largs else Any
        items = [_convert(inner, v) for v in value]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        dargs: tuple[Any, ...] = get_args(tp)
        inner = dargs[1] if len(dargs) == 2 else Any
        return {k: _convert(inner, v) for k, v in value.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp) and isinstance(value, dict):
        return _from_dict(tp, value)
    return value


def _from_dict(cls: type, data: dict[str, Any]) -> Any:
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    extra: dict[str, Any] = {}
    for k, v in data.items():
        if k in names:
            kwargs[k] = _convert(hints.get(k, Any), v)
        else:
            extra[k] = v
    if extra and "extra" in names:
        kwargs["extra"] = {**(kwargs.get("extra") or {}), **extra}
    return cls(**kwargs)


def _to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_to_jsonable(v) for v in value]
    return value


class Record:
    """Mixin for stage records (apply ``@dataclass`` on the subclass)."""

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-able dict."""
        return cast("dict[str, Any]", _to_jsonable(self))

    @classmethod
    def from_dict(cls: type[R], data: dict[str, Any]) -> R:
        """Rebuild a record from :meth:`to_dict` output (or a JSONL line)."""
        return cast(R, _from_dict(cls, data))


def to_jsonable(value: Any) -> Any:
    """Convert records, dataclasses and containers of them to JSON-able values."""
    return _to_jsonable(value)
