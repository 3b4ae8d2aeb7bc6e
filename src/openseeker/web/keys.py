"""API keys: read from environment variables, rotated, rate-limited per key, never shown.

A provider's keys come from the environment variable(s) named in its options (``key_env``, default for
example ``SERPER_API_KEY``). A variable may hold several keys separated by commas; each key gets its
own rate limit (``rpm``, requests per minute) and its own cool-down after a 429, and a key the
provider rejects (401/403) is dropped for the rest of the process. Calls go to the key that is free
soonest, so several keys multiply the usable rate.

Keys are wrapped in :class:`ApiKey`, whose ``repr``/``str`` show only a label (``SERPER_API_KEY#2``);
:meth:`KeyPool.redact` scrubs any key from text (error messages built from provider replies).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from openseeker import redaction
from openseeker.errors import ConfigError


class ApiKey:
    """One secret key. Its value is only available through :meth:`reveal`."""

    __slots__ = ("_value", "label")

    def __init__(self, value: str, label: str):
        self._value = value
        self.label = label

    def reveal(self) -> str:
        """The secret itself, for the one request header that needs it."""
        return self._value

    def __repr__(self) -> str:
        return f"ApiKey({self.label}, ***)"

    __str__ = __repr__


@dataclass
class _KeyState:
    key: ApiKey
    next_free: float = 0.0
    disabled: str | None = None  # why the key was dropped


@dataclass
class KeyPool:
    """The keys of one provider, with per-key rate limits and rotation.

    Args:
        provider: provider name, for messages.
        keys: the keys (possibly none, for providers where a key is optional).
        rpm: requests per minute allowed per key (``None``: unlimited).
        clock, sleep: injectable for tests.
    """

    provider: str
    keys: list[ApiKey]
    rpm: float | None = None
    env_names: list[str] = field(default_factory=list)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def __post_init__(self) -> None:
        redaction.register(*(k.reveal() for k in self.keys))  # scrubbed wherever a provider echoes them
        self._states = [_KeyState(k) for k in self.keys]
        self._turn = 0
        self._lock: asyncio.Lock | None = None
        self._lock_loop: int | None = None

    @classmethod
    def from_env(
        cls,
        provider: str,
        env_names: str | list[str],
        *,
        rpm: float | None = None,
        required: bool = True,
        environ: Mapping[str, str] | None = None,
    ) -> KeyPool:
        """Read the keys from the named environment variable(s); several keys per variable, comma-separated.

        Raises:
            ConfigError: ``required`` and no variable holds a key.
        """
        environ = os.environ if environ is None else environ
        names = [env_names] if isinstance(env_names, str) else list(env_names)
        keys: list[ApiKey] = []
        for name in names:
            for i, value in enumerate(v.strip() for v in environ.get(name, "").split(",")):
                if value:
                    keys.append(ApiKey(value, f"{name}#{i + 1}"))
        if required and not keys:
            raise ConfigError(
                f"The {provider} backend needs an API key: set the environment variable {' or '.join(names)} "
                f"(several keys separated by commas are rotated)."
            )
        return cls(provider, keys, rpm, names)

    @property
    def active(self) -> int:
        """How many keys are still usable."""
        return sum(1 for s in self._states if s.disabled is None)

    def _get_lock(self) -> asyncio.Lock:
        loop_id = id(asyncio.get_running_loop())
        if self._lock is None or self._lock_loop != loop_id:
            self._lock, self._lock_loop = asyncio.Lock(), loop_id
        return self._lock

    async def acquire(self) -> ApiKey | None:
        """Wait until some key may be used, reserve one call on it and return it (``None`` without keys).

        Raises:
            ConfigError: every key was rejected by the provider.
        """
        if not self._states:
            return None
        async with self._get_lock():
            live = [s for s in self._states if s.disabled is None]
            if not live:
                raise self.rejected_error()
            # the key free soonest; ties go round-robin so load spreads evenly
            n = len(live)
            order = [live[(self._turn + i) % n] for i in range(n)]
            state = min(order, key=lambda s: s.next_free)
            self._turn = (live.index(state) + 1) % n
            wait = state.next_free - self.clock()
            if wait > 0:
                await self.sleep(wait)
            interval = 60.0 / self.rpm if self.rpm else 0.0
            state.next_free = max(self.clock(), state.next_free) + interval
            return state.key

    def rejected_error(self) -> ConfigError:
        """The error for "the provider rejected every key": a configuration problem, not a tool failure."""
        reasons = "; ".join(f"{s.key.label}: {s.disabled}" for s in self._states)
        return ConfigError(
            f"Every {self.provider} API key was rejected ({reasons}). Check "
            f"{' / '.join(self.env_names) or 'the key variables'}."
        )

    def cool_down(self, key: ApiKey | None, seconds: float) -> None:
        """The provider said 429 for ``key``: do not use it for ``seconds``."""
        for s in self._states:
            if s.key is key:
                s.next_free = max(s.next_free, self.clock() + max(0.0, seconds))

    def disable(self, key: ApiKey | None, reason: str) -> None:
        """The provider rejected ``key``: drop it for the rest of the process."""
        for s in self._states:
            if s.key is key:
                s.disabled = reason

    def redact(self, text: str) -> str:
        """``text`` with every key value (and every other known secret) replaced by ``***``."""
        for s in self._states:
            value = s.key.reveal()
            if value and value in text:  # (also keys too short for the process-wide registry)
                text = text.replace(value, "***")
        return redaction.scrub(text)
