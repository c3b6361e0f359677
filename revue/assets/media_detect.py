"""Deciding what an uploaded file is, from its content (SECURITY F2, F7).

The name is only ever used to refuse things (NUL bytes, double extensions hiding markup
or executables, markup pretending to be media); the kind, MIME type and extension come
from the bytes: magic numbers, then a real parse of the header (Pillow for images,
ffmpeg with a forced demuxer for audio/video). PostScript (EPS/PS/old AI) is never
handed to a decoder: it is "other".
"""

from __future__ import annotations

import logging
import re
import warnings

import puremagic

from .media_types import Detected, MediaError

log = logging.getLogger(__name__)

HEAD_BYTES = 64 * 1024

# Extensions that browsers or servers may execute or render as markup.
_RISKY_WORDS = (
    "html htm xhtml xht shtml shtm mht mhtml hta svgz xml xsl xslt js mjs cjs jsp jspx asp aspx ashx "
    "php php3 php4 php5 php7 phtml phar pht cgi pl py pyc rb sh bash zsh bat cmd com exe scr msi dll so "
    "vbs vbe wsf wsh ps1 psm1 jar swf lnk reg"
)
RISKY_EXTENSIONS = frozenset(_RISKY_WORDS.split())
# Extensions that claim a previewable type (-> words for errors); content that is none of
# our media types under such a name (e.g. HTML named .png) is refused outright.
MEDIA_EXTENSIONS = {
    **dict.fromkeys(("jpg", "jpeg", "jpe", "jfif"), "JPEG image"),
    **dict.fromkeys(("png", "apng"), "PNG image"),
    "gif": "GIF image",
    "webp": "WebP image",
    **dict.fromkeys(("tif", "tiff"), "TIFF image"),
    "avif": "AVIF image",
    **dict.fromkeys(("bmp", "dib"), "BMP image"),
    "psd": "Photoshop document",
    "svg": "SVG image",
    "pdf": "PDF document",
    "ai": "Illustrator file",
    **dict.fromkeys(("mp4", "m4v"), "MP4 video"),
    **dict.fromkeys(("mov", "qt"), "QuickTime video"),
    "webm": "WebM video",
    "mkv": "Matroska video",
    "avi": "AVI video",
    "mp3": "MP3 audio file",
    **dict.fromkeys(("wav", "wave"), "WAV audio file"),
    **dict.fromkeys(("m4a", "aac"), "AAC audio file"),
    **dict.fromkeys(("ogg", "oga", "opus"), "Ogg audio file"),
    "flac": "FLAC audio file",
}

IMAGE_TYPES = {  # mime -> (ext, Pillow format, words)
    "image/jpeg": ("jpg", "JPEG", "JPEG image"),
    "image/png": ("png", "PNG", "PNG image"),
    "image/gif": ("gif", "GIF", "GIF image"),
    "image/webp": ("webp", "WEBP", "WebP image"),
    "image/tiff": ("tif", "TIFF", "TIFF image"),
    "image/avif": ("avif", "AVIF", "AVIF image"),
    "image/bmp": ("bmp", "BMP", "BMP image"),
    "image/vnd.adobe.photoshop": ("psd", "PSD", "Photoshop document"),
}

# What browsers sniff as HTML (WHATWG MIME sniffing), plus PHP and SVG-in-HTML openers.
_HTML_TAGS = (b"<!doctype html",) + tuple(
    b"<" + tag
    for tag in b"html head body script iframe h1 div font table a style title b br p !-- ?php meta link "
    b"form img svg object embed".split()
)
_SVG_ROOT_RE = re.compile(
    rb"^\s*(?:<\?xml[^>]*\?>\s*)?(?:(?:<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>|<\?[^>]*\?>)\s*)*<(?:\w+:)?svg[\s>/]",
    re.DOTALL | re.IGNORECASE,
)


def detect(path: str, original_name: str) -> Detected:
    claimed = check_name(original_name)
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    if not head:
        raise MediaError("This file is empty.")
    found = _sniff_media(path, head)
    if found is not None:
        return found
    if claimed is not None:
        raise MediaError(f"This file is not a valid {claimed}.")
    return _other(head, original_name)


def check_name(original_name: str) -> str | None:
    """Refuse dangerous names; return the words for the type the extension claims, if any."""
    if "\x00" in original_name:
        raise MediaError("This file name contains characters that are not allowed.")
    base = re.split(r"[/\\]", original_name)[-1].rstrip(" .")
    parts = [p.strip().lower() for p in base.split(".")[1:]]
    risky = [i for i, p in enumerate(parts) if p in RISKY_EXTENSIONS]
    if risky and len(parts) > 1:
        known = [p for p in parts if p in MEDIA_EXTENSIONS or p in RISKY_EXTENSIONS]
        if risky[0] < len(parts) - 1 or len(known) > 1:
            raise MediaError("Files with a double extension like “.png.html” are not allowed.")
    return MEDIA_EXTENSIONS.get(parts[-1]) if parts else None


def _sniff_media(path: str, head: bytes) -> Detected | None:
    """Recognise a supported format from magic bytes and confirm it by parsing."""
    for sniff in (_sniff_image, _sniff_pdf_or_postscript, _sniff_av):
        found = sniff(path, head)
        if found is not None:
            return found
    if is_svg(head):
        from .media_svg import check

        check(path)
        return Detected("image", "image/svg+xml", "svg")
    return None


# --- images ---------------------------------------------------------------------------------


