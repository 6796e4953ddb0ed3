"""The URL rules of ``domain.urls``: a URL's host and its site, one meaning everywhere (the
stored landing domain, the integrity ``domain`` tie, a published ``domain`` indicator)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paidfor.domain.urls import host_of, site_of


def test_the_site_is_the_registrable_domain() -> None:
    assert site_of("https://WWW.News.Example.com/x?y") == "example.com"
    assert site_of("http://a.b.example.co.uk/") == "example.co.uk"
    assert site_of("https://example.org") == "example.org"
    assert site_of("heartland-news.example/about") == "heartland-news.example"
    # two hosts of one site are one site: what ties them in integrity and in the exchange
    assert site_of("http://a.evil.example/x") == site_of("https://b.evil.example") == "evil.example"
    # a suffix people register under (the list's private section) is not one site
    assert site_of("https://alice.blogspot.com/") != site_of("https://bob.blogspot.com/")


def test_no_host_no_site() -> None:
    for url in (None, "", "  ", "https://10.0.0.1/login", "https://[::1]:8080/", "https://localhost/",
                "http://[bad", "mailto:someone@evil.example", "javascript:alert(1)//"):  # fmt: skip
        assert site_of(url) is None, url
    assert host_of("mailto:someone@evil.example") is None
    assert host_of("javascript:alert(document.domain)//") is None
    assert host_of("example.com:8080/x") == "example.com"  # no scheme, a port
    assert host_of("HTTPS://WWW.Example.COM./") == "www.example.com"
    assert host_of("http://" + "a" * 250 + ".example") is None  # longer than DNS allows


LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@given(
    st.lists(LABEL, min_size=1, max_size=4),
    st.sampled_from(["com", "org", "co.uk", "example", "de"]),
    st.sampled_from(["http://", "https://", "", "HTTP://WWW."]),
    st.sampled_from(["", "/", "/path?q=1", ":8080/x"]),
)
def test_the_site_is_a_suffix_of_the_host_and_its_own_site(
    labels: list[str], suffix: str, scheme: str, rest: str
) -> None:
    url = f"{scheme}{'.'.join(labels)}.{suffix}{rest}"
    host, site = host_of(url), site_of(url)
    assert host is not None and site is not None
    assert host == host.lower() and (host == site or host.endswith("." + site))
    assert site_of(site) == site  # idempotent
    assert site.count(".") == suffix.count(".") + 1  # one label under the public suffix


@given(st.text(max_size=80))
def test_any_text_gives_a_site_or_none(text: str) -> None:
    site = site_of(text)
    assert site is None or (site == site.lower() and site_of(site) == site)


_URL_PARTS = st.sampled_from(
    ["http", "https", "HTTP", "ftp", "://", "//", ":", "/", "?", "#", "@", ".", "-", "a", "Z",
     "0", "9", " ", "\t", "\n", "\x00", "\x7f", "[", "]", "é", "%2F", "example", "com", "80"]
)  # fmt: skip


@given(st.lists(_URL_PARTS, max_size=12).map("".join))
def test_the_quick_reading_of_a_plain_url_agrees_with_urlsplit(url: str) -> None:
    """``link_of`` and ``host_of`` read a plain http(s) URL without ``urlsplit``: the answer
    is the one ``urlsplit`` gives, for any text."""
    from paidfor.domain.urls import _split_host, _split_link, link_of

    assert link_of(url) == (_split_link(url) if url else None)
    assert host_of(url) == (_split_host(url) if url else None)
    for plain in ("https://" + url, "http://a" + url):
        assert link_of(plain) == _split_link(plain)
        assert host_of(plain) == _split_host(plain)
