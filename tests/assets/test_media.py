"""revue.assets.media: detection from content, renditions, and the sandboxed worker.

Security checks covered here: F2 (content decides the type), F3 (pixel bombs), F7 (metadata
stripped, polyglots), F8 (ffmpeg can't be steered to local files), F9 (time/memory limits).
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from revue.assets import media, media_ffmpeg, media_vips
from revue.assets.media import Detected, MediaError
from revue.assets.media_worker import run_sandboxed

from . import mediafiles as mf

# --- shared inputs (made once per session; each ffmpeg file takes ~0.1 s) -------------------


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    made = {
        "jpg": mf.image_file(d / "a.jpg", "JPEG"),
        "png": mf.image_file(d / "a.png", "PNG", mode="RGBA"),
        "gif": mf.image_file(d / "a.gif", "GIF"),
        "webp": mf.image_file(d / "a.webp", "WEBP"),
        "tif": mf.image_file(d / "a.tif", "TIFF"),
        "avif": mf.image_file(d / "a.avif", "AVIF"),
        "bmp": mf.image_file(d / "a.bmp", "BMP"),
        "psd": mf.psd_file(d / "a.psd"),
        "svg": mf.svg_file(d / "a.svg"),
        "pdf": mf.pdf_file(d / "a.pdf", pages=3),
    }
    for container in ("mp4", "mov", "webm", "mkv", "avi"):
        made[container] = mf.video_file(d / f"a.{container}", container)
    for fmt in ("mp3", "wav", "m4a", "ogg", "flac"):
        made[fmt] = mf.audio_file(d / f"b.{fmt}", fmt)
    return made


EXPECTED = {  # key -> (kind, mime, ext)
    "jpg": ("image", "image/jpeg", "jpg"),
    "png": ("image", "image/png", "png"),
    "gif": ("image", "image/gif", "gif"),
    "webp": ("image", "image/webp", "webp"),
    "tif": ("image", "image/tiff", "tif"),
    "avif": ("image", "image/avif", "avif"),
    "bmp": ("image", "image/bmp", "bmp"),
    "psd": ("image", "image/vnd.adobe.photoshop", "psd"),
    "svg": ("image", "image/svg+xml", "svg"),
    "pdf": ("pdf", "application/pdf", "pdf"),
    "mp4": ("video", "video/mp4", "mp4"),
    "mov": ("video", "video/quicktime", "mov"),
    "webm": ("video", "video/webm", "webm"),
    "mkv": ("video", "video/x-matroska", "mkv"),
    "avi": ("video", "video/x-msvideo", "avi"),
    "mp3": ("audio", "audio/mpeg", "mp3"),
    "wav": ("audio", "audio/wav", "wav"),
    "m4a": ("audio", "audio/mp4", "m4a"),
    "ogg": ("audio", "audio/ogg", "ogg"),
    "flac": ("audio", "audio/flac", "flac"),
}


# --- detect: content decides (F2, F7) -------------------------------------------------------


@pytest.mark.parametrize("key", EXPECTED)
def test_detects_every_supported_format_from_content(files: dict[str, Path], key: str) -> None:
    assert media.detect(str(files[key]), "upload.bin") == Detected(*EXPECTED[key])  # the name doesn't matter


def test_detect_gives_extension_from_content(files: dict[str, Path]) -> None:
    assert media.detect(str(files["jpg"]), "photo.png").ext == "jpg"
    assert media.detect(str(files["m4a"]), "song.mp4").ext == "m4a"


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"\xef\xbb\xbf  \n<html><script>alert(1)</script>",
        b"<script>alert(document.cookie)</script>",
        b"<svg/onload=alert(1)>",
        b"<?php system($_GET['c']); ?>",
    ],
)
def test_markup_named_as_an_image_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "evil.png"
    path.write_bytes(content)
    with pytest.raises(MediaError) as err:
        media.detect(str(path), "evil.png")
    assert err.value.message in ("This file is not a valid PNG image.", "This file is not a valid SVG image.")


def test_html_under_its_own_name_is_only_ever_other(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<!doctype html><title>x</title>")
    assert media.detect(str(path), "page.html") == Detected("other", "text/html", "html")


@pytest.mark.parametrize(
    "name",
    [
        "x.png.html",
        "x.php.jpg",
        "photo.jpg.exe",
        "a.HTML.png",
        "shell.phtml.gif",
        "x.png.html. ",
        "x\x00.png",
    ],
)
def test_double_extensions_and_nul_bytes_in_names_are_refused(files: dict[str, Path], name: str) -> None:
    with pytest.raises(MediaError):
        media.detect(str(files["png"]), name)


@pytest.mark.parametrize(
    "name", ["report.v2.final.png", "jquery.min.js", "Ünïcødé 名前.PNG", "../../etc/passwd", "noext"]
)
def test_ordinary_names_are_accepted(files: dict[str, Path], name: str) -> None:
    assert media.detect(str(files["png"]), name).mime == "image/png"


def test_jpeg_html_polyglot_is_a_jpeg_and_its_preview_carries_no_html(tmp_path: Path) -> None:
    path = mf.jpeg_html_polyglot(tmp_path / "poly.jpg")
    assert media.detect(str(path), "poly.html") == Detected("image", "image/jpeg", "jpg")
    result = media.process(str(path), "image", "image/jpeg", str(tmp_path / "out"))
    for rendition in result.renditions:
        data = Path(rendition.path).read_bytes()
        assert b"<script" not in data and b"<html" not in data
        assert rendition.mime == "image/jpeg"


def test_postscript_eps_and_ai_are_other_and_never_decoded(tmp_path: Path) -> None:
    eps = tmp_path / "logo.eps"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n0 0 moveto showpage\n")
    ai = tmp_path / "logo.ai"
    ai.write_bytes(b"%!PS-Adobe-3.0\n%%Creator: Adobe Illustrator(R) 8.0\n%%EOF\n")
    dos_eps = tmp_path / "dos.eps"
    dos_eps.write_bytes(b"\xc5\xd0\xd3\xc6" + b"\x00" * 28)
    for path in (eps, ai, dos_eps):
        detected = media.detect(str(path), path.name)
        assert (detected.kind, detected.mime) == ("other", "application/postscript")
        assert media.process(str(path), detected.kind, detected.mime, str(tmp_path / "out")).renditions == []
    assert media.detect(str(ai), ai.name).ext == "ai"


def test_pdf_compatible_illustrator_file_is_previewed_as_pdf(tmp_path: Path) -> None:
    ai = mf.pdf_file(tmp_path / "poster.ai", pages=1)
    assert media.detect(str(ai), "poster.ai").kind == "pdf"


def test_archives_documents_and_text_are_other(tmp_path: Path) -> None:
    docx = tmp_path / "brief.docx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    text = tmp_path / "notes.txt"
    text.write_text("Just some notes about the campaign.\n")
    indd = tmp_path / "layout.indd"
    indd.write_bytes(bytes.fromhex("0606EDF5D81D46E5BD31EFE7FE74B71D") + b"\x00" * 64)
    assert media.detect(str(docx), "brief.docx").kind == "other"
    assert media.detect(str(docx), "brief.docx").mime.startswith("application/vnd.openxmlformats")
    assert media.detect(str(text), "notes.txt") == Detected("other", "text/plain", "txt")
    assert media.detect(str(indd), "layout.indd") == Detected("other", "application/octet-stream", "bin")


def test_empty_and_damaged_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        media.detect(str(empty), "empty.png")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(MediaError, match="not a valid PNG image"):
        media.detect(str(broken), "broken.png")
    fake_mp4 = tmp_path / "fake.mp4"
    fake_mp4.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 200)
    with pytest.raises(MediaError):
        media.detect(str(fake_mp4), "fake.mp4")


def test_mp3_with_cover_art_is_audio(tmp_path: Path, files: dict[str, Path]) -> None:
    cover = mf.image_file(tmp_path / "cover.jpg", "JPEG", size=(64, 64))
    out = tmp_path / "with-cover.mp3"
    mf.ffmpeg(
        "-i",
        str(files["mp3"]),
        "-i",
        str(cover),
        "-map",
        "0:a",
        "-map",
        "1:v",
        "-c",
        "copy",
        "-id3v2_version",
        "3",
        "-disposition:v",
        "attached_pic",
        str(out),
    )
    assert media.detect(str(out), out.name) == Detected("audio", "audio/mpeg", "mp3")


# --- images ---------------------------------------------------------------------------------


def test_jpeg_preview_has_no_exif_gps_or_xmp_and_is_upright(tmp_path: Path) -> None:
    src = mf.jpeg_with_gps(tmp_path / "gps.jpg", size=(800, 600), orientation=6)
    with Image.open(src) as original:  # the test file really carries the data
        assert original.getexif().get_ifd(mf.GPS_IFD) and "xmp" in original.info
    result = media.process(str(src), "image", "image/jpeg", str(tmp_path / "out"))
    assert result.metadata == {"width": 600, "height": 800}  # orientation 6: displayed turned
    names = [r.name for r in result.renditions]
    assert names == ["preview", "thumb"]
    for rendition in result.renditions:
        data = Path(rendition.path).read_bytes()
        assert b"Exif" not in data and b"home-address" not in data and b"TestCam" not in data
        with Image.open(rendition.path) as im:
            assert not im.getexif() and "xmp" not in im.info and "exif" not in im.info
            assert (im.width, im.height) == (rendition.width, rendition.height)
            assert im.height > im.width
            # The red mark drawn at the stored top-left is at the top-right once upright.
            r, g, b = im.convert("RGB").getpixel((im.width - 3, 3))
            assert r > 200 and g < 60 and b < 60
    assert (result.renditions[1].width, result.renditions[1].height) == (360, 480)


def test_large_jpeg_is_decoded_reduced_with_draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import JpegImagePlugin

    src = tmp_path / "big.jpg"
    Image.new("RGB", (5400, 3600), (40, 90, 200)).save(src, "JPEG")
    requested = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None) -> object:
        result = real_draft(self, mode, size)
        requested.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    result = media.process(str(src), "image", "image/jpeg", str(tmp_path / "out"))
    assert requested == [(2700, 1800)]  # decoded at half size, never at 5400 x 3600
    preview, thumb = result.renditions
    assert (preview.width, preview.height) == (2560, 1707)
    assert (thumb.width, thumb.height) == (480, 320)
    assert result.metadata == {"width": 5400, "height": 3600}


def test_transparent_png_keeps_alpha_in_png_and_opaque_rgba_becomes_jpeg(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    result = media.process(str(files["png"]), "image", "image/png", str(tmp_path / "alpha"))
    assert [r.mime for r in result.renditions] == ["image/png", "image/png"]
    opaque = mf.image_file(tmp_path / "opaque.png", "PNG", mode="RGB")
    with Image.open(opaque) as im:
        im.convert("RGBA").save(opaque)
    result = media.process(str(opaque), "image", "image/png", str(tmp_path / "opaque"))
    assert [r.mime for r in result.renditions] == ["image/jpeg", "image/jpeg"]


@pytest.mark.parametrize("key", ["gif", "webp", "tif", "avif", "bmp", "psd", "png", "jpg"])
def test_every_image_format_gets_preview_and_thumb(tmp_path: Path, files: dict[str, Path], key: str) -> None:
    result = media.process(str(files[key]), "image", EXPECTED[key][1], str(tmp_path / "out"))
    assert [r.name for r in result.renditions] == ["preview", "thumb"]
    for rendition in result.renditions:
        with Image.open(rendition.path) as im:
            assert im.format in ("JPEG", "PNG") and im.size == (rendition.width, rendition.height)
    if key == "psd":  # the flattened composite (all red)
        assert result.metadata == {"width": 8, "height": 6}
        with Image.open(result.renditions[0].path) as im:
            assert im.convert("RGB").getpixel((4, 3))[0] > 240


def test_animated_gif_previews_first_frame_and_counts_frames(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "lime", "blue")]
    src = tmp_path / "anim.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100, loop=0)
    result = media.process(str(src), "image", "image/gif", str(tmp_path / "out"))
    assert result.metadata == {"width": 40, "height": 30, "frames": 3}
    with Image.open(result.renditions[0].path) as im:
        r, g, b = im.convert("RGB").getpixel((20, 15))
        assert r > 200 and g < 60


def test_unusual_modes_are_normalised(tmp_path: Path) -> None:
    sixteen = tmp_path / "deep.png"
    Image.linear_gradient("L").resize((300, 200)).convert("I").point(lambda v: v * 257).convert("I;16").save(
        sixteen
    )
    cmyk = mf.image_file(tmp_path / "print.tif", "TIFF", mode="CMYK")
    palette = tmp_path / "pal.png"
    Image.new("P", (50, 50), 3).save(palette, transparency=3)
    bilevel = tmp_path / "bw.tif"
    Image.new("1", (64, 64), 1).save(bilevel)
    for path, mime in (
        (sixteen, "image/png"),
        (cmyk, "image/tiff"),
        (palette, "image/png"),
        (bilevel, "image/tiff"),
    ):
        result = media.process(str(path), "image", mime, str(tmp_path / path.stem))
        with Image.open(result.renditions[0].path) as im:
            assert im.mode in ("RGB", "RGBA", "L", "LA")
    with Image.open(tmp_path / "deep" / "preview.jpg") as im:
        assert im.getextrema()[1] > 200  # 16-bit values scaled, not clipped to black/white


def test_pixel_bomb_is_refused_from_the_header_without_decoding(tmp_path: Path) -> None:
    bomb = mf.png_header_bomb(tmp_path / "bomb.png", 30000, 30000)
    assert bomb.stat().st_size < 2000
    assert media.detect(str(bomb), "bomb.png").kind == "image"  # a valid header ...
    started = time.monotonic()
    with pytest.raises(MediaError, match="too large to preview") as err:
        media.process(str(bomb), "image", "image/png", str(tmp_path / "out"))  # ... refused before decoding
    assert "900 megapixels" in err.value.message
    assert time.monotonic() - started < 2
    assert not list((tmp_path / "out").iterdir())


def test_pixel_limit_is_configurable(tmp_path: Path, files: dict[str, Path]) -> None:
    with pytest.raises(MediaError) as err:
        media.process(str(files["jpg"]), "image", "image/jpeg", str(tmp_path / "out"), max_pixels=100_000)
    assert err.value.message == (
        "This image is too large to preview (640 × 480 pixels; the limit is 0.1 megapixels)."
    )


def test_truncated_jpeg_is_a_clean_error(tmp_path: Path, files: dict[str, Path]) -> None:
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(files["jpg"].read_bytes()[:600])
    with pytest.raises(MediaError, match="not a valid JPEG image"):
        media.process(str(cut), "image", "image/jpeg", str(tmp_path / "out"))


def test_wrong_kind_for_content_fails_cleanly(tmp_path: Path, files: dict[str, Path]) -> None:
    with pytest.raises(MediaError):
        media.process(str(files["mp4"]), "image", "image/png", str(tmp_path / "a"))
    with pytest.raises(MediaError):
        media.process(str(files["png"]), "pdf", "application/pdf", str(tmp_path / "b"))
    with pytest.raises(MediaError):
        media.process(str(files["pdf"]), "audio", "audio/mpeg", str(tmp_path / "c"))


@pytest.mark.skipif(not media_vips.usable("PNG", media_vips.MIN_PIXELS), reason="pyvips not installed")
def test_large_png_through_libvips_matches_pillow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = mf.png_zero_rows(tmp_path / "wide.png", 5000, 3200)
    via_vips = media.process(str(src), "image", "image/png", str(tmp_path / "vips"))
    monkeypatch.setattr(media_vips, "MIN_PIXELS", 10**12)
    via_pillow = media.process(str(src), "image", "image/png", str(tmp_path / "pillow"))
    assert via_vips.metadata == via_pillow.metadata == {"width": 5000, "height": 3200}
    sizes = [[(r.name, r.mime, r.width, r.height) for r in p.renditions] for p in (via_vips, via_pillow)]
    assert sizes[0] == sizes[1] == [("preview", "image/jpeg", 2560, 1638), ("thumb", "image/jpeg", 480, 307)]


# --- SVG (F6) -------------------------------------------------------------------------------


def test_svg_is_rasterised_never_served_as_svg(tmp_path: Path, files: dict[str, Path]) -> None:
    result = media.process(str(files["svg"]), "image", "image/svg+xml", str(tmp_path / "out"))
    assert result.metadata == {"width": 200, "height": 100}
    preview, thumb = result.renditions
    assert preview.mime in ("image/png", "image/jpeg") and (preview.width, preview.height) == (2560, 1280)
    assert (thumb.width, thumb.height) == (480, 240)
    assert b"<svg" not in Path(preview.path).read_bytes()


def test_svg_references_to_anything_outside_the_file_are_removed(tmp_path: Path) -> None:
    from revue.assets.media_svg import sanitise

    nested = base64.b64encode(
        b'<svg xmlns="http://www.w3.org/2000/svg"><image href="/etc/x.png"/></svg>'
    ).decode()
    png = "data:image/png;base64,iVBORw0KGgo="
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" xml:base="/etc/">'
        '<image xlink:href="/srv/uploads/other-client.png"/><image href="file:///etc/secret.png"/>'
        '<image href="secret.png"/><image href=" https://tracker.example/p.gif"/>'
        f'<image href="data:image/svg+xml;base64,{nested}"/><image href="data:text/plain;base64,{nested}"/>'
        '<filter id="f"><feImage href="/etc/x.png"/></filter>'
        f'<use href="#shape"/><image href="{png}"/></svg>'
    )
    cleaned = sanitise(svg.encode())
    assert cleaned.count("href") == 2 and 'href="#shape"' in cleaned and png in cleaned
    assert (
        "/etc" not in cleaned
        and "secret" not in cleaned
        and "tracker" not in cleaned
        and "xml:base" not in cleaned
    )


def test_svg_cannot_draw_local_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    Image.new("RGB", (10, 10), "red").save(secret)
    nested = base64.b64encode(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><image href="{secret}" '
        'width="200" height="100"/></svg>'.encode()
    ).decode()
    body = (
        f'<image xlink:href="{secret}" width="200" height="100"/>'
        f'<image href="data:image/svg+xml;base64,{nested}" width="200" height="100"/>'
    )
    svg = mf.svg_file(tmp_path / "sneaky.svg", body=body)
    result = media.process(str(svg), "image", "image/svg+xml", str(tmp_path / "out"))
    with Image.open(result.renditions[1].path) as im:
        r, g, _b = im.convert("RGB").getpixel((im.width // 2, im.height // 2))
    assert g > 200 and r < 60  # still the green background: no local image was drawn


def test_svg_entity_bomb_fails_fast(tmp_path: Path) -> None:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    svg = tmp_path / "lol.svg"
    svg.write_text(
        f'<?xml version="1.0"?><!DOCTYPE svg [{entities}]>'
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&i;</text></svg>'
    )
    started = time.monotonic()
    with pytest.raises(MediaError, match="not a valid SVG"):
        media.detect(str(svg), "lol.svg")
    with pytest.raises(MediaError, match="not a valid SVG"):
        media.process(str(svg), "image", "image/svg+xml", str(tmp_path / "out"))
    assert time.monotonic() - started < 5


# --- PDF ------------------------------------------------------------------------------------


def test_pdf_renders_every_page_page_one_first(tmp_path: Path, files: dict[str, Path]) -> None:
    seen: list[str] = []
    result = media.process(
        str(files["pdf"]),
        "pdf",
        "application/pdf",
        str(tmp_path / "out"),
        on_rendition=lambda r: seen.append(r.name),
    )
    assert result.metadata == {"pages": 3, "width": 595.0, "height": 842.0}
    assert seen[:2] == ["page-1", "thumb"]
    assert seen == [r.name for r in result.renditions]
    assert sorted(seen) == sorted(["thumb"] + [f"page-{n}{s}" for n in (1, 2, 3) for s in ("", "-thumb")])
    sizes = {r.name: (r.width, r.height) for r in result.renditions}
    assert (
        sizes["page-1"] == (1414, 2000)
        and sizes["page-3-thumb"] == (226, 320)
        and sizes["thumb"] == (339, 480)
    )
    with Image.open(result.renditions[0].path) as im:
        assert im.format == "JPEG" and im.size == (1414, 2000)


def test_damaged_pdf_is_a_clean_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage")
    assert media.detect(str(bad), "bad.pdf").kind == "pdf"
    with pytest.raises(MediaError, match="not a valid PDF"):
        media.process(str(bad), "pdf", "application/pdf", str(tmp_path / "out"))


# --- video ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["mp4", "mov", "webm", "mkv", "avi"])
def test_video_metadata_poster_strip_and_web_copy_only_when_needed(
    tmp_path: Path, files: dict[str, Path], key: str
) -> None:
    result = media.process(str(files[key]), "video", EXPECTED[key][1], str(tmp_path / "out"))
    meta = result.metadata
    assert (meta["width"], meta["height"], meta["fps"], meta["has_audio"]) == (320, 180, 25.0, True)
    assert 0.9 <= meta["duration"] <= 1.1
    assert (
        meta["video_codec"]
        == {"mp4": "h264", "mov": "h264", "webm": "vp9", "mkv": "h264", "avi": "mpeg4"}[key]
    )
    assert meta["audio_codec"] == {"webm": "opus", "avi": "mp3"}.get(key, "aac")
    names = [r.name for r in result.renditions]
    needs_web = key in ("mkv", "avi")
    assert names == ["poster", "thumb", "strip"] + (["web"] if needs_web else [])
    renditions = {r.name: r for r in result.renditions}
    with Image.open(renditions["poster"].path) as im:
        assert im.format == "JPEG" and im.size == (320, 180)
    with Image.open(renditions["strip"].path) as im:
        assert im.size == (160 * meta["strip_frames"], 90)
    assert 20 <= meta["strip_frames"] <= 27 and meta["strip_interval"] == pytest.approx(0.04)
    if needs_web:
        web = renditions["web"]
        assert web.mime == "video/mp4" and web.path.endswith(".mp4")
        info = media_ffmpeg.probe(web.path, "video/mp4", "video")
        assert info.video and info.video.codec == "h264" and info.video.pix_fmt == "yuv420p"
        assert info.audio and info.audio.codec == "aac"
        data = Path(web.path).read_bytes()
        assert data.index(b"moov") < data.index(b"mdat")  # +faststart


def test_video_rotation_and_missing_audio(tmp_path: Path) -> None:
    plain = mf.video_file(tmp_path / "plain.mp4", "mp4", audio=False, size=(320, 180))
    rotated = tmp_path / "rotated.mp4"
    mf.ffmpeg("-display_rotation", "90", "-i", str(plain), "-c", "copy", str(rotated))
    result = media.process(str(rotated), "video", "video/mp4", str(tmp_path / "out"))
    assert (result.metadata["width"], result.metadata["height"]) == (180, 320)
    assert result.metadata["has_audio"] is False and result.metadata["audio_codec"] is None
    assert [r.name for r in result.renditions] == ["poster", "thumb", "strip"]
    with Image.open(result.renditions[0].path) as im:
        assert im.size == (180, 320)


def test_unplayable_h264_profile_gets_a_web_copy_without_metadata(tmp_path: Path) -> None:
    src = mf.video_file(
        tmp_path / "422.mov",
        "mov",
        codec_args=["-c:v", "libx264", "-pix_fmt", "yuv422p", "-c:a", "aac"],
        extra=["-metadata", "title=SECRET-LOCATION-TITLE"],
    )
    assert b"SECRET-LOCATION-TITLE" in src.read_bytes()
    result = media.process(str(src), "video", "video/quicktime", str(tmp_path / "out"))
    web = result.renditions[-1]
    assert web.name == "web"
    assert b"SECRET-LOCATION-TITLE" not in Path(web.path).read_bytes()


def test_poster_time() -> None:
    from revue.assets.media_av import poster_time

    assert poster_time(2.0) == 1.0
    assert poster_time(0.4) == 0.2
    assert poster_time(60.0) == 6.0


def test_banner_parsing_handles_odd_streams() -> None:
    banner = """Input #0, matroska,webm, from 'file:x':
  Duration: 00:01:02.50, start: 0.000000, bitrate: 164 kb/s
  Stream #0:0: Video: vp9 (Profile 1), gbrp(pc, gbr/unknown/unknown, progressive), 720x576, SAR 64:45 DAR 16:9, 29.97 fps, 29.97 tbr, 1k tbn
      Display Matrix: rotation of -90.00 degrees
  Stream #0:1(eng): Audio: ac3, 48000 Hz, 5.1(side), fltp, 448 kb/s
  Stream #0:2: Video: mjpeg (Baseline), yuvj420p(pc), 64x64, 90k tbr (attached pic)
