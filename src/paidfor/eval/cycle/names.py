"""Contract: the nouns of a cycle world, as constant tables and pure pickers.

US states (name, postal code, a few cities), county names, people's names by culture,
organisation stems, abroad markets (country, currency, account language, targeting language),
popular landing domains and the shared sentence of a vendor. Every picker takes the
``random.Random`` it draws from; nothing here keeps state, so the same draws give the same nouns.
"""

from __future__ import annotations

from random import Random

STATES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Arizona", "AZ", ("Phoenix", "Tucson", "Mesa", "Flagstaff")),
    ("Georgia", "GA", ("Atlanta", "Savannah", "Macon", "Athens")),
    ("Michigan", "MI", ("Detroit", "Grand Rapids", "Lansing", "Flint")),
    ("Nevada", "NV", ("Las Vegas", "Reno", "Henderson", "Carson City")),
    ("North Carolina", "NC", ("Charlotte", "Raleigh", "Greensboro", "Asheville")),
    ("Pennsylvania", "PA", ("Philadelphia", "Pittsburgh", "Erie", "Scranton")),
    ("Wisconsin", "WI", ("Milwaukee", "Madison", "Green Bay", "Eau Claire")),
    ("Ohio", "OH", ("Columbus", "Cleveland", "Dayton", "Toledo")),
    ("Texas", "TX", ("Houston", "Austin", "El Paso", "Lubbock")),
    ("Florida", "FL", ("Tampa", "Miami", "Orlando", "Pensacola")),
    ("Virginia", "VA", ("Richmond", "Norfolk", "Roanoke", "Arlington")),
    ("Minnesota", "MN", ("Minneapolis", "Duluth", "Rochester", "St. Cloud")),
    ("Colorado", "CO", ("Denver", "Pueblo", "Boulder", "Grand Junction")),
    ("Iowa", "IA", ("Des Moines", "Cedar Rapids", "Davenport", "Sioux City")),
    ("Maine", "ME", ("Portland", "Bangor", "Lewiston", "Augusta")),
    ("New Hampshire", "NH", ("Manchester", "Nashua", "Concord", "Keene")),
    ("Montana", "MT", ("Billings", "Missoula", "Bozeman", "Helena")),
    ("Oregon", "OR", ("Portland", "Eugene", "Salem", "Bend")),
    ("Missouri", "MO", ("St. Louis", "Kansas City", "Springfield", "Columbia")),
    ("Kansas", "KS", ("Wichita", "Topeka", "Lawrence", "Salina")),
    ("New Mexico", "NM", ("Albuquerque", "Santa Fe", "Las Cruces", "Roswell")),
    ("Alabama", "AL", ("Birmingham", "Mobile", "Huntsville", "Montgomery")),
    ("Nebraska", "NE", ("Omaha", "Lincoln", "Kearney", "Grand Island")),
    ("New York", "NY", ("Buffalo", "Albany", "Syracuse", "Rochester")),
    ("California", "CA", ("Fresno", "Sacramento", "San Diego", "Bakersfield")),
    ("Illinois", "IL", ("Chicago", "Peoria", "Springfield", "Rockford")),
)
SWING = ("Arizona", "Georgia", "Michigan", "Nevada", "North Carolina", "Pennsylvania", "Wisconsin")

COUNTIES = (
    "Adams",
    "Allen",
    "Benton",
    "Boone",
    "Butler",
    "Carroll",
    "Cass",
    "Clark",
    "Clay",
    "Clinton",
    "Crawford",
    "Douglas",
    "Franklin",
    "Fulton",
    "Grant",
    "Greene",
    "Hamilton",
    "Hancock",
    "Harrison",
    "Henry",
    "Jackson",
    "Jasper",
    "Jefferson",
    "Johnson",
    "Knox",
    "Lake",
    "Lawrence",
    "Lee",
    "Lincoln",
    "Logan",
    "Madison",
    "Marion",
    "Marshall",
    "Monroe",
    "Montgomery",
    "Morgan",
    "Perry",
    "Pike",
    "Polk",
    "Putnam",
    "Randolph",
    "Scott",
    "Shelby",
    "Union",
    "Warren",
    "Washington",
    "Wayne",
    "Webster",
)

