"""Typed configuration shared by every stage.

Each stage has a pydantic model. Values are layered, later layers winning:

1. the model's defaults;
2. a YAML or TOML file (``--config``), optionally under a section named after the stage;
3. ``OPENSEEKER_*`` environment variables: ``OPENSEEKER_<FIELD>`` for a top-level field and
   ``OPENSEEKER_<FIELD>__<SUBFIELD>`` for nested ones (values are parsed as YAML scalars/lists);
4. CLI flags (only the flags the user actually gave).

Every key is checked, at every level (:func:`load_config`): a typo is an error with the closest known key
suggested, never a silently ignored setting. A file may configure several stages (one section each, plus
keys shared by them), so the rule is that every key in it must mean something to *some* stage:

* the running stage's section (``qa:`` for ``synth qa``) and the top-level keys the stage has a field for
  are validated in full by the stage's model;
* every other section named in :data:`config_sections` (``traj:``, ``eval:``, ``tools:`` ...) is validated
  too, except that settings only that stage can supply (required fields) may be missing;
* any other top-level key must be a field of some stage's config, else it is an unknown key;
* a free-form mapping field named like a section (the quickstart's ``qa:``, the evaluation's ``tools:``)
  is validated by that section's model.

Then the plug-ins the config names (LLM providers, search backends, page fetchers) are looked up in their
registries, so ``--generator nosuch/x`` fails before any work starts. Errors are one line.

The resolved configuration is written into the run folder with every secret redacted.
"""

from __future__ import annotations

import difflib
import importlib
import os
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError
from pydantic.fields import FieldInfo

from openseeker import redaction
from openseeker.errors import ConfigError
from openseeker.registry import Registry

ENV_PREFIX = "OPENSEEKER_"
REDACTED = redaction.REDACTED

C = TypeVar("C", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for config models: unknown keys are an error (typos should not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML (``.yaml``/``.yml``/``.json``) or TOML (``.toml``) file into a dict."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"Config file {str(p)!r} does not exist.")
    if p.is_dir():
        raise ConfigError(f"Config file {str(p)!r} is a folder, not a YAML or TOML file.")
    kind = "TOML" if p.suffix == ".toml" else "YAML"
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"Config file {str(p)!r} is not a text file (byte {e.start} is not UTF-8); give a {kind} file."
        ) from None
    try:
        data = tomllib.loads(text) if kind == "TOML" else (yaml.safe_load(text) or {})
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"Config file {str(p)!r} is not valid {kind}: {' '.join(str(e).split())}") from None
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
    """Keep only keys the model knows (``OPENSEEKER_*`` variables also hold settings of other stages and
    non-config settings such as ``OPENSEEKER_CACHE``, so the environment cannot be strict at the top)."""
    return {k: v for k, v in data.items() if k in cls.model_fields}


# -- sections: which model validates a mapping of a given name ---------------------------------------------

config_sections: Registry[type[BaseModel]] = Registry("config_section")
"""Section name -> the config model that validates a mapping of that name, at the top of a config file or
as a stage's free-form override field (the quickstart's ``qa:``, the evaluation's ``tools:``)."""

# the sections commands load from the top of a file (``load_config(..., section=NAME)``); any top-level key
# that is not a section must be a field of one of these
STAGE_SECTIONS: tuple[str, ...] = ("quickstart", "qa", "traj", "eval", "agent_run", "train", "tools")

_BUILTIN_SECTIONS = {
    "quickstart": "openseeker.quickstart:QuickstartConfig",
    "qa": "openseeker.synth.config:QASynthConfig",
    "traj": "openseeker.synth.trajectories:TrajSynthConfig",
    "eval": "openseeker.evaluate.runner:EvalConfig",
    "agent_run": "openseeker.agent.config:AgentRunConfig",
    "train": "openseeker.train.config:SFTTrainConfig",
    "tools": "openseeker.tools.config:ToolsConfig",
    "agent": "openseeker.agent.config:AgentConfig",
    "roles": "openseeker.llm.config:RolesConfig",
    "export": "openseeker.export.sft:ExportOptions",  # the quickstart's export: options
}


def _register_section(name: str, target: str) -> None:
    def factory() -> type[BaseModel]:  # imported on use: the models' modules import this one
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]

    config_sections.register(name)(factory)


