"""Attachments on comments: images and PDFs with thumbnails, for members, emailed-link reviewers and
review-link guests; refusals say why and keep what was typed; nobody who may not see a comment reaches
its files (SECURITY D1, D3, F1–F7); the panel stays a constant number of queries."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from revue.comments.models import Comment, CommentAttachment
from revue.db import db

from . import factories
from .conftest import text_of

MB = 2**20


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, bytes]:
    from assets import mediafiles as mf  # tests/assets/mediafiles.py

    folder = tmp_path_factory.mktemp("attachments")
    return {
        "photo.jpg": mf.jpeg_with_gps(folder / "photo.jpg", (800, 600), orientation=6).read_bytes(),
        "brief.pdf": mf.pdf_file(folder / "brief.pdf", pages=3).read_bytes(),
        "logo.png": mf.image_file(folder / "logo.png", "PNG", (300, 200), "RGBA").read_bytes(),
        "bomb.png": mf.png_header_bomb(folder / "bomb.png").read_bytes(),
        "drawing.svg": mf.svg_file(folder / "drawing.svg").read_bytes(),
        "page.png": b"<!doctype html><html><body><script>alert(document.domain)</script></body></html>",
        "notes.txt": b"Just some notes\n",
        "huge.jpg": b"\xff\xd8\xff" + b"\0" * (20 * MB),  # one byte (and a bit) over 20 MB
    }


def sent(files: dict, *names: str) -> list:
    return [(io.BytesIO(files[name]), name) for name in names]


def attachments_of(comment_id: int) -> list[CommentAttachment]:
    db.session.commit()
    found = db.session.scalars(select(CommentAttachment).where(CommentAttachment.comment_id == comment_id)
                               .order_by(CommentAttachment.id)).all()
    db.session.commit()
    return found


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return sorted(p for prefix in ("attachments", "attachment-thumbs") for p in (root / prefix).rglob("*")
                  if p.is_file())


def tile_links(body: str) -> list[str]:
    return re.findall(r'<a class="attachment[^"]*" href="([^"]+)"', body)


def post_files(browser, url: str, **kwargs):
    """A multipart POST; the test client spools a large body to a temporary file, closed here."""
    response = browser.post(url, content_type="multipart/form-data", **kwargs)
    response.request.environ["wsgi.input"].close()
    return response


def status(browser, url: str) -> int:
    """The status of a GET, its body (a file) left unread and closed."""
    response = browser.get(url)
    response.close()
    return response.status_code


def check_thumbnail(response) -> Image.Image:
    response.close()
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "JPEG" and max(image.size) <= 240
    assert not image.getexif() and "xmp" not in image.info and "exif" not in image.info
    return image


def check_download(response, name: str, content: bytes, mime: str) -> None:
    response.close()
    assert response.status_code == 200
    assert response.data == content
    assert response.headers["Content-Type"] == mime
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="{name}"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


# -- members --------------------------------------------------------------------------------------------


def test_a_member_attaches_an_image_and_a_pdf_and_sees_their_thumbnails(app, version, as_member, hx, files):
    answer = as_member.post(f"/review/versions/{version.id}/comments", headers=hx,
                            data={"body": "Like these, please", "files": sent(files, "photo.jpg", "brief.pdf")})
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="panel"')
    comment = db.session.scalar(select(Comment).where(Comment.body == "Like these, please"))
    photo, pdf = attachments_of(comment.id)
    assert (photo.original_name, photo.mime, photo.size) == ("photo.jpg", "image/jpeg", len(files["photo.jpg"]))
    assert (pdf.original_name, pdf.mime, pdf.size) == ("brief.pdf", "application/pdf", len(files["brief.pdf"]))
    assert tile_links(body) == [f"/review/attachments/{photo.id}/file", f"/review/attachments/{pdf.id}/file"]
    assert f'src="/review/attachments/{pdf.id}/thumb"' in body and "PDF · " in body

    portrait = check_thumbnail(as_member.get(f"/review/attachments/{photo.id}/thumb"))
    assert portrait.height > portrait.width  # EXIF orientation 6 applied, then all metadata dropped
    page = check_thumbnail(as_member.get(f"/review/attachments/{pdf.id}/thumb"))
    assert page.height > page.width  # page 1 of an A4 PDF
    check_download(as_member.get(f"/review/attachments/{photo.id}/file"), "photo.jpg", files["photo.jpg"],
                   "image/jpeg")
    check_download(as_member.get(f"/review/attachments/{pdf.id}/file"), "brief.pdf", files["brief.pdf"],
                   "application/pdf")
    assert len(stored_files(app)) == 4
    from revue.activity import Activity

    row = db.session.scalar(select(Activity).where(Activity.action == "comment.added"))
    assert row.data["attachments"] == [{"name": "photo.jpg", "mime": "image/jpeg"},
                                       {"name": "brief.pdf", "mime": "application/pdf"}]  # an upload (H1)


def test_thumbnails_are_made_without_holding_the_sqlite_write_lock(app, version, as_member, hx, files, monkeypatch):
    """The thumbnail takes a moment: meanwhile other people's comments and decisions must still be written."""
    import sqlite3

    from revue.comments import attachments

    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("the write lock is SQLite's")
    real, writes = attachments.run_sandboxed, []

    def sandboxed_while_someone_writes(*args, **kwargs):
        other = sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"), timeout=0.2,
                                isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" if this request still held the lock
            other.execute("ROLLBACK")
            writes.append("ok")
        finally:
            other.close()
        return real(*args, **kwargs)

    monkeypatch.setattr(attachments, "run_sandboxed", sandboxed_while_someone_writes)
    answer = as_member.post(f"/review/versions/{version.id}/comments", headers=hx,
                            data={"body": "Two files", "files": sent(files, "logo.png", "brief.pdf")})
    assert answer.status_code == 200 and writes == ["ok", "ok"]