def _image_mime(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[:4] == b"8BPS" and head[4:6] == b"\x00\x01":
        return "image/vnd.adobe.photoshop"
    if (
        head[:2] == b"BM"
        and len(head) >= 18
        and int.from_bytes(head[14:18], "little") in (12, 40, 52, 56, 64, 108, 124)
    ):
        return "image/bmp"
    if _iso_brands(head) & {b"avif", b"avis"}:
        return "image/avif"
    return None


def _sniff_image(path: str, head: bytes) -> Detected | None:
    mime = _image_mime(head)
    if mime is None:
        return None
    ext, pil_format, words = IMAGE_TYPES[mime]
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=[pil_format]) as im:
                if im.width < 1 or im.height < 1:
                    raise ValueError("empty image")
    except Image.DecompressionBombError:
        pass  # a valid header for a huge image: processing refuses it with a clear message
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        log.info("not a valid %s: %s", pil_format, exc)
        raise MediaError(f"This file is not a valid {words}.") from None
    return Detected("image", mime, ext)


def is_svg(head: bytes) -> bool:
    text = head.removeprefix(b"\xef\xbb\xbf")
    return bool(_SVG_ROOT_RE.match(text))


def looks_like_html(head: bytes) -> bool:
    """The WHATWG sniffing rule: leading whitespace, then a tag browsers treat as HTML."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\n\r\x0c").lower()
    return any(
        text.startswith(tag) and text[len(tag) : len(tag) + 1] in (b" ", b">", b"") for tag in _HTML_TAGS
    )


# --- PDF and PostScript ---------------------------------------------------------------------


def _sniff_pdf_or_postscript(path: str, head: bytes) -> Detected | None:
    if head.startswith(b"%PDF-") or (b"%PDF-" in head[:1024] and not looks_like_html(head)):
        return Detected("pdf", "application/pdf", "pdf")
    if head.startswith(b"%!PS") or head.startswith(b"\xc5\xd0\xd3\xc6"):
        ext = "ai" if b"%%Creator: Adobe Illustrator" in head else ("eps" if b"EPSF" in head[:64] else "ps")
        return Detected("other", "application/postscript", ext)
    return None


# --- audio and video ------------------------------------------------------------------------


def _iso_brands(head: bytes) -> set[bytes]:
    if head[4:8] != b"ftyp" or len(head) < 16:
        return set()
    size = min(int.from_bytes(head[:4], "big"), len(head))
    return {head[8:12]} | {head[i : i + 4] for i in range(16, max(16, size) - 3, 4)}


def _av_candidate(head: bytes) -> tuple[str, str] | None:
    """(mime for a video, mime for audio only) from the container's magic bytes."""
    brands = _iso_brands(head)
    if brands:
        if head[8:12] == b"qt  ":
            return "video/quicktime", "audio/mp4"
        if head[8:12] in (b"M4A ", b"M4B ", b"M4P "):
            return "video/mp4", "audio/mp4"
        if brands & {b"heic", b"heix", b"mif1", b"msf1", b"crx "} and not brands & {
            b"isom",
            b"mp41",
            b"mp42",
        }:
            return None
        return "video/mp4", "audio/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return (
            ("video/webm", "audio/webm") if b"webm" in head[:64] else ("video/x-matroska", "audio/x-matroska")
        )
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo", "video/x-msvideo"
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "audio/wav", "audio/wav"
    if head.startswith(b"OggS"):
        return "video/ogg", "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac", "audio/flac"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return "audio/mpeg", "audio/mpeg"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "audio/aac", "audio/aac"
    return None


_AV_EXT = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "audio/mp4": "m4a",
    "video/webm": "webm",
    "audio/webm": "webm",
    "video/x-matroska": "mkv",
    "audio/x-matroska": "mka",
    "video/x-msvideo": "avi",
    "audio/wav": "wav",
    "video/ogg": "ogv",
    "audio/ogg": "ogg",
    "audio/flac": "flac",
    "audio/mpeg": "mp3",
    "audio/aac": "aac",
}


def _sniff_av(path: str, head: bytes) -> Detected | None:
    candidate = _av_candidate(head)
    if candidate is None:
        return None
    video_mime, audio_mime = candidate
    from . import media_ffmpeg

    what = "video" if video_mime.startswith("video/") else "audio file"
    info = media_ffmpeg.probe(path, video_mime, what)
    if info.video is not None:
        return Detected("video", video_mime, _AV_EXT[video_mime])
    if info.audio is not None:
        mime = audio_mime if audio_mime.startswith("audio/") else video_mime
        return Detected("audio", mime, _AV_EXT[mime])
    raise MediaError(f"This {what} has no picture or sound we can play.")


# --- everything else ------------------------------------------------------------------------


def _other(head: bytes, original_name: str) -> Detected:
    if looks_like_html(head):
        return Detected("other", "text/html", "html")
    try:  # the bytes decide; the user's name only tells ZIP-based formats (DOCX, PPTX…) apart
        matches = puremagic.magic_string(head, filename=original_name)
    except (puremagic.PureError, OSError, ValueError):
        matches = []
    best = next((m for m in matches if m.confidence >= 0.5 and m.mime_type), None)
    if best is not None:
        return Detected("other", best.mime_type, best.extension.lstrip(".").lower() or "bin")
    if _is_text(head):
        return Detected("other", "text/plain", "txt")
    return Detected("other", "application/octet-stream", "bin")


def _is_text(head: bytes) -> bool:
    sample = head[:8192]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(sample) - 3  # a multi-byte character cut at the end
    return True
