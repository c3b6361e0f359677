"""Loading a guest's seat from a token kept in the signed session (never in the URL after landing, E9)."""

from __future__ import annotations

from flask import abort, current_app, request, session
from sqlalchemy import select

from ..accounts import throttle
from ..db import db, utcnow
from ..review.models import ActionToken, ReviewStatus
from ..tokens import digest

SESSION_KEY = "e_token"


def client_ip() -> str:
    return request.remote_addr or ""


def guard_guessing() -> None:
    """429 once an address has tried too many unknown tokens (E5)."""
    throttle.check(f"links:ip:{client_ip()}")


def failed_guess() -> None:
    throttle.fail(f"links:ip:{client_ip()}", current_app.config.get("THROTTLE_LINK_FAILURES", 20))
    db.session.commit()


def action_token(raw: str | None) -> ActionToken | None:
    """A live emailed-link token: not expired, its reviewer not removed, its review not closed."""
    if not raw:
        return None
    token = db.session.scalar(select(ActionToken).where(ActionToken.token_hash == digest(raw)))
    if token is None or token.expires_at <= utcnow():
        return None
    participant = token.participant
    review = participant.stage.review
    if participant.removed_at is not None or review.status != ReviewStatus.OPEN:
        return None
    return token


def current_token() -> ActionToken:
    token = action_token(session.get(SESSION_KEY))
    if token is None:
        from .emailed import invalid

        abort(invalid())  # the same plain page as an unknown link (E5)
    request.revue_guest = True  # pages are private: no-store
    return token
