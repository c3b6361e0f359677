"""Serving user bytes: Range, conditional GET, HEAD and the F4/F5 headers.

Runs against a tiny Flask app built here, not the Revue app.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.http import http_date, parse_options_header

from revue.http_files import (
    CSP_FILES,
    CSP_MEDIA,
    STREAM_CHUNK,
    _Unsatisfiable,
    content_disposition,
    parse_range,
    safe_filename,
    safe_mimetype,
    send_stored,
)
from revue.storage import LocalStorage, new_key

DATA = bytes(i % 251 for i in range(3 * STREAM_CHUNK + 777))
SIZE = len(DATA)
SHA = hashlib.sha256(DATA).hexdigest()
MODIFIED = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
ETAG = f'"{SHA}"'


class TrackingStorage(LocalStorage):
    """Counts opened handles so tests can prove HEAD opens nothing and GET closes what it opens."""

    def __init__(self, root: Path):
        super().__init__(root)
        self.handles: list[BinaryIO] = []

    def open(self, key: str) -> BinaryIO:
        fh = super().open(key)
        self.handles.append(fh)
        return fh


class BufferedClient(FlaskClient):
    """Reads and closes each response body, as a WSGI server does."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def storage(tmp_path: Path) -> TrackingStorage:
    return TrackingStorage(tmp_path / "files")


@pytest.fixture
def key(storage: TrackingStorage) -> str:
    return storage.save(new_key("versions"), io.BytesIO(DATA)).key


@pytest.fixture
def options() -> dict:
    """What the route passes to send_stored; tests change it before requesting."""
    return {"mime": "video/mp4"}


@pytest.fixture
def client(storage: TrackingStorage, key: str, options: dict):
    app = Flask(__name__)
    app.test_client_class = BufferedClient

    @app.get("/file")
    def serve():
        opts = {"size": SIZE, "etag": SHA, "last_modified": MODIFIED, **options}
        return send_stored(storage, key, **opts)

    return app.test_client()


def assert_f5_headers(response, csp: str = CSP_FILES) -> None:
    h = response.headers
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Content-Security-Policy"] == csp
    assert "default-src 'none'" in csp and "sandbox" in csp
    assert h["Cross-Origin-Resource-Policy"] == "same-origin"
    assert h["Cache-Control"] == "private, max-age=3600"
    assert h["Accept-Ranges"] == "bytes"
    assert h["ETag"] == ETAG
    assert h["Last-Modified"] == "Wed, 04 Mar 2026 05:06:07 GMT"


# ------------------------------------------------------------------ 200 / 206 / 416