def test_a_form_without_javascript_attaches_and_returns_to_the_comment(version, as_member, files):
    answer = as_member.post(f"/review/versions/{version.id}/comments",
                            data={"body": "Transparent logo attached", "files": sent(files, "logo.png")},
                            content_type="multipart/form-data")
    assert answer.status_code == 303
    comment = db.session.scalar(select(Comment).where(Comment.body == "Transparent logo attached"))
    assert answer.headers["Location"] == f"/review/versions/{version.id}#c{comment.id}"
    [logo] = attachments_of(comment.id)
    assert logo.mime == "image/png"
    thumb = check_thumbnail(as_member.get(f"/review/attachments/{logo.id}/thumb"))
    assert min(thumb.getpixel((1, 1))) > 240  # a transparent corner (red underneath) is laid on white
    page = as_member.get(f"/review/versions/{version.id}").get_data(as_text=True)
    assert f"/review/attachments/{logo.id}/file" in page


def test_a_file_name_renders_escaped_and_downloads_under_a_safe_name(version, as_member, hx, files):
    name = "<img src=x onerror=alert(1)> {{ 7*7 }}.png"
    answer = as_member.post(f"/review/versions/{version.id}/comments", headers=hx,
                            data={"body": "Odd name", "files": [(io.BytesIO(files["logo.png"]), name)]})
    body = answer.get_data(as_text=True)
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt; {{ 7*7 }}" in body
    comment = db.session.scalar(select(Comment).where(Comment.body == "Odd name"))
    [odd] = attachments_of(comment.id)
    assert odd.original_name == name  # kept as given, in the database only (F4)
    download = as_member.get(f"/review/attachments/{odd.id}/file")
    download.close()
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and "filename*=UTF-8''" in disposition
    assert "<" not in disposition and "{{" not in disposition.split("filename*=")[1]


def test_a_reply_takes_attachments_and_an_empty_file_field_is_ignored(version, member, teammate, signed_in, hx,
                                                                      files):
    parent = factories.comment(version, member, "Which shade?")
    browser = signed_in(teammate)
    answer = browser.post(f"/review/comments/{parent.id}/reply", headers=hx,
                          data={"body": "This one", "files": sent(files, "logo.png")})
    assert answer.status_code == 200
    reply = db.session.scalar(select(Comment).where(Comment.parent_id == parent.id))
    [logo] = attachments_of(reply.id)
    assert tile_links(answer.get_data(as_text=True)) == [f"/review/attachments/{logo.id}/file"]
    no_file = browser.post(f"/review/versions/{version.id}/comments", headers=hx,
                           data={"body": "No file here", "files": [(io.BytesIO(b""), "")]})
    assert no_file.status_code == 200
    comment = db.session.scalar(select(Comment).where(Comment.body == "No file here"))
    assert attachments_of(comment.id) == []


