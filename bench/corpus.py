"""A synthetic, deterministic news corpus written as RSS files, for the pipeline benchmarks.

:func:`write_corpus` writes ``items`` items over ``feeds`` RSS 2.0 files. About 5 % of
the items report attacks, written the way wire services write them (dateline, agency,
"security sources said", a weekday for the day); the rest are ordinary news (business,
weather, sport, politics, science) with a few decoys that use attack words otherwise
("heart attack", "Rockets beat..."). Stories are syndicated: each attack is written up by
one to three outlets and each write-up copied into up to three other feeds; one in four
ordinary stories reappears in one to three other feeds. A copy is verbatim under another
guid, or carries a byline and a "Read more" tail, or has the same link with tracking
parameters. About 40 % of items carry the full article (``content:encoded``), the rest a
summary. The same seed gives the same bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

#: Share of items that report an attack (copies included).
ATTACK_SHARE = 0.05
#: The corpus covers this many days, ending on :data:`LAST_DAY`.
DAYS = 30
LAST_DAY = date(2024, 5, 31)

_CITIES = [
    "Lyon", "Porto", "Leeds", "Denver", "Osaka", "Pune", "Accra", "Quito", "Perth", "Graz",
    "Malmo", "Tampere", "Cork", "Brno", "Tucson", "Nagoya", "Recife", "Durban", "Split",
    "Ghent",
]  # fmt: skip
_COMPANIES = [
    "Norvale", "Brightwater Energy", "Kestrel Motors", "Halden Foods", "Orbis Telecom",
    "Castell Pharma", "Fenwick Logistics", "Silvergate Retail", "Altair Aerospace",
    "Marlow Insurance",
]  # fmt: skip
_PEOPLE = [
    "Maria Lindqvist", "Tomas Berg", "Aisha Okafor", "Daniel Reyes", "Priya Natarajan",
    "Kenji Sato", "Elena Petrova", "Samuel Adeyemi", "Laura Conti", "Hugo Laurent",
]  # fmt: skip
_TEAMS = ["United", "Rovers", "Athletic", "City", "Wanderers", "Albion", "Harriers", "Town"]
_OUTLETS = [
    "Daily Ledger", "Metro Wire", "Evening Post", "Global Desk", "Courier", "Herald",
    "Observer", "Dispatch", "Chronicle", "Gazette",
]  # fmt: skip

# Ordinary news: {c} city, {co} company, {p} person, {n} number, {t} team, {w} weekday.
_NEWS = [
    "Shares in {co} rose {n}% after it reported higher quarterly profits.",
    "The central bank left interest rates unchanged and said inflation was easing.",
    "Heavy rain is expected across the north of the country through the weekend.",
    "The council of {c} approved a new budget for schools and public transport.",
    "Researchers in {c} said a new vaccine showed strong results in early trials.",
    "The festival in {c} drew more than {n},000 visitors over three days, organisers said.",
    "{p} met her counterpart on {w} to discuss trade and energy cooperation.",
    "A new bridge linking two districts of {c} will open to traffic next month.",
    "{co} announced plans to hire {n}00 engineers at its new campus near {c}.",
    "Farmers warned that the drought could cut this year's wheat harvest by a third.",
    "The museum in {c} reopened after a two-year renovation of its main gallery.",
    "Talks between the union and {co} resumed on {w} after a pause of {n} days.",
    "{t} scored twice as the home side won 3-1 to go top of the league table.",
    "Scientists found traces of water ice in a crater near the moon's south pole.",
    "The election commission published the final list of candidates on {w}.",
    "Housing prices in {c} fell for the third month in a row, official data showed.",
    "The startup raised ${n} million from investors to expand into new markets.",
    "Schools in {c} will close early on {w} ahead of the national holiday.",
    "The film by {p} won the top prize at the festival on {w} night.",
    "A court ruled that the merger of {co} could go ahead under strict conditions.",
    "Unemployment fell to {n}.2% in the last quarter, the statistics office said.",
    "The airport in {c} expects record passenger numbers this summer.",
    "{p}, the finance minister, said the deficit would narrow next year.",
    "Volunteers planted {n},000 trees along the river banks outside {c}.",
    "The orchestra of {c} announced a tour of {n} cities for the autumn.",
    "Ticket prices for the regional rail network will rise by {n}% from June.",
    "{co} recalled {n},000 vehicles over a faulty brake sensor.",
    "The hospital in {c} opened a new wing for children's care on {w}.",
    "Fans of {t} queued overnight for tickets to the cup final.",
    "A heatwave is forecast for the south, with temperatures up to {n} degrees.",
    "The government said it would publish its energy strategy before the summer.",
    "{p} said the company would invest in solar farms and battery storage.",
    "Local elections in {c} saw the highest turnout in {n} years.",
    "The library in {c} will stay open late on {w} evenings from next month.",
]  # fmt: skip
_DECOYS = [
    "{p}, the former coach of {t}, is recovering in hospital after suffering a heart attack.",
    "The Rockets beat the Patriots 102-98 after a late run in the fourth quarter.",
    "Hackers launched a cyberattack on the payment systems of {co} last month.",
    "{p} attacked the governor's budget plan in a speech in {c} on {w}.",
    "The country test-fired a ballistic missile into the sea, its neighbours said.",
]  # fmt: skip

# Attacks: the place, its country for the dateline, and how reports name the target.
_PLACES = [
    ("BAGHDAD", "Iraq", "the U.S. Embassy in Baghdad's heavily fortified Green Zone", "US embassy in Baghdad"),
    ("BAGHDAD", "Iraq", "Ain al-Asad air base in western Anbar province, which hosts U.S. troops", "Ain al-Asad base"),
    ("ERBIL", "Iraq", "Erbil airport, where U.S.-led coalition forces are based", "Erbil airport"),
    ("BAGHDAD", "Iraq", "Camp Taji north of Baghdad, where U.S. trainers are stationed", "Camp Taji"),
    ("KABUL", "Afghanistan", "a police checkpoint in the west of Kabul", "Kabul checkpoint"),
    ("MOGADISHU", "Somalia", "a hotel near the presidential palace in Mogadishu", "Mogadishu hotel"),
    ("ADEN", "Yemen", "a government compound in the port city of Aden", "government compound in Aden"),
    ("KHARKIV", "Ukraine", "a residential district of Kharkiv", "Kharkiv"),
    ("DAMASCUS", "Syria", "an army position near Damascus airport", "army post near Damascus"),
    ("PESHAWAR", "Pakistan", "a police station on the outskirts of Peshawar", "Peshawar police station"),
    ("MAIDUGURI", "Nigeria", "a military base near Maiduguri", "Maiduguri base"),
    ("BAMAKO", "Mali", "a UN peacekeeping camp near Gao in northern Mali", "UN camp in Mali"),
]  # fmt: skip
# How the lead says it, and how the headline does.
_WEAPONS = [
    ("{n} rockets struck", "Rockets hit"),
    ("{n} mortar rounds hit", "Mortar attack on"),
    ("an explosive-laden drone struck", "Drone strikes"),
    ("a suicide bomber blew himself up at", "Suicide bomber strikes"),
    ("a car bomb exploded outside", "Car bomb outside"),
    ("gunmen opened fire on", "Gunmen attack"),
    ("a roadside bomb hit a convoy near", "Roadside bomb near"),
    ("a ballistic missile struck", "Missile strikes"),
]  # fmt: skip
_AGENCIES = [("Reuters", " - "), ("AP", " — "), ("AFP", " - ")]
_SOURCES = ["security sources said", "officials said", "police said", "a military statement said"]
_GROUPS = ["Islamic State", "al-Shabaab", "the Taliban", "Kataib Hezbollah", "the Houthis"]
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass
class Story:
    """One item as a feed carries it."""

    guid: str
    link: str
    title: str
    paragraphs: list[str]
    published: datetime
    full: bool
    attack: bool = False
    copy: bool = False


@dataclass
class Corpus:
    """What :func:`write_corpus` wrote."""

    files: list[Path]
    items: int = 0
    attack_items: int = 0
    copies: int = 0
    bytes: int = 0
    stories: list[Story] = field(default_factory=list, repr=False)


class Writer:
    """Draws stories from one seeded random generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.serial = 0

    def _fill(self, template: str) -> str:
        r = self.rng
        return template.format(
            c=r.choice(_CITIES),
            co=r.choice(_COMPANIES),
            p=r.choice(_PEOPLE),
            n=r.randint(2, 60),
            t=r.choice(_TEAMS),
            w=r.choice(_WEEKDAYS),
        )

    def _when(self) -> datetime:
        day = LAST_DAY - timedelta(days=self.rng.randrange(DAYS))
        return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            minutes=self.rng.randrange(24 * 60)
        )

    def _link(self, outlet: int) -> str:
        self.serial += 1
        return f"https://news{outlet}.example/{self.serial:06d}/story"

    def news(self, outlet: int) -> Story:
        """An ordinary story (one in thirty opens with a decoy)."""
        r = self.rng
        full = r.random() < 0.4
        count = r.randint(8, 14) if full else r.randint(2, 4)
        sentences = [self._fill(t) for t in r.sample(_NEWS, count)]
        if r.random() < 1 / 30:
            sentences[0] = self._fill(r.choice(_DECOYS))
        paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
        title = sentences[0].rstrip(".")
        link = self._link(outlet)
        return Story(link, link, title, paragraphs, self._when(), full)

    def attack(self, outlet: int, event: tuple[int, int, int, date, int, int]) -> Story:
        """A wire report of ``event`` (place, weapon, group, day, killed, injured)."""
        r = self.rng
        place_i, weapon_i, group_i, day, killed, injured = event
        city, country, target, short = _PLACES[place_i]
        what, headline = _WEAPONS[weapon_i]
        agency, dash = r.choice(_AGENCIES)
        weekday = _WEEKDAYS[day.weekday()]
        what = what.format(n=r.randint(2, 8))
        toll = (
            f"killing {killed} people and wounding {injured}"
            if killed
            else f"wounding {injured} people"
            if injured
            else "without causing casualties"
        )
        lead = (
            f"{city}, {country} ({agency}){dash}{what.capitalize()} {target} on {weekday}, "
            f"{toll}, {r.choice(_SOURCES)}."
        )
        follow = [
            "No group immediately claimed responsibility for the attack.",
            f"{_GROUPS[group_i]} later claimed the attack in a statement.",
            "The attack was the latest in a series targeting the area in recent weeks.",
            "Ambulances rushed to the scene and security forces sealed off the area.",
            f"A spokesman said an investigation was under way and that {injured} of the wounded "
            "were taken to hospital.",
        ]
        body = [lead, " ".join(r.sample(follow, 3))]
        if r.random() < 0.4:
            body.append(" ".join(self._fill(t) for t in r.sample(_NEWS[:6], 2)))
        title_toll = f", {killed} killed" if killed else ""
        title = f"{headline} {short}{title_toll}"
        link = self._link(outlet)
        published = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            hours=r.randint(14, 30)
        )
        return Story(link, link, title, body, published, r.random() < 0.5, attack=True)

    def copy(self, story: Story, outlet: int) -> Story:
        """``story`` as another feed carries it: verbatim, with a byline and tail, or under
        the same link with tracking parameters."""
        r = self.rng
        kind = r.random()
        if kind < 0.2:  # the same article, its link with tracking parameters: skipped by link
            link = f"{story.link}?utm_source=feed{outlet}&utm_medium=rss"
            return Story(
                link, link, story.title, story.paragraphs, story.published, story.full,
                story.attack, copy=True,
            )  # fmt: skip
        link = self._link(outlet)
        paragraphs = list(story.paragraphs)
        if kind < 0.6:  # a syndicated copy with a byline and a tail
            paragraphs = [
                f"By {r.choice(_PEOPLE)}, {r.choice(_OUTLETS)}",
                *paragraphs,
                "Read more: sign up for our morning newsletter.",
            ]
        published = story.published + timedelta(minutes=r.randint(5, 300))
        return Story(
            link, link, story.title, paragraphs, published, story.full, story.attack, copy=True
        )


