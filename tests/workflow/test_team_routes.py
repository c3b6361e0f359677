"""The team's review actions through their routes: send, remove and add reviewers, nudge, reopen."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from revue.activity import Activity
from revue.db import db
from revue.review.models import Decision, Participant, Review, ReviewStatus

from .conftest import form_key, latest_link, text_of

GUEST = "gina@guest.example"


@pytest.fixture
def in_review(smtp_server, owner, member, contact, project, set_workflow, upload, as_member):
    """v1 sent by Mia (through the route) to one client stage: Cleo and a guest must both approve."""
    set_workflow(project, owner, [("Client", "all", 1, [contact, GUEST])])
    version = upload(member, project)
    assert as_member.post(f"/review/versions/{version.id}/send").status_code == 303
    smtp_server.wait(2)
    review = db.session.scalars(select(Review)).one()
    db.session.commit()
    return version, review


def seat(email: str) -> Participant:
    found = db.session.scalar(select(Participant).where(Participant.email == email))
    db.session.commit()
    return found


def test_sending_from_an_unknown_stage_is_refused(owner, member, contact, project, set_workflow, upload, as_member):
    set_workflow(project, owner, [("Client", "all", 1, [contact])])
    version = upload(member, project)
    answer = as_member.post(f"/review/versions/{version.id}/send", data={"start_at": "7"})
    assert answer.status_code == 303  # back where the button was, with the reason
    assert "no stage 7" in text_of(as_member.get(answer.headers["Location"]))
    assert db.session.scalars(select(Review)).all() == []
    assert as_member.post(f"/review/versions/{version.id}/send", data={"start_at": "7"},
                          headers={"HX-Request": "true"}).status_code == 409  # htmx: the toast


def test_a_removed_reviewer_is_out_at_their_next_request(in_review, smtp_server, make_client, as_member):
    version, _review = in_review
    gina = make_client()
    gina.get(latest_link(smtp_server, GUEST))
    page = gina.get("/e/")
    assert page.status_code == 200
    answer = as_member.post(f"/review/participants/{seat(GUEST).id}/remove")
    assert answer.status_code == 303
    assert gina.get("/e/").status_code == 404
    refused = gina.post("/e/decide", data={"verdict": "approved", "version_id": version.id,
                                           "request_key": form_key(page)})
    assert refused.status_code == 404 and "no longer valid" in text_of(refused)
    assert db.session.scalars(select(Decision)).all() == []
    again = as_member.post(f"/review/participants/{seat(GUEST).id}/remove")
    assert again.status_code == 409


def test_a_reviewer_added_mid_review_gets_a_link(in_review, smtp_server, make_client, as_member):
    version, review = in_review
    answer = as_member.post(f"/review/reviews/{review.id}/reviewers", data={"email": "Dan@Late.example",
                                                                             "name": "Dan"})
    assert answer.status_code == 303
    smtp_server.wait(3)
    dan = make_client()
    dan.get(latest_link(smtp_server, "dan@late.example"))
    assert "Your decision on v1" in text_of(dan.get("/e/"))
    duplicate = as_member.post(f"/review/reviews/{review.id}/reviewers", data={"email": "dan@late.example"})
    assert duplicate.status_code == 409 and "already a reviewer" in text_of(duplicate)


def test_a_nudge_emails_a_fresh_link_and_is_logged(in_review, smtp_server, make_client, as_member, member):
    _version, _review = in_review
    first = latest_link(smtp_server, GUEST)
    assert as_member.post(f"/review/participants/{seat(GUEST).id}/nudge").status_code == 303
    smtp_server.wait(3)
    second = latest_link(smtp_server, GUEST)
    assert second != first
    assert make_client().get(first).status_code == 303, "older links stay valid"
    nudged = db.session.scalars(select(Activity).where(Activity.action == "review.nudged")).one()
    assert nudged.actor_id == member.id and nudged.data == {"reviewer": GUEST}


def test_only_an_admin_reopens_and_only_the_current_approval(in_review, smtp_server, make_client, as_member,
                                                             as_owner, member, project, upload):
    version, review = in_review
    for address in ("cleo@acme.example", GUEST):
        browser = make_client()
        browser.get(latest_link(smtp_server, address))
        page = browser.get("/e/")
        assert browser.post("/e/decide", data={"verdict": "approved", "version_id": version.id,
                                               "request_key": form_key(page)}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Review, review.id).status == ReviewStatus.APPROVED
    assert "Reopen" in text_of(as_owner.get(f"/review/versions/{version.id}"))
    assert as_member.post(f"/review/reviews/{review.id}/reopen").status_code == 403
    assert as_owner.post(f"/review/reviews/{review.id}/reopen").status_code == 303
    db.session.expire_all()
    assert db.session.get(Review, review.id).status == ReviewStatus.OPEN
    assert version.asset.status.value == "in_review"
    gina = make_client()
    assert gina.get(latest_link(smtp_server, GUEST)).status_code == 303, "links work again"
    page = gina.get("/e/")
    assert gina.post("/e/decide", data={"verdict": "approved", "version_id": version.id,
                                        "request_key": form_key(page)}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Review, review.id).status == ReviewStatus.APPROVED, "approved again"

    upload(member, project, asset=version.asset)  # v1's approval stays, but v1 is history now
    answer = as_owner.post(f"/review/reviews/{review.id}/reopen")
    assert answer.status_code == 409 and "no longer the current version" in text_of(answer)
    assert "Reopen" not in text_of(as_owner.get(f"/review/versions/{version.id}"))
