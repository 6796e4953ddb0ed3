"""The URL rules, written once: a URL's host, and the site it belongs to.

- ``host_of``: the host of a URL (the scheme may be missing: ``example.com/x``), lowercased,
  without a trailing dot; None when there is none (``mailto:a@b.example``, ``javascript:...``:
  a scheme without ``//`` has no host), when it cannot be read, or when it is longer than DNS
  allows (253 characters).
- ``site_of``: the registrable domain of that host by the Public Suffix List (bundled with
  ``publicsuffixlist``; no network): ``a.evil.example`` and ``b.evil.example`` are one site,
  ``evil.example``; ``example.co.uk`` under ``co.uk``; ``someone.blogspot.com`` is its own
  site (``blogspot.com`` is a suffix others register under). An address or a single label
  (``10.0.0.1``, ``localhost``) has no site.

- ``link_of``: the URL itself when it may be a link, else None: only ``http`` and ``https``
  with a host; ``javascript:``, ``data:``, ``vbscript:``, relative paths and anything with a
  control character are text, never an ``href`` (every template renders URLs from data
  through it, as the ``link`` filter; the importers report the others).

The site is what ties: ads landing on one site are the stored ``ads.landing_domain``, the
integrity ``domain`` attribute and signal, and the ``domain`` indicator a case publishes;
an indicator matches a host or any site above it (``integrity.indicators``).
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache, lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

MAX_HOST = 253
_NO_AUTHORITY = re.compile(r"^[a-z][a-z0-9+.-]*:(?!\d)", re.IGNORECASE)  # "mailto:", not "host:80"


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()


LINK_SCHEMES = frozenset({"http", "https"})
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
# The common case, read without ``urlsplit`` (an import reads two or three URLs an ad): a
# lower-case http(s) scheme, a host of lower-case letters, digits, dots and hyphens (no
# user, no port), then a path, query or fragment or nothing. ``urlsplit`` reads such a URL
# the same way (tests/domain/test_urls.py holds them equal); anything else goes through it.
_PLAIN = re.compile(r"https?://([a-z0-9.-]+)(?:[/?#][^\x00-\x20\x7f]*)?")


def link_of(url: str | None) -> str | None:
    """The module's ``link_of``."""
    if not url:
        return None
    if _PLAIN.fullmatch(url):
        return url
    return _split_link(url)


def _split_link(url: str) -> str | None:
    """``link_of`` by ``urlsplit``."""
    text = url.strip()
    if not text or _CONTROL.search(text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    return text if parts.scheme.lower() in LINK_SCHEMES and host else None


def canonical_domain(domain: str) -> str:
    """A domain as given (an indicator's value, a host) in one form: trimmed, lowercased,
    without a trailing dot."""
    return domain.strip().lower().rstrip(".")


def host_of(url: str | None) -> str | None:
    """The module's ``host_of``."""
    if not url:
        return None
    plain = _PLAIN.fullmatch(url)
    if plain is not None:
        host = canonical_domain(plain.group(1))
        return host if host and len(host) <= MAX_HOST else None
    return _split_host(url)


def _split_host(url: str) -> str | None:
    """``host_of`` by ``urlsplit``."""
    if not url.strip():
        return None
    text = url.strip()
    if "//" not in text and _NO_AUTHORITY.match(text):
        return None
    try:
        host = urlsplit(text if "//" in text else f"//{text}").hostname
    except ValueError:  # "[" without "]", a bad port...
        return None
    if not host:
        return None
    host = canonical_domain(host)
    return host if host and len(host) <= MAX_HOST else None


def site_of(url: str | None) -> str | None:
    """The module's ``site_of``, of a URL or a bare host."""
    host = host_of(url)
    return None if host is None else _site_of_host(host)


@lru_cache(maxsize=1 << 16)
def _site_of_host(host: str) -> str | None:
    """A host's site; cached, since an import meets the same few hosts on most of its ads
    (the list lookup is most of ``site_of``'s time: 13 µs a URL uncached)."""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    site = _suffixes().privatesuffix(host)
    return str(site) if site else None
