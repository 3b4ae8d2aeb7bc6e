"""Clue truth by rules: whether a vague description ("a town founded in the early 1640s") is true of its
entity, judged against what is known about it, with no model.

Below both QA synthesis (the ``clue_truth`` check, :mod:`openseeker.synth.clue_check`, judges against a
record's grounded facts) and the generated world (its audit, :mod:`openseeker.worldgen.clue_audit`, judges
against the world's complete facts):

* :mod:`~openseeker.clues.vocab`: type words, occupations, fact verbs (English and Chinese);
* :mod:`~openseeker.clues.parse`: a description read into claims (head type, dates, magnitudes, names, words);
* :mod:`~openseeker.clues.evidence`: what evidence sentences say an entity is, and their dates and numbers;
* :mod:`~openseeker.clues.rules`: the :class:`Profile` of an entity and :func:`judge`.
"""

from openseeker.clues.parse import Claims, parse
from openseeker.clues.rules import ClueVerdict, Profile, judge, literal_profile

__all__ = ["Claims", "ClueVerdict", "Profile", "judge", "literal_profile", "parse"]
