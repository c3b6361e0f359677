"""Reminders and digests on a clock the test controls.

The review goes out on Monday 2 November 2026 at 10:00 UTC; its stage is due two business days
later, Wednesday at 10:00. With the default settings a reviewer who owes a decision hears about it
a day before it is due, on the due day, then every two days — never twice within a day — until
they decide, are removed, or unsubscribe.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from revue.db import db
from revue.review import engine, services
from revue.review.models import EmailOptOut, Notification, Participant, Verdict

from .conftest import latest_link

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
GUEST = "gina@guest.example"


def at(days: float = 0, hours: float = 0) -> datetime:
    return MONDAY + timedelta(days=days, hours=hours)


@pytest.fixture
def review(request_ctx, owner, member, contact, project, set_workflow, upload):
    set_workflow(project, owner, [("Client", "all", 1, [contact, GUEST])])
    version = upload(member, project)
    made = engine.send_for_review(member, version, now=MONDAY)
    db.session.commit()
    return made


def reminded(outbox, *addresses) -> dict[str, list[str]]:
    """Subjects of the reminder emails each address got so far."""
    return {address: [m.subject for m in outbox(address) if m.kind == "reminder"] for address in addresses}


def run(when: datetime) -> list[str]:
    """The hourly job at ``when``: who got a reminder."""
    due = sorted(p.email for p in services.due_reminders(when))
    sent = services.send_reminders(now=when)
    assert sent == len(due)
    return due


def test_the_stage_is_due_two_business_days_after_it_opened(review):
    assert review.stages[0].due_at == datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
    assert engine.add_business_days(datetime(2026, 11, 6, 10, tzinfo=UTC), 2) == datetime(2026, 11, 10, 10,
                                                                                          tzinfo=UTC)


def test_reminders_a_day_before_on_the_due_day_and_every_two_days(review, outbox, contact):
    everyone = sorted([contact.email, GUEST])
    assert run(at(hours=1)) == []
    assert run(at(days=1, hours=-0.5)) == [], "not before a day before it is due"
    assert run(at(days=1, hours=0.5)) == everyone
    assert run(at(days=1, hours=1.5)) == [], "once in the day before"
    assert run(at(days=1, hours=20)) == []
    assert run(at(days=2, hours=-1)) == [], "due day, but before it is due: the day-before reminder is enough"
    assert run(at(days=2, hours=0.5)) == everyone, "due now"
    assert run(at(days=3, hours=0.5)) == [], "every two days, not every day"
    assert run(at(days=4, hours=0.5)) == everyone
    assert run(at(days=4, hours=5)) == []
    assert run(at(days=6, hours=0.6)) == everyone
    subjects = reminded(outbox, contact.email)[contact.email]
    title = review.asset.title
    assert subjects == [f"Reminder: {title} v1 needs your review"] + [f"Overdue: {title} v1 needs your review"] * 3


def test_who_decided_or_was_removed_hears_nothing_more(review, outbox, owner, contact):
    cleo = db.session.scalar(select(Participant).where(Participant.email == contact.email))
    who = engine.Identity(channel=engine.Channel.EMAIL_LINK, identified_by="email_link", name="Cleo",
                          email=contact.email)
    engine.decide(cleo, review.version_id, Verdict.APPROVED, "", who, now=at(hours=2))
    db.session.commit()
    assert run(at(days=1, hours=0.5)) == [GUEST]
    gina = db.session.scalar(select(Participant).where(Participant.email == GUEST))
    engine.remove_participant(owner, gina, now=at(days=1, hours=3))
    db.session.commit()
    assert run(at(days=2, hours=0.5)) == []
    assert reminded(outbox, contact.email, GUEST) == {contact.email: [], GUEST: [
        f"Reminder: {review.asset.title} v1 needs your review"]}


def test_a_closed_review_sends_no_reminders(review, member, project, upload):
    upload(member, project, asset=review.asset)  # v2 ends the round
    assert run(at(days=1, hours=0.5)) == []
    assert run(at(days=9)) == []


def test_reminder_settings_are_the_workspaces(review, workspace, contact):
    workspace.options = {"remind_before_days": 0, "remind_every_days": 1}
    db.session.commit()
    assert run(at(days=1, hours=0.5)) == [], "no day-before reminder"
    assert run(at(days=2, hours=0.5)) == sorted([contact.email, GUEST])
    assert run(at(days=3, hours=0.5)) == sorted([contact.email, GUEST]), "every day"


def test_one_click_unsubscribe_stops_the_emails_to_that_address(review, smtp_server, make_client, outbox, member):
    services.send_reminders(now=at(days=1, hours=0.5))
    smtp_server.wait(2)
    message = [m for m in smtp_server.to(GUEST) if m["Subject"].startswith("Reminder")][-1]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://revue.example.com/e/unsubscribe/"), "the configured public URL (E8)"
    assert latest_link(smtp_server, GUEST)

    mail_client = make_client()  # what a mail client does: a bare POST, no cookies, no CSRF token
    answer = mail_client.post(urlsplit(url).path, data="List-Unsubscribe=One-Click", csrf=False,
                              content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200
    assert db.session.scalars(select(EmailOptOut.email)).all() == [GUEST]
    tampered = make_client().post(urlsplit(url).path[:-3] + "abc", csrf=False)
    assert tampered.status_code == 404

    before = len(outbox(GUEST))
    assert run(at(days=2, hours=0.5)) == sorted([GUEST, "cleo@acme.example"])
    services.nudge(member, db.session.scalar(select(Participant).where(Participant.email == GUEST)))
    db.session.commit()
    assert len(outbox(GUEST)) == before, "nothing more to that address"
    assert len(outbox("cleo@acme.example")) == 3, "Cleo still hears: request, reminder, reminder"
    kinds = db.session.scalars(select(Notification.kind).where(Notification.email == GUEST)
                               .order_by(Notification.id)).all()
    assert kinds == ["review_request", "reminder", "reminder", "reminder"], "the in-app record stays"


# -- digests ---------------------------------------------------------------------------------------------------


@pytest.fixture
def daily_member(member):
    member.notification_prefs = {"decision": "daily", "changes": "daily", "approved": "daily"}
    db.session.commit()
    return member


def test_a_daily_digest_gathers_the_days_notifications(review, daily_member, teammate, contact, outbox, smtp_server):
    teammate.notification_prefs = {"decision": "hourly"}
    db.session.commit()
    cleo = db.session.scalar(select(Participant).where(Participant.email == contact.email))
    who = engine.Identity(channel=engine.Channel.EMAIL_LINK, identified_by="email_link", name="Cleo",
                          email=contact.email)
    engine.decide(cleo, review.version_id, Verdict.APPROVED, "", who, now=at(hours=3))
    gina = db.session.scalar(select(Participant).where(Participant.email == GUEST))
    who = engine.Identity(channel=engine.Channel.EMAIL_LINK, identified_by="email_link", name="Gina", email=GUEST)
    engine.decide(gina, review.version_id, Verdict.APPROVED, "", who, now=at(hours=4))
    db.session.commit()
    assert [m.kind for m in outbox(daily_member.email)] == [], "daily: nothing at once"

    assert services.send_digests("hourly", now=at(hours=5)) == 0, "the member who sent it is on daily"
    assert services.send_digests("daily", now=at(days=1)) == 1
    digests = outbox(daily_member.email)
    assert [m.kind for m in digests] == ["digest"]
    assert digests[0].subject == "Your Revue daily summary: 2 updates", "Cleo's approval; Gina's ends the review"
    body = digests[0].text_body
    assert body.count(f"{review.asset.title} v1") == 2 and "is approved" in body
    assert services.send_digests("daily", now=at(days=2)) == 0, "each notification goes out once"
    smtp_server.wait(1)
    assert [m["Subject"] for m in smtp_server.to(daily_member.email)] == [digests[0].subject]


def test_a_digest_lists_the_decisions_a_person_owes(request_ctx, owner, member, teammate, project, set_workflow,
                                                     upload, outbox):
    teammate.notification_prefs = {"decision": "daily"}
    db.session.commit()
    set_workflow(project, owner, [("Internal", "all", 1, [member, teammate], True)])
    version = upload(member, project)
    review = engine.send_for_review(teammate, version, now=MONDAY)  # Theo hears about decisions on it
    db.session.commit()
    mia = db.session.scalar(select(Participant).where(Participant.email == member.email))
    who = engine.Identity(channel=engine.Channel.VIEWER, identified_by="account", name=member.name,
                          email=member.email, user=member)
    engine.decide(mia, version.id, Verdict.APPROVED, "", who, now=at(hours=1))
    db.session.commit()
    assert services.send_digests("daily", now=at(days=1)) == 1
    body = outbox(teammate.email)[-1].text_body
    assert "Decisions you owe:" in body and f"/review/versions/{version.id}" in body
    assert review.stages[0].status.value == "open"


def test_no_digest_for_an_address_that_unsubscribed(review, daily_member, contact):
    cleo = db.session.scalar(select(Participant).where(Participant.email == contact.email))
    who = engine.Identity(channel=engine.Channel.EMAIL_LINK, identified_by="email_link", name="Cleo",
                          email=contact.email)
    engine.decide(cleo, review.version_id, Verdict.APPROVED, "", who, now=at(hours=3))
    db.session.add(EmailOptOut(email=daily_member.email))
    db.session.commit()
    assert services.send_digests("daily", now=at(days=1)) == 0


def test_due_dates_in_emails_are_on_the_workspace_clock(request_ctx, owner, member, contact, project, set_workflow,
                                                        upload, outbox, workspace):
    """Due Wednesday 13:00 UTC is already Thursday in Auckland: the email says Thursday."""
    workspace.timezone = "Pacific/Auckland"
    set_workflow(project, owner, [("Client", "all", 1, [contact])])
    engine.send_for_review(member, upload(member, project), now=at(hours=3))
    db.session.commit()
    request = next(m for m in outbox(contact.email) if m.kind == "review_request")
    assert "Please reply by Thursday 05 November" in request.text_body
    assert "Thursday 05 November" in request.html_body
