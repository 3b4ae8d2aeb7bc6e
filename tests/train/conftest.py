"""Fixtures for the training tests: a tiny export, a tokenizer trained on it, a tiny random Qwen2 model.

Nothing is downloaded: the tokenizer is a byte-level BPE trained here with ``tokenizers`` and the model is
randomly initialised from a 2-layer config, both saved under a temporary folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SPECIAL = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<think>",
    "</think>",
    "<tool_call>",
    "</tool_call>",
    "<tool_response>",
    "</tool_response>",
]

SYSTEM = (
    "You answer questions with tools.\n\n# Tools\n\n<tools>\n"
    '{"name": "search", "description": "web search", "parameters": {"type": "object"}}\n</tools>\n'
    "Wrap calls in <tool_calls_begin> ... </tool_calls_end>."
)
CITIES = [
    "Paris",
    "Lyon",
    "Nice",
    "Rome",
    "Milan",
    "Turin",
    "Oslo",
    "Bergen",
    "Lima",
    "Cusco",
    "Quito",
    "Cairo",
]


def conversation(i: int) -> dict[str, Any]:
    """One deterministic search-agent conversation in the openseeker `messages` export shape."""
    city = CITIES[i % len(CITIES)]
    call = json.dumps({"name": "search", "arguments": {"query": [f"{city} river", f"{city} founded"]}})
    return {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Which river flows through the city of {city}?"},
            {
                "role": "assistant",
                "content": f"<think>\nI should search for the river of {city}.\n</think>\n\n"
                f"<tool_calls_begin>\n<tool_call>\n{call}\n</tool_call>\n</tool_calls_end>",
            },
            {"role": "tool", "content": f"1. {city} river page: the river of {city} is the {city}water."},
            {"role": "tool", "content": f"1. {city} founded page: {city} was founded long ago."},
            {
                "role": "assistant",
                "content": f"<think>\nThe results say the river of {city} is the {city}water.\n</think>\n\n"
                f"<answer>the {city}water</answer>",
            },
        ],
        "tools": [],
        "metadata": {"id": f"conv-{i}", "correct": i % 5 != 4},
    }


def write_export(path: Path, n: int = 12) -> Path:
    """Write ``n`` conversations as a format (a) JSONL export."""
    path.write_text("".join(json.dumps(conversation(i)) + "\n" for i in range(n)), encoding="utf-8")
    return path


def build_tokenizer(texts: list[str]) -> Any:
    """A byte-level BPE tokenizer trained on ``texts``, with the ChatML/OpenSeeker special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL[1:],
    )


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One intra-op thread: the tiny model gains nothing from more, and on a shared 2-core box
    oversubscribed threads make each step many times slower."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved tiny Qwen2 model + tokenizer (random weights), built once per session."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config

    from openseeker.train.render import render_text

    texts = [render_text(conversation(i)["messages"]) for i in range(len(CITIES))]
    tokenizer = build_tokenizer(texts)
    torch.manual_seed(0)
    cfg = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        # the default 0.02 makes tied embeddings so small that the logits cannot become peaked, and a
        # LoRA that does not touch the embeddings could not lower the loss at all on a random model
        initializer_range=0.2,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = AutoModelForCausalLM.from_config(cfg)
    out = tmp_path_factory.mktemp("tiny-qwen2")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model_dir: Path) -> Any:
    """The tiny model's tokenizer, loaded as training loads it."""
    from openseeker.train.sft import load_tokenizer

    return load_tokenizer(tiny_model_dir)
