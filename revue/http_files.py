"""Serving user bytes safely (SECURITY F4, F5), for routes that have already checked access.

:func:`send_stored` answers GET and HEAD with Range support (video seeking), conditional
requests (ETag / Last-Modified), and the headers that keep an uploaded file from acting as
a page of this site: ``nosniff``, a sandboxing CSP, ``Cross-Origin-Resource-Policy``, a
content type from a server allowlist and a header-safe RFC 6266 ``Content-Disposition``.

About the CSP of media: a ``Content-Security-Policy`` header on a subresource (the page's
``<video src>``) is ignored by browsers, so ``sandbox`` never gets in a player's way and is
always sent. It only matters when the URL is opened directly: the browser then builds a
media document whose ``<video>`` fetches the URL again, and ``default-src 'none'`` would
block that fetch (Chrome and Safari). ``inline_media=True`` therefore adds
``media-src 'self'`` and keeps ``default-src 'none'`` and ``sandbox``.

Core module: imports only the stdlib, Flask and Werkzeug.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO
from urllib.parse import quote

from flask import Response, request
from werkzeug.http import http_date, parse_etags, quote_etag, unquote_etag

from .storage import Storage

log = logging.getLogger(__name__)

STREAM_CHUNK = 256 * 1024
MAX_NAME_CHARS = 150
CACHE_CONTROL = "private, max-age=3600"
CSP_FILES = "default-src 'none'; sandbox"
CSP_MEDIA = "default-src 'none'; media-src 'self'; sandbox"
FALLBACK_TYPE = "application/octet-stream"

# Types a browser may be told; everything else (HTML, SVG, XML, JS, text …) becomes octet-stream.
ALLOWED_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "image/avif",
        "application/pdf",
        "application/zip",
        "video/mp4",
        "video/webm",
        "video/ogg",
        "video/quicktime",
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/wav",
        "audio/ogg",
        "audio/flac",
        "audio/webm",
        FALLBACK_TYPE,
    }
)
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "audio/mp3": "audio/mpeg",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/x-flac": "audio/flac",
    "audio/x-m4a": "audio/mp4",
}
# Characters dropped from names: controls, format chars (bidi overrides), separators, unassigned.
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_ASCII_OK = re.compile(r"[^A-Za-z0-9 ._()\[\]{}+,!#&'@=~^-]")


class _Unsatisfiable(Exception):
    pass


def safe_mimetype(mime: str | None) -> str:
    """The type to send: ``mime`` if it is on the allowlist, else ``application/octet-stream``."""
    base = (mime or "").split(";", 1)[0].strip().lower()
    base = _ALIASES.get(base, base)
    return base if base in ALLOWED_TYPES else FALLBACK_TYPE


def safe_filename(name: str | None, *, default: str = "download") -> str:
    """A display name with no path, control, quote or separator characters, at most 150 chars."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[/\\]", text)[-1]  # keep the last path component only
    text = "".join(" " if ch.isspace() else ch for ch in text)  # CR, LF, tab, U+2028 … → space
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROP_CATEGORIES)
    text = re.sub(r"\s+", " ", text.replace('"', "")).strip().lstrip(".").strip()
    if not text:
        return default
    return _cap_length(text, MAX_NAME_CHARS)


