"""MediaWiki ingest speed against a plain parse (issue 19, goal 2).

Baseline: ``xml.etree.ElementTree.iterparse`` over the dump plus one ``mwparserfromhell.parse`` of each
page's wikitext, nothing else. Measured against it on the same dump, in CPU seconds (each run a fresh
child process, the three interleaved, medians of ``--rounds``; the ratio baseline / ours is the speed per
core relative to the plain parse):

* ``reader``: ``MediaWikiSource`` alone: pages with plain text, links with anchors and context sentences,
  redirects;
* ``ingest``: ``openseeker.corpus.ingest`` of the dump: reader, SQLite store, link resolution and the BM25
  index.

The dump is generated (deterministic): pages of 20-60 sentences with wikilinks (plain, piped, with
underscores and sections), bold and italic text, templates (an infobox with parameters, citation templates
inside ``<ref>`` tags), headings, a table, File/Category/interwiki links, HTML entities and comments, plus
10 % redirects and some non-article pages::

    python benchmarks/mediawiki.py                      # 4,000 pages, 3 rounds
    python benchmarks/mediawiki.py --pages 20000 --rounds 5 --json-out mw.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

WORDS = (
    "river city valley north empire king council trade bridge harbor castle church museum school "
    "railway station market festival mountain forest island coast desert lake plateau province county "
    "village century war treaty dynasty republic language people culture music painter author novel "
    "science physics chemistry biology engine ship aircraft company bank founded built became known "
    "largest oldest famous important central western eastern southern early late modern ancient"
).split()


def _sentence(rng: random.Random, titles: list[str]) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        i = rng.randrange(len(words))
        t = rng.choice(titles)
        form = rng.random()
        if form < 0.4:
            words[i] = f"[[{t}]]"
        elif form < 0.7:
            words[i] = f"[[{t}|{words[i]} {rng.choice(WORDS)}]]"
        elif form < 0.85:
            words[i] = f"[[{t.replace(' ', '_')}]]"
        else:
            words[i] = f"[[{t}#History|{words[i]}]]"
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), f"''{rng.choice(WORDS)}''")
    if rng.random() < 0.25:
        words.append(
            f"<ref>{{{{cite web|url=https://example.org/{rng.randrange(10**6)}|title={rng.choice(WORDS)}}}}}</ref>"
        )
    if rng.random() < 0.05:
        words.append("&nbsp;&ndash;<!-- editor note -->")
    return " ".join(words).capitalize() + "."


def _page_text(rng: random.Random, title: str, titles: list[str]) -> str:
    parts = [
        f"{{{{Infobox settlement|name={title}|population={rng.randrange(10**6)}|country=[[{rng.choice(titles)}]]}}}}",
        f"'''{title}''' is a {rng.choice(WORDS)} {rng.choice(WORDS)} in [[{rng.choice(titles)}]].",
    ]
    for s in range(rng.randint(2, 5)):
        parts.append(f"\n== {rng.choice(WORDS).title()} {s} ==\n")
        parts.append(" ".join(_sentence(rng, titles) for _ in range(rng.randint(4, 12))))
    if rng.random() < 0.3:
        parts.append(
            '{| class="wikitable"\n|-\n! Year !! Value\n|-\n| 1900 || [[' + rng.choice(titles) + "]]\n|}"
        )
    parts.append(f"[[File:{title}.jpg|thumb|A view of [[{rng.choice(titles)}]]]]")
    parts.append("== References ==\n<references />")
    parts.append(f"[[Category:{rng.choice(WORDS).title()}]] [[fr:{title}]]")
    return "\n".join(parts)


def generate(path: Path, pages: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    titles = [f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {i}" for i in range(pages)]
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" xml:lang="en" version="0.10">')
        fh.write(
            "<siteinfo><sitename>Bench</sitename><dbname>enwiki</dbname>"
            "<base>https://en.wikipedia.org/wiki/Main_Page</base><namespaces>"
            '<namespace key="0" /><namespace key="6">File</namespace><namespace key="14">Category</namespace>'
            "</namespaces></siteinfo>"
        )
        for i, title in enumerate(titles):
            ns, red, text = 0, "", ""
            if i % 10 == 9:
                red = f'<redirect title="{escape(rng.choice(titles))}" />'
                text = f"#REDIRECT [[{rng.choice(titles)}]]"
            elif i % 50 == 7:
                ns, text = 4, "A project page."
            else:
                text = _page_text(rng, title, titles)
            fh.write(
                f"<page><title>{escape(title)}</title><ns>{ns}</ns><id>{i + 1}</id>{red}<revision><id>{i + 1}</id>"
                f'<timestamp>2024-01-01T00:00:00Z</timestamp><text xml:space="preserve">{escape(text)}</text>'
                "</revision></page>"
            )
        fh.write("</mediawiki>")


# -- the measured modes (each in a child process) -----------------------------------------------------------


def run_baseline(dump: str) -> int:
    import xml.etree.ElementTree as ET

    import mwparserfromhell

    n = 0
    root = None
    for event, elem in ET.iterparse(dump, events=("start", "end")):
        if event == "start":
            root = root if root is not None else elem
            continue
        if elem.tag.endswith("}page"):
            text = elem.findtext("{*}revision/{*}text")
            if text:
                mwparserfromhell.parse(text)
                n += 1
            elem.clear()
            if root is not None:
                root.clear()
    return n


def run_reader(dump: str) -> int:
    from openseeker.corpus.sources import SourcePage, open_source

    return sum(1 for item in open_source(dump) if isinstance(item, SourcePage))


def run_ingest(dump: str) -> int:
    from openseeker.corpus.ingest import ingest

    with tempfile.TemporaryDirectory(prefix="mw-bench-") as d:
        return ingest([dump], Path(d) / "c").pages


MODES = {"baseline": run_baseline, "reader": run_reader, "ingest": run_ingest}


def _child(mode: str, dump: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--mode", mode, dump]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{res.stderr[-3000:]}")
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dump", nargs="?", help="a dump to use instead of the generated one")
    ap.add_argument("--pages", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.mode:
        t, c = time.perf_counter(), time.process_time()
        n = MODES[a.mode](a.dump)
        print(json.dumps({"pages": n, "cpu_s": time.process_time() - c, "wall_s": time.perf_counter() - t}))
        return
    dump = a.dump
    tmp = None
    if dump is None:
        tmp = tempfile.mkdtemp(prefix="mw-dump-")
        dump = str(Path(tmp) / "bench.xml")
        generate(Path(dump), a.pages)
    load = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    for _ in range(a.rounds):
        for mode in MODES:
            runs[mode].append(_child(mode, dump))
    cpu = {m: statistics.median(r["cpu_s"] for r in rs) for m, rs in runs.items()}
    out = {
        "dump_mb": round(Path(dump).stat().st_size / 2**20, 1),
        "pages_in_dump": runs["baseline"][0]["pages"],
        "article_pages": runs["reader"][0]["pages"],
        "cpu_s_median": {m: round(v, 2) for m, v in cpu.items()},
        "dump_pages_per_cpu_s": {m: round(runs["baseline"][0]["pages"] / v, 1) for m, v in cpu.items()},
        # The same dump through each: the ratio of CPU times is the ratio of speeds per core.
        "ratio_reader_vs_parse": round(cpu["baseline"] / cpu["reader"], 3),
        "ratio_ingest_vs_parse": round(cpu["baseline"] / cpu["ingest"], 3),
        "load_average_before": [round(x, 2) for x in load],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(out, indent=1))
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(out, indent=2))
    if tmp:
        Path(dump).unlink()
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
