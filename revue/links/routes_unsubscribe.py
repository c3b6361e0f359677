from __future__ import annotations

from flask import abort, request

from ..db import db
from ..extensions import csrf
from ..rendering import render
from . import bp
from .unsubscribe import email_from, opt_out, thumb_token, thumb_version_id, unsubscribe_token


@bp.app_template_global("unsubscribe_token")
def _unsubscribe_token(email: str) -> str:
    return unsubscribe_token(email)


@bp.app_template_global("thumb_token")
def _thumb_token(version) -> str:
    return thumb_token(version)


@bp.get("/e/thumb/<signed>")
def email_thumb(signed: str):
    """The thumbnail shown in review-request emails (signed, expiring; the thumbnail only)."""
    from ..assets.models import AssetVersion
    from ..assets.routes_files import send_rendition

    version_id = thumb_version_id(signed)
    version = db.session.get(AssetVersion, version_id) if version_id else None
    if version is None or version.deleted_at is not None:
        abort(404)
    return send_rendition(version, "thumb")


@bp.route("/e/unsubscribe/<signed>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without cookies or tokens
def unsubscribe(signed: str):
    email = email_from(signed)
    if email is None:
        abort(404)
    request.revue_guest = True
    if request.method == "POST":
        opt_out(email)
        db.session.commit()
        return render("links/unsubscribed.html", email=email)
    return render("links/unsubscribe.html", email=email, signed=signed)
