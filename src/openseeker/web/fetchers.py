"""Page fetchers: Jina Reader, direct HTTP with main-content extraction, and a fallback chain.

* :class:`HttpFetcher` fetches the page itself. Redirects are followed by hand so that every hop is
  checked against the safety policy (scheme, blocklist, DNS to a public address); the body is streamed
  and aborted beyond ``max_bytes``; 429/5xx/timeouts are retried with backoff.
* :class:`JinaFetcher` asks Jina Reader (``GET {base}/{url}``, ``Authorization: Bearer <key>``) for the
  page as Markdown, as the paper's ``visit`` does. The target is fetched by Jina's servers, so only the
  static URL checks apply before the call; the final URL Jina reports is checked against the blocklist.
* :class:`FallbackFetcher` tries fetchers in order (``jina`` falls back to ``http`` by default).
"""

from __future__ import annotations

import asyncio
import logging
import re
from urllib.parse import urljoin

import httpx

from openseeker import redaction
from openseeker.errors import ToolError
from openseeker.tools.base import FetchedPage, PageFetcher
from openseeker.tools.config import ToolsConfig
from openseeker.web.decode import BodyTooLarge, UnsupportedEncoding
from openseeker.web.extract import extract
from openseeker.web.http import (
    RETRY_STATUS,
    ApiCaller,
    ClientPool,
    Deadline,
    backoff_delay,
    read_limited,
    retry_after_seconds,
)
from openseeker.web.keys import KeyPool
from openseeker.web.safety import SafetyPolicy
from openseeker.web.settings import BackendSettings

log = logging.getLogger(__name__)

_ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.9,application/pdf;q=0.8,*/*;q=0.5"
_MD_LINK = re.compile(r"\]\((https?://[^)\s]+)")


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.reason, self.wait = reason, wait


class HttpFetcher:
    """Fetch a page directly and extract its main content (HTML to Markdown, text, PDF)."""

    name = "http"
    cost_per_call = 0.0

    def __init__(self, cfg: ToolsConfig, *, policy: SafetyPolicy | None = None):
        self.settings = BackendSettings.from_config(cfg, "http", timeout=20.0, retries=2)
        self.policy = policy or SafetyPolicy.from_options(cfg.blocklist, cfg.options)
        self.clients = ClientPool(self.settings.timeout)

    def __repr__(self) -> str:
        return f"HttpFetcher(max_bytes={self.settings.max_bytes}, timeout={self.settings.timeout:g})"

    async def fetch(self, url: str) -> FetchedPage:
        """Fetch ``url``; raises :class:`ToolError` with a readable reason when it cannot be had."""
        final_url, resp_status, ctype, body = await self._get_retrying(url)
        # extraction is CPU work (tens of ms per page): keep the event loop free for the other agents
        out = await asyncio.to_thread(extract, body, ctype, final_url)
        return FetchedPage(
            url=final_url,
            content=out.content,
            title=out.title,
            content_type=out.content_type,
            status=resp_status,
            links=out.links,
            metadata={"fetcher": self.name, "requested_url": url, "bytes": len(body)},
        )

    async def download(self, url: str) -> bytes:
        """The raw body of ``url`` (no extraction), under the same safety rules, retries and size limit."""
        return (await self._get_retrying(url))[3]

    async def _get_retrying(self, url: str) -> tuple[str, int, str, bytes]:
        s = self.settings
        last = ""
        deadline = Deadline(s.timeout, s.total_deadline())
        attempts = 0
        for attempt in range(s.retries + 1):
            attempts += 1
            wait: float | None = None
            try:
                async with deadline.attempt():  # DNS, every redirect hop and the body, in all
                    return await self._get(url)
            except TimeoutError:
                last = f"timed out: no complete reply within {min(s.timeout, deadline.total):g} s"
            except _Retry as r:
                last, wait = r.reason, r.wait
            if attempt < s.retries:
                pause = min(wait, s.max_retry_after) if wait is not None else backoff_delay(s, attempt)
                if not await deadline.sleep(pause):
                    last += f"; the call's {deadline.total:g} s deadline leaves no time for a retry"
                    break
        raise ToolError(f"Failed to visit {url}: {last} ({attempts} attempts).")

    async def _get(self, url: str) -> tuple[str, int, str, bytes]:
        """One attempt: follow redirects by hand, checking each hop; read the body within the size limit."""
        s = self.settings
        client = self.clients.get()
        current = url
        for _hop in range(s.max_redirects + 1):
            pinned = await self.policy.check_target(current)
            target: str | httpx.URL = current
            headers = {"Accept": _ACCEPT}
            if pinned is not None and current.lower().startswith("http://"):
                # connect to the address just checked: a second DNS lookup could be rebound to a private
                # one. (HTTPS needs no pin: a rebound target cannot present a certificate for the host.)
                parsed = httpx.URL(current)
                headers["Host"] = parsed.netloc.decode("ascii")
                target = parsed.copy_with(host=pinned)
            try:
                req = client.build_request("GET", target, headers=headers)
                resp = await client.send(req, stream=True)
            except httpx.TimeoutException:
                raise _Retry(f"the request timed out after {s.timeout:g} s") from None
            except httpx.InvalidURL as e:
                raise ToolError(f"Invalid URL {current!r}: {e}.") from None
            except httpx.HTTPError as e:
                raise _Retry(f"the connection failed ({type(e).__name__})") from None
            try:
                if resp.is_redirect:
                    location = resp.headers.get("location", "").strip()
                    if not location:
                        raise ToolError(f"Failed to visit {url}: redirect without a Location header.")
                    current = urljoin(current, location)
                    continue
                if resp.status_code in RETRY_STATUS:
                    raise _Retry(f"HTTP {resp.status_code}", retry_after_seconds(resp))
                if resp.status_code >= 400:
                    raise ToolError(f"Failed to visit {url}: the server answered HTTP {resp.status_code}.")
                try:
                    body = redaction.scrub_bytes(await read_limited(resp, s.max_bytes))
                except BodyTooLarge:
                    raise ToolError(
                        f"Failed to visit {url}: the page is larger than {s.max_bytes} bytes."
                    ) from None
                except UnsupportedEncoding as e:
                    raise ToolError(f"Failed to visit {url}: the page cannot be decoded ({e}).") from None
                except httpx.TimeoutException:
                    raise _Retry(f"reading the page timed out after {s.timeout:g} s") from None
                except httpx.HTTPError as e:
                    raise _Retry(f"the connection dropped while reading ({type(e).__name__})") from None
                return current, resp.status_code, resp.headers.get("content-type", ""), body
            finally:
                await resp.aclose()
        raise ToolError(f"Failed to visit {url}: more than {s.max_redirects} redirects.")


def parse_jina(text: str) -> tuple[str, str, str]:
    """Split a Jina Reader reply into (title, source URL, Markdown content)."""
    title = source = ""
    head, sep, content = text.partition("Markdown Content:")
    if not sep:
        return "", "", text.strip()
    for line in head.splitlines():
        if line.startswith("Title:"):
            title = line[len("Title:") :].strip()
        elif line.startswith("URL Source:"):
            source = line[len("URL Source:") :].strip()
    return title, source, content.strip()


class JinaFetcher:
    """Fetch pages as Markdown through Jina Reader (the key is optional; without one Jina rate-limits harder)."""

    name = "jina"

    def __init__(self, cfg: ToolsConfig, *, keys: KeyPool | None = None, policy: SafetyPolicy | None = None):
        self.settings = BackendSettings.from_config(
            cfg,
            "jina",
            base_url="https://r.jina.ai",
            key_env=["JINA_API_KEY", "JINA_API_KEYS"],  # the second is the official tool's name
            timeout=50.0,
            retries=2,
            fallback="http",
        )
        env = self.settings.key_env
        self.keys = keys or (
            KeyPool.from_env("jina", env, rpm=self.settings.rpm, required=False)
            if env
            else KeyPool("jina", [], self.settings.rpm)
        )
        self.caller = ApiCaller("jina", self.settings, self.keys)
        self.policy = policy or SafetyPolicy.from_options(cfg.blocklist, cfg.options)

    def __repr__(self) -> str:
        return f"JinaFetcher(base_url={self.settings.base_url!r}, keys={self.keys.active})"

    @property
    def cost_per_call(self) -> float:
        return self.settings.cost_per_call

    async def fetch(self, url: str) -> FetchedPage:
        """Fetch ``url`` through Jina Reader."""
        self.policy.check_url(url)
        target = f"{self.settings.base_url}/{url.strip()}"

        def build(client: httpx.AsyncClient, key: object) -> httpx.Request:
            headers = {"Accept": "text/plain", "X-Timeout": str(int(self.settings.timeout))}
            if key is not None:
                headers["Authorization"] = f"Bearer {key.reveal()}"  # type: ignore[attr-defined]
            return client.build_request("GET", target, headers=headers)

        try:
            resp = await self.caller.call(build)
        except ToolError as e:
            raise ToolError(f"Failed to visit {url} through Jina Reader: {e}") from None
        text = resp.text()
        title, source, content = parse_jina(text)
        if not content:
            raise ToolError(f"Failed to visit {url}: Jina Reader returned no content.")
        final = source if source.startswith(("http://", "https://")) else url
        self.policy.check_blocklist(final)
        links = list(dict.fromkeys(_MD_LINK.findall(content)))
        return FetchedPage(
            url=final,
            content=content,
            title=title,
            content_type="text/markdown",
            status=resp.status,
            links=links,
            metadata={"fetcher": self.name, "requested_url": url},
        )


class FallbackFetcher:
    """Try fetchers in order; the first page wins. ``name`` is the first fetcher's."""

    def __init__(self, fetchers: list[PageFetcher]):
        if not fetchers:
            raise ValueError("FallbackFetcher needs at least one fetcher")
        self.fetchers = fetchers
        self.name = fetchers[0].name
        self.cost_per_call = getattr(fetchers[0], "cost_per_call", 0.0)

    def __repr__(self) -> str:
        return f"FallbackFetcher({', '.join(f.name for f in self.fetchers)})"

    async def fetch(self, url: str) -> FetchedPage:
        errors: list[tuple[str, str]] = []
        for f in self.fetchers:
            try:
                page = await f.fetch(url)
                if f is not self.fetchers[0]:
                    page.metadata["fallback_from"] = [e[0] for e in errors]
                return page
            except ToolError as e:
                log.debug("fetcher %s failed on %s: %s", f.name, url, e)
                errors.append((f.name, str(e)))
        if len(errors) == 1:
            raise ToolError(errors[0][1])
        raise ToolError(f"Failed to visit {url}. " + " ".join(f"[{n}] {m}" for n, m in errors))