def test_deleting_a_comment_deletes_its_attachments_and_their_files(app, version, as_member, hx, files):
    as_member.post(f"/review/versions/{version.id}/comments", headers=hx,
                   data={"body": "Oops, wrong file", "files": sent(files, "logo.png", "brief.pdf")})
    comment = db.session.scalar(select(Comment).where(Comment.body == "Oops, wrong file"))
    ids = [a.id for a in attachments_of(comment.id)]
    assert len(stored_files(app)) == 4
    answer = as_member.post(f"/review/comments/{comment.id}/delete", headers=hx)
    assert answer.status_code == 200
    assert "Comment deleted." in text_of(answer) and not tile_links(answer.get_data(as_text=True))
    assert attachments_of(comment.id) == [] and stored_files(app) == []
    for attachment_id in ids:
        for part in ("file", "thumb"):
            assert status(as_member, f"/review/attachments/{attachment_id}/{part}") == 404


def test_a_carried_over_comment_keeps_its_attachments(app, project, member, as_member, hx, files):
    v1 = factories.make_version(project, member, "image")
    as_member.post(f"/review/versions/{v1.id}/comments", headers=hx,
                   data={"body": "Use this reference", "files": sent(files, "logo.png")})
    old = db.session.scalar(select(Comment).where(Comment.body == "Use this reference"))
    v2 = factories.make_version(project, member, "image", asset=v1.asset)
    assert as_member.post(f"/review/comments/{old.id}/still_open", data={"version_id": v2.id},
                          headers=hx).status_code == 200
    copy = db.session.scalar(select(Comment).where(Comment.carried_from_id == old.id))
    [carried] = attachments_of(copy.id)
    assert status(as_member, f"/review/attachments/{carried.id}/thumb") == 200
    as_member.post(f"/review/comments/{old.id}/delete", headers=hx)  # the first comment goes…
    assert len(stored_files(app)) == 2  # …its copy still shows the files
    assert status(as_member, f"/review/attachments/{carried.id}/file") == 200


# -- refusals: clear words, nothing kept, the typed comment is not lost --------------------------------------

REFUSALS = [
    (["huge.jpg"], 413, "“huge.jpg” can't be attached. Attachments may be up to 20 MB each."),
    (["drawing.svg"], 422, "“drawing.svg” can't be attached. SVG images can't be attached; export a PNG or a PDF"),
    (["page.png"], 422, "“page.png” can't be attached. This file is not a valid PNG image."),
    (["notes.txt"], 422, "“notes.txt” can't be attached. Only images (PNG, JPEG, GIF, WebP) and PDF documents"),
    (["bomb.png"], 422, "“bomb.png” can't be attached. The image has too many pixels to open safely"),
    (["logo.png", "brief.pdf", "logo.png", "brief.pdf", "logo.png", "photo.jpg"], 422,
     "Attach at most 5 files to one comment."),
    (["logo.png", "page.png"], 422, "“page.png” can't be attached."),  # one bad file: none is kept
]


@pytest.mark.parametrize(("names", "status", "message"), REFUSALS, ids=[r[0][-1] + str(len(r[0])) for r in REFUSALS])
def test_a_refused_file_says_why_and_the_comment_text_is_kept(app, version, as_member, hx, files, flashes, names,
                                                             status, message):
    typed = "Please match <b>this</b> & keep the “quotes”"
    url = f"/review/versions/{version.id}/comments"
    plain = post_files(as_member, url, data={"body": typed, "internal": "1", "files": sent(files, *names)})
    assert plain.status_code == status
    assert any(message in text for text in flashes(plain)), flashes(plain)
    page = plain.get_data(as_text=True)
    textarea = re.search(r'<textarea id="general-body"[^>]*>(.*?)</textarea>', page, re.S)
    assert html.unescape(textarea.group(1)) == typed and "<b>" not in textarea.group(1)  # the text, escaped
    assert re.search(r'name="internal" value="1" checked', page)

    with_htmx = post_files(as_member, url, headers=hx, data={"body": typed, "files": sent(files, *names)})
    assert with_htmx.status_code == status
    assert with_htmx.headers["HX-Retarget"] == "#toasts"  # a toast: the form (and its text) stays as it is
    assert message in html.unescape(with_htmx.get_data(as_text=True))
    assert db.session.scalars(select(Comment)).all() == [] and stored_files(app) == []


