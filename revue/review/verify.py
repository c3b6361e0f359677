"""Verified-decision mode (E7): before a guest's decision binds, a 6-digit code goes to the reviewer's address.

Codes are single use, live 10 minutes, allow 5 tries, and are bound to the browser session
that asked for them. Only their SHA-256 is stored.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta

from flask import session
from sqlalchemy import func, select

from .. import activity, mail
from ..db import db, utcnow
from ..errors import DomainError, TooManyAttempts
from ..tokens import digest
from .models import DecisionCode, Participant

LIFETIME = timedelta(minutes=10)
CODE_MINUTES = int(LIFETIME.total_seconds() // 60)
MAX_TRIES = 5
MAX_CODES = 5  # codes a reviewer may ask for within CODES_WINDOW
CODES_WINDOW = timedelta(hours=1)
VERIFIED_FOR = 60 * 60  # seconds a verified browser may decide without a new code


def code_required() -> bool:
    from ..settings.services import current_workspace

    workspace = current_workspace()
    return bool(workspace and (workspace.options or {}).get("verified_decisions"))


def _session_key() -> str:
    key = session.get("code_session")
    if not key:
        key = session["code_session"] = secrets.token_hex(16)
    return key


def send_code(participant: Participant) -> None:
    """Email a new code. The code itself is made when the message is sent (``mail.RESOLVERS``), so
    neither the outbox nor any other table ever holds it; its 10 minutes start then."""
    recent = db.session.scalar(select(func.count(DecisionCode.id)).where(
        DecisionCode.participant_id == participant.id, DecisionCode.created_at > utcnow() - CODES_WINDOW))
    if recent >= MAX_CODES:  # each code allows 5 tries: without this, asking again and again would too
        raise TooManyAttempts("Too many codes asked for. Use the last one we sent, or try again in an hour.",
                              int(CODES_WINDOW.total_seconds()))
    now = utcnow()
    row = DecisionCode(participant_id=participant.id, code_hash="", created_at=now, expires_at=now + LIFETIME,
                       session_key=_session_key())
    db.session.add(row)
    db.session.flush()
    mail.queue(participant.email, "Your code to confirm your decision", "decision_code", kind="security",
               to_name=participant.display_name, code="{{revue:code:" + str(row.id) + "}}",
               minutes=CODE_MINUTES)
    activity.record("decision.code_sent", actor_label=participant.email, subject=participant)


def _make_code(code_id: str) -> str:
    """Called while the email is built for sending: a fresh code for the row, only its hash kept."""
    row = db.session.get(DecisionCode, int(code_id))
    code = f"{secrets.randbelow(10**6):06d}"
    row.code_hash = digest(f"{row.participant_id}:{code}")
    row.expires_at = utcnow() + LIFETIME
    db.session.flush()
    return code


mail.RESOLVERS["code"] = _make_code


def check_code(participant: Participant, code: str) -> None:
    row = db.session.scalar(
        select(DecisionCode).where(DecisionCode.participant_id == participant.id, DecisionCode.used_at.is_(None),
                                   DecisionCode.session_key == _session_key())
        .order_by(DecisionCode.id.desc()).limit(1))
    if row is None or row.expires_at <= utcnow():
        raise DomainError("That code has expired or was used already. Ask for a new one.")
    if row.attempts >= MAX_TRIES:
        raise TooManyAttempts("Too many wrong codes. Ask for a new one.", 60)
    row.attempts += 1
    if not hmac.compare_digest(row.code_hash, digest(f"{participant.id}:{code.strip()}")):
        activity.record("decision.code_failed", actor_label=participant.email, subject=participant, result="denied")
        if row.attempts >= MAX_TRIES:
            raise TooManyAttempts("Too many wrong codes. Ask for a new one.", 60)
        left = MAX_TRIES - row.attempts
        raise DomainError(f"That code is not right. {left} {'try' if left == 1 else 'tries'} left.")
    row.used_at = utcnow()
    verified = session.get("verified", {})
    verified[str(participant.id)] = time.time()
    session["verified"] = verified


def code_pending(participant: Participant) -> bool:
    """Whether this browser asked for a code that may still be used (the page then says where it went)."""
    key = session.get("code_session")
    if not key:
        return False
    return db.session.scalar(select(DecisionCode.id).where(
        DecisionCode.participant_id == participant.id, DecisionCode.session_key == key, DecisionCode.used_at.is_(None),
        DecisionCode.expires_at > utcnow(), DecisionCode.attempts < MAX_TRIES).limit(1)) is not None


def masked(email: str) -> str:
    """``c***@example.com``: enough to recognise one's own address, not to read someone else's."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def verified_recently(participant: Participant) -> bool:
    stamp = session.get("verified", {}).get(str(participant.id))
    return bool(stamp and time.time() - stamp < VERIFIED_FOR)