def test_full_get(client, storage):
    response = client.get("/file")
    assert response.status_code == 200
    assert response.data == DATA
    assert response.headers["Content-Length"] == str(SIZE)
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Content-Disposition"] == "inline"
    assert "Content-Range" not in response.headers
    assert_f5_headers(response)
    assert len(storage.handles) == 1 and storage.handles[0].closed


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, SIZE - 1),
        ("bytes=-50", SIZE - 50, SIZE - 1),
        ("bytes=-999999999", 0, SIZE - 1),
        ("bytes=1000-99999999", 1000, SIZE - 1),
        (f"bytes={SIZE - 1}-{SIZE - 1}", SIZE - 1, SIZE - 1),
        ("BYTES = 5 - 9", 5, 9),
    ],
)
def test_single_range(client, storage, header, start, end):
    response = client.get("/file", headers={"Range": header})
    assert response.status_code == 206
    assert response.data == DATA[start : end + 1]
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert response.headers["Content-Length"] == str(end - start + 1)
    assert_f5_headers(response)
    assert all(fh.closed for fh in storage.handles)


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
def test_unsatisfiable_range(client, storage, header):
    response = client.get("/file", headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{SIZE}"
    assert response.data == b""
    assert_f5_headers(response)
    assert storage.handles == []


@pytest.mark.parametrize(
    "header", ["bytes=0-1,5-6", "bytes=abc", "bytes=9-2", "items=0-5", "bytes=-", "bytes=1-2-3"]
)
def test_multi_or_malformed_range_sends_everything(client, header):
    response = client.get("/file", headers={"Range": header})
    assert response.status_code == 200
    assert response.data == DATA


def test_if_range_match_and_mismatch(client):
    same = client.get("/file", headers={"Range": "bytes=0-9", "If-Range": ETAG})
    assert (same.status_code, same.data) == (206, DATA[:10])
    changed = client.get("/file", headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert (changed.status_code, len(changed.data)) == (200, SIZE)
    weak = client.get("/file", headers={"Range": "bytes=0-9", "If-Range": f"W/{ETAG}"})
    assert weak.status_code == 200
    dated = client.get("/file", headers={"Range": "bytes=0-9", "If-Range": http_date(MODIFIED)})
    assert dated.status_code == 206


def test_body_is_streamed_in_chunks(storage, key):
    app = Flask(__name__)
    with app.test_request_context("/file"):
        response = send_stored(storage, key, mime="video/mp4", size=SIZE, etag=SHA, last_modified=MODIFIED)
        chunks = list(response.response)
        response.close()
    assert len(chunks) == 4
    assert max(len(c) for c in chunks) == STREAM_CHUNK
    assert b"".join(chunks) == DATA
    assert storage.handles[0].closed


def test_empty_file(tmp_path):
    storage = LocalStorage(tmp_path)
    key = storage.save(new_key("versions"), io.BytesIO(b"")).key
    app = Flask(__name__)
    app.test_client_class = BufferedClient
    app.add_url_rule(
        "/e",
        view_func=lambda: send_stored(
            storage, key, mime="image/png", size=0, etag="e", last_modified=MODIFIED
        ),
    )
    client = app.test_client()
    ok = client.get("/e")
    assert (ok.status_code, ok.data, ok.headers["Content-Length"]) == (200, b"", "0")
    assert client.get("/e", headers={"Range": "bytes=0-"}).status_code == 416


# ------------------------------------------------------------------ conditional GET


@pytest.mark.parametrize("inm", [ETAG, f"W/{ETAG}", f'"nope", {ETAG}', "*"])
def test_if_none_match_gives_304(client, storage, inm):
    response = client.get("/file", headers={"If-None-Match": inm})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == ETAG
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, max-age=3600"
    assert storage.handles == []


def test_if_none_match_mismatch_wins_over_if_modified_since(client):
    future = http_date(MODIFIED + timedelta(days=1))
    response = client.get("/file", headers={"If-None-Match": '"other"', "If-Modified-Since": future})
    assert response.status_code == 200
    assert response.data == DATA


@pytest.mark.parametrize(
    ("since", "status"),
    [
        (MODIFIED.replace(microsecond=0), 304),
        (MODIFIED + timedelta(hours=1), 304),
        (MODIFIED - timedelta(seconds=1), 200),
    ],
)
def test_if_modified_since(client, since, status):
    response = client.get("/file", headers={"If-Modified-Since": http_date(since)})
    assert response.status_code == status


def test_naive_last_modified_is_utc(storage, key):
    app = Flask(__name__)
    naive = MODIFIED.replace(tzinfo=None)
    with app.test_request_context("/file", method="HEAD"):
        response = send_stored(storage, key, mime="image/png", size=SIZE, etag=SHA, last_modified=naive)
    assert response.headers["Last-Modified"] == "Wed, 04 Mar 2026 05:06:07 GMT"


# ------------------------------------------------------------------ HEAD


def test_head_has_headers_and_no_body(client, storage):
    response = client.head("/file")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == str(SIZE)
    assert_f5_headers(response)
    assert storage.handles == []  # nothing was opened, so nothing can leak


def test_head_with_range(client, storage):
    response = client.head("/file", headers={"Range": "bytes=10-19"})
    assert response.status_code == 206
    assert response.data == b""
    assert response.headers["Content-Length"] == "10"
    assert response.headers["Content-Range"] == f"bytes 10-19/{SIZE}"
    assert storage.handles == []


# ------------------------------------------------------------------ content type and CSP


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("image/png", "image/png"),
        ("IMAGE/JPEG; charset=utf-8", "image/jpeg"),
        ("image/jpg", "image/jpeg"),
        ("audio/x-wav", "audio/wav"),
        ("application/pdf", "application/pdf"),
        ("text/html", "application/octet-stream"),
        ("text/html; charset=utf-8", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),
        ("application/xhtml+xml", "application/octet-stream"),
        ("text/javascript", "application/octet-stream"),
        ("", "application/octet-stream"),
    ],
)
def test_type_comes_from_the_allowlist(given, sent):
    assert safe_mimetype(given) == sent


@pytest.mark.parametrize("mime", ["text/html", "image/svg+xml", "text/xml", "application/x-shockwave-flash"])
def test_dangerous_types_are_downloads(client, options, mime):
    options.update(mime=mime, download_name="poster.svg")
    response = client.get("/file")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "html" not in response.headers["Content-Type"] and "svg" not in response.headers["Content-Type"]
    assert_f5_headers(response)


def test_inline_image_keeps_sandbox(client, options):
    options.update(mime="image/png")
    response = client.get("/file")
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == "inline"
    assert_f5_headers(response, CSP_FILES)


def test_inline_media_allows_its_own_media_document(client, options):
    options.update(mime="video/webm", inline_media=True)
    response = client.get("/file", headers={"Range": "bytes=0-"})
    assert response.status_code == 206
    assert response.headers["Content-Type"] == "video/webm"
    assert response.headers["Content-Disposition"] == "inline"
    assert CSP_MEDIA == "default-src 'none'; media-src 'self'; sandbox"
    assert_f5_headers(response, CSP_MEDIA)


