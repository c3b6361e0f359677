"""What people are told, and only once: one notification per person per event, none left waiting once a review
ends, confirmations that say where email went, and contacts invited but not signed up yet as reviewers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from revue.accounts import services as accounts
from revue.accounts.models import Role
from revue.db import db, utcnow
from revue.review import engine, services
from revue.review.models import Channel, Notification, Participant, Verdict

from .conftest import text_of

GUEST = "gina@guest.example"


def notes(user) -> list[Notification]:
    found = db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                               .order_by(Notification.id)).all()
    db.session.commit()
    return found


def as_contact(participant, user) -> engine.Identity:
    return engine.Identity(channel=Channel.VIEWER, identified_by="account", name=user.name, email=user.email,
                           user=user)


@pytest.fixture
def sent(request_ctx, owner, member, contact, project, set_workflow, upload):
    """v1 sent by Mia to one client stage with Cleo; no mail server, so the requests wait in the outbox."""
    set_workflow(project, owner, [("Client", "all", 1, [contact])])
    version = upload(member, project)
    review = engine.send_for_review(member, version)
    db.session.commit()
    return version, review


# -- one notification per person per event -------------------------------------------------------------


def test_a_request_for_changes_is_told_once(sent, member, contact, outbox):
    version, _review = sent
    cleo = db.session.scalar(select(Participant).where(Participant.email == contact.email))
    engine.decide(cleo, version.id, Verdict.CHANGES_REQUESTED, "Make the logo bigger.", as_contact(cleo, contact))
    db.session.commit()
    [note] = notes(member)
    assert (note.kind, note.title) == ("changes", f"Cleo Client: Changes requested — {version.asset.title} v1")
    [mail] = outbox(member.email)
    assert mail.subject == f"Changes requested: {version.asset.title} v1"
    assert "Make the logo bigger." in mail.text_body, "the reviewer's note is in the one email"


def test_the_approval_that_ends_a_review_is_told_once(sent, member, contact, outbox):
    version, _review = sent
    cleo = db.session.scalar(select(Participant).where(Participant.email == contact.email))
    engine.decide(cleo, version.id, Verdict.APPROVED, "", as_contact(cleo, contact))
    db.session.commit()
    assert [(n.kind, n.title) for n in notes(member)] == [("approved", f"{version.asset.title} v1 is approved")]
    assert [m.kind for m in outbox(member.email)] == ["approved"]


def test_a_decision_that_leaves_the_review_open_is_told(request_ctx, owner, member, contact, contact2, project,
                                                        set_workflow, upload):
    set_workflow(project, owner, [("Client", "all", 1, [contact, contact2])])
    version = upload(member, project)
    engine.send_for_review(member, version)
    cleo = db.session.scalar(select(Participant).where(Participant.email == contact.email))
    engine.decide(cleo, version.id, Verdict.APPROVED, "", as_contact(cleo, contact))
    db.session.commit()
    assert [n.kind for n in notes(member)] == ["decision"]


# -- a review that ends leaves nobody waiting ---------------------------------------------------------------


def waiting_for(user) -> list[Notification]:
    return [n for n in notes(user) if n.kind == "review_request" and n.read_at is None]


@pytest.mark.parametrize("end, reason", [
    ("new version", "v2 was uploaded"),
    ("recorded approval", "an approval was recorded"),
    ("archive", "the asset was archived"),
])
def test_when_a_review_ends_its_requests_stop_waiting(end, reason, sent, member, contact, project, upload, outbox):
    version, _review = sent
    assert len(waiting_for(contact)) == 1
    assert [m.status for m in outbox(contact.email)] == ["pending"]
    if end == "new version":
        upload(member, project, asset=version.asset)
    elif end == "recorded approval":
        services.record_approval(member, version, "Approved on the phone")
    else:
        from revue.assets.services import set_archived

        set_archived(member, version.asset, True)
    db.session.commit()
    assert waiting_for(contact) == [], "the bell no longer says it is waiting for her"
    assert services.owed_by(contact) == []
    [request] = outbox(contact.email)
    assert request.status == "failed"
    assert request.last_error == f"not sent: the review of {version.asset.title} v1 has ended ({reason})"


def test_other_messages_are_left_alone(sent, member, contact, outbox):
    version, _review = sent
    accounts.request_password_reset(contact.email)
    db.session.commit()
    services.record_approval(member, version, "Approved on the phone")
    db.session.commit()
    assert [(m.kind, m.status) for m in outbox(contact.email)] == [("review_request", "failed"),
                                                                  ("security", "pending")]


# -- confirmations that tell the truth about email ---------------------------------------------------------


@pytest.mark.parametrize("who, expected", [
    ("owner", "v1 is in review; its review requests are waiting to be emailed. No mail server is set up yet: "
              "find them in Settings → Outbox."),
    ("member", "v1 is in review; its review requests are waiting to be emailed. They will be emailed once mail "
               "is set up."),
])
def test_without_smtp_sending_for_review_says_where_the_emails_wait(who, expected, request, owner, member, contact,
                                                                    project, set_workflow, upload, signed_in):
    set_workflow(project, owner, [("Client", "all", 1, [contact])])
    version = upload(member, project)
    page = signed_in(request.getfixturevalue(who)).post(f"/review/versions/{version.id}/send", follow_redirects=True)
    assert expected in text_of(page) and "were emailed" not in text_of(page)


def test_with_smtp_sending_for_review_says_the_links_were_emailed(smtp_server, owner, member, contact, project,
                                                                  set_workflow, upload, signed_in):
    set_workflow(project, owner, [("Client", "all", 1, [contact])])
    version = upload(member, project)
    page = signed_in(member).post(f"/review/versions/{version.id}/send", follow_redirects=True)
    assert "v1 is in review. Reviewers were emailed their links." in text_of(page)


def test_adding_a_reviewer_and_a_reminder_say_where_the_email_waits(sent, owner, contact, signed_in):
    _version, review = sent
    as_owner = signed_in(owner)
    page = as_owner.post(f"/review/reviews/{review.id}/reviewers", data={"email": GUEST, "name": "Gina"},
                         follow_redirects=True)
    assert f"{GUEST} was added; their link is waiting to be emailed. No mail server is set up yet" in text_of(page)
    cleo = db.session.scalar(select(Participant).where(Participant.email == contact.email))
    db.session.commit()
    page = as_owner.post(f"/review/participants/{cleo.id}/nudge", follow_redirects=True)
    assert "The reminder to Cleo Client is waiting to be emailed." in text_of(page)


# -- contacts invited but not signed up yet ------------------------------------------------------------------


def invite(owner, client, email: str, name: str):
    invitation = accounts.invite(owner, email, Role.CLIENT, name=name, client=client)
    db.session.commit()
    return invitation


def test_every_contact_includes_those_invited(request_ctx, owner, member, acme, project, set_workflow, upload,
                                              outbox):
    invite(owner, acme, "nia@acme.example", "Nia New")
    expired = invite(owner, acme, "old@acme.example", "Old Invite")
    expired.expires_at = utcnow() - timedelta(days=1)
    revoked = invite(owner, acme, "gone@acme.example", "")
    accounts.revoke_invitation(owner, revoked)
    db.session.commit()
    set_workflow(project, owner, [("Client", "all", 1, ["contacts"])])
    version = upload(member, project)
    review = engine.send_for_review(member, version)
    db.session.commit()
    assert [(p.email, p.name, p.user_id) for p in review.stages[0].participants] == [
        ("nia@acme.example", "Nia New", None)]
    assert [m.kind for m in outbox("nia@acme.example")] == ["invitation", "review_request"]


def test_only_expired_invitations_are_nobody(request_ctx, owner, member, acme, project, set_workflow, upload):
    expired = invite(owner, acme, "old@acme.example", "Old Invite")
    expired.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    set_workflow(project, owner, [("Client", "all", 1, ["contacts"])])
    version = upload(member, project)
    with pytest.raises(engine.DomainError, match="has nobody who can decide"):
        engine.send_for_review(member, version)


def test_an_invited_contact_who_signs_up_decides_in_the_app(request_ctx, owner, member, acme, project, set_workflow,
                                                            upload):
    from revue.assets.access import can_see_version

    invitation = invite(owner, acme, "nia@acme.example", "Nia New")
    set_workflow(project, owner, [("Client", "all", 1, ["contacts"])])
    version = upload(member, project)
    review = engine.send_for_review(member, version)
    db.session.commit()
    nia = accounts.accept_invitation(invitation, "Nia New", "a long enough password")
    db.session.commit()
    assert can_see_version(nia, version)
    assert engine.participant_for(review, nia) is not None
