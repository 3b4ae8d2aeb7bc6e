"""The ``llamacpp`` provider: in-process GGUF inference through llama-cpp-python.

Model specs: ``llamacpp/default`` (the embedded default, see :mod:`openseeker.llm.local_model`),
``llamacpp/smollm2``, ``llamacpp/qwen2.5-0.5b``, or ``llamacpp//abs/path/to/model.gguf``.

Options (``LLMConfig.options``): ``n_ctx`` (default 4096), ``n_threads`` (default: all cores),
``n_batch`` (512), ``seed``, ``template`` (``gguf``: the file's own chat template, default; or ``chatml`` /
``openseeker`` from :mod:`openseeker.llm.templates`), ``default_max_tokens`` (1024, used when the call sets
no ``max_tokens``; llama.cpp's own default is 16).

The prompt is always rendered here and sent to ``create_completion``, so ``GenerateConfig.prefill`` is
simply appended after the generation prompt, and ``grammar`` (GBNF) or ``json_schema`` constrain the
decoding (a JSON schema is compiled to a grammar by llama.cpp). Tools are described in the system
message and ``<tool_call>`` blocks in the reply are parsed into ``tool_calls``.

A ``Llama`` object is not thread-safe and loading one costs memory, so each (file, n_ctx, n_threads,
n_batch) is loaded once per process and shared; generations run one at a time in a worker thread under
its lock, keeping the event loop free. Unless ``OMP_WAIT_POLICY`` is set, it is chosen from the machine's
load when the library loads (see :func:`choose_wait_policy`).
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from openseeker.errors import ConfigError, ContextLengthError, LLMError, missing_extra
from openseeker.llm.base import LLM
from openseeker.llm.config import LLMConfig
from openseeker.llm.providers.completions import parse_text_tool_calls
from openseeker.llm.templates import _with_tools, get_template, strip_end_tokens
from openseeker.llm.types import Capabilities, GenerateConfig, LLMOutput, Message, ToolSpec, Usage

_OPTIONS = {"n_ctx", "n_threads", "n_batch", "seed", "template", "default_max_tokens"}


class _Loaded:
    """One loaded model shared by every LlamaCppLLM that uses it."""

    def __init__(self, llama: Any, path: Path):
        self.llama = llama
        self.path = path
        self.lock = threading.Lock()
        self.grammars: dict[str, Any] = {}
        meta = getattr(llama, "metadata", {}) or {}
        self.chat_template: str | None = meta.get("tokenizer.chat_template")
        self._formatter: Any = None

    def formatter(self) -> Any:
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            ll = self.llama

            def tok(i: int) -> str:
                return ll.detokenize([i], special=True).decode("utf-8", "replace") if i >= 0 else ""

            self._formatter = Jinja2ChatFormatter(
                self.chat_template or "", eos_token=tok(ll.token_eos()), bos_token=tok(ll.token_bos())
            )
        return self._formatter


_models: dict[tuple[str, int, int, int], _Loaded] = {}
_load_lock = threading.Lock()


@atexit.register
def _close_models() -> None:
    # Free the models while the llama.cpp library is still loaded: left to garbage collection at interpreter
    # shutdown, Llama.__del__ runs after the library's functions are gone and prints a TypeError per model.
    for loaded in list(_models.values()):
        close = getattr(loaded.llama, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # shutting down: nothing to report to
                pass
    _models.clear()


def other_cpu_load(interval: float = 0.25) -> float:
    """Cores kept busy by *other* processes right now: the machine's busy time over ``interval`` seconds,
    minus this process's own (so the work a pipeline did just before loading the model does not count)."""
    import psutil

    me = psutil.Process()
    own0, total0 = sum(me.cpu_times()[:2]), psutil.cpu_times()
    time.sleep(interval)
    own1, total1 = sum(me.cpu_times()[:2]), psutil.cpu_times()
    busy = (
        sum(total1)
        - sum(total0)
        - (total1.idle - total0.idle)
        - (getattr(total1, "iowait", 0.0) - getattr(total0, "iowait", 0.0))
    )
    return float(max(0.0, busy - (own1 - own0)) / interval)


