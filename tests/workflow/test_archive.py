"""Archiving an asset in the middle of its review ends the review.

The client stage has two reviewers, Cleo (a client contact) and a guest known by her address; v1 was
sent to them and their emails, with personal links, have arrived. Then a member archives the asset
from its card: the review is cancelled, its links stop working (the plain invalid page, E5), nobody is
reminded, the board shows the card as it stands, and the activity log says who ended it. Restoring the
asset reopens nothing: the member sends it again.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from revue.activity import Activity, verify_chain
from revue.assets.models import Asset, AssetStatus
from revue.db import db
from revue.errors import Conflict
from revue.mail import OutboxMessage, sweep
from revue.review import engine, services
from revue.review.models import Decision, Participant, Review, ReviewStatus, StageStatus, Verdict

from .conftest import form_key, latest_link, text_of

GUEST = "gina@guest.example"
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def sent(request_ctx, smtp_server, owner, member, contact, project, set_workflow, upload):
    """v1 sent to the client stage (Cleo and a guest); an internal sign-off stage would follow."""
    set_workflow(project, owner, [("Client", "all", 1, [contact, GUEST]), ("Sign-off", "any", 1, [owner], True)])
    version = upload(member, project)
    review = engine.send_for_review(member, version)
    db.session.commit()
    smtp_server.wait(2)
    return version, review


def land(browser, link: str):
    landing = browser.get(link)
    assert landing.status_code == 303
    page = browser.get(landing.headers["Location"])
    assert page.status_code == 200
    return page


def archive(browser, asset_id: int, archived: bool = True) -> None:
    answer = browser.post(f"/assets/{asset_id}/archive", data={"archived": "1" if archived else "0"})
    assert answer.status_code == 303, answer.status_code


def fresh(model, id_):
    db.session.commit()
    return db.session.get(model, id_)


def masked(response) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]*"|name="csrf_token" value="[^"]*"', "CSRF", response.get_data(as_text=True))


def test_archiving_mid_review_cancels_the_review_and_says_who(sent, member_browser, member):
    version, review = sent
    asset_id = version.asset_id
    archive(member_browser, asset_id)

    review = fresh(Review, review.id)
    assert review.status == ReviewStatus.CANCELLED and review.closed_at is not None
    assert [s.status for s in review.stages] == [StageStatus.CANCELLED, StageStatus.CANCELLED], \
        "the open stage and the one still to come"
    assert fresh(Asset, asset_id).status == AssetStatus.DRAFT
    rows = db.session.scalars(select(Activity).where(Activity.action.in_(["asset.archived", "review.cancelled"]))
                              .order_by(Activity.id)).all()
    assert [(r.action, r.actor_label) for r in rows] == [("asset.archived", member.email),
                                                         ("review.cancelled", member.email)]
    assert rows[1].subject_id == review.id and rows[1].data["reason"] == "the asset was archived"
    assert verify_chain() == []

    archive(member_browser, asset_id)  # a second click
    assert db.session.scalar(select(func.count(Activity.id)).where(Activity.action == "asset.archived")) == 1


def test_the_emailed_links_stop_working(sent, smtp_server, member_browser, make_client, contact):
    version, _review = sent
    gina = make_client()
    page = land(gina, latest_link(smtp_server, GUEST))  # Gina has the page open ...
    form = {"verdict": "approved", "version_id": version.id, "request_key": form_key(page)}
    archive(member_browser, version.asset_id)

    refused = gina.post("/e/decide", data=form)  # ... and decides after the asset was archived
    unknown = make_client().get("/e/" + secrets.token_urlsafe(32))
    assert refused.status_code == 404
    assert "This link is no longer valid" in text_of(refused) and "Ask the sender for a new one" in text_of(refused)
    opened = make_client().get(latest_link(smtp_server, contact.email))
    assert (opened.status_code, masked(opened)) == (unknown.status_code, masked(unknown)), \
        "the same page as any dead link (E5)"
    assert gina.get("/e/").status_code == 404
    assert db.session.scalar(select(func.count(Decision.id))) == 0


def test_a_signed_in_reviewer_cannot_decide_any_more(sent, member_browser, make_client, login, contact):
    version, _review = sent
    cleo = make_client()
    login(cleo, contact)
    page = cleo.get(f"/review/versions/{version.id}")
    form = {"verdict": "approved", "version_id": version.id, "request_key": form_key(page)}
    archive(member_browser, version.asset_id)
    answer = cleo.post(f"/review/versions/{version.id}/decide", data=form)
    assert answer.status_code == 409
    assert "was archived, so its review has ended" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Decision.id))) == 0

    cleo_seat = db.session.scalar(select(Participant).where(Participant.email == contact.email))
    who = engine.Identity(channel=engine.Channel.VIEWER, identified_by="account", name=contact.name,
                          email=contact.email, user=contact)
    with pytest.raises(engine.AssetArchived, match="was archived, so its review has ended"):
        engine.decide(cleo_seat, version.id, Verdict.APPROVED, "", who)


def test_nobody_is_reminded_and_nothing_is_owed(request_ctx, owner, member, contact, project, set_workflow, upload,
                                                outbox):
    set_workflow(project, owner, [("Client", "all", 1, [contact, GUEST])])
    version = upload(member, project)
    engine.send_for_review(member, version, now=MONDAY)
    db.session.commit()
    assert services.owed_by(contact) != []
    from revue.assets.services import set_archived

    set_archived(member, version.asset, True)
    db.session.commit()
    for days in (1.1, 2.1, 4.1, 9):
        assert services.send_reminders(now=MONDAY + timedelta(days=days)) == 0
    assert [m.kind for m in outbox() if m.kind == "reminder"] == []
    assert services.owed_by(contact) == []


def test_a_review_request_not_sent_yet_is_never_sent(request_ctx, owner, member, contact, project, set_workflow,
                                                     upload, outbox, request):
    """No SMTP when it was sent for review: the requests wait in the outbox. Archived before they went
    out, they are withdrawn at once (their links would open nothing) and never sent once SMTP is set up."""
    set_workflow(project, owner, [("Client", "all", 1, [contact, GUEST])])
    version = upload(member, project)
    engine.send_for_review(member, version)
    db.session.commit()
    assert {m.status for m in outbox()} == {"pending"}
    from revue.assets.services import set_archived

    set_archived(member, version.asset, True)
    db.session.commit()
    messages = outbox()
    assert {m.status for m in messages} == {"failed"}
    assert all(m.last_error == f"not sent: the review of {version.asset.title} v1 has ended (the asset was "
               "archived)" for m in messages)

    smtp_server = request.getfixturevalue("smtp_server")
    assert sweep() == 0
    assert smtp_server.messages == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == "sent")) == 0


def test_the_board_shows_the_card_as_it_stands(sent, member_browser, project):
    version, _review = sent
    card = f'data-asset="{version.asset_id}"'
    assert card in member_browser.get(f"/board/projects/{project.id}").get_data(as_text=True)
    archive(member_browser, version.asset_id)
    assert card not in member_browser.get(f"/board/projects/{project.id}").get_data(as_text=True)
    archived = member_browser.get(f"/board/projects/{project.id}?archived=1").get_data(as_text=True)
    drafts = re.search(r'<section class="board-col col-draft"(.*?)</section>', archived, re.S).group(1)
    assert card in drafts, "no longer in review: back to where the work stands"


def test_restoring_reopens_nothing_and_the_member_sends_again(sent, smtp_server, member_browser, make_client, member):
    version, review = sent
    old_link = latest_link(smtp_server, GUEST)
    archive(member_browser, version.asset_id)
    archive(member_browser, version.asset_id, archived=False)
    assert fresh(Review, review.id).status == ReviewStatus.CANCELLED
    assert fresh(Asset, version.asset_id).status == AssetStatus.DRAFT
    assert make_client().get(old_link).status_code == 404, "the old link stays dead"

    assert member_browser.post(f"/review/versions/{version.id}/send").status_code == 303
    smtp_server.wait(4)
    new_link = latest_link(smtp_server, GUEST)
    assert new_link != old_link
    gina = make_client()
    page = land(gina, new_link)
    answer = gina.post("/e/decide", data={"verdict": "approved", "version_id": version.id,
                                          "request_key": form_key(page)})
    assert answer.status_code == 303
    assert fresh(Asset, version.asset_id).status == AssetStatus.IN_REVIEW


def test_an_archived_asset_cannot_be_sent_or_reopened(request_ctx, owner, member, project, set_workflow, upload):
    set_workflow(project, owner, [("Internal", "any", 1, [member])])
    version = upload(member, project)
    review = engine.send_for_review(member, version)
    seat = review.stages[0].participants[0]
    who = engine.Identity(channel=engine.Channel.VIEWER, identified_by="account", name=member.name,
                          email=member.email, user=member)
    engine.decide(seat, version.id, Verdict.APPROVED, "", who)
    from revue.assets.services import set_archived

    set_archived(member, version.asset, True)  # finished work is archived: it stays approved
    db.session.commit()
    assert fresh(Review, review.id).status == ReviewStatus.APPROVED
    assert fresh(Asset, version.asset_id).status == AssetStatus.APPROVED
    with pytest.raises(Conflict, match="archived. Restore it first"):
        engine.reopen(owner, review)
    with pytest.raises(Conflict, match="archived. Restore it first"):
        engine.send_for_review(member, version)
