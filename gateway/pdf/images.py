"""Seal and signature scans decoded for real (Pillow) before they are kept: a file whose header says
PNG or JPEG but whose pixels do not decode would only fail later, on the printed original."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from PIL import Image

from gateway.pdf.errors import PdfError

FORMATS = ("PNG", "JPEG")


@dataclass(frozen=True)
class Decoded:
    format: str
    width: int
    height: int


def decode(data: bytes, *, max_pixels: int) -> Decoded:
    """Check the structure (``verify``) and decode every pixel (``load``); PdfError says why not."""
    try:
        with Image.open(BytesIO(data), formats=FORMATS) as probe:
            if probe.width * probe.height > max_pixels:
                raise PdfError(f"the image is {probe.width} × {probe.height} pixels, more than {max_pixels}")
            probe.verify()  # PNG chunk CRCs, JPEG markers
        with Image.open(BytesIO(data), formats=FORMATS) as image:
            image.load()  # a truncated or corrupt pixel stream fails here
            return Decoded(str(image.format), image.width, image.height)
    except PdfError:
        raise
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError … for broken files
        raise PdfError(f"the image does not decode as PNG or JPEG: {exc}") from exc
