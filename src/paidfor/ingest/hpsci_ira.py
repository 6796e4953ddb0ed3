"""The Internet Research Agency's Facebook ads as released by the US House Permanent Select
Committee on Intelligence (HPSCI), in both of the shapes found in the wild:

* the clean table (``Ad_ID, Clicks, Impressions, Spend_RUB, ..., txt_create``; empty is ``NA``);
* the raw PDF labels (``"Ad ID", "Ad Spend" = "10,085.77 RUB"``, dates like
  ``06/18/15 12:58:48 AM PDT``; empty is ``N/A``), with the OCR damage of the scans.

Both describe the same ads, so both key ads by ``hpsci-ira``/Ad ID: importing one after the
other updates, it never duplicates. The ads are archived as removed for coordinated
inauthentic behaviour, which is what happened to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

from paidfor.domain import Ad, AdStatus, Creative, Delivery, Targeting
from paidfor.domain.money import default_rates, parse_decimal
from paidfor.ingest.base import Parsed, Progress, RowError, RowRejected, Source, clean, read_csv
from paidfor.ingest.ira_targeting import parse_targeting
from paidfor.ingest.landing import parse_landing

SOURCE_KEY = "hpsci-ira"
REMOVAL_REASON = (
    "Removed for coordinated inauthentic behaviour: run by the Internet Research Agency "
    "(Russia) from fake accounts and pages; released by the US House Permanent Select "
    "Committee on Intelligence."
)
PACIFIC = ZoneInfo("America/Los_Angeles")
_ZONES = {"PDT": timezone(timedelta(hours=-7)), "PST": timezone(timedelta(hours=-8))}
# "06/18/15 12:58:48 AM PDT", and the scans' variants: "02/21117 ..." (a slash read as 1),
# "06:34 10" (a colon read as a space), "01 :59:17", "01:29:39AM".
_LABEL_DATE = re.compile(
    r"^(\d{1,2})\s*/\s*(\d{1,2})\s*[/1]\s*(\d{2})\s+(\d{1,2})\s*:\s*(\d{2})\s*[: ]\s*(\d{2})"
    r"\s*([AP])\s*M\s*(P[DS]T)?\s*$",
    re.I,
)
_ID = re.compile(r"^\s*(\d+)\s*(.*)$", re.S)
_MONEY_SEP = re.compile(r"[.,;:\s]")
_FOLDER_MONTH = re.compile(r"(20\d\d)-(\d\d)/")
_PLATFORMS = (
    ("instagram", "instagram"),
    ("audience network", "audience_network"),
    ("messenger", "messenger"),
    ("news feed", "facebook"),
    ("right column", "facebook"),
    ("desktop", "facebook"),
    ("mobile", "facebook"),
)


def parse_label_date(text: str) -> datetime:
    """A PDF label timestamp as an aware datetime; ValueError if it is not a real moment."""
    m = _LABEL_DATE.match(text)
    if not m:
        raise ValueError(f"unreadable date {text!r}")
    month, day, yy, hour, minute, second = (int(g) for g in m.groups()[:6])
    if not 1 <= hour <= 12:
        raise ValueError(f"impossible time {text!r}")
    hour = hour % 12 + (12 if m.group(7).upper() == "P" else 0)
    zone = _ZONES[m.group(8).upper()] if m.group(8) else PACIFIC
    try:
        return datetime(2000 + yy, month, day, hour, minute, second, tzinfo=zone)
    except ValueError as exc:
        raise ValueError(f"impossible date {text!r}") from exc


def parse_money(text: str) -> Decimal:
    """``10,085.77 RUB``, and OCR variants ``1.025.52 RUB``, ``120;950.66 RUB`` → Decimal."""
    body = re.sub(r"[A-Za-z]+\s*$", "", text.strip()).strip()
    if not body:
        raise ValueError(f"no amount in {text!r}")
    m = re.match(r"^(.*?)[.,;:](\d{2})$", body)
    whole, cents = (m.group(1), m.group(2)) if m else (body, "00")
    whole = _MONEY_SEP.sub("", whole)
    if whole.startswith("-"):
        raise RowRejected(f"negative spend {text!r}")
    if not (whole.isascii() and whole.isdigit()):  # "²".isdigit(), yet no Decimal digit
        return parse_decimal(body)  # plain forms such as "1e3"
    return Decimal(f"{whole}.{cents}")


def parse_count(text: str | None, what: str) -> int | None:
    value = clean(text)
    if value is None:
        return None
    digits = value.replace(",", "").replace(" ", "")
    if not (digits.isascii() and digits.isdigit()):
        raise RowRejected(f"{what} is not a whole number: {value!r}")
    return int(digits)


def platforms_of(placements: list[str]) -> list[str]:
    found: dict[str, None] = {}
    for placement in placements:
        low = placement.lower()
        for needle, platform in _PLATFORMS:
            if needle in low:
                found.setdefault(platform, None)
                break
    return list(found)


class HpsciIra(Source):
    name: ClassVar[str] = SOURCE_KEY
    description: ClassVar[str] = "HPSCI release of the IRA Facebook ads (clean or raw-label CSV)"

    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Parsed | RowError]:
        seen: dict[str, int] = {}
        for item in read_csv(path, progress):
            if isinstance(item, RowError):
                yield item
                continue
            line, row = item
            try:
                ad = self.parse_row(row)
            except (RowRejected, ValueError) as exc:
                yield RowError(str(path), line, str(exc))
                continue
            # The raw-label file gives one Ad ID to two different ads: keep both, the second
            # under "ID#2", so nothing is lost and a re-import maps to the same keys.
            count = seen.get(ad.external_id, 0) + 1
            seen[ad.external_id] = count
            if count > 1:
                ad.external_id = f"{ad.external_id}#{count}"
            yield Parsed(line, ad)

    def parse_row(self, row: dict[str, str]) -> Ad:
        if "Ad_ID" in row:
            return self._clean_row(row)
        if "Ad ID" in row:
            return self._label_row(row)
        raise RowRejected("neither the clean (Ad_ID) nor the raw-label (Ad ID) layout")

    # -- the two layouts -------------------------------------------------------------------

    def _clean_row(self, row: dict[str, str]) -> Ad:
        ad_id, text = _split_id(row["Ad_ID"], clean(row.get("Ad_Text")))
        local_day = _iso_day(clean(row.get("Create_Date")), "Create_Date")
        end_day = _iso_day(clean(row.get("End_Date")), "End_Date")
        created = _precise(clean(row.get("txt_create")), local_day)
        ended = _precise(clean(row.get("txt_end")), end_day)
        spend_text = clean(row.get("Spend_RUB"))
        spend = parse_decimal(spend_text) if spend_text is not None else None
        if spend is not None and spend < 0:
            raise RowRejected(f"negative spend {spend_text!r}")
        rate_day = local_day or _folder_month(row.get("fname", ""))
        targeting = parse_targeting(
            location=row.get("Location"),
            age=row.get("Age"),
            gender=row.get("Gender"),
            language=row.get("Language"),
            placements=row.get("Placements"),
            people_who_match=row.get("People_Who_Match"),
            interests=row.get("Interests"),
            custom_audience=row.get("Custom_Audience"),
            excluded_connections=row.get("Excluded_Connections"),
        )
        return self._ad(
            ad_id,
            text,
            clean(row.get("Ad_Landing_Page")),
            created,
            ended,
            spend,
            rate_day,
            parse_count(row.get("Impressions"), "Impressions"),
            parse_count(row.get("Clicks"), "Clicks"),
            targeting,
        )

    def _label_row(self, row: dict[str, str]) -> Ad:
        ad_id, text = _split_id(row["Ad ID"], clean(row.get("Ad Text")))
        created_text = clean(row.get("Ad Creation Date"))
        created = parse_label_date(created_text) if created_text else None
        ended_text = clean(row.get("Ad End Date"))
        ended = parse_label_date(ended_text) if ended_text else None
        spend_text = clean(row.get("Ad Spend"))
        # "None" on the label means nothing was spent (the clean table has 0 there).
        spend = Decimal(0) if row.get("Ad Spend", "").strip() == "None" else None
        if spend_text is not None:
            spend = parse_money(spend_text)
        targeting = parse_targeting(
            location=row.get("Ad Targeting Location"),
            age=row.get("Age"),
            language=row.get("Language"),
            placements=row.get("Placements"),
            people_who_match=row.get("People Who Match"),
            excluded_connections=row.get("Excluded Connections"),
            friends_of_connections=row.get("Friends of Connections"),
        )
        return self._ad(
            ad_id,
            text,
            clean(row.get("Ad Landing Page")),
            created,
            ended,
            spend,
            created.date() if created else None,
            parse_count(row.get("Ad Impressions"), "Ad Impressions"),
            parse_count(row.get("Ad Clicks"), "Ad Clicks"),
            targeting,
        )

    def _ad(
        self,
        ad_id: str,
        text: str | None,
        landing: str | None,
        created: datetime | None,
        ended: datetime | None,
        spend: Decimal | None,
        rate_day: date | None,
        impressions: int | None,
        clicks: int | None,
        targeting: Targeting,
    ) -> Ad:
        usd = None
        if spend is not None:
            usd = default_rates().to_usd(spend, "RUB", rate_day)
        page = parse_landing(landing)
        bodies = [text] if text and set(text) - set("? \n") else []
        return Ad(
            source=SOURCE_KEY,
            external_id=ad_id,
            creative=Creative(bodies=bodies, landing_url=landing),
            page=page.to_page() if page else None,
            targeting=targeting,
            delivery=Delivery(
                currency="RUB",
                spend=spend,
                spend_usd=usd,
                impressions=impressions,
                clicks=clicks,
                reached_countries=targeting.countries,
            ),
            created_at=created,
            start_at=created,
            stop_at=ended,
            status=AdStatus.REMOVED,
            removal_reason=REMOVAL_REASON,
            is_political=True,
            platforms=platforms_of(targeting.placements),
        )


def _split_id(cell: str, text: str | None) -> tuple[str, str | None]:
    """The Ad ID; in a few scanned rows the ad's text ran into the ID cell."""
    m = _ID.match(cell or "")
    if not m:
        raise RowRejected(
            f"no Ad ID (got {cell.strip()[:40]!r})" if cell.strip() else "empty Ad ID"
        )
    spill = m.group(2).strip()
    if spill and not text:
        text = spill
    return m.group(1), text


def _iso_day(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise RowRejected(f"{what} is not a real date: {text!r}") from exc


def _precise(label: str | None, day: date | None) -> datetime | None:
    """The label's full timestamp when it agrees with the day column, else local midnight."""
    if label:
        try:
            moment = parse_label_date(label)
        except ValueError:
            moment = None
        if moment is not None and (day is None or moment.date() == day):
            return moment
    if day is None:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=PACIFIC)


def _folder_month(fname: str) -> date | None:
    """The release files ads by month ("2015-q3/2015-07/P(1)0001918.pdf"): a rate date for the
    two ads whose dates were lost in the scan."""
    m = _FOLDER_MONTH.search(fname)
    return date(int(m.group(1)), int(m.group(2)), 15) if m else None