GIVEN = (
    "Avery",
    "Jordan",
    "Maria",
    "James",
    "Linda",
    "Robert",
    "Keisha",
    "Tom",
    "Priya",
    "Carlos",
    "Megan",
    "Darnell",
    "Susan",
    "Eric",
    "Hannah",
    "Luis",
    "Grace",
    "Kevin",
    "Monica",
    "Paul",
    "Tanya",
    "Victor",
    "Rachel",
    "Dennis",
    "Aisha",
    "Brian",
    "Colleen",
    "Hector",
    "Julie",
    "Marcus",
    "Nora",
    "Owen",
    "Pamela",
    "Ruben",
    "Sharon",
    "Travis",
    "Wendy",
    "Zach",
    "Leah",
    "Gordon",
    "Diane",
    "Felix",
    "Irene",
    "Caleb",
    "Brenda",
    "Andre",
    "Molly",
    "Curtis",
)
FAMILY = (
    "Alvarez",
    "Baker",
    "Brennan",
    "Caldwell",
    "Chen",
    "Dawson",
    "Delgado",
    "Ellison",
    "Foster",
    "Garrison",
    "Hale",
    "Hughes",
    "Ingram",
    "Jenkins",
    "Kowalski",
    "Lindqvist",
    "Mbeki",
    "Nakamura",
    "Novak",
    "Okafor",
    "Pruitt",
    "Quinlan",
    "Reyes",
    "Sandoval",
    "Schultz",
    "Tate",
    "Underwood",
    "Vance",
    "Whitaker",
    "Yates",
    "Zamora",
    "Patel",
    "Moreau",
    "Holloway",
    "Castillo",
    "Fitzgerald",
    "Greer",
    "Haddad",
    "Larsen",
    "Mahoney",
    "Ortiz",
    "Pham",
    "Rowe",
)

# language setting -> (given names, family names, home country)
CULTURES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "ru": (
        ("Dmitri", "Olga", "Sergei", "Irina", "Pavel", "Yulia", "Artem", "Ksenia"),
        ("Volkov", "Morozova", "Sokolov", "Petrova", "Lebedev", "Orlova", "Kuznetsov"),
        "RU",
    ),
    "uk_UA": (
        ("Taras", "Oksana", "Bohdan", "Larysa"),
        ("Shevchenko", "Bondarenko", "Kovalenko"),
        "UA",
    ),
    "es_LA": (("Alejandro", "Lucia", "Javier", "Camila"), ("Hernandez", "Garcia", "Rojas"), "MX"),
    "zh_CN": (("Wei", "Li Na", "Jun", "Mei"), ("Zhang", "Liu", "Huang"), "CN"),
    "vi_VN": (("Minh", "Lan", "Quang", "Thu"), ("Nguyen", "Tran", "Le"), "VN"),
    "ko_KR": (("Min-jun", "Seo-yeon", "Ji-ho"), ("Kim", "Park", "Choi"), "KR"),
    "ar_AR": (("Omar", "Layla", "Yusuf"), ("Haddad", "Khalil", "Nasser"), "LB"),
    "pl_PL": (("Tomasz", "Agnieszka", "Piotr"), ("Nowak", "Wojcik", "Kaminski"), "PL"),
    "hi_IN": (("Arjun", "Ananya", "Rohan"), ("Sharma", "Iyer", "Reddy"), "IN"),
}
EXPAT_WEIGHTS = (
    ("es_LA", 30),
    ("zh_CN", 10),
    ("vi_VN", 8),
    ("ko_KR", 6),
    ("ru", 9),
    ("uk_UA", 8),
    ("ar_AR", 6),
    ("pl_PL", 5),
    ("hi_IN", 8),
)
TRAVEL = ("MX", "CA", "GB", "FR", "IT", "ES", "DE", "DO", "JP", "IL", "PR", "PT", "GR", "CR")
VPN_ABROAD = ("NL", "CH", "SE", "DE", "GB", "RO")

