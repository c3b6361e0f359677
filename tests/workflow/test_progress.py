"""Each reviewer's progress — invited, opened, commented, decided — also for people signed in.

Guests' links mark their seat themselves (tests/workflow/test_emailed_links.py, tests/links); here a
client contact with an account reviews from the viewer, and the team sees where she stands, with times.
"""

from __future__ import annotations

import pytest

from revue.db import db
from revue.review import engine
from revue.review.models import Participant

from .conftest import form_key, text_of


@pytest.fixture
def sent(request_ctx, owner, member, contact, project, set_workflow, upload):
    set_workflow(project, owner, [("Client", "all", 1, [contact])])
    version = upload(member, project)
    engine.send_for_review(member, version)
    db.session.commit()
    seat = version.id, db.session.scalar(db.select(Participant.id).where(Participant.email == contact.email))
    return seat


def seat(seat_id: int) -> Participant:
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Participant, seat_id)


def state_on_the_asset_page(browser, version_id: int) -> str:
    page = text_of(browser.get(f"/review/versions/{version_id}"))
    return page.split("Cleo", 1)[1][:60] if "Cleo" in page else page


def test_a_signed_in_reviewer_is_seen_opening_commenting_and_deciding(sent, make_client, login, member, contact):
    version_id, seat_id = sent
    team, cleo = make_client(), make_client()
    login(team, member)
    login(cleo, contact)
    assert "Invited" in state_on_the_asset_page(team, version_id)
    assert seat(seat_id).opened_at is None, "the team looking is not the reviewer opening"

    page = cleo.get(f"/review/versions/{version_id}")
    assert page.status_code == 200
    opened = seat(seat_id).opened_at
    assert opened is not None
    cleo.get(f"/review/versions/{version_id}")
    assert seat(seat_id).opened_at == opened, "the first opening is the one that counts"
    assert "Opened just now" in state_on_the_asset_page(team, version_id)

    assert cleo.post(f"/review/versions/{version_id}/comments",
                     data={"body": "Warmer sky, please", "anchor": ""}).status_code == 303
    assert seat(seat_id).commented_at is not None
    assert "Commented just now" in state_on_the_asset_page(team, version_id)

    form = {"verdict": "approved", "version_id": version_id, "request_key": form_key(page)}
    assert cleo.post(f"/review/versions/{version_id}/decide", data=form).status_code == 303
    assert "Approved just now" in state_on_the_asset_page(team, version_id)


def test_a_reply_counts_as_commenting(sent, make_client, login, member, contact):
    from revue.assets.models import AssetVersion
    from revue.comments import services as comments

    version_id, seat_id = sent
    note = comments.add_comment(db.session.get(AssetVersion, version_id), member, "Is the logo big enough?")
    db.session.commit()
    cleo = make_client()
    login(cleo, contact)
    assert cleo.post(f"/review/comments/{note.id}/reply", data={"body": "Yes"}).status_code == 303
    assert seat(seat_id).commented_at is not None
