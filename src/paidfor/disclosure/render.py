"""The human-readable side of a disclosure package: ``index.html`` and ``index.pdf``.

Both show the request, then every ad in the style of the House Intelligence Committee's 2017
release of the IRA ads (ad id, text, landing page, targeting, impressions, clicks, spend,
creation and end dates), with the page, the "Paid for by" line and the first image.

``ads`` are dicts of the shape the package's export writes (every key may be missing or
empty): ``id, external_id, source, text, link_title, landing_url, targeting, impressions,
clicks, spend, currency, spend_usd, created_at, start_at, stop_at, page, funder, status,
images`` (paths relative to the package folder, like ``creatives/<hash>.png``).

``meta`` describes the request: ``disclosure_id, recipient, legal_basis, requested_by,
approved_by, built_at, case_id, filters`` (a dict), ``counts`` (a dict), ``software``,
optionally ``title`` and ``files`` (the package's files to link from index.html); any other
key is shown as is in index.html.

The PDF has exactly one page per ad; the request is in each page's header and footer. Its
page content is not compressed, so every ASCII word of it can be found by a byte search of
the package (each printed line is one PDF string, in which ``(``, ``)`` and ``\\`` are
escaped); it is deterministic (ReportLab's invariant mode).
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"  # the package's own index.html
TEMPLATE = "disclosure_index.html"
CONTINUES = "… (text continues in ads.jsonl)"
DEFAULT_FILES = (
    "ads.jsonl",
    "ads.csv",
    "pages.jsonl",
    "advertisers.jsonl",
    "index.pdf",
    "MANIFEST.json",
    "MANIFEST.json.sig",
)
_NONE = "—"

# --- what an ad says, as labelled lines (shared by the HTML and the PDF) ----------------------

_TARGETING_LABELS = {
    "locations": "Location",
    "excluded_locations": "Excluded locations",
    "genders": "Gender",
    "languages": "Language",
    "placements": "Placements",
    "interests": "Interests",
    "excluded_interests": "Excluded interests",
    "behaviors": "Behaviors",
    "excluded_behaviors": "Excluded behaviors",
    "people_who_match": "People who match",
    "custom_audiences": "Custom audiences",
    "excluded_custom_audiences": "Excluded custom audiences",
    "connections": "Connections",
    "friends_of_connections": "Friends of connections",
    "excluded_connections": "Excluded connections",
}
_TARGETING_ORDER = (
    "locations",
    "excluded_locations",
    "age",
    "genders",
    "languages",
    "interests",
    "excluded_interests",
    "behaviors",
    "excluded_behaviors",
    "people_who_match",
    "custom_audiences",
    "excluded_custom_audiences",
    "connections",
    "friends_of_connections",
    "excluded_connections",
    "placements",
)
# the source text of each field (Targeting.raw) repeats what the lines above say; it stays
# in ads.jsonl
_TARGETING_SKIP = frozenset({"raw", "age_min", "age_max"})


def _country(code: str) -> str:
    try:
        import pycountry

        found = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    except (ImportError, LookupError, KeyError):
        found = None
    return str(getattr(found, "common_name", None) or getattr(found, "name", None) or code)


def _location(loc: Any) -> str:
    if not isinstance(loc, dict):
        return str(loc)
    city = loc.get("city")
    if city and loc.get("radius_km"):
        city = f"{city} (+{loc['radius_km']} km)"
    parts = [p for p in (city, loc.get("region")) if p]
    if loc.get("country"):
        parts.append(_country(str(loc["country"])))
    return ", ".join(str(p) for p in parts) or str(loc.get("raw") or "")


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items() if v not in (None, "", []))
    if isinstance(value, list | tuple):
        return "; ".join(_value(v) for v in value if v not in (None, "", []))
    return str(value)


def _label(key: str) -> str:
    return _TARGETING_LABELS.get(key) or key.replace("_", " ").strip().capitalize()


def targeting_lines(targeting: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The targeting as (label, text) lines, the known fields first, then any other field."""
    if not isinstance(targeting, dict):
        return []
    lines: list[tuple[str, str]] = []
    keys = [k for k in _TARGETING_ORDER if k == "age" or k in targeting]
    keys += sorted(k for k in targeting if k not in _TARGETING_ORDER and k not in _TARGETING_SKIP)
    for key in keys:
        if key == "age":
            lo, hi = targeting.get("age_min"), targeting.get("age_max")
            if lo is None and hi is None:
                continue
            if hi is None:
                text = f"{lo}+" if lo not in (None, 65) else "65+"
            else:
                text = f"{lo if lo is not None else 13} – {hi}"
            lines.append(("Age", text))
            continue
        value = targeting.get(key)
        if value in (None, "", [], {}):
            continue
        if key in ("locations", "excluded_locations") and isinstance(value, list):
            # one line per country, its places after it, as the 2017 release printed them
            # ("United States: Baltimore (+20 km), Maryland; St. Louis, Missouri")
            groups: dict[str, list[str]] = {}
            for loc in value:
                if isinstance(loc, dict) and loc.get("country"):
                    place = _location({**loc, "country": None})
                    groups.setdefault(_country(str(loc["country"])), []).append(place)
                else:
                    groups.setdefault(_location(loc), [])
            for country, places in groups.items():
                shown = "; ".join(p for p in places if p)
                lines.append((_label(key), f"{country}: {shown}" if shown else country))
            continue
        else:
            text = _value(value)
        if text:
            lines.append((_label(key), text))
    return lines


