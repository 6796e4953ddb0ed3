"""The home page's figures: the biggest funders of the last 7, 30 and 90 days, and the
newest political ads. Rendered as HTML (``/``) and as JSON (``/api/home``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from paidfor.library.search import LibraryQuery, LibraryService
from paidfor.library.store import FunderSpend
from paidfor.library.views import PublicAd


@dataclass(frozen=True)
class FunderWindow:
    days: int
    start: date
    end: date  # inclusive
    top: list[FunderSpend]
    undisclosed: FunderSpend

    def as_json(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "funders": [
                {
                    "funder_id": f.funder.id if f.funder else None,
                    "name": f.funder.name if f.funder else None,
                    "verified": f.funder.verified if f.funder else False,
                    "ads": f.ads,
                    "spend_usd": str(f.spend_usd),
                }
                for f in self.top
            ],
            "without_disclaimer": {
                "ads": self.undisclosed.ads,
                "spend_usd": str(self.undisclosed.spend_usd),
            },
        }


@dataclass(frozen=True)
class HomeView:
    total_ads: int
    today: date
    newest: date | None  # the day the newest public ad started
    windows: list[FunderWindow]
    recent: list[PublicAd]
    recent_query: LibraryQuery

    @property
    def historical(self) -> bool:
        """The windows end on the newest ad's day, not today."""
        return self.newest is not None and self.newest < self.today

    def as_json(self) -> dict[str, Any]:
        return {
            "total_ads": self.total_ads,
            "newest_ad_day": self.newest.isoformat() if self.newest else None,
            "historical": self.historical,
            "top_funders": [w.as_json() for w in self.windows],
            "recent_political_ads": [a.as_json() for a in self.recent],
        }


WINDOWS = (7, 30, 90)
TOP_FUNDERS = 10
RECENT = 6


class HomeService:
    def __init__(self, library: LibraryService) -> None:
        self.library = library

    def home(self, now: datetime | None = None) -> HomeView:
        """The biggest funders of the last 7, 30 and 90 days and the newest political ads.

        The windows end today, or on the day the newest ad started when the library holds
        only older ads (an archive such as the IRA release), so they are never empty for
        that reason alone. An ad counts in a window when it started in it; spend is the
        exact spend in US dollars at the ad's date."""
        now = now or datetime.now(UTC)
        today = now.astimezone(UTC).date() if now.tzinfo else now.date()
        newest_moment = self.library.repo.newest_start()
        newest = newest_moment.date() if newest_moment else None
        windows = []
        if newest is not None:
            end = min(today, newest)
            stop = datetime.combine(end + timedelta(days=1), time())
            for days in WINDOWS:
                start = end - timedelta(days=days - 1)
                top, undisclosed = self.library.repo.top_funders(
                    datetime.combine(start, time()), stop, limit=TOP_FUNDERS
                )
                windows.append(FunderWindow(days, start, end, top, undisclosed))
        recent_query = LibraryQuery(type="political", per_page=RECENT)
        recent = self.library.search(recent_query, now)
        everything = self.library.repo.count_library(LibraryQuery().to_filter(now))
        return HomeView(everything, today, newest, windows, recent.ads, recent_query)
