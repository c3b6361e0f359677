"""Pages of the review feature: the approval record, the project workflow, notifications, activity."""

from __future__ import annotations

import hashlib

from flask import Response, abort, current_app, flash, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, update

from ..accounts.access import agency_required
from ..accounts.models import User
from ..activity import Activity
from ..assets.access import asset_for, version_for
from ..db import db, utcnow
from ..errors import DomainError
from ..projects.access import project_for
from ..projects.services import members as project_members
from ..rendering import render, see_other
from ..settings.services import current_workspace, workspace_zone
from ..storage import get_storage
from . import bp, history, notify, pdf, workflows
from .models import Decision, Notification, Review, Rule, Workflow, WorkflowStage

# -- approval record ---------------------------------------------------------------------------


def record_context(version, who) -> dict:
    storage = get_storage(current_app)
    sha = hashlib.sha256()
    with storage.open(version.storage_key) as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            sha.update(block)
    decisions = list(db.session.scalars(select(Decision).where(Decision.version_id == version.id)
                                        .order_by(Decision.created_at, Decision.id)))
    reviews = list(db.session.scalars(select(Review).where(Review.version_id == version.id).order_by(Review.id)))
    if not who.is_agency:  # a client contact never sees the team's own stages (DESIGN: who sees what)
        internal = {stage.id for review in reviews for stage in review.stages if stage.internal}
        decisions = [d for d in decisions if d.stage_id not in internal]
    return {"version": version, "asset": version.asset, "project": version.asset.project, "decisions": decisions,
            "reviews": reviews, "rehash": sha.hexdigest(), "hash_ok": sha.hexdigest() == version.sha256,
            "zone": workspace_zone(), "generated_at": utcnow()}


@bp.get("/versions/<int:version_id>/record")
@login_required
def record(version_id: int):
    version = version_for(current_user, version_id)
    return render("review/record.html", **record_context(version, current_user))


@bp.get("/versions/<int:version_id>/record.pdf")
@login_required
def record_pdf(version_id: int):
    version = version_for(current_user, version_id)
    workspace, thumb = current_workspace(), version.rendition("thumb")
    body = pdf.approval_record(record_context(version, current_user), agency=workspace.name if workspace else "",
                               logo=pdf.picture(_stored(workspace and workspace.logo_key), pdf.LOGO_BOX),
                               thumbnail=pdf.picture(_stored(thumb and thumb.storage_key), pdf.THUMB_BOX))
    response = Response(body, mimetype="application/pdf")
    from ..http_files import content_disposition

    response.headers["Content-Disposition"] = content_disposition(
        "attachment", f"{version.asset.title} {version.label} approval record.pdf")
    return response


def _stored(key: str | None) -> bytes | None:
    """A small stored image (a logo, a thumbnail), or None when there is none or it has gone missing."""
    if not key:
        return None
    try:
        with get_storage(current_app).open(key) as fh:
            return fh.read(5 * 1024 * 1024)
    except (OSError, ValueError):  # gone missing, or a key this storage refuses
        return None


# -- workflow of a project ---------------------------------------------------------------------------


@bp.get("/projects/<int:project_id>/workflow")
@agency_required
def workflow(project_id: int):
    project = project_for(current_user, project_id, manage=True)
    flow, own = workflows.shown_for(project)
    team = project_members(project)
    contacts = list(db.session.scalars(select(User).where(User.client_id == project.client_id, User.active)))
    skipped = {r.id for s in flow.stages if s.internal for r in s.reviewers if workflows.outside_team(r)}
    return render("review/workflow.html", project=project, workflow=flow, own=own,
                  templates=workflows.templates(create=False),
                  team=team, contacts=contacts, rules=list(Rule), skipped=skipped)


