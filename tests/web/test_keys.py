"""API key pools: reading, rotation, per-key rate limits, rejection, redaction."""

from __future__ import annotations

import asyncio

import pytest

from openseeker.errors import ConfigError
from openseeker.web.keys import KeyPool


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_keys_come_from_env_comma_separated_and_never_show() -> None:
    pool = KeyPool.from_env("serper", "K", environ={"K": "aaa-secret, bbb-secret,"})
    assert [k.label for k in pool.keys] == ["K#1", "K#2"]
    assert (
        "secret" not in repr(pool.keys) and "secret" not in str(pool.keys[0]) and "secret" not in repr(pool)
    )
    assert pool.redact("echo aaa-secret and bbb-secret") == "echo *** and ***"


def test_missing_key_is_a_config_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="SERPER_API_KEY"):
        KeyPool.from_env("serper", "SERPER_API_KEY", environ={})
    assert KeyPool.from_env("jina", "JINA_API_KEY", required=False, environ={}).keys == []


def test_rotation_and_per_key_rate_limits() -> None:
    clock = FakeClock()
    pool = KeyPool.from_env("p", "K", rpm=60, environ={"K": "a,b"})
    pool.clock, pool.sleep = clock, clock.sleep

    async def take(n: int) -> list[str]:
        return [(await pool.acquire()).label for _ in range(n)]  # type: ignore[union-attr]

    labels = asyncio.run(take(4))
    assert labels == ["K#1", "K#2", "K#1", "K#2"]
    # two keys at 60 rpm: the third call waits one second for key 1, the fourth none extra for key 2
    assert clock.slept == [1.0]


def test_cool_down_and_disable_steer_calls_to_the_other_key() -> None:
    clock = FakeClock()
    pool = KeyPool.from_env("p", "K", environ={"K": "a,b"})
    pool.clock, pool.sleep = clock, clock.sleep
    a, b = pool.keys
    pool.cool_down(a, 30)

    async def run() -> list[str]:
        return [(await pool.acquire()).label for _ in range(2)]  # type: ignore[union-attr]

    assert asyncio.run(run()) == ["K#2", "K#2"]
    pool.disable(b, "HTTP 401")
    assert asyncio.run(run()) == ["K#1", "K#1"]
    assert clock.slept == [30.0]
    pool.disable(a, "HTTP 403")
    with pytest.raises(ConfigError, match="rejected"):
        asyncio.run(run())
