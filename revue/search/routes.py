"""``GET /search?q=``: the page, or for htmx (active search) just the results."""

from __future__ import annotations

from flask import request
from flask_login import current_user, login_required

from ..rendering import render
from . import bp, services


@bp.get("")
@login_required
def index():
    q = services.clean_query(request.args.get("q"))
    results = services.search(current_user, q)
    return render("search/index.html", "search/_results.html", results=results, q=q)