def _count(value: Any) -> str:
    if value is None or value == "":
        return _NONE
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def _decimal(value: Any, places: int | None = None) -> str | None:
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value))
        if places is not None:
            d = d.quantize(Decimal(1).scaleb(-places))
        return f"{d:,f}"
    except (InvalidOperation, ValueError):
        return str(value)


def _money(value: Any) -> str | None:
    """An amount with at least two decimals (``18.1`` → ``18.10``), never rounded."""
    try:
        exponent = Decimal(str(value)).as_tuple().exponent
    except (InvalidOperation, ValueError):
        return _decimal(value)
    return _decimal(value, 2 if isinstance(exponent, int) and exponent > -2 else None)


def spend_text(ad: dict[str, Any]) -> str:
    """``10,085.77 RUB (189.56 USD)``; ``—`` when nothing is known."""
    spend = _money(ad.get("spend")) if ad.get("spend") not in (None, "") else None
    currency = ad.get("currency") or ""
    usd = _decimal(ad.get("spend_usd"), 2)
    if spend is None:
        return f"{usd} USD" if usd is not None else _NONE
    text = f"{spend} {currency}".strip()
    if usd is not None and str(currency).upper() != "USD":
        text += f" ({usd} USD)"
    return text


def date_text(value: Any) -> str:
    """An ISO time as ``2015-06-10 09:59:53 UTC`` (other offsets are kept); ``—`` for none."""
    if value is None or value == "":
        return _NONE
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if moment.utcoffset() == UTC.utcoffset(None):
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


def ad_rows(ad: dict[str, Any]) -> list[tuple[str, str]]:
    """Everything but the text, targeting and images, as (label, text) rows."""
    rows = [("Ad Landing Page", str(ad.get("landing_url") or _NONE))]
    if ad.get("link_title"):
        rows.append(("Ad Link Title", str(ad["link_title"])))
    rows += [
        ("Ad Impressions", _count(ad.get("impressions"))),
        ("Ad Clicks", _count(ad.get("clicks"))),
        ("Ad Spend", spend_text(ad)),
        ("Ad Creation Date", date_text(ad.get("created_at"))),
    ]
    if ad.get("start_at") and ad.get("start_at") != ad.get("created_at"):
        rows.append(("Ad Start Date", date_text(ad.get("start_at"))))
    rows += [
        ("Ad End Date", date_text(ad.get("stop_at"))),
        ("Page", str(ad.get("page") or _NONE)),
        ("Paid for by", str(ad.get("funder") or "(no “Paid for by” disclaimer)")),
        ("Status", str(ad.get("status") or _NONE)),
    ]
    return rows


