"""Typed configuration shared by every stage.

Each stage has a pydantic model. Values are layered, later layers winning:

1. the model's defaults;
2. a YAML or TOML file (``--config``), optionally under a section named after the stage;
3. ``OPENSEEKER_*`` environment variables: ``OPENSEEKER_<FIELD>`` for a top-level field and
   ``OPENSEEKER_<FIELD>__<SUBFIELD>`` for nested ones (values are parsed as YAML scalars/lists);
4. CLI flags (only the flags the user actually gave).

The resolved configuration is written into the run folder with every secret redacted.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from openseeker.errors import ConfigError

ENV_PREFIX = "OPENSEEKER_"
REDACTED = "***"
# Keys whose values are secrets wherever they appear, even in free-form option dicts.
_SECRET_MARKERS = ("api_key", "apikey", "token", "secret", "password", "authorization")

C = TypeVar("C", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for config models: unknown keys are an error (typos should not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML (``.yaml``/``.yml``/``.json``) or TOML (``.toml``) file into a dict."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"Config file {str(p)!r} does not exist.")
    try:
        if p.suffix == ".toml":
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        else:
            data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"Config file {str(p)!r} is not valid {p.suffix[1:].upper() or 'YAML'}: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"Config file {str(p)!r} must hold a mapping at the top level.")
    return data


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base`` recursively (dicts merge, everything else replaces)."""
    out = dict(base)
    for k, v in override.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def env_overrides(prefix: str = ENV_PREFIX, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Collect ``OPENSEEKER_A__B=value`` variables as ``{"a": {"b": value}}``."""
    environ = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(prefix) or key == prefix:
            continue
        parts = [p.lower() for p in key[len(prefix):].split("__") if p]
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = value
    return out


def _filter_to_model(cls: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """Keep only keys the model knows: env vars and shared config files may carry other stages' keys."""
    return {k: v for k, v in data.items() if k in cls.model_fields}


def load_config(
    cls: type[C],
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    section: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> C:
    """Build a ``cls`` config from defaults, a file, the environment and explicit overrides.

    Args:
        cls: the pydantic config model.
        path: an optional YAML/TOML file. If ``section`` is given and the file has that key, only that
            sub-mapping is used (so one file can configure several stages).
        overrides: values from CLI flags; ``None`` values are ignored (flags the user did not give).
        section: the stage name, see ``path``.
        environ: the environment to read (defaults to ``os.environ``).
    """
    data: dict[str, Any] = {}
    if path is not None:
        file_data = read_config_file(path)
        if section and isinstance(file_data.get(section), Mapping):
            shared = {k: v for k, v in file_data.items() if k in cls.model_fields and k != section}
            file_data = deep_merge(shared, file_data[section])
        data = deep_merge(data, _filter_to_model(cls, file_data) if section else file_data)
    data = deep_merge(data, _filter_to_model(cls, env_overrides(environ=environ)))
    if overrides:
        data = deep_merge(data, {k: v for k, v in overrides.items() if v is not None})
    try:
        return cls.model_validate(data)
    except ValidationError as e:
        lines = [f"  {'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors()]
        raise ConfigError(f"Invalid {cls.__name__} configuration:\n" + "\n".join(lines)) from None


def _is_secret_key(key: str) -> bool:
    k = key.lower()
    if k.endswith("_env") or k.endswith("_envs"):  # names of env vars are not secrets
        return False
    return any(m in k for m in _SECRET_MARKERS)


def redact(value: Any, key: str = "") -> Any:
    """Return ``value`` with every secret replaced by ``***`` (SecretStr values and secret-named keys)."""
    if isinstance(value, SecretStr):
        return REDACTED if value.get_secret_value() else ""
    if isinstance(value, BaseModel):
        return redact(value.model_dump(mode="python"), key)
    if isinstance(value, Mapping):
        return {k: (REDACTED if _is_secret_key(str(k)) and v else redact(v, str(k))) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, key) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def dump_config(config: BaseModel, path: str | Path) -> None:
    """Write ``config`` resolved and redacted, as YAML."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(yaml.safe_dump(redact(config), sort_keys=False, allow_unicode=True), encoding="utf-8")
