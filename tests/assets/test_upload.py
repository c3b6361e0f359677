"""Uploads through the resumable protocol and the plain form: every kind of file ends ready,
with its facts and its renditions in storage; refused files say why (SECURITY F1–F4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from revue.assets.models import Asset, AssetVersion, MediaKind, Rendition, Upload, VersionState
from revue.db import db
from revue.storage import get_storage

PAGES = {f"page-{n}" for n in (1, 2, 3)} | {f"page-{n}-thumb" for n in (1, 2, 3)}
EXPECT = {  # sample -> (kind, stored mime, metadata that must match, rendition names)
    "photo.jpg": ("image", "image/jpeg", {"width": 60, "height": 80}, {"preview", "thumb"}),  # EXIF turned it
    "logo.png": ("image", "image/png", {"width": 64, "height": 48}, {"preview", "thumb"}),
    "anim.gif": ("image", "image/gif", {"width": 64, "height": 48}, {"preview", "thumb"}),
    "pic.webp": ("image", "image/webp", {"width": 64, "height": 48}, {"preview", "thumb"}),
    "scan.tif": ("image", "image/tiff", {"width": 64, "height": 48}, {"preview", "thumb"}),
    "old.bmp": ("image", "image/bmp", {"width": 64, "height": 48}, {"preview", "thumb"}),
    "drawing.svg": ("image", "image/svg+xml", {"width": 200, "height": 100}, {"preview", "thumb"}),
    "brochure.pdf": ("pdf", "application/pdf", {"pages": 3}, PAGES | {"thumb"}),
    "clip.mp4": ("video", "video/mp4", {"width": 160, "height": 90, "has_audio": True},
                 {"poster", "thumb", "strip"}),
    "clip.avi": ("video", "video/x-msvideo", {"width": 160, "height": 90}, {"poster", "thumb", "strip", "web"}),
    "clip.mkv": ("video", "video/x-matroska", {"width": 160, "height": 90}, {"poster", "thumb", "strip", "web"}),
    "song.mp3": ("audio", "audio/mpeg", {"has_audio": True}, {"waveform", "thumb"}),
    "voice.wav": ("audio", "audio/wav", {"audio_codec": "pcm_s16le"}, {"waveform", "thumb"}),
    "master.wav": ("audio", "audio/wav", {"audio_codec": "pcm_s32le"}, {"waveform", "web", "thumb"}),
    "fonts.zip": ("other", None, {}, set()),  # the type of "other" files is not ours to pin down
}
RENDITION_TYPES = {"image/jpeg", "image/png", "video/mp4", "audio/mp4"}


def check_version(version_id: int, sample: str, upload_folder: str) -> AssetVersion:
    kind, mime, meta, names = EXPECT[sample]
    db.session.commit()
    version = db.session.get(AssetVersion, version_id)
    assert version.state == VersionState.READY, (sample, version.failure)
    assert version.kind.value == kind and version.mime == (mime or version.mime)
    assert {k: version.meta.get(k) for k in meta} == meta, (sample, version.meta)
    if kind in ("video", "audio"):
        assert 0.3 <= version.meta["duration"] <= 0.8, version.meta
    assert {r.name for r in version.renditions} == names
    storage = get_storage()
    assert storage.exists(version.storage_key)
    assert storage.size(version.storage_key) == version.size
    for rendition in version.renditions:
        assert storage.exists(rendition.storage_key), rendition.name
        assert storage.size(rendition.storage_key) == rendition.size > 0
        assert rendition.mime in RENDITION_TYPES
        assert rendition.storage_key.startswith("renditions/")
    web = version.rendition("web")
    if web is not None:
        assert web.mime == ("video/mp4" if kind == "video" else "audio/mp4")
    assert version.storage_key.startswith("originals/")
    return version


@pytest.mark.parametrize("sample", list(EXPECT))
def test_resumable_upload_of_every_kind(sample, app_ctx, app, media, member, project, member_client, resumable):
    data = media(sample).read_bytes()
    answer = resumable(member_client, project.id, data, sample, chunk=max(1, len(data) // 3 + 1))

    assert answer.status_code == 201, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["done"] is True and body["offset"] == len(data)
    version = check_version(body["version_id"], sample, app.config["UPLOAD_FOLDER"])
    assert version.asset_id == body["asset_id"]
    assert body["asset_url"] == f"/assets/{version.asset_id}"
    assert version.original_name == sample and version.size == len(data)
    assert version.asset.title == Path(sample).stem and version.number == 1
    assert version.uploaded_by_id == member.id and version.asset.project_id == project.id
    assert db.session.scalars(db.select(Upload)).all() == []


def test_form_upload_of_every_kind_in_one_batch(app_ctx, app, media, project, member_client, flashes):
    files = [(media(sample).open("rb"), sample) for sample in EXPECT]
    try:
        answer = member_client.post("/assets/upload", data={"project_id": project.id, "files": files},
                                    content_type="multipart/form-data")
    finally:
        for fh, _ in files:
            fh.close()

    assert answer.status_code == 303 and answer.headers["Location"] == f"/projects/{project.id}"
    page = member_client.get(answer.headers["Location"])
    assert sorted(flashes(page)) == sorted(f"“{s}” uploaded as v1." for s in EXPECT)
    versions = db.session.scalars(db.select(AssetVersion)).all()
    assert sorted(v.original_name for v in versions) == sorted(EXPECT)
    for version in versions:
        check_version(version.id, version.original_name, app.config["UPLOAD_FOLDER"])


def test_new_version_of_an_asset_through_both_paths(app_ctx, media, member, project, member_client, resumable,
                                                    create_asset):
    v1 = create_asset(project, member, "logo.png")
    answer = resumable(member_client, project.id, media("pic.webp").read_bytes(), "pic.webp",
                       asset_id=v1.asset_id, note="Lighter blue")
    assert answer.status_code == 201
    with media("old.bmp").open("rb") as fh:
        form = member_client.post("/assets/upload", data={"project_id": project.id, "asset_id": v1.asset_id,
                                                          "note": "Bigger logo", "files": [(fh, "old.bmp")]})
    assert form.status_code == 303 and form.headers["Location"] == f"/assets/{v1.asset_id}"

    db.session.commit()
    asset = db.session.get(Asset, v1.asset_id)
    assert [(v.number, v.original_name, v.note) for v in asset.versions] == [
        (3, "old.bmp", "Bigger logo"), (2, "pic.webp", "Lighter blue"), (1, "logo.png", "")]
    assert asset.current_version_id == asset.versions[0].id
    assert db.session.scalar(db.select(db.func.count()).select_from(Asset)) == 1


def test_a_version_for_an_asset_of_another_project_is_refused(app_ctx, create_project, member, project,
                                                              member_client, create_asset, media, resumable):
    other = create_project(name="Other", members=[member])
    v1 = create_asset(other, member, "logo.png")
    answer = resumable(member_client, project.id, media("logo.png").read_bytes(), "logo.png", asset_id=v1.asset_id)
    assert answer.status_code == 404


# -- resuming ------------------------------------------------------------------------------------


def start(browser, project_id, name, size):
    answer = browser.post("/assets/uploads", data={"project_id": project_id, "name": name, "size": size})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def chunk(browser, url, offset, data):
    return browser.post(url, data=data, headers={"Upload-Offset": str(offset),
                                                 "Content-Type": "application/octet-stream"})


def test_a_dropped_upload_resumes_from_the_offset_the_server_has(app_ctx, app, media, project, member_client,
                                                                 make_client, member, login, part_files):
    data = media("clip.mp4").read_bytes()
    info = start(member_client, project.id, "clip.mp4", len(data))
    assert info["offset"] == 0 and info["chunk"] > 0 and info["url"] == f"/assets/uploads/{info['id']}"
    half = len(data) // 2
    assert chunk(member_client, info["url"], 0, data[:half]).get_json() == {"offset": half}
    assert part_files() == [f"{info['id']}.part"]

    # the connection drops; the browser (a new page, same login) asks where to go on
    status = member_client.get(info["url"])
    assert status.status_code == 200
    assert status.get_json() == {"id": info["id"], "offset": half, "size": len(data)}

    done = chunk(member_client, info["url"], half, data[half:])
    assert done.status_code == 201 and done.get_json()["done"] is True
    version = db.session.get(AssetVersion, done.get_json()["version_id"])
    with get_storage().open(version.storage_key) as stored:
        assert stored.read() == data
    assert version.state == VersionState.READY
    assert part_files() == []


def test_a_connection_that_drops_in_the_middle_of_a_chunk_can_resume(app_ctx, media, project, member_client,
                                                                     part_files):
    import io

    data = media("clip.mp4").read_bytes()
    info = start(member_client, project.id, "clip.mp4", len(data))
    third = len(data) // 3
    assert chunk(member_client, info["url"], 0, data[:third]).status_code == 200
    # the next chunk announces two thirds but the connection dies after a few bytes
    dropped = member_client.post(info["url"], input_stream=io.BytesIO(data[third:third + 100]),
                                 environ_overrides={"CONTENT_LENGTH": str(len(data) - third)},
                                 headers={"Upload-Offset": str(third), "Content-Type": "application/octet-stream"})
    assert dropped.status_code == 400
    assert member_client.get(info["url"]).get_json()["offset"] == third
    done = chunk(member_client, info["url"], third, data[third:])
    assert done.status_code == 201, done.get_data(as_text=True)
    version = db.session.get(AssetVersion, done.get_json()["version_id"])
    assert version.sha256 == __import__("hashlib").sha256(data).hexdigest()
    assert part_files() == []


def test_a_chunk_at_the_wrong_offset_gets_409_with_the_expected_offset(app_ctx, media, project, member_client):
    data = media("logo.png").read_bytes()
    info = start(member_client, project.id, "logo.png", len(data))
    chunk(member_client, info["url"], 0, data[:100])

    for wrong in (0, 50, 200):
        answer = chunk(member_client, info["url"], wrong, data[wrong:wrong + 100])
        assert answer.status_code == 409
        assert answer.get_json()["offset"] == 100
        assert "byte 100" in answer.get_json()["error"]
    assert member_client.get(info["url"]).get_json()["offset"] == 100
    missing = member_client.post(info["url"], data=data[100:], headers={"Content-Type": "application/octet-stream"})
    assert missing.status_code == 409 and missing.get_json()["offset"] == 100
    garbage = chunk(member_client, info["url"], "ten", data[100:])
    assert garbage.status_code == 409 and garbage.get_json()["offset"] == 100
    assert chunk(member_client, info["url"], 100, data[100:]).status_code == 201


def test_another_users_upload_is_not_found(app_ctx, media, project, member_client, create_user, signed_in, owner):
    data = media("logo.png").read_bytes()
    info = start(member_client, project.id, "logo.png", len(data))
    from revue.projects.models import ProjectMember

    colleague = create_user("member")  # on the project too
    db.session.add(ProjectMember(project_id=project.id, user_id=colleague.id))
    db.session.commit()
    for other in (signed_in(colleague), signed_in(owner)):
        assert other.get(info["url"]).status_code == 404
        assert chunk(other, info["url"], 0, data).status_code == 404
        assert other.post(info["url"] + "/cancel").status_code == 404
    assert member_client.get(info["url"]).get_json()["offset"] == 0
    assert member_client.get("/assets/uploads/" + "0" * 32).status_code == 404


def test_an_upload_stops_when_its_member_leaves_the_project(app_ctx, media, member, project, member_client,
                                                             count_rows):
    from revue.projects.models import ProjectMember

    data = media("logo.png").read_bytes()
    info = start(member_client, project.id, "logo.png", len(data))
    chunk(member_client, info["url"], 0, data[:100])
    db.session.execute(db.delete(ProjectMember).where(ProjectMember.user_id == member.id))
    db.session.commit()
    assert member_client.get(info["url"]).status_code == 404
    assert chunk(member_client, info["url"], 100, data[100:]).status_code == 404
    assert count_rows(AssetVersion) == 0


def test_a_chunk_past_the_announced_size_is_refused(app_ctx, media, project, member_client, part_files):
    data = media("logo.png").read_bytes()
    info = start(member_client, project.id, "logo.png", len(data))
    answer = chunk(member_client, info["url"], 0, data + b"more")
    assert answer.status_code == 413
    assert "more bytes than announced" in answer.get_json()["error"]
    assert member_client.get(info["url"]).get_json()["offset"] == 0
    assert (Path(member_client.application.instance_path) / "tmp" / "uploads" / f"{info['id']}.part").stat().st_size == 0
    assert chunk(member_client, info["url"], 0, data).status_code == 201


def test_cancel_removes_the_upload_and_its_part(app_ctx, media, project, member_client, part_files, count_rows):
    info = start(member_client, project.id, "logo.png", 1000)
    chunk(member_client, info["url"], 0, b"x" * 10)
    assert member_client.post(info["url"] + "/cancel").status_code == 204
    assert part_files() == [] and count_rows(Upload) == 0
    assert member_client.get(info["url"]).status_code == 404


def test_sweep_removes_abandoned_uploads(app_ctx, app, project, member_client, part_files, count_rows):
    from datetime import timedelta

    from revue.assets import uploads
    from revue.db import utcnow

    old = start(member_client, project.id, "old.png", 1000)
    fresh = start(member_client, project.id, "fresh.png", 1000)
    db.session.get(Upload, old["id"]).updated_at = utcnow() - timedelta(days=2)
    db.session.commit()
    assert uploads.sweep() == 1
    db.session.commit()
    assert part_files() == [f"{fresh['id']}.part"] and count_rows(Upload) == 1


# -- refused files -------------------------------------------------------------------------------


def test_html_named_png_in_a_batch_is_refused_and_the_others_succeed(app_ctx, media, project, member_client,
                                                                       resumable, flashes, stored_files):
    html = media("page.html").read_bytes()
    refused = resumable(member_client, project.id, html, "banner.png")
    assert refused.status_code == 422
    assert refused.get_json()["error"] == "This file is not a valid PNG image."
    assert stored_files() == []

    with media("logo.png").open("rb") as a, media("page.html").open("rb") as b, media("clip.mp4").open("rb") as c:
        answer = member_client.post("/assets/upload", data={
            "project_id": project.id, "files": [(a, "logo.png"), (b, "banner.png"), (c, "clip.mp4")]})
    assert answer.status_code == 303
    messages = flashes(member_client.get(answer.headers["Location"]))
    assert messages == ["“logo.png” uploaded as v1.",
                        "“banner.png” was not uploaded: This file is not a valid PNG image.",
                        "“clip.mp4” uploaded as v1."]
    names = sorted(v.original_name for v in db.session.scalars(db.select(AssetVersion)))
    assert names == ["clip.mp4", "logo.png"]


@pytest.mark.parametrize(("name", "message"), [
    ("x.png.html", "double extension"),
    ("report.pdf.exe", "double extension"),
    ("x\x00.png", "characters that are not allowed"),
])
def test_dangerous_names_are_refused(name, message, app_ctx, media, project, member_client, resumable,
                                     stored_files, count_rows, part_files):
    answer = resumable(member_client, project.id, media("logo.png").read_bytes(), name)
    assert answer.status_code == 422
    assert message in answer.get_json()["error"]
    assert count_rows(Upload) == 0 and count_rows(AssetVersion) == 0
    assert stored_files() == [] and part_files() == []


@pytest.mark.parametrize(("name", "message"), [
    ("x.png.html", "double extension"),
    ("x\x00.png", "characters that are not allowed"),
])
def test_dangerous_names_in_the_form_are_refused(name, message, app_ctx, media, project, member_client,
                                                 count_rows, stored_files):
    with media("logo.png").open("rb") as fh:
        answer = member_client.post("/assets/upload", data={"project_id": project.id, "files": [(fh, name)]})
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert count_rows(AssetVersion) == 0 and stored_files() == []


def test_postscript_is_kept_as_a_download_only(app_ctx, media, member, project, member_client, resumable):
    answer = resumable(member_client, project.id, media("logo.eps").read_bytes(), "logo.eps")
    assert answer.status_code == 201
    version = db.session.get(AssetVersion, answer.get_json()["version_id"])
    assert (version.kind, version.mime, version.state) == (MediaKind.OTHER, "application/postscript",
                                                           VersionState.READY)
    assert version.renditions == [] and version.meta == {}
    original = member_client.get(f"/assets/versions/{version.id}/original")
    assert original.status_code == 200 and original.data == media("logo.eps").read_bytes()
    assert original.headers["Content-Type"] == "application/octet-stream"
    assert original.headers["Content-Disposition"].startswith("attachment;")
    assert member_client.get(f"/assets/versions/{version.id}/media").status_code == 404
    assert member_client.get(f"/assets/versions/{version.id}/r/preview").status_code == 404
    page = member_client.get(f"/assets/{version.asset_id}").get_data(as_text=True)
    assert "No preview for this kind of file" in page


def test_postscript_never_reaches_the_media_worker(app_ctx, monkeypatch, member, project, create_asset):
    from revue.assets import pipeline

    def refuse(*args, **kwargs):
        raise AssertionError("PostScript was handed to the media worker")

    monkeypatch.setattr(pipeline, "run_sandboxed", refuse)
    version = create_asset(project, member, "logo.eps")
    assert version.state == VersionState.READY and version.kind == MediaKind.OTHER


def test_a_pixel_bomb_is_refused_at_upload(app_ctx, media, project, member_client, resumable, stored_files,
                                           count_rows, flashes):
    bomb = media("bomb.png").read_bytes()
    assert len(bomb) < 10_000
    answer = resumable(member_client, project.id, bomb, "poster.png")
    assert answer.status_code == 422
    assert "too many pixels" in answer.get_json()["error"]
    with media("bomb.png").open("rb") as fh:
        form = member_client.post("/assets/upload", data={"project_id": project.id, "files": [(fh, "poster.png")]})
    assert form.status_code == 422 and "too many pixels" in form.get_data(as_text=True)
    assert stored_files() == [] and count_rows(AssetVersion) == 0 and count_rows(Upload) == 0


# -- size limits (F1) -------------------------------------------------------------------------------


@pytest.fixture
def small_limits(app, monkeypatch):
    """1 MB for images and documents, 2 MB for video and audio (restored after the test)."""
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 1)
    monkeypatch.setitem(app.config, "MAX_MEDIA_UPLOAD_MB", 2)


def test_an_upload_announced_over_the_limit_gets_413(app_ctx, small_limits, project, member_client, count_rows,
                                                      part_files):
    answer = member_client.post("/assets/uploads", data={"project_id": project.id, "name": "film.mov",
                                                         "size": 3 * 2**20})
    assert answer.status_code == 413
    assert answer.get_json()["error"] == "This file is larger than the 2 MB Revue accepts."
    assert count_rows(Upload) == 0 and part_files() == []


def test_an_image_over_the_image_limit_gets_413_and_leaves_nothing(app_ctx, small_limits, media, project,
                                                                  member_client, resumable, stored_files,
                                                                  part_files, count_rows):
    data = media("big.png").read_bytes()
    assert 2**20 < len(data) < 2 * 2**20
    answer = resumable(member_client, project.id, data, "big.png", chunk=2**19)
    assert answer.status_code == 413
    assert answer.get_json()["error"] == "This file is larger than the 1 MB allowed for images and documents."
    assert stored_files() == [] and part_files() == []
    assert count_rows(Upload) == 0 and count_rows(AssetVersion) == 0 and count_rows(Asset) == 0


def test_the_form_refuses_a_file_over_the_limit_with_413(app_ctx, small_limits, media, project, member_client,
                                                        stored_files, part_files, count_rows):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    with media("big.png").open("rb") as fh:  # encoded here: the test client leaves big bodies open
        boundary, body = encode_multipart({"project_id": str(project.id), "files": FileStorage(fh, "big.png")})
    answer = member_client.post("/assets/upload", data=body,
                                content_type=f"multipart/form-data; boundary={boundary}")
    assert answer.status_code == 413
    text = answer.get_data(as_text=True)
    assert "“big.png” was not uploaded: This file is larger than the 1 MB allowed for images and documents." in text
    assert stored_files() == [] and part_files() == [] and count_rows(AssetVersion) == 0


def test_a_request_over_the_request_limit_gets_413(app, app_ctx, project, member_client, part_files, stored_files,
                                                  monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2**20)
    answer = member_client.post(f"/assets/upload?project_id={project.id}", data=b"x" * 2**21,
                                content_type="multipart/form-data; boundary=fence")
    assert answer.status_code == 413
    assert "larger than" in answer.get_data(as_text=True)
    assert stored_files() == [] and part_files() == []


# -- names (F4) ------------------------------------------------------------------------------------

HOSTILE = ["../../etc/passwd.png", "a\r\nSet-Cookie: evil=1.png", 'say "cheese".png', "<img src=x onerror=alert(1)>.png",
           "Ünïcødé " * 37 + ".png"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_stay_in_the_database(name, app_ctx, app, media, project, member_client, resumable,
                                            stored_files):
    answer = resumable(member_client, project.id, media("logo.png").read_bytes(), name)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    version = db.session.get(AssetVersion, answer.get_json()["version_id"])
    assert version.original_name == name[:300]
    keys = [version.storage_key] + [r.storage_key for r in version.renditions]
    for key in keys:
        assert re.fullmatch(r"(originals|renditions)/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}", key), key
    for path in stored_files():
        assert re.fullmatch(r"(originals|renditions)/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}", path), path

    download = member_client.get(f"/assets/versions/{version.id}/original")
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and "filename*=UTF-8''" in disposition
    assert "\r" not in disposition and "\n" not in disposition and "/" not in disposition.split("filename*")[0]
    assert "Set-Cookie" not in download.headers and "evil" not in str(download.headers.get_all("Set-Cookie"))
    page = member_client.get(f"/assets/{version.asset_id}").get_data(as_text=True)
    assert "<img src=x" not in page


def test_a_name_of_300_unicode_characters_is_kept_whole(app_ctx, media, project, member_client, resumable):
    name = "é" * 296 + ".png"
    answer = resumable(member_client, project.id, media("logo.png").read_bytes(), name)
    assert answer.status_code == 201
    version = db.session.get(AssetVersion, answer.get_json()["version_id"])
    assert version.original_name == name and len(version.asset.title) == 200
    disposition = member_client.get(f"/assets/versions/{version.id}/original").headers["Content-Disposition"]
    assert disposition.endswith(".png") and "%C3%A9" in disposition


def test_an_upload_needs_a_project_the_member_is_on(app_ctx, media, create_project, member_client, resumable):
    elsewhere = create_project(name="Elsewhere")
    answer = resumable(member_client, elsewhere.id, media("logo.png").read_bytes(), "logo.png")
    assert answer.status_code == 404
    with media("logo.png").open("rb") as fh:
        form = member_client.post("/assets/upload", data={"project_id": elsewhere.id, "files": [(fh, "logo.png")]})
    assert form.status_code == 404
    assert member_client.post("/assets/uploads", data={"name": "x.png", "size": 10}).status_code == 404


def test_an_archived_project_takes_no_uploads(app_ctx, media, project, member_client, resumable, count_rows):
    from revue.projects.models import ProjectStatus

    project.status = ProjectStatus.ARCHIVED
    db.session.commit()
    answer = resumable(member_client, project.id, media("logo.png").read_bytes(), "logo.png")
    assert answer.status_code == 409 and "archived" in answer.get_json()["error"]
    assert count_rows(Upload) == 0


def test_an_empty_or_unnamed_file_is_refused(app_ctx, project, member_client):
    for form, words in (({"name": "x.png", "size": 0}, "empty"), ({"name": "  ", "size": 10}, "no name")):
        answer = member_client.post("/assets/uploads", data={"project_id": project.id, **form})
        assert answer.status_code == 422 and words in answer.get_json()["error"]


def test_an_upload_writes_an_activity_row(app_ctx, media, member, project, member_client, resumable, rows):
    from revue.activity import Activity

    answer = resumable(member_client, project.id, media("logo.png").read_bytes(), "logo.png")
    version = db.session.get(AssetVersion, answer.get_json()["version_id"])
    [row] = rows(Activity, Activity.action == "version.uploaded")
    assert (row.actor_id, row.subject_id, row.project_id) == (member.id, version.id, project.id)
    assert row.data["sha256"] == version.sha256 and row.data["name"] == "logo.png"


def test_renditions_are_made_from_the_stored_original(app_ctx, member, project, create_asset):
    version = create_asset(project, member, "brochure.pdf")
    first = db.session.scalars(db.select(Rendition).where(Rendition.version_id == version.id)
                               .order_by(Rendition.id)).first()
    assert first.name == "page-1"  # page 1 is stored first, so the viewer can show it early


# -- after the upload: the upload list and the asset page follow the new version ---------------------------


def test_the_upload_answer_names_the_line_that_follows_the_preview(app_ctx, media, project, member_client,
                                                                   resumable):
    answer = resumable(member_client, project.id, media("logo.png").read_bytes(), "logo.png")
    body = answer.get_json()
    assert body["state_url"] == f"/assets/versions/{body['version_id']}/state"
    # jobs run inline here: the preview is made, the line says so and stops asking
    line = member_client.get(body["state_url"], headers={"HX-Request": "true"})
    assert line.status_code == 200 and "HX-Request" in line.headers["Vary"]
    html = line.get_data(as_text=True)
    assert "Ready — open v1" in html and "hx-trigger" not in html
    assert f'href="/assets/{body["asset_id"]}"' in html
    # while the preview is being made, the line polls itself
    version = db.session.get(AssetVersion, body["version_id"])
    version.state = VersionState.PROCESSING
    db.session.commit()
    html = member_client.get(body["state_url"]).get_data(as_text=True)
    assert "Uploaded — preparing preview" in html
    assert f'hx-get="/assets/versions/{version.id}/state"' in html and 'hx-trigger="every 2s"' in html


def test_the_upload_line_is_for_the_team_of_the_project(app_ctx, media, project, member, create_asset, signed_in,
                                                        create_user, contact):
    version = create_asset(project, member, "logo.png")
    outsider = signed_in(create_user("member"))
    assert outsider.get(f"/assets/versions/{version.id}/state").status_code == 404
    assert signed_in(contact).get(f"/assets/versions/{version.id}/state").status_code == 404


def test_the_asset_page_refreshes_its_head_versions_and_approval_card_after_an_upload(app_ctx, project, member,
                                                                                      member_client, create_asset):
    v1 = create_asset(project, member, "logo.png")
    page = member_client.get(f"/assets/{v1.asset_id}").get_data(as_text=True)
    # upload.js sends board-changed when a file is in; the head re-renders and brings the other regions along
    assert 'hx-trigger="board-changed from:body"' in page and 'hx-select="#asset-head"' in page
    assert 'hx-select-oob="#asset-main,#asset-approval"' in page
    for region in ('id="asset-head"', 'id="asset-main"', 'id="asset-approval"'):
        assert region in page
    create_asset(project, member, "logo.png", name="logo-v2.png", asset=v1.asset)
    page = member_client.get(f"/assets/{v1.asset_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "v2 of 2" in page and "Record approval of v2" in page
