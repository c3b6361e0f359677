from __future__ import annotations

from flask import flash, request, url_for
from flask_login import current_user

from ..accounts.access import agency_required
from ..assets.access import version_for
from ..db import db
from ..errors import DomainError
from ..extensions import htmx
from ..rendering import changed, see_other
from . import bp, services


@bp.post("/versions/<int:version_id>/record-approval")
@agency_required
def record_approval(version_id: int):
    version = version_for(current_user, version_id, manage=True)
    try:
        services.record_approval(current_user, version, request.form.get("note", ""))
    except DomainError as exc:
        db.session.rollback()
        if htmx:
            raise
        flash(exc.message, "error")
        return see_other(url_for("assets.show", asset_id=version.asset_id) + "#record-approval")
    db.session.commit()
    message = f"Approval of {version.label} recorded."
    if htmx:
        return changed(message)
    flash(message, "success")
    return see_other(url_for("assets.show", asset_id=version.asset_id))