def _cap_length(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and stem and 0 < len(ext) <= 16:
        return stem[: limit - len(ext) - 1].rstrip() + "." + ext
    return name[:limit].rstrip()


def _ascii_fallback(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = _ASCII_OK.sub("_", text).strip()
    if not text.strip("._ "):
        return "download"
    if text.startswith("."):
        return "download" + text
    return text


def content_disposition(disposition: str, name: str | None) -> str:
    """``attachment; filename="…"; filename*=UTF-8''…`` (RFC 6266 / 5987), safe in a header."""
    clean = safe_filename(name)
    encoded = quote(clean, safe="")
    return f"{disposition}; filename=\"{_ascii_fallback(clean)}\"; filename*=UTF-8''{encoded}"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range to send, None to send everything; raises _Unsatisfiable (416).

    Only a single range is honoured; several ranges, other units and malformed headers
    are ignored (a full 200 answer, as RFC 9110 allows).
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    match = re.fullmatch(r"\s*(\d{0,19})\s*-\s*(\d{0,19})\s*", spec)
    if not match or not (match[1] or match[2]):
        return None
    if not match[1]:  # suffix range: the last n bytes
        suffix = int(match[2])
        if suffix == 0 or size == 0:
            raise _Unsatisfiable
        return max(0, size - suffix), size - 1
    start = int(match[1])
    end = int(match[2]) if match[2] else None
    if end is not None and end < start:
        return None
    if start >= size:
        raise _Unsatisfiable
    return start, size - 1 if end is None else min(end, size - 1)


def _utc_seconds(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _not_modified(etag: str, last_modified: datetime) -> bool:
    """RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only without it."""
    if "If-None-Match" in request.headers:
        return parse_etags(request.headers["If-None-Match"]).contains_weak(etag)
    since = request.if_modified_since
    return since is not None and last_modified <= since


def _range_allowed(etag: str, last_modified: datetime) -> bool:
    """If-Range: the range applies only if the representation is unchanged (strong match)."""
    if_range = request.if_range
    if if_range.etag is not None:
        tag, weak = unquote_etag(request.headers.get("If-Range", ""))
        return not weak and tag == etag
    if if_range.date is not None:
        return if_range.date == last_modified
    return True


class _FileChunks:
    """Iterates ``length`` bytes of an open file in chunks and always closes it."""

    def __init__(self, fh: BinaryIO, length: int):
        self._fh = fh
        self._left = length

    def __iter__(self) -> Iterator[bytes]:
        while self._left > 0:
            chunk = self._fh.read(min(STREAM_CHUNK, self._left))
            if not chunk:
                log.warning("stored file ended %d bytes early", self._left)
                break
            self._left -= len(chunk)
            yield chunk

    def close(self) -> None:
        self._fh.close()


def _base_headers(
    mime: str, etag: str, last_modified: datetime, disposition: str, inline_media: bool
) -> dict[str, str]:
    return {
        "Content-Type": mime,
        "Content-Disposition": disposition,
        "Accept-Ranges": "bytes",
        "ETag": quote_etag(etag),
        "Last-Modified": http_date(last_modified),
        "Cache-Control": CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": CSP_MEDIA if inline_media else CSP_FILES,
        "Cross-Origin-Resource-Policy": "same-origin",
    }


def _disposition(mime: str, download_name: str | None, as_attachment: bool, inline_media: bool) -> str:
    is_media = mime.startswith(("video/", "audio/"))
    if as_attachment or mime == FALLBACK_TYPE or (inline_media and not is_media):
        return content_disposition("attachment", download_name)
    if download_name:
        return content_disposition("inline", download_name)
    return "inline"


def send_stored(
    storage: Storage,
    key: str,
    *,
    mime: str,
    size: int,
    etag: str,
    last_modified: datetime,
    download_name: str | None = None,
    as_attachment: bool = False,
    inline_media: bool = False,
) -> Response:
    """Answer GET/HEAD for a stored file. ``etag`` is unquoted (e.g. the file's sha256).

    A type outside the allowlist is sent as ``application/octet-stream`` and always as an
    attachment; ``inline_media`` is meant for video/audio played by the page (for any other
    type it falls back to an attachment).
    """
    content_type = safe_mimetype(mime)
    etag = unquote_etag(etag)[0] if etag.startswith(('"', "W/")) else etag
    modified = _utc_seconds(last_modified)
    disposition = _disposition(content_type, download_name, as_attachment, inline_media)
    inline_media = inline_media and content_type.startswith(("video/", "audio/"))
    headers = _base_headers(content_type, etag, modified, disposition, inline_media)

    if _not_modified(etag, modified):
        return _response(304, headers)
    try:
        byte_range = parse_range(request.headers.get("Range"), size)
    except _Unsatisfiable:
        if _range_allowed(etag, modified):
            headers["Content-Range"] = f"bytes */{size}"
            return _response(416, headers, length=0)
        byte_range = None
    if byte_range is not None and not _range_allowed(etag, modified):
        byte_range = None
    start, end = byte_range if byte_range else (0, size - 1)
    if byte_range:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return _body_response(storage, key, 206 if byte_range else 200, headers, start, end - start + 1)


def _body_response(
    storage: Storage, key: str, status: int, headers: dict[str, str], start: int, length: int
) -> Response:
    if request.method == "HEAD" or length <= 0:
        return _response(status, headers, length=max(length, 0))
    fh = storage.open(key)
    try:
        if start:
            fh.seek(start)
    except BaseException:
        fh.close()
        raise
    response = Response(_FileChunks(fh, length), status=status, headers=headers, direct_passthrough=True)
    response.headers["Content-Length"] = str(length)
    return response


def _response(status: int, headers: dict[str, str], *, length: int | None = None) -> Response:
    response = Response(status=status, headers=headers)
    if status == 304:
        for name in ("Content-Type", "Content-Length", "Content-Disposition"):
            response.headers.pop(name, None)
    elif length is not None:
        response.headers["Content-Length"] = str(length)
    return response
