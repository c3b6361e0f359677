"""Notifications under the bell: @mentions go through them (with the person's preference), and opening one marks
it read."""

from __future__ import annotations

from sqlalchemy import select

from revue.db import db, utcnow
from revue.review.models import Notification

from .conftest import text_of
from .test_comments import post_comment


def notes_of(user) -> list[Notification]:
    found = db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                               .order_by(Notification.id)).all()
    db.session.commit()
    return found


def unread_badge(page) -> str:
    import re

    found = re.search(r'class="bell-count">(\d+)<', page.get_data(as_text=True))
    return found.group(1) if found else ""


def test_a_mention_shows_under_the_bell_and_is_emailed(version, member, teammate, as_member, signed_in, outbox,
                                                       comments_of):
    post_comment(as_member, version, "@theo can you check the kerning?")
    [comment] = comments_of(version)
    [note] = notes_of(teammate)
    assert (note.kind, note.url) == ("mention", f"/review/versions/{version.id}#c{comment.id}")
    assert note.title == f"Mia Member mentioned you on “{version.asset.title}” v1"
    [mail] = outbox(teammate.email)
    assert mail.kind == "mention" and "can you check the kerning" in mail.text_body

    theo = signed_in(teammate)
    page = theo.get("/review/notifications")
    assert note.title in text_of(page) and unread_badge(page) == "1"


def test_a_mention_follows_the_persons_preference(app, version, member, teammate, as_member, outbox):
    from revue.review import services

    teammate.notification_prefs = {"mention": "off"}
    db.session.commit()
    post_comment(as_member, version, "@theo first")
    assert [n.kind for n in notes_of(teammate)] == ["mention"], "still under the bell"
    assert outbox(teammate.email) == [], "Off: no email"

    teammate.notification_prefs = {"mention": "hourly"}
    db.session.commit()
    post_comment(as_member, version, "@theo second")
    assert outbox(teammate.email) == [], "hourly: in the digest, not at once"
    with app.test_request_context("/", base_url=app.config["BASE_URL"]):  # as the digest job runs
        assert services.send_digests("hourly", now=utcnow()) == 1
    [digest] = outbox(teammate.email)
    assert digest.kind == "digest" and "mentioned you" in digest.text_body


def test_an_internal_comment_never_notifies_a_client(shared, member, contact, as_member, outbox):
    post_comment(as_member, shared, "@cleo the budget is blown", internal="1")
    assert notes_of(contact) == [] and outbox(contact.email) == []
    post_comment(as_member, shared, "@cleo please have a look")
    assert [n.kind for n in notes_of(contact)] == ["mention"]


def test_opening_a_notification_marks_it_read(version, member, teammate, as_member, signed_in):
    post_comment(as_member, version, "@theo one")
    post_comment(as_member, version, "@theo two")
    first, second = notes_of(teammate)
    theo = signed_in(teammate)
    page = theo.get("/review/notifications")
    assert unread_badge(page) == "2"
    assert f'name="notification" value="{first.id}"' in page.get_data(as_text=True)

    answer = theo.post("/review/notifications/read", data={"notification": first.id})
    assert answer.status_code == 303 and answer.headers["Location"] == first.url
    first, second = notes_of(teammate)
    assert first.read_at is not None and second.read_at is None, "only the one opened"
    page = theo.get("/review/notifications")
    assert unread_badge(page) == "1" and text_of(page).count("New") == 1
    assert f'<a href="{first.url}">' in page.get_data(as_text=True), "a read one is a plain link"


def test_nobody_opens_someone_elses_notification(version, member, teammate, as_member):
    post_comment(as_member, version, "@theo yours")
    [note] = notes_of(teammate)
    answer = as_member.post("/review/notifications/read", data={"notification": note.id})
    assert answer.status_code == 404
    assert notes_of(teammate)[0].read_at is None