def choose_wait_policy(threads: int, other_load: float | None = None) -> str | None:
    """``"PASSIVE"`` when other processes already occupy the cores llama.cpp's threads would need, else
    ``None`` (keep OpenMP's default: spin briefly, then sleep).

    The trade-off (figures in the README): OpenMP's default spin between operations is fastest when the
    threads have their cores to themselves (passive waiting cost 0.35x there), and a disaster when they
    do not (a spinning thread burns the time slice its descheduled partner needs: 1.8 vs 37.5 tok/s at load
    9). OpenMP reads the policy once, when the library loads, so it is chosen from the load at that moment.
    """
    cores = os.cpu_count() or 1
    load = other_cpu_load() if other_load is None else other_load
    return "PASSIVE" if load > max(cores - threads, 0) + 0.25 else None


def load_model(
    path: Path,
    *,
    n_ctx: int = 4096,
    n_threads: int | None = None,
    n_batch: int = 512,
    seed: int | None = None,
) -> _Loaded:
    """The shared loaded model for these settings (loaded on first use)."""
    threads = n_threads or os.cpu_count() or 1
    if "OMP_WAIT_POLICY" not in os.environ and "llama_cpp" not in sys.modules:
        policy = choose_wait_policy(threads)
        if policy:
            os.environ["OMP_WAIT_POLICY"] = policy
    try:
        from llama_cpp import Llama
    except ImportError as e:
        raise missing_extra("llama-cpp-python", "local", "The llamacpp provider") from e
    key = (str(path), n_ctx, threads, n_batch)
    with _load_lock:
        if key not in _models:
            kwargs: dict[str, Any] = {
                "n_ctx": n_ctx,
                "n_threads": threads,
                "n_batch": n_batch,
                "verbose": False,
            }
            if seed is not None:
                kwargs["seed"] = seed
            try:
                _models[key] = _Loaded(Llama(model_path=str(path), **kwargs), path)
            except ValueError as e:
                raise LLMError(f"llama.cpp could not load {path}: {e}") from e
        return _models[key]


