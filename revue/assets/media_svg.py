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
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_SAFE_DATA_URL = re.compile(r"^data:image/(?:png|jpeg|jpg|gif|webp)[;,]", re.IGNORECASE)
_LENGTH = re.compile(r"^\s*([\d.]+(?:e[+-]?\d+)?)\s*(px)?\s*$", re.IGNORECASE)

INVALID = "This file is not a valid SVG image."

ET.register_namespace("", _SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")


def rasterise(path: str, longest: int) -> tuple[Image.Image, tuple[int, int] | None]:
    """Render the SVG to fit a ``longest`` × ``longest`` box (RGBA); also its stated size, if any."""
    import resvg_py

    root = _parse(_read(path))
    svg = _strip_references(root)
    with tempfile.TemporaryDirectory(prefix="revue-svg-") as empty_dir:
        try:
            png = resvg_py.svg_to_bytes(
                svg_string=svg, width=longest, height=longest, resources_dir=empty_dir
            )
        except ValueError as exc:
            log.info("resvg refused %s: %s", path, exc)
            raise MediaError(INVALID) from None
    im = Image.open(io.BytesIO(bytes(png)), formats=["PNG"])
    im.load()
    return im.convert("RGBA"), _stated_size(root)


def check(path: str) -> None:
    """Raise MediaError unless the file is a well-formed SVG document (cheap: no rendering)."""
    _parse(_read(path))


def _stated_size(root: ET.Element) -> tuple[int, int] | None:
    """The SVG's own width/height in px (or its viewBox size), when it states one."""
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
    """The SVG re-serialised without references to anything outside it."""
    return _strip_references(_parse(data))


def _strip_references(root: ET.Element) -> str:
    for element in root.iter():
        for attr in [a for a, value in element.attrib.items() if _points_outside(a, value)]:
            del element.attrib[attr]
    return ET.tostring(root, encoding="unicode")


def _points_outside(attr: str, value: str) -> bool:
    if attr == _XML_BASE:
        return True
    if attr.rsplit("}", 1)[-1] != "href":  # href in any namespace (xlink:, none, or a renamed prefix)
        return False
    value = value.strip()
    return not (value.startswith("#") or _SAFE_DATA_URL.match(value))


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


def _length(value: str | None) -> float | None:
    m = _LENGTH.match(value or "")
    if not m:
        return None
    number = float(m.group(1))
    return number if number > 0 else None
