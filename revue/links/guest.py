"""Review links (``/r``): guests without an account see exactly what the link covers, nothing else.

The token lands in the signed session and the address bar loses it (E9). A guest gives a
name and an email address once per link. Revoking or expiring the link ends every guest
session on it at the next request (D5). Anything the link does not cover is a 404 (D1, D2).
"""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, request, session, url_for
from sqlalchemy import select

from ..accounts import passwords, throttle
from ..assets.routes_files import send_media, send_rendition, send_version_original
from ..comments import attachments
from ..comments.models import Comment
from ..db import db, utcnow, will_write
from ..errors import DomainError, NotAllowed
from ..principal import Guest
from ..rendering import render, see_other
from ..review import engine, viewer
from ..review.comment_routes import act, add, send_attachment, shown_attachment
from ..review.models import (
    Channel,
    Decision,
    Participant,
    Review,
    ReviewStage,
    ReviewStatus,
    StageStatus,
    Verdict,
)
from ..review.verify import check_code, send_code, verified_recently
from ..security import body_limit
from . import bp, guests, services
from .emailed import code_state, invalid, visible_verdicts
from .models import ReviewLink

SESSION_KEY = "r_token"


def _link() -> ReviewLink:
    link = services.by_token(session.get(SESSION_KEY))
    if link is None:
        abort(invalid())  # revoked or expired: the same plain page as an unknown link (E5)
    request.revue_guest = True
    return link


def _identity(link: ReviewLink) -> dict | None:
    return (session.get("r_guest") or {}).get(str(link.id))


def _unlocked(link: ReviewLink) -> bool:
    return link.password_hash is None or str(link.id) in (session.get("r_pw") or [])


def _guest(link: ReviewLink) -> Guest:
    me = _identity(link)
    if me is None or not _unlocked(link):
        abort(404)
    return Guest(name=me["name"], email=me["email"], link_id=link.id, can_comment=link.can_comment,
                 can_decide=link.can_decide, can_download=link.can_download)


def _covered(link: ReviewLink, asset_id: int):
    found = services.covers(link, asset_id)
    if found is None:
        abort(404)
    return found


