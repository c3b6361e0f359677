"""Who may do what, at the level of accounts: decorators for routes."""

from __future__ import annotations

import functools

from flask import abort, flash, redirect, request, session
from flask_login import current_user, login_required
from flask_login.utils import login_url

from ..extensions import login_manager
from . import services


@login_manager.user_loader
def load_user(user_id: str):
    raw = session.get("sid")
    if not raw:
        return None
    user = services.session_user(raw)
    if user is None or str(user.id) != user_id:
        session.clear()
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    """Anonymous visitors go to the login page; an htmx request is redirected as a whole page."""
    target = login_url(login_manager.login_view, next_url=request.url)
    if request.headers.get("HX-Request"):
        return "", 401, {"HX-Redirect": target}
    flash(login_manager.login_message, "info")
    return redirect(target)


def agency_required(view):
    """Members of the agency (owner, admin, member) only; client contacts get 404."""

    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_agency:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_agency:
            abort(404)
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
