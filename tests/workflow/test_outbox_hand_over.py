"""A fresh install without SMTP: an admin hands a review request over by hand (Settings → Outbox).

The personal link in a review request is made only as the email goes out (E3), so the outbox holds a
placeholder. The admin never sees that placeholder as if it were the link; "Create the link" makes it
exactly as sending would, shows the email once to copy, and marks it handed over so the worker never
sends it (with a second, different link) later.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from revue.activity import Activity
from revue.assets.services import set_archived
from revue.db import db
from revue.mail import OutboxMessage, deliver, sweep
from revue.review import engine
from revue.review.models import ActionToken, Decision
from revue.tokens import digest

from .conftest import BASE_URL, form_key, text_of

GUEST = "gina@guest.example"
LINK = re.compile(re.escape(BASE_URL) + r"/e/([A-Za-z0-9_-]{40,})")


@pytest.fixture
def waiting(request_ctx, owner, member, contact, project, set_workflow, upload):
    """v1 sent to Cleo and a guest with no SMTP configured: two review requests wait in the outbox."""
    set_workflow(project, owner, [("Client", "all", 1, [contact, GUEST])])
    version = upload(member, project)
    engine.send_for_review(member, version)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addr == GUEST))
    assert message.status == "pending" and "{{revue:token:" in message.text_body
    return version, message


@pytest.fixture
def admin(make_client, login, owner):
    browser = make_client()
    login(browser, owner)
    return browser


def hand_over(browser, message_id: int, **kwargs):
    return browser.post(f"/settings/outbox/{message_id}/hand-over", **kwargs)


def tokens() -> int:
    found = db.session.scalar(select(func.count(ActionToken.id)))
    db.session.commit()
    return found


def status_of(message_id: int) -> str:
    db.session.commit()
    return db.session.get(OutboxMessage, message_id).status


def test_the_page_never_shows_the_placeholder_as_the_link(waiting, admin):
    _version, message = waiting
    page = admin.get(f"/settings/outbox/{message.id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "{{revue:" not in body
    assert "[the personal link is created when sent]" in text_of(page)
    assert "Create the link" in body
    as_html = admin.get(f"/settings/outbox/{message.id}/html").get_data(as_text=True)
    assert "{{revue:" not in as_html and "[the personal link is created when sent]" in as_html
    assert tokens() == 0, "reading the page makes nothing"


def test_creating_the_link_gives_a_working_link_once(waiting, admin, make_client, owner):
    version, message = waiting
    answer = hand_over(admin, message.id)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.get_data(as_text=True)
    links = set(LINK.findall(body))
    assert len(links) == 1, "one link, shown in the email and beside its copy button"
    raw = links.pop()
    assert f'data-copy="{BASE_URL}/e/{raw}"' in body and "Copy the whole email" in body
    assert "{{revue:" not in body
    assert db.session.scalars(select(ActionToken.token_hash)).all() == [digest(raw)], "only its hash is kept"
    assert status_of(message.id) == "handed_over"
    row = db.session.scalars(select(Activity).where(Activity.action == "mail.handed_over")).one()
    assert (row.actor_label, row.subject_id, row.data["to"]) == (owner.email, message.id, GUEST)

    later = admin.get(f"/settings/outbox/{message.id}")  # the page again: the link is not shown again
    assert raw not in later.get_data(as_text=True) and "Create the link" not in later.get_data(as_text=True)
    assert f"Handed over by {owner.email}" in text_of(later)
    assert "Handed over" in text_of(admin.get("/settings/outbox"))

    gina = make_client()  # Gina, no account, opens the link the admin pasted into an email
    landing = gina.get(urlsplit(f"{BASE_URL}/e/{raw}").path)
    assert landing.status_code == 303
    page = gina.get(landing.headers["Location"])
    assert page.status_code == 200 and version.asset.title in text_of(page)
    decided = gina.post("/e/decide", data={"verdict": "approved", "version_id": version.id,
                                           "request_key": form_key(page)})
    assert decided.status_code == 303
    decision = db.session.scalars(select(Decision)).one()
    assert (decision.reviewer_email, decision.identified_by) == (GUEST, "email_link")


def test_the_worker_never_sends_a_handed_over_email(waiting, admin, request):
    _version, message = waiting
    assert hand_over(admin, message.id).status_code == 200
    smtp_server = request.getfixturevalue("smtp_server")  # SMTP set up afterwards
    assert sweep() == 1, "only Cleo's request is still due"
    smtp_server.wait(1)
    assert [m["To"] for m in smtp_server.messages] == ["Cleo Client <cleo@acme.example>"]
    assert deliver(message.id) == "skipped"
    assert status_of(message.id) == "handed_over" and tokens() == 2


def test_a_link_is_made_once_and_never_for_a_sent_email(waiting, admin, request):
    _version, message = waiting
    assert hand_over(admin, message.id).status_code == 200
    again = hand_over(admin, message.id)
    assert again.status_code == 409 and "can't be made again" in text_of(again)
    assert tokens() == 1

    request.getfixturevalue("smtp_server")  # SMTP set up: Cleo's request goes out
    cleo_message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addr == "cleo@acme.example"))
    db.session.commit()
    assert sweep() == 1 and status_of(cleo_message.id) == "sent"
    sent = hand_over(admin, cleo_message.id)
    assert sent.status_code == 409 and "can't be made again" in text_of(sent)
    assert tokens() == 2, "the one sent with the email, and the one handed over; no third"


def test_no_link_for_a_review_that_ended(waiting, admin, member):
    version, message = waiting
    set_archived(member, version.asset, True)
    db.session.commit()
    answer = hand_over(admin, message.id)
    assert answer.status_code == 409
    assert f"the review of {version.asset.title} v1 has ended" in text_of(answer)
    assert status_of(message.id) == "failed" and tokens() == 0, "withdrawn when the review ended"


def test_an_email_without_a_link_has_nothing_to_create(app_ctx, admin, owner):
    from revue.accounts import services as accounts

    accounts.request_password_reset(owner.email)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    assert "Create the link" not in admin.get(f"/settings/outbox/{message.id}").get_data(as_text=True)
    answer = hand_over(admin, message.id)
    assert answer.status_code == 409 and status_of(message.id) == "pending"


def test_only_admins_may_create_the_link(waiting, make_client, login, member, contact):
    _version, message = waiting
    team = make_client()
    login(team, member)
    client_contact = make_client()
    login(client_contact, contact)
    assert hand_over(team, message.id).status_code == 403
    assert hand_over(client_contact, message.id).status_code == 404
    anonymous = hand_over(make_client(), message.id)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/account/login")
    assert status_of(message.id) == "pending" and tokens() == 0


def test_creating_the_link_needs_the_csrf_token(waiting, admin):
    _version, message = waiting
    answer = hand_over(admin, message.id, csrf=False)
    assert answer.status_code == 400
    assert status_of(message.id) == "pending" and tokens() == 0
