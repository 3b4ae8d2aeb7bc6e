"""A real OpenAI-compatible server for tests: llama-cpp-python's ``python -m llama_cpp.server``.

It serves a GGUF file (by default the embedded SmolLM2 model of the ``local`` extra) on a free loopback
port in a child process, so tests and benchmarks talk to the server users run, not to an imitation::

    with LlamaServer() as srv:
        llm = get_llm(LLMConfig(model="openai/local", base_url=srv.base_url))

The server's log (one line per request with its HTTP status) is kept in :attr:`LlamaServer.log_path`;
:meth:`LlamaServer.statuses` reads the statuses back, so a test can assert that every request was accepted.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from openseeker.errors import PrerequisiteError, missing_extra

_STATUS = re.compile(r'"(GET|POST) (\S+) HTTP/1\.[01]" (\d{3})')


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaServer:
    """``python -m llama_cpp.server`` in a child process.

    Args:
        model: a GGUF path; default: the embedded model (``llamacpp/default``).
        n_ctx: the context window (``None``: the server's default, 2048).
        threads: llama.cpp threads (default: up to 4 of this machine's cores).
        startup_timeout: seconds to wait for ``GET /v1/models`` to answer.

    Raises:
        PrerequisiteError: llama-cpp-python's server extra or the model is missing.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        n_ctx: int | None = None,
        threads: int | None = None,
        startup_timeout: float = 120.0,
    ):
        if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("uvicorn") is None:
            raise missing_extra("llama-cpp-python[server]", "local", "The llama.cpp test server")
        if model is None:
            from openseeker.llm.local_model import resolve_gguf

            model = resolve_gguf("default")
        self.model = Path(model)
        if not self.model.is_file():
            raise PrerequisiteError(f"no GGUF model at {self.model}")
        self.n_ctx = n_ctx
        self.threads = threads or min(4, os.cpu_count() or 1)
        self.startup_timeout = startup_timeout
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="llama-server-")
        self.log_path = Path(self._dir.name) / "server.log"

    @property
    def base_url(self) -> str:
        """The ``/v1`` base URL to give a client."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LlamaServer:
        """Start the server and wait until it answers."""
        self.port = free_port()
        cmd = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads),
        ]
        if self.n_ctx is not None:
            cmd += ["--n_ctx", str(self.n_ctx)]
        # llama.cpp's OpenMP threads spin between operations by default, which starves the client
        # processes on a machine with few cores (see openseeker.llm.providers.llamacpp)
        env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
        log = open(self.log_path, "wb")  # the child keeps writing to it until stop()
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PrerequisiteError(f"llama_cpp.server exited with {self.proc.returncode}: {self.tail()}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise PrerequisiteError(f"llama_cpp.server did not answer within {self.startup_timeout:g} s: {self.tail()}")

    def tail(self, n: int = 2000) -> str:
        """The end of the server's log."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-n:]
        except OSError:
            return ""

    def statuses(self) -> list[tuple[str, str, int]]:
        """``(method, path, status)`` of every request the server has logged so far."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return [(m, p, int(s)) for m, p, s in _STATUS.findall(text)]

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (what its requests cost, whatever the machine's load)."""
        import psutil

        if self.proc is None or self.proc.poll() is not None:
            return 0.0
        t = psutil.Process(self.proc.pid).cpu_times()
        return float(t.user + t.system)

    def alive(self) -> bool:
        """Whether the server process is still running (a grammar crash kills it)."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Stop the server (terminate, then kill) and wait for it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def close(self) -> None:
        """Stop the server and remove its log folder."""
        self.stop()
        self._dir.cleanup()

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
