"""The HTTP plumbing shared by the web backends: clients per event loop, bounded body reads, and
:class:`ApiCaller`, which sends provider requests with key rotation, retries and backoff.

Failures the agent should read come out as :class:`ToolError` with a message that never holds a key.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from openseeker.errors import ToolError
from openseeker.pipeline.concurrency import limiter
from openseeker.web.keys import ApiKey, KeyPool
from openseeker.web.settings import USER_AGENT, BackendSettings

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524, 529})


class ClientPool:
    """One ``httpx.AsyncClient`` per running event loop (a client cannot outlive or cross loops)."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self._clients: dict[int, httpx.AsyncClient] = {}

    def get(self) -> httpx.AsyncClient:
        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None or client.is_closed:
            # redirects are never followed automatically: the fetcher checks every hop itself
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT},
                trust_env=False,
            )
            self._clients[loop_id] = client
        return client

    async def aclose(self) -> None:
        """Close the client of the running loop."""
        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.aclose()


class BodyTooLarge(Exception):
    """Raised by :func:`read_limited` when the body exceeds its limit."""


async def read_limited(resp: httpx.Response, max_bytes: int) -> bytes:
    """Read a streamed body, aborting as soon as it exceeds ``max_bytes`` (decompressed)."""
    declared = resp.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(size)
        chunks.append(chunk)
    return b"".join(chunks)


def retry_after_seconds(resp: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds (delta or HTTP date), if any."""
    raw = resp.headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_delay(settings: BackendSettings, attempt: int) -> float:
    """Exponential backoff with jitter: ``backoff * 2**attempt * U(0.5, 1.0)``."""
    return settings.backoff * (2**attempt) * (0.5 + random.random() / 2)


@dataclass
class ApiResponse:
    """A provider's reply, fully read."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: str

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class ApiCaller:
    """Sends one provider's requests: key rotation, per-key rate limits, retries on 429/5xx/timeouts."""

    def __init__(self, name: str, settings: BackendSettings, keys: KeyPool):
        self.name = name
        self.settings = settings
        self.keys = keys
        self.clients = ClientPool(settings.timeout)

    async def call(self, build: Callable[[httpx.AsyncClient, ApiKey | None], httpx.Request]) -> ApiResponse:
        """Send the request made by ``build(client, key)`` until it succeeds or attempts run out.

        Raises:
            ToolError: the provider kept failing, refused the request (4xx) or sent too much.
            ConfigError: every key was rejected (HTTP 401/403 with a key).
        """
        s = self.settings
        last = "no attempt made"
        async with limiter(f"web:{self.name}", s.concurrency):
            for attempt in range(s.retries + 1):
                key = await self.keys.acquire()
                client = self.clients.get()
                waited = False  # whether this attempt already waited (Retry-After, key cool-down)
                try:
                    resp = await client.send(build(client, key), stream=True)
                except httpx.TimeoutException:
                    last = f"the request timed out after {s.timeout:g} s"
                except httpx.HTTPError as e:
                    last = f"the connection failed ({type(e).__name__})"
                else:
                    try:
                        done, last, waited = await self._handle(resp, key, attempt)
                    finally:
                        await resp.aclose()
                    if done is not None:
                        return done
                log.debug("%s attempt %d failed: %s", self.name, attempt + 1, last)
                if not waited and attempt < s.retries:
                    await asyncio.sleep(backoff_delay(s, attempt))
        raise ToolError(
            f"The {self.name} service is unavailable: {last} ({s.retries + 1} attempts). Try again later."
        )

    async def _handle(
        self, resp: httpx.Response, key: ApiKey | None, attempt: int
    ) -> tuple[ApiResponse | None, str, bool]:
        """A final response, or ``None`` plus why to retry and whether the wait before it is done."""
        s = self.settings
        status = resp.status_code
        if status in (401, 403) and key is not None:
            self.keys.disable(key, f"HTTP {status}")
            if self.keys.active:
                return None, f"key {key.label} rejected (HTTP {status})", True  # next key, no wait
            raise self.keys.rejected_error()
        if status in RETRY_STATUS:
            wait = retry_after_seconds(resp)
            delay = min(wait if wait is not None else backoff_delay(s, attempt), s.max_retry_after)
            if status == 429 and key is not None:
                # the pool holds this key back; another key, if any, is used at once
                self.keys.cool_down(key, delay)
            elif attempt < s.retries:
                await asyncio.sleep(delay)
            return None, f"HTTP {status}", True
        try:
            body = await read_limited(resp, s.max_bytes)
        except BodyTooLarge:
            raise ToolError(f"The {self.name} reply is larger than {s.max_bytes} bytes; not read.") from None
        except httpx.HTTPError as e:
            return None, f"the connection dropped while reading ({type(e).__name__})", False
        if status >= 400:
            detail = self.keys.redact(body.decode("utf-8", errors="replace").strip())[:300]
            raise ToolError(
                f"The {self.name} service refused the request (HTTP {status}): {detail or 'no detail'}"
            )
        return ApiResponse(status, resp.headers, body, str(resp.url)), "", True
