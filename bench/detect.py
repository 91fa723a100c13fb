"""Detection speed against the cost of parsing: ``python -m bench.detect``.

Three item sets: *typical* news (business, weather, sport, politics, science: our own
sentences, mixed deterministically, a tenth of them with attack vocabulary used otherwise:
"heart attack", "Rockets beat the Patriots", "missile test"); *attacks* (the attack
reports of tests/unit/detect_cases, and the dev corpus when MONITOR_SHARED_DIR points to
the shared material). Each round times feedparser on the typical items rendered as RSS,
then the detector on each set; rounds interleave and the medians are reported, with the
ratio detect/parse (PERF.md: compare ratios, the machine is noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from monitor.detect import Detector
from monitor.parse import parse_feed
from monitor.records import Entry

ROOT = Path(__file__).resolve().parent.parent

_TYPICAL = [
    "Shares in the carmaker rose 4% after it reported higher quarterly profits.",
    "The central bank left interest rates unchanged and said inflation was easing.",
    "Heavy rain is expected across the north of the country through the weekend.",
    "The city council approved a new budget for schools and public transport.",
    "Researchers said the new vaccine showed strong results in early trials.",
    "The festival drew more than 40,000 visitors over three days, organisers said.",
    "The minister met her counterpart to discuss trade and energy cooperation.",
    "A new bridge linking the two districts will open to traffic next month.",
    "The company announced plans to hire 2,000 engineers at its new campus.",
    "Farmers warned that the drought could cut this year's wheat harvest by a third.",
    "The museum reopened after a two-year renovation of its main gallery.",
    "Talks between the union and the airline resumed on Tuesday after a pause.",
    "The striker scored twice as the home side won 3-1 to top the league table.",
    "Scientists found traces of water ice in a crater near the moon's south pole.",
    "The election commission published the final list of candidates on Monday.",
    "Housing prices fell for the third month in a row, official data showed.",
    "The startup raised $25 million from investors to expand into Europe.",
    "Schools will close early on Friday ahead of the national holiday.",
    "The film won the top prize at the festival on Saturday night.",
    "A court ruled that the merger could go ahead under strict conditions.",
]
_DECOYS = [
    "The former coach is recovering in hospital after suffering a heart attack.",
    "The Rockets beat the Patriots 102-98 after a late run in the fourth quarter.",
    "The country test-fired a ballistic missile into the sea, its neighbours said.",
    "Hackers launched a cyberattack on the retailer's payment systems last month.",
    "The senator attacked the governor's budget plan in a speech on Thursday.",
]


def typical_items(count: int, seed: int = 7) -> list[Entry]:
    """``count`` generic news items; one in ten carries attack words used otherwise."""
    rng = random.Random(seed)
    start = datetime(2024, 5, 1, 8, tzinfo=UTC)
    items = []
    for n in range(count):
        sentences = rng.sample(_TYPICAL, 5)
        if n % 10 == 0:
            sentences[0] = rng.choice(_DECOYS)
        title = sentences[0].rstrip(".")
        body = " ".join(sentences[1:]) + "\n\n" + " ".join(rng.sample(_TYPICAL, 4))
        when = start + timedelta(minutes=17 * n)
        items.append(Entry(guid=f"t{n}", link=None, title=title, content=body, published=when))
    return items


def attack_items() -> list[Entry]:
    """Attack reports: our spec cases, plus the dev corpus when it is available."""
    items = []
    for path in sorted((ROOT / "tests" / "unit" / "detect_cases").glob("*.toml")):
        for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]:
            if case["attack"]:
                items.append(
                    Entry(guid=case["name"], link=None, title=case["title"], content=case["text"])
                )
    corpus = Path(os.environ.get("MONITOR_SHARED_DIR", ROOT.parent / "shared"))
    corpus = corpus / "corpus" / "dev" / "articles.jsonl"
    if corpus.exists():
        for line in corpus.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            items.append(Entry(guid=row["id"], link=None, title=row["title"], content=row["text"]))
    return items


def as_rss(items: list[Entry]) -> bytes:
    """The items as one RSS 2.0 document with HTML descriptions, as feeds carry them."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>b</title>']
    for item in items:
        html = "".join(f"<p>{escape(p)}</p>" for p in item.content.split("\n\n"))
        parts.append(
            f"<item><title>{escape(item.title)}</title><guid>{item.guid}</guid>"
            f"<description>{escape(html)}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def run(rounds: int, count: int) -> dict[str, float]:
    """Median items/s of parsing and of detection, over interleaved rounds."""
    detector = Detector([])
    typical, attacks = typical_items(count), attack_items()
    feed = as_rss(typical)
    quiet = [e for e in typical if not detector.lexicon.has_trigger(e.text.lower(), e.text)]
    samples: dict[str, list[float]] = {"parse": [], "typical": [], "quiet": [], "attacks": []}
    detector.detect(attacks[0])  # warm up: lexicon and regexes compiled
    for _ in range(rounds):
        t = time.perf_counter()
        parse_feed(feed, url="bench.xml")
        samples["parse"].append(_rate(len(typical), time.perf_counter() - t))
        for name, items in (("typical", typical), ("quiet", quiet), ("attacks", attacks)):
            t = time.perf_counter()
            for entry in items:
                detector.detect(entry)
            samples[name].append(_rate(len(items), time.perf_counter() - t))
    result = {f"{k}_items_per_s": round(statistics.median(v), 1) for k, v in samples.items()}
    result["typical_vs_parse"] = round(
        result["typical_items_per_s"] / result["parse_items_per_s"], 2
    )
    result["attacks_vs_parse"] = round(
        result["attacks_items_per_s"] / result["parse_items_per_s"], 2
    )
    result["typical_share_with_trigger_words"] = round(1 - len(quiet) / len(typical), 3)
    result["attack_items"] = len(attacks)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--items", type=int, default=1000, help="typical items per round")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    result = run(args.rounds, args.items)
    for key, value in result.items():
        print(f"{key:<36} {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