for _name, _target in _BUILTIN_SECTIONS.items():
    _register_section(_name, _target)

def _section_model(name: Any) -> type[BaseModel] | None:
    if not isinstance(name, str) or name not in config_sections:
        return None
    try:
        return config_sections.create(name)
    except ImportError:  # an optional part that is not installed: its section cannot be checked here
        return None


def _stage_models() -> list[type[BaseModel]]:
    return [m for m in map(_section_model, STAGE_SECTIONS) if m is not None]


# -- checking every key ----------------------------------------------------------------------------------


def _types(annotation: Any) -> list[Any]:
    """The members of a (possibly nested, possibly optional) union annotation."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in _types(a)]
    return [annotation]


def _model_of(field: FieldInfo) -> type[BaseModel] | None:
    return next(
        (t for t in _types(field.annotation) if isinstance(t, type) and issubclass(t, BaseModel)), None
    )


def _free_mapping(field: FieldInfo) -> bool:
    return any(typing.get_origin(t) in (dict, Mapping) or t in (dict, Mapping) for t in _types(field.annotation))


def _takes_mapping(field: FieldInfo) -> bool:
    return _model_of(field) is not None or _free_mapping(field)


def _names(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [*model.model_fields, *(f.alias for f in model.model_fields.values() if f.alias)]


def _hint(key: Any, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _model_at(model: type[BaseModel], loc: list[Any]) -> type[BaseModel] | None:
    """The model that validates the mapping at ``loc`` inside ``model`` (for the names to suggest)."""
    current: type[BaseModel] | None = model
    for step in loc:
        field = current.model_fields.get(step) if current is not None and isinstance(step, str) else None
        if field is None:
            return None
        current = _model_of(field) or (_section_model(step) if _free_mapping(field) else None)
    return current


def _join(where: str, loc: Iterable[Any]) -> str:
    return ".".join([*([where] if where else []), *(str(x) for x in loc)]) or "(top level)"


def config_problems(
    model: type[BaseModel], data: Mapping[str, Any], where: str = "", *, partial: bool = False
) -> list[str]:
    """Every problem of ``data`` as a ``model``, one line each: unknown keys (with the closest known key)
    and invalid values, at every level, free-form section mappings included. ``partial`` ignores missing
    required fields (another stage's section, which that stage completes from its flags)."""
    out: list[str] = []
    try:
        model.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            if partial and err["type"] == "missing":
                continue
            loc = list(err["loc"])
            if err["type"] == "extra_forbidden":
                msg = "unknown key" + _hint(loc[-1], _names(_model_at(model, loc[:-1])))
            else:
                msg = err["msg"]
            out.append(f"{_join(where, loc)}: {msg}")
    out += _free_section_problems(model, data, where)
    return out + plugin_problems(model, data, where)


def _free_section_problems(model: type[BaseModel], data: Mapping[str, Any], where: str) -> list[str]:
    """Problems inside the free-form mappings of ``data`` that are named like a section."""
    out: list[str] = []
    for name, field in model.model_fields.items():
        value = data.get(name)
        if not isinstance(value, Mapping):
            continue
        sub = _model_of(field)
        if sub is not None:
            out += _free_section_problems(sub, value, _join(where, [name]))
        elif _free_mapping(field) and (section := _section_model(name)) is not None:
            out += config_problems(section, value, _join(where, [name]), partial=True)
    return out


def _split_file(
    cls: type[BaseModel], file_data: Mapping[str, Any], section: str | None
) -> tuple[dict[str, Any], list[str]]:
    """The part of a config file that configures ``cls`` (its section over the shared top-level keys),
    and the problems of everything else in the file (other sections, unknown top-level keys)."""
    if section is None:
        return dict(file_data), []
    problems: list[str] = []
    own = file_data.get(section)
    if section in file_data and not isinstance(own, Mapping):
        problems.append(f"{section}: must be a mapping of settings, got {type(own).__name__}")
    shared: dict[str, Any] = {}
    known: set[str] | None = None
    for key, value in file_data.items():
        if key == section:
            continue
        field = cls.model_fields.get(key) if isinstance(key, str) else None
        if field is not None and (not isinstance(value, Mapping) or _takes_mapping(field)):
            shared[key] = value  # a key this stage shares with others (roles, tools, out ...)
            continue
        other = _section_model(key) if isinstance(value, Mapping) else None
        if other is not None:
            problems += config_problems(other, value, str(key), partial=True)
            continue
        if known is None:
            known = {*STAGE_SECTIONS, *config_sections.names(), *(n for m in _stage_models() for n in _names(m))}
        if key not in known:
            problems.append(f"{key}: unknown key{_hint(key, known)}")
    return (deep_merge(shared, own) if isinstance(own, Mapping) else shared), problems


value_checks: Registry[list[str]] = Registry("config_check")
"""A config model (``"module:Class"``) -> ``check(value, where) -> [problem, ...]``: what the model cannot see
by itself, such as whether the plug-ins a value names are registered. Listed by name, imported on use."""
value_checks.register_lazy("openseeker.llm.config:LLMConfig", "openseeker.llm.registry:llm_problems")
value_checks.register_lazy("openseeker.tools.config:ToolsConfig", "openseeker.toolbox:tool_problems")


def _value_check(model: type[BaseModel]) -> Any:
    key = f"{model.__module__}:{model.__qualname__}"
    return value_checks.get(key) if key in value_checks else None


def plugin_problems(model: type[BaseModel], data: Mapping[str, Any], where: str = "") -> list[str]:
    """Look up every LLM provider, search backend and page fetcher that ``data`` (a ``model``) names, at
    any depth, free-form section mappings included; one line per name that is not registered."""
    out: list[str] = []
    check = _value_check(model)
    if check is not None:
        out += check(data, where)
    for name, field in model.model_fields.items():
        value = data.get(name)
        sub = _model_of(field)  # (free-form section mappings are checked by their own config_problems)
        if sub is None:
            continue
        if isinstance(value, Mapping):
            out += plugin_problems(sub, value, _join(where, [name]))
        elif isinstance(value, str) and (check := _value_check(sub)) is not None:
            out += check(value, _join(where, [name]))  # a model given by a string ("provider/model")
    return out


def load_config(
    cls: type[C],
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    section: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> C:
    """Build a ``cls`` config from defaults, a file, the environment and explicit overrides.

    Every key of the file is checked (see the module docstring), values are validated, and the LLM
    providers and tool backends named are looked up, before the config is returned.

    Args:
        cls: the pydantic config model.
        path: an optional YAML/TOML file. If ``section`` is given and the file has that key, that
            sub-mapping (over the file's top-level keys that ``cls`` shares) configures ``cls``; the rest
            of the file may configure other stages.
        overrides: values from CLI flags; ``None`` values are ignored (flags the user did not give).
        section: the stage name, see ``path``.
        environ: the environment to read (defaults to ``os.environ``).

    Raises:
        ConfigError: one line naming every problem (unknown keys with a suggestion, invalid values,
            unknown providers or backends).
    """
    data: dict[str, Any] = {}
    problems: list[str] = []
    in_section: Mapping[str, Any] = {}
    if path is not None:
        file_data = read_config_file(path)
        data, problems = _split_file(cls, file_data, section)
        if section and isinstance(file_data.get(section), Mapping):
            in_section = file_data[section]
    data = deep_merge(data, _filter_to_model(cls, env_overrides(environ=environ)))
    if overrides:
        data = deep_merge(data, {k: v for k, v in overrides.items() if v is not None})
    own = [
        f"{section}.{p}" if p.split(":", 1)[0].split(".", 1)[0] in in_section else p  # where the user wrote it
        for p in config_problems(cls, data)
    ]
    problems = own + problems
    if problems:
        origin = f" in {str(path)!r}" if path is not None else ""
        raise ConfigError(
            f"Invalid {section or cls.__name__} configuration{origin}: "
            + "; ".join(p.rstrip(".") for p in problems)
        )
    cfg = cls.model_validate(data)
    # the secret values this config brings (keys, tokens, the variables *_env fields name) are scrubbed from
    # tool responses, caches, logs and error lines from now on
    redaction.register_environment(environ)
    redaction.register_config(cfg, environ=environ)
    return cfg


def _is_secret_key(key: str) -> bool:
    return redaction.is_secret_name(key)  # (names of env vars, *_env, are not secrets)


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
    text = yaml.safe_dump(redact(config), sort_keys=False, allow_unicode=True)
    p.write_text(redaction.scrub(text), encoding="utf-8")  # (a known secret in a field of any name, too)