@bp.post("/projects/<int:project_id>/workflow")
@agency_required
def workflow_action(project_id: int):
    project = project_for(current_user, project_id, manage=True)
    flow = workflows.for_project(project)
    form, action = request.form, request.form.get("action")
    try:
        if action == "apply":
            template = db.get_or_404(Workflow, form.get("template_id", type=int))
            if template.project_id is not None:
                abort(404)
            workflows.apply_template(current_user, project, template)
        elif action == "save_template":
            workflows.copy(flow, name=(form.get("name") or f"{project.name} workflow").strip()[:120])
        elif action == "add_stage":
            workflows.add_stage(current_user, flow, name=form.get("name", ""), rule=Rule(form.get("rule", "all")),
                                required=form.get("required", type=int) or 1, due_days=form.get("due_days", type=int) or 0,
                                internal=form.get("internal") == "1")
        elif action == "remove_stage":
            workflows.remove_stage(current_user, flow, _stage_of(flow, form.get("stage", type=int)))
        elif action == "team_only":
            workflows.set_internal(current_user, flow, _stage_of(flow, form.get("stage", type=int)),
                                   form.get("value") == "1")
        elif action == "add_reviewer":
            stage = _stage_of(flow, form.get("stage", type=int))
            who = form.get("who", "")
            user = db.session.get(User, int(who.split(":")[1])) if who.startswith("user:") else None
            if user is not None and not (user.client_id == project.client_id or user.is_agency):
                abort(404)
            workflows.add_reviewer(current_user, stage, user=user, email=form.get("email", ""),
                                   name=form.get("name", ""), all_client_contacts=who == "contacts",
                                   all_project_members=who == "team", decides=form.get("decides", "1") == "1")
        elif action == "remove_reviewer":
            stage = _stage_of(flow, form.get("stage", type=int))
            index = form.get("reviewer", type=int)
            if index is None or not 0 <= index < len(stage.reviewers):
                abort(404)
            stage.reviewers.pop(index)
        elif action == "restart":
            flow.restart_at_requesting_stage = form.get("value") == "1"
        else:
            abort(422, "Unknown workflow action.")
    except (DomainError, ValueError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", "Check the values and try again."), "error")
        return see_other(url_for("review.workflow", project_id=project.id))
    db.session.commit()
    flash("Workflow saved.", "success")
    return see_other(url_for("review.workflow", project_id=project.id))


def _stage_of(flow: Workflow, position: int | None) -> WorkflowStage:
    stage = next((s for s in flow.stages if s.position == position), None)
    if stage is None:
        abort(404)
    return stage


# -- notifications -------------------------------------------------------------------------------


@bp.get("/notifications")
@login_required
def notifications():
    items = list(db.session.scalars(select(Notification).where(Notification.user_id == current_user.id)
                                    .order_by(Notification.created_at.desc()).limit(50)))
    from .services import owed_by

    return render("review/notifications.html", items=items, owed=owed_by(current_user))


@bp.post("/notifications/read")
@login_required
def notifications_read():
    """Mark all the caller's notifications read, or (``notification``) the one they clicked, and open it."""
    mine = select(Notification).where(Notification.user_id == current_user.id)
    clicked = request.form.get("notification", type=int)
    if clicked is not None:
        note = db.session.scalar(mine.where(Notification.id == clicked))
        if note is None:
            abort(404)
        note.read_at = note.read_at or utcnow()
        db.session.commit()
        return see_other(note.url or url_for("review.notifications"))
    db.session.execute(update(Notification).where(Notification.user_id == current_user.id,
                                                  Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    return see_other(url_for("review.notifications"))


@bp.app_context_processor
def unread_notifications():
    def count() -> int:
        if not current_user.is_authenticated:
            return 0
        from sqlalchemy import func

        return db.session.scalar(select(func.count(Notification.id)).where(
            Notification.user_id == current_user.id, Notification.read_at.is_(None))) or 0

    return {"unread_notifications": count}


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    if request.method == "POST":
        prefs = dict(current_user.notification_prefs or {})
        for kind in notify.KINDS:
            value = request.form.get(kind)
            if value in notify.CHOICES:
                prefs[kind] = value
        current_user.notification_prefs = prefs
        db.session.commit()
        flash("Notification preferences saved.", "success")
        return see_other(url_for("review.preferences"))
    choices = {kind: notify.preference(current_user, kind) for kind in notify.KINDS}
    return render("review/preferences.html", kinds=notify.KINDS, choices=choices, options=notify.CHOICES)


# -- activity -----------------------------------------------------------------------------------


@bp.get("/projects/<int:project_id>/activity")
@login_required
def project_activity(project_id: int):
    project = project_for(current_user, project_id)
    if not current_user.is_agency:
        abort(404)
    rows = list(db.session.scalars(select(Activity).where(Activity.project_id == project.id)
                                   .order_by(Activity.id.desc()).limit(200)))
    return render("review/activity.html", project=project, asset=None, entries=history.entries(rows),
                  zone=workspace_zone())


@bp.get("/assets/<int:asset_id>/activity")
@agency_required
def asset_activity(asset_id: int):
    asset = asset_for(current_user, asset_id)
    rows = list(db.session.scalars(select(Activity).where(Activity.project_id == asset.project_id)
                                   .order_by(Activity.id.desc()).limit(1000)))
    entries = [entry for entry in history.entries(rows) if entry.asset_id == asset.id]
    return render("review/activity.html", project=asset.project, asset=asset, entries=entries[:200],
                  zone=workspace_zone())
