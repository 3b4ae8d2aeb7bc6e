"""Judges: deciding whether a predicted answer matches the gold answer.

Shared by QA verification (:mod:`openseeker.synth`), trajectory rejection sampling and evaluation
(:mod:`openseeker.evaluate`), which all sit above this package. A judge is anything with
``async judge(question, gold, response, *, aliases=None) -> Verdict`` (:class:`Judge`); they are registered
by name in :data:`judges` (entry-point group ``openseeker.judge``) and built from a spec by :func:`get_judge`.
Before any number rests on a judge, :func:`~openseeker.judge.calibration.gate` measures it on a labelled set.
"""

from openseeker.judge.registry import check_spec, get_judge, judges
from openseeker.judge.verdict import Judge, Verdict

__all__ = ["Judge", "Verdict", "check_spec", "get_judge", "judges"]
