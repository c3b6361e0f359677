"""One URL answers with a page or, for htmx, with the fragment it swaps (STYLE 4)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Response, make_response, redirect, render_template, request

from .db import utcnow
from .extensions import htmx


def wants_fragment() -> bool:
    """htmx asked for a region (not a boosted navigation, not a history restore, which needs the page)."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, partial: str | None = None, *, status: int = 200, **context: Any) -> Response:
    template = partial if partial and wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def invalid(page: str, partial: str | None = None, **context: Any) -> Response:
    """An invalid form: the same form with its errors beside the fields, 422."""
    return render(page, partial, status=422, **context)


def see_other(location: str) -> Response:
    """Post/Redirect/Get; htmx follows ``HX-Location`` without a full reload."""
    if htmx and not htmx.boosted:
        response = make_response("", 204)
        response.headers["HX-Location"] = location
        return response
    return redirect(location, code=303)


def next_url(default: str) -> str:
    """A same-site ``next`` parameter, or ``default``."""
    target = request.values.get("next", "")
    unsafe = "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target)
    if target.startswith("/") and not target.startswith("//") and not unsafe:
        return target
    return default


def changed(message: str, event: str = "board-changed") -> Response:
    """An htmx write that re-renders other regions: 204, an event for them, and a toast."""
    response = make_response("", 204)
    response.headers["HX-Trigger"] = json.dumps({event: True, "revue:toast": {"message": message}})
    return response


def ago(moment: datetime, now: datetime | None = None) -> str:
    """``2 h ago``, ``yesterday``: how long ago, for people (the exact time goes in a title)."""
    now = now or utcnow()
    seconds = max((now - moment).total_seconds(), 0)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min ago"
    if seconds < 86400:
        return f"{seconds // 3600:.0f} h ago"
    days = int(seconds // 86400)
    return "yesterday" if days == 1 else f"{days} days ago"
