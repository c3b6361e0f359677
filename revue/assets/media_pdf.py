"""PDF (and PDF-compatible Illustrator files) -> one image per page, page 1 first.

Renditions: "page-N" (≤ 2000 px long edge), "page-N-thumb" (≤ 320 px) for every page up
to MAX_RENDERED_PAGES, and "thumb" (≤ 480 px) of page 1, emitted right after page 1 so
the UI can show something while the rest render. PDFium runs no JavaScript and fetches
nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PIL import Image

from .media_image import THUMB_MAX, save_raster, shrink
from .media_types import MediaError, Processed, Rendition, RenditionCallback

if TYPE_CHECKING:
    import pypdfium2 as pdfium

log = logging.getLogger(__name__)

PAGE_MAX = 2000
PAGE_THUMB_MAX = 320
MAX_RENDERED_PAGES = 1000
_FPDF_ERR_PASSWORD = 4


def process_pdf(path: str, out_dir: str, *, emit: RenditionCallback) -> Processed:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        log.info("PDFium cannot open %s: %s", path, exc)
        if exc.err_code == _FPDF_ERR_PASSWORD:
            raise MediaError("This PDF is protected with a password, so it can't be previewed.") from None
        raise MediaError("This file is not a valid PDF document.") from None
    try:
        return _render_all(pdf, out_dir, emit)
    finally:
        pdf.close()


def _render_all(pdf: pdfium.PdfDocument, out_dir: str, emit: RenditionCallback) -> Processed:
    pages = len(pdf)
    if pages < 1:
        raise MediaError("This PDF has no pages.")
    pdf.init_forms()
    metadata: dict[str, object] = {"pages": pages}
    renditions: list[Rendition] = []
    for index in range(min(pages, MAX_RENDERED_PAGES)):
        image, (width_pt, height_pt) = _render_page(pdf, index)
        number = index + 1
        page_rendition = save_raster(image, out_dir, f"page-{number}")
        emit(page_rendition)
        renditions.append(page_rendition)
        if index == 0:
            metadata["width"], metadata["height"] = round(width_pt, 2), round(height_pt, 2)
            thumb = save_raster(shrink(image, THUMB_MAX), out_dir, "thumb")
            emit(thumb)
            renditions.append(thumb)
        page_thumb = save_raster(shrink(image, PAGE_THUMB_MAX), out_dir, f"page-{number}-thumb")
        emit(page_thumb)
        renditions.append(page_thumb)
    if pages > MAX_RENDERED_PAGES:
        metadata["rendered_pages"] = MAX_RENDERED_PAGES
    return Processed(metadata=metadata, renditions=renditions)


def _render_page(pdf: pdfium.PdfDocument, index: int) -> tuple[Image.Image, tuple[float, float]]:
    import pypdfium2 as pdfium

    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        raise MediaError(f"Page {index + 1} of this PDF is damaged and can't be shown.") from None
    try:
        width_pt, height_pt = page.get_size()
        if width_pt <= 0 or height_pt <= 0:
            raise MediaError(f"Page {index + 1} of this PDF has no size.")
        scale = PAGE_MAX / max(width_pt, height_pt)
        bitmap = page.render(scale=scale, fill_color=(255, 255, 255, 255), rev_byteorder=True)
        image = bitmap.to_pil().convert("RGB")
        bitmap.close()
    except pdfium.PdfiumError:
        raise MediaError(f"Page {index + 1} of this PDF could not be drawn.") from None
    finally:
        page.close()
    return image, (width_pt, height_pt)
