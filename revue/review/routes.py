"""Review actions of signed-in people: send for review, decide, nudge, remove a reviewer, reopen."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import mail
from ..accounts.access import agency_required
from ..accounts.models import User
from ..assets.access import version_for
from ..db import db
from ..errors import Conflict, DomainError, NotAllowed
from ..extensions import htmx
from ..rendering import changed, render, see_other
from . import bp, engine, services
from .models import Channel, Participant, Review, Verdict


def _back(version, message: str, *, level: str = "success", anchor: str = ""):
    if htmx:
        return changed(message)
    flash(message, level)
    target = request.form.get("back") or ""
    if not (target.startswith("/") and not target.startswith("//")):
        target = url_for("review.viewer", version_id=version.id)
    return see_other(target + anchor)


def named_version() -> int:
    """The version a decision form names (E2): a decision must say what it is about."""
    value = request.form.get("version_id", type=int)
    if not value:
        abort(400, "This decision does not say which version it is about. Reload the page and decide again.")
    return value


@bp.post("/versions/<int:version_id>/record-approval")
@agency_required
def record_approval(version_id: int):
    version = version_for(current_user, version_id, manage=True)
    try:
        services.record_approval(current_user, version, request.form.get("note", ""))
    except DomainError as exc:
        db.session.rollback()
        if htmx or isinstance(exc, Conflict):
            raise
        flash(exc.message, "error")
        return see_other(url_for("assets.show", asset_id=version.asset_id) + "#record-approval")
    db.session.commit()
    return _back(version, f"Approval of {version.label} recorded.")


@bp.post("/versions/<int:version_id>/send")
@agency_required
def send(version_id: int):
    version = version_for(current_user, version_id, manage=True)
    start_at = request.form.get("start_at", type=int) or engine.restart_stage(version)
    try:
        engine.send_for_review(current_user, version, start_at=start_at)
    except DomainError as exc:
        db.session.rollback()
        if htmx:
            raise  # the toast; the page stays as it is
        return _back(version, exc.message, level="error")  # back where the button was, with the reason
    db.session.commit()
    return _back(version, mail.confirm(f"{version.label} is in review. Reviewers were emailed their links.",
                                       f"{version.label} is in review; its review requests are waiting to be emailed.",
                                       admin=current_user.is_admin, many=True))


@bp.post("/versions/<int:version_id>/decide")
@login_required
def decide(version_id: int):
    version = version_for(current_user, version_id)
    named = named_version()
    try:
        verdict = Verdict(request.form.get("verdict", ""))
    except ValueError:
        abort(422, "Choose a decision.")
    try:
        if version.deleted_at is not None or version.asset.current_version_id != version.id or named != version.id:
            raise engine.StaleVersion(engine.STALE_MESSAGE.format(title=version.asset.title))
        if version.asset.archived:
            raise engine.AssetArchived(f"“{version.asset.title}” was archived, so its review has ended. "
                                       "Your decision was not recorded.")
        participant = engine.participant_for(engine.open_review_of(version), current_user)
        if participant is None:
            raise NotAllowed("You are not a reviewer of the stage that is open now.")
        identity = engine.Identity(channel=Channel.VIEWER, identified_by="account", name=current_user.name,
                                   email=current_user.email, user=current_user, ip=request.remote_addr or "",
                                   user_agent=request.user_agent.string or "")
        engine.decide(participant, named, verdict, request.form.get("note", ""), identity,
                      request_key=request.form.get("request_key") or None)
    except DomainError as exc:
        return _decision_failed(version, exc)
    db.session.commit()
    return _back(version, f"Your decision on {version.label}: {verdict.label}.")


def _decision_failed(version, exc: DomainError):
    """The viewer again, the reason in the decision box with the note as it was typed — never a bare error page
    (htmx: the toast, and the form keeps its text)."""
    from .viewer import member_urls, viewer_context

    db.session.rollback()
    if htmx:
        raise exc
    typed = {"verdict": request.form.get("verdict", ""), "note": request.form.get("note", ""), "error": exc.message}
    return render("review/viewer.html", status=exc.status, typed=typed,
                  **viewer_context(version, current_user, urls=member_urls(version)))


def _participant(participant_id: int) -> Participant:
    participant = db.session.get(Participant, participant_id)
    if participant is None:
        abort(404)
    version_for(current_user, participant.stage.review.version_id, manage=True)
    return participant


@bp.post("/participants/<int:participant_id>/nudge")
@agency_required
def nudge(participant_id: int):
    participant = _participant(participant_id)
    services.nudge(current_user, participant)
    db.session.commit()
    return _back(participant.stage.review.version, mail.confirm(
        f"Reminder sent to {participant.display_name}.",
        f"The reminder to {participant.display_name} is waiting to be emailed.", admin=current_user.is_admin))


@bp.post("/participants/<int:participant_id>/remove")
@agency_required
def remove_reviewer(participant_id: int):
    participant = _participant(participant_id)
    engine.remove_participant(current_user, participant)
    db.session.commit()
    return _back(participant.stage.review.version, f"{participant.display_name} is no longer a reviewer.")


@bp.post("/reviews/<int:review_id>/reopen")
@agency_required
def reopen(review_id: int):
    review = db.get_or_404(Review, review_id)
    version_for(current_user, review.version_id, manage=True)
    engine.reopen(current_user, review)
    db.session.commit()
    return _back(review.version, f"{review.version.label} is open for comments and decisions again.")


@bp.post("/reviews/<int:review_id>/reviewers")
@agency_required
def add_reviewer(review_id: int):
    review = db.get_or_404(Review, review_id)
    version_for(current_user, review.version_id, manage=True)
    stage = next((s for s in review.stages if s.status.value == "open"), None)
    if stage is None:
        abort(409, "No stage of this review is open.")
    email = (request.form.get("email") or "").strip().lower()
    if "@" not in email:
        abort(422, "Enter the reviewer's email address.")
    user = db.session.scalar(select(User).where(User.email == email, User.active))
    engine.add_participant(current_user, stage, user=user, email=email, name=request.form.get("name", ""),
                           decides=request.form.get("decides", "1") == "1")
    db.session.commit()
    return _back(review.version, mail.confirm(f"{email} was added and emailed a link.",
                                              f"{email} was added; their link is waiting to be emailed.",
                                              admin=current_user.is_admin))

