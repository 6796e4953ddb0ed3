"""Text in ``index.pdf``: the fonts (DejaVu Sans as Debian installs it, else ReportLab's Vera,
with fallbacks for the characters they lack), registered once, and ``Typesetter``, which
measures, wraps, cuts and draws lines in them so that nothing ever fails to print."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


class Typesetter:
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