def test_a_refused_reply_opens_its_form_again_with_the_text(version, member, as_member, files, flashes):
    parent = factories.comment(version, member, "Colour?")
    answer = as_member.post(f"/review/comments/{parent.id}/reply", content_type="multipart/form-data",
                            data={"body": "Closer to this", "files": sent(files, "drawing.svg")})
    assert answer.status_code == 422
    assert "SVG images can't be attached" in " ".join(flashes(answer))
    page = answer.get_data(as_text=True)
    assert re.search(rf'<details class="inline-details" open><summary>Reply</summary>.*?'
                     rf'<textarea id="reply-{parent.id}"[^>]*>Closer to this</textarea>', page, re.S)


def test_files_stored_for_a_request_that_fails_are_removed(app, version, as_member, hx, files, monkeypatch):
    from revue.comments import attachments

    real = attachments.attach

    def attach_then_fail(comment, checked):
        real(comment, checked)
        assert len(stored_files(app)) == 2  # written…
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(attachments, "attach", attach_then_fail)
    with pytest.raises(RuntimeError):
        as_member.post(f"/review/versions/{version.id}/comments", headers=hx,
                       data={"body": "Never saved", "files": sent(files, "logo.png")})
    assert stored_files(app) == []  # …and gone with the transaction that never committed
    assert db.session.scalars(select(CommentAttachment)).all() == []


def test_a_post_with_files_but_without_a_csrf_token_is_refused_and_stores_nothing(app, version, as_member, files):
    answer = as_member.post(f"/review/versions/{version.id}/comments", csrf=False,
                            data={"body": "Forged", "files": sent(files, "logo.png")},
                            headers={"Referer": "https://localhost/"})
    assert answer.status_code == 400
    assert stored_files(app) == [] and db.session.scalars(select(Comment)).all() == []


# -- guests: emailed links (/e) and review links (/r) -------------------------------------------------------


@pytest.fixture
def emailed(shared, make_client):
    """A browser that opened the emailed link of Gina, a reviewer (no account) of the stage open on ``shared``."""
    from revue.review import engine
    from revue.review.models import Participant, Review

    stage = db.session.scalar(select(Review).where(Review.version_id == shared.id)).stages[0]
    seat = Participant(stage_id=stage.id, email="gina@guest.example", name="Gina Guest")
    db.session.add(seat)
    db.session.flush()
    raw = engine.issue_token(seat)
    db.session.commit()
    browser = make_client()
    assert browser.get(f"/e/{raw}").status_code == 303
    return browser


@pytest.fixture
def link_guest(shared, member, make_client):
    """``link_guest(**options)``: a browser that landed on a review link of ``shared``'s project."""
    from revue.links import services as links

    def make(email: str = "rae@guest.example", **options):
        _, raw = links.create_link(member, shared.asset.project, **{"can_comment": True, **options})
        db.session.commit()
        browser = make_client()
        assert browser.get(f"/r/{raw}").status_code == 303
        assert browser.post("/r/", data={"name": "Rae Guest", "email": email}).status_code == 303
        return browser

    return make


