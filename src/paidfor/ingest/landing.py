"""Turn an ad's landing URL into the Page that ran it.

Facebook pages become pages keyed by their numeric id (``/Black-Matters-1579673598947501/``,
``/pages/L-for-life/994910227187446``) or, without an id, by their vanity path
(``/blackmattersus.mvmnt/``); events and Instagram accounts get their own kinds; any other
site becomes a landing domain.

A Facebook address whose first segment is one of Facebook's own (``FACEBOOK_PATHS``: no page
can take such a name) is not a page: a redirect (``/login/?next=``, ``l.php?u=``,
``lsr.php?u=``) is followed to the address it leads to; a shop's product
(``/commerce/products/ID``) and a group get kinds of their own; the rest are kind
``facebook``, keyed by the path, never a page named "login" or "commerce".

The HPSCI release was made from PDFs by OCR, so URLs carry scanning damage ("www .face
book. com", "\\vww", "facebook.comNVoke-Blacks", "1 601685693432389", "29423460095643l");
the common damage is repaired before keying, so one page is one Page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from paidfor.domain import Page
from paidfor.domain.urls import host_of

_TRAILER = re.compile(r"\s+(Ad Targeting|Ad Impressions|Ad Clicks).*$", re.S)
_FB_HOST = re.compile(
    r"^(?:https?:\s*/\s*/)?\s*(?:[\\/]?vww|www|w\s*w\s*w|[lI1m](?=\s*\.))?[\s.,]*face\s*book\s*[.,]\s*c\s*o\s*m",
    re.I,
)
# Facebook's own first path segments, which no page can take as its name. Redirects lead on.
REDIRECTS = frozenset({"login", "login.php", "l.php", "lsr.php", "flx"})
FACEBOOK_PATHS = REDIRECTS | frozenset({
    "commerce", "groups", "marketplace", "photo.php", "photos", "photo", "profile.php",
    "permalink.php", "story.php", "watch", "hashtag", "sharer", "sharer.php", "share",
    "share.php", "search", "help", "policies", "privacy", "legal", "ads", "business", "notes",
    "media", "settings", "messages", "notifications", "friends", "home.php", "dialog",
    "plugins", "gaming", "fundraisers", "donate", "live", "video.php", "reg", "recover",
})  # fmt: skip
_REDIRECT_TO = re.compile(r"[?&](?:next|u)=([^&]+)", re.I)
_MAX_REDIRECTS = 3
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


def _redirect_target(url: str) -> str | None:
    """Where a Facebook redirect (``/login/?next=...``, ``l.php?u=...``) leads: its target,
    decoded (scanning put spaces into the encoded address; they go)."""
    found = _REDIRECT_TO.search(re.sub(r"\s+", "", url))
    if found is None:
        return None
    target = unquote(found.group(1))
    return target if target.strip() else None


def _not_a_page(head: str, parts: list[str], url: str, depth: int) -> LandingPage | None:
    """A Facebook address under one of Facebook's own paths: where a redirect leads, a
    shop's product, a group, or an address of kind ``facebook``."""
    key = head.lower()
    if key in REDIRECTS and depth < _MAX_REDIRECTS:
        target = _redirect_target(url)
        found = parse_landing(target, _depth=depth + 1) if target else None
        if found is not None and found.kind != "unknown":
            return LandingPage(found.kind, found.key, found.name, url)
    rest = [re.sub(r"\s+", "", p) for p in parts[1:]]
    if key == "commerce" and len(rest) >= 2 and rest[0].lower() == "products":
        product = _digits(rest[1]) or rest[1]
        return LandingPage("product", product, f"Facebook shop product {product}", url)
    if key == "groups" and rest:
        group = _digits(rest[0]) or rest[0].lower()
        return LandingPage("group", group, f"Facebook group {rest[0]}", url)
    path = "/".join([key, *rest]).lower()
    return LandingPage("facebook", path[:300], f"Facebook /{path}"[:500], url)


def parse_landing(url: str | None, *, _depth: int = 0) -> LandingPage | None:
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
        if head.lower() == "events":
            # the event's number, else (scanning read its "/" as "?") what follows the "?"
            after = parts[1] if len(parts) > 1 else url.split("?", 1)[-1] if "?" in url else ""
            event = _digits(after.strip(" /")) or after.strip(" /")
            if event:
                return LandingPage("event", event, f"Facebook event {event}", url)
        if head.lower() in FACEBOOK_PATHS or head.lower() == "events":
            return _not_a_page(head, parts, url, _depth)
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
