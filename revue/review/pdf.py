"""The approval record as a small PDF: Helvetica text on A4 pages, the agency's logo and the version's
thumbnail as JPEG images in the header of the first page."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

from PIL import Image

PAGE_W, PAGE_H, MARGIN, LEADING = 595, 842, 56, 15
LOGO_BOX = (140, 36)  # points
THUMB_BOX = (120, 120)


@dataclass
class Picture:
    """A JPEG to place on the page, and its size in points (fitted into a box)."""

    jpeg: bytes
    pixels: tuple[int, int]
    size: tuple[float, float]


def picture(raw: bytes | None, box: tuple[int, int]) -> Picture | None:
    """Our own stored images (the re-encoded logo, a rendition made by the sandboxed worker) as a JPEG on white."""
    if not raw:
        return None
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image.thumbnail((box[0] * 3, box[1] * 3))  # enough pixels for print
            flat = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            flat.paste(rgba, mask=rgba.getchannel("A"))
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    out = io.BytesIO()
    flat.save(out, "JPEG", quality=88)
    scale = min(box[0] / flat.width, box[1] / flat.height)
    return Picture(out.getvalue(), flat.size, (flat.width * scale, flat.height * scale))


def _escape(text: str) -> str:
    text = text.encode("cp1252", "replace").decode("latin-1")  # the bytes of WinAnsiEncoding
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def decision_lines(d, zone) -> list[str]:
    local = d.created_at.astimezone(zone)
    if d.channel.value == "recorded":  # the member who typed it in is not the approver: the note names them
        head = [f"{d.verdict.label} - recorded by {d.reviewer_name} <{d.reviewer_email}> (given outside Revue): {d.note}"]
    else:
        head = [f"{d.verdict.label}{'' if d.binding else ' (advisory)'} by {d.reviewer_name} <{d.reviewer_email}>"]
    head += [f"   {d.created_at:%Y-%m-%d %H:%M:%S} UTC / {local:%Y-%m-%d %H:%M} {zone.key}",
             f"   channel: {d.channel.value}; identified by: {d.identified_by}; IP: {d.ip or '-'}",
             f"   user agent: {d.user_agent or '-'}",
             f"   file SHA-256 at decision: {d.file_sha256}"]
    if d.note and d.channel.value != "recorded":
        head.append(f"   note: {' '.join(d.note.split())}")
    return head


def lines_for(context: dict) -> list[tuple[str, str]]:
    """``(style, text)`` lines: style is ``h1``, ``h2`` or ``p``."""
    version, asset, zone = context["version"], context["asset"], context["zone"]
    out = [("h1", "Approval record"),
           ("p", f"{asset.title} - {version.label} - {asset.project.client.name} / {asset.project.name}"),
           ("p", ""),
           ("h2", "The file"),
           ("p", f"File name: {version.original_name}"),
           ("p", f"Size: {version.size} bytes; uploaded {version.created_at:%Y-%m-%d %H:%M} UTC"
                 f" / {version.created_at.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"),
           ("p", f"SHA-256: {version.sha256}"),
           ("p", "Re-checked against the stored file: " + ("matches" if context["hash_ok"] else
                                                           f"DOES NOT MATCH ({context['rehash']})")),
           ("p", ""), ("h2", "Decisions")]
    if not context["decisions"]:
        out.append(("p", "No decisions yet."))
    for d in context["decisions"]:
        out += [("p", line) for line in decision_lines(d, zone)]
        out.append(("p", ""))
    out.append(("p", f"Generated {context['generated_at']:%Y-%m-%d %H:%M} UTC by Revue."))
    return out


def wrapped(text: str, width: int = 95) -> list[str]:
    """Long lines (a user agent, a note) wrap under their own indent."""
    indent = " " * (len(text) - len(text.lstrip(" ")))
    return textwrap.wrap(text, width, subsequent_indent=indent + "   ") or [""]


def approval_record(context: dict, *, agency: str = "", logo: Picture | None = None,
                    thumbnail: Picture | None = None) -> bytes:
    pages: list[list[str]] = [[]]
    images = [(name, pic) for name, pic in (("Logo", logo), ("Thumb", thumbnail)) if pic is not None]
    top = PAGE_H - MARGIN
    if logo is not None:
        w, h = logo.size
        pages[0].append(f"q {w:.2f} 0 0 {h:.2f} {MARGIN} {top - h:.2f} cm /Logo Do Q")
    if agency:
        x = MARGIN + (logo.size[0] + 10 if logo is not None else 0)
        pages[0].append(f"BT /F2 12 Tf {x:.2f} {top - 24} Td ({_escape(agency)}) Tj ET")
    if thumbnail is not None:
        w, h = thumbnail.size
        pages[0].append(f"q {w:.2f} 0 0 {h:.2f} {PAGE_W - MARGIN - w:.2f} {top - h:.2f} cm /Thumb Do Q")
    header = max([LOGO_BOX[1] if logo or agency else 0] + [thumbnail.size[1] if thumbnail else 0])
    y = top - header - (LEADING + 8 if header else 0)
    for style, text in lines_for(context):
        size = {"h1": 18, "h2": 13, "p": 9.5}[style]
        for chunk in wrapped(text):
            if y < MARGIN:
                pages.append([])
                y = PAGE_H - MARGIN
            font = "F2" if style != "p" else "F1"
            pages[-1].append(f"BT /{font} {size} Tf {MARGIN} {y} Td ({_escape(chunk)}) Tj ET")
            y -= LEADING + (8 if style == "h1" else 4 if style == "h2" else 0)
    return _document(pages, images)


def _document(pages: list[list[str]], images: list[tuple[str, Picture]]) -> bytes:
    objects: list[bytes] = []
    kids = " ".join(f"{5 + 2 * i} 0 R" for i in range(len(pages)))
    first_image = 5 + 2 * len(pages)
    xobjects = " ".join(f"/{name} {first_image + i} 0 R" for i, (name, _pic) in enumerate(images))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    for i, lines in enumerate(pages):
        stream = "\n".join(lines).encode("latin-1")
        extra = f" /XObject << {xobjects} >>" if i == 0 and images else ""
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
                       f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >>{extra} >> /Contents {6 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    for _name, pic in images:
        objects.append(f"<< /Type /XObject /Subtype /Image /Width {pic.pixels[0]} /Height {pic.pixels[1]} "
                       f"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length {len(pic.jpeg)} >>\n"
                       "stream\n".encode() + pic.jpeg + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
