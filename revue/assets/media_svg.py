"""SVG -> raster with resvg, after removing every reference to something outside the file.

resvg happily loads ``<image href="/any/local/file.png">`` (and nested SVGs from
``data:`` URLs, which may in turn point at local files). So before rendering we parse
the SVG (expat: entity-expansion limits, no external entities), drop every ``href``
that is not a same-document ``#fragment`` or a raster ``data:`` image, drop
``xml:base``, and render the re-serialised tree with an empty resources directory.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
import xml.etree.ElementTree as ET

from PIL import Image

from .media_types import MediaError

log = logging.getLogger(__name__)

MAX_SVG_BYTES = 20 * 1024 * 1024
_SVG_NS = "http://www.w3.org/2000/svg"
_SAFE_DATA_URL = re.compile(r"^data:image/(?:png|jpeg|jpg|gif|webp)[;,]", re.IGNORECASE)
_LENGTH = re.compile(r"^\s*([\d.]+(?:e[+-]?\d+)?)\s*(px)?\s*$", re.IGNORECASE)

INVALID = "This file is not a valid SVG image."

ET.register_namespace("", _SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")


def rasterise(path: str, longest: int) -> Image.Image:
    """Render the SVG to fit in a ``longest`` × ``longest`` box; returns an RGBA image."""
    import resvg_py

    svg = sanitise(_read(path))
    with tempfile.TemporaryDirectory(prefix="revue-svg-") as empty_dir:
        try:
            png = resvg_py.svg_to_bytes(svg_string=svg, width=longest, height=longest, resources_dir=empty_dir)
        except ValueError as exc:
            log.info("resvg refused %s: %s", path, exc)
            raise MediaError(INVALID) from None
    im = Image.open(io.BytesIO(bytes(png)), formats=["PNG"])
    im.load()
    return im.convert("RGBA")


def intrinsic_size(path: str) -> tuple[int, int] | None:
    """The SVG's own width/height in px (or its viewBox size), when it states one."""
    root = _parse(_read(path))
    width, height = _length(root.get("width")), _length(root.get("height"))
    if width and height:
        return round(width), round(height)
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if len(box) == 4:
        try:
            return round(float(box[2])), round(float(box[3]))
        except ValueError:
            return None
    return None


def sanitise(data: bytes) -> str:
    root = _parse(data)
    for element in root.iter():
        for attr in list(element.attrib):
            local = attr.rsplit("}", 1)[-1]
            if local == "href" and not _allowed_href(element.attrib[attr]) or attr == "{http://www.w3.org/XML/1998/namespace}base":
                del element.attrib[attr]
    return ET.tostring(root, encoding="unicode")


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        data = f.read(MAX_SVG_BYTES + 1)
    if len(data) > MAX_SVG_BYTES:
        raise MediaError(f"This SVG is too large to preview (the limit is {MAX_SVG_BYTES // 2**20} MB).")
    return data


def _parse(data: bytes) -> ET.Element:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        log.info("SVG does not parse: %s", exc)
        raise MediaError(INVALID) from None
    if root.tag not in ("svg", f"{{{_SVG_NS}}}svg"):
        raise MediaError(INVALID)
    return root


def _allowed_href(value: str) -> bool:
    value = value.strip()
    return value.startswith("#") or bool(_SAFE_DATA_URL.match(value))


def _length(value: str | None) -> float | None:
    m = _LENGTH.match(value or "")
    if not m:
        return None
    number = float(m.group(1))
    return number if number > 0 else None
