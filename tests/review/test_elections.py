"""Election rules: blackout windows, authorization, upcoming votes, the shipped data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paidfor.domain import Election
from paidfor.review.elections import (
    authorization_required,
    blackout,
    blackout_window,
    default_elections,
    in_blackout,
    make_election,
    normalize_country,
    parse_date,
    parse_elections_csv,
    upcoming,
    utc_date,
)

VOTE = date(2017, 9, 24)
votes = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
days = st.integers(min_value=0, max_value=60)
zones = st.sampled_from([UTC, timezone(timedelta(hours=-10)), timezone(timedelta(hours=14))])
moments = st.datetimes(
    min_value=datetime(1989, 1, 1), max_value=datetime(2091, 12, 31), timezones=zones
)


def _e(country: str = "DE", name: str = "vote", d: date = VOTE, blackout_days: int = 0) -> Election:
    return Election(country=country, name=name, date=d, blackout_days=blackout_days)


# --- the window arithmetic ------------------------------------------------------------


@given(vote=votes, n=days, when=moments)
def test_in_blackout_iff_between_vote_minus_days_and_vote(
    vote: date, n: int, when: datetime
) -> None:
    day = when.astimezone(UTC).date()
    expected = n > 0 and vote - timedelta(days=n) <= day <= vote
    assert in_blackout(_e(d=vote, blackout_days=n), when) is expected


@given(vote=votes, n=days)
def test_a_window_is_n_plus_one_days_and_ends_on_the_vote(vote: date, n: int) -> None:
    election = _e(d=vote, blackout_days=n)
    span = [vote + timedelta(days=k) for k in range(-n - 5, 6)]
    covered = [d for d in span if in_blackout(election, d)]
    if n == 0:
        assert covered == [] and blackout_window(election) is None
    else:
        assert len(covered) == n + 1
        assert covered[0] == vote - timedelta(days=n) and covered[-1] == vote
        assert blackout_window(election) == (covered[0], covered[-1])


@given(vote=votes, when=moments)
def test_zero_days_is_never_a_blackout_not_even_on_the_vote_day(vote: date, when: datetime) -> None:
    assert not in_blackout(_e(d=vote), when)
    assert not in_blackout(_e(d=vote), vote)
    assert blackout([_e(d=vote)], "DE", when) is None


@given(when=moments)
def test_the_answer_depends_only_on_the_utc_moment(when: datetime) -> None:
    elections = [_e(d=when.astimezone(UTC).date(), blackout_days=1)]
    naive_utc = when.astimezone(UTC).replace(tzinfo=None)
    other = when.astimezone(timezone(timedelta(hours=-7)))
    assert blackout(elections, "DE", when) == blackout(elections, "DE", naive_utc)
    assert blackout(elections, "DE", when) == blackout(elections, "DE", other)
    assert blackout(elections, "DE", when) is not None  # the vote day itself


@given(
    elections=st.lists(
        st.builds(
            _e,
            country=st.sampled_from(["DE", "US", "FR"]),
            name=st.text(min_size=1, max_size=5),
            d=votes,
            blackout_days=days,
        ),
        max_size=6,
    ),
    country=st.sampled_from(["DE", "us", "fr", "GB"]),
    when=moments,
)
def test_blackout_picks_a_covering_election_of_the_country(
    elections: list[Election], country: str, when: datetime
) -> None:
    found = blackout(elections, country, when)
    covering = [e for e in elections if e.country == country.upper() and in_blackout(e, when)]
    if found is None:
        assert covering == []
    else:
        assert found in covering
        assert found.date == min(e.date for e in covering)


# --- examples at the edges ----------------------------------------------------------------


def test_window_edges_in_utc() -> None:
    e = _e(blackout_days=2)  # 22, 23 and 24 September 2017
    assert blackout([e], "de", datetime(2017, 9, 22, 0, 0, tzinfo=UTC)) is e
    assert blackout([e], "DE", datetime(2017, 9, 21, 23, 59, 59, tzinfo=UTC)) is None
    assert blackout([e], "DE", datetime(2017, 9, 24, 23, 59, 59)) is e  # naive = UTC
    assert blackout([e], "DE", datetime(2017, 9, 25, 0, 0, tzinfo=UTC)) is None
    # 01:00 on the 25th in Berlin (UTC+2) is still the 24th in UTC.
    berlin = timezone(timedelta(hours=2))
    assert blackout([e], "DE", datetime(2017, 9, 25, 1, 0, tzinfo=berlin)) is e
    assert blackout([e], "US", datetime(2017, 9, 23, tzinfo=UTC)) is None  # other country


def test_overlapping_windows_name_the_earliest_vote() -> None:
    first = _e(name="b", d=date(2020, 5, 10), blackout_days=10)
    second = _e(name="a", d=date(2020, 5, 12), blackout_days=10)
    assert blackout([second, first], "DE", date(2020, 5, 9)) is first
    assert blackout([second, first], "DE", date(2020, 5, 11)) is second


def test_authorization_required_per_country() -> None:
    elections = [
        _e("US", "a"),
        Election(country="FR", name="b", date=VOTE, authorization_required=False),
    ]
    assert authorization_required(elections, "us") is True
    assert authorization_required(elections, "FR") is False
    assert authorization_required(elections, "GB") is False  # no known election
    assert authorization_required([], "US") is False


def test_upcoming_includes_the_vote_day_and_sorts() -> None:
    a, b, c = _e("US", "a", date(2018, 11, 6)), _e("US", "b", date(2016, 11, 8)), _e("DE", "c")
    assert upcoming([a, b, c], "US", datetime(2016, 11, 8, 23, tzinfo=UTC)) == [b, a]
    assert upcoming([a, b, c], "US", datetime(2016, 11, 9, tzinfo=UTC)) == [a]
    assert upcoming([a, b, c], None, date(2016, 1, 1)) == [b, c, a]
    assert upcoming([a, b, c], "DE", date(2018, 1, 1)) == []


@given(
    dates=st.lists(votes, max_size=8),
    when=moments,
)
def test_upcoming_and_past_split_the_elections(dates: list[date], when: datetime) -> None:
    elections = [_e("US", str(i), d) for i, d in enumerate(dates)]
    found = upcoming(elections, "US", when)
    assert all(e.date >= utc_date(when) for e in found)
    assert [e.date for e in found] == sorted(e.date for e in found)
    past = [e for e in elections if e.date < utc_date(when)]
    assert len(found) + len(past) == len(elections)


# --- validation and the shipped data ----------------------------------------------------


def test_country_codes() -> None:
    assert normalize_country(" de ") == "DE"
    with pytest.raises(ValueError, match="alpha-2"):
        normalize_country("XX")
    with pytest.raises(ValueError, match="GB"):
        normalize_country("UK")
    with pytest.raises(ValueError, match="did you mean DE"):
        normalize_country("DEU")


@pytest.mark.parametrize("bad", ["2017-02-30", "2017-13-01", "24.09.2017", "20170924", ""])
def test_dates_must_be_real_iso_dates(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_date(bad)


def test_make_election_checks_everything() -> None:
    e = make_election("us", "  2020   general ", "2020-11-03", blackout_days=60)
    assert (e.country, e.name, e.date, e.blackout_days) == (
        "US",
        "2020 general",
        date(2020, 11, 3),
        60,
    )
    for kwargs in ({"blackout_days": -1}, {"blackout_days": 61}):
        with pytest.raises(ValueError, match="between 0 and 60"):
            make_election("US", "x", "2020-11-03", **kwargs)
    with pytest.raises(ValueError, match="name"):
        make_election("US", "   ", "2020-11-03")
    with pytest.raises(ValueError, match="longer than 300"):
        make_election("US", "x" * 301, "2020-11-03")


def test_csv_errors_name_the_line() -> None:
    header = "country,name,date,authorization_required,blackout_days,source\n"
    with pytest.raises(ValueError, match="line 3"):
        parse_elections_csv(header + "US,a,2016-11-08,true,0,x\nUS,b,2016-11-31,true,0,x\n")
    with pytest.raises(ValueError, match="not true or false"):
        parse_elections_csv(header + "US,a,2016-11-08,maybe,0,x\n")
    with pytest.raises(ValueError, match="lacks the columns: source"):
        parse_elections_csv("country,name,date,authorization_required,blackout_days\n")


def test_shipped_elections() -> None:
    shipped = {(e.country, e.date, e.name): e for e in default_elections()}
    assert {(c, d) for c, d, _ in shipped} >= {
        ("US", date(2016, 11, 8)),
        ("DE", date(2017, 9, 24)),
        ("US", date(2018, 11, 6)),
        ("SE", date(2026, 9, 13)),  # the second Sunday of September, by law
        ("LV", date(2026, 10, 3)),  # the first Saturday of October (Satversme art. 11)
        ("EE", date(2027, 3, 7)),  # the first Sunday of March (Constitution § 60)
        ("FI", date(2027, 4, 18)),  # the third Sunday of April
    }
    # every row says where its date comes from, on a public page
    assert all(e.source_url and e.source_url.startswith("https://") for e in shipped.values())
    assert {e.level for e in shipped.values()} <= {"eu", "national", "regional", "local"}
    assert all(e.authorization_required for e in shipped.values())
    assert all(e.blackout_days == 0 for e in shipped.values())  # no legal ad blackout
    elections = list(shipped.values())
    assert blackout(elections, "DE", date(2017, 9, 24)) is None
    assert authorization_required(elections, "DE") and authorization_required(elections, "US")
    assert [e.name for e in upcoming(elections, "US", date(2017, 1, 1))] == [
        "2018 midterm elections"
    ]
