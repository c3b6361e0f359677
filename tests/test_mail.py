"""SECURITY I6 and E8: the outbox sends every email once, retries what may succeed later,
gives up on what never will, recovers from a killed worker, and links to BASE_URL only.

Mail goes to a real SMTP server (aiosmtpd) on localhost.
"""

from __future__ import annotations

import re
import socket
import time
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select, update

from revue import mail
from revue.db import db, utcnow
from revue.mail import MAX_ATTEMPTS, OutboxMessage

BASE_URL = "https://revue.example.com"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ScriptedHandler:
    """An SMTP server whose answers the test chooses."""

    def __init__(self):
        self.rcpt_reply: str | None = None
        self.data_reply = "250 OK"
        self.received: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply.startswith("250"):
            self.received.append(envelope.content)
        return self.data_reply


@pytest.fixture
def scripted_smtp(app, monkeypatch):
    from aiosmtpd.controller import Controller

    handler, port = ScriptedHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_TLS": "none"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield handler
    controller.stop()


@pytest.fixture
def dead_smtp(app, monkeypatch):
    """An SMTP host that refuses connections: nothing listens on the port."""
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": free_port(), "SMTP_TLS": "none"}.items():
        monkeypatch.setitem(app.config, key, value)


@pytest.fixture
def recipient(create_user):
    return create_user("member", name="Rita Recipient", email="rita@example.com")


def queue_one(user, **overrides) -> int:
    message = mail.queue(overrides.get("to", user.email), overrides.get("subject", "Your Revue password was changed"),
                         "password_changed", kind="security", to_name=overrides.get("to_name", user.name), user=user)
    return message.id


def row(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def make_due(message_id: int) -> None:
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def outbox_count() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)))


# -- the transaction decides -------------------------------------------------------------


def test_rollback_queues_and_sends_nothing(app_ctx, smtp_server, recipient):
    queue_one(recipient)
    assert outbox_count() == 1  # visible inside the transaction
    db.session.rollback()
    assert outbox_count() == 0
    time.sleep(0.3)
    assert smtp_server.messages == []


def test_nothing_is_sent_before_commit(app_ctx, smtp_server, recipient):
    message_id = queue_one(recipient)
    time.sleep(0.3)
    assert smtp_server.messages == []
    db.session.commit()
    smtp_server.wait(1)
    assert row(message_id).status == "sent"
    assert row(message_id).sent_at is not None


def test_a_failed_request_sends_nothing(client, login, owner, smtp_server):
    """The invitation is queued, then the request fails: no row, no email."""
    login(client, owner)
    from revue.accounts import services as accounts

    original = accounts.invite

    def invite_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("the request breaks after queueing")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "invite", invite_then_fail)
        mp.setitem(client.application.config, "PROPAGATE_EXCEPTIONS", False)
        response = client.post("/settings/members", data={"name": "Nora", "email": "nora@example.com",
                                                          "role": "member"})
    assert response.status_code == 500
    assert outbox_count() == 0
    time.sleep(0.3)
    assert smtp_server.messages == []


# -- once, and only once -------------------------------------------------------------------


def test_job_run_twice_sends_once(app_ctx, smtp_server, recipient):
    message_id = queue_one(recipient)
    db.session.commit()
    smtp_server.wait(1)
    mail.send_message(message_id)  # the queue delivered the job a second time
    assert mail.deliver(message_id) == "skipped"
    assert mail.sweep() == 0
    time.sleep(0.3)
    assert len(smtp_server.messages) == 1
    assert row(message_id).attempts == 1


def test_no_smtp_keeps_mail_pending(app_ctx, recipient):
    message_id = queue_one(recipient)
    db.session.commit()
    assert mail.deliver(message_id) == "pending"
    assert mail.sweep() == 0
    assert row(message_id).status == "pending" and row(message_id).attempts == 0


def test_pending_mail_goes_out_once_smtp_is_configured(app_ctx, recipient, smtp_server):
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(current_app.config, "SMTP_HOST", None)
        message_id = queue_one(recipient)
        db.session.commit()
        assert row(message_id).status == "pending"
    assert mail.sweep() == 1
    smtp_server.wait(1)
    assert row(message_id).status == "sent"


# -- failures ------------------------------------------------------------------------------


