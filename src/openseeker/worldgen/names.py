"""What the per-language name generators share: handing out each name at most once."""

from __future__ import annotations

import random
from collections.abc import Callable


class UniqueNames:
    """Base of the name generators; ``used`` holds every name handed out so far.

    Subclasses set ``disambiguation``, the format of the suffix added when a pattern runs out of fresh
    names (encyclopedias write ``Name (2)``; Chinese ones use full-width brackets).
    """

    disambiguation = "{base} ({i})"

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def _unique(self, make: Callable[[], str]) -> str:
        for _ in range(200):
            name = make()
            if name not in self.used:
                self.used.add(name)
                return name
        # Exhausted the space for this pattern: disambiguate as encyclopedias do.
        base = make()
        i = 2
        while self.disambiguation.format(base=base, i=i) in self.used:
            i += 1
        name = self.disambiguation.format(base=base, i=i)
        self.used.add(name)
        return name