# country, currency, account language, targeting language, ad language, places
ABROAD: tuple[tuple[str, str, str, str, str, tuple[str, ...]], ...] = (
    ("CA", "CAD", "en_CA", "English", "en", ("Ontario", "British Columbia", "Alberta")),
    ("CA", "CAD", "fr_CA", "French", "fr", ("Quebec",)),
    ("GB", "GBP", "en_GB", "English", "en", ("England", "Scotland", "Wales")),
    ("MX", "MXN", "es_LA", "Spanish", "es", ("Jalisco", "Nuevo León", "Puebla")),
    ("DE", "EUR", "de_DE", "German", "de", ("Bayern", "Berlin", "Hessen")),
    ("FR", "EUR", "fr_FR", "French", "fr", ("Île-de-France", "Bretagne", "Occitanie")),
    ("AU", "AUD", "en_AU", "English", "en", ("Victoria", "Queensland", "New South Wales")),
    ("IE", "EUR", "en_GB", "English", "en", ("Dublin", "Cork", "Galway")),
    ("ES", "EUR", "es_ES", "Spanish", "es", ("Madrid", "Cataluña", "Andalucía")),
)
LOCAL_NAMES = {
    "CA": (
        "Maple Ridge Hardware",
        "Northern Voices Radio",
        "Ontario Credit Union",
        "Lakehead Co-op",
    ),
    "GB": ("Brighton Tenants Union", "Yorkshire Dales Tours", "The Leeds Observer", "Kent Growers"),
    "MX": ("Cooperativa del Bajío", "Radio Tapatía", "Mueblería Hernández", "Colectivo Verde"),
    "DE": ("Bürgerinitiative Isartal", "Bäckerei Hofmann", "Hessischer Bote", "Mieterbund Süd"),
    "FR": ("Collectif Rive Gauche", "Librairie du Port", "Le Courrier Breton", "Cave Occitane"),
    "AU": ("Coastal Surf Co", "Queensland Growers Alliance", "The Geelong Herald", "Bush Care"),
    "IE": ("Galway Arts Trust", "Cork Housing Action", "The Liffey Post", "Claddagh Crafts"),
    "ES": ("Asociación Vecinal Centro", "Radio Sur", "Bodegas Almería", "Plataforma Verde"),
}

POPULAR = {
    "D": (
        "https://secure.actblue.com/donate/{slug}",
        "https://www.mobilize.us/{slug}/",
        "https://actionnetwork.org/forms/{slug}",
    ),
    "R": ("https://secure.winred.com/{slug}/donate", "https://www.anedot.com/{slug}/donate"),
    "any": (
        "https://www.youtube.com/watch?v={token}",
        "https://www.change.org/p/{slug}",
        "https://www.gofundme.com/f/{slug}",
        "https://www.eventbrite.com/e/{slug}-{num}",
        "https://www.vote.org/",
        "https://www.ballotpedia.org/{slug}",
    ),
    "news": (
        "https://apnews.com/article/{slug}",
        "https://www.nytimes.com/2026/{num}/{slug}.html",
        "https://www.foxnews.com/politics/{slug}",
        "https://www.npr.org/2026/{slug}",
        "https://www.washingtontimes.com/news/2026/{slug}/",
    ),
}
PETITIONS = (
    "signforlife.org",
    "safekidsnow.org",
    "climatepledge.us",
    "protectourborder.net",
    "parentsdecide.org",
    "savethesloughs.org",
    "fairwagenow.org",
)


def person_name(rng: Random, language: str = "en_US") -> str:
    culture = CULTURES.get(language)
    if culture is not None and rng.random() < 0.85:
        return f"{rng.choice(culture[0])} {rng.choice(culture[1])}"
    return f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"


def state(rng: Random, *, swing: float = 0.0) -> tuple[str, str, tuple[str, ...]]:
    if rng.random() < swing:
        wanted = rng.choice(SWING)
        return next(s for s in STATES if s[0] == wanted)
    return rng.choice(STATES)


def counties(rng: Random, n: int) -> list[str]:
    return rng.sample(COUNTIES, min(n, len(COUNTIES)))


def slug(text: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def popular_url(rng: Random, lean: str, name: str) -> str:
    pool = POPULAR["any"] + (POPULAR.get(lean, ()) * 3)
    template = rng.choice(pool)
    return template.format(
        slug=slug(name)[:40], token=f"{rng.getrandbits(40):010x}", num=rng.randint(100, 9999)
    )


def news_url(rng: Random, topic: str) -> str:
    template = rng.choice(POPULAR["news"])
    return template.format(slug=slug(topic), num=rng.randint(1, 12), token="")
