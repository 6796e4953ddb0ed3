"""Deterministic generator of realistic synthetic political ads in paidfor's native JSON lines.

    python bench/generate.py --ads 100000 --seed 1 --out bench/work/ads-100000-s1.jsonl

Every line is one record with exactly the shape of ``paidfor.domain.serialize.ad_to_json``
(``bench/ingest.py`` checks that the first 1,000 records round-trip through ``ad_from_json`` and
back). The same ``--seed`` and ``--ads`` give the same bytes.

What makes it "realistic" (see ``Universe``):

* creative text: 10-80 words drawn from a vocabulary of ~3,000 words with Zipf weights
  (common English first, then invented words), plus 0-3 political/issue phrases;
* ~N/20 pages (numeric page ids, names) chosen with a power law, so a few pages run many ads;
* ~N/50 funders ("Friends of X", "X for Congress", "X Action Fund", ...); each page is paid for
  by 1-2 of them;
* landing URLs on 300 domains (Zipf), targeting (mostly US; GB/DE/FR/CA; regions, ages,
  genders, interests, sometimes custom audiences), delivery (currency mostly USD, some
  EUR/GBP/RUB; long-tailed spend with 2 decimals; impressions ~ spend x U(50, 300); clicks 1-3%
  of impressions; demographic and regional distributions summing to ~1);
* dates 2018-01-01 .. 2024-12-31 with ``+00:00`` offsets.

Speed: the per-ad work is a handful of ``random`` calls and one f-string; everything that can be
shared between ads (pages, funders, targeting specs, distributions) is built once and kept as
ready JSON fragments, in pools whose size does not depend on N more than N/20. Ads are written in
chunks; the generator never holds all ads in memory.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import Any

SOURCE = "bench"
EPOCH_START = int(datetime(2018, 1, 1, tzinfo=UTC).timestamp())
EPOCH_END = int(datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())

# Common English words first (the head of the Zipf curve), then invented ones fill the tail.
COMMON = (
    "the",
    "to",
    "and",
    "of",
    "a",
    "in",
    "for",
    "is",
    "you",
    "our",
    "we",
    "that",
    "this",
    "on",
    "it",
    "be",
    "are",
    "with",
    "your",
    "will",
    "can",
    "not",
    "by",
    "as",
    "at",
    "all",
    "have",
    "more",
    "from",
    "now",
    "us",
    "they",
    "who",
    "has",
    "their",
    "his",
    "her",
    "he",
    "she",
    "was",
    "but",
    "about",
    "people",
    "one",
    "what",
    "them",
    "make",
    "need",
    "every",
    "time",
    "help",
    "get",
    "today",
    "out",
    "do",
    "vote",
    "so",
    "up",
    "just",
    "than",
    "was",
    "year",
    "like",
    "new",
    "only",
    "how",
    "when",
    "families",
    "work",
    "country",
    "right",
    "state",
    "future",
    "want",
    "years",
    "join",
    "fight",
    "keep",
    "stand",
    "because",
    "together",
    "back",
    "these",
    "most",
    "because",
    "over",
    "care",
    "those",
    "very",
    "many",
    "should",
    "every",
    "jobs",
    "know",
    "take",
    "still",
    "first",
    "day",
    "best",
    "local",
    "community",
    "support",
    "change",
    "american",
    "america",
    "nation",
    "children",
    "family",
    "schools",
    "school",
    "home",
    "tax",
    "taxes",
    "plan",
    "money",
    "pay",
    "costs",
    "cost",
    "working",
    "class",
    "city",
    "county",
    "district",
    "voters",
    "voting",
    "election",
    "elections",
    "ballot",
    "november",
    "primary",
    "campaign",
    "candidate",
    "leader",
    "leadership",
    "congress",
    "senate",
    "house",
    "governor",
    "mayor",
    "council",
    "president",
    "representative",
    "senator",
    "legislature",
    "law",
    "laws",
    "bill",
    "rights",
    "freedom",
    "freedoms",
    "liberty",
    "justice",
    "equal",
    "fair",
    "safe",
    "safety",
    "secure",
    "security",
    "economy",
    "economic",
    "growth",
    "business",
    "businesses",
    "small",
    "workers",
    "wages",
    "wage",
    "union",
    "unions",
    "jobs",
    "trade",
    "health",
    "healthcare",
    "insurance",
    "medicare",
    "medicaid",
    "hospital",
    "doctors",
    "nurses",
    "prescription",
    "drugs",
    "climate",
    "energy",
    "oil",
    "gas",
    "clean",
    "water",
    "air",
    "environment",
    "land",
    "farmers",
    "rural",
    "farms",
    "food",
    "prices",
    "immigration",
    "border",
    "borders",
    "wall",
    "police",
    "crime",
    "guns",
    "gun",
    "violence",
    "amendment",
    "constitution",
    "court",
    "courts",
    "judge",
    "judges",
    "supreme",
    "abortion",
    "women",
    "men",
    "veterans",
    "military",
    "troops",
    "war",
    "peace",
    "world",
    "education",
    "teachers",
    "students",
    "college",
    "tuition",
    "debt",
    "loans",
    "housing",
    "rent",
    "homes",
    "seniors",
    "social",
    "benefits",
    "retirement",
    "pension",
    "budget",
    "spending",
    "deficit",
    "government",
    "federal",
    "washington",
    "politicians",
    "corruption",
    "lobbyists",
    "special",
    "interests",
    "donors",
    "dark",
    "truth",
    "lies",
    "facts",
    "news",
    "media",
    "record",
    "votes",
    "voted",
    "fought",
    "fighting",
    "protect",
    "protecting",
    "defend",
    "defending",
    "lower",
    "raise",
    "cut",
    "cuts",
    "stop",
    "block",
    "pass",
    "passed",
    "support",
    "supports",
    "oppose",
    "against",
    "for",
    "yes",
    "no",
    "never",
    "always",
    "again",
    "real",
    "true",
    "strong",
    "stronger",
    "better",
    "worse",
    "bad",
    "good",
    "great",
    "proud",
    "hard",
    "honest",
    "independent",
    "conservative",
    "liberal",
    "progressive",
    "democrat",
    "democrats",
    "republican",
    "republicans",
    "party",
    "parties",
    "left",
    "right",
    "radical",
    "extreme",
    "agenda",
    "values",
    "faith",
    "church",
    "god",
    "bless",
    "freedom",
    "hope",
    "dream",
    "opportunity",
    "chance",
    "everyone",
    "everybody",
    "neighbors",
    "friends",
    "parents",
    "kids",
    "grandparents",
    "generation",
    "future",
    "tomorrow",
    "morning",
    "night",
    "week",
    "month",
    "today",
    "deadline",
    "donate",
    "donation",
    "chip",
    "give",
    "contribute",
    "match",
    "matching",
    "goal",
    "sign",
    "petition",
    "add",
    "name",
    "survey",
    "poll",
    "polls",
    "win",
    "winning",
    "lose",
    "race",
    "seat",
    "flip",
    "red",
    "blue",
    "swing",
    "districts",
    "counties",
    "towns",
    "main",
    "street",
    "wall",
    "street",
    "billionaires",
    "corporations",
    "big",
    "pharma",
    "companies",
    "tech",
    "privacy",
    "internet",
    "broadband",
    "roads",
    "bridges",
    "transit",
    "infrastructure",
    "build",
    "building",
    "rebuild",
    "invest",
    "investment",
    "affordable",
    "access",
    "quality",
)

SYLLABLES = (
    "ba",
    "be",
    "bi",
    "bo",
    "bu",
    "da",
    "de",
    "di",
    "do",
    "du",
    "fa",
    "fe",
    "fi",
    "fo",
    "ka",
    "ke",
    "ki",
    "ko",
    "la",
    "le",
    "li",
    "lo",
    "lu",
    "ma",
    "me",
    "mi",
    "mo",
    "mu",
    "na",
    "ne",
    "ni",
    "no",
    "nu",
    "pa",
    "pe",
    "pi",
    "po",
    "ra",
    "re",
    "ri",
    "ro",
    "ru",
    "sa",
    "se",
    "si",
    "so",
    "ta",
    "te",
    "ti",
    "to",
    "tu",
    "va",
    "ve",
    "vi",
    "vo",
    "za",
    "ze",
    "zo",
    "an",
    "en",
    "in",
    "on",
    "ar",
    "er",
    "or",
    "al",
    "el",
    "il",
    "ol",
    "st",
    "tr",
    "pl",
    "gr",
    "br",
    "cl",
)

PHRASES = (
    "health care",
    "affordable care act",
    "border security",
    "climate change",
    "second amendment",
    "voting rights",
    "election integrity",
    "minimum wage",
    "student debt",
    "social security",
    "medicare for all",
    "tax cuts",
    "gun safety",
    "background checks",
    "law enforcement",
    "defund the police",
    "back the blue",
    "reproductive rights",
    "right to life",
    "school choice",
    "public schools",
    "clean energy",
    "green new deal",
    "energy independence",
    "drain the swamp",
    "build the wall",
    "dark money",
    "citizens united",
    "term limits",
    "balanced budget",
    "national debt",
    "prescription drug prices",
    "opioid epidemic",
    "mental health",
    "affordable housing",
    "paid family leave",
    "child care",
    "equal pay",
    "union jobs",
    "small businesses",
    "family farms",
    "rural broadband",
    "veterans benefits",
    "religious liberty",
    "free speech",
    "fake news",
    "big tech censorship",
    "foreign interference",
    "make america great again",
    "build back better",
    "stop the steal",
    "count every vote",
    "early voting",
    "mail in ballots",
    "voter id",
    "redistricting reform",
    "supreme court",
    "police reform",
    "criminal justice reform",
    "immigration reform",
    "path to citizenship",
    "sanctuary cities",
    "chain migration",
    "black lives matter",
    "all lives matter",
    "fossil fuels",
    "fracking ban",
    "pipeline jobs",
    "inflation reduction act",
    "cost of living",
    "gas prices",
    "grocery prices",
    "interest rates",
    "brexit means brexit",
    "get brexit done",
    "national health service",
    "cost of living crisis",
    "energiewende",
    "klimaschutz jetzt",
    "pouvoir d'achat",
    "retraites",
    "carbon tax",
    "pharmacare",
    "universal basic income",
)

CTAS = (
    "Donate now",
    "Chip in $5",
    "Sign the petition",
    "Vote early",
    "Learn more",
    "Take the survey",
    "Join us",
    "Find your polling place",
    "Register to vote",
    "Add your name",
    "Shop now",
    "Watch the video",
    "Read the plan",
    "RSVP today",
)

FIRST = (
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Margaret",
    "Donald",
    "Sandra",
    "Steven",
    "Ashley",
    "Paul",
    "Kimberly",
    "Andrew",
    "Emily",
    "Joshua",
    "Donna",
    "Kenneth",
    "Michelle",
    "Kevin",
    "Carol",
    "Brian",
    "Amanda",
    "George",
    "Melissa",
    "Timothy",
    "Deborah",
    "Ronald",
    "Stephanie",
    "Jason",
    "Rebecca",
    "Edward",
    "Sharon",
    "Jeffrey",
    "Laura",
    "Ryan",
    "Cynthia",
    "Jacob",
    "Kathleen",
    "Gary",
    "Amy",
    "Nicholas",
    "Angela",
    "Eric",
    "Shirley",
    "Jonathan",
    "Anna",
    "Stephen",
    "Brenda",
    "Larry",
    "Pamela",
    "Justin",
    "Emma",
    "Scott",
    "Nicole",
    "Brandon",
    "Helen",
    "Benjamin",
    "Samantha",
    "Samuel",
    "Katherine",
    "Gregory",
    "Christine",
    "Alexander",
    "Debra",
    "Frank",
    "Rachel",
    "Patrick",
    "Carolyn",
    "Raymond",
    "Janet",
    "Jack",
    "Catherine",
    "Dennis",
    "Maria",
    "Jerry",
    "Heather",
    "Tyler",
    "Diane",
)
LAST = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
    "Powell",
    "Jenkins",
    "Perry",
)
CAUSES = (
    "Clean Air",
    "Safe Streets",
    "Working Families",
    "Fair Elections",
    "Lower Taxes",
    "Affordable Health Care",
    "Secure Borders",
    "Public Schools",
    "Gun Safety",
    "Gun Rights",
    "Life",
    "Choice",
    "Prosperity",
    "Energy Independence",
    "Veterans",
    "Seniors",
    "Small Business",
    "Family Farms",
    "Clean Water",
    "Opportunity",
    "Liberty",
    "Justice",
    "Responsible Government",
    "Good Jobs",
    "Affordable Housing",
    "Patriots",
    "Progress",
)

US_STATES = (
    "California",
    "Texas",
    "Florida",
    "New York",
    "Pennsylvania",
    "Illinois",
    "Ohio",
    "Georgia",
    "North Carolina",
    "Michigan",
    "New Jersey",
    "Virginia",
    "Washington",
    "Arizona",
    "Massachusetts",
    "Tennessee",
    "Indiana",
    "Maryland",
    "Missouri",
    "Wisconsin",
    "Colorado",
    "Minnesota",
    "South Carolina",
    "Alabama",
    "Louisiana",
    "Kentucky",
    "Oregon",
    "Oklahoma",
    "Connecticut",
    "Utah",
    "Iowa",
    "Nevada",
    "Arkansas",
    "Mississippi",
    "Kansas",
    "New Mexico",
    "Nebraska",
    "Idaho",
    "West Virginia",
    "Hawaii",
    "New Hampshire",
    "Maine",
    "Montana",
    "Rhode Island",
    "Delaware",
    "South Dakota",
    "North Dakota",
    "Alaska",
    "Vermont",
    "Wyoming",
)
REGIONS: dict[str, tuple[str, ...]] = {
    "US": tuple(US_STATES),
    "GB": (
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "London",
        "South East",
        "North West",
        "West Midlands",
        "Yorkshire and the Humber",
        "East of England",
    ),
    "DE": (
        "Bayern",
        "Berlin",
        "Nordrhein-Westfalen",
        "Baden-Württemberg",
        "Hessen",
        "Sachsen",
        "Niedersachsen",
        "Hamburg",
        "Brandenburg",
        "Thüringen",
    ),
    "FR": (
        "Île-de-France",
        "Auvergne-Rhône-Alpes",
        "Occitanie",
        "Nouvelle-Aquitaine",
        "Hauts-de-France",
        "Grand Est",
        "Bretagne",
        "Normandie",
        "Provence-Alpes-Côte d'Azur",
    ),
    "CA": (
        "Ontario",
        "Quebec",
        "British Columbia",
        "Alberta",
        "Manitoba",
        "Saskatchewan",
        "Nova Scotia",
        "New Brunswick",
    ),
}
COUNTRIES = ("US", "GB", "DE", "FR", "CA")
COUNTRY_WEIGHTS = (80, 7, 5, 4, 4)
LANGUAGES = {"US": ("en",), "GB": ("en",), "DE": ("de",), "FR": ("fr",), "CA": ("en",)}
INTERESTS = (
    "Politics",
    "Politics and social issues",
    "Conservatism",
    "Liberalism",
    "Democratic Party",
    "Republican Party",
    "Donald Trump",
    "Barack Obama",
    "Hillary Clinton",
    "Bernie Sanders",
    "Fox News",
    "CNN",
    "MSNBC",
    "NPR",
    "The New York Times",
    "Breitbart",
    "Tea Party movement",
    "Second Amendment",
    "National Rifle Association",
    "Environmentalism",
    "Climate change",
    "Sierra Club",
    "Planned Parenthood",
    "Pro-life movement",
    "Christianity",
    "Catholic Church",
    "Evangelicalism",
    "Veterans",
    "United States Army",
    "Hunting",
    "Fishing",
    "Farming",
    "Small business",
    "Entrepreneurship",
    "Labor union",
    "Teachers",
    "Nursing",
    "Healthcare",
    "Education",
    "Higher education",
    "Immigration",
    "Human rights",
    "LGBT community",
    "Black Lives Matter",
    "Feminism",
    "Social justice",
    "Charity and causes",
    "Volunteering",
    "Community issues",
    "Local news",
    "Football",
    "Baseball",
    "NASCAR",
    "Country music",
    "Hip hop music",
    "Parenting",
    "Motherhood",
    "Retirement",
    "AARP",
    "Medicare",
    "Social Security",
    "Real estate",
    "Homeownership",
    "Personal finance",
    "Investing",
    "Cryptocurrency",
    "Technology",
    "Gun rights",
    "Law enforcement",
    "Firefighters",
)
BEHAVIORS = (
    "Likely to engage with political content (conservative)",
    "Likely to engage with political content (liberal)",
    "Likely to engage with political content (moderate)",
    "Multicultural Affinity: African American (US)",
    "Multicultural Affinity: Hispanic (US - All)",
    "Frequent travelers",
    "Small business owners",
    "Technology early adopters",
    "Facebook Page admins",
    "Veterans in the US",
)
CUSTOM_AUDIENCES = (
    "Website visitors 180 days",
    "Donors 2018",
    "Donors 2020",
    "Donors 2022",
    "Email list",
    "Volunteer list",
    "Voter file match",
    "Petition signers",
    "Video viewers 75%",
    "Lookalike (US, 1%) - Donors",
    "Lookalike (US, 2%) - Email list",
    "Event RSVPs",
)
PLACEMENTS = (
    "Facebook Feeds",
    "Instagram Feed",
    "Instagram Stories",
    "Audience Network",
    "Messenger Inbox",
    "Facebook Right Column",
    "Facebook Marketplace",
)
PLATFORM_SETS = (
    (("facebook",), 25),
    (("facebook", "instagram"), 35),
    (("facebook", "instagram", "audience_network", "messenger"), 20),
    (("instagram",), 8),
    (("facebook", "messenger"), 5),
    (("facebook", "instagram", "messenger"), 5),
    (("facebook", "audience_network"), 2),
)
AGE_BUCKETS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
GENDERS = ("female", "male", "unknown")
SPEND_BUCKETS = (0, 100, 500, 1000, 5000, 10_000, 50_000, 100_000, 200_000, 500_000, 1_000_000)
IMPRESSION_BUCKETS = (0, 1000, 5000, 10_000, 50_000, 100_000, 200_000, 500_000, 1_000_000)
TLDS = (".com", ".com", ".com", ".org", ".org", ".net", ".us", ".co.uk", ".de", ".fr", ".ca")


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _zipf_cum(n: int, s: float = 1.07) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank**s) for rank in range(1, n + 1)))


def _skewed(rng: Random, n: int, power: float) -> int:
    """An index in [0, n) where small indices are much more likely (a power law)."""
    return min(int(n * rng.random() ** power), n - 1)


def _distribution(rng: Random, keys: Sequence[dict[str, str]], skew: float) -> list[dict[str, str]]:
    weights = [rng.random() ** skew + 0.01 for _ in keys]
    total = sum(weights)
    return [{"percentage": f"{w / total:.3f}", **k} for w, k in zip(weights, keys, strict=True)]


def _bucket(value: float, edges: Sequence[int]) -> str:
    for lower, upper in itertools.pairwise(edges):
        if value < upper:
            return f'{{"lower": {lower}, "upper": {upper - 1}}}'
    return f'{{"lower": {edges[-1]}, "upper": null}}'


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


class Universe:
    """Everything shared between ads, built once from the seed: vocabularies and pools of
    ready-made JSON fragments (pages, funders, targeting specs, distributions)."""

    def __init__(self, n_ads: int, seed: int) -> None:
        rng = Random(seed * 7919 + 17)
        self.vocab = self._vocabulary(rng, 3000)
        self.vocab_cum = _zipf_cum(len(self.vocab))
        self.domains = self._domains(rng, 300)
        self.domain_cum = _zipf_cum(len(self.domains), 1.0)
        self.funders = self._funders(rng, max(2, n_ads // 50))
        self.pages = self._pages(rng, max(5, n_ads // 20), len(self.funders))
        self.targeting = [self._targeting(rng) for _ in range(4096)]
        self.demographics = [self._demographics(rng) for _ in range(4096)]
        self.regions: dict[str, list[str]] = {}
        for country, names in REGIONS.items():
            pool = []
            for _ in range(512):
                chosen = rng.sample(names, rng.randint(1, min(len(names), 8)))
                pool.append(_dump(_distribution(rng, [{"region": r} for r in chosen], 3.0)))
            self.regions[country] = pool
        self.platforms = [_dump(list(p)) for p, _ in PLATFORM_SETS]
        self.platform_cum = list(itertools.accumulate(w for _, w in PLATFORM_SETS))

    @staticmethod
    def _demographics(rng: Random) -> str:
        """A delivery split by age bucket and gender over a run of age buckets (an ad aimed at
        older voters reaches no 18-24s), sometimes with an "unknown" gender."""
        lo = rng.choice((0, 0, 0, 1, 2, 3))
        hi = rng.choice((6, 6, 6, 5, 4))
        genders = GENDERS if rng.random() < 0.3 else GENDERS[:2]
        keys = [{"age": a, "gender": g} for a in AGE_BUCKETS[lo:hi] for g in genders]
        return _dump(_distribution(rng, keys, 2.0))

    @staticmethod
    def _vocabulary(rng: Random, size: int) -> list[str]:
        words = list(dict.fromkeys(COMMON))
        seen = set(words)
        while len(words) < size:
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
            if word not in seen:
                seen.add(word)
                words.append(word)
        return words

    @staticmethod
    def _domains(rng: Random, size: int) -> list[str]:
        out: list[str] = []
        seen: set[str] = set()
        while len(out) < size:
            shape = rng.random()
            if shape < 0.4:
                office = rng.choice(("congress", "senate", "america", "governor", "mayor"))
                base = f"{rng.choice(LAST).lower()}for{office}"
            elif shape < 0.7:
                tail = rng.choice(("now", "action", "fund", "pac", ""))
                base = rng.choice(CAUSES).lower().replace(" ", "") + tail
            else:
                tail = rng.choice(("news", "vote", "report", ""))
                base = "".join(rng.choice(SYLLABLES) for _ in range(3)) + tail
            domain = base + rng.choice(TLDS)
            if domain not in seen:
                seen.add(domain)
                out.append(domain)
        return out

    @staticmethod
    def _person(rng: Random) -> str:
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"

    def _funders(self, rng: Random, size: int) -> list[str]:
        templates = (
            "Friends of {p}",
            "{p} for Congress",
            "{l} for Senate",
            "{c} Action Fund",
            "Committee to Elect {p}",
            "Americans for {c}",
            "{c} PAC",
            "{p} for Governor",
            "Citizens for {c}",
            "{l} Victory Fund",
            "{c} Now",
            "{st} Democratic Party",
            "{st} Republican Party",
            "{c} Alliance",
            "People for {p}",
        )
        out: list[str] = []
        seen: set[str] = set()
        suffix = itertools.count(2)
        while len(out) < size:
            name = rng.choice(templates).format(
                p=self._person(rng),
                l=rng.choice(LAST),
                c=rng.choice(CAUSES),
                st=rng.choice(US_STATES),
            )
            if name in seen:
                name = f"{name} {next(suffix)}"
            seen.add(name)
            out.append(name)
        return out

    def _pages(self, rng: Random, size: int, n_funders: int) -> list[tuple[str, list[int], str]]:
        """(page JSON, funder indices, country) per page; the first pages get the most ads."""
        kinds = (
            "{p}",
            "{p}",
            "{c} Now",
            "{st} for {c}",
            "The {c} Project",
            "{l} News Daily",
            "Stand Up for {c}",
            "{st} Voters",
            "Senator {p}",
            "Rep. {p}",
        )
        pages = []
        for index in range(size):
            country = rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0]
            name = rng.choice(kinds).format(
                p=self._person(rng),
                l=rng.choice(LAST),
                c=rng.choice(CAUSES),
                st=rng.choice(US_STATES),
            )
            page_id = str(100_000_000_000 + rng.randrange(10**12) * 7 + index)
            created = rng.randrange(EPOCH_START - 8 * 365 * 86400, EPOCH_END - 30 * 86400)
            page = {
                "name": name,
                "kind": "page",
                "external_id": page_id,
                "url": f"https://www.facebook.com/{page_id}",
                "country": country,
                "created_at": _iso(created),
            }
            funders = [_skewed(rng, n_funders, 1.6)]
            if rng.random() < 0.3:
                funders.append(rng.randrange(n_funders))
            pages.append((_dump(page), funders, country))
        return pages

    def _targeting(self, rng: Random) -> tuple[str, str]:
        country = rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0]
        locations = []
        if rng.random() < 0.45:
            locations.append(
                {"country": country, "region": None, "city": None, "radius_km": None, "raw": None}
            )
        else:
            for region in rng.sample(REGIONS[country], rng.randint(1, 3)):
                locations.append(
                    {
                        "country": country,
                        "region": region,
                        "city": None,
                        "radius_km": None,
                        "raw": f"{region}, {country}",
                    }
                )
        age_min = rng.choice((18, 18, 18, 21, 25, 30, 35, 45, 55))
        age_max = rng.choice((None, None, 65, 64, 54, 44, 34))
        if age_max is not None and age_max <= age_min:
            age_max = None
        genders = rng.choice(([], [], [], [], ["female"], ["male"]))
        interests = rng.sample(INTERESTS, rng.choice((0, 0, 1, 2, 3, 5)))
        behaviors = rng.sample(BEHAVIORS, 1) if rng.random() < 0.15 else []
        custom = rng.sample(CUSTOM_AUDIENCES, rng.randint(1, 2)) if rng.random() < 0.2 else []
        excluded = rng.sample(CUSTOM_AUDIENCES, 1) if custom and rng.random() < 0.3 else []
        spec = {
            "locations": locations,
            "excluded_locations": [],
            "age_min": age_min,
            "age_max": age_max,
            "genders": genders,
            "languages": list(LANGUAGES[country]) if rng.random() < 0.3 else [],
            "placements": rng.sample(PLACEMENTS, rng.randint(1, 3)) if rng.random() < 0.4 else [],
            "interests": interests,
            "behaviors": behaviors,
            "people_who_match": [f"Interests: {i}" for i in interests[:1]],
            "custom_audiences": custom,
            "excluded_connections": excluded,
            "connections": [],
            "friends_of_connections": [],
            "raw": {},
            "excluded_behaviors": [],
        }
        return _dump(spec), country


CURRENCY = {
    "US": ("USD",) * 97 + ("RUB",) * 3,
    "GB": ("GBP",) * 95 + ("USD",) * 3 + ("RUB",) * 2,
    "DE": ("EUR",) * 96 + ("USD",) * 2 + ("RUB",) * 2,
    "FR": ("EUR",) * 97 + ("USD",) * 3,
    "CA": ("USD",),
}
WORD_STREAM = 1 << 20  # words drawn once from the Zipf law; an ad takes a random run of them
TABLE = 1 << 14  # size of the other pre-drawn sample tables (domains, platforms, phrases)


def _sample_table(rng: Random, items: Sequence[str], cum: Sequence[float], k: int) -> list[str]:
    return rng.choices(items, cum_weights=cum, k=k)


def generate(n_ads: int, seed: int) -> Iterator[str]:
    """The JSON lines (with newline) of ``n_ads`` ads, one at a time.

    Per ad, only cheap operations: ``random()`` draws indexing pre-drawn tables. The creative
    text is a random run of a long pre-drawn stream of Zipf-distributed words (so its words
    follow the Zipf law), with 0-3 issue phrases spliced in.
    """
    u = Universe(n_ads, seed)
    rng = Random(seed)
    rand = rng.random
    getrandbits = rng.getrandbits
    stream = _sample_table(rng, u.vocab, u.vocab_cum, WORD_STREAM)
    last_start = WORD_STREAM - 100
    domains = _sample_table(rng, u.domains, u.domain_cum, TABLE)
    captions = {d: d.upper() for d in u.domains}
    platforms = _sample_table(rng, u.platforms, u.platform_cum, TABLE)
    phrase_cum = list(itertools.accumulate(1.0 / r for r in range(1, len(PHRASES) + 1)))
    phrases = _sample_table(rng, PHRASES, phrase_cum, TABLE)
    descriptions = [_dump([p.capitalize() + " matters."]) for p in PHRASES]
    pages, targeting = u.pages, u.targeting
    funders = [_dump({"name": f}) for f in u.funders]
    n_pages, n_targeting, n_phrases = len(pages), len(targeting), len(PHRASES)
    demographics, n_demo = u.demographics, len(u.demographics)
    regions = u.regions
    n_ctas = len(CTAS)
    exp = math.exp
    days = [
        datetime.fromtimestamp(EPOCH_START + d * 86400, UTC).strftime("%Y-%m-%dT")
        for d in range((EPOCH_END - EPOCH_START) // 86400 + 1)
    ]
    clock = [
        f"{h:02d}:{m:02d}:{sec:02d}+00:00"
        for h in range(24)
        for m in range(60)
        for sec in range(60)
    ]
    span = EPOCH_END - EPOCH_START - 90 * 86400
    spend_ranges = [_bucket(e, SPEND_BUCKETS) for e in SPEND_BUCKETS]
    impression_ranges = [_bucket(e, IMPRESSION_BUCKETS) for e in IMPRESSION_BUCKETS]
    currencies = {c: (v, len(v)) for c, v in CURRENCY.items()}
    languages = {c: _dump(list(v)) for c, v in LANGUAGES.items()}
    for i in range(n_ads):
        page_json, page_funders, page_country = pages[int(n_pages * rand() ** 2.5)]
        funder = funders[
            page_funders[0] if len(page_funders) == 1 or rand() < 0.7 else page_funders[1]
        ]
        # Targeting: a page mostly targets its own country.
        spec, country = targeting[int(n_targeting * rand())]
        if country != page_country and rand() < 0.8:
            for _ in range(8):
                spec, country = targeting[int(n_targeting * rand())]
                if country == page_country:
                    break

        # Creative text: 10-80 Zipf words, 0-3 issue phrases, sometimes a call to action.
        start = int(last_start * rand())
        words = stream[start : start + 10 + int(70 * rand() ** 1.5)]
        for _ in range(int(rand() * 4)):
            words.insert(int(len(words) * rand()), phrases[getrandbits(14)])
        words[0] = words[0].capitalize()
        body = " ".join(words) + (f". {CTAS[int(n_ctas * rand())]}!" if rand() < 0.6 else ".")
        start = int(last_start * rand())
        title = " ".join(stream[start : start + 3 + int(6 * rand())]).title()
        domain = domains[getrandbits(14)]
        start = int(last_start * rand())
        slug = "-".join(stream[start : start + 2 + int(3 * rand())])
        desc = descriptions[int(n_phrases * rand())] if rand() < 0.4 else "[]"

        # Delivery: a long tail of spend (log-normal-ish), impressions ~ spend x U(50, 300).
        cur, n_cur = currencies[country]
        currency = cur[int(n_cur * rand())]
        spend = 0.0 if rand() < 0.03 else exp(3.5 + 3.8 * (rand() + rand() + rand() - 1.5))
        usd = spend * 0.013 if currency == "RUB" else spend
        impressions = int(usd * (50 + 250 * rand())) + int(5 * rand())
        clicks = int(impressions * (0.01 + 0.02 * rand()))
        created = int(span * rand())
        started = created + int(3 * 86400 * rand())
        running = rand() < 0.12
        if running:
            stop = "null"
        else:
            stopped = started + 86400 + int(60 * 86400 * rand())
            stop = f'"{days[stopped // 86400]}{clock[stopped % 86400]}"'
        reached = f'["{country}"]' if rand() < 0.97 else f'["{country}","US"]'
        langs = languages[country] if rand() < 0.9 else '["en","es"]'
        region_pool = regions[country]
        # Text pieces are plain ASCII words and phrases without quotes or backslashes, so
        # they need no JSON escaping; everything else was encoded with json.dumps up front.
        yield (
            f'{{"kind":"ad","source":"{SOURCE}","external_id":"bench-{seed}-{i:08d}",'
            f'"creative":{{"bodies":["{body}"],"link_titles":["{title}"],'
            f'"link_captions":["{captions[domain]}"],"link_descriptions":{desc},'
            f'"landing_url":"https://{domain}/{slug}?utm_source=fb&utm_campaign=c'
            f'{getrandbits(13)}","image_hashes":["{getrandbits(128):032x}"]}},'
            f'"page":{page_json},"funder":{funder},"advertiser":null,"targeting":{spec},'
            f'"delivery":{{"currency":"{currency}","spend":"{spend:.2f}","spend_usd":null,'
            f'"spend_range":{spend_ranges[bisect_right(SPEND_BUCKETS, usd) - 1]},'
            f'"impressions":{impressions},'
            f'"impressions_range":'
            f"{impression_ranges[bisect_right(IMPRESSION_BUCKETS, impressions) - 1]},"
            f'"clicks":{clicks},'
            f'"demographic_distribution":{demographics[int(n_demo * rand())]},'
            f'"delivery_by_region":{region_pool[int(len(region_pool) * rand())]},'
            f'"reached_countries":{reached}}},'
            f'"created_at":"{days[created // 86400]}{clock[created % 86400]}",'
            f'"start_at":"{days[started // 86400]}{clock[started % 86400]}",'
            f'"stop_at":{stop},"status":"{"running" if running else "stopped"}",'
            f'"removal_reason":null,"is_political":true,'
            f'"political_score":{round(0.5 + 0.5 * rand(), 3)},'
            f'"platforms":{platforms[getrandbits(14)]},"languages":{langs},'
            f'"ad_type":"POLITICAL_AND_ISSUE_ADS"}}\n'
        )


def write(n_ads: int, seed: int, out: Path, chunk: int = 5000) -> float:
    """Write the file (atomically: a temporary name, then rename; a device such as /dev/null
    is written directly); returns seconds taken."""
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic = not out.exists() or out.is_file()
    tmp = out.with_name(out.name + ".part") if atomic else out
    started = time.perf_counter()
    with open(tmp, "w", encoding="utf-8") as f:
        lines = generate(n_ads, seed)
        while True:
            block = list(itertools.islice(lines, chunk))
            if not block:
                break
            f.write("".join(block))
    if atomic:
        tmp.replace(out)
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ads", type=int, required=True, help="number of ads")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="output .jsonl file")
    args = parser.parse_args(argv)
    seconds = write(args.ads, args.seed, args.out)
    size = args.out.stat().st_size
    print(
        json.dumps(
            {
                "ads": args.ads,
                "seed": args.seed,
                "out": str(args.out),
                "bytes": size,
                "seconds": round(seconds, 3),
                "ads_per_s": round(args.ads / seconds),
            }
        ),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
