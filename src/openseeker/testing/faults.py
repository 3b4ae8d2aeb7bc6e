"""Failures the fake OpenAI server can inject (see :mod:`openseeker.testing.fake_openai`)."""

from __future__ import annotations

from dataclasses import dataclass

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class Fault:
    """A failure to inject into one response.

    Build with the class methods: :meth:`status`, :meth:`hang`, :meth:`drop`, :meth:`garbage`,
    :meth:`context_length`.
    """

    kind: str
    status_code: int = 500
    retry_after: float | None = None
    seconds: float = 3600.0
    body: bytes = b""
    message: str = ""

    @classmethod
    def status(cls, code: int, *, retry_after: float | None = None, message: str = "") -> Fault:
        """An HTTP error status (429, 500, 503, 401 ...) with an OpenAI-style error body."""
        return cls(
            "status",
            status_code=code,
            retry_after=retry_after,
            message=message or _REASONS.get(code, "error"),
        )

    @classmethod
    def hang(cls, seconds: float = 3600.0) -> Fault:
        """Send nothing for ``seconds`` (past the client's timeout), then close the connection."""
        return cls("hang", seconds=seconds)

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without answering (a dropped connection)."""
        return cls("drop")

    @classmethod
    def garbage(cls, body: bytes = b"<html>502 upstream</html> not json {") -> Fault:
        """Answer 200 with a body that is not a valid response."""
        return cls("garbage", status_code=200, body=body)

    @classmethod
    def context_length(cls) -> Fault:
        """Answer 400 the way OpenAI-compatible servers report an over-long prompt."""
        return cls(
            "status",
            status_code=400,
            message=(
                "This model's maximum context length is 4096 tokens. However, you requested 9000 tokens. "
                "Please reduce the length of the messages."
            ),
        )
