"""The ``openai`` provider: any OpenAI-compatible ``/v1/chat/completions`` endpoint.

OpenAI, vLLM, SGLang, DeepSeek, OpenRouter and llama.cpp's server all speak this format. Native tool
calls (``tools`` / ``tool_calls``), separate reasoning (``reasoning_content``) and JSON-schema structured
output are supported. Options (``LLMConfig.options``):

* ``server``: ``auto`` (default: detect the server once, see :mod:`openseeker.llm.servers`) or its kind
  (``vllm``, ``sglang``, ``llama.cpp``, ``llama-cpp-python``, ``openai``, ``deepseek``, ``openrouter``,
  ``generic``). The server's profile chooses the structured-output form, the text-mode tool role, whether
  a forced answer continues the assistant turn, and the context window; the options below still win.
* ``context_window``: the server's context window in tokens (when it does not report it).
* ``structured_output``: how ``GenerateConfig.json_schema`` is sent. ``json_schema`` (OpenAI, vLLM,
  SGLang), ``json_object_schema`` (llama.cpp: ``{"type": "json_object", "schema": ...}``; enum values its
  converter cannot escape are left out), ``gbnf`` (a grammar built here, llama.cpp's ``grammar`` field),
  ``json_object`` (JSON mode, schema only in the prompt) or ``prompt`` (nothing sent; schema in the prompt).
  Default: the server profile's.
* ``http_client``: ``auto`` (default), ``fast`` or ``httpx`` (see :mod:`._http`).
* ``api_key_required``: set ``false`` for a remote endpoint without authentication.
* ``keep_reasoning_in_messages``: send ``reasoning_content`` of earlier assistant turns back (default false;
  DeepSeek rejects it).
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import replace
from typing import Any

import orjson
from pydantic import SecretStr

from openseeker.errors import ConfigError, LLMResponseError
from openseeker.llm.base import LLM
from openseeker.llm.config import LLMConfig
from openseeker.llm.providers._http import (
    Transport,
    decode_json,
    is_local_url,
    make_transport,
    raise_for_status,
)
from openseeker.llm.servers import SERVER_KINDS, ServerProfile, detect, profile_for, root_url
from openseeker.llm.types import Capabilities, GenerateConfig, LLMOutput, Message, ToolCall, ToolSpec, Usage

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
STRUCTURED_MODES = ("json_schema", "json_object_schema", "gbnf", "json_object", "prompt")
_MESSAGE_KEYS = ("role", "content", "name", "tool_calls", "tool_call_id")


def resolve_api_key(cfg: LLMConfig, base_url: str) -> str | None:
    """The API key from ``cfg.api_key`` or the environment variable ``cfg.api_key_env``.

    Raises:
        ConfigError: no key for a remote endpoint (a local one needs none).
    """
    if cfg.api_key is not None:
        return cfg.api_key.get_secret_value()
    env = cfg.api_key_env or DEFAULT_KEY_ENV
    key = os.environ.get(env)
    if key:
        return key
    if is_local_url(base_url) or cfg.options.get("api_key_required") is False:
        return None
    raise ConfigError(
        f"No API key for {base_url} (model {cfg.model!r}): set the environment variable {env}, or name another "
        f"variable with 'api_key_env' in the role's config. Local endpoints (localhost) need no key."
    )


def wire_messages(messages: list[Message], *, keep_reasoning: bool = False) -> list[dict[str, Any]]:
    """Messages in the strict OpenAI wire form: known keys only, tool-call arguments as JSON strings."""
    out: list[dict[str, Any]] = []
    for m in messages:
        w = {k: m[k] for k in _MESSAGE_KEYS if k in m and m[k] is not None}
        if keep_reasoning and m.get("reasoning_content"):
            w["reasoning_content"] = m["reasoning_content"]
        if "tool_calls" in w:
            calls = []
            for i, c in enumerate(w["tool_calls"]):
                if "function" in c:
                    calls.append(c)
                    continue
                args = c.get("arguments", {})
                calls.append(
                    {
                        "id": c.get("id") or f"call_{i}",
                        "type": "function",
                        "function": {
                            "name": c["name"],
                            "arguments": args if isinstance(args, str) else orjson.dumps(args).decode(),
                        },
                    }
                )
            w["tool_calls"] = calls
        if "content" not in w and m.get("role") != "assistant":
            w["content"] = ""
        out.append(w)
    return out


def parse_tool_calls(raw: list[dict[str, Any]] | None) -> list[ToolCall]:
    """``message.tool_calls`` -> :class:`ToolCall` with decoded arguments.

    Arguments that are not a JSON object (even after repair) are kept as ``{"_unparsed": <text>}`` so the
    agent can show the model its mistake instead of silently calling the tool without arguments.
    """
    from openseeker.llm.structured import parse_json_lenient

    calls: list[ToolCall] = []
    for i, c in enumerate(raw or []):
        fn = c.get("function") or {}
        name = fn.get("name") or c.get("name")
        if not name:
            raise LLMResponseError(f"tool call #{i} has no function name: {str(c)[:200]}")
        args_raw = fn.get("arguments", c.get("arguments", {}))
        args: Any = args_raw
        if isinstance(args_raw, str):
            try:
                args = orjson.loads(args_raw) if args_raw.strip() else {}
            except orjson.JSONDecodeError:
                try:
                    args = parse_json_lenient(args_raw)
                except ValueError:
                    args = None
        if not isinstance(args, dict):
            args = {"_unparsed": args_raw}
        calls.append(ToolCall(name=name, arguments=args, id=c.get("id") or f"call_{i}"))
    return calls


def schema_instruction(schema: dict[str, Any]) -> str:
    """The prompt-side instruction used when the schema is not enforced by the server."""
    return (
        "Reply with only a JSON object that matches this JSON schema, with no other text:\n"
        + orjson.dumps(schema).decode()
    )


def sampling_fields(config: GenerateConfig) -> dict[str, Any]:
    """The OpenAI request fields for the sampling options that are set."""
    body: dict[str, Any] = {}
    for k in ("temperature", "top_p", "top_k", "max_tokens", "stop", "seed"):
        v = getattr(config, k)
        if v is not None:
            body[k] = v
    if config.grammar is not None:
        body["grammar"] = config.grammar  # llama.cpp servers accept a GBNF grammar
    return body


ENDPOINT_OPTIONS = frozenset({"structured_output", "http_client", "api_key_required", "server", "context_window"})


def endpoint_options(cfg: LLMConfig, provider: str, extra: set[str]) -> dict[str, Any]:
    """``cfg.options`` checked against what an HTTP provider knows."""
    known = ENDPOINT_OPTIONS | extra
    unknown = set(cfg.options) - known
    if unknown:
        raise ConfigError(
            f"unknown option(s) for the {provider} provider: {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(known))}"
        )
    server = cfg.options.get("server", "auto")
    if server not in SERVER_KINDS:
        raise ConfigError(f"options.server must be one of {', '.join(SERVER_KINDS)}, not {server!r}")
    window = cfg.options.get("context_window")
    if window is not None and (not isinstance(window, int) or window < 256):
        raise ConfigError(f"options.context_window must be a number of tokens (>= 256), not {window!r}")
    return dict(cfg.options)


class HTTPEndpointLLM(LLM):
    """What every OpenAI-compatible HTTP provider shares: the endpoint, its key (never shown), the pooled
    transport, one ``POST`` with error mapping, and the server profile (detected once, see
    :mod:`openseeker.llm.servers`) that chooses the structured-output mode unless the user set one."""

    structured_modes: tuple[str, ...] = ()
    default_structured: str = ""

    def __init__(
        self,
        name: str,
        model: str,
        *,
        base_url: str,
        api_key: str | None,
        timeout: float,
        structured_output: str | None,
        http_client: str,
        max_connections: int,
        defaults: GenerateConfig | None,
        server: str = "auto",
        context_window: int | None = None,
    ):
        super().__init__(name, defaults)
        if structured_output is not None and structured_output not in self.structured_modes:
            raise ConfigError(
                f"structured_output must be one of {', '.join(self.structured_modes)}, not {structured_output!r}"
            )
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._explicit_structured = structured_output
        self.structured_output = structured_output or self.default_structured
        self.server = server
        self.context_window = context_window
        self.profile: ServerProfile | None = None
        self._secret = SecretStr(api_key or "")  # repr shows '**********'
        self._http_client = http_client
        self._transport: Transport = make_transport(
            self.base_url, self._headers(), kind=http_client, max_connections=max_connections
        )
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def _headers(self) -> dict[str, str]:
        key = self._secret.get_secret_value()
        return {"authorization": f"Bearer {key}"} if key else {}

    def _structured_from(self, profile: ServerProfile) -> str:
        """The profile's structured-output mode for this provider."""
        raise NotImplementedError

    async def server_profile(self) -> ServerProfile:
        """The server's profile: probed once per endpoint and process (``options.server`` names the kind;
        ``options.context_window`` and ``options.structured_output`` override what it says).

        Raises:
            LLMServerError: nothing listens at ``base_url``.
        """
        if self.profile is not None:
            return self.profile
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        root = make_transport(root_url(self.base_url), self._headers(), kind=self._http_client, max_connections=2)
        try:
            found = await detect(self.base_url, self.model, self._transport, root, lock=self._lock)
        finally:
            await root.aclose()
        prof = found
        if self.server not in ("auto", found.kind):
            prof = profile_for(
                self.server,
                context_window=found.context_window,
                max_output_tokens=found.max_output_tokens,
                source="option",
            )
        if self.context_window is not None:
            prof = replace(prof, context_window=self.context_window)
        if self._explicit_structured is None:
            self.structured_output = self._structured_from(prof)
        self.profile = prof
        return prof

    async def _post(self, path: str, body: dict[str, Any], timeout: float | None) -> dict[str, Any]:
        """POST ``body`` to ``path``; HTTP errors mapped onto the error hierarchy, the reply decoded."""
        where = f"{self.base_url}{path}"
        resp = await self._transport.request("POST", path, orjson.dumps(body), timeout or self.timeout)
        secret = self._secret.get_secret_value()
        raise_for_status(resp, where, secret=secret)
        return decode_json(resp, where, secret=secret)

    async def aclose(self) -> None:
        await self._transport.aclose()


