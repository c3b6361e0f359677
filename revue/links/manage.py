"""The team's side of review links: list, create (the URL is shown once), revoke."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import flash, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from ..accounts.access import agency_required
from ..assets.models import Asset
from ..db import db
from ..errors import DomainError
from ..projects.access import project_for
from ..rendering import render, see_other
from ..settings.services import workspace_zone
from . import bp, services
from .models import ReviewLink


@bp.get("/links/projects/<int:project_id>")
@agency_required
def manage(project_id: int):
    project = project_for(current_user, project_id, manage=True)
    links = list(db.session.scalars(select(ReviewLink).where(ReviewLink.project_id == project.id)
                                    .order_by(ReviewLink.created_at.desc())))
    assets = list(db.session.scalars(select(Asset).where(Asset.project_id == project.id, Asset.archived_at.is_(None))
                                     .order_by(Asset.title)))
    fresh = session.pop("fresh_link", None)
    return render("links/manage.html", project=project, links=links, assets=assets, fresh=fresh)


@bp.post("/links/projects/<int:project_id>")
@agency_required
def create(project_id: int):
    project = project_for(current_user, project_id, manage=True)
    form = request.form
    expires = None
    if form.get("expires"):
        try:
            day = datetime.strptime(form["expires"], "%Y-%m-%d").date()  # to the end of that day, on the agency's clock
            expires = datetime.combine(day, time(23, 59), workspace_zone()).astimezone(UTC)
        except ValueError:
            flash("Enter the expiry as a date.", "error")
            return see_other(url_for("links.manage", project_id=project.id))
    try:
        link, raw = services.create_link(
            current_user, project, label=form.get("label", ""),
            asset_ids=[int(a) for a in form.getlist("asset_ids") if a.isdigit()],
            can_comment=form.get("can_comment") == "1", can_decide=form.get("can_decide") == "1",
            can_download=form.get("can_download") == "1", password=form.get("password", ""), expires_at=expires)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return see_other(url_for("links.manage", project_id=project.id))
    db.session.commit()
    from flask import current_app

    session["fresh_link"] = {"id": link.id, "url": current_app.config["BASE_URL"] + url_for("links.link_landing",
                                                                                             token=raw)}
    return see_other(url_for("links.manage", project_id=project.id))


@bp.post("/links/<int:link_id>/revoke")
@agency_required
def revoke(link_id: int):
    link = db.get_or_404(ReviewLink, link_id)
    project_for(current_user, link.project_id, manage=True)
    services.revoke(current_user, link)
    db.session.commit()
    flash("Link revoked. Anyone using it now sees that it is no longer valid.", "success")
    return see_other(url_for("links.manage", project_id=link.project_id))
