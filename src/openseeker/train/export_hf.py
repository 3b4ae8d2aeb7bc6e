"""GGUF -> a Hugging Face model folder (fp32 safetensors, tokenizer, chat template), for training.

The embedded models ship as quantized GGUF files for llama.cpp; ``openseeker train sft`` needs a
transformers model. transformers reads GGUF (it de-quantizes every tensor and undoes llama.cpp's
rotary permutation of the attention weights), but a model loaded that way stays marked as "quantized with
gguf" and refuses ``save_pretrained``. So the de-quantized tensors are moved, without a copy, into a plain
model built from the same config, which saves normally.

The weights are those of the GGUF file: a Q4_1 model exported to fp32 is the quantized model written in
fp32 (no precision is recovered). ``openseeker_export.json`` in the folder records the source, its
quantization and the versions used.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from openseeker.errors import ConfigError, missing_extra

log = logging.getLogger(__name__)

DTYPES = ("float32", "bfloat16", "float16")


@dataclasses.dataclass
class HFExport:
    """What :func:`export_hf` wrote.

    Attributes:
        out_dir: the model folder (loadable with ``AutoModelForCausalLM.from_pretrained``).
        source: the GGUF file.
        architecture: the model type (``llama``, ``qwen2``, ...).
        parameters: the number of parameters.
        dtype: the dtype of the saved weights.
        quantization: the GGUF file type (``Q4_1``, ``Q4_K_M``, ...), as the file states it.
        chat_template: whether the tokenizer carries a chat template.
    """

    out_dir: Path
    source: Path
    architecture: str
    parameters: int
    dtype: str
    quantization: str
    chat_template: bool


def _require() -> None:
    for pkg in ("torch", "transformers", "gguf"):
        try:
            __import__(pkg)
        except ImportError:
            raise missing_extra(pkg, "train", "openseeker models export-hf") from None


def gguf_file_type(path: Path) -> str:
    """The quantization the GGUF header states (``general.file_type``), e.g. ``Q4_1``; ``unknown`` if absent."""
    from gguf import GGUFReader, LlamaFileType

    field = GGUFReader(str(path)).fields.get("general.file_type")
    if field is None:
        return "unknown"
    value = int(field.parts[field.data[0]][0])
    try:
        return LlamaFileType(value).name.removeprefix("MOSTLY_")
    except ValueError:
        return f"file_type {value}"


def export_hf(gguf: str | Path, out: str | Path, *, dtype: str = "float32") -> HFExport:
    """Write the GGUF model ``gguf`` as a Hugging Face model folder ``out``.

    Args:
        gguf: a GGUF file, or the name of an embedded model (``default``, ``smollm2``, ``qwen2.5-0.5b``).
        out: the output folder (created; files of the same names are replaced).
        dtype: ``float32`` (default, what CPU training needs), ``bfloat16`` or ``float16``.

    Returns:
        An :class:`HFExport` describing the folder.

    Raises:
        PrerequisiteError: the ``train`` extra is missing, or the model is not installed.
        ConfigError: an unknown dtype, or an architecture transformers cannot read from GGUF.
    """
    if dtype not in DTYPES:
        raise ConfigError(f"dtype must be one of {', '.join(DTYPES)} (got {dtype!r})")
    _require()
    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from openseeker.llm.local_model import resolve_gguf

    source = resolve_gguf(str(gguf)) if not Path(gguf).is_file() else Path(gguf)
    folder, name = str(source.parent), source.name
    torch_dtype = getattr(torch, dtype)
    try:
        config = AutoConfig.from_pretrained(folder, gguf_file=name)
    except ValueError as e:  # transformers lists the GGUF architectures it supports in the message
        raise ConfigError(f"transformers cannot read {source} as a model: {e}") from None
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch_dtype)
    model = _plain_copy(loaded, config, torch_dtype)
    del loaded

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    result = HFExport(
        out_dir=out_dir,
        source=source,
        architecture=str(config.model_type),
        parameters=sum(p.numel() for p in model.parameters()),
        dtype=dtype,
        quantization=gguf_file_type(source),
        chat_template=bool(getattr(tokenizer, "chat_template", None)),
    )
    if not result.chat_template:
        log.warning("%s has no chat template; the exported tokenizer has none either", source)
    manifest: dict[str, Any] = {
        **{k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(result).items()},
        "note": "weights de-quantized from the GGUF file as they are; no precision is recovered",
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__},
    }
    (out_dir / "openseeker_export.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return result


def _plain_copy(loaded: Any, config: Any, dtype: Any) -> Any:
    """A model of ``config`` holding ``loaded``'s tensors (moved, not copied), free of the GGUF marks."""
    import torch
    from transformers import AutoModelForCausalLM

    for attr in ("quantization_config",):
        if hasattr(config, attr):
            delattr(config, attr)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)  # type: ignore[no-untyped-call]
    model.load_state_dict(loaded.state_dict(), strict=True, assign=True)
    if getattr(config, "tie_word_embeddings", False):
        model.tie_weights()
    model.generation_config = loaded.generation_config
    model.eval()
    return model