class LlamaCppLLM(LLM):
    """A GGUF model run in this process."""

    def __init__(
        self,
        name: str,
        path: Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_batch: int = 512,
        seed: int | None = None,
        template: str = "gguf",
        default_max_tokens: int = 1024,
        defaults: GenerateConfig | None = None,
    ):
        super().__init__(name, defaults)
        self.path = path
        self.n_ctx = n_ctx
        self.seed = seed
        self.default_max_tokens = default_max_tokens
        if template != "gguf":
            get_template(template)  # validate the name now
        self.template = template
        self._settings = {"n_ctx": n_ctx, "n_threads": n_threads, "n_batch": n_batch, "seed": seed}
        self._model: _Loaded | None = None

    @classmethod
    def from_config(cls, model: str, cfg: LLMConfig) -> LlamaCppLLM:
        """Build from a role config (``llamacpp/<name or path>``); the model loads on first use."""
        from openseeker.llm.local_model import resolve_gguf

        if importlib.util.find_spec("llama_cpp") is None:
            raise missing_extra("llama-cpp-python", "local", "The llamacpp provider")
        unknown = set(cfg.options) - _OPTIONS
        if unknown:
            raise ConfigError(
                f"unknown option(s) for the llamacpp provider: {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(_OPTIONS))}"
            )
        o = cfg.options
        return cls(
            f"llamacpp/{model}",
            resolve_gguf(model or "default"),
            n_ctx=int(o.get("n_ctx", 4096)),
            n_threads=o.get("n_threads"),
            n_batch=int(o.get("n_batch", 512)),
            seed=o.get("seed"),
            template=o.get("template", "gguf"),
            default_max_tokens=int(o.get("default_max_tokens", 1024)),
            defaults=cfg.generation,
        )

    def __repr__(self) -> str:
        return f"<LlamaCppLLM {self.name} {self.path.name}>"

    async def capabilities(self) -> Capabilities:
        """The window is ``n_ctx``; the prompt is rendered here, so any turn can be continued (prefill)."""
        return Capabilities(server="llama.cpp (in process)", context_window=self.n_ctx, continuation="prefill")

    @property
    def model(self) -> _Loaded:
        """The loaded model (loading it on first access)."""
        if self._model is None:
            s = self._settings
            self._model = load_model(
                self.path,
                n_ctx=int(s["n_ctx"] or 4096),
                n_threads=s["n_threads"],
                n_batch=int(s["n_batch"] or 512),
                seed=s["seed"],
            )
        return self._model

    def prompt(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> tuple[str, list[str], str]:
        """``(prompt, stop strings, forced prefix)`` for a request; the prefill is already appended."""
        m = self.model
        if self.template == "gguf" and m.chat_template:
            r = m.formatter()(messages=_with_tools(messages, tools))
            stop = [s for s in ([r.stop] if isinstance(r.stop, str) else (r.stop or [])) if s]
            prompt, forced = r.prompt, ""
        else:
            render, forced = get_template("chatml" if self.template == "gguf" else self.template)
            prompt, stop = render(messages, tools, True), ["<|im_end|>"]
        return prompt + (config.prefill or ""), stop, forced

    def _grammar(self, config: GenerateConfig) -> Any:
        """The grammar of a request (built from its JSON schema by :mod:`openseeker.llm.grammar`), parsed by
        llama.cpp once and cached; one that does not parse raises :class:`GrammarError` (it would crash)."""
        from llama_cpp import LlamaGrammar  # type: ignore[attr-defined]

        from openseeker.llm.grammar import check_grammar, schema_to_gbnf

        if config.grammar is not None:
            text = config.grammar
        elif config.json_schema is not None:
            text = schema_to_gbnf(config.json_schema)
        else:
            return None
        m = self.model
        if text not in m.grammars:
            check_grammar(m.llama, text)
            m.grammars[text] = LlamaGrammar.from_string(text, verbose=False)
        return m.grammars[text]

    def _run(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None,
        config: GenerateConfig,
        cancel: threading.Event | None = None,
    ) -> LLMOutput:
        m = self.model
        prompt, stop, forced = self.prompt(messages, tools, config)
        kwargs: dict[str, Any] = {
            "max_tokens": config.max_tokens or self.default_max_tokens,
            "stop": [*stop, *(config.stop or [])],
            "grammar": self._grammar(config),
        }
        for k in ("temperature", "top_p", "top_k"):
            if getattr(config, k) is not None:
                kwargs[k] = getattr(config, k)
        seed = config.seed if config.seed is not None else self.seed
        if seed is not None:
            kwargs["seed"] = seed
        with m.lock:
            n_prompt = len(m.llama.tokenize(prompt.encode("utf-8"), special=True))
            if n_prompt + 1 >= self.n_ctx:
                raise ContextLengthError(
                    f"{self.name}: the prompt has {n_prompt} tokens, the context window "
                    f"{self.n_ctx}; shorten it or raise the option n_ctx"
                )
            kwargs["max_tokens"] = min(kwargs["max_tokens"], self.n_ctx - n_prompt)
            if cancel is not None:
                if cancel.is_set():  # cancelled while waiting for the model: nobody wants the answer
                    raise LLMError(f"{self.name}: the call was cancelled")
                from llama_cpp import StoppingCriteriaList

                kwargs["stopping_criteria"] = StoppingCriteriaList([lambda _ids, _logits: cancel.is_set()])
            res = m.llama.create_completion(prompt, **kwargs)
        choice = res["choices"][0]
        text = forced + (config.prefill or "") + strip_end_tokens(choice["text"])
        u = res.get("usage") or {}
        return LLMOutput(
            text=text,
            tool_calls=parse_text_tool_calls(text) if tools else [],
            finish_reason=choice.get("finish_reason") or "stop",
            usage=Usage(int(u.get("prompt_tokens", n_prompt)), int(u.get("completion_tokens", 0)), 1, 0),
            model=self.name,
        )

    async def _generate(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None,
        config: GenerateConfig,
        *,
        scope: str | None,
    ) -> LLMOutput:
        cancel = threading.Event()
        try:
            return await asyncio.to_thread(self._run, messages, tools, config, cancel)
        except asyncio.CancelledError:
            # Ctrl-C or a cancelled task: the worker thread would otherwise finish the whole generation
            # (minutes on a CPU) before the process can exit; it now stops at its next token
            cancel.set()
            raise
