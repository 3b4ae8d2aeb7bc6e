from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from openseeker import __version__
from openseeker.cli.main import cli


def test_help_and_version() -> None:
    r = CliRunner().invoke(cli, ["--help"])
    assert r.exit_code == 0 and "deep-search" in r.output
    r = CliRunner().invoke(cli, ["--version"])
    assert __version__ in r.output


def test_unknown_command_exits_nonzero() -> None:
    proc = subprocess.run([sys.executable, "-m", "openseeker.cli.main", "no-such-command"], capture_output=True, text=True)
    assert proc.returncode != 0 and "no-such-command" in proc.stderr
