"""A disclosure package's ``index.pdf``: the request, then every ad in the style of the House
Intelligence Committee's 2017 release of the IRA ads (ad id, text, landing page, targeting,
impressions, clicks, spend, creation and end dates), with the page, the "Paid for by" line
and the first image; ``ads`` and ``meta`` as ``disclosure.rows`` describes them.

The PDF has exactly one page per ad; the request is in each page's header and footer. Its
page content is not compressed, so every ASCII word of it can be found by a byte search of
the package (each printed line is one PDF string, in which ``(``, ``)`` and ``\\`` are
escaped); it is deterministic (ReportLab's invariant mode).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paidfor.disclosure.rows import (
    NONE,
    ad_rows,
    ad_title,
    safe_relative,
    scope_text,
    targeting_lines,
    value_text,
)
from paidfor.disclosure.typeset import Typesetter

CONTINUES = "… (text continues in ads.jsonl)"
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
        self.t = Typesetter()
        self.meta = meta
        self.total = total
        self.base = base
        self.f = self.t.fonts
        self._images: dict[str, tuple[Any, float, float] | None] = {}
        head = f"Disclosure {value_text(meta.get('disclosure_id')) or NONE}"
        self.head1 = f"{head} · to {value_text(meta.get('recipient')) or NONE}"
        legal_basis = value_text(meta.get("legal_basis")) or NONE
        self.head2 = f"Legal basis: {legal_basis} · Scope: {scope_text(meta)}"
        foot = [
            f"Requested by {value_text(meta.get('requested_by')) or NONE}",
            f"approved by {value_text(meta.get('approved_by')) or NONE}",
            f"built {value_text(meta.get('built_at')) or NONE}",
        ]
        if meta.get("software"):
            foot.append(value_text(meta["software"]))
        self.foot = " · ".join(foot)

    def _image(self, rel: str) -> tuple[Any, float, float] | None:
        """(a reader, width, height) of an image in the package, or None."""
        if rel not in self._images:
            from reportlab.lib.utils import ImageReader

            found: tuple[Any, float, float] | None = None
            if safe_relative(rel):
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
            targeting or [NONE],
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
        title = meta.get("title") or f"Disclosure {value_text(meta.get('disclosure_id'))}".strip()
        c.setTitle(str(title))
        c.setAuthor("paidfor")
        c.setSubject(f"{len(ads)} ads for {value_text(meta.get('recipient')) or NONE}")
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
