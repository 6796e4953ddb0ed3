"""Ad images: check an uploaded file is a real image and hash it.

An image is identified as Meta identifies ad images, by the MD5 of its bytes (``hash``: what a
creative's ``image_hashes`` name), and matched as the threat exchange matches photos, by its
PDQ hash computed by the ``threatexchange`` library's PDQ signal type
(``threatexchange.signal_type.pdq``: ``pdq_hasher.pdq_from_bytes`` gives the hash and its
quality, ``PdqSignal`` the quality threshold and the distance). A PDQ hash whose quality is
below ``PdqSignal.QUALITY_THRESHOLD`` (50: flat or nearly flat pictures) means nothing and is
kept as None, as ``PdqSignal.hash_from_bytes`` answers ``""`` there.

Only PNG, JPEG, GIF and WebP files are taken, by what the bytes are (Pillow decodes the whole
picture, so a truncated or damaged file is refused), never by the name or the declared type;
at most ``MAX_BYTES`` bytes and ``MAX_SIDE`` pixels a side.

RGB and greyscale pictures are hashed from the uploaded bytes themselves, so the PDQ hash is
exactly ``PdqSignal.hash_from_bytes(data)``. Other modes (a palette GIF, RGBA, CMYK, 16-bit)
are first turned into RGB (transparency over white) and hashed from that picture, because the
library would otherwise hash palette indices or an alpha channel.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paidfor import errors

# Pillow and the threatexchange library (with faiss and NumPy) are imported where an image is
# decoded or hashed: every command imports this module, few of them see an image.
if TYPE_CHECKING:
    from PIL import Image

MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 8000
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
PDQ_MATCH_DISTANCE = 31  # the library's PDQ_CONFIDENT_MATCH_THRESHOLD: the same picture
_HASHED_AS_IS = ("RGB", "L")


class ImageRefused(errors.Invalid):
    """The file is not an image paidfor takes; the message says why, ``http_status`` is 413
    for too many bytes and 422 otherwise."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.http_status = status


@dataclass(frozen=True)
class HashedImage:
    hash: str  # MD5 of the bytes, 32 lowercase hex digits
    content_type: str
    width: int
    height: int
    size: int
    data: bytes
    pdq: str | None  # 64 hex digits, or None when the quality is below the threshold
    pdq_quality: int


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _decode(data: bytes) -> Image.Image:
    """The decoded picture (first frame), or ImageRefused saying what is wrong."""
    from PIL import Image, UnidentifiedImageError

    names = "PNG, JPEG, GIF or WebP"
    kind = "image"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            kind = image.format or kind
            width, height = image.size
            if width > MAX_SIDE or height > MAX_SIDE:
                raise ImageRefused(
                    f"the image is {width}x{height} pixels; at most {MAX_SIDE} pixels a side"
                )
            if width < 1 or height < 1:
                raise ImageRefused("the image has no pixels")
            image.load()
    except ImageRefused:
        raise
    except UnidentifiedImageError:
        raise ImageRefused(f"the file is not a {names} image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(f"the image has too many pixels (at most {MAX_SIDE} a side)") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise ImageRefused(f"the {kind} file is damaged or truncated ({exc})") from None
    return image


def pdq_of(data: bytes, image: Image.Image | None = None) -> tuple[str | None, int]:
    """The PDQ hash of an image file's bytes (None below the quality threshold) and its
    quality, through the ``threatexchange`` library."""
    from PIL import Image
    from threatexchange.signal_type.pdq import pdq_hasher
    from threatexchange.signal_type.pdq.signal import PdqSignal

    if image is not None and image.mode not in _HASHED_AS_IS:
        if "A" in image.getbands() or "transparency" in image.info:
            white = Image.new("RGBA", image.size, (255, 255, 255, 255))
            rgb = Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
        else:
            rgb = image.convert("RGB")
        buffer = io.BytesIO()
        rgb.save(buffer, format="PNG")
        data = buffer.getvalue()
    hex_hash, quality = pdq_hasher.pdq_from_bytes(data)
    quality = int(quality)
    if quality < PdqSignal.QUALITY_THRESHOLD:
        return None, quality
    return PdqSignal.validate_signal_str(hex_hash), quality


def hash_image(data: bytes) -> HashedImage:
    """Check ``data`` is a PNG, JPEG, GIF or WebP image within the limits and hash it;
    ImageRefused (with the status to answer) if it is not."""
    if not data:
        raise ImageRefused("the file is empty")
    if len(data) > MAX_BYTES:
        raise ImageRefused(
            f"the file has {len(data):,} bytes; an image has at most {MAX_BYTES:,} (8 MB)", 413
        )
    image = _decode(data)
    assert image.format in FORMATS
    try:
        pdq, quality = pdq_of(data, image)
    except (OSError, ValueError) as exc:  # a mode neither Pillow nor PDQ can turn into RGB
        raise ImageRefused(f"the {image.format} image cannot be hashed ({exc})") from None
    return HashedImage(
        hash=md5_hex(data),
        content_type=FORMATS[image.format],
        width=image.size[0],
        height=image.size[1],
        size=len(data),
        data=data,
        pdq=pdq,
        pdq_quality=quality,
    )


def pdq_distance(a: str, b: str) -> int:
    """How many of the 256 bits of two PDQ hashes differ (at most 31: the same picture)."""
    from threatexchange.signal_type.pdq.pdq_utils import simple_distance

    return int(simple_distance(a, b))
