"""Parse the free-text targeting of the IRA Facebook ads (HPSCI release) into ``Targeting``.

The release was made from PDFs by OCR, and the two extractions of it differ: one keeps PDF
line wraps, the other duplicates wrapped lines ("News Feed on mobile  News Feed on ... devices")
and one field's text often carries the next sections ("United States Interests: A or B",
"18 - 65+ Gender: Male", "... Age: 18 - 54 Language: ... Placements: ..."). So every field is
first cut into labelled sections, wherever they appear, and each section goes to its parser.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry

from paidfor.domain.targeting import Location, Targeting

_EMPTY = frozenset({"", "na", "n/a", "none"})

# Section labels, in the order they are tried at one position; a label must start the text or
# follow a space or punctuation. Kinds: see ``_apply``.
_LABELS: list[tuple[str, str]] = [
    (r"(?:Ad\s+Targeting\s+)?Location(?:\s*-\s*(?:Living|Recently|Traveling)\s+In)?\s*:", "loc"),
    (r"(?:-\s*)?(?:Living|Recently|Traveling)\s+In\s*:", "loc"),
    (r"Exclude[ds]?\s+Locations?\s*:", "xloc"),
    (r"Exclude[ds]?\s+Connections\s*:", "xconn"),
    (r"Exclude\s*:", "exclude"),
    (r"Friends\s+of\s+connections\s*:", "friends"),
    (r"Connections\s*:", "conn"),
    (r"Custom\s+Audiences?\s*:", "custom"),
    (r"Languages?\s*:", "lang"),
    (r"Age\s*:", "age"),
    (r"Gender\s*:", "gender"),
    (r"Placements?\s*:", "place"),
    (r"People\s+Who\s+Match\s*:", "match"),
    (r"(?:(?:And\s+)?(?:Must\s+)?(?:Al)?so\s+)?Match\s*:", "match"),
    (r"Interests\s*:", "interests"),
    (r"Behaviou?rs\s*:", "behaviors"),
    (r"Politics(?:\s*\(US\))?\s*:", "politics"),
    (
        r"(?:Multicultural|Ethnic)\s+Affinity\s*:|Accessing\s+Facebook\s+on\s*:"
        r"|Currently\s+using\s+OS\s*:",
        "pbehavior",
    ),
    (
        r"Generation\s*:|Job\s+title\s*:|Employers?\s*:|Industry\s*:|Field\s+of\s+study\s*:"
        r"|School\s*:|Home\s+Composition\s*:|Relationship\s+Status\s*:|Education\s+Level\s*:"
        r"|Parents\s*:|Life\s+Events\s*:|Income\s*:|Net\s+Worth\s*:",
        "demographic",
    ),
    (r"Interest\s+expansion\s*:", "ignore"),
    (
        r"Ad\s+(?:ID|Text|Landing\s+Page|Impressions|Clicks|Spend|Creation\s+Date|End\s+Date)\b"
        r"|Redactions\s+Completed\b",
        "ignore",
    ),
]
_LABEL_RE = re.compile(
    r"(?:(?<=[\s,;.(\-])|^)(?:"
    + "|".join(f"(?P<k{i}>{p})" for i, (p, _) in enumerate(_LABELS))
    + ")",
    re.I,
)
_LABEL_KIND = {f"k{i}": kind for i, (_, kind) in enumerate(_LABELS)}
_DEFAULT_KIND = {
    "location": "loc", "age": "age", "gender": "gender", "language": "lang",
    "placements": "place", "people_who_match": "match", "interests": "match",
    "custom_audience": "custom", "excluded_connections": "xconn",
    "friends_of_connections": "friends",
}  # fmt: skip
_EXCLUDABLE = frozenset({"interests", "behaviors", "politics", "pbehavior", "demographic"})

_HYPHEN_GAP = re.compile(r"(?<=[A-Za-z])- (?=[A-Za-z])")  # OCR "African- American"
_OCR_FIXES = re.compile(r"\bl(?=nstagram|mgur|vanka)")  # "lnstagram" -> "Instagram"
_PAREN_GROUP = re.compile(r"\([^()]*\)")
_MASK = str.maketrans({",": "\x00", ";": "\x01", ".": "\x02"})
_UNMASK = str.maketrans({"\x00": ",", "\x01": ";", "\x02": "."})
_LIST_SEP = re.compile(
    r"\s*[,;](?!\s*(?:Jr|Sr|Inc|Ltd|LLC)\b|\s*(?:19|20)\d\d\b)\s*"  # "King, Jr.", "election, 2016"
    r"|(?<=\))\s*or\s+"  # "English (UK)or English (US)"
    r"|\s+or\s+(?!territory\b)"  # "LGBT rights by country or territory" is one name
)
_DOT_SEP = re.compile(r"\.\s+(?=[A-Z0-9])")  # OCR read many commas as full stops
_INITIAL_END = re.compile(r"(?:^|[\s.])(?:[A-Z]|St|Dr|Mr|Mrs|Ms|Mt|No|vs)$")
_ABBR_END = re.compile(r"\b(?:Jr|Sr|Inc|Ltd|Co|Corp)$")
_KEEP_DOT = re.compile(r"(?:\.\s?[A-Za-z0-9]|\b(?:Jr|Sr|Inc|Ltd|Co|Corp|St))$")
_JR = re.compile(r"[.;,]?\s*\b(Jr|Sr)\b\.?(?=\s*[,;.]?\s*[A-Z(]|\s*$)")
_SPACE_PAREN = re.compile(r"(?<=[a-z])\((?=[A-Za-z0-9])")  # "Movement(1954-68)"
_DASH_IN_PAREN = re.compile(r"\(([A-Za-z]+)\s*-\s*(?=[A-Za-z])")  # "(US -All)" -> "(US - All)"
_KING_III = re.compile(r"(?<=King )(?:Ill|111)\b")  # OCR of "Martin Luther King III"
_AND_MUST = re.compile(r"\s+And(?:\s+Must)?(?:\s+Also)?(?:\s+Match)?$")  # label cut off
_LOOKALIKE_OCR = re.compile(r"(?<=[\s(,])[Il]%")  # "Lookalike (US, I%)"
_PAGE_OCR = re.compile(r"\bA\.\s?[1lI]\.")  # "Stop A.1.", "Stop A. I." -> "Stop A.I."
_LEAD_WORD = re.compile(r"^(Interests|Behaviou?rs)\b\s*(?!:)", re.I)

_PEOPLE_LIKE = re.compile(
    r"People\s+who\s+like\s+(.+?)(?=\s*[,;]?\s*(?:Friends\b|People\s+who\b)|$)", re.I
)
_FRIENDS = re.compile(
    r"Friends\s+of\s+people\s+who\s+are\s+connected\s+to\s+(.+?)"
    r"(?=\s*[,;]?\s*(?:Friends\b|People\s+who\b)|$)",
    re.I,
)
_EXCL_CONN = re.compile(
    r"(?:Exclude\s+)?people\s+who\s+(?:like|are\s+going(?:\s+to)?|went\s+to|are\s+interested\s+in"
    r"|are\s+connected\s+to)\s+(.+?)(?=\s*[,;]?\s*(?:Exclude\s+)?people\s+who\b|$)",
    re.I,
)
_EXCL_CONN_STUB = re.compile(r"(?:Exclude\s*)?(?:people\s*(?:who\b.*)?)?", re.I)

_AGE = re.compile(r"\s*(\d{1,2})\s*(?:[-\u2013]\s*)?(\d{1,2})?\s*(\+)?")
_GENDER = re.compile(r"\b(male|men|female|women)\b", re.I)

_PLACEMENT = re.compile(
    r"(?P<name>News(?:\s+Feed)?|Feed(?=\s+on\s)|Right\s+column|In-?stream\s+Videos?"
    r"|Suggested\s+Videos?|Third-party\s+(?:Apps\s+(?:and\s+)?)?Websites|Third-party\s+Apps"
    r"|Instant\s+Articles?|Instagram\s+(?:Feed|Stories)|Audience\s+Network|Marketplace"
    r"|Messenger(?:\s+(?:Inbox|Home))?)"
    r"(?:\s+on)?(?:\s+(?P<dev>desktop(?:\s+computers)?|mobile(?:\s+devices)?|devices)\b)?",
    re.I,
)
_PLACEMENT_NAMES = {
    "news": "News Feed", "feed": "News Feed", "right": "Right column",
    "third-party": "Third-party Apps and Websites", "instream": "Instream Video",
    "in-stream": "Instream Video", "suggested": "Suggested Video", "instant": "Instant Articles",
    "instagram feed": "Instagram Feed", "instagram stories": "Instagram Stories",
    "audience": "Audience Network", "marketplace": "Marketplace", "messenger": "Messenger",
}  # fmt: skip
_ORPHAN_DEVICES = re.compile(r"\bdevices\b", re.I)
_DEVICE_ONLY = {
    "Right column": "desktop computers",
    "Third-party Apps and Websites": "mobile devices",
}
_DEVICE_FREE = frozenset({"Instagram Feed", "Instagram Stories", "Instant Articles",
                          "Audience Network", "Marketplace", "Messenger"})  # fmt: skip

_RADIUS = re.compile(
    r"\(\s*\+?\s*(\d+(?:\.\d+)?)\s*(km|mi|miles?|kilomet(?:er|re)s?)\.?\s*\)?", re.I
)
_LATLONG = re.compile(r"Latitude\s*-?[\d.]+\s*Longitude\s*-?[\d.]+", re.I)
_STRAY = re.compile(r"\(\s*\+?\s*\d*\s*$|\b\d*\s*(?:km|mi)\s*\)|[()+]")
_ZIP = re.compile(r"\d{5}(?:-\d{4})?")
_HEAD_SEP = re.compile(r"\s*(?:[,;]|\s(?:or|and)\s)\s*")

_COUNTRY_ALIASES = {
    "us": "US", "u.s": "US", "usa": "US", "u.s.a": "US", "america": "US", "uk": "GB",
    "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "russia": "RU", "turkey": "TR", "ivory coast": "CI",
    "palestine": "PS", "kosovo": "XK", "macedonia": "MK", "swaziland": "SZ", "brunei": "BN",
    "cape verde": "CV", "micronesia": "FM", "vatican city": "VA", "burma": "MM",
    "east timor": "TL", "korea": "KR", "south korea": "KR", "north korea": "KP",
    "democratic republic of the congo": "CD", "republic of the congo": "CG", "laos": "LA",
}  # fmt: skip
_LANG_ALIASES = frozenset({"punjabi", "farsi", "kurdish", "filipino", "cantonese", "mandarin"})


@lru_cache(maxsize=4096)
def _country_code(name: str) -> str | None:
    key = " ".join(name.split()).strip(" .,;:-").lower()
    if key in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[key]
    if len(key) < 4 or not key[0].isalpha():  # no two/three-letter code guessing ("IN", "OR")
        return None
    try:
        return str(pycountry.countries.lookup(key).alpha_2)
    except (LookupError, KeyError, AttributeError):
        return None


@lru_cache(maxsize=512)
def _subdivision_re(code: str) -> re.Pattern[str] | None:
    """Subdivision names of a country (US states...), matched where a place group ends."""
    try:
        subs = pycountry.subdivisions.get(country_code=code) or []
    except (LookupError, KeyError):
        return None
    names = sorted({s.name for s in subs}, key=len, reverse=True)
    if not names:
        return None
    alt = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names)
    return re.compile(rf"(?<![A-Za-z])({alt})(?=\s*(?:[;:,.]|$))", re.I)


@lru_cache(maxsize=256)
def _is_language(name: str) -> bool:
    base = name.split("(")[0].strip()
    if base.lower() in _LANG_ALIASES:
        return True
    if len(base) < 3 or not base[:1].isupper():
        return False
    try:
        return pycountry.languages.get(name=base) is not None
    except (LookupError, KeyError):
        return False


def _norm(text: str) -> str:
    text = _OCR_FIXES.sub("I", " ".join(text.split()))
    return _HYPHEN_GAP.sub("-", text).replace("( ", "(").replace(" )", ")")


def _clean(item: str) -> str:
    item = re.sub(r"\s+or$", "", item.strip(" \t,;:-\u2013\u2014"))
    item = _AND_MUST.sub("", item).lstrip(".").strip()
    if item.endswith("."):
        bare = item.rstrip(". ")
        item = bare + "." if _KEEP_DOT.search(bare) else bare
    return item


def _split_list(text: str, *, dots: bool = True) -> list[str]:
    """Split "A, B; C. D or E" into names, keeping "(a, b)", "King, Jr." and "Huey P. Newton"."""
    text = _JR.sub(lambda m: f", {m.group(1)}.", text) if dots else text
    masked = _PAREN_GROUP.sub(lambda m: m.group(0).translate(_MASK), text)
    items: list[str] = []
    for piece in _LIST_SEP.split(masked):
        parts = _DOT_SEP.split(piece) if dots else [piece]
        buf = ""
        for part in parts:
            buf = f"{buf}. {part}" if buf else part
            if _INITIAL_END.search(buf):
                continue  # "Huey P" + "Newton", "St" + "Louis"
            if _ABBR_END.search(buf):
                buf += "."
            items.append(buf)
            buf = ""
        if buf:
            items.append(buf)
    out = []
    for raw_item in items:
        item = _clean(raw_item.translate(_UNMASK))
        if item and any(c.isalnum() for c in item):
            out.append(item)
    return out


def _names(text: str) -> list[str]:
    text = _KING_III.sub("III", text)
    return [_DASH_IN_PAREN.sub(r"(\1 - ", _SPACE_PAREN.sub(" (", i)) for i in _split_list(text)]


def _page(name: str) -> str:
    return _PAGE_OCR.sub("A.I.", _clean(name))


def _radius(text: str) -> tuple[str, int | None]:
    m = _RADIUS.search(text)
    if not m:
        return text, None
    value = float(m.group(1)) * (1.609344 if m.group(2).lower().startswith("mi") else 1.0)
    return text[: m.start()] + " " + text[m.end() :], round(value)


def _place_name(text: str) -> str:
    text = _STRAY.sub(" ", _LATLONG.sub(" ", text))
    return _clean(" ".join(text.split()))


def _parse_detail(code: str, detail: str) -> list[Location]:
    """Places of one country: "Baltimore (+20 km) Maryland; Ferguson, St. Louis Missouri"."""
    out: list[Location] = []
    anchors = _subdivision_re(code)
    pos = 0
    for m in anchors.finditer(detail) if anchors else ():
        group = detail[pos : m.start()].strip(" ;:,.")
        region = " ".join(m.group(1).split())
        pieces = re.split(r"\s*,\s*(?![^()]*\))", group) if group else []
        cities = []
        for piece in pieces:
            rest, radius = _radius(piece)
            city = _place_name(rest)
            if not city and radius is None:
                continue
            if _ZIP.fullmatch(city):  # Location has no postcode field: a zip stays in raw
                city = ""
            raw = f"{piece} {region}" if len(pieces) > 1 else f"{group} {region}"
            cities.append(Location(code, region, city or None, radius, raw))
        out.extend(cities or [Location(code, region, None, None, f"{group} {region}".strip())])
        pos = m.end()
    for piece in re.split(r"\s*;\s*", detail[pos:].strip(" ;:,.")):
        if piece and any(c.isalnum() for c in piece):  # no region found: keep the text only
            out.append(Location(code, None, None, _radius(piece)[1], piece))
    return out


def _parse_locations(text: str) -> list[Location]:
    text = text.strip(" -\u2013:;,.")
    if not text:
        return []
    head, colon, detail = text.partition(":")
    tokens = [t for t in _HEAD_SEP.split(head) if t]
    out: list[Location] = []
    for i, tok in enumerate(tokens):
        found = _country_code(tok)
        if found:
            out.append(Location(found, raw=_clean(tok)))
            continue
        words = tok.split()  # "United States Baltimore (+25 mi) Maryland": colon lost
        for k in range(min(len(words) - 1, 5), 0, -1):
            found = _country_code(" ".join(words[:k]))
            if found:
                out.append(Location(found, raw=" ".join(words[:k])))
                rest = " ".join([" ".join(words[k:]), *tokens[i + 1 :]])
                detail = rest + (f"; {detail}" if colon else "")
                colon = ":"
                break
        if found:
            break
    if not out:  # no country named: a bare US place list ("Baltimore Maryland")?
        places = _parse_detail("US", text)
        return [p for p in places if p.region] and places
    if colon and detail.strip(" ;:,."):
        sub = _parse_detail(out[-1].country, detail)
        if sub:
            out[-1:] = sub
    return out


def _parse_age(text: str) -> tuple[int | None, int | None] | None:
    m = _AGE.match(text)
    if not m:
        return None
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) else None
    if not 13 <= lo <= 65 or (hi is not None and not lo <= hi <= 65):
        return None
    if hi is None and not m.group(3):
        return None
    return lo, None if hi is None or hi >= 65 else hi


def _parse_placements(text: str) -> list[str]:
    found: list[str] = []
    bare: list[str] = []
    for m in _PLACEMENT.finditer(text):
        name = " ".join(m.group("name").split())
        low = name.lower()
        key = next((k for k in _PLACEMENT_NAMES if low.startswith(k)), low)
        name = _PLACEMENT_NAMES.get(key, name)
        dev = (m.group("dev") or "").lower()
        device = (
            "desktop computers" if dev.startswith("desktop") else "mobile devices" if dev else None
        )
        device = _DEVICE_ONLY.get(name, device)
        if name in _DEVICE_FREE:
            found.append(name)
        elif device:
            found.append(f"{name} on {device}")
        else:
            bare.append(name)
    rest = _PLACEMENT.sub(" ", text)
    if _ORPHAN_DEVICES.search(rest) and not any(p.endswith("mobile devices") for p in found):
        found.append("News Feed on mobile devices")  # "... or News Feed on desktop ... or devices"
    for name in bare:  # a bare "News Feed" is kept only if no fuller form of it was found
        if not any(p.startswith(name) for p in found):
            found.append(name)
    return found


def _match_text(t: Targeting, text: str, excluded: bool) -> None:
    """Unlabelled People-who-match text: connections, friends of connections, or interests."""
    lead = _LEAD_WORD.match(text)
    if lead:
        target = t.excluded_behaviors if excluded else (
            t.interests if lead.group(1).lower() == "interests" else t.behaviors)  # fmt: skip
        target.extend(_names(text[lead.end() :]))
        return
    likes = [_page(m.group(1)) for m in _PEOPLE_LIKE.finditer(text)]
    friends = [_page(m.group(1)) for m in _FRIENDS.finditer(text)]
    t.connections.extend(likes)
    t.friends_of_connections.extend(friends)
    if not likes and not friends:
        (t.excluded_behaviors if excluded else t.interests).extend(_names(text))


def _apply(t: Targeting, kind: str, label: str, text: str, excluded: bool) -> None:
    if kind in _EXCLUDABLE and excluded:
        prefix = f"{label}: " if kind in ("pbehavior", "demographic") else ""
        t.excluded_behaviors.extend(prefix + n for n in _names(_LEAD_WORD.sub("", text)))
    elif kind == "loc":
        t.locations.extend(_parse_locations(text))
    elif kind == "xloc":
        t.excluded_locations.extend(_parse_locations(text))
    elif kind == "exclude" or kind == "match":
        if text:
            _match_text(t, text, kind == "exclude")
    elif kind == "interests":
        t.interests.extend(_names(text))
    elif kind in ("behaviors", "politics"):
        t.behaviors.extend(_names(_LEAD_WORD.sub("", text)))
    elif kind == "pbehavior":
        t.behaviors.extend(f"{label}: {n}" for n in _names(text))
    elif kind == "demographic":
        t.people_who_match.extend(f"{label}: {n}" for n in _names(text))
    elif kind == "conn":
        likes = [_page(m.group(1)) for m in _PEOPLE_LIKE.finditer(text)]
        t.connections.extend(likes or [_page(text)])
    elif kind == "friends":
        friends = [_page(m.group(1)) for m in _FRIENDS.finditer(text)]
        t.friends_of_connections.extend(friends or [_page(text)])
    elif kind == "xconn":
        names = [_page(m.group(1)) for m in _EXCL_CONN.finditer(text)]
        if not names and not _EXCL_CONN_STUB.fullmatch(text):
            names = [_page(text)]
        t.excluded_connections.extend(names)
    elif kind == "custom":
        text = _LOOKALIKE_OCR.sub("1%", text.replace("Lookalike (", "Lookalike("))
        t.custom_audiences.extend(_split_list(text, dots=False))
    elif kind == "lang":
        t.languages.extend(n for n in _split_list(text, dots=False) if _is_language(n))
    elif kind == "place":
        t.placements.extend(_parse_placements(text))
    elif kind == "age" and t.age_min is None:
        ages = _parse_age(text)
        if ages:
            t.age_min, t.age_max = ages
    elif kind == "gender":
        said = {g.lower() for g in _GENDER.findall(text)}
        male, female = bool(said & {"male", "men"}), bool(said & {"female", "women"})
        if male != female:  # both = all = []
            t.genders.append("male" if male else "female")


def _sections(text: str, kind: str) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    pos, label = 0, ""
    for m in _LABEL_RE.finditer(text):
        out.append((kind, label, text[pos : m.start()].strip(" ,;:-\u2013")))
        kind = _LABEL_KIND[m.lastgroup or ""]
        label = " ".join(m.group(0).strip(" -:").split())
        pos = m.end()
    out.append((kind, label, text[pos:].strip(" ,;:-\u2013")))
    return out


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def parse_targeting(
    *,
    location: str | None,
    age: str | None,
    gender: str | None = None,
    language: str | None = None,
    placements: str | None = None,
    people_who_match: str | None = None,
    interests: str | None = None,
    custom_audience: str | None = None,
    excluded_connections: str | None = None,
    friends_of_connections: str | None = None,
) -> Targeting:
    """Parse one ad's targeting fields; ``NA``/``N/A``/``None``/blank mean "not given"."""
    fields = {
        "location": location, "age": age, "gender": gender, "language": language,
        "placements": placements, "people_who_match": people_who_match,
        "interests": interests, "custom_audience": custom_audience,
        "excluded_connections": excluded_connections,
        "friends_of_connections": friends_of_connections,
    }  # fmt: skip
    t = Targeting()
    cut: set[str] = set()  # last names of "interests" sections: maybe cut at a PDF line end
    for name, value in fields.items():
        if value is None or value.strip().lower() in _EMPTY:
            continue
        t.raw[name] = value
        excluded = False
        for kind, label, text in _sections(_norm(value), _DEFAULT_KIND[name]):
            if kind == "exclude":
                excluded = True
            elif kind not in _EXCLUDABLE:
                excluded = False
            if text or kind == "exclude":
                before = len(t.interests)
                _apply(t, kind, label, text, excluded)
                if name == "interests" and len(t.interests) > before and t.interests[-1][-1] != ")":
                    cut.add(t.interests[-1])
    if cut:  # "Match: Interests: Martin Luther King, Jr., African-American" (line cut short)
        t.interests = [
            i for i in t.interests
            if i not in cut or not any(o != i and o.startswith(i) for o in t.interests)
        ]  # fmt: skip
    t.locations = list(dict.fromkeys(t.locations))
    t.excluded_locations = list(dict.fromkeys(t.excluded_locations))
    lists: list[str] = [
        "genders", "languages", "placements", "interests", "behaviors", "people_who_match",
        "custom_audiences", "excluded_connections", "connections", "friends_of_connections",
        "excluded_behaviors",
    ]  # fmt: skip
    for attr in lists:
        setattr(t, attr, _dedupe(getattr(t, attr)))
    return t


__all__: list[str] = ["parse_targeting"]
