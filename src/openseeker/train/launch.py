"""Re-run ``openseeker train sft`` under ``accelerate launch`` for multi-GPU / multi-node training.

The user keeps one command line; when ``launch.accelerate_config`` is set and the process is not already
a launched worker, the CLI builds the equivalent ``accelerate launch --config_file ... -m
openseeker.cli.main train sft ...`` command and replaces itself with it. DeepSpeed and FSDP settings
travel either inside the accelerate config or as ``deepspeed`` / ``fsdp_config`` files in our config.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping

from openseeker.errors import ConfigError
from openseeker.train.config import LaunchSettings

# Set by torchrun / accelerate in every worker; their presence means "already launched".
_WORKER_ENV = ("LOCAL_RANK", "ACCELERATE_LAUNCHED", "OPENSEEKER_TRAIN_LAUNCHED")


def already_launched(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process is a worker started by a distributed launcher."""
    env = os.environ if environ is None else environ
    return any(k in env for k in _WORKER_ENV)


def build_launch_command(
    settings: LaunchSettings, cli_args: list[str], python: str | None = None
) -> list[str]:
    """The ``accelerate launch`` argv that runs ``openseeker <cli_args>`` in every worker.

    Args:
        settings: the launch settings (``accelerate_config`` must be set).
        cli_args: the openseeker arguments after the program name, e.g. ``["train", "sft", "--data", ...]``.
        python: the interpreter whose ``accelerate`` module is used (default: this one).
    """
    if settings.accelerate_config is None:
        raise ConfigError("launch.accelerate_config is not set")
    if not settings.accelerate_config.exists():
        raise ConfigError(f"accelerate config {str(settings.accelerate_config)!r} does not exist")
    cmd = [
        python or sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(settings.accelerate_config),
    ]
    if settings.num_processes is not None:
        cmd += ["--num_processes", str(settings.num_processes)]
    cmd += list(settings.extra_args)
    cmd += ["-m", "openseeker.cli.main", *cli_args]
    return cmd


def exec_launch(cmd: list[str]) -> None:  # pragma: no cover - replaces the process
    """Replace this process with the launcher (marking workers so they do not relaunch)."""
    if shutil.which(cmd[0]) is None and not os.path.exists(cmd[0]):
        raise ConfigError(f"cannot find {cmd[0]!r} to start accelerate")
    os.environ["OPENSEEKER_TRAIN_LAUNCHED"] = "1"
    os.execv(cmd[0], cmd)
