"""Comment writes from the viewer: add, reply, edit, delete, resolve, the carry-over checklist; attachments.

``add``, ``act`` and the attachment helpers serve members here and guests on ``/e`` and ``/r`` alike.
"""

from __future__ import annotations

from contextlib import contextmanager

from flask import abort, current_app, flash, request
from flask_login import current_user, login_required

from ..assets.access import version_for
from ..comments import anchors, attachments
from ..comments import services as comments
from ..comments.models import Comment, CommentAttachment
from ..db import db
from ..errors import DomainError
from ..extensions import htmx
from ..http_files import send_stored
from ..rendering import render, see_other
from ..security import body_limit
from ..storage import get_storage
from . import bp, engine
from .viewer import locked, member_urls, viewer_context


def comment_for(who, comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or (comment.internal and not who.is_agency):
        abort(404)
    version_for(who, comment.version_id)
    return comment


def refreshed(version, who, urls, *, anchor: str = ""):
    """htmx: the fresh panel (and pins out of band); plain forms: back to the viewer."""
    if htmx:
        return panel_answer(urls["panel"])
    return see_other(urls["version"](version) + (f"#{anchor}" if anchor else ""))


def panel_answer(url: str):
    """What this visitor's panel URL answers (a member's, a guest's…): one place decides what the panel
    holds — the comments, and the decision form of a reviewer — whether it is polled or follows a write."""
    path = url.split("?", 1)[0].removeprefix(request.script_root)
    endpoint, args = current_app.url_map.bind_to_environ(request.environ).match(path, method="GET")
    return current_app.view_functions[endpoint](**args)


def failed(exc: DomainError, version, who, urls, *, draft: dict | None = None):
    """htmx: the error toast (with the status of the error), the form keeps what was typed; plain forms: the
    viewer again, with the message and the typed text back in its form (``draft``)."""
    db.session.rollback()
    if htmx:
        raise exc
    flash(exc.message, "error")
    return render("review/viewer.html", status=exc.status, guest_page=not getattr(who, "is_user", False),
                  draft=draft, **viewer_context(version, who, urls=urls))


def _draft(action: str, comment_id: int | None = None) -> dict:
    form = request.form
    return {"action": action, "comment_id": comment_id, "body": form.get("body", ""),
            "internal": form.get("internal") == "1"}


@contextmanager
def _attached_files():
    """The files sent with the form, checked and with their thumbnails, for the ``with`` block."""
    files = [(f.filename, f.stream) for f in request.files.getlist("files") if f.filename]
    if files:
        db.session.commit()  # (nothing written yet) so SQLite's write lock is not held while thumbnails are made
    with attachments.checked(files) as ready:
        yield ready


def add(version, who, urls):
    form = request.form
    try:
        anchor = anchors.parse(form.get("anchor"), kind=version.kind.value, pages=(version.meta or {}).get("pages"),
                               duration=(version.meta or {}).get("duration"))
        with _attached_files() as files:
            comment = comments.add_comment(version, who, form.get("body", ""), anchor=anchor,
                                           internal=form.get("internal") == "1", locked=locked(version), files=files)
        engine.mark_commented(engine.seat_of(version, who))
    except DomainError as exc:
        return failed(exc, version, who, urls, draft=_draft("add"))
    db.session.commit()
    return refreshed(version, who, urls, anchor=f"c{comment.id}")


@bp.post("/versions/<int:version_id>/comments")
@body_limit(*attachments.BODY_LIMIT)
@login_required
def add_comment(version_id: int):
    version = version_for(current_user, version_id)
    return add(version, current_user, member_urls(version))


ACTIONS = ("reply", "edit", "delete", "resolve", "reopen", "fixed", "still_open")


def act(comment: Comment, who, action: str, urls):
    version = target = comment.version
    try:
        if action == "reply":
            with _attached_files() as files:
                comments.reply(comment, who, request.form.get("body", ""), locked=locked(version), files=files)
            engine.mark_commented(engine.seat_of(version, who))
        elif action == "edit":
            comments.edit(comment, who, request.form.get("body", ""), locked=locked(version))
        elif action == "delete":
            comments.delete(comment, who, locked=locked(version))
        elif action in ("resolve", "reopen"):
            comments.set_resolved(comment, who, action == "resolve")
        else:  # the checklist on the next version
            if not who.is_agency:
                abort(403)
            target = version_for(who, request.form.get("version_id", type=int) or 0)
            if target.asset_id != version.asset_id or target.number <= version.number:
                abort(404)
            comments.carry_over(comment, who, target, still_open=action == "still_open")
    except DomainError as exc:
        draft = _draft(action, comment.id) if action in ("reply", "edit") else None
        return failed(exc, target, who, urls if target is version else member_urls(target), draft=draft)
    db.session.commit()
    return refreshed(target, who, urls if target is version else member_urls(target), anchor=f"c{comment.id}")


@bp.post("/comments/<int:comment_id>/<any(" + ", ".join(ACTIONS) + "):action>")
@body_limit(*attachments.BODY_LIMIT)
@login_required
def comment_action(comment_id: int, action: str):
    comment = comment_for(current_user, comment_id)
    return act(comment, current_user, action, member_urls(comment.version))


# -- attachments ---------------------------------------------------------------------------------------


def shown_attachment(attachment_id: int, who, version=None) -> CommentAttachment:
    """An attachment whose comment ``who`` can see, or 404: never of an internal comment for a client or a
    guest (D3), nor of a deleted one. Guests name the one ``version`` their link or seat shows."""
    found = db.session.get(CommentAttachment, attachment_id)
    comment = db.session.get(Comment, found.comment_id) if found else None
    if comment is None or comment.deleted_at is not None or (comment.internal and not who.is_agency):
        abort(404)
    if version is None:
        version_for(who, comment.version_id)
    elif comment.version_id != version.id:
        abort(404)
    return found


def send_attachment(attachment: CommentAttachment, part: str):
    """The file (always a download, like a version's original) or its thumbnail (our own JPEG, inline)."""
    storage = get_storage()
    if part == "thumb":
        if not attachment.thumb_key:
            abort(404)
        return send_stored(storage, attachment.thumb_key, mime=attachments.THUMB_MIME,
                           size=storage.size(attachment.thumb_key), etag=attachment.thumb_key.rsplit("/", 1)[-1],
                           last_modified=attachment.created_at)
    return send_stored(storage, attachment.storage_key, mime=attachment.mime, size=attachment.size,
                       etag=attachment.storage_key.rsplit("/", 1)[-1], last_modified=attachment.created_at,
                       download_name=attachment.original_name, as_attachment=True)


@bp.get("/attachments/<int:attachment_id>/<any(file, thumb):part>")
def attachment(attachment_id: int, part: str):
    if not current_user.is_authenticated:
        abort(404)  # files: a plain 404, no login page
    return send_attachment(shown_attachment(attachment_id, current_user), part)
