"""The HTTP plumbing shared by the web backends: clients per event loop, bounded body reads, and
:class:`ApiCaller`, which sends provider requests with key rotation, retries and backoff.

Two limits hold against any server: a body is decoded incrementally with a bounded output (a compression
bomb stops after ``max_bytes``, :mod:`openseeker.web.decode`), and time is bounded twice: one attempt
(connect, headers, body) must finish within ``timeout`` seconds in all, however slowly the server drips
bytes, and one call, retries and waits included, within its ``deadline``.

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

from openseeker import redaction
from openseeker.concurrency import limiter
from openseeker.errors import ToolError
from openseeker.web.decode import ACCEPT_ENCODING, BodyTooLarge, BoundedDecoder, UnsupportedEncoding
from openseeker.web.keys import ApiKey, KeyPool
from openseeker.web.settings import USER_AGENT, BackendSettings

__all__ = ["ApiCaller", "ApiResponse", "BodyTooLarge", "ClientPool", "Deadline", "read_limited"]

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
                # only the codings we can decode with a bounded output (not httpx's default list)
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
                trust_env=False,
            )
            self._clients[loop_id] = client
        return client

    async def aclose(self) -> None:
        """Close the client of the running loop."""
        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.aclose()


async def read_limited(resp: httpx.Response, max_bytes: int) -> bytes:
    """Read a streamed body, aborting as soon as it exceeds ``max_bytes`` (decoded, and decoded without
    ever holding more than about ``max_bytes``: see :mod:`openseeker.web.decode`).

    Raises:
        BodyTooLarge: the body is larger than ``max_bytes``.
        UnsupportedEncoding: the body's Content-Encoding is unknown, or its data is corrupt.
    """
    declared = resp.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(int(declared))
    decoder = BoundedDecoder(resp.headers.get("content-encoding", ""), max_bytes)
    chunks: list[bytes] = []
    async for raw in resp.aiter_raw():
        if len(raw) > max_bytes:  # (a raw chunk larger than the limit cannot decode to less in practice)
            raise BodyTooLarge(len(raw))
        chunks.append(decoder.feed(raw))
    return b"".join(chunks)


class Deadline:
    """The time limits of one call: ``timeout`` per attempt (start to last byte), ``total`` for all of it.

    The total starts with the first attempt (waiting for a rate-limit slot does not count).
    """

    def __init__(self, timeout: float, total: float):
        self.timeout, self.total = timeout, total
        self.end: float | None = None

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def attempt(self) -> asyncio.Timeout:
        """A timeout scope for one attempt: ``timeout`` seconds, cut short by the total deadline."""
        now = self.now()
        if self.end is None:
            self.end = now + self.total
        return asyncio.timeout_at(min(now + self.timeout, self.end))

    def left(self) -> float:
        return float("inf") if self.end is None else self.end - self.now()

    async def sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` unless that passes the deadline; ``False`` when no time is left for another try."""
        if seconds >= self.left():
            return False
        await asyncio.sleep(max(0.0, seconds))
        return True


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
    return float(settings.backoff * (2**attempt) * (0.5 + random.random() / 2))


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
        deadline = Deadline(s.timeout, s.total_deadline())
        attempts = 0
        async with limiter(f"web:{self.name}", s.concurrency):
            for attempt in range(s.retries + 1):
                key = await self.keys.acquire()
                if deadline.left() <= 0:  # (waiting for a cooled-down key used up the rest)
                    last += f"; the call's {deadline.total:g} s deadline passed"
                    break
                client = self.clients.get()
                attempts += 1
                wait: float | None = None  # the wait before the next attempt (None: the usual backoff)
                try:
                    async with deadline.attempt():
                        resp = await client.send(build(client, key), stream=True)
                        try:
                            done, last, wait = await self._handle(resp, key, attempt)
                        finally:
                            await resp.aclose()
                    if done is not None:
                        return done
                except (TimeoutError, httpx.TimeoutException):
                    last = f"timed out: no complete reply within {min(s.timeout, deadline.total):g} s"
                except httpx.HTTPError as e:
                    last = f"the connection failed ({type(e).__name__})"
                log.debug("%s attempt %d failed: %s", self.name, attempt + 1, last)
                if attempt < s.retries:
                    pause = backoff_delay(s, attempt) if wait is None else wait
                    if not await deadline.sleep(pause):
                        last += f"; the call's {deadline.total:g} s deadline leaves no time for a retry"
                        break
        raise ToolError(
            f"The {self.name} service is unavailable: {last} ({attempts} attempts). Try again later."
        )

    async def _handle(
        self, resp: httpx.Response, key: ApiKey | None, attempt: int
    ) -> tuple[ApiResponse | None, str, float | None]:
        """A final response, or ``None`` plus why to retry and how long to wait before (``None``: backoff)."""
        s = self.settings
        status = resp.status_code
        if status in (401, 403) and key is not None:
            self.keys.disable(key, f"HTTP {status}")
            if self.keys.active:
                return None, f"key {key.label} rejected (HTTP {status})", 0.0  # next key, no wait
            raise self.keys.rejected_error()
        if status in RETRY_STATUS:
            wait = retry_after_seconds(resp)
            delay = min(wait if wait is not None else backoff_delay(s, attempt), s.max_retry_after)
            if status == 429 and key is not None:
                # the pool holds this key back; another key, if any, is used at once
                self.keys.cool_down(key, delay)
                return None, f"HTTP {status}", 0.0
            return None, f"HTTP {status}", delay
        try:
            body = await read_limited(resp, s.max_bytes)
        except BodyTooLarge:
            raise ToolError(f"The {self.name} reply is larger than {s.max_bytes} bytes; not read.") from None
        except UnsupportedEncoding as e:
            raise ToolError(f"The {self.name} reply cannot be decoded ({e}).") from None
        except httpx.TimeoutException:
            raise  # the attempt's time is up: handled by the caller
        except httpx.HTTPError as e:
            return None, f"the connection dropped while reading ({type(e).__name__})", None
        body = redaction.scrub_bytes(body)  # a provider that echoes its request must not leak the key
        if status >= 400:
            detail = self.keys.redact(body.decode("utf-8", errors="replace").strip())[:300]
            raise ToolError(
                f"The {self.name} service refused the request (HTTP {status}): {detail or 'no detail'}"
            )
        return ApiResponse(status, resp.headers, body, str(resp.url)), "", True
