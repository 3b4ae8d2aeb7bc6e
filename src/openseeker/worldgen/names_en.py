"""English name generators for the fictional world.

Surnames, city and country names are built from syllables so that they sound plausible but are not real
places or people (a model's memory cannot answer questions about them).
"""

from __future__ import annotations

from openseeker.worldgen.names import UniqueNames

GIVEN = (
    "Aldric Beatrix Cassius Delphine Edmund Fenella Gideon Hester Ivo Jocasta Leopold Marisol Nathaniel "
    "Ottilie Percival Rosalind Silas Theodora Ulric Vesna Wilhelmina Ambrose Clemence Dorian Eulalia "
    "Florian Griselda Horatio Isolde Jasper Lavinia Magnus Nerissa Osric Philippa Quentin Rowena Sebastian "
    "Tamsin Evander Cordelia Lucian Anneliese Bartholomew Celestine Emeric Honora Leander Mirabel Piers "
    "Seraphine Tobias Verity Barnaby Imogen Lysander Octavia Rupert Sabine"
).split()
_SUR_A = "Ash Bram Cal Dun Ell Fen Gar Hal Iver Kes Lor Mar Nor Orm Pem Quill Ros Sel Thorn Ulm Vay Wen Yar Brack".split()
_SUR_B = "ford wick by more ley ton well stead brook den holt ridge worth mere ington ard".split()
_CITY_A = "Kes Var Bel Cor Dra Eld Fal Gal Hes Ist Jor Kal Lun Mor Nes Ost Pra Rav Sil Tor Ul Ves Wyn Zar Quen Tav".split()
_CITY_B = "holm port mouth ford gate haven dale burg wick stead mont vale brig crest".split()
_COUNTRY_A = "Norv Cald Ostr Vell Ester Marr Thal Brev Isk Aud Corv Lyss Pell Harv".split()
_COUNTRY_B = ("ia", "rith", "mark", "and", "ora", "esh", "onia", "avia")

FIELDS = (
    "Astronomy",
    "Botany",
    "Chemistry",
    "Geology",
    "Mathematics",
    "Navigation",
    "Optics",
    "Linguistics",
    "Cartography",
    "Meteorology",
    "Anatomy",
    "Metallurgy",
)
_ADJ = (
    "Silent Crimson Hollow Distant Gilded Broken Northern Pale Lantern Restless Amber Iron Quiet Winter "
    "Bitter Hidden Salt Ashen Velvet Emerald Last Drowned Burning Forgotten"
).split()
_NOUN = (
    "Harbour Orchard Lighthouse Meridian Tide Archive Sparrow Citadel Garden Ferry Comet Frontier Mirror "
    "Bell Canal Estuary Lantern Vineyard Causeway Observatory Granary Heron Quarry Tapestry"
).split()
_TIME = ("Dusk", "Dawn", "Noon", "Midnight", "First Frost", "High Tide", "Low Tide", "Harvest")
_KEYS = ("C minor", "D major", "E-flat major", "F minor", "G major", "A minor", "B-flat major")
_TRADES = ("Shipbuilding", "Instruments", "Railways", "Chemicals", "Glassworks", "Printing", "Textiles")
_REGIONS = (
    "the Northern Ice",
    "the Salt Desert",
    "the Upper Vell",
    "the Grey Archipelago",
    "the Amber Coast",
    "the Highlands",
    "the Inner Sea",
    "the Eastern Steppe",
)
_ARTS = ("Music", "Theatre", "Poetry", "Film", "Folk Dance", "Lantern")

OCCUPATIONS = (
    "novelist",
    "composer",
    "painter",
    "scientist",
    "engineer",
    "explorer",
    "politician",
    "filmmaker",
)


def plural(noun: str) -> str:
    """English plural of a single noun from the pools above."""
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def article(word: str) -> str:
    """``a`` or ``an`` before ``word``."""
    w = word.lower()
    # "a university", "a European": the letter is a vowel but the sound is not
    if w.startswith(("uni", "use", "usu", "eu", "one")):
        return "a"
    return "an" if w[:1] in "aeiou" else "a"


class EnglishNames(UniqueNames):
    """Generates unique English names; ``used`` holds every name handed out so far."""

    def surname(self) -> str:
        return self.rng.choice(_SUR_A) + self.rng.choice(_SUR_B)

    def person(self) -> str:
        return self._unique(lambda: f"{self.rng.choice(GIVEN)} {self.surname()}")

    def city(self) -> str:
        def make() -> str:
            base = self.rng.choice(_CITY_A) + self.rng.choice(_CITY_B)
            r = self.rng.random()
            return f"Port {base}" if r < 0.06 else f"New {base}" if r < 0.1 else base

        return self._unique(make)

    def country(self) -> str:
        return self._unique(lambda: self.rng.choice(_COUNTRY_A) + self.rng.choice(_COUNTRY_B))

    def field(self) -> str:
        return self.rng.choice(FIELDS)

    def organisation(self, kind: str, city: str) -> str:
        r = self.rng

        def make() -> str:
            if kind == "university":
                return r.choice(
                    [f"University of {city}", f"{city} Institute of Technology", f"College of {city}"]
                )
            if kind == "company":
                return f"{self.surname()} {r.choice(_TRADES)} Company"
            if kind == "society":
                return f"{city} Society of {r.choice(FIELDS)}"
            if kind == "museum":
                return f"{city} Museum of {r.choice(FIELDS)}"
            if kind == "orchestra":
                return r.choice([f"{city} Philharmonic Orchestra", f"{city} Chamber Orchestra"])
            return f"{self.surname()} Press"

        return self._unique(make)

    def work(self, kind: str) -> str:
        r = self.rng

        def make() -> str:
            if kind == "novel":
                return r.choice(
                    [
                        f"The {r.choice(_ADJ)} {r.choice(_NOUN)}",
                        f"{r.choice(_NOUN)} of {plural(r.choice(_NOUN))}",
                    ]
                )
            if kind == "symphony":
                return f'Symphony in {r.choice(_KEYS)}, "{r.choice(_ADJ)} {r.choice(_NOUN)}"'
            if kind == "opera":
                return (
                    f"The {r.choice(_NOUN)} Keeper"
                    if r.random() < 0.3
                    else f"{r.choice(_ADJ)} {r.choice(_NOUN)} (opera)"
                )
            if kind == "painting":
                return f"{r.choice(_NOUN)} at {r.choice(_TIME)}"
            if kind == "treatise":
                return f"On the {plural(r.choice(_NOUN))} of {r.choice(FIELDS)}"
            return f"The {r.choice(_ADJ)} {r.choice(_NOUN)} (film)"

        return self._unique(make)

    def event(self, kind: str, city: str) -> str:
        r = self.rng

        def make() -> str:
            if kind == "expedition":
                return f"{self.surname()} Expedition to {r.choice(_REGIONS)}"
            if kind == "congress":
                return f"{city} Congress of {r.choice(FIELDS)}"
            if kind == "exhibition":
                return r.choice([f"Great {city} Exhibition", f"{city} Exhibition of {r.choice(FIELDS)}"])
            if kind == "treaty":
                return f"Treaty of {city}"
            if kind == "festival":
                return f"{city} {r.choice(_ARTS)} Festival"
            return f"{city} {r.choice(['Dockworkers', 'Weavers', 'Miners', 'Printers'])}' Strike"

        return self._unique(make)