def ad_title(ad: dict[str, Any]) -> str:
    """``3101 (hpsci-ira 3101)``: the package's id, then where the ad came from."""
    ident = str(ad.get("id") if ad.get("id") is not None else _NONE)
    origin = " ".join(str(p) for p in (ad.get("source"), ad.get("external_id")) if p)
    return f"{ident} ({origin})" if origin and origin != ident else ident


def scope_text(meta: dict[str, Any]) -> str:
    """``case #12`` or ``currency=RUB, date_min=2015-01-01``."""
    parts = []
    if meta.get("case_id") is not None:
        parts.append(f"case #{meta['case_id']}")
    filters = meta.get("filters")
    if isinstance(filters, dict) and filters:
        parts.append(", ".join(f"{k}={_value(v)}" for k, v in sorted(filters.items())))
    return "; ".join(parts) or _NONE


def counts_text(meta: dict[str, Any]) -> str:
    counts = meta.get("counts")
    if isinstance(counts, dict):
        return ", ".join(f"{_count(v)} {k}" for k, v in counts.items())
    return _value(counts) or _NONE


_META_ROWS = (
    ("disclosure_id", "Disclosure"),
    ("recipient", "Recipient"),
    ("legal_basis", "Legal basis"),
    ("requested_by", "Requested by"),
    ("approved_by", "Approved by"),
    ("built_at", "Built at"),
)
_META_SHOWN = frozenset({k for k, _ in _META_ROWS} | {"case_id", "filters", "counts", "title"})
_META_SHOWN |= {"files", "software"}


def meta_rows(meta: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [(label, _value(meta.get(key)) or _NONE) for key, label in _META_ROWS]
    rows.insert(-1, ("Scope", scope_text(meta)))
    rows.append(("Contents", counts_text(meta)))
    if meta.get("software"):
        rows.append(("Software", _value(meta["software"])))
    rows += [(_label(k), _value(v)) for k, v in meta.items() if k not in _META_SHOWN]
    return rows


def _safe_relative(path: Any) -> str | None:
    """``path`` as a relative URL inside the package, or None if it is not one."""
    if not isinstance(path, str) or not path or "\\" in path or path.startswith("/"):
        return None
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts) or ":" in parts[0]:
        return None
    return quote(path)


# --- index.html -----------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        keep_trailing_newline=True,
    )
    return env


def render_html(ads: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """The package's ``index.html``: the request, then one section per ad. Self-contained
    (inline CSS, no script, a Content-Security-Policy that forbids any); every value is
    escaped; images and files are linked by relative paths."""
    views = []
    for ad in ads:
        images = [u for u in (_safe_relative(p) for p in ad.get("images") or []) if u]
        views.append(
            {
                "anchor": f"ad-{ad.get('id')}",
                "title": ad_title(ad),
                "text": ad.get("text") or "",
                "targeting": targeting_lines(ad.get("targeting")),
                "rows": ad_rows(ad),
                "images": images,
            }
        )
    files = meta.get("files") or DEFAULT_FILES
    links = [(name, u) for name in files if (u := _safe_relative(name))]
    title = meta.get("title") or f"Disclosure {meta.get('disclosure_id') or ''}".strip()
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(title=title, meta_rows=meta_rows(meta), ads=views, links=links, none=_NONE)
    )


# --- index.pdf ------------------------------------------------------------------------------

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
# fonts tried, in order, for a character DejaVu Sans lacks (when they are installed; only
# TrueType outlines, which ReportLab can embed)
_FALLBACK_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansSymbols-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoEmoji-Regular.ttf",
    "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
