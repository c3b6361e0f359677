"""Email through an outbox (SECURITY I6).

:func:`queue` writes a row in the caller's transaction and defers a send job until
commit; a rollback therefore never emails anyone. The job claims the row atomically
(``pending`` → ``sending``) so a job run twice sends once; a periodic sweeper retries
what is due and recovers rows whose worker died mid-send. Permanent SMTP errors (5xx)
fail at once, transient ones retry with exponential backoff. With no SMTP host set,
messages stay ``pending`` and admins read them at Settings → Outbox; a message whose
personal link or code is made at sending can be handed over there instead
(``settings.services.hand_over``): the admin passes it on by hand, and the worker never sends it.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import urlsplit

from flask import current_app, render_template
from huey import crontab
from sqlalchemy import JSON, String, Text, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, db, utcnow
from .jobs import defer, job, periodic

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
PLACEHOLDER = re.compile(r"\{\{revue:(\w+):([\w-]+)\}\}")
#: Secrets put into a message only when it is sent, so the outbox never stores them (E3):
#: ``RESOLVERS["token"] = fn(arg) -> str``, used as ``{{revue:token:<arg>}}`` in a body.
#: A resolver raises :class:`Unresolvable` when the secret would be of no use any more.
RESOLVERS: dict[str, Callable[[str], str]] = {}
STUCK_AFTER = timedelta(minutes=10)
HANDED_OVER = "handed_over"  # an admin passed the message on by hand; the worker never sends it
UNSENT = ("pending", "failed")


class Unresolvable(ValueError):
    """A placeholder's secret can't be made any more (say, the review its link was for has ended)."""


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(48), index=True)
    to_addr: Mapped[str] = mapped_column(String(320), index=True)
    to_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")


def queue(
    to: str, subject: str, template: str, *, kind: str, to_name: str = "", headers: dict | None = None,
    once: str | None = None, **context
) -> OutboxMessage | None:
    """Render ``email/<template>.txt`` and ``.html`` and put the message in the outbox.

    Templates build links as ``base_url ~ url_for(...)``. They are rendered in a request
    context made from ``BASE_URL`` (never the request's Host header, E8), which also works
    in a worker or a CLI command where there is no request at all.

    ``once`` names the message for good (its Message-ID, which is unique): queueing it again —
    a second worker, a rerun — queues nothing and returns None.
    """
    public = urlsplit(current_app.config["BASE_URL"])
    context.setdefault("base_url", f"{public.scheme}://{public.netloc}")
    context.setdefault("recipient_name", to_name)
    subject, to_name = one_line(subject), one_line(to_name)
    with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"], method="POST"):
        text_body = render_template(f"email/{template}.txt", subject=subject, **context)
        html_body = render_template(f"email/{template}.html", subject=subject, **context)
    message = OutboxMessage(
        kind=kind,
        to_addr=to.strip().lower(),
        to_name=to_name[:200],
        subject=subject[:300],
        text_body=text_body,
        html_body=html_body,
        headers=headers or {},
        message_id=f"<revue.{once}@{public.hostname or 'revue'}>" if once else
        make_msgid(idstring=uuid.uuid4().hex[:12], domain=public.hostname or "revue"),
    )
    if once is None:
        db.session.add(message)
        db.session.flush()
    else:
        try:
            with db.session.begin_nested():
                db.session.add(message)
        except IntegrityError:
            log.info("%s email %s was queued already", kind, once)
            return None
    defer(send_message, message.id)
    log.info("queued %s email %s", kind, message.id)
    return message


def one_line(value: str) -> str:
    """A header-safe value: names typed by users may hold line breaks (header injection)."""
    return " ".join((value or "").split())


def smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


@job()
def send_message(message_id: int) -> str:
    return deliver(message_id)


def deliver(message_id: int) -> str:
    """Send one message if it is still pending and due; return its final status."""
    if not smtp_configured():
        return "pending"
    now = utcnow()
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
        .where(OutboxMessage.next_attempt_at <= now)
        .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return "skipped"
    message = db.session.get(OutboxMessage, message_id)
    try:
        email = _build(message)
    except Unresolvable as exc:  # e.g. a review request whose review ended before it went out
        _fail(message, f"not sent: {exc}", permanent=True)
        db.session.commit()
        return message.status
    except (ValueError, TypeError) as exc:  # a message that cannot be built never will be
        _fail(message, f"cannot build the message: {exc}", permanent=True)
        db.session.commit()
        return message.status
    try:
        _smtp_send(email)
    except (OSError, smtplib.SMTPException) as exc:
        _fail(message, *_smtp_problem(exc))
    else:
        message.status = "sent"
        message.sent_at = utcnow()
        message.last_error = ""
        log.info("sent email %s (%s)", message.id, message.kind)
    db.session.commit()
    return message.status


def _smtp_problem(exc: Exception) -> tuple[str, bool]:
    """``(reason, permanent)``: 5xx answers about this message are final, the rest is retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):  # not an SMTPResponseException
        answers = list(exc.recipients.values())
        codes = [code for code, _text in answers]
        return f"recipient refused: {answers!r}", bool(codes) and all(500 <= c < 600 for c in codes)
    if isinstance(exc, smtplib.SMTPAuthenticationError):  # the server settings are wrong, not the message
        return f"{exc.smtp_code} SMTP login failed; check REVUE_SMTP_USERNAME/PASSWORD", False
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {exc.smtp_error!r}", 500 <= exc.smtp_code < 600
    return f"{type(exc).__name__}: {exc}", False


