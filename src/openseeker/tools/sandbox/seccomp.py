"""The local sandbox's system-call filter: a seccomp program that bubblewrap installs (``--seccomp FD``).

Namespaces and rlimits bound what sandboxed code can reach; the filter shrinks the kernel surface it can
reach it through. It is a deny list in the spirit of Docker's default profile, for code that only needs to
compute, read and write its folder and run programs: everything is allowed except calls that inspect or
change other processes (``ptrace``, ``process_vm_*``, ``kcmp``), make namespaces or mounts (``unshare``,
``setns``, ``clone``/``clone3`` with namespace flags, ``mount``, ``pivot_root``), load code into the kernel
(``bpf``, ``*_module``, ``kexec_*``), or open attack surface that ordinary programs never need
(``keyctl``, ``userfaultfd``, ``perf_event_open``, ``io_uring_*``, ``open_by_handle_at``, ...). They fail
with ``EPERM``; ``clone3``, whose flags a filter cannot read, fails with ``ENOSYS`` so that the C library
falls back to ``clone``.

The program is compiled once per process by libseccomp (through ``pyseccomp``, a ctypes binding of the
system's ``libseccomp.so.2``) for the machine's own architecture.
"""

from __future__ import annotations

import atexit
import errno
import logging
import os
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)

DENIED = (
    # other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    # namespaces, mounts, roots
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr",
    # code into the kernel, the machine's state
    "bpf", "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "syslog",
    "quotactl", "lookup_dcookie", "nfsservctl", "vhangup",
    # surface ordinary programs do not need
    "keyctl", "add_key", "request_key", "userfaultfd", "perf_event_open", "fanotify_init",
    "open_by_handle_at", "name_to_handle_at", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "uselib", "iopl", "ioperm",
)  # fmt: skip
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
_CLONE_NAMESPACES = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)

_lock = threading.Lock()
_program: Path | None = None


class SeccompUnavailable(RuntimeError):
    """libseccomp (or its binding) cannot be loaded here."""


def available() -> bool:
    """Whether a filter can be compiled on this machine."""
    try:
        import pyseccomp  # noqa: F401 - loads libseccomp.so.2 on import
    except (ImportError, OSError, RuntimeError):
        return False
    return True


def program() -> Path:
    """The compiled filter (a BPF program file), built on first use.

    Raises:
        SeccompUnavailable: ``pyseccomp`` or the system's libseccomp is missing.
    """
    global _program
    with _lock:
        if _program is not None and _program.exists():
            return _program
        try:
            import pyseccomp as sc
        except (ImportError, OSError, RuntimeError) as e:
            raise SeccompUnavailable(f"cannot load libseccomp ({e})") from e
        f = sc.SyscallFilter(defaction=sc.ALLOW)
        for name in DENIED:
            try:
                f.add_rule(sc.ERRNO(errno.EPERM), name)
            except (OSError, ValueError, RuntimeError):
                log.debug("system call %s is not known on this architecture", name)
        for flag in _CLONE_NAMESPACES:  # one rule per flag: any namespace flag set is refused
            f.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
        f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
        fd, name = tempfile.mkstemp(prefix="openseeker-seccomp-", suffix=".bpf")
        with os.fdopen(fd, "wb") as out:
            f.export_bpf(out)
        _program = Path(name)
        atexit.register(_program.unlink, missing_ok=True)
        return _program