def test_a_reviewer_on_an_emailed_link_attaches_files_to_a_comment_and_a_reply(shared, member, emailed, hx, files):
    answer = emailed.post("/e/comments", headers=hx, data={"body": "Our brand guide", "files": sent(files, "brief.pdf")})
    assert answer.status_code == 200
    comment = db.session.scalar(select(Comment).where(Comment.body == "Our brand guide"))
    assert comment.guest_email == "gina@guest.example"
    [pdf] = attachments_of(comment.id)
    assert tile_links(answer.get_data(as_text=True)) == [f"/e/attachments/{pdf.id}/file"]
    check_thumbnail(emailed.get(f"/e/attachments/{pdf.id}/thumb"))
    check_download(emailed.get(f"/e/attachments/{pdf.id}/file"), "brief.pdf", files["brief.pdf"], "application/pdf")

    theirs = factories.comment(shared, member, "What do you think?")
    emailed.post(f"/e/comments/{theirs.id}/reply", headers=hx, data={"body": "Like this", "files": sent(files, "logo.png")})
    reply = db.session.scalar(select(Comment).where(Comment.parent_id == theirs.id))
    [logo] = attachments_of(reply.id)
    assert status(emailed, f"/e/attachments/{logo.id}/thumb") == 200


def test_a_review_link_guest_attaches_files_and_a_view_only_guest_cannot(app, shared, link_guest, hx, files):
    guest = link_guest()
    url = f"/r/assets/{shared.asset_id}"
    answer = guest.post(f"{url}/comments", headers=hx, data={"body": "See photo", "files": sent(files, "photo.jpg")})
    assert answer.status_code == 200
    comment = db.session.scalar(select(Comment).where(Comment.body == "See photo"))
    [photo] = attachments_of(comment.id)
    assert tile_links(answer.get_data(as_text=True)) == [f"{url}/attachments/{photo.id}/file"]
    check_thumbnail(guest.get(f"{url}/attachments/{photo.id}/thumb"))
    check_download(guest.get(f"{url}/attachments/{photo.id}/file"), "photo.jpg", files["photo.jpg"], "image/jpeg")

    viewer = link_guest("vic@guest.example", can_comment=False)
    refused = viewer.post(f"{url}/comments", headers=hx, data={"body": "Mine too", "files": sent(files, "logo.png")})
    assert refused.status_code == 403
    assert len(stored_files(app)) == 2  # only the first guest's photo and its thumbnail
    assert status(viewer, f"{url}/attachments/{photo.id}/thumb") == 200  # seeing is allowed


# -- who reaches the files ----------------------------------------------------------------------------------


@pytest.fixture
def with_files(shared, member, as_member, hx, files):
    """A public and an internal comment on ``shared``, each with an image; returns their attachment ids."""
    ids = {}
    for key, internal in (("public", "0"), ("internal", "1")):
        as_member.post(f"/review/versions/{shared.id}/comments", headers=hx,
                       data={"body": f"The {key} one", "internal": internal, "files": sent(files, "logo.png")})
        comment = db.session.scalar(select(Comment).where(Comment.body == f"The {key} one"))
        ids[key] = attachments_of(comment.id)[0].id
    return ids


@pytest.mark.parametrize("part", ["file", "thumb"])
def test_outsiders_get_404_for_the_files(with_files, shared, part, signed_in, outsider, stranger, make_client,
                                         create_project, member, link_guest):
    url = f"/review/attachments/{with_files['public']}/{part}"
    assert status(signed_in(member), url) == 200
    assert status(signed_in(outsider), url) == 404  # a member, not on this project
    assert status(signed_in(stranger), url) == 404  # a contact of another client
    assert status(make_client(), url) == 404  # nobody signed in: a plain 404, no login page
    assert status(signed_in(member), f"/review/attachments/987654/{part}") == 404

    # A guest of another project's link: not through their own asset, not through this one.
    from revue.links import services as links

    elsewhere = factories.make_version(create_project(name="Elsewhere", members=[member]), member, "image")
    factories.share(elsewhere)
    _, raw = links.create_link(member, elsewhere.asset.project, can_comment=True)
    db.session.commit()
    other = make_client()
    other.get(f"/r/{raw}")
    other.post("/r/", data={"name": "Olli", "email": "olli@guest.example"})
    for asset_id in (elsewhere.asset_id, shared.asset_id):
        assert status(other, f"/r/assets/{asset_id}/attachments/{with_files['public']}/{part}") == 404
    # This project's guest names the attachment under another asset of the project: 404 as well.
    sibling = factories.make_version(shared.asset.project, member, "image", title="Sibling")
    factories.share(sibling)
    guest = link_guest()
    assert status(guest, f"/r/assets/{shared.asset_id}/attachments/{with_files['public']}/{part}") == 200
    assert status(guest, f"/r/assets/{sibling.asset_id}/attachments/{with_files['public']}/{part}") == 404


