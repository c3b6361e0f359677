"""Emailed decision links (``/e``): a reviewer opens the version with their decision buttons, no login.

``GET /e/<token>`` only remembers the token in the signed session and redirects to ``/e/``
(E9): opening — even by a mail scanner's HEAD and GET — decides nothing and uses nothing up (E1).
Deciding is a POST with a CSRF token naming the exact version shown (E2). Once the review ends, the
browser that opened the link while it was live is told how it ended (its session remembers the seat);
any other browser gets the one plain "no longer valid" page (E5).
"""

from __future__ import annotations

import secrets

from flask import abort, make_response, redirect, request, session, url_for
from sqlalchemy import select

from ..assets.routes_files import send_media, send_rendition, send_version_original
from ..comments import attachments
from ..comments.models import Comment
from ..db import db, utcnow, will_write
from ..errors import DomainError, NotAllowed, error_response
from ..extensions import htmx
from ..principal import Guest
from ..rendering import render, see_other
from ..review import engine, viewer
from ..review.comment_routes import act, add, send_attachment, shown_attachment
from ..review.models import Channel, Decision, ReviewStatus, Verdict
from ..review.routes import named_version
from ..review.verify import (
    CODE_MINUTES,
    check_code,
    code_pending,
    code_required,
    masked,
    send_code,
    verified_recently,
)
from ..security import body_limit
from . import bp, guests


def _who(token):
    participant = token.participant
    if participant.user is not None and participant.user.active:
        return participant.user
    return Guest(name=guests.reviewer_name(participant), email=participant.email, link_id=0, can_comment=True,
                 can_decide=participant.decides)


def _urls(version) -> dict:
    return {
        "panel": url_for("links.email_panel"),
        "add": url_for("links.email_comment"),
        "rendition": lambda name: url_for("links.email_file", name=name),
        "media": url_for("links.email_media"),
        "original": url_for("links.email_original"),
        "version": lambda v: url_for("links.email_viewer"),
        "comment": lambda c, action: url_for("links.email_comment_action", comment_id=c.id, action=action),
        "attachment": lambda a, part: url_for("links.email_attachment", attachment_id=a.id, part=part),
        "back": None, "export": None, "print": None,
        "decide": url_for("links.email_decide"),
        "code": url_for("links.email_code"),
    }


