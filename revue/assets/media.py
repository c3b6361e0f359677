"""Media handling for uploads: what a file is (:func:`detect`) and its renditions (:func:`process`).

A pure library (no Flask, no database). Run :func:`process` on untrusted files through
:func:`revue.assets.media_worker.run_sandboxed`, which adds a memory cap and a time limit.

Pieces: ``media_detect`` (content sniffing, name rules), ``media_image`` (rasters),
``media_svg`` (SVG sanitising + resvg), ``media_pdf`` (PDFium), ``media_av`` (video and
audio via ``media_ffmpeg``, the only place that runs ffmpeg).
"""

from __future__ import annotations

import logging
import os

from .media_detect import detect
from .media_types import (
    DEFAULT_MAX_PIXELS,
    MEDIA_KINDS,
    Detected,
    MediaError,
    Processed,
    Rendition,
    RenditionCallback,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MEDIA_KINDS",
    "Detected",
    "MediaError",
    "Processed",
    "Rendition",
    "RenditionCallback",
    "detect",
    "process",
]

log = logging.getLogger(__name__)


def process(
    path: str,
    kind: str,
    mime: str,
    out_dir: str,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    on_rendition: RenditionCallback | None = None,
) -> Processed:
    """Write the renditions for a detected file into ``out_dir`` and return them with metadata.

    ``on_rendition`` is called as each rendition file is complete (page 1 of a PDF first).
    Raises :class:`MediaError` with words for the user when the file can't be processed.
    """
    if kind not in MEDIA_KINDS:
        raise ValueError(f"unknown media kind {kind!r}")
    os.makedirs(out_dir, exist_ok=True)
    emit = on_rendition or _ignore
    log.debug("processing %s as %s (%s)", path, kind, mime)
    if kind == "image":
        from .media_image import process_image

        return process_image(path, mime, out_dir, max_pixels=max_pixels, emit=emit)
    if kind == "pdf":
        from .media_pdf import process_pdf

        return process_pdf(path, out_dir, emit=emit)
    if kind == "video":
        from .media_av import process_video

        return process_video(path, mime, out_dir, emit=emit)
    if kind == "audio":
        from .media_av import process_audio

        return process_audio(path, mime, out_dir, emit=emit)
    return Processed(metadata={}, renditions=[])


def _ignore(_rendition: Rendition) -> None:
    return None