"""
    info = media_ffmpeg.parse_banner(banner)
    assert info.duration == 62.5
    video, audio = info.video, info.audio
    assert video and video.codec == "vp9" and video.pix_fmt == "gbrp" and video.fps == 29.97
    assert (video.width, video.height, video.rotation) == (720, 576, 270)
    assert video.sar == pytest.approx(64 / 45)
    assert audio and (audio.codec, audio.sample_rate, audio.channels) == ("ac3", 48000, 6)
    assert [s.cover_art for s in info.streams] == [False, False, True]


# --- audio ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["mp3", "wav", "m4a", "ogg", "flac"])
def test_audio_duration_peaks_and_waveform(tmp_path: Path, files: dict[str, Path], key: str) -> None:
    result = media.process(str(files[key]), "audio", EXPECTED[key][1], str(tmp_path / "out"))
    meta = result.metadata
    assert 0.95 <= meta["duration"] <= 1.1 and meta["has_audio"] is True
    peaks = meta["peaks"]
    assert len(peaks) == 800 and all(0 <= p <= 1 for p in peaks)
    assert 0.1 < max(peaks) < 0.15  # lavfi's sine is at 1/8 of full scale
    assert [r.name for r in result.renditions] == ["waveform"]  # all of these play in browsers
    with Image.open(result.renditions[0].path) as im:
        assert im.format == "PNG" and im.size == (1600, 200)


def test_unplayable_audio_gets_a_web_copy(tmp_path: Path) -> None:
    src = mf.audio_file(tmp_path / "adpcm.wav", "wav", codec_args=["-c:a", "adpcm_ms"])
    result = media.process(str(src), "audio", "audio/wav", str(tmp_path / "out"))
    web = result.renditions[-1]
    assert (web.name, web.mime) == ("web", "audio/mp4")
    info = media_ffmpeg.probe(web.path, "audio/mp4", "audio file")
    assert info.audio and info.audio.codec == "aac" and info.video is None


def test_peak_meter_handles_any_chunking() -> None:
    from array import array

    from revue.assets.media_av import PeakMeter

    samples = array("h", [0] * 1000 + [16384] + [0] * 999 + [-32768] + [0] * 999)
    data = samples.tobytes()
    meter = PeakMeter(expected_samples=len(samples), buckets=3)
    for i in range(0, len(data), 777):  # odd-sized pieces, split mid-sample
        meter.feed(data[i : i + 777])
    assert meter.peaks() == [0.0, 0.5, 1.0]


# --- ffmpeg hardening (F8) ------------------------------------------------------------------


def _secret(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN root:x:0:0\n" * 40)
    return secret


@pytest.mark.parametrize("maker", [mf.hls_playlist, mf.concat_script])
def test_playlists_pointing_at_local_files_yield_nothing(tmp_path: Path, maker: object) -> None:
    secret = _secret(tmp_path)
    playlist = maker(tmp_path / "list.m3u8", secret)  # type: ignore[operator]
    assert media.detect(str(playlist), "list.m3u8").kind == "other"
    with pytest.raises(MediaError):
        media.detect(str(playlist), "list.mp4")  # pretending to be a video is refused outright
    for mime in (
        "video/mp4",
        "video/x-matroska",
        "audio/mpeg",
        "application/vnd.apple.mpegurl",
        "text/plain",
    ):
        kind = "audio" if mime.startswith("audio/") else "video"
        out = tmp_path / f"out-{mime.replace('/', '-')}"
        with pytest.raises(MediaError):
            media.process(str(playlist), kind, mime, str(out))
        assert not out.exists() or not list(out.iterdir())


def test_ffmpeg_is_always_run_as_a_locked_down_argument_list(
    tmp_path: Path, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[list[str], dict[str, object]]] = []
    real_popen = subprocess.Popen

    def spy(args: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        calls.append((list(args), kwargs))
        return real_popen(args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(media_ffmpeg.subprocess, "Popen", spy)
    media.process(str(files["mkv"]), "video", "video/x-matroska", str(tmp_path / "v"))
    media.process(str(files["ogg"]), "audio", "audio/ogg", str(tmp_path / "a"))
    assert len(calls) >= 6
    for args, kwargs in calls:
        assert isinstance(args, list) and not kwargs.get("shell")
        assert "-nostdin" in args
        i = args.index("-i")
        assert args.count("-i") == 1
        assert args[i + 1].startswith("file:/") and args[i + 1].endswith((".mkv", ".ogg"))
        whitelist, demuxer = args.index("-protocol_whitelist"), args.index("-f")
        assert args[whitelist + 1] == "file" and whitelist < i
        assert args[demuxer + 1] in ("matroska", "ogg") and demuxer < i
        assert kwargs["env"] == media_ffmpeg.ENV  # no secrets from our environment


# --- sandboxed worker (F3, F9) --------------------------------------------------------------


def test_sandboxed_run_returns_the_same_result_and_streams_renditions(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    seen: list[str] = []
    result = run_sandboxed(
        str(files["pdf"]),
        "pdf",
        "application/pdf",
        str(tmp_path / "out"),
        on_rendition=lambda r: seen.append(r.name),
    )
    assert result.metadata == {"pages": 3, "width": 595.0, "height": 842.0}
    assert seen == [r.name for r in result.renditions] and seen[0] == "page-1"
    assert all(Path(r.path).is_file() for r in result.renditions)


def test_sandboxed_errors_come_back_as_media_errors(tmp_path: Path) -> None:
    bomb = mf.png_header_bomb(tmp_path / "bomb.png")
    with pytest.raises(MediaError, match="too large to preview") as err:
        run_sandboxed(str(bomb), "image", "image/png", str(tmp_path / "out"))
    assert err.value.reason == "invalid"


def test_sandboxed_run_is_stopped_at_the_time_limit(tmp_path: Path, files: dict[str, Path]) -> None:
    started = time.monotonic()
    with pytest.raises(MediaError) as err:
        run_sandboxed(str(files["mkv"]), "video", "video/x-matroska", str(tmp_path / "out"), timeout_s=0.15)
    assert time.monotonic() - started < 5
    assert err.value.reason == "timeout"
    assert err.value.message == "Processing took longer than 0.15 seconds and was stopped."
    assert _gone(str(files["mkv"]))


def test_timed_out_worker_takes_its_ffmpeg_with_it(tmp_path: Path) -> None:
    fifo = tmp_path / "never-written.mkv"
    os.mkfifo(fifo)  # ffmpeg blocks opening it: a stand-in for a file that takes forever
    errors: list[MediaError] = []

    def run() -> None:
        try:
            run_sandboxed(str(fifo), "video", "video/x-matroska", str(tmp_path / "out"), timeout_s=1.5)
        except MediaError as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    seen_ffmpeg = False
    while worker.is_alive() and not seen_ffmpeg:
        seen_ffmpeg = bool(_processes_mentioning(f"file:{fifo}"))
        time.sleep(0.02)
    worker.join(timeout=10)
    assert seen_ffmpeg and not worker.is_alive()
    assert [e.reason for e in errors] == ["timeout"]
    assert _gone(f"file:{fifo}")


def test_sandboxed_run_is_stopped_at_the_memory_cap(tmp_path: Path) -> None:
    big = mf.png_zero_rows(tmp_path / "big.png", 6000, 6000)  # 36 MP: ~150 MB decoded, 0.3 MB on disk
    started = time.monotonic()
    with pytest.raises(MediaError) as err:
        run_sandboxed(str(big), "image", "image/png", str(tmp_path / "out"), memory_mb=64)
    assert time.monotonic() - started < 10
    assert err.value.reason == "memory"
    assert "more memory than allowed" in err.value.message


def _gone(text: str, within_s: float = 3.0) -> bool:
    """True once no process has ``text`` in its command line (killed ones may take a moment)."""
    deadline = time.monotonic() + within_s
    while _processes_mentioning(text):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if text.encode() in cmdline:
            found.append(int(pid))
    return found
