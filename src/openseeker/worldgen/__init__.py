"""The embedded default corpus: a generated, hyperlinked, fictional encyclopedia whose facts are known.

``generate_world(seed, n_pages, languages)`` builds it in memory, ``write_world(out_dir, ...)`` writes it
as a corpus JSONL source plus a facts table, and :mod:`openseeker.worldgen.audit` measures synthesized
questions against the known facts (answerability and uniqueness), with no model involved.
"""

from openseeker.worldgen.generate import generate_world, load_world, write_world
from openseeker.worldgen.model import Entity, Fact, FactMention, World, WorldPage

__all__ = [
    "Entity",
    "Fact",
    "FactMention",
    "World",
    "WorldPage",
    "generate_world",
    "load_world",
    "write_world",
]
