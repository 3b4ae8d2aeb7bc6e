"""Per-backend settings, read from ``tools.options.<backend>``.

Example (YAML)::

    tools:
      search: serper
      options:
        serper: {key_env: SERPER_API_KEY, rpm: 300, timeout: 30, retries: 4}
        http: {max_bytes: 5000000, timeout: 20}

Unknown keys are an error, so that a typo does not silently fall back to a default.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from openseeker.errors import ConfigError
from openseeker.tools.config import ToolsConfig

USER_AGENT = "openseeker/0.1 (+https://github.com/openseeker; research crawler)"


@dataclass
class BackendSettings:
    """What every web backend can be tuned with.

    Attributes:
        base_url: the provider's endpoint (tests point it at a local server).
        key_env: environment variable(s) holding the API key(s); comma-separated keys rotate.
        rpm: requests per minute allowed per key (``None``: no limit).
        concurrency: requests in flight at once for this backend, process-wide.
        timeout: seconds one attempt may take in all (connect, headers, body), however slowly the
            server sends.
        deadline: seconds one call may take, every attempt and wait included (default:
            ``timeout * (retries + 1)``).
        retries: extra attempts after a 429, a 5xx, a timeout or a dropped connection.
        backoff: base of the exponential backoff between attempts, in seconds.
        max_retry_after: the longest ``Retry-After`` honoured, in seconds.
        max_bytes: the largest response body read; bigger ones are aborted.
        max_redirects: redirect hops followed (direct HTTP fetch).
        cost_per_call: the spend charged to the run budget per call (in your currency of choice).
        fallback: (fetchers) the fetcher tried when this one fails, or ``None``.
    """

    base_url: str = ""
    key_env: str | list[str] | None = None
    rpm: float | None = None
    concurrency: int = 8
    timeout: float = 30.0
    deadline: float | None = None
    retries: int = 4
    backoff: float = 1.0
    max_retry_after: float = 60.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    cost_per_call: float = 0.0
    fallback: str | None = None

    @classmethod
    def from_config(cls, cfg: ToolsConfig, name: str, **defaults: Any) -> BackendSettings:
        """Defaults of the backend, overridden by ``cfg.options[name]``."""
        user = cfg.options.get(name) or {}
        if not isinstance(user, dict):
            raise ConfigError(
                f"tools.options.{name} must be a mapping of settings, got {type(user).__name__}."
            )
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(user) - known)
        if unknown:
            raise ConfigError(
                f"Unknown keys in tools.options.{name}: {', '.join(unknown)}. "
                f"Known: {', '.join(sorted(known))}."
            )
        merged = {**defaults, **user}
        try:
            out = cls(**merged)
            out.retries, out.concurrency, out.max_bytes = (
                int(out.retries),
                int(out.concurrency),
                int(out.max_bytes),
            )
            out.timeout, out.backoff = float(out.timeout), float(out.backoff)
            out.deadline = None if out.deadline is None else float(out.deadline)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"Invalid tools.options.{name}: {e}") from None
        out.base_url = out.base_url.rstrip("/")
        return out

    def total_deadline(self) -> float:
        """The deadline of one call, in seconds."""
        return self.deadline if self.deadline is not None else self.timeout * (self.retries + 1)
