"""The ``completions`` provider: the raw ``/v1/completions`` endpoint with the chat template rendered here.

This is how the released OpenSeeker models are driven (METHOD.md section 5): SGLang or vLLM serves the
model, the client renders the prompt with the OpenSeeker template (generation prompt
``<|im_start|>assistant\\n<think>\\n``), appends an optional forced prefix (``GenerateConfig.prefill``),
and asks for a completion with ``skip_special_tokens: false``. The returned ``text`` is the whole
assistant turn: the forced ``<think>\\n`` and the prefill, then what the model generated (trailing
end-of-turn tokens removed), so it can go back into the history as it is.

Options (``LLMConfig.options``): ``template`` (``openseeker`` default, or ``chatml``),
``structured_output`` (default: the server profile's; ``prompt``, ``guided_json`` for vLLM, ``sglang``
for SGLang's ``json_schema`` string, ``llamacpp`` for llama.cpp's ``json_schema`` object, ``gbnf`` for a
grammar built here), ``server`` and ``context_window`` (see :mod:`openseeker.llm.providers.openai`),
``http_client``, ``api_key_required``.

When ``tools`` are given they are described in the system message (:func:`templates.tools_section`) and
``<tool_call>{json}</tool_call>`` blocks in the reply are parsed into ``tool_calls``; the text is kept whole.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from openseeker.errors import LLMResponseError
from openseeker.llm.config import LLMConfig
from openseeker.llm.providers.openai import (
    DEFAULT_BASE_URL,
    HTTPEndpointLLM,
    endpoint_options,
    resolve_api_key,
    sampling_fields,
    schema_instruction,
    with_instruction,
)
from openseeker.llm.servers import ServerProfile
from openseeker.llm.templates import get_template, strip_end_tokens
from openseeker.llm.types import Capabilities, GenerateConfig, LLMOutput, Message, ToolCall, ToolSpec, Usage

_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.S)
STRUCTURED_MODES = ("prompt", "guided_json", "sglang", "llamacpp", "gbnf")


def parse_text_tool_calls(text: str) -> list[ToolCall]:
    """``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks after the reasoning, as ToolCalls.

    A block that is not a JSON object with a name is skipped here; the text keeps it, so the agent's own
    parser (which reports errors to the model) still sees it.
    """
    from openseeker.llm.structured import parse_json_lenient

    visible = text.split("</think>", 1)[-1]
    calls: list[ToolCall] = []
    for i, m in enumerate(_TOOL_CALL.finditer(visible)):
        try:
            obj = parse_json_lenient(m.group(1))
        except ValueError:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("name"), str):
            args = obj.get("arguments", {})
            if isinstance(args, str):
                try:
                    args = orjson.loads(args)
                except orjson.JSONDecodeError:
                    args = {"_unparsed": args}
            calls.append(
                ToolCall(
                    name=obj["name"],
                    arguments=args if isinstance(args, dict) else {"_unparsed": args},
                    id=f"call_{i}",
                )
            )
    return calls


class CompletionsLLM(HTTPEndpointLLM):
    """A model behind a raw ``/v1/completions`` endpoint, prompted with a client-side chat template."""

    structured_modes = STRUCTURED_MODES
    default_structured = "prompt"

    def __init__(
        self,
        name: str,
        model: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        timeout: float = 600.0,
        template: str = "openseeker",
        structured_output: str | None = None,
        http_client: str = "auto",
        max_connections: int = 256,
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
        self.template = template
        self._render, self.forced_prefix = get_template(template)

    @classmethod
    def from_config(cls, model: str, cfg: LLMConfig) -> CompletionsLLM:
        """Build from a role config (``completions/<model>``)."""
        base_url = cfg.base_url or DEFAULT_BASE_URL
        opts = endpoint_options(cfg, "completions", {"template"})
        return cls(
            f"completions/{model}",
            model,
            base_url=base_url,
            api_key=resolve_api_key(cfg, base_url),
            timeout=cfg.timeout,
            template=opts.get("template", "openseeker"),
            structured_output=opts.get("structured_output"),
            http_client=opts.get("http_client", "auto"),
            max_connections=max(cfg.max_concurrency, 1),
            defaults=cfg.generation,
            server=opts.get("server", "auto"),
            context_window=opts.get("context_window"),
        )

    def __repr__(self) -> str:
        return f"<CompletionsLLM {self.name} at {self.base_url} template={self.template}>"

    def _structured_from(self, profile: ServerProfile) -> str:
        return profile.completions_structured

    async def capabilities(self) -> Capabilities:
        """The server profile's window; the prompt is rendered here, so any turn can be continued."""
        p = await self.server_profile()
        return Capabilities(
            server=p.title,
            context_window=p.window,
            max_output_tokens=p.max_output_tokens,
            continuation="prefill",
            notes={"kind": p.kind, "source": p.source, "structured_output": self.structured_output},
        )

    def prompt(self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig) -> str:
        """The full prompt text: rendered template, generation prompt, then the prefill."""
        if config.json_schema is not None and self.structured_output == "prompt":
            messages = with_instruction(messages, schema_instruction(config.json_schema))
        return self._render(messages, tools, True) + (config.prefill or "")

    def request_body(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> dict[str, Any]:
        """The JSON body of one completion request."""
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": self.prompt(messages, tools, config),
            "skip_special_tokens": False,
        }
        body.update(sampling_fields(config))
        if config.json_schema is not None:
            if self.structured_output == "guided_json":
                body["guided_json"] = config.json_schema
            elif self.structured_output == "sglang":
                body["json_schema"] = orjson.dumps(config.json_schema).decode()
            elif self.structured_output == "llamacpp":
                from openseeker.llm.grammar import sanitize_schema

                body["json_schema"] = sanitize_schema(config.json_schema)
            elif self.structured_output == "gbnf" and config.grammar is None:
                from openseeker.llm.grammar import schema_to_gbnf

                body["grammar"] = schema_to_gbnf(config.json_schema)
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
        where = f"{self.base_url}/completions"
        await self.server_profile()
        data = await self._post("/completions", self.request_body(messages, tools, config), config.timeout)
        choice = data["choices"][0]
        generated = choice.get("text")
        if not isinstance(generated, str):
            raise LLMResponseError(f"{where}: the choice has no 'text': {str(choice)[:200]}")
        text = self.forced_prefix + (config.prefill or "") + strip_end_tokens(generated)
        u = data.get("usage") or {}
        return LLMOutput(
            text=text,
            tool_calls=parse_text_tool_calls(text) if tools else [],
            finish_reason=choice.get("finish_reason") or "stop",
            usage=Usage(int(u.get("prompt_tokens") or 0), int(u.get("completion_tokens") or 0), 1, 0),
            model=self.name,
        )
