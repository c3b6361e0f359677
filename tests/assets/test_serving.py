"""Serving stored files: safe headers on every user byte (F5), previews without metadata (F7),
SVG only as a raster, Range and conditional requests for video."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from revue.storage import get_storage

CSP_FILES = "default-src 'none'; sandbox"
CSP_MEDIA = "default-src 'none'; media-src 'self'; sandbox"
ALLOWED = {"image/jpeg", "image/png", "video/mp4", "audio/mp4", "audio/mpeg", "audio/wav", "application/pdf",
           "application/zip", "application/octet-stream"}


def assert_safe(response, *, media: bool = False):
    h = response.headers
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Content-Security-Policy"] == (CSP_MEDIA if media else CSP_FILES)
    assert h["Cross-Origin-Resource-Policy"] == "same-origin"
    assert h["Content-Type"] in ALLOWED, h["Content-Type"]
    assert h["Cache-Control"] == "private, max-age=3600"
    assert "sandbox" in h["Content-Security-Policy"]


@pytest.fixture
def video(create_asset, project, member):
    return create_asset(project, member, "clip.mp4")


def test_original_is_an_attachment_with_safe_headers(app_ctx, member_client, member, project, create_asset, media):
    version = create_asset(project, member, "logo.png", name="Logo final.png")
    answer = member_client.get(f"/assets/versions/{version.id}/original")
    assert answer.status_code == 200
    assert answer.data == media("logo.png").read_bytes()
    assert_safe(answer)
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.headers["Content-Disposition"] == (
        "attachment; filename=\"Logo final.png\"; filename*=UTF-8''Logo%20final.png")
    assert answer.headers["ETag"] == f'"{version.sha256}"'


@pytest.mark.parametrize("sample", ["photo.jpg", "brochure.pdf", "clip.avi", "master.wav"])
def test_every_rendition_has_safe_headers(sample, app_ctx, member_client, member, project, create_asset):
    version = create_asset(project, member, sample)
    assert version.renditions
    for rendition in version.renditions:
        answer = member_client.get(f"/assets/versions/{version.id}/r/{rendition.name}")
        assert answer.status_code == 200, rendition.name
        assert answer.headers["Content-Type"] == rendition.mime
        assert_safe(answer, media=rendition.name == "web")
        assert answer.headers["Content-Disposition"].startswith("inline")
        with get_storage().open(rendition.storage_key) as fh:
            assert answer.data == fh.read()
    assert member_client.get(f"/assets/versions/{version.id}/r/nothing").status_code == 404


@pytest.mark.parametrize(("sample", "served_from"), [("clip.mp4", "original"), ("clip.mkv", "web"),
                                                     ("song.mp3", "original"), ("master.wav", "web")])
def test_media_url_plays_the_original_or_the_web_copy(sample, served_from, app_ctx, member_client, member, project,
                                                     create_asset):
    version = create_asset(project, member, sample)
    answer = member_client.get(f"/assets/versions/{version.id}/media")
    assert answer.status_code == 200
    assert_safe(answer, media=True)
    assert answer.headers["Content-Disposition"] == "inline"
    key = version.storage_key if served_from == "original" else version.rendition("web").storage_key
    with get_storage().open(key) as fh:
        assert answer.data == fh.read()
    expected = {"clip.mp4": "video/mp4", "clip.mkv": "video/mp4", "song.mp3": "audio/mpeg",
                "master.wav": "audio/mp4"}[sample]
    assert answer.headers["Content-Type"] == expected


def test_range_request_on_the_video_gets_206_from_the_middle(app_ctx, member_client, video):
    with get_storage().open(video.storage_key) as fh:
        data = fh.read()
    start, end = len(data) // 3, len(data) // 3 + 999
    answer = member_client.get(f"/assets/versions/{video.id}/media", headers={"Range": f"bytes={start}-{end}"})
    assert answer.status_code == 206
    assert answer.headers["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
    assert answer.headers["Content-Length"] == "1000"
    assert answer.headers["Accept-Ranges"] == "bytes"
    assert answer.data == data[start:end + 1]
    assert_safe(answer, media=True)

    tail = member_client.get(f"/assets/versions/{video.id}/media", headers={"Range": f"bytes={len(data) - 10}-"})
    assert tail.status_code == 206 and tail.data == data[-10:]
    beyond = member_client.get(f"/assets/versions/{video.id}/media", headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(data)}"


def test_etag_gives_304_and_a_changed_file_does_not(app_ctx, member_client, video):
    url = f"/assets/versions/{video.id}/media"
    first = member_client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = member_client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "private, max-age=3600"
    assert member_client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert member_client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    stale_range = member_client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert stale_range.status_code == 200
    thumb = member_client.get(f"/assets/versions/{video.id}/r/thumb")
    assert member_client.get(f"/assets/versions/{video.id}/r/thumb",
                             headers={"If-None-Match": thumb.headers["ETag"]}).status_code == 304


def test_head_sends_headers_only(app_ctx, member_client, video):
    answer = member_client.head(f"/assets/versions/{video.id}/original")
    assert answer.status_code == 200 and answer.data == b""
    assert answer.headers["Content-Length"] == str(video.size)


def test_previews_carry_no_exif_gps_or_xmp(app_ctx, member_client, member, project, create_asset, media):
    with Image.open(media("photo.jpg")) as source:
        assert source.getexif().get_ifd(0x8825)  # the upload has a GPS position
    version = create_asset(project, member, "photo.jpg")
    for name in ("preview", "thumb"):
        data = member_client.get(f"/assets/versions/{version.id}/r/{name}").data
        with Image.open(io.BytesIO(data)) as im:
            assert not im.getexif(), name
            assert "xmp" not in im.info and "exif" not in im.info
            assert im.height > im.width  # turned upright by the orientation before it was dropped
        assert b"home-address" not in data and b"TestCam" not in data


def test_svg_is_only_ever_served_as_a_raster(app_ctx, member_client, member, project, create_asset):
    version = create_asset(project, member, "drawing.svg")
    original = member_client.get(f"/assets/versions/{version.id}/original")
    assert original.headers["Content-Type"] == "application/octet-stream"
    assert original.headers["Content-Disposition"].startswith("attachment;")
    assert_safe(original)
    for rendition in version.renditions:
        answer = member_client.get(f"/assets/versions/{version.id}/r/{rendition.name}")
        assert answer.headers["Content-Type"] in ("image/jpeg", "image/png")
        assert b"<svg" not in answer.data and b"<script" not in answer.data
    assert member_client.get(f"/assets/versions/{version.id}/media").status_code == 404
    page = member_client.get(f"/assets/{version.asset_id}").get_data(as_text=True)
    assert f"/assets/versions/{version.id}/r/preview" in page


def test_a_jpeg_html_polyglot_is_never_served_as_html(app_ctx, member_client, member, project, create_asset):
    version = create_asset(project, member, "polyglot.jpg")
    original = member_client.get(f"/assets/versions/{version.id}/original")
    assert original.headers["Content-Type"] == "image/jpeg"
    assert original.headers["Content-Disposition"].startswith("attachment;")
    assert_safe(original)
    preview = member_client.get(f"/assets/versions/{version.id}/r/preview")
    assert preview.headers["Content-Type"] == "image/jpeg" and b"<script" not in preview.data


def test_html_uploaded_as_a_file_is_an_octet_stream_attachment(app_ctx, member_client, member, project,
                                                               create_asset):
    version = create_asset(project, member, "page.html")
    answer = member_client.get(f"/assets/versions/{version.id}/original")
    assert answer.headers["Content-Type"] == "application/octet-stream"
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert_safe(answer)
    assert member_client.get(f"/assets/versions/{version.id}/media").status_code == 404