class OpenAIChatLLM(HTTPEndpointLLM):
    """A chat model behind an OpenAI-compatible endpoint.

    Args:
        name: the ``openai/<model>`` id.
        model: the model name sent to the server.
        base_url: the endpoint, ending in ``/v1``.
        api_key: the key (kept only inside the transport's headers; never in reprs or errors).
        timeout: default per-request timeout in seconds.
        structured_output: see the module docstring (``None``: the server profile's).
        http_client: ``auto``, ``fast`` or ``httpx``.
        max_connections: the connection-pool size.
        server: ``auto`` or the server's kind (see the module docstring).
        context_window: the server's context window, when it does not report it.
    """

    structured_modes = STRUCTURED_MODES
    default_structured = "json_schema"

    def __init__(
        self,
        name: str,
        model: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        timeout: float = 600.0,
        structured_output: str | None = None,
        http_client: str = "auto",
        max_connections: int = 256,
        keep_reasoning: bool = False,
        defaults: GenerateConfig | None = None,
        server: str = "auto",
        context_window: int | None = None,
    ):
        super().__init__(
            name,
            model,
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            structured_output=structured_output,
            http_client=http_client,
            max_connections=max_connections,
            defaults=defaults,
            server=server,
            context_window=context_window,
        )
        self.keep_reasoning = keep_reasoning

    @classmethod
    def from_config(cls, model: str, cfg: LLMConfig) -> OpenAIChatLLM:
        """Build from a role config (``openai/<model>``)."""
        base_url = cfg.base_url or DEFAULT_BASE_URL
        opts = endpoint_options(cfg, "openai", {"keep_reasoning_in_messages"})
        return cls(
            f"openai/{model}",
            model,
            base_url=base_url,
            api_key=resolve_api_key(cfg, base_url),
            timeout=cfg.timeout,
            structured_output=opts.get("structured_output"),
            http_client=opts.get("http_client", "auto"),
            max_connections=max(cfg.max_concurrency, 1),
            keep_reasoning=bool(opts.get("keep_reasoning_in_messages", False)),
            defaults=cfg.generation,
            server=opts.get("server", "auto"),
            context_window=opts.get("context_window"),
        )

    def __repr__(self) -> str:
        return f"<OpenAIChatLLM {self.name} at {self.base_url}>"

    def _structured_from(self, profile: ServerProfile) -> str:
        return profile.chat_structured

    async def capabilities(self) -> Capabilities:
        p = await self.server_profile()
        return Capabilities(
            server=p.title,
            context_window=p.window,
            max_output_tokens=p.max_output_tokens,
            continuation="continue_final_message" if p.continuation else None,
            tool_role=p.tool_role,
            notes={"kind": p.kind, "source": p.source, "structured_output": self.structured_output},
        )

    def request_body(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> dict[str, Any]:
        """The JSON body of one chat request.

        A ``prefill`` becomes a final assistant message that the server continues
        (``continue_final_message``, vLLM and SGLang); the reply then holds only the continuation.
        """
        msgs = wire_messages(messages, keep_reasoning=self.keep_reasoning)
        body: dict[str, Any] = {"model": self.model, "messages": msgs}
        if tools:
            body["tools"] = [t.openai() for t in tools]
        body.update(sampling_fields(config))
        schema = config.json_schema
        if schema is not None:
            mode = self.structured_output
            if mode == "json_schema":
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {
                        # OpenAI accepts only [A-Za-z0-9_-]{1,64} here
                        "name": re.sub(r"[^A-Za-z0-9_-]", "_", str(schema.get("title") or "output"))[:64],
                        "schema": schema,
                        "strict": False,
                    },
                }
            elif mode == "json_object_schema":
                from openseeker.llm.grammar import sanitize_schema

                body["response_format"] = {"type": "json_object", "schema": sanitize_schema(schema)}
            elif mode == "gbnf" and config.grammar is None:
                from openseeker.llm.grammar import schema_to_gbnf

                body["grammar"] = schema_to_gbnf(schema)
            else:
                if mode == "json_object":
                    body["response_format"] = {"type": "json_object"}
                body["messages"] = with_instruction(msgs, schema_instruction(schema))
        if config.prefill:
            body["messages"] = [*body["messages"], {"role": "assistant", "content": config.prefill}]
            body["continue_final_message"] = True
            body["add_generation_prompt"] = False
        if config.extra_body:
            body.update(config.extra_body)
        return body

    async def _generate(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None,
        config: GenerateConfig,
        *,
        scope: str | None,
    ) -> LLMOutput:
        prof = await self.server_profile()
        if config.prefill and not prof.continuation:
            raise ConfigError(
                f"{self.name}: {prof.title} at {self.base_url} cannot continue an assistant turn ('prefill'); "
                "use the completions provider, or set options.server if this server is vLLM or SGLang"
            )
        data = await self._post(
            "/chat/completions", self.request_body(messages, tools, config), config.timeout
        )
        return self.parse_response(data)

    def parse_response(self, data: dict[str, Any]) -> LLMOutput:
        """An :class:`LLMOutput` from a chat-completion response body."""
        choice = data["choices"][0]
        msg = choice.get("message")
        if not isinstance(msg, dict):
            raise LLMResponseError(f"{self.base_url}: the choice has no 'message': {str(choice)[:200]}")
        u = data.get("usage") or {}
        reasoning = msg.get("reasoning_content") or msg.get("reasoning")
        return LLMOutput(
            text=msg.get("content") or "",
            reasoning=reasoning if isinstance(reasoning, str) else None,
            tool_calls=parse_tool_calls(msg.get("tool_calls")),
            finish_reason=choice.get("finish_reason") or "stop",
            usage=Usage(int(u.get("prompt_tokens") or 0), int(u.get("completion_tokens") or 0), 1, 0),
            model=self.name,
        )

    async def list_models(self) -> list[str]:
        """The model ids the endpoint serves (``GET /models``)."""
        resp = await self._transport.request("GET", "/models", None, min(self.timeout, 30.0))
        raise_for_status(resp, f"{self.base_url}/models", secret=self._secret.get_secret_value())
        data = orjson.loads(resp.body)
        return [m.get("id", "") for m in data.get("data", [])]


def with_instruction(msgs: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """``msgs`` with ``text`` appended to the last user message (or as a new user message)."""
    out = [dict(m) for m in msgs]
    if out and out[-1].get("role") == "user" and isinstance(out[-1].get("content"), str):
        out[-1]["content"] = f"{out[-1]['content']}\n\n{text}"
    else:
        out.append({"role": "user", "content": text})
    return out


__all__ = ["OpenAIChatLLM", "parse_tool_calls", "resolve_api_key", "wire_messages"]