_PAGE_W, _PAGE_H = 612.0, 792.0  # US Letter, like the committee's release
_MARGIN = 48.0
_LABEL_W = 112.0
_VALUE_X = _MARGIN + _LABEL_W
_VALUE_W = _PAGE_W - _MARGIN - _VALUE_X
_ROW_SIZE = 9.0
_ROW_LEADING = 11.0
_TEXT_SIZES = (11.0, 10.0, 9.0, 8.0, 7.0, 6.5, 6.0, 5.5, 5.0)
_MAX_TARGETING_LINES = 40
_MIN_TARGETING_LINES = 8
_TEXT_RESERVE = 110.0  # the least room the text keeps (then it shrinks)
_MAX_ROW_LINES = 3  # the landing page, the page's name, ...
_IMAGE_MAX_H = 220.0
_IMAGE_MIN_H = 90.0
_HEAD_SIZE = 7.5


@dataclass
class _FontSet:
    regular: str
    bold: str
    fallbacks: list[str]
    maps: dict[str, Any]  # font name -> its cmap (code point -> glyph), or None (standard)


_font_state: dict[str, _FontSet] = {}


def _fonts() -> _FontSet:
    """Register the TrueType fonts once: DejaVu Sans (Debian's), else ReportLab's Vera."""
    if "set" in _font_state:
        return _font_state["set"]
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    def register(name: str, path: Path | str) -> str | None:
        try:
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, str(path)))
            return name
        except Exception:  # a missing or unusable font file: try the next one
            return None

    regular = bold = None
    for folder in _FONT_DIRS:
        regular = register("PaidforSans", folder / "DejaVuSans.ttf")
        bold = register("PaidforSans-Bold", folder / "DejaVuSans-Bold.ttf")
        if regular:
            break
    if not regular:
        shipped = Path(reportlab.__file__).parent / "fonts"
        regular = register("PaidforSans", shipped / "Vera.ttf")
        bold = register("PaidforSans-Bold", shipped / "VeraBd.ttf")
    regular = regular or "Helvetica"
    bold = bold or ("Helvetica-Bold" if regular == "Helvetica" else regular)
    fallbacks = [
        name
        for i, path in enumerate(_FALLBACK_FONTS)
        if Path(path).is_file() and (name := register(f"PaidforFallback{i}", path))
    ]
    maps: dict[str, Any] = {}
    for name in (regular, bold, *fallbacks):
        face = getattr(pdfmetrics.getFont(name), "face", None)
        maps[name] = getattr(face, "charToGlyph", None)
    _font_state["set"] = _FontSet(regular, bold, fallbacks, maps)
    return _font_state["set"]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _Typesetter:
    """Lines of text in a font that may lack characters: each character goes to the first
    font that has it; a zero-width one nobody has is dropped, any other becomes U+FFFD (or
    ``?``), so nothing ever fails to print. Widths are cached per character."""

    def __init__(self) -> None:
        from reportlab.pdfbase import pdfmetrics

        self.fonts = _fonts()
        self._string_width = pdfmetrics.stringWidth
        self._choice: dict[tuple[str, str], tuple[str, str]] = {}
        self._width: dict[tuple[str, str], float] = {}

    def _has(self, font: str, ch: str) -> bool:
        cmap = self.fonts.maps.get(font)
        if cmap is None:  # a standard font: Latin-1
            return ord(ch) < 256
        return bool(cmap.get(ord(ch)))

    def choose(self, ch: str, font: str) -> tuple[str, str]:
        """(the font to draw ``ch`` in, what to draw)."""
        key = (font, ch)
        found = self._choice.get(key)
        if found is None:
            found = self._pick(ch, font)
            self._choice[key] = found
        return found

    def _pick(self, ch: str, font: str) -> tuple[str, str]:
        for candidate in (font, self.fonts.regular, *self.fonts.fallbacks):
            if self._has(candidate, ch):
                return candidate, ch
        if unicodedata.category(ch) in ("Cf", "Mn", "Me", "Cc"):
            return font, ""  # joiners, variation selectors, combining marks: no box
        for replacement in ("\ufffd", "?"):
            if self._has(font, replacement):
                return font, replacement
        return font, "?"

    def runs(self, text: str, font: str) -> list[tuple[str, str]]:
        """``text`` as (font, text) runs, characters no font has replaced."""
        out: list[tuple[str, str]] = []
        for ch in text:
            f, s = self.choose(ch, font)
            if not s:
                continue
            if out and out[-1][0] == f:
                out[-1] = (f, out[-1][1] + s)
            else:
                out.append((f, s))
        return out

    def width(self, text: str, font: str, size: float) -> float:
        total = 0.0
        for ch in text:
            key = (font, ch)
            w = self._width.get(key)
            if w is None:
                f, s = self.choose(ch, font)
                w = self._string_width(s, f, 1000.0) / 1000.0 if s else 0.0
                self._width[key] = w
            total += w
        return total * size

    def clean(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
        return _CONTROL.sub(" ", text.replace("\t", "    "))

    def wrap(self, text: str, font: str, size: float, width: float) -> list[str]:
        """``text`` broken into lines no wider than ``width``: at spaces, and inside words
        longer than a line. Line breaks in the text are kept."""
        lines: list[str] = []
        space = self.width(" ", font, size)
        for paragraph in self.clean(text).split("\n"):
            line, line_w = "", 0.0
            for word in paragraph.split():
                w = self.width(word, font, size)
                if line and line_w + space + w <= width:
                    line, line_w = f"{line} {word}", line_w + space + w
                    continue
                if line:
                    lines.append(line)
                line, line_w = "", 0.0
                while w > width:  # a word longer than a line (a URL): break it anywhere
                    cut, cut_w = self._fit(word, font, size, width)
                    lines.append(word[:cut])
                    word = word[cut:]
                    w -= cut_w
                line, line_w = word, self.width(word, font, size)
            lines.append(line)
        return lines

    def _fit(self, word: str, font: str, size: float, width: float) -> tuple[int, float]:
        total = 0.0
        for i, ch in enumerate(word):
            w = self.width(ch, font, size)
            if total + w > width and i > 0:
                return i, total
            total += w
        return len(word), total

    def truncate(self, text: str, font: str, size: float, width: float) -> str:
        """``text`` on one line, cut with "…" if it is too wide."""
        text = " ".join(self.clean(text).split())
        if self.width(text, font, size) <= width:
            return text
        cut, _ = self._fit(text, font, size, width - self.width("…", font, size))
        return text[:cut].rstrip() + "…"

    def draw(self, canvas: Any, x: float, y: float, text: str, font: str, size: float) -> None:
        for f, s in self.runs(text, font):
            canvas.setFont(f, size)
            canvas.drawString(x, y, s)
            x += self._string_width(s, f, size)


@dataclass
class _Block:
    label: str
    lines: list[str]
    size: float
    leading: float

    @property
    def height(self) -> float:
        return max(1, len(self.lines)) * self.leading + 4.0


def _limit(lines: list[str], most: int, tail: str) -> list[str]:
    return lines if len(lines) <= most else [*lines[: most - 1], tail]


class _PdfWriter:
    def __init__(self, canvas: Any, meta: dict[str, Any], total: int, base: Path) -> None:
        self.c = canvas
        self.t = _Typesetter()
        self.meta = meta
        self.total = total
        self.base = base
        self.f = self.t.fonts
        self._images: dict[str, tuple[Any, float, float] | None] = {}
        head = f"Disclosure {_value(meta.get('disclosure_id')) or _NONE}"
        self.head1 = f"{head} · to {_value(meta.get('recipient')) or _NONE}"
        self.head2 = (
            f"Legal basis: {_value(meta.get('legal_basis')) or _NONE} · Scope: {scope_text(meta)}"
        )
        foot = [
            f"Requested by {_value(meta.get('requested_by')) or _NONE}",
            f"approved by {_value(meta.get('approved_by')) or _NONE}",
            f"built {_value(meta.get('built_at')) or _NONE}",
        ]
        if meta.get("software"):
            foot.append(_value(meta["software"]))
        self.foot = " · ".join(foot)

    def _image(self, rel: str) -> tuple[Any, float, float] | None:
        """(a reader, width, height) of an image in the package, or None."""
        if rel not in self._images:
            from reportlab.lib.utils import ImageReader

            found: tuple[Any, float, float] | None = None
            if _safe_relative(rel):
                try:
                    reader = ImageReader(str(self.base / rel))
                    w, h = reader.getSize()
                    if w > 0 and h > 0:
                        found = (reader, float(w), float(h))
                except Exception:  # unreadable or not an image: the page says so
                    found = None
            self._images[rel] = found
        return self._images[rel]

    def page(self, number: int, ad: dict[str, Any]) -> None:
        c, t, f = self.c, self.t, self.f
        width = _PAGE_W - 2 * _MARGIN
        # header and footer: the request, on every page
        top = _PAGE_H - 34
        t.draw(
            c,
            _MARGIN,
            top,
            t.truncate(self.head1, f.bold, _HEAD_SIZE, width - 90),
            f.bold,
            _HEAD_SIZE,
        )
        right = f"Ad {number} of {self.total}" if self.total else "no ads"
        c.setFont(f.regular, _HEAD_SIZE)
        c.drawRightString(_PAGE_W - _MARGIN, top, right)
        t.draw(
            c,
            _MARGIN,
            top - 10,
            t.truncate(self.head2, f.regular, _HEAD_SIZE, width),
            f.regular,
            _HEAD_SIZE,
        )
        c.setLineWidth(0.5)
        c.line(_MARGIN, top - 15, _PAGE_W - _MARGIN, top - 15)
        bottom = 30.0
        c.line(_MARGIN, bottom + 10, _PAGE_W - _MARGIN, bottom + 10)
        t.draw(
            c,
            _MARGIN,
            bottom,
            t.truncate(self.foot, f.regular, _HEAD_SIZE, width - 70),
            f.regular,
            _HEAD_SIZE,
        )
        c.setFont(f.regular, _HEAD_SIZE)
        c.drawRightString(_PAGE_W - _MARGIN, bottom, f"page {number} of {max(1, self.total)}")

        y_top = top - 34
        y_bottom = bottom + 22
        # every row but the text, at a fixed size
        rows: list[_Block] = []
        for label, value in ad_rows(ad):
            lines = t.wrap(value, f.regular, _ROW_SIZE, _VALUE_W)
            lines = _limit(lines, _MAX_ROW_LINES, "… (in full in ads.jsonl)")
            rows.append(_Block(label, lines, _ROW_SIZE, _ROW_LEADING))
        targeting: list[str] = []
        for label, value in targeting_lines(ad.get("targeting")):
            targeting += t.wrap(f"{label}: {value}", f.regular, _ROW_SIZE, _VALUE_W)
        # the targeting may take what the other rows and a few lines of text leave
        others = sum(r.height for r in rows) + 19 + (_IMAGE_MIN_H if ad.get("images") else 0)
        most = int((y_top - y_bottom - others - _TEXT_RESERVE) // _ROW_LEADING)
        targeting = _limit(
            targeting or [_NONE],
            max(_MIN_TARGETING_LINES, min(_MAX_TARGETING_LINES, most)),
            "… (the full targeting is in ads.jsonl)",
        )
        rows.insert(1, _Block("Ad Targeting", targeting, _ROW_SIZE, _ROW_LEADING))
        title = _Block("Ad ID", [t.truncate(ad_title(ad), f.bold, 12, _VALUE_W)], 12, 15)
        fixed = title.height + sum(r.height for r in rows) + 6

        image = None
        images = [p for p in ad.get("images") or [] if isinstance(p, str)]
        if images:
            image = self._image(images[0])
        image_h = 0.0
        if images:
            if image is not None:
                _, iw, ih = image
                image_h = min(_IMAGE_MAX_H, ih * min(1.0, _VALUE_W / iw, _IMAGE_MAX_H / ih))
            else:
                image_h = _ROW_LEADING
        room = y_top - y_bottom - fixed - 6

        # the text: the largest size at which it fits; then, with an image, a smaller
        # image; then the smallest size, cut with a visible note
        text = str(ad.get("text") or "")
        text_block = self._fit_text(text, room - image_h - 6)
        if text_block is None and image is not None and image_h > _IMAGE_MIN_H:
            image_h = _IMAGE_MIN_H
            text_block = self._fit_text(text, room - image_h - 6)
        if text_block is None:
            size = _TEXT_SIZES[-1]
            leading = size * 1.2
            lines = t.wrap(text, f.regular, size, _VALUE_W)
            fits = max(1, int((room - image_h - 6 - 4) // leading))
            kept = lines[: fits - 1]
            kept.append(t.truncate(CONTINUES, f.regular, size, _VALUE_W))
            text_block = _Block("Ad Text", kept, size, leading)

        y = y_top
        y = self._block(title, y, bold=True)
        y = self._block(text_block, y)
        for block in rows:
            y = self._block(block, y)
        if images:
            c.setFont(f.bold, _ROW_SIZE)
            c.drawString(_MARGIN, y - _ROW_SIZE, "Ad Image")
            if image is not None:
                reader, iw, ih = image
                scale = min(_VALUE_W / iw, image_h / ih)
                w, h = iw * scale, ih * scale
                c.drawImage(reader, _VALUE_X, y - h, w, h, mask="auto")
                more = f" (and {len(images) - 1} more)" if len(images) > 1 else ""
                c.setFont(f.regular, 6.5)
                c.drawString(_MARGIN, y - _ROW_SIZE - 9, more.strip())
            else:
                t.draw(
                    c,
                    _VALUE_X,
                    y - _ROW_SIZE,
                    f"(image {images[0]} could not be read)",
                    f.regular,
                    _ROW_SIZE,
                )
        c.showPage()

    def empty(self) -> None:
        """The one page of a package without ads."""
        self.page(1, {"id": None, "text": "This disclosure holds no ads."})

    def _fit_text(self, text: str, room: float) -> _Block | None:
        if not text:
            return _Block("Ad Text", ["(no text)"], _ROW_SIZE, _ROW_LEADING)
        for size in _TEXT_SIZES:
            leading = size * 1.2
            lines = self.t.wrap(text, self.f.regular, size, _VALUE_W)
            block = _Block("Ad Text", lines, size, leading)
            if block.height <= room:
                return block
        return None

    def _block(self, block: _Block, y: float, bold: bool = False) -> float:
        c, f = self.c, self.f
        c.setFont(f.bold, _ROW_SIZE)
        first = y - block.size
        c.drawString(_MARGIN, y - min(block.size, _ROW_SIZE + 1), block.label)
        font = f.bold if bold else f.regular
        for i, line in enumerate(block.lines):
            self.t.draw(c, _VALUE_X, first - i * block.leading, line, font, block.size)
        return y - block.height


def render_pdf(
    ads: list[dict[str, Any]],
    meta: dict[str, Any],
    out: Path,
    progress: Callable[[int], None] | None = None,
    base: Path | None = None,
) -> int:
    """Write ``index.pdf`` to ``out``: one page per ad, the request in every page's header
    and footer; return the number of pages. Images are read from ``base`` (default the
    folder of ``out``). ``progress(n)`` is called after each page with the pages done. Without
    ads the PDF has one page that says so."""
    from reportlab.pdfgen.canvas import Canvas

    out = Path(out)
    base = Path(base) if base is not None else out.parent
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        c = Canvas(
            tmp,
            pagesize=(_PAGE_W, _PAGE_H),
            pageCompression=0,
            invariant=1,
            pdfVersion=(1, 4),
        )
        title = meta.get("title") or f"Disclosure {_value(meta.get('disclosure_id'))}".strip()
        c.setTitle(str(title))
        c.setAuthor("paidfor")
        c.setSubject(f"{len(ads)} ads for {_value(meta.get('recipient')) or _NONE}")
        c.setCreator("paidfor disclosure")
        writer = _PdfWriter(c, meta, len(ads), base)
        for number, ad in enumerate(ads, 1):
            writer.page(number, ad)
            if progress is not None:
                progress(number)
        if not ads:
            writer.empty()
        c.save()
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return max(1, len(ads))
