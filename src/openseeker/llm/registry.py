"""The registry of LLM providers, and construction of ready-to-use role models.

``get_llm("openai/gpt-4.1")`` builds a bare provider; :func:`build_llm` adds what a pipeline needs around
it: retries, a per-endpoint concurrency limit and the response cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openseeker.errors import ConfigError
from openseeker.llm.base import LLM
from openseeker.llm.config import LLMConfig, RolesConfig
from openseeker.registry import Registry

providers: Registry[LLM] = Registry("llm")


@providers.register("scripted")
def _scripted(model: str, cfg: LLMConfig) -> LLM:
    from openseeker.llm.providers import scripted

    return scripted.create(model, **cfg.options)


@providers.register("openai")
def _openai(model: str, cfg: LLMConfig) -> LLM:
    from openseeker.llm.providers.openai import OpenAIChatLLM

    return OpenAIChatLLM.from_config(model, cfg)


@providers.register("completions")
def _completions(model: str, cfg: LLMConfig) -> LLM:
    from openseeker.llm.providers.completions import CompletionsLLM

    return CompletionsLLM.from_config(model, cfg)


@providers.register("llamacpp")
def _llamacpp(model: str, cfg: LLMConfig) -> LLM:
    from openseeker.llm.providers.llamacpp import LlamaCppLLM

    return LlamaCppLLM.from_config(model, cfg)


def llm_problems(value: str | Mapping[str, Any], where: str) -> list[str]:
    """Config problems of a model given as ``"provider/model"`` or an :class:`LLMConfig` mapping: a spec that
    is not ``provider/model``, or an unknown provider (one line each; see :mod:`openseeker.config`)."""
    spec = value if isinstance(value, str) else value.get("model")
    if not isinstance(spec, str):
        return []
    loc = where if isinstance(value, str) else f"{where}.model" if where else "model"
    if "/" not in spec:
        return [
            f"{loc}: model {spec!r} must be written 'provider/model', e.g. 'openai/gpt-4.1' or "
            f"'llamacpp/default' (providers: {', '.join(providers.names())})"
        ]
    try:
        providers.get(spec.split("/", 1)[0])
    except ConfigError as e:
        return [f"{loc}: {e}"]
    return []


def get_llm(spec: str | LLMConfig, **overrides: Any) -> LLM:
    """Build the bare provider for ``"provider/model"`` (or an :class:`LLMConfig`)."""
    cfg = LLMConfig.model_validate(spec) if isinstance(spec, str) else spec
    if overrides:
        cfg = cfg.model_copy(update=overrides)
    if "/" not in cfg.model:
        raise ConfigError(
            f"Model {cfg.model!r} must be written 'provider/model', e.g. 'openai/gpt-4.1' or 'llamacpp/default'. "
            f"Providers: {', '.join(providers.names())}."
        )
    return providers.create(cfg.provider, cfg.model_name, cfg)


def build_llm(cfg: LLMConfig | str, *, cache_path: str | Path | None = None) -> LLM:
    """A provider wrapped with retries, a per-endpoint concurrency limit and (optionally) the cache."""
    from openseeker.llm.cache import CachedLLM, ResponseCache
    from openseeker.llm.concurrency import ConcurrencyLimitedLLM
    from openseeker.llm.retry import RetryingLLM

    cfg = LLMConfig.model_validate(cfg) if isinstance(cfg, str) else cfg
    llm: LLM = get_llm(cfg)
    llm = RetryingLLM(llm, max_retries=cfg.max_retries, timeout=cfg.timeout)
    llm = ConcurrencyLimitedLLM(llm, cfg.max_concurrency, key=cfg.base_url or cfg.model)
    if cfg.cache and cache_path is not None and cfg.provider != "scripted":
        llm = CachedLLM(llm, ResponseCache(cache_path), endpoint=cfg.base_url or "")
    return llm


class Roles:
    """Lazily built models for each role of a :class:`RolesConfig` (roles with equal configs share one)."""

    def __init__(self, config: RolesConfig, *, cache_path: str | Path | None = None,
                 overrides: dict[str, LLM] | None = None):
        self.config = config
        self.cache_path = cache_path
        self._built: dict[str, LLM] = dict(overrides or {})
        self._by_cfg: dict[str, LLM] = {}

    def __getitem__(self, role: str) -> LLM:
        if role not in self._built:
            cfg = self.config.for_role(role)
            k = cfg.model_dump_json()
            if k not in self._by_cfg:
                self._by_cfg[k] = build_llm(cfg, cache_path=self.cache_path)
            self._built[role] = self._by_cfg[k]
        return self._built[role]

    async def preflight(self, *roles: str) -> None:
        """Ask each role's endpoint once what it is (see :meth:`LLM.capabilities`), before a stage's work.

        A server that is not running fails here, within seconds, with "no server at <url>", instead of
        failing every input of the stage after its retries.
        """
        import asyncio

        llms = {id(m): m for m in (self[r] for r in dict.fromkeys(roles))}
        await asyncio.gather(*(m.capabilities() for m in llms.values()))

    def model_id(self, role: str) -> str:
        """The ``provider/model`` id of a role (for records), without building it."""
        if role in self._built:
            return self._built[role].name
        return self.config.for_role(role).model

    async def aclose(self) -> None:
        for llm in {id(v): v for v in self._built.values()}.values():
            await llm.aclose()
