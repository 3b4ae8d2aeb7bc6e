"""The ``local`` sandbox backend: every command and every Python cell runs under bubblewrap.

What one run sees and may do (the README's "Security model" states the same for users):

* **Files**: the system's ``/usr`` (and the ``/bin``, ``/lib`` links into it) read-only, a private
  writable ``/home/user`` (the sandbox folder, kept between runs of one sandbox), a fresh empty ``/tmp``,
  a minimal ``/dev`` and a ``/proc`` that lists only the sandbox's own processes. Nothing else of the
  host: not the run folder, not the home folder, not ``/etc`` beyond the dynamic-linker files.
* **Network**: none (a new network namespace with no interfaces up, so not even the host's loopback).
* **Environment**: empty except ``PATH``, ``HOME``, ``LANG``, ``TMPDIR`` and what ``sandbox.env`` adds.
* **Limits**: CPU seconds, address space, file size and open files by ``setrlimit``; processes by
  ``RLIMIT_NPROC``, which the kernel counts per user id: run as root, each sandbox gets its own
  unprivileged uid (``sandbox.uid_base`` + n), so the limit is exactly per sandbox; run as a normal user,
  all sandboxes share the user's id and the limit is set to the user's current process count plus
  ``max_processes``. A wall-clock timeout, an output cap and a disk quota kill the whole process tree.
* **Lifetime**: each sandbox folder records its owner (pid and start time). A process that starts a
  backend removes the folders of owners that no longer run (after a crash or ``kill -9``), and any
  process still running as their uids.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import psutil

from openseeker.errors import ConfigError, ToolError
from openseeker.tools.config import SandboxConfig
from openseeker.tools.sandbox import seccomp
from openseeker.tools.sandbox.base import (
    CommandResult,
    Execution,
    ExecutionError,
    Logs,
    Result,
    SandboxBackend,
    SandboxError,
    sandbox_backends,
)
from openseeker.tools.sandbox.process import RunOutcome, folder_bytes, run_watched

log = logging.getLogger(__name__)

HOME = "/home/user"
SANDBOX_UID = 1000  # the id processes see inside (the host id is mapped to it)
_SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/localtime",
)
_UID_SLOTS = 100_000

# Runs a cell like a notebook: the value of a final expression is the result; the outcome goes back as
# one JSON line on a private pipe (fd given in argv[1]) so that printed text cannot be mistaken for it.
_DRIVER = r"""
import ast, json, os, sys, traceback
fd = int(sys.argv[1])
src = sys.stdin.read()
out = {"results": [], "error": None}
g = {"__name__": "__main__", "__builtins__": __builtins__}
try:
    tree = ast.parse(src, "<cell>")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, "<cell>", "exec"), g)
    if last is not None:
        value = eval(compile(last, "<cell>", "eval"), g)
        if value is not None:
            out["results"].append(repr(value))
except BaseException as e:
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    out["error"] = {"name": type(e).__name__, "value": str(e), "traceback": tb}
finally:
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except Exception:
            pass
os.write(fd, json.dumps(out).encode())
"""

_SIGNALS: dict[int, str] = {
    signal.SIGXCPU: "the CPU-time limit ({cpu} s) was reached",
    signal.SIGXFSZ: "the file-size limit ({fsize} MB) was reached",
    signal.SIGKILL: "the process was killed (out of memory or another limit)",
    signal.SIGSEGV: "the process crashed (segmentation fault; possibly the memory limit)",
}


def bwrap_path() -> str | None:
    """The bubblewrap executable, or ``None`` when it is not installed."""
    return shutil.which("bwrap")


def default_root() -> Path:
    """Where sandbox folders live by default. As root, sandboxes run as other users, who must be able to
    traverse to their folder: the temp folder, not the root user's private runtime folder."""
    private = os.environ.get("XDG_RUNTIME_DIR") if os.geteuid() != 0 else None
    return Path(private or tempfile.gettempdir()) / f"openseeker-sandboxes-{os.getuid()}"


def _owner() -> dict[str, Any]:
    me = psutil.Process()
    return {"pid": me.pid, "started": me.create_time()}


