"""Optional libvips path for large PNG/TIFF/WebP images (streamed decode: less time and memory).

Used only when ``pyvips`` imports (e.g. from the ``pyvips-binary`` wheel); otherwise the
Pillow path does the same job. The format is already known and its pixel count checked;
here the matching loader is called explicitly (never libvips' own sniffing), the image is
shrunk while streaming, turned upright, and handed back as an 8-bit Pillow image.
"""

from __future__ import annotations

import logging
from functools import cache
from types import ModuleType
from typing import Any

from PIL import Image

from .media_types import MEMORY_MESSAGE, MediaError

log = logging.getLogger(__name__)

MIN_PIXELS = 16_000_000  # below this Pillow is as quick and the extra library isn't worth it
_LOADERS = {"PNG": "pngload", "TIFF": "tiffload", "WEBP": "webpload"}
_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


@cache
def _pyvips() -> ModuleType | None:
    try:
        import pyvips
    except (ImportError, OSError) as exc:
        log.info("libvips not available, using Pillow for large images: %s", exc)
        return None
    return pyvips


def usable(pil_format: str, pixels: int) -> bool:
    return pil_format in _LOADERS and pixels >= MIN_PIXELS and _pyvips() is not None


def shrunk(path: str, pil_format: str, longest: int, words: str) -> tuple[Image.Image, bytes | None]:
    """Decode ``path`` to fit a ``longest`` box, upright; returns the image and its ICC profile."""
    pyvips = _pyvips()
    assert pyvips is not None
    try:
        source = getattr(pyvips.Image, _LOADERS[pil_format])(path, access="sequential")
        image = source.thumbnail_image(longest, height=longest, size="down").copy_memory().autorot()
        icc = image.get("icc-profile-data") if image.get_typeof("icc-profile-data") else None
        image, icc = _eight_bit(image, icc)
        mode = _MODES[image.bands]
        return Image.frombytes(mode, (image.width, image.height), image.write_to_memory()), icc
    except pyvips.Error as exc:
        log.info("libvips cannot read %s: %s", path, exc)
        if "memory" in f"{exc.message} {exc.detail}".lower():
            raise MediaError(MEMORY_MESSAGE, reason="memory") from None
        raise MediaError(f"This file is not a valid {words}; it may be damaged or cut short.") from None


def _eight_bit(image: Any, icc: bytes | None) -> tuple[Any, bytes | None]:
    """8-bit grey/sRGB with at most one alpha band; CMYK and 16-bit go through a colour transform."""
    interpretation = image.interpretation
    if interpretation == "cmyk":
        image, icc = image.colourspace("srgb"), None
    elif interpretation in ("grey16", "b-w") and image.format != "uchar":
        image = image.colourspace("b-w")
    elif image.format != "uchar":
        image = image.colourspace("srgb")
    if image.bands > 4 or (image.bands == 4 and not image.hasalpha()):
        image = image.extract_band(0, n=3)
    if image.format != "uchar":
        image = image.cast("uchar")
    return image, icc
