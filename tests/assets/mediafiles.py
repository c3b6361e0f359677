"""Make small media files for tests (Pillow for images/PDF, imageio-ffmpeg's ffmpeg for audio/video)."""

from __future__ import annotations

import io
import struct
import subprocess
import zlib
from pathlib import Path

from PIL import Image, ImageDraw

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
        check=True,
        timeout=60,
    )


# --- images ---------------------------------------------------------------------------------


def picture(size: tuple[int, int] = (640, 480), mode: str = "RGB") -> Image.Image:
    """A gradient with a few shapes, so resizing and orientation are visible."""
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(im)
    w, h = size
    draw.rectangle((0, 0, w // 4, h // 4), fill=(255, 0, 0))  # red marks the top-left corner
    draw.ellipse((w // 2, h // 2, w - 1, h - 1), fill=(0, 0, 255))
    if mode == "RGBA":
        im.putalpha(Image.linear_gradient("L").resize(size).rotate(90))
    return im.convert(mode)


def image_file(
    path: Path, fmt: str, size: tuple[int, int] = (640, 480), mode: str = "RGB", **save: object
) -> Path:
    picture(size, mode).save(path, fmt, **save)
    return path


def jpeg_with_gps(path: Path, size: tuple[int, int] = (800, 600), orientation: int = 6) -> Path:
    """A JPEG carrying EXIF (with GPS position and an orientation) and an XMP packet."""
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)})
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/><secret>home-address</secret></x:xmpmeta>'
    picture(size).save(path, "JPEG", exif=exif, xmp=xmp, quality=90)
    return path


def png_header_bomb(path: Path, width: int = 30000, height: int = 30000) -> Path:
    """A PNG whose header claims width × height but whose image data is a few bytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )
    return path


def png_zero_rows(path: Path, width: int, height: int) -> Path:
    """A complete, valid RGB PNG of black rows, streamed so it never exists in memory."""
    compressor = zlib.compressobj(1)
    block = (b"\x00" + b"\x00" * (width * 3)) * 64
    rows = [compressor.compress(block) for _ in range(height // 64)]
    rows.append(compressor.compress((b"\x00" + b"\x00" * (width * 3)) * (height % 64)))
    data = b"".join(rows) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")
    )
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def jpeg_html_polyglot(path: Path) -> Path:
    """A real JPEG with an HTML payload in a comment segment."""
    buffer = io.BytesIO()
    picture((64, 64)).save(buffer, "JPEG")
    jpeg = buffer.getvalue()
    payload = b"<html><body><script>alert(document.domain)</script></body></html>"
    comment = b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload
    path.write_bytes(jpeg[:2] + comment + jpeg[2:])
    return path


def psd_file(path: Path, size: tuple[int, int] = (8, 6)) -> Path:
    """A minimal RGB Photoshop file: header, empty sections, raw planar composite (red)."""
    w, h = size
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, h, w, 8, 3)
    sections = struct.pack(">III", 0, 0, 0)
    planes = b"\xff" * (w * h) + b"\x00" * (w * h) * 2
    path.write_bytes(header + sections + struct.pack(">H", 0) + planes)
    return path


def pdf_file(path: Path, pages: int = 3, size: tuple[int, int] = (595, 842)) -> Path:
    """A multi-page PDF (one page per image; Pillow writes pages at 72 dpi = points)."""
    images = []
    for n in range(pages):
        im = picture(size)
        ImageDraw.Draw(im).text((20, 20), f"Page {n + 1}", fill=(0, 0, 0))
        images.append(im)
    images[0].save(path, "PDF", save_all=True, append_images=images[1:], resolution=72)
    return path


SVG_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{w}" height="{h}">
  <rect width="{w}" height="{h}" fill="#00ff00"/>
  {body}
</svg>
"""


def svg_file(path: Path, body: str = "", size: tuple[int, int] = (200, 100)) -> Path:
    path.write_text(SVG_TEMPLATE.format(w=size[0], h=size[1], body=body))
    return path


# --- video and audio ------------------------------------------------------------------------

VIDEO_CODECS = {
    "mp4": ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
    "mov": ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
    "webm": [
        "-c:v",
        "libvpx-vp9",
        "-pix_fmt",
        "yuv420p",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-c:a",
        "libopus",
    ],
    "mkv": ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
    "avi": ["-c:v", "mpeg4", "-c:a", "libmp3lame"],
}

AUDIO_CODECS = {
    "mp3": ["-c:a", "libmp3lame"],
    "wav": ["-c:a", "pcm_s16le"],
    "m4a": ["-c:a", "aac"],
    "ogg": ["-c:a", "libvorbis"],
    "flac": ["-c:a", "flac"],
}


def video_file(
    path: Path,
    container: str = "mp4",
    *,
    seconds: float = 1.0,
    size: tuple[int, int] = (320, 180),
    rate: int = 25,
    audio: bool = True,
    codec_args: list[str] | None = None,
    extra: list[str] | None = None,
) -> Path:
    args = ["-f", "lavfi", "-i", f"testsrc=duration={seconds}:size={size[0]}x{size[1]}:rate={rate}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-shortest"]
    codecs = codec_args if codec_args is not None else VIDEO_CODECS[container]
    if not audio:
        codecs = [a for i, a in enumerate(codecs) if a != "-c:a" and (i == 0 or codecs[i - 1] != "-c:a")]
    faststart = ["-movflags", "+faststart"] if container in ("mp4", "mov") else []
    ffmpeg(*args, *codecs, *faststart, *(extra or []), str(path))
    return path


def audio_file(
    path: Path, fmt: str = "mp3", *, seconds: float = 1.0, codec_args: list[str] | None = None
) -> Path:
    args = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    ffmpeg(*args, *(codec_args if codec_args is not None else AUDIO_CODECS[fmt]), str(path))
    return path


def hls_playlist(path: Path, target: Path) -> Path:
    """An HLS playlist whose only 'segment' is a local text file."""
    path.write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f"#EXTINF:10.0,\nfile://{target}\n#EXTINF:10.0,\n{target}\n#EXT-X-ENDLIST\n"
    )
    return path


def concat_script(path: Path, target: Path) -> Path:
    path.write_text(f"ffconcat version 1.0\nfile '{target}'\n")
    return path