def _owner_alive(owner: dict[str, Any]) -> bool:
    try:
        p = psutil.Process(int(owner["pid"]))
        return bool(abs(p.create_time() - float(owner["started"])) < 1.0)
    except (psutil.Error, KeyError, ValueError, TypeError):
        return False


def _kill_uid(uid: int) -> None:
    """Kill every process running as ``uid`` (only used for a sandbox's own uid, as root)."""
    for p in psutil.process_iter(["uids"]):
        with contextlib.suppress(psutil.Error, TypeError):
            if p.info["uids"] and p.info["uids"].real == uid:
                p.kill()


class LocalSandbox(SandboxBackend):
    """Sandboxes on this machine, isolated with bubblewrap (see the module docstring).

    Args:
        cfg: limits and paths (``tools.sandbox``).
        fetch_bytes: ``async (url, max_bytes) -> bytes`` for downloads (done on the host, under the web
            safety rules); ``None`` refuses downloads.
    """

    name = "local"

    def __init__(self, cfg: SandboxConfig, fetch_bytes: Any = None):
        bwrap = bwrap_path()
        if bwrap is None:
            raise ConfigError(
                "The local sandbox needs bubblewrap: install the Debian/Ubuntu package 'bubblewrap' "
                "(scripts/install.sh does it when run as root), or use tools.sandbox.backend: e2b."
            )
        self.bwrap = bwrap
        self.prlimit = shutil.which("prlimit")
        if self.prlimit is None:
            raise ConfigError("The local sandbox needs 'prlimit' (Debian package util-linux).")
        self.cfg = cfg
        self.fetch_bytes = fetch_bytes
        self.root = Path(cfg.root).expanduser() if cfg.root else default_root()
        self.root.mkdir(parents=True, exist_ok=True, mode=0o711)
        os.chmod(self.root, 0o711)  # sandbox uids must traverse it, and nobody may list it
        self.as_root = os.geteuid() == 0
        if self.as_root:
            blocked = [str(d) for d in (self.root, *self.root.parents) if not os.stat(d).st_mode & 0o001]
            if blocked:
                raise ConfigError(
                    f"Sandbox folder {str(self.root)!r}: sandboxes run as unprivileged users, who cannot "
                    f"enter {blocked[-1]!r}; choose a tools.sandbox.root under a world-traversable folder"
                )
        self._probe()
        self.seccomp = self._seccomp_program()
        self.reap()

    def _seccomp_program(self) -> Path | None:
        """The compiled system-call filter, or ``None`` (``seccomp: off``, or ``auto`` without libseccomp)."""
        if self.cfg.seccomp == "off":
            return None
        try:
            return seccomp.program()
        except seccomp.SeccompUnavailable as e:
            if self.cfg.seccomp == "on":
                raise ConfigError(
                    f"tools.sandbox.seccomp is on, but {e}: install the Python package 'pyseccomp' and the "
                    "system's libseccomp (Debian package libseccomp2), or set seccomp: auto or off"
                ) from e
            if not LocalSandbox._warned:
                log.warning("sandboxes run without a system-call filter: %s (tools.sandbox.seccomp: auto)", e)
                LocalSandbox._warned = True
            return None

    _probed: set[tuple[str, bool]] = set()
    _warned = False

    def _probe(self) -> None:
        """Fail at start, with the likely cause, where bubblewrap cannot make a sandbox (once per process)."""
        key = (self.bwrap, self.as_root)
        if key in LocalSandbox._probed:
            return
        argv = [self.bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr"]
        for link in _SYSTEM_LINKS:
            if os.path.islink(link):
                argv += ["--symlink", os.readlink(link), link]
        uid = self.cfg.uid_base + _UID_SLOTS  # never given to a sandbox
        user = {"user": uid, "group": uid, "extra_groups": []} if self.as_root else {}
        try:
            res = subprocess.run([*argv, "--", "/usr/bin/true"], capture_output=True, timeout=60, **user)  # type: ignore[call-overload]
            problem = res.stderr.decode("utf-8", "replace").strip() if res.returncode else ""
        except (OSError, subprocess.SubprocessError) as e:
            problem = f"{type(e).__name__}: {e}"
        if problem:
            raise ConfigError(
                f"bubblewrap cannot create a sandbox on this machine ({problem}). Unprivileged user namespaces "
                "may be off (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04+ the AppArmor "
                "restriction kernel.apparmor_restrict_unprivileged_userns), or use tools.sandbox.backend: e2b."
            )
        LocalSandbox._probed.add(key)

    # -------------------------------------------------------------------------------- lifecycle

    def _dir(self, sandbox_id: str) -> Path:
        if not sandbox_id.isalnum():
            raise SandboxError(f"no sandbox {sandbox_id!r}")
        return self.root / sandbox_id

    def _meta(self, sandbox_id: str) -> dict[str, Any]:
        try:
            return cast("dict[str, Any]", json.loads((self._dir(sandbox_id) / "sandbox.json").read_text()))
        except (OSError, ValueError):
            raise SandboxError(f"no sandbox {sandbox_id!r}") from None

    def _save_meta(self, sandbox_id: str, meta: dict[str, Any]) -> None:
        path = self._dir(sandbox_id) / "sandbox.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, path)

    def _claim_uid(self, sandbox_id: str) -> int | None:
        if not self.as_root:
            return None
        locks = self.root / ".uids"
        locks.mkdir(exist_ok=True, mode=0o700)
        start = secrets.randbelow(_UID_SLOTS)
        for i in range(_UID_SLOTS):
            uid = self.cfg.uid_base + (start + i) % _UID_SLOTS
            try:
                fd = os.open(locks / str(uid), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                continue
            os.write(fd, sandbox_id.encode())
            os.close(fd)
            return uid
        raise SandboxError("no free sandbox user id")

    async def create(self, timeout: int) -> str:
        sandbox_id = secrets.token_hex(10)
        d = self.root / sandbox_id
        d.mkdir(mode=0o711)
        uid = self._claim_uid(sandbox_id)
        home = d / "home"
        home.mkdir(mode=0o700)
        if uid is not None:
            os.chown(home, uid, uid)
        self._save_meta(
            sandbox_id,
            {"owner": _owner(), "uid": uid, "timeout": timeout, "expires": time.time() + timeout},
        )
        return sandbox_id

    async def exists(self, sandbox_id: str) -> bool:
        try:
            meta = self._meta(sandbox_id)
        except SandboxError:
            return False
        if meta["expires"] < time.time():
            await self.kill(sandbox_id)
            return False
        return True

    async def kill(self, sandbox_id: str) -> None:
        try:
            d = self._dir(sandbox_id)
        except SandboxError:
            return
        uid = None
        with contextlib.suppress(SandboxError):
            uid = self._meta(sandbox_id).get("uid")
        await asyncio.to_thread(self._remove, d, uid)

    def _remove(self, d: Path, uid: int | None) -> None:
        if uid is not None:
            _kill_uid(uid)
        shutil.rmtree(d, ignore_errors=True)
        if uid is not None:
            with contextlib.suppress(FileNotFoundError):
                (self.root / ".uids" / str(uid)).unlink()

    def reap(self) -> int:
        """Remove sandboxes whose owner process is gone (a crash or ``kill -9``); returns how many."""
        n = 0
        for d in self.root.iterdir():
            if d.name.startswith(".") or not d.is_dir():
                continue
            try:
                meta = json.loads((d / "sandbox.json").read_text())
            except (OSError, ValueError):
                # a folder whose creation was interrupted: old enough means abandoned
                if time.time() - d.stat().st_mtime > 60:
                    shutil.rmtree(d, ignore_errors=True)
                    n += 1
                continue
            if not _owner_alive(meta.get("owner") or {}):
                self._remove(d, meta.get("uid"))
                n += 1
        return n

    # -------------------------------------------------------------------------------- running

    async def _touch(self, sandbox_id: str) -> tuple[Path, dict[str, Any]]:
        if not await self.exists(sandbox_id):
            raise SandboxError(f"no sandbox {sandbox_id!r} (it was never created, was closed, or timed out)")
        meta = self._meta(sandbox_id)
        meta["expires"] = time.time() + meta["timeout"]
        self._save_meta(sandbox_id, meta)
        return self._dir(sandbox_id) / "home", meta

    def _nproc(self, uid: int | None) -> int:
        if uid is not None:
            return self.cfg.max_processes
        me = os.getuid()
        used = 0
        for p in psutil.process_iter(["uids", "num_threads"]):
            with contextlib.suppress(psutil.Error, TypeError):
                if p.info["uids"] and p.info["uids"].real == me:
                    used += p.info["num_threads"] or 1
        return used + self.cfg.max_processes

    def argv(
        self, home: Path, uid: int | None, command: list[str], seccomp_fd: int | None = None
    ) -> list[str]:
        """The full command line: ``prlimit`` limits, then ``bwrap`` isolation (with the system-call filter
        read from ``seccomp_fd``), then ``command``."""
        c = self.cfg
        limits = [
            self.prlimit or "prlimit",
            f"--cpu={c.cpu_seconds}:{c.cpu_seconds + 1}",  # SIGXCPU at the soft limit, SIGKILL 1 s later
            f"--as={c.memory_mb * 1024 * 1024}",
            f"--nproc={self._nproc(uid)}",
            f"--fsize={c.max_file_mb * 1024 * 1024}",
            "--nofile=256",
            "--core=0",
            "--",
        ]
        box = [self.bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
        for link in _SYSTEM_LINKS:
            if os.path.islink(link):
                box += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                box += ["--ro-bind", link, link]
        for path in _ETC_FILES:
            box += ["--ro-bind-try", path, path]
        for path in c.ro_binds:
            box += [
                "--ro-bind",
                os.path.abspath(os.path.expanduser(path)),
                os.path.abspath(os.path.expanduser(path)),
            ]
        box += [
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
            "--dir", "/home", "--bind", str(home), HOME, "--chdir", HOME,
            "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "sandbox",
            "--clearenv",
        ]  # fmt: skip
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": HOME, "LANG": "C.UTF-8", "TMPDIR": "/tmp"}
        env.update(c.env)
        for k, v in env.items():
            box += ["--setenv", k, v]
        if seccomp_fd is not None:
            box += ["--seccomp", str(seccomp_fd)]
        return [*limits, *box, "--", *command]

    def _popen(self, uid: int | None) -> dict[str, Any]:
        return {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}

    async def _run(self, sandbox_id: str, command: list[str], stdin: bytes, **popen: Any) -> RunOutcome:
        home, meta = await self._touch(sandbox_id)
        limit = self.cfg.disk_mb * 1024 * 1024
        used = await asyncio.to_thread(folder_bytes, home)
        if used > limit:
            return RunOutcome(b"", b"", -1, "disk")
        # bubblewrap reads the filter from an inherited descriptor, one per run
        fd = os.open(self.seccomp, os.O_RDONLY) if self.seccomp is not None else None
        if fd is not None:
            popen["pass_fds"] = (*popen.get("pass_fds", ()), fd)
        try:
            return await run_watched(
                self.argv(home, meta["uid"], command, fd),
                stdin=stdin,
                timeout=self.cfg.timeout_seconds,
                max_output=self.cfg.max_output_bytes,
                disk_path=home,
                disk_limit=limit,
                cwd=str(home),
                env={},
                **self._popen(meta["uid"]),
                **popen,
            )
        finally:
            if fd is not None:
                os.close(fd)

    def _why(self, out: RunOutcome) -> str:
        c = self.cfg
        if out.stopped == "timeout":
            return f"stopped after the {c.timeout_seconds:g} s time limit"
        if out.stopped == "output":
            return f"stopped: the output passed the {c.max_output_bytes} byte limit (truncated)"
        if out.stopped == "disk":
            return f"stopped: the sandbox folder passed its {c.disk_mb} MB disk quota; delete files"
        # bubblewrap reports a child killed by signal N as exit status 128 + N
        sig = -out.returncode if out.returncode < 0 else out.returncode - 128
        if sig in _SIGNALS:
            return _SIGNALS[sig].format(cpu=c.cpu_seconds, fsize=c.max_file_mb)
        return ""

    async def run_command(self, sandbox_id: str, command: str) -> CommandResult:
        out = await self._run(sandbox_id, ["/bin/bash", "-c", command], b"")
        code = out.returncode if not out.stopped else (124 if out.stopped == "timeout" else -9)
        return CommandResult(
            stderr=out.stderr.decode("utf-8", "replace"),
            stdout=out.stdout.decode("utf-8", "replace"),
            exit_code=code,
            error=self._why(out),
        )

    async def run_python(self, sandbox_id: str, code: str) -> Execution:
        r, w = os.pipe()
        try:
            reader = asyncio.ensure_future(asyncio.to_thread(_read_all, r))
            try:
                out = await self._run(
                    sandbox_id, [self.cfg.python, "-I", "-c", _DRIVER, str(w)], code.encode(), pass_fds=(w,)
                )
            finally:
                os.close(w)
            report = await reader
        finally:
            os.close(r)
        logs = Logs(
            stdout=out.stdout.decode("utf-8", "replace").splitlines(keepends=True),
            stderr=out.stderr.decode("utf-8", "replace").splitlines(keepends=True),
        )
        why = self._why(out)
        try:
            data = json.loads(report) if report and not out.stopped else {}
        except ValueError:
            data = {}
        error = None
        if why or not data:
            error = ExecutionError("SandboxLimitError", why or "the interpreter ended without a result", "")
        elif data.get("error"):
            error = ExecutionError(**data["error"])
        return Execution([Result(t) for t in data.get("results", [])], logs, error)

    # -------------------------------------------------------------------------------- files

    def resolve(self, sandbox_id: str, path: str) -> Path:
        """The host path of ``path`` inside the sandbox; only ``/home/user`` is writable and kept."""
        home = self._dir(sandbox_id) / "home"
        inside = os.path.normpath(os.path.join(HOME, path))
        if inside != HOME and not inside.startswith(HOME + "/"):
            raise ToolError(f"only {HOME} is writable in the sandbox; {path!r} is outside it")
        host = home / os.path.relpath(inside, HOME)
        real_home = os.path.realpath(home)
        if os.path.commonpath([os.path.realpath(host), real_home]) != real_home:
            raise ToolError(f"{path!r} leads outside {HOME}")
        return host

    async def write_file(self, sandbox_id: str, path: str, data: bytes) -> str:
        home, meta = await self._touch(sandbox_id)
        host = self.resolve(sandbox_id, path)
        used = await asyncio.to_thread(folder_bytes, home)
        if (
            len(data) > self.cfg.max_file_mb * 1024 * 1024
            or used + len(data) > self.cfg.disk_mb * 1024 * 1024
        ):
            raise ToolError(f"the file ({len(data)} bytes) does not fit the sandbox's size limits")
        await asyncio.to_thread(_write_as, home, host, data, meta.get("uid"))
        return os.path.normpath(os.path.join(HOME, path))

    async def download(self, sandbox_id: str, url: str, path: str) -> str:
        if self.fetch_bytes is None:
            raise ToolError("downloads are turned off (tools.sandbox.downloads)")
        data = await self.fetch_bytes(url, self.cfg.max_download_mb * 1024 * 1024)
        return await self.write_file(sandbox_id, path, data)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _write_as(home: Path, host: Path, data: bytes, uid: int | None) -> None:
    """Write a file (and its parent folders) owned by the sandbox's uid, never following links."""
    parts = host.relative_to(home).parts
    cur = home
    for part in parts[:-1]:
        cur = cur / part
        if cur.is_symlink():
            raise ToolError(f"{cur.name!r} in the path is a link; refusing to follow it")
        if not cur.exists():
            cur.mkdir(mode=0o755)
            if uid is not None:
                os.chown(cur, uid, uid)
    fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if uid is not None:
            os.fchown(fd, uid, uid)
    finally:
        os.close(fd)


@sandbox_backends.register("local")
def _local(cfg: SandboxConfig, fetch_bytes: Any = None) -> SandboxBackend:
    return LocalSandbox(cfg, fetch_bytes)