def attack_events(writer: Writer, count: int) -> list[tuple[int, int, int, date, int, int]]:
    """``count`` attacks: (place, weapon, group, day, killed, injured), within the last days."""
    r = writer.rng
    return [
        (
            r.randrange(len(_PLACES)),
            r.randrange(len(_WEAPONS)),
            r.randrange(len(_GROUPS)),
            LAST_DAY - timedelta(days=r.randrange(DAYS)),
            r.choice([0, 0, 1, 2, 3, 5, 8]),
            r.choice([0, 2, 4, 11, 30]),
        )
        for _ in range(count)
    ]


def _other_feeds(rng: random.Random, outlet: int, feeds: int, count: int) -> list[int]:
    """``count`` distinct feeds other than ``outlet`` (fewer when there are not enough)."""
    others = [n for n in range(feeds) if n != outlet]
    return rng.sample(others, min(count, len(others)))


def stories(items: int, feeds: int, seed: int = 2024) -> list[tuple[int, Story]]:
    """``items`` (feed index, story) pairs: originals and their copies in other feeds."""
    writer = Writer(seed)
    r = writer.rng
    out: list[tuple[int, Story]] = []
    attack_target = max(1, round(items * ATTACK_SHARE))
    # Each attack event: 1-3 outlets' own write-ups, each copied into 0-3 other feeds.
    attacks: list[tuple[int, Story]] = []
    for event in attack_events(writer, max(1, attack_target // 4)):
        for _ in range(r.randint(1, 3)):
            outlet = r.randrange(feeds)
            story = writer.attack(outlet, event)
            attacks.append((outlet, story))
            for other in _other_feeds(r, outlet, feeds, r.randint(0, 3)):
                attacks.append((other, writer.copy(story, other)))
    out.extend(attacks[:attack_target])
    while len(out) < items:
        outlet = r.randrange(feeds)
        story = writer.news(outlet)
        out.append((outlet, story))
        if r.random() < 0.25:
            for other in _other_feeds(r, outlet, feeds, r.randint(1, 3)):
                if len(out) < items:
                    out.append((other, writer.copy(story, other)))
    return out


def rss(title: str, entries: list[Story]) -> bytes:
    """One RSS 2.0 document (newest first), with ``content:encoded`` for full articles."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{escape(title)}</title><link>https://{title}.example/</link>"
        "<description>Latest news</description><language>en</language>"
    ]
    for s in sorted(entries, key=lambda s: s.published, reverse=True):
        html = "".join(f"<p>{escape(p)}</p>" for p in s.paragraphs)
        summary = escape(s.paragraphs[0] if s.full else html)
        parts.append(
            f"<item><title>{escape(s.title)}</title><link>{escape(s.link)}</link>"
            f'<guid isPermaLink="false">{escape(s.guid)}</guid>'
            f"<pubDate>{format_datetime(s.published)}</pubDate>"
            f"<description>{summary}</description>"
            + (f"<content:encoded><![CDATA[{html}]]></content:encoded>" if s.full else "")
            + "</item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


def write_corpus(directory: Path, items: int = 10_000, feeds: int = 20, seed: int = 2024) -> Corpus:
    """Write the corpus as ``feeds`` RSS files under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    by_feed: dict[int, list[Story]] = {n: [] for n in range(feeds)}
    pairs = stories(items, feeds, seed)
    for outlet, story in pairs:
        by_feed[outlet].append(story)
    corpus = Corpus(files=[], stories=[s for _, s in pairs])
    for n, entries in by_feed.items():
        path = directory / f"feed{n:03d}.xml"
        body = rss(f"feed{n}", entries)
        path.write_bytes(body)
        corpus.files.append(path)
        corpus.bytes += len(body)
    corpus.items = len(pairs)
    corpus.attack_items = sum(s.attack for _, s in pairs)
    corpus.copies = sum(s.copy for _, s in pairs)
    return corpus
