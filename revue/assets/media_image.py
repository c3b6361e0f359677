"""Raster and SVG images -> "preview" (≤ 2560 px) and "thumb" (≤ 480 px) (SECURITY F3, F6, F7).

Previews are always re-encoded from pixels (never the original bytes), so EXIF/GPS/XMP
and anything else riding along are gone; the EXIF orientation is applied first. The
pixel count is checked from the header before any decoding. Large JPEGs are decoded at
a reduced size with Pillow's draft mode.
"""

from __future__ import annotations

import io
import logging
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from PIL import Image, ImageCms

from . import media_vips
from .media_detect import IMAGE_TYPES
from .media_types import MediaError, Processed, Rendition, RenditionCallback

log = logging.getLogger(__name__)

PREVIEW_MAX = 2560
THUMB_MAX = 480
JPEG_QUALITY = 85
PNG_COMPRESS_LEVEL = 4

_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


# --- helpers shared with PDF and video renditions -----------------------------------------


def fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """Scale (w, h) down so the long edge is at most ``longest``; never up."""
    w, h = size
    scale = min(1.0, longest / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def shrink(im: Image.Image, longest: int) -> Image.Image:
    target = fit(im.size, longest)
    if target == im.size:
        return im
    # Pillow's own thumbnail() settings: box-reduce to within 2x, then bicubic (LANCZOS costs ~60% more).
    return im.resize(target, Image.Resampling.BICUBIC, reducing_gap=2.0)


def save_raster(im: Image.Image, out_dir: str, name: str, *, icc_profile: bytes | None = None) -> Rendition:
    """Write a fresh JPEG (opaque) or PNG (with alpha) carrying no metadata but the ICC profile."""
    im.info = {}
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    if im.mode in ("RGBA", "LA"):
        path = os.path.join(out_dir, f"{name}.png")
        im.save(path, "PNG", compress_level=PNG_COMPRESS_LEVEL, **extra)
        mime = "image/png"
    else:
        path = os.path.join(out_dir, f"{name}.jpg")
        im.save(path, "JPEG", quality=JPEG_QUALITY, **extra)
        mime = "image/jpeg"
    return Rendition(name=name, path=path, mime=mime, width=im.width, height=im.height)


def preview_and_thumb(
    im: Image.Image, out_dir: str, emit: RenditionCallback, *, icc_profile: bytes | None = None
) -> list[Rendition]:
    preview = save_raster(shrink(im, PREVIEW_MAX), out_dir, "preview", icc_profile=icc_profile)
    emit(preview)
    thumb = save_raster(shrink(im, THUMB_MAX), out_dir, "thumb", icc_profile=icc_profile)
    emit(thumb)
    return [preview, thumb]


def too_large(width: int, height: int, max_pixels: int) -> MediaError:
    return MediaError(
        f"This image is too large to preview ({width:,} × {height:,} pixels; "
        f"the limit is {max_pixels / 1e6:g} megapixels)."
    )


# --- raster images --------------------------------------------------------------------------


def process_image(
    path: str, mime: str, out_dir: str, *, max_pixels: int, emit: RenditionCallback
) -> Processed:
    if mime == "image/svg+xml":
        return process_svg(path, out_dir, emit=emit)
    if mime not in IMAGE_TYPES:
        raise MediaError("This type of image can't be previewed.")
    _ext, pil_format, words = IMAGE_TYPES[mime]
    with _open(path, pil_format, words, max_pixels) as im:
        metadata = _metadata(im)
        if media_vips.usable(pil_format, im.width * im.height):
            upright, icc = media_vips.shrunk(path, pil_format, PREVIEW_MAX, words)
        else:
            icc = im.info.get("icc_profile")
            reduced, orientation = _decode_reduced(im, words)
            upright = _upright(reduced, orientation)
    if (upright.width - upright.height) * (metadata["width"] - metadata["height"]) < 0:  # turned by EXIF
        metadata["width"], metadata["height"] = metadata["height"], metadata["width"]
    normal, keep_icc = _normalise(upright, icc)
    renditions = preview_and_thumb(normal, out_dir, emit, icc_profile=icc if keep_icc else None)
    return Processed(metadata=metadata, renditions=renditions)


@contextmanager
def _open(path: str, pil_format: str, words: str, max_pixels: int) -> Iterator[Image.Image]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path, formats=[pil_format])
    except Image.DecompressionBombError as exc:  # Pillow's own hard limit, also checked from the header
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(pixels.group(1)) / 1e6:,.0f} megapixels; " if pixels else ""
        raise MediaError(
            f"This image is too large to preview ({size}the limit is {max_pixels / 1e6:g} megapixels)."
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        log.info("cannot open %s as %s: %s", path, pil_format, exc)
        raise MediaError(f"This file is not a valid {words}.") from None
    with im:
        if im.width * im.height > max_pixels:
            raise too_large(im.width, im.height, max_pixels)
        yield im


_ANIMATED_FORMATS = ("GIF", "PNG", "WEBP", "AVIF")  # (for PSD and TIFF, "frames" are layers and pages)


def _metadata(im: Image.Image) -> dict[str, int]:
    metadata = {"width": im.width, "height": im.height}
    if im.format in _ANIMATED_FORMATS and getattr(im, "is_animated", False):
        metadata["frames"] = getattr(im, "n_frames", 1)
    return metadata


def _decode_reduced(im: Image.Image, words: str) -> tuple[Image.Image, int]:
    """Decode the first frame, at reduced size when the format can (JPEG DCT scaling)."""
    if im.format == "JPEG":
        im.draft(None, fit(im.size, PREVIEW_MAX))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im.load()
        orientation = int(im.getexif().get(0x0112) or 1)
        if im.mode in ("P", "PA", "1", "I", "F") or im.mode.startswith("I;16"):
            return _to_8bit(im), orientation
        return shrink(im, PREVIEW_MAX), orientation
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        log.info("cannot decode %s: %s", words, exc)
        raise MediaError(f"This file is not a valid {words}; it may be damaged or cut short.") from None


def _to_8bit(im: Image.Image) -> Image.Image:
    """Palette, bilevel and high-bit-depth images -> RGB(A)/L, so resizing can filter them."""
    if im.mode in ("P", "PA"):
        has_alpha = im.mode == "PA" or "transparency" in im.info
        return shrink(im.convert("RGBA" if has_alpha else "RGB"), PREVIEW_MAX)
    if im.mode == "1":
        return shrink(im.convert("L"), PREVIEW_MAX)
    if im.mode.startswith("I;16"):
        im = im.convert("I")
        return shrink(im.point(lambda v: v * (1 / 257)).convert("L"), PREVIEW_MAX)
    low, high = cast(tuple[float, float], im.getextrema())
    span = (high - low) or 1
    return shrink(im.point(lambda v: (v - low) * (255 / span)).convert("L"), PREVIEW_MAX)


def _upright(im: Image.Image, orientation: int) -> Image.Image:
    method = _ORIENTATION_TRANSPOSE.get(orientation)
    return im.transpose(method) if method is not None else im


def _normalise(im: Image.Image, icc: bytes | None) -> tuple[Image.Image, bool]:
    """Return a browser-friendly RGB/RGBA/L image, and whether the source ICC profile still applies."""
    if im.mode in ("RGBA", "LA", "La", "RGBa"):
        im = im.convert("RGBA" if im.mode in ("RGBA", "RGBa") else "LA")
        if im.getchannel("A").getextrema()[0] == 255:
            return im.convert("RGB" if im.mode == "RGBA" else "L"), True
        return im, True
    if im.mode in ("RGB", "L"):
        return im, True
    if im.mode == "CMYK" and icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                im, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            assert converted is not None
            return converted, False
        except (ImageCms.PyCMSError, OSError, ValueError):
            log.info("ignoring unusable CMYK ICC profile")
    return im.convert("RGB"), False


# --- SVG ------------------------------------------------------------------------------------


def process_svg(path: str, out_dir: str, *, emit: RenditionCallback) -> Processed:
    from .media_svg import rasterise

    im, stated_size = rasterise(path, PREVIEW_MAX)
    width, height = stated_size or im.size
    metadata = {"width": width, "height": height}
    normal, _ = _normalise(im, None)
    return Processed(metadata=metadata, renditions=preview_and_thumb(normal, out_dir, emit))
