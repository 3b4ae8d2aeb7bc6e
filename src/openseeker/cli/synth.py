"""``openseeker synth``: QA synthesis (``synth qa``) and trajectory synthesis (``synth traj``).

The two commands live in their own modules (``cli/synth_qa.py``, ``cli/synth_traj.py``) and are added here.
"""

from __future__ import annotations

import importlib
import importlib.util

import click


@click.group()
def synth() -> None:
    """Synthesize training data: multi-hop QA pairs, then denoised agent trajectories."""


for _module, _attr in (("openseeker.cli.synth_qa", "qa"), ("openseeker.cli.synth_traj", "traj")):
    if importlib.util.find_spec(_module) is not None:
        synth.add_command(getattr(importlib.import_module(_module), _attr))
