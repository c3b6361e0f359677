"""Fixtures for the assets tests: real media files, uploads through the real protocol, people.

Media files are made once per test worker (``media("clip.avi")``) with ``mediafiles`` (Pillow,
imageio-ffmpeg) and kept tiny; jobs run inline (``HUEY_IMMEDIATE``), so an upload comes back
with its renditions made by the real sandboxed worker.

``client`` and ``make_client`` are redefined as in ``tests/accounts``: each request runs in its
own application context, after the test's own transaction is committed, as in production.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from flask import has_app_context
from sqlalchemy import func, select

from revue.db import db

try:  # tests/assets may become a package
    from . import mediafiles as mf
except ImportError:
    import mediafiles as mf


class OwnContext:
    """Mixin for the test client: one application context per request, like a real server, and
    streamed bodies read to the end and closed (as a WSGI server does)."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        if has_app_context():
            db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def make_client(app):
    browser = type("Browser", (OwnContext, app.test_client_class), {})

    def make():
        return browser(app, app.response_class, use_cookies=True)

    return make


@pytest.fixture
def client(make_client):
    return make_client()


# -- media files ------------------------------------------------------------------------------

EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke\nshowpage\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "Fonts and sources.")
    return path


SMALL = (64, 48)
CLIP = {"seconds": 0.5, "size": (160, 90)}
MAKERS = {
    "photo.jpg": lambda p: mf.jpeg_with_gps(p, size=(80, 60), orientation=6),
    "logo.png": lambda p: mf.image_file(p, "PNG", SMALL),
    "anim.gif": lambda p: mf.image_file(p, "GIF", SMALL),
    "pic.webp": lambda p: mf.image_file(p, "WEBP", SMALL),
    "scan.tif": lambda p: mf.image_file(p, "TIFF", SMALL),
    "old.bmp": lambda p: mf.image_file(p, "BMP", SMALL),
    "drawing.svg": lambda p: mf.svg_file(p, '<script>alert(1)</script><circle cx="50" cy="50" r="40"/>'),
    "brochure.pdf": lambda p: mf.pdf_file(p, pages=3, size=(120, 160)),
    "clip.mp4": lambda p: mf.video_file(p, "mp4", **CLIP),
    "clip.avi": lambda p: mf.video_file(p, "avi", **CLIP),
    "clip.mkv": lambda p: mf.video_file(p, "mkv", **CLIP),
    "song.mp3": lambda p: mf.audio_file(p, "mp3", seconds=0.5),
    "voice.wav": lambda p: mf.audio_file(p, "wav", seconds=0.5),
    "master.wav": lambda p: mf.audio_file(p, "wav", seconds=0.5, codec_args=["-c:a", "pcm_s32le"]),
    "fonts.zip": _zip,
    "logo.eps": lambda p: p.write_bytes(EPS) and p,
    "page.html": lambda p: p.write_bytes(HTML) and p,
    "polyglot.jpg": mf.jpeg_html_polyglot,
    "bomb.png": lambda p: mf.png_header_bomb(p, 30000, 30000),
    "big.png": lambda p: mf.image_file(p, "PNG", (700, 700), compress_level=0),  # ~1.4 MB
}


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    """``media("clip.avi")``: the path of a small real file of that kind (made once per worker)."""
    folder = tmp_path_factory.mktemp("media")

    def make(name: str) -> Path:
        path = folder / name
        if not path.exists():
            MAKERS[name](path)
        return path

    return make


# -- people and places ------------------------------------------------------------------------


@pytest.fixture
def member(create_user):
    return create_user("member", name="Mia Member", email="mia@example.com")


@pytest.fixture
def outsider(create_user):
    """A member of the agency who is not on the project."""
    return create_user("member", name="Otto Outsider", email="otto@example.com")


@pytest.fixture
def project(create_project, member):
    return create_project(name="Launch", members=[member])


@pytest.fixture
def contact(create_user, project):
    """A contact of the project's client."""
    return create_user("client", name="Cleo Client", email="cleo@client.example", client=project.client)


@pytest.fixture
def member_client(signed_in, member):
    return signed_in(member)


# -- uploads ------------------------------------------------------------------------------------


@pytest.fixture
def create_asset(app_ctx, media):
    """``create_asset(project, user, "clip.mp4", name=…, asset=…)``: a real file added through the
    service (jobs inline); returns the version, re-read after the job."""
    from revue.assets import services
    from revue.assets.models import AssetVersion

    def create(project, user, sample: str = "logo.png", *, name: str | None = None, asset=None, note: str = ""):
        version = services.add_file(user, project, str(media(sample)), name or sample, asset=asset, note=note)
        db.session.commit()
        return db.session.get(AssetVersion, version.id)

    return create


@pytest.fixture
def resumable():
    """``resumable(browser, project_id, data, name, chunk=…)``: the JSON protocol of ``upload.js``.

    Returns the last response (201 with ``done`` when it went well)."""

    def send(browser, project_id: int, data: bytes, name: str, *, chunk: int | None = None, asset_id=None,
             note: str = ""):
        form = {"project_id": project_id, "name": name, "size": len(data), "note": note}
        if asset_id:
            form["asset_id"] = asset_id
        started = browser.post("/assets/uploads", data=form, headers={"Accept": "application/json"})
        if started.status_code != 201:
            return started
        info = started.get_json()
        step = chunk or info["chunk"]
        offset, answer = 0, started
        while offset < len(data):
            answer = browser.post(info["url"], data=data[offset:offset + step],
                                  headers={"Upload-Offset": str(offset), "Content-Type": "application/octet-stream",
                                           "Accept": "application/json"})
            if answer.status_code not in (200, 201):
                return answer
            offset = answer.get_json()["offset"]
        return answer

    return send


@pytest.fixture
def stored_files(app):
    """``stored_files()``: every file under UPLOAD_FOLDER (including its temp folder), relative."""

    def files() -> list[str]:
        root = Path(app.config["UPLOAD_FOLDER"])
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []

    return files


@pytest.fixture(autouse=True)
def _empty_parts_dir(request):
    """Upload parts live in ``instance/tmp/uploads``: start every test with none."""
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        shutil.rmtree(Path(app.instance_path) / "tmp" / "uploads", ignore_errors=True)
    yield


@pytest.fixture
def part_files(app):
    def files() -> list[str]:
        folder = Path(app.instance_path) / "tmp" / "uploads"
        return sorted(p.name for p in folder.iterdir()) if folder.exists() else []

    return files


@pytest.fixture
def rows(app_ctx):
    """``rows(Model, *where)``: the rows of a table as the product committed them."""

    def read(model, *where):
        db.session.commit()
        found = db.session.scalars(select(model).where(*where).order_by(model.id)).all()
        return found

    return read


@pytest.fixture
def count_rows(app_ctx):
    def count(model, *where) -> int:
        db.session.commit()
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return count


@pytest.fixture
def flashes():
    """``flashes(response)``: the flash messages on a page."""
    import html

    def read(response) -> list[str]:
        text = response.get_data(as_text=True)
        return [html.unescape(m) for m in re.findall(r'<p class="flash[^"]*" role="status">(.*?)</p>', text, re.S)]

    return read
