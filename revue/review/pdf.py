"""The approval record as a small, dependency-free PDF (Helvetica text on A4 pages)."""

from __future__ import annotations

import textwrap

PAGE_W, PAGE_H, MARGIN, LEADING = 595, 842, 56, 15


def _escape(text: str) -> str:
    text = text.encode("latin-1", "replace").decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def lines_for(context: dict) -> list[tuple[str, str]]:
    """``(style, text)`` lines: style is ``h1``, ``h2`` or ``p``."""
    version, asset, zone = context["version"], context["asset"], context["zone"]
    out = [("h1", "Approval record"),
           ("p", f"{asset.title} - {version.label} - {asset.project.client.name} / {asset.project.name}"),
           ("p", ""),
           ("h2", "The file"),
           ("p", f"File name: {version.original_name}"),
           ("p", f"Size: {version.size} bytes; uploaded {version.created_at:%Y-%m-%d %H:%M} UTC"),
           ("p", f"SHA-256: {version.sha256}"),
           ("p", "Re-checked against the stored file: " + ("matches" if context["hash_ok"] else
                                                           f"DOES NOT MATCH ({context['rehash']})")),
           ("p", ""), ("h2", "Decisions")]
    if not context["decisions"]:
        out.append(("p", "No decisions yet."))
    for d in context["decisions"]:
        local = d.created_at.astimezone(zone)
        out += [("p", f"{d.verdict.label}{'' if d.binding else ' (advisory)'} by {d.reviewer_name} <{d.reviewer_email}>"),
                ("p", f"   {d.created_at:%Y-%m-%d %H:%M:%S} UTC / {local:%Y-%m-%d %H:%M} {zone.key}"),
                ("p", f"   channel: {d.channel.value}; identified by: {d.identified_by}; IP: {d.ip or '-'}"),
                ("p", f"   user agent: {d.user_agent or '-'}"),
                ("p", f"   file SHA-256 at decision: {d.file_sha256}")]
        if d.note:
            out += [("p", f"   note: {line}") for line in textwrap.wrap(d.note, 80)]
        out.append(("p", ""))
    out.append(("p", f"Generated {context['generated_at']:%Y-%m-%d %H:%M} UTC by Revue."))
    return out


def approval_record(context: dict) -> bytes:
    pages: list[list[str]] = [[]]
    y = PAGE_H - MARGIN
    for style, text in lines_for(context):
        size = {"h1": 18, "h2": 13, "p": 9.5}[style]
        for chunk in textwrap.wrap(text, 95) or [""]:
            if y < MARGIN:
                pages.append([])
                y = PAGE_H - MARGIN
            font = "F2" if style != "p" else "F1"
            pages[-1].append(f"BT /{font} {size} Tf {MARGIN} {y} Td ({_escape(chunk)}) Tj ET")
            y -= LEADING + (8 if style == "h1" else 4 if style == "h2" else 0)
    return _document(pages)


def _document(pages: list[list[str]]) -> bytes:
    objects: list[bytes] = []
    kids = " ".join(f"{5 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    for i, lines in enumerate(pages):
        stream = "\n".join(lines).encode("latin-1")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
                       f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {6 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
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
