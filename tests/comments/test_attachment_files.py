"""The attachment service on its own: stored files follow the transaction, the sandboxed worker stops at
the thumbnail and its limits refuse a file in plain words (routes: tests/review/test_attachments.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from review import factories  # tests/review/factories.py

from revue.comments import attachments
from revue.comments import services as comments
from revue.db import db


@pytest.fixture
def member(create_user):
    return create_user("member")


@pytest.fixture
def version(create_project, member):
    return factories.make_version(create_project(members=[member]), member, "image")


@pytest.fixture
def png(tmp_path) -> Path:
    from assets import mediafiles as mf  # tests/assets/mediafiles.py

    return mf.image_file(tmp_path / "ref.png", "PNG", (320, 200))


def stored(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return [p for prefix in ("attachments", "attachment-thumbs") for p in (root / prefix).rglob("*") if p.is_file()]


def add_with(version, author, path: Path):
    with path.open("rb") as fh, attachments.checked([(path.name, fh)]) as ready:
        return comments.add_comment(version, author, "With a file", files=ready)


def test_stored_files_go_when_the_transaction_rolls_back_and_stay_when_it_commits(app, version, member, png):
    add_with(version, member, png)
    assert len(stored(app)) == 2  # the file and its thumbnail, written before the commit…
    db.session.rollback()
    assert stored(app) == []  # …are gone with the comment that never was
    comment = add_with(version, member, png)
    db.session.commit()
    assert len(stored(app)) == 2 and len(comment.attachments) == 1


def test_a_deleted_comments_files_go_only_once_the_deletion_commits(app, version, member, png):
    comment = add_with(version, member, png)
    db.session.commit()
    comments.delete(comment, member)
    assert len(stored(app)) == 2  # not yet: the deletion may still be rolled back
    db.session.rollback()
    assert len(stored(app)) == 2 and len(comment.attachments) == 1
    comments.delete(comment, member)
    db.session.commit()
    assert stored(app) == [] and comment.attachments == []


def test_the_worker_stops_once_the_thumbnail_of_page_1_exists(tmp_path, app_ctx):
    from assets import mediafiles as mf

    pdf = mf.pdf_file(tmp_path / "long.pdf", pages=40)
    with pdf.open("rb") as fh, attachments.checked([("long.pdf", fh)]) as [ready]:
        rendered = sorted(p.name for p in Path(ready.path).parent.joinpath("out").iterdir())
        assert "page-1.jpg" in rendered and "thumb.jpg" in rendered
        assert len([name for name in rendered if name.startswith("page-") and "thumb" not in name]) < 5, rendered
        assert Path(ready.thumb_path).is_file()
    assert not Path(ready.path).exists()  # the temporary folder is gone after the block


def test_the_workers_time_limit_refuses_the_file_in_plain_words(app, app_ctx, png, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_TIMEOUT_S", 0.001)
    with pytest.raises(attachments.InvalidAttachment) as refused, png.open("rb") as fh, \
            attachments.checked([("ref.png", fh)]):
        pass
    assert refused.value.message == "“ref.png” can't be attached. Processing took longer than 0.001 seconds " \
                                    "and was stopped."
    assert refused.value.status == 422