def test_inline_media_flag_on_a_non_media_type_is_an_attachment(client, options):
    options.update(mime="application/pdf", inline_media=True)
    response = client.get("/file")
    assert response.headers["Content-Security-Policy"] == CSP_FILES
    assert response.headers["Content-Disposition"].startswith("attachment;")


# ------------------------------------------------------------------ Content-Disposition (F4)

HEADER_RE = re.compile(
    r"""attachment; filename="[^"\\\x00-\x1f\x7f]*"; filename\*=UTF-8''[A-Za-z0-9%._~-]+"""
)


def sent_disposition(client, options, name: str) -> str:
    options.update(mime="application/pdf", as_attachment=True, download_name=name)
    response = client.get("/file")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and "X-Evil" not in response.headers
    value = response.headers["Content-Disposition"]
    assert value.isascii() and "\r" not in value and "\n" not in value
    assert HEADER_RE.fullmatch(value), value
    return value


def parsed_names(value: str) -> tuple[str, str]:
    fallback = re.search(r'filename="([^"]*)"', value)
    star = re.search(r"filename\*=UTF-8''(\S+)", value)
    assert fallback and star
    return fallback[1], unquote(star[1])


@pytest.mark.parametrize(
    ("name", "fallback", "full"),
    [
        ("brief v2.pdf", "brief v2.pdf", "brief v2.pdf"),
        ("../../x", "x", "x"),
        ("..\\..\\windows\\win.ini", "win.ini", "win.ini"),
        ("/etc/passwd", "passwd", "passwd"),
        ("evil.pdf\r\nSet-Cookie: a=b", "evil.pdf Set-Cookie_ a=b", "evil.pdf Set-Cookie: a=b"),
        ("a\nX-Evil: 1\r\n\r\n<html>.pdf", "a X-Evil_ 1 _html_.pdf", "a X-Evil: 1 <html>.pdf"),
        ('say "hi"; filename=evil.exe', "say hi_ filename=evil.exe", "say hi; filename=evil.exe"),
        ("back\\slash", "slash", "slash"),
        ("nul\x00byte.png", "nulbyte.png", "nulbyte.png"),
        ("invoice\u202efdp.exe", "invoicefdp.exe", "invoicefdp.exe"),
        ("报告 final.pdf", "final.pdf", "报告 final.pdf"),
        ("報告.pdf", "download.pdf", "報告.pdf"),
        ("Café déjà vu.png", "Cafe deja vu.png", "Café déjà vu.png"),
        ("100%.pdf", "100_.pdf", "100%.pdf"),
        ("...", "download", "download"),
        ("", "download", "download"),
        ("\r\n", "download", "download"),
        (".htaccess", "htaccess", "htaccess"),
    ],
)
def test_hostile_names_give_a_safe_header(client, options, name, fallback, full):
    value = sent_disposition(client, options, name)
    assert parsed_names(value) == (fallback, full)


def test_300_char_unicode_name_is_capped_and_keeps_extension(client, options):
    name = "ü日" * 150 + ".mp4"
    value = sent_disposition(client, options, name)
    fallback, full = parsed_names(value)
    assert len(full) == 150 and full.endswith(".mp4") and full.startswith("ü日ü日")
    assert fallback.endswith(".mp4") and len(fallback) <= 150
    assert len(value) < 2000


def test_werkzeug_parses_the_header_back():
    value = content_disposition("attachment", 'Entwurf "final"\r\n.pdf')
    kind, params = parse_options_header(value)
    assert kind == "attachment"
    assert params["filename"] == "Entwurf final .pdf"


def test_attachment_without_a_name(client, options):
    options.update(mime="image/png", as_attachment=True)
    assert client.get("/file").headers["Content-Disposition"] == (
        "attachment; filename=\"download\"; filename*=UTF-8''download"
    )


def test_safe_filename_never_returns_separators_or_controls():
    for name in ["a/b", "a\\b", "a\tb", "\x7fa", "a\u2028b", "a\x85b", ' "q" ']:
        clean = safe_filename(name)
        assert not set(clean) & set('/\\"\t\x7f\u2028\x85'), (name, clean)
        assert clean == clean.strip() and clean


# ------------------------------------------------------------------ parse_range unit


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-0", 10, (0, 0)),
        ("bytes=3-", 10, (3, 9)),
        ("bytes=-3", 10, (7, 9)),
        ("bytes=-30", 10, (0, 9)),
        ("bytes=0-99", 10, (0, 9)),
        ("bytes=5-4", 10, None),
        ("bytes=1-2,4-5", 10, None),
        ("bytes=" + "9" * 40 + "-", 10, None),
        ("bytes=0-", 0, "416"),
        ("bytes=10-", 10, "416"),
        ("bytes=-0", 10, "416"),
        ("bytes=-5", 0, "416"),
    ],
)
def test_parse_range(header, size, expected):
    if expected == "416":
        with pytest.raises(_Unsatisfiable):
            parse_range(header, size)
    else:
        assert parse_range(header, size) == expected
