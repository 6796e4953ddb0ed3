"""Turn an ad's landing URL into the Page that ran it.

Facebook pages become pages keyed by their numeric id (``/Black-Matters-1579673598947501/``,
``/pages/L-for-life/994910227187446``) or, without an id, by their vanity path
(``/blackmattersus.mvmnt/``); events and Instagram accounts get their own kinds; any other
site becomes a landing domain. The HPSCI release was made from PDFs by OCR, so URLs carry
scanning damage ("www .face book. com", "\\vww", "facebook.comNVoke-Blacks", "1 601685693432389",
"29423460095643l"); the common damage is repaired before keying, so one page is one Page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from paidfor.domain import Page
from paidfor.domain.urls import host_of

_TRAILER = re.compile(r"\s+(Ad Targeting|Ad Impressions|Ad Clicks).*$", re.S)
_FB_HOST = re.compile(
    r"^(?:https?:\s*/\s*/)?\s*(?:[\\/]?vww|www|w\s*w\s*w)?[\s.,]*face\s*book\s*[.,]\s*c\s*o\s*m",
    re.I,
)
# OCR read the "/" after ".com" (and the W after it) as n, N, A, N\, \/...
_SLASH_W = re.compile(r"^(?:ANoke|NVoke|nVoke)", re.I)
_DIGITISH = str.maketrans({"l": "1", "I": "1", "i": "1", "O": "0", "o": "0", "S": "5"})
_ID_TAIL = re.compile(r"[-_ ]?([0-9lIO][0-9lIO ]{7,}[0-9lIO])\s*/?$")
_SLUG_SPLIT = re.compile(r"[-_—\s]+")


@dataclass(frozen=True)
class LandingPage:
    kind: str  # page, event, instagram, domain, unknown
    key: str
    name: str
    url: str

    def to_page(self) -> Page:
        return Page(name=self.name, kind=self.kind, external_id=self.key, url=self.url)


def _digits(text: str) -> str | None:
    fixed = text.translate(_DIGITISH).replace(" ", "")
    return fixed if fixed.isascii() and fixed.isdigit() and len(fixed) >= 9 else None


def _fb_path(url: str) -> str | None:
    m = _FB_HOST.match(url.strip())
    if not m:
        return None
    rest = url.strip()[m.end() :]
    rest = rest.lstrip(" ")
    if rest.startswith(("/", "\\")) or rest[:1] in ("n", "N", "A"):
        rest = rest[1:]
    rest = rest.replace("\\/V", "W").replace("\\/", "W")
    if rest[:2] in ("Vi", "VI", "Vo", "Vj") or (rest[:1] == "V" and rest[1:2].islower()):
        rest = "W" + rest[1:]
    if rest.startswith("VV"):
        rest = "W" + rest[2:]
    return rest.split("?")[0].split("#")[0]


def _slug_name(slug: str) -> str:
    words = [w for w in _SLUG_SPLIT.split(slug) if w]
    return " ".join(words) or slug


def parse_landing(url: str | None) -> LandingPage | None:
    """The page behind a landing URL, or None if there is no URL at all."""
    if url is None:
        return None
    url = _TRAILER.sub("", url.strip())
    url = re.sub(r"^(https?):\s*[H/]{1,2}", r"\1://", url, flags=re.I)  # "//" scanned as "H"
    url = re.sub(r"\s+[Il|]$", "/", url)  # a final "/" scanned as " I"
    if not url:
        return None
    path = _fb_path(url)
    if path is not None:
        parts = [p for p in re.split(r"/+", path) if p.strip()]
        if not parts:
            return LandingPage("page", "facebook", "Facebook", url)
        head = parts[0].strip()
        if head.lower() == "events" and len(parts) > 1:
            event = _digits(parts[1]) or parts[1].strip()
            return LandingPage("event", event, f"Facebook event {event}", url)
        if head.lower() == "pages" and len(parts) > 1:
            name = _slug_name(parts[1])
            page_id = _digits(parts[2]) if len(parts) > 2 else None
            return LandingPage("page", page_id or name.lower(), name, url)
        m = _ID_TAIL.search(head)
        if m and _digits(m.group(1)):
            page_id = _digits(m.group(1)) or ""
            name = _slug_name(head[: m.start()]) or page_id
            return LandingPage("page", page_id, name, url)
        vanity = re.sub(r"\s+", "", head).rstrip("/")
        return LandingPage("page", vanity.lower(), vanity, url)
    cleaned = re.sub(r"\s+", "", url)
    if not re.match(r"^[a-z][a-z0-9+.-]*:", cleaned, re.I):
        cleaned = "http://" + cleaned
    host = (host_of(cleaned) or "").removeprefix("www.")
    if not host or "." not in host:  # none, unreadable ("[" without "]"), or one label
        return LandingPage("unknown", url.lower(), url, url)
    if host == "instagram.com":
        handle = urlsplit(cleaned).path.strip("/").split("/")[0].lower()
        if handle:
            return LandingPage("instagram", handle, f"@{handle}", url)
    return LandingPage("domain", host, host, url)
