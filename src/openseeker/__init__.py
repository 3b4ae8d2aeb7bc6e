"""openseeker: an open toolkit for building frontier deep-search agents.

Stages: corpus -> web graph (:mod:`openseeker.corpus`), QA synthesis (:mod:`openseeker.synth`), denoised
trajectory synthesis and the agent (:mod:`openseeker.agent`), SFT export and training
(:mod:`openseeker.export`, :mod:`openseeker.train`), evaluation (:mod:`openseeker.evaluate`).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