@bp.route("/r/<token>", methods=["GET", "HEAD"])
def link_landing(token: str):
    will_write()  # "last used" and the guessing counter
    guests.guard_guessing()
    link = services.by_token(token)
    if link is None:
        guests.failed_guess()
        return invalid()
    if request.method == "GET":
        link.last_used_at = utcnow()
        db.session.commit()
    session[SESSION_KEY] = token
    response = redirect(url_for("links.link_home"), code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/r/", methods=["GET", "POST"])
def link_home():
    will_write()  # password guesses are counted
    link = services.by_token(session.get(SESSION_KEY))
    if link is None:
        return invalid()
    request.revue_guest = True
    if not _unlocked(link):
        return _password(link)
    if _identity(link) is None:
        return _hello(link)
    guest = _guest(link)
    covered = services.covered_assets(link)
    waiting = _waiting_for(guest, [version.id for _asset, version in covered])
    items = [{"asset": asset, "version": version, "waiting": version.id in waiting} for asset, version in covered]
    items.sort(key=lambda item: (not item["waiting"], item["asset"].title.lower()))
    return render("links/home.html", link=link, items=items, guest=guest, guest_page=True)


def _password(link: ReviewLink):
    error = None
    if request.method == "POST":
        throttle.check(f"links:pw:{link.id}:{guests.client_ip()}")
        if passwords.verify(link.password_hash, request.form.get("password", "")):
            session["r_pw"] = list({*(session.get("r_pw") or []), str(link.id)})
            return see_other(url_for("links.link_home"))
        throttle.fail(f"links:pw:{link.id}:{guests.client_ip()}", 5)
        db.session.commit()
        error = "That password is not right."
    return render("links/password.html", link=link, error=error, guest_page=True, status=422 if error else 200)


def _hello(link: ReviewLink):
    errors = {}
    if request.method == "POST":
        name = " ".join(request.form.get("name", "").split())[:120]
        email = request.form.get("email", "").strip().lower()[:320]
        if not name:
            errors["name"] = "Tell us your name, so the team knows who commented."
        if "@" not in email or "." not in email.split("@")[-1] or " " in email:
            errors["email"] = "Enter your email address, e.g. dana@example.com."
        if not errors:
            known = dict(session.get("r_guest") or {})
            known[str(link.id)] = {"name": name, "email": email}
            session["r_guest"] = known
            return see_other(url_for("links.link_home"))
    return render("links/hello.html", link=link, errors=errors, form=request.form, guest_page=True,
                  status=422 if errors else 200)


def _waiting_for(guest: Guest, version_ids: list[int]) -> set[int]:
    """Of these versions, those whose open stage has the guest's address as a reviewer who has not decided."""
    return set(db.session.scalars(
        select(Review.version_id).join(ReviewStage, ReviewStage.review_id == Review.id)
        .join(Participant, Participant.stage_id == ReviewStage.id)
        .where(Review.version_id.in_(version_ids), Review.status == ReviewStatus.OPEN,
               ReviewStage.status == StageStatus.OPEN, Participant.email == guest.email,
               Participant.removed_at.is_(None), Participant.decided_at.is_(None))))


def _seat(version, guest: Guest):
    """The guest's stage seat, if their address is a reviewer of the stage open on this version."""
    review = engine.open_review_of(version)
    if review is None:
        return None
    stage = next((s for s in review.stages if s.status.value == "open"), None)
    if stage is None:
        return None
    return next((p for p in stage.participants if p.removed_at is None and p.email == guest.email), None)


def _urls(asset) -> dict:
    return {
        "panel": url_for("links.link_panel", asset_id=asset.id),
        "add": url_for("links.link_comment", asset_id=asset.id),
        "rendition": lambda name: url_for("links.link_file", asset_id=asset.id, name=name),
        "media": url_for("links.link_media", asset_id=asset.id),
        "original": None,
        "version": lambda v: url_for("links.link_asset", asset_id=asset.id),
        "comment": lambda c, action: url_for("links.link_comment_action", asset_id=asset.id, comment_id=c.id,
                                             action=action),
        "attachment": lambda a, part: url_for("links.link_attachment", asset_id=asset.id, attachment_id=a.id,
                                              part=part),
        "back": url_for("links.link_home"), "export": None, "print": None,
        "decide": url_for("links.link_decide", asset_id=asset.id),
        "code": url_for("links.link_code", asset_id=asset.id),
    }


def _context(link, asset, version, guest) -> dict:
    urls = _urls(asset)
    if link.can_download:
        urls["original"] = url_for("links.link_original", asset_id=asset.id)
    context = viewer.viewer_context(version, guest, urls=urls)
    context["guest_page"] = True
    if link.can_decide:
        seat = _seat(version, guest)
        latest = db.session.scalar(select(Decision).where(Decision.version_id == version.id,
                                                          Decision.reviewer_email == guest.email)
                                   .order_by(Decision.id.desc()).limit(1))
        review = engine.open_review_of(version)
        # The stage named to the guest: theirs, else the open client-facing one (never an internal stage's name).
        shown = next((s for s in review.stages if s.status.value == "open" and not s.internal), None) \
            if review else None
        context["decision"] = {
            "participant": seat, "stage": seat.stage if seat else shown,
            "latest": latest, "can_decide": review is not None and (seat is None or seat.decides),
            "verdicts": visible_verdicts(), "request_key": secrets.token_hex(16), "advisory": seat is None,
            **(code_state(seat, not verified_recently(seat)) if seat is not None else {"needs_code": False}),
        }
    return context


@bp.get("/r/assets/<int:asset_id>")
def link_asset(asset_id: int):
    will_write()  # a reviewer's "opened" mark
    link = _link()
    guest = _guest(link)
    asset, version = _covered(link, asset_id)
    seat = _seat(version, guest)
    if seat is not None and seat.opened_at is None:  # the team sees "Opened" instead of "Invited"
        seat.opened_at = utcnow()
        db.session.commit()
    return render("review/viewer.html", **_context(link, asset, version, guest))


def _failed(exc: DomainError, link, asset, version, guest):
    return guests.failed(exc, lambda: _context(link, asset, version, guest))


@bp.get("/r/assets/<int:asset_id>/panel")
def link_panel(asset_id: int):
    link = _link()
    guest = _guest(link)
    asset, version = _covered(link, asset_id)
    context = _context(link, asset, version, guest)
    if request.args.get("stamp") == context["stamp"]:
        return "", 204
    return render("review/_panel.html", "review/_panel.html", oob=True, **context)


@bp.post("/r/assets/<int:asset_id>/comments")
@body_limit(*attachments.BODY_LIMIT)
def link_comment(asset_id: int):
    link = _link()
    guest = _guest(link)
    asset, version = _covered(link, asset_id)  # first: what the link doesn't cover is a 404, never a 403 (D1)
    if not link.can_comment:
        abort(403, "This link lets you view the work, not comment on it.")
    response = add(version, guest, _urls(asset))
    seat = _seat(version, guest)
    if response.status_code < 400:
        engine.mark_commented(seat)  # the team sees "Commented"
        db.session.commit()
    return response


@bp.post("/r/assets/<int:asset_id>/comments/<int:comment_id>/<any(reply, edit, delete):action>")
@body_limit(*attachments.BODY_LIMIT)
def link_comment_action(asset_id: int, comment_id: int, action: str):
    link = _link()
    guest = _guest(link)
    asset, version = _covered(link, asset_id)  # first: 404 for what the link doesn't cover (D1)
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.version_id != version.id or comment.internal:
        abort(404)
    if not link.can_comment:
        abort(403, "This link lets you view the work, not comment on it.")
    return act(comment, guest, action, _urls(asset))


@bp.get("/r/assets/<int:asset_id>/file/<name>")
def link_file(asset_id: int, name: str):
    link = _link()
    _guest(link)
    return send_rendition(_covered(link, asset_id)[1], name)


@bp.get("/r/assets/<int:asset_id>/attachments/<int:attachment_id>/<any(file, thumb):part>")
def link_attachment(asset_id: int, attachment_id: int, part: str):
    link = _link()
    guest = _guest(link)
    version = _covered(link, asset_id)[1]
    return send_attachment(shown_attachment(attachment_id, guest, version), part)


@bp.get("/r/assets/<int:asset_id>/media")
def link_media(asset_id: int):
    link = _link()
    _guest(link)
    return send_media(_covered(link, asset_id)[1])


@bp.get("/r/assets/<int:asset_id>/original")
def link_original(asset_id: int):
    link = _link()
    _guest(link)
    if not link.can_download:
        abort(404)
    return send_version_original(_covered(link, asset_id)[1])


@bp.post("/r/assets/<int:asset_id>/decide")
def link_decide(asset_id: int):
    link = _link()
    guest = _guest(link)
    asset, version = _covered(link, asset_id)  # first: 404 for what the link doesn't cover (D1)
    if not link.can_decide:
        abort(403, "This link does not ask for decisions.")
    try:
        verdict = Verdict(request.form.get("verdict", ""))
    except ValueError:
        abort(422, "Choose a decision.")
    seat = _seat(version, guest)
    identity = engine.Identity(channel=Channel.REVIEW_LINK, identified_by="code" if seat else "review_link",
                               name=guest.name, email=guest.email, ip=request.remote_addr or "",
                               user_agent=request.user_agent.string or "")
    try:
        if seat is not None:
            if not verified_recently(seat):
                raise NotAllowed("Confirm it's you first: ask for a code by email and enter it, then decide.")
            engine.decide(seat, request.form.get("version_id", type=int) or 0, verdict,
                          request.form.get("note", ""), identity, request_key=request.form.get("request_key"))
            done = f"Thank you. Your decision on {version.label} is recorded: {verdict.label.lower()}. " \
                   "The team has been told."
        else:
            if request.form.get("version_id", type=int) != version.id:
                raise engine.StaleVersion("You were looking at an older version. Reload the page.")
            engine.advisory(version, verdict, request.form.get("note", ""), identity)
            done = f"Thank you. Your view on {version.label} ({verdict.label.lower()}) is shared with the team."
    except DomainError as exc:
        return _failed(exc, link, asset, version, guest)
    db.session.commit()
    flash(done, "success")
    return see_other(url_for("links.link_asset", asset_id=asset.id) + "#decide")


@bp.post("/r/assets/<int:asset_id>/code")
def link_code(asset_id: int):
    link = _link()
    guest = _guest(link)
    asset, version = _covered(link, asset_id)
    seat = _seat(version, guest)
    if seat is None:
        abort(404)
    try:
        send_code(seat)
    except DomainError as exc:
        return _failed(exc, link, asset, version, guest)
    db.session.commit()
    return see_other(url_for("links.link_asset", asset_id=asset_id))  # the page says where it went; focus: the code


@bp.post("/r/assets/<int:asset_id>/code/check")
def link_code_check(asset_id: int):
    link = _link()
    guest = _guest(link)
    asset, version = _covered(link, asset_id)
    seat = _seat(version, guest)
    if seat is None:
        abort(404)
    try:
        check_code(seat, request.form.get("code", ""))
    except DomainError as exc:
        db.session.commit()  # keep the count of tries
        return _failed(exc, link, asset, version, guest)
    if not seat.name or "@" in seat.name:  # now known to be this reviewer: the team sees the name they gave
        seat.name = guest.name
    db.session.commit()
    flash("Thank you, that's you. Now choose your decision.", "success")
    return see_other(url_for("links.link_asset", asset_id=asset_id) + "#decide")
