"""Loading a guest's seat from a token kept in the signed session (never in the URL after landing, E9)."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, request, session, url_for
from sqlalchemy import select

from ..accounts import throttle
from ..db import db, utcnow
from ..errors import DomainError, TooManyAttempts
from ..extensions import htmx
from ..rendering import render
from ..review.models import ActionToken, Participant, ReviewStatus
from ..tokens import digest
from . import bp

SESSION_KEY = "e_token"
SEATS_KEY = "e_seats"  # the reviewer seats this browser opened a live emailed link of (finding its way back)


def client_ip() -> str:
    return request.remote_addr or ""


def guard_guessing() -> None:
    """429 once an address has tried too many unknown tokens (E5)."""
    throttle.check(f"links:ip:{client_ip()}")


def failed_guess() -> None:
    throttle.fail(f"links:ip:{client_ip()}", current_app.config.get("THROTTLE_LINK_FAILURES", 20))
    db.session.commit()


def held_token(raw: str | None) -> ActionToken | None:
    """A token that is still its reviewer's: not expired, the reviewer not removed — its review may have ended."""
    if not raw:
        return None
    token = db.session.scalar(select(ActionToken).where(ActionToken.token_hash == digest(raw)))
    if token is None or token.expires_at <= utcnow() or token.participant.removed_at is not None:
        return None
    return token


def action_token(raw: str | None) -> ActionToken | None:
    """A live emailed-link token: not expired, its reviewer not removed, its review not closed."""
    token = held_token(raw)
    if token is None or token.participant.stage.review.status != ReviewStatus.OPEN:
        return None
    return token


def remember(token: ActionToken) -> None:
    """This browser opened the reviewer's live link: it may come back to it after the review ends."""
    seats = [s for s in session.get(SEATS_KEY, []) if s != token.participant_id]
    session[SEATS_KEY] = [*seats, token.participant_id][-20:]


def opened_here(token: ActionToken) -> bool:
    return token.participant_id in session.get(SEATS_KEY, [])


def current_token() -> ActionToken:
    request.revue_guest = True  # pages are private: no-store
    token = action_token(session.get(SESSION_KEY))
    if token is None:
        from .emailed import ended, invalid

        held = held_token(session.get(SESSION_KEY))
        abort(ended(held) if held is not None else invalid())  # a stranger: the plain page of an unknown link (E5)
    return token


def failed(exc: DomainError, context: Callable[[], dict]):
    """A plain form that could not be done: the same page again with the message, what was typed, and the error's
    status — a guest has no other page to go back to, so never the bare error page. An htmx request gets the
    error's toast and its form keeps what was typed."""
    db.session.rollback()
    if htmx:
        raise exc
    response = render("review/viewer.html", status=exc.status, typed=typed(exc), **context())
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def typed(exc: DomainError) -> dict:
    """What the person typed into a decision or code form, to give it back to them beside what went wrong."""
    return {"verdict": request.form.get("verdict", ""), "note": request.form.get("note", ""),
            "code": "".join(ch for ch in request.form.get("code", "") if ch.isdigit())[:6], "error": exc.message}


# -- names -----------------------------------------------------------------------------------------


@bp.app_template_filter("reviewer_name")
def reviewer_name(person: Participant | str) -> str:
    """A reviewer as people read them: the name they are known by, else the part of their address before the @,
    capitalised ("carla.mendes@…" → "Carla Mendes") — never someone's email address."""
    if isinstance(person, Participant):
        if person.user is not None and person.user.name:
            return person.user.name
        person = person.name or person.email
    if "@" not in person:
        return person
    words = person.split("@")[0].split("+")[0].replace(".", " ").replace("_", " ").replace("-", " ").split()
    return " ".join(word.capitalize() for word in words) or "Reviewer"


def learn_name(participant: Participant) -> None:
    """A reviewer known only by address gets the name the workspace knows them by (an account, an invitation)."""
    from ..accounts.models import Invitation, User

    if participant.name and "@" not in participant.name:
        return
    email = participant.email.lower()
    name = db.session.scalar(select(User.name).where(User.email == email)) or db.session.scalar(
        select(Invitation.name).where(Invitation.email == email, Invitation.name != "")
        .order_by(Invitation.created_at.desc()).limit(1))
    if name:
        participant.name = name[:120]


@bp.app_template_global("guest_home")
def guest_home() -> str | None:
    """For the error page: on a guest page (``/e``, ``/r``) the guest's own page to go back to ("" when there is
    none — never the team's login); elsewhere None."""
    if not (getattr(request, "revue_guest", False) or request.path.startswith(("/e/", "/r/"))):
        return None
    if request.path.startswith("/r/") and session.get("r_token"):
        return url_for("links.link_home")
    if request.path.startswith("/e/") and session.get(SESSION_KEY):
        return url_for("links.email_viewer")
    return ""
