"""Asset pages and card actions (rename, assign, due date, archive, version history)."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user, login_required

from ..accounts.access import agency_required
from ..accounts.models import User
from ..db import db
from ..extensions import htmx
from ..projects.services import members as project_members
from ..rendering import changed, render, see_other
from . import bp, services
from .access import asset_for, can_see_version, version_for
from .forms import AssignForm, DueForm, TitleForm, VersionNoteForm
from .models import AssetVersion


def _done(message: str, asset_id: int):
    """After a card action: htmx re-renders the board and asset in place; plain forms go back."""
    if htmx:
        return changed(message)
    flash(message, "success")
    return see_other(_same_site(request.form.get("back", "")) or url_for("assets.show", asset_id=asset_id))


def _same_site(target: str) -> str | None:
    """A path on this site, or None (``//host`` and ``/\\host`` lead elsewhere in browsers)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target and not any(
            ord(ch) < 32 for ch in target):
        return target
    return None


def _team_choices(asset) -> list[tuple[int, str]]:
    return [(0, "Nobody")] + [(u.id, u.name) for u in project_members(asset.project)]


@bp.get("/<int:asset_id>")
@login_required
def show(asset_id: int):
    asset = asset_for(current_user, asset_id)
    versions = [v for v in asset.versions if can_see_version(current_user, v)]
    context = {"asset": asset, "versions": versions, "project": asset.project,
               "current": _current(asset, versions)}
    if current_user.is_agency:
        assign = AssignForm(assignee_id=asset.assignee_id or 0)
        assign.assignee_id.choices = _team_choices(asset)
        context.update(title_form=TitleForm(obj=asset), assign_form=assign, due_form=DueForm(obj=asset),
                       note_form=VersionNoteForm())
    return render("assets/show.html", **context)


def _current(asset, versions: list[AssetVersion]) -> AssetVersion | None:
    """The version the page shows: the asset's current one, or for a client contact the newest
    version shared with them (never a draft they may not see)."""
    if current_user.is_agency:
        return asset.current_version
    return next((v for v in versions if v.deleted_at is None), None)


@bp.get("/<int:asset_id>/versions")
@login_required
def versions_fragment(asset_id: int):
    """The version list; polled while a version is processing."""
    asset = asset_for(current_user, asset_id)
    versions = [v for v in asset.versions if can_see_version(current_user, v)]
    return render("assets/_versions.html", "assets/_versions.html", asset=asset, versions=versions)


@bp.get("/versions/<int:version_id>/state")
@agency_required
def upload_state(version_id: int):
    """One uploaded file's line in the upload list: it re-renders itself until the preview is made or failed."""
    version = version_for(current_user, version_id)
    return render("assets/_upload_state.html", "assets/_upload_state.html", version=version)


@bp.post("/<int:asset_id>/title")
@agency_required
def rename(asset_id: int):
    asset = asset_for(current_user, asset_id, manage=True)
    form = TitleForm()
    if not form.validate_on_submit():
        abort(422, "Give the asset a title (at most 200 characters).")
    services.rename(current_user, asset, form.title.data)
    db.session.commit()
    return _done("Title saved.", asset.id)


@bp.post("/<int:asset_id>/assign")
@agency_required
def assign(asset_id: int):
    asset = asset_for(current_user, asset_id, manage=True)
    form = AssignForm()
    form.assignee_id.choices = _team_choices(asset)
    if not form.validate_on_submit():
        abort(422, "Choose a member of the project team.")
    assignee = db.session.get(User, form.assignee_id.data) if form.assignee_id.data else None
    services.assign(current_user, asset, assignee)
    db.session.commit()
    return _done(f"Assigned to {assignee.name}." if assignee else "Unassigned.", asset.id)


@bp.post("/<int:asset_id>/due")
@agency_required
def set_due(asset_id: int):
    asset = asset_for(current_user, asset_id, manage=True)
    form = DueForm()
    if not form.validate_on_submit():
        abort(422, "Enter the due date as a date, e.g. 2026-12-24.")
    services.set_due(current_user, asset, form.due_date.data)
    db.session.commit()
    return _done("Due date saved." if form.due_date.data else "Due date cleared.", asset.id)


@bp.post("/<int:asset_id>/archive")
@agency_required
def archive(asset_id: int):
    asset = asset_for(current_user, asset_id, manage=True)
    archived = request.form.get("archived", "1") == "1"
    services.set_archived(current_user, asset, archived)
    db.session.commit()
    return _done(f"“{asset.title}” {'archived' if archived else 'restored to the board'}.", asset.id)


@bp.post("/versions/<int:version_id>/<any(retry, delete, restore):action>")
@agency_required
def version_action(version_id: int, action: str):
    version = version_for(current_user, version_id, manage=True)
    {"retry": services.retry, "delete": services.delete_version, "restore": services.restore_version}[action](
        current_user, version)
    db.session.commit()
    words = {"retry": "Processing again.", "delete": f"{version.label} deleted. You can restore it.",
             "restore": f"{version.label} restored."}
    return _done(words[action], version.asset_id)



@bp.app_template_global()
def version_state_badge(version: AssetVersion) -> str:
    return {"processing": "badge-warn", "ready": "badge-ok", "failed": "badge-bad"}[version.state.value]