def _fail(message: OutboxMessage, reason: str, permanent: bool) -> None:
    message.last_error = reason[:2000]
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = "failed"
        log.warning("email %s failed for good: %s", message.id, reason)
    else:
        message.status = "pending"
        message.next_attempt_at = utcnow() + timedelta(seconds=30 * 2 ** (message.attempts - 1))
        log.warning("email %s will be retried: %s", message.id, reason)


def _build(message: OutboxMessage) -> EmailMessage:
    cfg = current_app.config
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = cfg["MAIL_FROM"]
    email["To"] = formataddr((message.to_name, message.to_addr)) if message.to_name else message.to_addr
    email["Message-ID"] = message.message_id
    for name, value in (message.headers or {}).items():
        email[name] = value
    made: dict[tuple[str, str], str] = {}  # text and HTML share each secret
    email.set_content(fill_secrets(message.text_body, made))
    email.add_alternative(fill_secrets(message.html_body, made), subtype="html")
    return email


def fill_secrets(body: str, made: dict[tuple[str, str], str]) -> str:
    """``body`` with each placeholder replaced by its secret, made once per placeholder (kept in ``made``)."""

    def fill(match: re.Match) -> str:
        key = (match.group(1), match.group(2))
        if key not in made:
            made[key] = RESOLVERS[key[0]](key[1])
        return made[key]

    return PLACEHOLDER.sub(fill, body)


def placeholder(kind: str, arg: object) -> str:
    """``{{revue:<kind>:<arg>}}``: where :data:`RESOLVERS` puts a secret when the message is sent."""
    return "{{" + f"revue:{kind}:{arg}" + "}}"


def withdraw(placeholders: list[str], reason: str) -> int:
    """Messages still waiting to go out that carry one of ``placeholders`` are not sent: they fail now with
    ``reason``, just as the worker fails them when their secret can't be made any more (:class:`Unresolvable`)."""
    if not placeholders:
        return 0
    withdrawn = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "pending",
               or_(*(OutboxMessage.text_body.contains(p, autoescape=True) for p in placeholders)))
        .values(status="failed", last_error=f"not sent: {reason}"[:2000])
        .execution_options(synchronize_session=False)
    ).rowcount
    if withdrawn:
        log.info("%s unsent email(s) withdrawn: %s", withdrawn, reason)
    return withdrawn


def confirm(sent: str, waiting: str, *, admin: bool, many: bool = False) -> str:
    """A confirmation that tells the truth about email: ``sent`` when a mail server is set up; otherwise
    ``waiting`` and where the email (``many``: the emails) waits — admins can read it in the outbox."""
    if smtp_configured():
        return sent
    it = "them" if many else "it"
    if admin:
        return f"{waiting} No mail server is set up yet: find {it} in Settings → Outbox."
    return f"{waiting} {'They' if many else 'It'} will be emailed once mail is set up."


def holds_secrets(message: OutboxMessage) -> bool:
    return bool(PLACEHOLDER.search(message.text_body) or PLACEHOLDER.search(message.html_body))


def _smtp_send(email: EmailMessage) -> None:
    cfg = current_app.config
    host, port, mode = cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), (cfg["SMTP_TLS"] or "none").lower()
    if mode == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=30, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=30)
    with client:
        if mode == "starttls":
            client.starttls(context=ssl.create_default_context())
        if cfg.get("SMTP_USERNAME"):
            client.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"] or "")
        client.send_message(email)


def sweep() -> int:
    """Recover stuck sends and send everything due; returns how many were attempted."""
    if not smtp_configured():
        return 0
    now = utcnow()
    stuck = (OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - STUCK_AFTER)
    db.session.execute(  # a message that keeps killing its worker must not loop for ever
        update(OutboxMessage)
        .where(*stuck, OutboxMessage.attempts >= MAX_ATTEMPTS)
        .values(status="failed", last_error="the worker stopped while sending, too many times")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(*stuck)
        .values(status="pending", last_error="the worker stopped while sending; retrying")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(200)
    ).all()
    for message_id in due:
        deliver(message_id)
    return len(due)


@periodic(crontab(minute="*"))
def sweep_outbox() -> int:
    return sweep()


def outbox_page(status: str | None, page_size: int = 50):
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(page_size)
    if status == "unsent":
        query = query.where(or_(OutboxMessage.status == "pending", OutboxMessage.status == "failed"))
    elif status:
        query = query.where(OutboxMessage.status == status)
    return db.session.scalars(query).all()