def test_server_down_retries_with_backoff(app_ctx, dead_smtp, recipient):
    message_id = queue_one(recipient)
    db.session.commit()  # the job runs at once and fails to connect
    first = row(message_id)
    assert first.status == "pending" and first.attempts == 1
    assert "Connection" in first.last_error or "refused" in first.last_error.lower()
    first_wait = first.next_attempt_at - utcnow()
    assert timedelta(seconds=20) < first_wait <= timedelta(seconds=30)

    assert mail.deliver(message_id) == "skipped"  # not due yet
    assert mail.sweep() == 0

    make_due(message_id)
    assert mail.deliver(message_id) == "pending"
    second = row(message_id)
    assert second.attempts == 2
    assert second.next_attempt_at - utcnow() > first_wait + timedelta(seconds=20)  # the wait doubles


def test_transient_failures_end_in_failed_after_the_last_attempt(app_ctx, dead_smtp, recipient):
    message_id = queue_one(recipient)
    db.session.commit()
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                       .values(attempts=MAX_ATTEMPTS - 1, next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert mail.deliver(message_id) == "failed"
    assert row(message_id).attempts == MAX_ATTEMPTS


def test_server_comes_back_and_the_sweeper_sends(app_ctx, recipient, smtp_server):
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(current_app.config, "SMTP_PORT", free_port())
        message_id = queue_one(recipient)
        db.session.commit()
        assert row(message_id).status == "pending"
    make_due(message_id)
    assert mail.sweep() == 1
    smtp_server.wait(1)
    assert row(message_id).status == "sent" and row(message_id).attempts == 2


@pytest.mark.parametrize("where", ["data", "rcpt"])
def test_451_is_retried(app_ctx, scripted_smtp, recipient, where):
    setattr(scripted_smtp, f"{where}_reply", "451 4.3.0 Try again later")
    message_id = queue_one(recipient)
    db.session.commit()
    message = row(message_id)
    assert message.status == "pending" and message.attempts == 1
    assert "451" in message.last_error
    assert message.next_attempt_at > utcnow()

    setattr(scripted_smtp, f"{where}_reply", None if where == "rcpt" else "250 OK")
    make_due(message_id)
    assert mail.sweep() == 1
    assert row(message_id).status == "sent"
    assert len(scripted_smtp.received) == 1


@pytest.mark.parametrize(("where", "reply"), [("data", "554 5.7.1 Message rejected"),
                                              ("rcpt", "550 5.1.1 No such user here")])
def test_permanent_5xx_fails_at_once(app_ctx, scripted_smtp, recipient, where, reply):
    setattr(scripted_smtp, f"{where}_reply", reply)
    message_id = queue_one(recipient)
    db.session.commit()
    message = row(message_id)
    assert message.status == "failed"
    assert message.attempts == 1
    assert reply[:3] in message.last_error
    make_due(message_id)
    assert mail.sweep() == 0  # never retried
    assert row(message_id).attempts == 1


def test_wrong_smtp_password_is_retried_not_failed(app, app_ctx, recipient, monkeypatch):
    """A login failure is the server's settings, not the message: fix them and mail still goes."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    handler, port = ScriptedHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, auth_require_tls=False,
                            authenticator=lambda *args: AuthResult(success=False, handled=False))
    controller.start()
    try:
        for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_TLS": "none",
                           "SMTP_USERNAME": "revue", "SMTP_PASSWORD": "wrong"}.items():
            monkeypatch.setitem(app.config, key, value)
        message_id = queue_one(recipient)
        db.session.commit()
    finally:
        controller.stop()
    message = row(message_id)
    assert message.status == "pending", message.last_error
    assert "535" in message.last_error


# -- a worker killed mid-send ---------------------------------------------------------------


def test_sweep_recovers_a_message_stuck_in_sending(app_ctx, smtp_server, recipient):
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(current_app.config, "SMTP_HOST", None)  # queue without sending
        stuck, recent, hopeless = queue_one(recipient), queue_one(recipient), queue_one(recipient)
        db.session.commit()
    now = utcnow()
    # What a worker killed between claiming and sending leaves behind:
    for message_id, claimed, attempts in ((stuck, now - timedelta(minutes=11), 1),
                                          (recent, now - timedelta(minutes=1), 1),
                                          (hopeless, now - timedelta(minutes=11), MAX_ATTEMPTS)):
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                           .values(status="sending", claimed_at=claimed, attempts=attempts))
    db.session.commit()

    assert mail.sweep() == 1
    smtp_server.wait(1)
    assert row(stuck).status == "sent" and row(stuck).attempts == 2
    assert row(recent).status == "sending"  # its worker may still be busy with it
    assert row(hopeless).status == "failed"
    time.sleep(0.2)
    assert len(smtp_server.messages) == 1


# -- what the email looks like ----------------------------------------------------------------


def test_header_injection_through_a_name_is_flattened(app_ctx, smtp_server, recipient):
    message_id = queue_one(recipient, to_name="Rita\r\nBcc: victim@evil.example",
                           subject="Hello\nBcc: victim@evil.example")
    db.session.commit()
    [email] = smtp_server.wait(1)
    assert email["Bcc"] is None
    assert "\n" not in email["Subject"]
    assert row(message_id).status == "sent"


def test_a_message_that_cannot_be_built_fails_instead_of_sticking(app_ctx, scripted_smtp, recipient):
    """A row written before names were flattened (or by other code) must not stay in 'sending'."""
    message_id = queue_one(recipient)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                       .values(subject="Broken\r\nBcc: x@evil.example"))
    db.session.commit()
    message = row(message_id)
    assert message.status == "failed"
    assert scripted_smtp.received == []


def _links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


def test_emails_have_branded_text_and_html_and_links_to_base_url(app, client, owner, smtp_server, monkeypatch):
    """Sent through a request whose Host header is an attacker's (E8)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # the test client keeps CSRF on localhost
    evil = {"base_url": "https://evil.example", "headers": {"Referer": "https://evil.example/"}}
    response = client.post("/account/login", data={"email": owner.email, "password": "correct horse battery staple"},
                           **evil)
    assert response.status_code == 303
    response = client.post("/settings/members", data={"name": "Nora New", "email": "nora@example.com",
                                                      "role": "member"}, **evil)
    assert response.status_code == 303
    response = client.post("/account/reset", data={"email": owner.email}, **evil)
    assert response.status_code == 200

    emails = smtp_server.wait(2)
    assert {e["To"].addresses[0].addr_spec for e in emails} == {"nora@example.com", owner.email}
    for email in emails:
        assert email.is_multipart() and email.get_content_type() == "multipart/alternative"
        text = email.get_body(preferencelist=("plain",)).get_content()
        html = email.get_body(preferencelist=("html",)).get_content()
        assert "Studio Test" in html and "#123456" in html  # the workspace's name and colour
        raw = email.as_string()
        assert "evil.example" not in raw
        links = _links(text) + _links(html)
        assert links, email["Subject"]
        assert all(link.startswith(BASE_URL + "/") for link in links), links
        assert email["Message-ID"].endswith("@revue.example.com>")
    invitation = next(e for e in emails if e["To"].addresses[0].addr_spec == "nora@example.com")
    assert "Studio Test" in invitation.get_body(preferencelist=("plain",)).get_content()


def test_emails_rendered_outside_a_request_link_to_base_url(app_ctx, smtp_server, owner):
    """A worker or a CLI command has no request at all."""
    from revue.accounts import services as accounts
    from revue.accounts.models import Role

    accounts.invite(owner, "cli@example.com", Role.MEMBER, name="From the CLI")
    db.session.commit()
    [email] = smtp_server.wait(1)
    links = _links(email.get_body(preferencelist=("plain",)).get_content())
    assert links and all(link.startswith(BASE_URL + "/account/invite/") for link in links)


# -- the outbox page ----------------------------------------------------------------------------


def test_outbox_shows_unsent_mail_to_admins_only(client, make_client, login, owner, create_user,
                                                 create_client_row, recipient):
    from revue.accounts import services as accounts

    accounts.request_password_reset(recipient.email)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    assert message.status == "pending"

    login(client, owner)
    page = client.get("/settings/outbox")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "REVUE_SMTP_HOST" in body and "rita@example.com" in body and "Pending" in body
    for status in ("unsent", "pending", "sent", "failed", "bogus"):
        assert client.get(f"/settings/outbox?status={status}").status_code == 200
    assert "rita@example.com" not in client.get("/settings/outbox?status=sent").get_data(as_text=True)
    detail = client.get(f"/settings/outbox/{message.id}")
    assert detail.status_code == 200 and "/account/reset/" in detail.get_data(as_text=True)
    html = client.get(f"/settings/outbox/{message.id}/html")
    assert html.status_code == 200
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert "script-src" not in html.headers["Content-Security-Policy"]

    member = make_client()
    login(member, create_user("member"))
    contact = make_client()
    login(contact, create_user("client", client=create_client_row("Acme")))
    for url in ("/settings/outbox", f"/settings/outbox/{message.id}", f"/settings/outbox/{message.id}/html"):
        assert member.get(url).status_code == 403, url
        assert contact.get(url).status_code == 404, url
        anonymous = make_client().get(url)
        assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
