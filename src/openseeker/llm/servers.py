"""Server profiles: what an OpenAI-compatible endpoint accepts, detected once per endpoint.

``openai/<model>`` or ``completions/<model>`` plus a ``base_url`` is all a user gives; the servers behind
that URL differ in ways that make requests fail (see the table in the README's LLM section):

* the structured-output request form (``response_format`` json_schema, json_object with a schema, a GBNF
  grammar, vLLM's ``guided_json``, SGLang's ``json_schema`` string),
* whether a text-mode tool response may be sent as a ``role: tool`` message without a tool-call id,
* whether an assistant turn can be continued (``continue_final_message``: vLLM, SGLang),
* the context window (``max_model_len``, llama.cpp's ``/props``, OpenRouter's ``context_length``, the error
  llama-cpp-python gives for a prompt longer than its window).

:func:`detect` probes an endpoint once (``GET /models``, then ``/version`` and ``/props`` at the server
root when the first answer does not settle it) and caches the :class:`ServerProfile` for the process.
Hosted APIs are known by their host name and not probed. The role's ``options.server`` names the server
instead of detecting it (``auto`` detects); every other explicit option still wins over the profile.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson

from openseeker.errors import ConfigError, LLMServerError, LLMTimeoutError

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 10.0


@dataclass(frozen=True)
class ServerProfile:
    """What one kind of server accepts, and what openseeker therefore sends it.

    Attributes:
        kind: ``llama-cpp-python``, ``llama.cpp``, ``vllm``, ``sglang``, ``openai``, ``deepseek``,
            ``openrouter`` or ``generic`` (anything else: the OpenAI defaults).
        title: the server's name for messages and the README table.
        chat_structured: how the ``openai`` provider sends a JSON schema (see its ``structured_output``).
        completions_structured: how the ``completions`` provider sends it.
        tool_role: the text-mode tool-response role the chat endpoint accepts (``None``: any).
        continuation: whether ``continue_final_message`` continues an assistant turn on the chat endpoint.
        context_window: tokens of prompt + generation the server reports (or ``options.context_window``).
        assumed_window: the window assumed when the server does not report one (its default setting).
        max_output_tokens: the most tokens one reply may have (``None``: bounded by the window only).
        source: ``probe``, ``host`` (known by its host name), ``option`` (``options.server``) or ``default``.
        notes: what the server gets wrong that openseeker works around (the README table's last column).
    """

    kind: str
    title: str
    chat_structured: str = "json_schema"
    completions_structured: str = "prompt"
    tool_role: str | None = None
    continuation: bool = False
    context_window: int | None = None
    assumed_window: int | None = None
    max_output_tokens: int | None = None
    source: str = "default"
    notes: str = ""

    @property
    def window(self) -> int | None:
        """The context window to plan with: reported (or configured), else assumed."""
        return self.context_window or self.assumed_window


def _gbnf_available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


# The known servers. The llama-cpp-python entry's structured modes are decided at detection time (see
# :func:`_llama_cpp_python`): its own JSON-schema converter mis-escapes quotes and backslashes, and the
# broken grammar then crashes the server process, so a grammar built here is sent when llama_cpp is
# importable, and otherwise a schema whose hostile enum values are removed.
KNOWN: dict[str, ServerProfile] = {
    p.kind: p
    for p in (
        ServerProfile(
            "llama-cpp-python",
            "llama-cpp-python (python -m llama_cpp.server)",
            chat_structured="json_object_schema",
            completions_structured="prompt",
            tool_role="user",
            assumed_window=2048,
            notes="rejects role=tool messages without a tool-call id (HTTP 500); only json_object "
            "response formats; its schema converter crashes the server on quotes in enum values; states "
            "its context window only in the error for a too-long prompt (probed once; 2048, its default "
            "--n_ctx, is assumed if that fails: set options.context_window)",
        ),
        ServerProfile(
            "llama.cpp",
            "llama.cpp server (llama-server)",
            chat_structured="json_object_schema",
            completions_structured="llamacpp",
            tool_role="user",
            notes="context window from /props; role=tool needs a tool-call id",
        ),
        ServerProfile(
            "vllm",
            "vLLM",
            chat_structured="json_schema",
            completions_structured="guided_json",
            tool_role="tool",
            continuation=True,
            notes="max_model_len from /v1/models; continue_final_message for forced answers",
        ),
        ServerProfile(
            "sglang",
            "SGLang",
            chat_structured="json_schema",
            completions_structured="sglang",
            tool_role="tool",
            continuation=True,
            notes="max_model_len from /v1/models; continue_final_message for forced answers",
        ),
        ServerProfile(
            "openai",
            "OpenAI",
            chat_structured="json_schema",
            tool_role="user",
            notes="role=tool only answers native tool calls; no continuation of an assistant turn",
        ),
        ServerProfile(
            "deepseek",
            "DeepSeek",
            chat_structured="json_object",
            tool_role="user",
            max_output_tokens=8192,
            notes="JSON mode without a schema (the schema goes into the prompt); replies of at most 8k tokens",
        ),
        ServerProfile(
            "openrouter",
            "OpenRouter",
            chat_structured="json_schema",
            tool_role="user",
            notes="context_length of the model from /models; errors of the upstream provider may come "
            "back as HTTP 200 with an error object (retried as its code says)",
        ),
        ServerProfile("generic", "another OpenAI-compatible server"),
    )
}
SERVER_KINDS: tuple[str, ...] = ("auto", *KNOWN)
_HOSTS = {"api.openai.com": "openai", "api.deepseek.com": "deepseek", "openrouter.ai": "openrouter"}
_OWNED_BY = {"vllm": "vllm", "sglang": "sglang", "llamacpp": "llama.cpp", "me": "llama-cpp-python",
             "deepseek": "deepseek", "openai": "openai", "system": "openai", "openai-internal": "openai"}

_cache: dict[tuple[str, str], ServerProfile] = {}


def root_url(base_url: str) -> str:
    """The server root of an API base URL (``http://h:8000/v1`` -> ``http://h:8000``)."""
    u = urlsplit(base_url.rstrip("/"))
    path = u.path[: -len("/v1")] if u.path.endswith("/v1") else u.path
    return urlunsplit((u.scheme, u.netloc, path, "", ""))


def profile_for(kind: str, **changes: Any) -> ServerProfile:
    """The known profile of ``kind`` with ``changes`` (llama-cpp-python: the structured modes fit this
    installation)."""
    if kind not in KNOWN:
        raise ConfigError(f"options.server must be one of {', '.join(SERVER_KINDS)}, not {kind!r}")
    p = KNOWN[kind]
    if kind == "llama-cpp-python" and _gbnf_available():
        p = replace(p, chat_structured="gbnf", completions_structured="gbnf")
    return replace(p, **changes) if changes else p


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _int(value: Any) -> int | None:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return n if n > 0 else None


def _from_models(data: Any, model: str) -> tuple[str | None, int | None, int | None]:
    """``(kind, context window, max output)`` from a ``GET /models`` body (the entry of ``model`` first)."""
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        return None, None, None
    entries = [e for e in entries if isinstance(e, dict)]
    mine = [e for e in entries if e.get("id") == model] or entries[:1]
    e: dict[str, Any] = mine[0] if mine else {}
    kind = _OWNED_BY.get(str(e.get("owned_by", "")).lower())
    meta: dict[str, Any] = e["meta"] if isinstance(e.get("meta"), dict) else {}
    top: dict[str, Any] = e["top_provider"] if isinstance(e.get("top_provider"), dict) else {}
    window = _int(e.get("max_model_len")) or _int(e.get("context_length")) or _int(meta.get("n_ctx"))
    return kind, window, _int(top.get("max_completion_tokens"))


async def _get(transport: Any, url_path: str) -> tuple[int, Any]:
    """``GET`` through the provider's transport: ``(status, decoded JSON or None)``."""
    resp = await transport.request("GET", url_path, None, PROBE_TIMEOUT)
    return resp.status, _json(resp.body) if 200 <= resp.status < 300 else None


# llama-cpp-python reports its window nowhere but in the error for a prompt longer than the window
# ("This model's maximum context length is N tokens", an OpenAI-style 400), and it compares the prompt's
# length with the window before evaluating anything. So the probe sends about a million one-token words:
# the server tokenizes 2 MB (a fraction of a second) and refuses. A server with a larger window would
# start evaluating it; llama-cpp-python serves no model with one.
_OVERFLOW_WORDS = 1 << 20
WINDOW_PROBE = "openseeker_probe=context_window"
_MAX_CONTEXT = re.compile(rb"maximum context length is (\d+) tokens")


async def _window_from_overflow(transport: Any, model: str) -> int | None:
    """The context window llama-cpp-python's overflow error states (``None`` if it states none)."""
    body = orjson.dumps({"model": model, "prompt": "a " * _OVERFLOW_WORDS, "max_tokens": 1})
    try:
        # the query string (ignored by the server) names the refused request in the server's access log
        resp = await transport.request("POST", f"/completions?{WINDOW_PROBE}", body, PROBE_TIMEOUT)
    except (LLMServerError, LLMTimeoutError) as e:
        log.warning("the context-window probe failed (%s); the default window is assumed", e)
        return None
    m = _MAX_CONTEXT.search(resp.body) if resp.status == 400 else None
    return _int(m.group(1)) if m else None


async def probe(base_url: str, model: str, transport: Any, root_transport: Any) -> ServerProfile:
    """Ask the endpoint what it is (no cache; see :func:`detect`).

    ``transport`` sends paths under ``base_url``; ``root_transport`` under the server root (for
    ``/version`` and ``/props``, which vLLM, SGLang and llama.cpp serve outside ``/v1``).

    Raises:
        LLMServerError: nothing listens at ``base_url`` ("no server at ...").
    """
    host = (urlsplit(base_url).hostname or "").lower()
    for suffix, hosted in _HOSTS.items():
        if host == suffix or host.endswith("." + suffix):
            if hosted == "openrouter":
                status, data = await _get(transport, "/models")
                _, window, out = _from_models(data, model) if status == 200 else (None, None, None)
                return profile_for(hosted, context_window=window, max_output_tokens=out, source="probe")
            return profile_for(hosted, source="host")
    try:
        status, data = await _get(transport, "/models")
    except LLMServerError as e:
        raise LLMServerError(f"no server at {base_url} (model {model}): {e}") from e
    kind, window, out = _from_models(data, model) if status == 200 else (None, None, None)
    if kind in (None, "llama.cpp"):
        status, props = await _get(root_transport, "/props")
        if status == 200 and isinstance(props, dict):
            gen = props.get("default_generation_settings")
            n_ctx = _int(props.get("n_ctx")) or (_int(gen.get("n_ctx")) if isinstance(gen, dict) else None)
            return profile_for("llama.cpp", context_window=n_ctx or window, source="probe")
    if kind is None:
        status, ver = await _get(root_transport, "/version")
        if status == 200 and isinstance(ver, dict) and "version" in ver:
            # vLLM and SGLang both answer {"version": ...}; both take the same requests here
            kind = "vllm"
    if kind is None:
        status, spec = await _get(root_transport, "/openapi.json")
        title = str((spec or {}).get("info", {}).get("title", "")) if isinstance(spec, dict) else ""
        if "llama.cpp python" in title.lower():
            kind = "llama-cpp-python"
    kind = kind or "generic"
    if kind == "llama-cpp-python" and not window:
        window = await _window_from_overflow(transport, model)
    changes: dict[str, Any] = {"source": "probe"}
    if window:
        changes["context_window"] = window
    if out:
        changes["max_output_tokens"] = out
    return profile_for(kind, **changes)


async def detect(
    base_url: str, model: str, transport: Any, root_transport: Any, *, lock: asyncio.Lock | None = None
) -> ServerProfile:
    """The cached profile of ``base_url``, probing it on first use (see :func:`probe`).

    A probe that times out (a server too busy to answer ``/models`` in time) gives the ``generic``
    profile for this call and is retried on the next; a refused connection raises.
    """
    key = (base_url.rstrip("/"), model)
    if key in _cache:
        return _cache[key]
    async with lock or asyncio.Lock():
        if key in _cache:
            return _cache[key]
        try:
            prof = await probe(base_url, model, transport, root_transport)
        except LLMTimeoutError as e:
            log.warning("%s did not answer the server probe (%s); using the generic profile", base_url, e)
            return profile_for("generic")
        window = prof.context_window or f"not reported; {prof.assumed_window or 'unknown'} assumed"
        log.info("server at %s: %s (context window %s)", base_url, prof.title, window)
        _cache[key] = prof
        return prof


def forget(base_url: str | None = None) -> None:
    """Drop cached profiles (all, or those of ``base_url``): a restarted server may be another one."""
    for k in [k for k in _cache if base_url is None or k[0] == base_url.rstrip("/")]:
        del _cache[k]
