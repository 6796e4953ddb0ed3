"""Targeting parser for the IRA ads (HPSCI release): real rows, whole files, properties."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paidfor.domain.targeting import Location, Targeting
from paidfor.ingest.ira_targeting import parse_targeting

from conftest import DATA as SHARED

DATA = SHARED / "hpsci_ira_ads"
CLEAN_COLUMNS = {
    "location": "Location", "age": "Age", "gender": "Gender",
    "excluded_connections": "Excluded_Connections", "language": "Language",
    "placements": "Placements", "people_who_match": "People_Who_Match",
    "interests": "Interests", "custom_audience": "Custom_Audience",
}  # fmt: skip
RAW_COLUMNS = {
    "location": "Ad Targeting Location", "excluded_connections": "Excluded Connections",
    "age": "Age", "language": "Language", "placements": "Placements",
    "people_who_match": "People Who Match", "friends_of_connections": "Friends of Connections",
}  # fmt: skip
NF_BOTH = ["News Feed on desktop computers", "News Feed on mobile devices"]
EMPTY = {"", "na", "n/a", "none"}


def parse(**kw: str | None) -> Targeting:
    kw.setdefault("location", None)
    kw.setdefault("age", None)
    return parse_targeting(**kw)


# --- locations ------------------------------------------------------------------------------


def test_cities_with_radius() -> None:
    t = parse(location="United States: Baltimore (+20 km) Maryland; St. Louis(+20 km) Missouri")
    assert [(x.country, x.city, x.region, x.radius_km) for x in t.locations] == [
        ("US", "Baltimore", "Maryland", 20),
        ("US", "St. Louis", "Missouri", 20),
    ]
    assert t.locations[0].raw == "Baltimore (+20 km) Maryland"


def test_several_cities_in_one_state_and_miles() -> None:
    text = "United States: Baltimore Maryland; Ferguson, St. Louis Missouri; Cleveland Ohio"
    t = parse(location=text)
    assert [(x.city, x.region) for x in t.locations] == [
        ("Baltimore", "Maryland"), ("Ferguson", "Missouri"), ("St. Louis", "Missouri"),
        ("Cleveland", "Ohio"),
    ]  # fmt: skip
    ny = parse(location="United States: New York (+25 mi) New York").locations
    assert ny == [Location("US", "New York", "New York", 40, "New York (+25 mi) New York")]


def test_states_and_several_countries() -> None:
    assert parse(location="United States: Texas").locations == [
        Location("US", "Texas", None, None, "Texas")
    ]
    assert parse(location="United Kingdom, United States").countries == ["GB", "US"]
    assert parse(location="Germany, France, United Kingdom").countries == ["DE", "FR", "GB"]
    assert parse(location="Russia").countries == ["RU"]  # alias (pycountry: Russian Federation)
    # The country Georgia, then US states (ad 2438; its sibling ads list Georgia as a state).
    t = parse(
        location="Georgia, United States: Alabama; Arizona; California; Florida;\n"
        "Mississippi; New Mexico; New York; Oklahoma; Texas; Washington"
    )
    assert t.locations[0] == Location("GE", raw="Georgia")
    assert [x.region for x in t.locations[1:]][:3] == ["Alabama", "Arizona", "California"]
    assert {x.country for x in t.locations[1:]} == {"US"}


def test_living_in_prefix_and_interest_subsection() -> None:
    t = parse(location="United States\nInterests: LGBT community or Homosexuality")  # raw ad 582
    assert t.countries == ["US"]
    assert t.interests == ["LGBT community", "Homosexuality"]
    t = parse(
        location="- Living In: United States\nInterests: Martin Luther King, Jr., African-American"
        " Civil Rights Movement\n(1954-68), African-American history or Malcolm X"
    )
    assert t.locations == [Location("US", raw="United States")]
    assert t.interests == [
        "Martin Luther King, Jr.", "African-American Civil Rights Movement (1954-68)",
        "African-American history", "Malcolm X",
    ]  # fmt: skip


def test_excluded_locations_and_lat_long() -> None:
    t = parse(location="United States Exclude Location: United States: California. Illinois")
    assert t.locations == [Location("US", raw="United States")]
    assert [(x.country, x.region) for x in t.excluded_locations] == [
        ("US", "California"), ("US", "Illinois"),
    ]  # fmt: skip
    t = parse(location="United States: Latitude 40.73 Longitude -73.99 New York (+42 km) New York")
    assert (t.locations[0].city, t.locations[0].radius_km) == ("New York", 42)


def test_zip_codes_stay_in_raw() -> None:
    t = parse(location="United States: 21201, 21202 Maryland; 20001")
    assert t.locations == [
        Location("US", "Maryland", None, None, "21201 Maryland"),
        Location("US", "Maryland", None, None, "21202 Maryland"),
        Location("US", None, None, None, "20001"),
    ]


def test_ambiguous_place_keeps_text_and_country() -> None:
    t = parse(location="United States: San Francisco")
    assert t.locations == [Location("US", raw="San Francisco")]
    t = parse(location="United States: Charlotte (+25 Connections: People who like BM")
    assert t.countries == ["US"] and t.connections == ["BM"]


# --- age, gender, language ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("18 - 65+", (18, None)), ("18 - 45", (18, 45)), ("16 - 65+", (16, None)),
     ("18 65+", (18, None)), ("18- 51", (18, 51)), ("45 - 64", (45, 64))],
)  # fmt: skip
def test_age(text: str, expected: tuple[int, int | None]) -> None:
    t = parse(age=text)
    assert (t.age_min, t.age_max) == expected


def test_gender_in_its_column_and_inside_age() -> None:
    assert parse(age="18 - 65+", gender="Male").genders == ["male"]
    assert parse(age="18 - 65+", gender="Female").genders == ["female"]
    assert parse(age="18 - 65+", gender="NA").genders == []
    t = parse(age="13 - 30\nGender: Male")  # raw file: gender rides in the Age column
    assert (t.age_min, t.age_max, t.genders) == (13, 30, ["male"])


def test_languages() -> None:
    uk_us = ["English (UK)", "English (US)"]
    assert parse(language="English (UK)or English (US)").languages == uk_us
    assert parse(language="Spanish, English (UK), English (US)or Spanish (Spain)").languages == [
        "Spanish", "English (UK)", "English (US)", "Spanish (Spain)",
    ]  # fmt: skip
    assert parse(language="English (UK); Arabic or English (US)").languages == [
        "English (UK)", "Arabic", "English (US)",
    ]  # fmt: skip


# --- placements -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("News Feed on desktop computers or News Feed on mobile  News Feed on desktop computers "
         "or News Feed on mobile devices", NF_BOTH),
        ("News Feed on desktop computers or News Feed on desktop computers or devices", NF_BOTH),
        ("News Feed on desktop computers or News News Feed on desktop computers or News devices",
         NF_BOTH),
        ("News Feed on desktop computers, News Feed on  News Feed on desktop computers, News Feed "
         "on devices or Right column on desktop computers",
         [*NF_BOTH, "Right column on desktop computers"]),
        ("lnstagram Feed lnstagram Feed", ["Instagram Feed"]),
        ("News Feed on desktop computers News Feed on desktop computers",
         ["News Feed on desktop computers"]),
        ("News Feed on desktop computers, Third-party Apps and News Feed on desktop computers, "
         "Third-party Apps and Websites on mobile devices or News Feed on mobile devices",
         ["News Feed on desktop computers", "Third-party Apps and Websites on mobile devices",
          "News Feed on mobile devices"]),
        ("on pages: News Feed on desktop computers, News Feed on mobile devices, Instream Video "
         "on mobile devices or Instream Video on desktop computers",
         [*NF_BOTH, "Instream Video on mobile devices", "Instream Video on desktop computers"]),
    ],
)  # fmt: skip
def test_placements(text: str, expected: list[str]) -> None:
    assert parse(placements=text).placements == expected


def test_placements_carry_excluded_behaviors() -> None:
    t = parse(
        placements="News Feed on desktop computers or News Feed on mobile\ndevices\n"
        "Exclude: Behaviors: Hispanic(US - All), Hispanic(US - Spanish dominant),\n"
        "Hispanic(US - English dominant), Hispanic(US - Bilingual: English and\n"
        "Spanish) or Asian American (US)"
    )  # raw ad 773
    assert t.placements == NF_BOTH
    assert t.excluded_behaviors == [
        "Hispanic (US - All)", "Hispanic (US - Spanish dominant)",
        "Hispanic (US - English dominant)", "Hispanic (US - Bilingual: English and Spanish)",
        "Asian American (US)",
    ]  # fmt: skip
    assert t.behaviors == []


# --- people who match, interests, connections -----------------------------------------------


def test_connections_and_friends() -> None:
    t = parse(
        people_who_match="People who like Black Matters, Friends of connections: Friends of "
        "people who are connected to Black Matters"
    )
    assert (t.connections, t.friends_of_connections, t.interests) == (
        ["Black Matters"], ["Black Matters"], [],
    )  # fmt: skip
    t = parse(
        people_who_match="People who like Stop A.I., Friends of connections: Friends of people "
        "who are connected to Stop A.1."
    )
    assert t.connections == t.friends_of_connections == ["Stop A.I."]


def test_interest_lists_with_commas_in_names() -> None:
    t = parse(
        people_who_match="Interests: Martin Luther King, Jr.; African-American Civil Rights "
        "Movement (1954-68), African-American history or Malcolm X"
    )
    assert t.interests == [
        "Martin Luther King, Jr.", "African-American Civil Rights Movement (1954-68)",
        "African-American history", "Malcolm X",
    ]  # fmt: skip
    t = parse(
        people_who_match="Interests: Mexico. Latin hip hop. Chicano Movement,. Hispanidad, "
        "Lowrider, Chicano rap or La Raza"
    )
    assert t.interests == [
        "Mexico", "Latin hip hop", "Chicano Movement", "Hispanidad", "Lowrider", "Chicano rap",
        "La Raza",
    ]  # fmt: skip
    t = parse(
        people_who_match="Interests: 2nd Amendment, Gun Owners of America, Huey P. Newton or "
        "Malcolm X, Behaviors: African American (US)"
    )
    assert t.interests == ["2nd Amendment", "Gun Owners of America", "Huey P. Newton", "Malcolm X"]
    assert t.behaviors == ["African American (US)"]


def test_must_also_match_politics_and_demographics() -> None:
    t = parse(
        people_who_match="Behaviors: Facebook access (browser): Chrome And Must Also Match: "
        "Interests Music And Must Also Match: Interests Free software"
    )
    assert t.behaviors == ["Facebook access (browser): Chrome"]
    assert t.interests == ["Music", "Free software"]
    t = parse(
        people_who_match="Industry: Veterans (US), Politics: Likely to engage with political "
        "content (conservative)"
    )
    assert t.people_who_match == ["Industry: Veterans (US)"]
    assert t.behaviors == ["Likely to engage with political content (conservative)"]


def test_clean_interests_column_and_its_cut_lines() -> None:
    t = parse(
        interests="Match: Interests: Martin Luther King, Jr., African-American",
        people_who_match="Interests: Martin Luther King, Jr., African-American Civil Rights "
        "Movement (1954-68), African-American history or Malcolm X",
    )
    assert "African-American" not in t.interests  # first PDF line, cut mid-name
    assert t.interests[0] == "Martin Luther King, Jr." and "Malcolm X" in t.interests
    t = parse(interests="BlackNews.com or HuffPost Black Voices Behaviors: African American (US)")
    assert t.interests == ["BlackNews.com", "HuffPost Black Voices"]
    assert t.behaviors == ["African American (US)"]


# --- custom audiences, excluded connections, friends of connections -------------------------


def test_custom_audience_with_location() -> None:
    t = parse(custom_audience="Lookalike(US, 1%)- newtestaudit Location: United States")
    assert t.custom_audiences == ["Lookalike(US, 1%)- newtestaudit"]
    assert t.countries == ["US"]
    t = parse(
        location="United States",
        custom_audience="Lookalike(US, 10%)- tesy Location - Living In: United States: "
        "Los Angeles(+50 mi) California",
    )
    assert t.custom_audiences == ["Lookalike(US, 10%)- tesy"]
    assert Location("US", "California", "Los Angeles", 80, "Los Angeles(+50 mi) California") in (
        t.locations
    )
    assert parse(custom_audience="Lookalike (US, I%)- newtestaudit").custom_audiences == [
        "Lookalike(US, 1%)- newtestaudit"
    ]


def test_excluded_connections() -> None:
    t = parse(excluded_connections="Exclude people who like L for life")
    assert t.excluded_connections == ["L for life"]
    t = parse(excluded_connections="Exclude people who are going to Freddie Gray Anniversary March")
    assert t.excluded_connections == ["Freddie Gray Anniversary March"]
    assert parse(excluded_connections="Exclude people who like").excluded_connections == []


def test_friends_of_connections_with_trailing_sections() -> None:
    t = parse(
        friends_of_connections="Friends of people who are connected to Black Matters\n"
        "Age: 18 - 54\nLanguage: English (UK)or English (US)\nPlacements: News Feed on desktop "
        "computers, Third-party Apps and\nWebsites on mobile devices or News Feed on mobile "
        "devices\nPeople Who Match: Behaviors: African American (US)\nAnd Must Also Match: "
        "Interests: BlackNews.com or HuffPost Black Voices"
    )  # raw ad 73
    assert t.friends_of_connections == ["Black Matters"]
    assert (t.age_min, t.age_max) == (18, 54)
    assert t.languages == ["English (UK)", "English (US)"]
    assert t.placements == [
        "News Feed on desktop computers", "Third-party Apps and Websites on mobile devices",
        "News Feed on mobile devices",
    ]  # fmt: skip
    assert t.behaviors == ["African American (US)"]
    assert t.interests == ["BlackNews.com", "HuffPost Black Voices"]


def test_ocr_spill_in_age_column() -> None:
    t = parse(
        age="Ad Landing Page https://www.facebook.com/Memopolis-450474615151098/\nAd Targeting "
        "Location: United States\nInterests: CollegeHumor, BuzzFeed or 9GAG\nAge: 18 - 65+"
    )  # raw ad 1721
    assert (t.age_min, t.age_max, t.countries) == (18, None, ["US"])
    assert t.interests == ["CollegeHumor", "BuzzFeed", "9GAG"]


def test_empty_markers_and_raw() -> None:
    t = parse(location="NA", age="N/A", gender="None", language="  ", placements=None)
    assert t == Targeting()
    text = "United States\nInterests: Cop Block"
    assert parse(location=text, age="18 - 65+").raw == {"location": text, "age": "18 - 65+"}


# --- whole files ----------------------------------------------------------------------------


def _rows(name: str) -> list[dict[str, str]]:
    path = DATA / name
    if not path.exists():
        pytest.fail(f"the shared data file is missing: {path}")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(
    ("name", "columns"),
    [("ira_ads_clean.csv", CLEAN_COLUMNS), ("ira_ads_raw_labels.csv", RAW_COLUMNS)],
)
def test_every_real_row(name: str, columns: dict[str, str]) -> None:
    rows = _rows(name)
    assert len(rows) > 3000
    with_placements = 0
    for row in rows:
        kw = {param: row[col] for param, col in columns.items()}
        t = parse(**kw)
        for param, value in kw.items():
            if value.strip().lower() not in EMPTY:
                assert t.raw[param] == value
        if kw["location"].strip().lower() not in EMPTY:
            assert any(len(x.country) == 2 and x.country.isupper() for x in t.locations), kw
        for loc in t.locations + t.excluded_locations:
            assert len(loc.country) == 2 and loc.country.isupper()
            assert loc.radius_km is None or 0 < loc.radius_km < 1000
        assert len(t.placements) == len(set(t.placements))
        with_placements += bool(t.placements)
        if t.age_min is not None:
            assert 13 <= t.age_min <= 65
            assert t.age_max is None or t.age_min <= t.age_max <= 65
        assert set(t.genders) <= {"male", "female"}
        for items in (t.interests, t.behaviors, t.languages, t.connections):
            assert len(items) == len(set(items)) and all(i.strip() == i and i for i in items)
    assert with_placements >= len(rows) - 1


def test_real_files_agree_on_countries() -> None:
    clean, raw = _rows("ira_ads_clean.csv"), _rows("ira_ads_raw_labels.csv")
    by_id = {r["Ad_ID"]: r for r in clean}
    compared = 0
    for r in raw:
        c = by_id.get(r["Ad ID"])
        if c is None or c["Location"] == "NA":
            continue
        compared += 1
        a = parse(location=c["Location"], age=None).countries
        b = parse(location=r["Ad Targeting Location"], age=None).countries
        assert a == b, (c["Location"], r["Ad Targeting Location"])
    assert compared > 3000


# --- properties -----------------------------------------------------------------------------

FIELDS = [
    "location", "age", "gender", "language", "placements", "people_who_match", "interests",
    "custom_audience", "excluded_connections", "friends_of_connections",
]  # fmt: skip
_FRAGMENTS = st.sampled_from(
    ["United States", ": ", "; ", ", ", "(+25 mi) ", "Maryland", "Georgia", "Interests: ",
     "Behaviors: ", "Exclude: ", "Exclude Location: ", "- Living In: ", "People who like ",
     "Friends of people who are connected to ", "Age: ", "18 - 65+", "Gender: Male",
     "English (UK)or ", "News Feed on ", "devices", "Jr.", " or ", "And Must Also Match: ",
     "Job title: ", "\n", "NA", "N/A", "Lookalike(US, 1%)- ", "Ad Impressions 12", "(", ")"]
)  # fmt: skip
_TEXT = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.lists(st.one_of(_FRAGMENTS, st.text(max_size=5)), max_size=30).map("".join),
)
_KWARGS = st.fixed_dictionaries({f: _TEXT for f in FIELDS})


@settings(max_examples=300, deadline=None)
@given(_KWARGS)
def test_never_raises_is_deterministic_and_keeps_raw(kw: dict[str, str | None]) -> None:
    t = parse_targeting(**kw)
    assert t == parse_targeting(**kw)
    for name, value in kw.items():
        if value is not None and value.strip().lower() not in EMPTY:
            assert t.raw[name] == value
        else:
            assert name not in t.raw
    for loc in t.locations + t.excluded_locations:
        assert len(loc.country) == 2
    assert len(t.placements) == len(set(t.placements))
    assert t.age_min is None or 13 <= t.age_min <= 65
    Targeting.from_dict(t.to_dict())  # stays serialisable