@bp.route("/e/<token>", methods=["GET", "HEAD"])
def email_landing(token: str):
    will_write()  # the "opened" mark and the guessing counter
    guests.guard_guessing()
    found = guests.action_token(token)
    if found is None:
        found = guests.held_token(token)
        if found is None or not guests.opened_here(found):  # E5: only the reviewer's own browser learns more
            guests.failed_guess()
            return invalid()
    elif request.method == "GET":  # a HEAD (link scanners) changes nothing at all
        now = utcnow()
        found.opened_at = found.opened_at or now
        found.participant.opened_at = found.participant.opened_at or now
        guests.learn_name(found.participant)
        db.session.commit()
    if request.method == "GET":
        guests.remember(found)
    session[guests.SESSION_KEY] = token
    response = redirect(url_for("links.email_viewer"), code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def invalid():
    request.revue_guest = True
    return render("links/invalid.html", status=404)


def _context(token) -> dict:
    participant = token.participant
    version = participant.stage.review.version
    who = _who(token)
    context = viewer.viewer_context(version, who, urls=_urls(version))
    context.update(guest_page=True, decision=decision_state(participant, version))
    return context


def ended(token, *, message: str = "", note: str = ""):
    """What this browser is told once the review of its reviewer's link has ended (the link is theirs, E5 aside):
    the page saying so — with the decision they sent, if any, and what they had typed; an htmx form its toast
    (the form keeps its text); the panel's poll goes to that page."""
    if htmx and request.method == "GET":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url_for("links.email_viewer")
        return response
    review = token.participant.stage.review
    message = message or (_why_it_ended(review) if review.status == ReviewStatus.CANCELLED else
                          "This review is finished, so it takes no more comments or decisions.")
    if htmx:
        return make_response(error_response(409, message))
    if request.method != "GET":
        return closed_page(token, message=message, note=note, status=409)
    return invalid()  # files and the like


def closed_page(token, *, message: str = "", note: str = "", status: int = 200):
    """The friendly end of a reviewer's link: their decision, how the round ended, what they had typed."""
    participant = token.participant
    review = participant.stage.review
    version = review.version
    latest = db.session.scalar(select(Decision).where(Decision.participant_id == participant.id)
                               .order_by(Decision.created_at.desc(), Decision.id.desc()).limit(1))
    request.revue_guest = True
    return render("links/closed.html", status=status, review=review, version=version, asset=version.asset,
                  latest=latest, outcome=_outcome(review, latest), message=message, note=note,
                  thumb=version.deleted_at is None and version.rendition("thumb") is not None)


def _outcome(review, latest) -> str:
    """How the round ended, in a client's words."""
    version, team = review.version, _team()
    if review.status == ReviewStatus.CANCELLED:
        return _why_it_ended(review, while_shown=False)
    if review.status == ReviewStatus.APPROVED:
        return f"{version.label} is approved. {team} takes it from here."
    if latest is not None and not latest.verdict.approves:
        return f"{team} is working on your feedback. You will get an email when the next version is ready."
    return (f"{version.label} went back to {team} for changes. You will get an email when the next version is "
            "ready.")


def _team() -> str:
    from ..settings.services import current_workspace

    workspace = current_workspace()
    return workspace.name if workspace and workspace.name else "The team"


def decision_state(participant, version) -> dict:
    latest = db.session.scalar(select(Decision).where(Decision.participant_id == participant.id)
                               .order_by(Decision.created_at.desc(), Decision.id.desc()).limit(1))
    stage = participant.stage
    return {
        "participant": participant, "stage": stage, "latest": latest,
        "can_decide": participant.decides and stage.status.value == "open",
        "verdicts": visible_verdicts(), "request_key": secrets.token_hex(16),
        **code_state(participant, code_required() and not verified_recently(participant)),
    }


def code_state(participant, needed: bool) -> dict:
    """For the code box: whether a code is needed, and whether one was sent to this browser's reviewer."""
    return {"needs_code": needed, "code_sent": needed and code_pending(participant),
            "code_to": masked(participant.email), "code_minutes": CODE_MINUTES}


def visible_verdicts() -> list[Verdict]:
    from ..settings.services import current_workspace

    hidden = set((current_workspace().options or {}).get("hidden_verdicts", []))
    return [v for v in Verdict if v.value not in hidden]


@bp.get("/e/")
def email_viewer():
    request.revue_guest = True
    token = guests.action_token(session.get(guests.SESSION_KEY))
    if token is None:
        held = guests.held_token(session.get(guests.SESSION_KEY))  # landed here while it was live: theirs
        return closed_page(held) if held is not None else invalid()
    return render("review/viewer.html", **_context(token))


@bp.get("/e/panel")
def email_panel():
    token = guests.current_token()
    context = _context(token)
    if request.args.get("stamp") == context["stamp"]:
        return "", 204
    return render("review/_panel.html", "review/_panel.html", oob=True, **context)


@bp.post("/e/comments")
@body_limit(*attachments.BODY_LIMIT)
def email_comment():
    token = guests.current_token()
    version = token.participant.stage.review.version
    response = add(version, _who(token), _urls(version))
    _mark_commented(token)
    return response


@bp.post("/e/comments/<int:comment_id>/<any(reply, edit, delete):action>")
@body_limit(*attachments.BODY_LIMIT)
def email_comment_action(comment_id: int, action: str):
    token = guests.current_token()
    version = token.participant.stage.review.version
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.version_id != version.id or comment.internal:
        abort(404)
    response = act(comment, _who(token), action, _urls(version))
    _mark_commented(token)
    return response


def _mark_commented(token) -> None:
    engine.mark_commented(token.participant)
    db.session.commit()


@bp.get("/e/file/<name>")
def email_file(name: str):
    token = guests.current_token()
    return send_rendition(token.participant.stage.review.version, name)


@bp.get("/e/attachments/<int:attachment_id>/<any(file, thumb):part>")
def email_attachment(attachment_id: int, part: str):
    token = guests.current_token()
    version = token.participant.stage.review.version
    return send_attachment(shown_attachment(attachment_id, _who(token), version), part)


@bp.get("/e/media")
def email_media():
    token = guests.current_token()
    return send_media(token.participant.stage.review.version)


@bp.get("/e/original")
def email_original():
    token = guests.current_token()
    return send_version_original(token.participant.stage.review.version)


@bp.post("/e/decide")
def email_decide():
    request.revue_guest = True
    token = guests.action_token(session.get(guests.SESSION_KEY))
    if token is None:
        return _closed_since()
    participant = token.participant
    named = named_version()
    try:
        verdict = Verdict(request.form.get("verdict", ""))
    except ValueError:
        abort(422, "Choose a decision.")
    identity = engine.Identity(
        channel=Channel.EMAIL_LINK, identified_by="code" if code_required() else "email_link",
        name=guests.reviewer_name(participant), email=participant.email,
        user=participant.user if participant.user and participant.user.active else None,
        ip=request.remote_addr or "", user_agent=request.user_agent.string or "")
    try:
        if code_required() and not verified_recently(participant):
            raise NotAllowed("Confirm it's you first: ask for a code by email and enter it, then decide.")
        decision = engine.decide(participant, named, verdict, request.form.get("note", ""), identity,
                                 request_key=request.form.get("request_key") or None)
    except DomainError as exc:
        return guests.failed(exc, lambda: _context(token))
    db.session.commit()
    return _done(decision)


def _done(decision):
    session["e_done"] = {"verdict": decision.verdict.label, "version": decision.version.label,
                         "asset": decision.version.asset.title}
    return see_other(url_for("links.email_done"))


def _closed_since():
    """A decision through a link this browser held, whose review has moved on since the page was shown.

    A link that expired, was revoked or never existed gets the one invalid page (E5). A link that was
    good while the page was open says what happened: the same form again (a double click after the
    first closed the review) shows what it decided (E6); a newer version, or a closed review, is 409 (E2)
    on the page that says the review ended, with the note that was not sent.
    """
    held = guests.held_token(session.get(guests.SESSION_KEY))
    if held is None:
        return invalid()
    key = request.form.get("request_key")
    earlier = db.session.scalar(select(Decision).where(Decision.request_key == key)) if key else None
    if earlier is not None and earlier.participant_id == held.participant_id:
        return _done(earlier)
    review = held.participant.stage.review
    if review.status == ReviewStatus.CANCELLED:
        message = _why_it_ended(review) + " This decision was not recorded."
    else:
        message = f"The review of {review.version.label} is closed; decisions can no longer be changed."
    return ended(held, message=message, note=request.form.get("note", ""))


def _why_it_ended(review, *, while_shown: bool = True) -> str:
    """What a reviewer is told when the round they were deciding on (``while_shown``: had open) was cancelled."""
    asset, version = review.asset, review.version
    if asset.current_version_id != version.id:
        return (f"A newer version of “{asset.title}” was uploaded {'after this page was shown' if while_shown else 'since'}"
                ". When it is sent for review you will get an email with its link.")
    recorded = db.session.scalar(select(Decision.id).where(Decision.version_id == version.id,
                                                           Decision.channel == Channel.RECORDED).limit(1))
    if recorded:
        return f"The team recorded an approval of {version.label} of “{asset.title}”, so its review has ended."
    return f"The team ended the review of {version.label} of “{asset.title}”."


@bp.get("/e/done")
def email_done():
    request.revue_guest = True
    done = session.get("e_done")
    if not done:
        return invalid()
    token = guests.action_token(session.get(guests.SESSION_KEY))
    return render("links/done.html", done=done, still_open=token is not None)


@bp.post("/e/code")
def email_code():
    token = guests.current_token()
    try:
        send_code(token.participant)
    except DomainError as exc:
        return guests.failed(exc, lambda: _context(token))
    db.session.commit()
    return see_other(url_for("links.email_viewer"))  # the page says where it went; the code field has the focus


@bp.post("/e/code/check")
def email_code_check():
    token = guests.current_token()
    try:
        check_code(token.participant, request.form.get("code", ""))
    except DomainError as exc:
        db.session.commit()  # keep the attempt count
        return guests.failed(exc, lambda: _context(token))
    db.session.commit()
    return see_other(url_for("links.email_viewer") + "#decide")
