"""The name rule, written once: what a name a person types (an advertiser, a page, a page
admin, a legal name, a funder, a "Paid for by") may hold, and its one stored form.

``clean_name``:
- NFKC-normalised, so look-alike compatibility forms (full-width letters, ligatures, the
  mathematical alphabets) become the letters they look like;
- refused with a reason (``ValueError``, which the request models turn into a 422 naming the
  field) when it holds a bidirectional control (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
  U+061C: ``Official \\u202eVOG\\u202c Page`` would read as "Official GOV Page") or another
  control character;
- zero-width characters that show nothing (U+200B, U+2060, U+FEFF, U+180E) are removed, and
  the joiners U+200C and U+200D are kept only between two letters or marks, where scripts and
  emoji need them;
- runs of white space become one space, and the ends are trimmed;
- refused when nothing visible is left (a letter, digit, mark, punctuation or symbol).
"""

from __future__ import annotations

import re
import unicodedata

BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
INVISIBLE = re.compile("[\u200b\u2060\ufeff\u180e]")
JOINERS = frozenset("\u200c\u200d")
_SPACE = re.compile(r"\s+")


def _joins(before: str, after: str) -> bool:
    return bool(before and after) and all(
        unicodedata.category(c)[0] in ("L", "M", "S") for c in (before, after)
    )


def clean_name(value: str) -> str:
    """The module's ``clean_name``."""
    text = unicodedata.normalize("NFKC", value)
    bidi = sorted({f"U+{ord(c):04X}" for c in text if c in BIDI_CONTROLS})
    if bidi:
        raise ValueError(
            f"holds bidirectional control characters ({', '.join(bidi)}), which can make a "
            "name read as another"
        )
    text = INVISIBLE.sub("", text)
    kept = []
    for i, c in enumerate(text):
        if c in JOINERS and not _joins(text[i - 1] if i else "", text[i + 1 : i + 2]):
            continue
        if unicodedata.category(c) == "Cc" and c not in "\t\n\r":
            raise ValueError(f"holds the control character U+{ord(c):04X}")
        kept.append(c)
    text = _SPACE.sub(" ", "".join(kept)).strip()
    if not any(unicodedata.category(c)[0] in "LNMPS" for c in text):
        raise ValueError("has no visible character")
    return text