def test_the_files_of_an_internal_comment_never_reach_clients_or_guests(with_files, shared, as_member, as_contact,
                                                                        emailed, link_guest):
    internal = with_files["internal"]
    for part in ("file", "thumb"):
        assert status(as_member, f"/review/attachments/{internal}/{part}") == 200
        assert status(as_contact, f"/review/attachments/{internal}/{part}") == 404
        assert status(emailed, f"/e/attachments/{internal}/{part}") == 404
        assert status(link_guest(), f"/r/assets/{shared.asset_id}/attachments/{internal}/{part}") == 404
        assert status(as_contact, f"/review/attachments/{with_files['public']}/{part}") == 200
    for page in (as_contact.get(f"/review/versions/{shared.id}"), emailed.get("/e/"),
                 link_guest().get(f"/r/assets/{shared.asset_id}")):
        body = page.get_data(as_text=True)
        assert page.status_code == 200 and "The public one" in body
        assert f"/attachments/{with_files['public']}/thumb" in body and f"/attachments/{internal}/" not in body


# -- a constant number of queries ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "contact"])
def test_the_panel_runs_the_same_number_of_queries_for_5_and_500_comments_with_attachments(
        who, project, member, contact, signed_in, count_queries):
    def fill(version, n: int) -> dict:
        """``n`` comments (every 7th internal, every 3rd with a reply); every 2nd comment and every reply has a
        file. Returns how many tiles each kind of reader sees."""
        tops = [Comment(version_id=version.id, asset_id=version.asset_id, number=i + 1, author_id=member.id,
                        body=f"Comment {i}", internal=i % 7 == 0) for i in range(n)]
        db.session.add_all(tops)
        db.session.flush()
        replies = [Comment(version_id=version.id, asset_id=version.asset_id, parent_id=top.id, internal=top.internal,
                           author_id=contact.id, body=f"Reply to {i}") for i, top in enumerate(tops) if i % 3 == 0]
        db.session.add_all(replies)
        db.session.flush()
        db.session.add_all([CommentAttachment(comment_id=c.id, original_name=f"ref-{c.id}.png", mime="image/png",
                                              storage_key=f"attachments/x/{c.id}", thumb_key=f"attachment-thumbs/x/{c.id}",
                                              size=1000) for c in tops[::2] + replies])
        db.session.commit()
        with_files = tops[::2] + replies
        return {"member": len(with_files), "contact": sum(1 for c in with_files if not c.internal)}

    small = factories.make_version(project, member, "image", title="Small")
    big = factories.make_version(project, member, "image", title="Big")
    for v in (small, big):
        factories.share(v, contact)
    fill(small, 5)
    tiles = fill(big, 500)
    browser = signed_in(member if who == "member" else contact)
    counts = {}
    for v in (small, big):
        for url in (f"/review/versions/{v.id}", f"/review/versions/{v.id}/panel"):
            browser.get(url)  # warm: sessions, workspace
            with count_queries() as q:
                response = browser.get(url)
            assert response.status_code == 200
            counts[(v.asset.title, url.rsplit("/", 1)[-1].isdigit())] = q.count
    assert counts[("Small", True)] == counts[("Big", True)], counts
    assert counts[("Small", False)] == counts[("Big", False)], counts
    page = browser.get(f"/review/versions/{big.id}/panel").get_data(as_text=True)
    assert page.count('<a class="attachment"') == tiles[who] > 300


# -- the demo -----------------------------------------------------------------------------------------------


def test_the_demo_shows_an_attachment_on_one_comment(app, version, member, as_member):
    from revue import demo

    comment = factories.comment(version, member, demo.ATTACHED_TO)
    with app.test_request_context(method="POST"):
        demo.attach_reference()
        db.session.commit()
    [reference] = attachments_of(comment.id)
    assert reference.mime == "image/jpeg" and reference.thumb_key
    check_thumbnail(as_member.get(f"/review/attachments/{reference.id}/thumb"))
