"""A cheap header-only size check, run at upload time before anything is decoded (F3)."""

from __future__ import annotations

import warnings

from PIL import Image

from .media_types import DEFAULT_MAX_PIXELS

RASTER_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "TIFF", "BMP", "PSD", "AVIF")


def too_many_pixels(path: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=RASTER_FORMATS) as image:  # reads the header only
                return image.width * image.height > max_pixels
    except Image.DecompressionBombError:
        return True
    except Exception:  # noqa: BLE001 — not a raster Pillow reads (SVG, PSD variants…): the worker decides
        return False
