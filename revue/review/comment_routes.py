"""Comment writes from the viewer: add, reply, edit, delete, resolve, the carry-over checklist."""

from __future__ import annotations

from flask import abort, current_app, flash, request
from flask_login import current_user, login_required

from ..assets.access import version_for
from ..comments import anchors
from ..comments import services as comments
from ..comments.models import Comment
from ..db import db
from ..errors import DomainError
from ..extensions import htmx
from ..rendering import render, see_other
from . import bp
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


def failed(exc: DomainError, version, who, urls):
    """htmx: the error toast (with the status of the error); plain forms: the viewer again, with the message."""
    db.session.rollback()
    if htmx:
        raise exc
    flash(exc.message, "error")
    return render("review/viewer.html", status=exc.status, guest_page=not getattr(who, "is_user", False),
                  **viewer_context(version, who, urls=urls))


def add(version, who, urls):
    form = request.form
    try:
        anchor = anchors.parse(form.get("anchor"), kind=version.kind.value, pages=(version.meta or {}).get("pages"),
                               duration=(version.meta or {}).get("duration"))
        comment = comments.add_comment(version, who, form.get("body", ""), anchor=anchor,
                                       internal=form.get("internal") == "1", locked=locked(version))
    except DomainError as exc:
        return failed(exc, version, who, urls)
    db.session.commit()
    return refreshed(version, who, urls, anchor=f"c{comment.id}")


@bp.post("/versions/<int:version_id>/comments")
@login_required
def add_comment(version_id: int):
    version = version_for(current_user, version_id)
    return add(version, current_user, member_urls(version))


ACTIONS = ("reply", "edit", "delete", "resolve", "reopen", "fixed", "still_open")


def act(comment: Comment, who, action: str, urls):
    version = target = comment.version
    try:
        if action == "reply":
            comments.reply(comment, who, request.form.get("body", ""), locked=locked(version))
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
        return failed(exc, target, who, urls if target is version else member_urls(target))
    db.session.commit()
    return refreshed(target, who, urls if target is version else member_urls(target), anchor=f"c{comment.id}")


@bp.post("/comments/<int:comment_id>/<any(" + ", ".join(ACTIONS) + "):action>")
@login_required
def comment_action(comment_id: int, action: str):
    comment = comment_for(current_user, comment_id)
    return act(comment, current_user, action, member_urls(comment.version))
