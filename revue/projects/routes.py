from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..accounts.access import agency_required
from ..accounts.models import Invitation, Role, User
from ..clients.models import Client
from ..db import db
from ..errors import DomainError, Invalid
from ..rendering import invalid, render, see_other
from . import bp, services
from .access import project_for
from .forms import MemberForm, NewProjectForm, ProjectForm
from .models import ProjectStatus


def _client_choices(include_id: int | None = None) -> list[tuple[int, str]]:
    clients = db.session.scalars(
        select(Client).where((Client.archived_at.is_(None)) | (Client.id == include_id)).order_by(
            func.lower(Client.name))
    ).all()
    return [(c.id, c.name) for c in clients]


@bp.get("/")
@login_required
def index():
    args = request.args
    filters = {
        "q": args.get("q", "").strip()[:100],
        "client_id": args.get("client", type=int),
        "status": args.get("status", "active") if args.get("status") in ("active", "archived", "all") else "active",
        "due": args.get("due", "") if args.get("due") in services.DUE_FILTERS else "",
    }
    rows = services.search(current_user, **filters)
    clients = _client_choices() if current_user.is_agency else []
    return render("projects/index.html", "projects/_rows.html", rows=rows, filters=filters, clients=clients,
                  due_filters=services.DUE_FILTERS)


@bp.route("/new", methods=["GET", "POST"])
@agency_required
def create():
    form = NewProjectForm()
    form.client_id.choices = _client_choices()
    templates, default = services.WorkflowTemplates.choices()
    form.workflow.choices = [*templates, ("", "Set up later")]
    if request.method == "GET":
        form.workflow.data = default
        form.client_id.data = request.args.get("client", type=int)
    if form.validate_on_submit():
        client = db.get_or_404(Client, form.client_id.data)
        try:
            project = services.create_project(current_user, client=client, name=form.name.data,
                                              brief=form.brief.data, due_date=form.due_date.data,
                                              workflow=form.workflow.data)
        except DomainError as exc:
            db.session.rollback()  # nothing of the half-made project stays
            (form.workflow if isinstance(exc, Invalid) else form.client_id).errors.append(exc.message)
        else:
            db.session.commit()
            flash(f"Project “{project.name}” created.", "success")
            return see_other(url_for("projects.show", project_id=project.id))
    if form.errors:
        return invalid("projects/form.html", form=form, project=None)
    return render("projects/form.html", form=form, project=None)


@bp.get("/<int:project_id>")
@login_required
def show(project_id: int):
    project = project_for(current_user, project_id)
    context = {"project": project, "members": services.members(project)}
    if current_user.is_agency:
        member_form = MemberForm()
        member_form.user_id.choices = [(u.id, u.name) for u in services.addable_members(project)]
        contacts = db.session.scalars(
            select(User).where(User.client_id == project.client_id, User.role == Role.CLIENT, User.active)
            .order_by(User.name)).all()
        invited = db.session.scalars(  # not accepted yet; they are asked with "every contact" all the same
            select(Invitation).where(Invitation.client_id == project.client_id, Invitation.role == Role.CLIENT,
                                     Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
            .order_by(Invitation.created_at)).all()
        context.update(member_form=member_form, contacts=contacts, invited=invited)
    return render("projects/show.html", **context)


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@agency_required
def edit(project_id: int):
    project = project_for(current_user, project_id, manage=True)
    form = ProjectForm(obj=project)
    form.client_id.choices = _client_choices(include_id=project.client_id)
    if form.validate_on_submit():
        client = db.get_or_404(Client, form.client_id.data)
        services.update_project(current_user, project, client=client, name=form.name.data,
                                brief=form.brief.data, due_date=form.due_date.data)
        db.session.commit()
        flash("Project saved.", "success")
        return see_other(url_for("projects.show", project_id=project.id))
    if form.errors:
        return invalid("projects/form.html", form=form, project=project)
    return render("projects/form.html", form=form, project=project)


@bp.post("/<int:project_id>/status")
@agency_required
def change_status(project_id: int):
    project = project_for(current_user, project_id, manage=True)
    try:
        status = ProjectStatus(request.form.get("status", ""))
    except ValueError:
        abort(422, "Unknown project status.")
    services.set_status(current_user, project, status)
    db.session.commit()
    flash(f"Project {'archived' if status == ProjectStatus.ARCHIVED else 'reopened'}.", "success")
    return see_other(url_for("projects.show", project_id=project.id))


@bp.post("/<int:project_id>/members")
@agency_required
def add_member(project_id: int):
    project = project_for(current_user, project_id, manage=True)
    form = MemberForm()
    form.user_id.choices = [(u.id, u.name) for u in services.addable_members(project)]
    if not form.validate_on_submit():
        abort(422, "Choose a team member to add.")
    user = db.get_or_404(User, form.user_id.data)
    services.add_member(current_user, project, user)
    db.session.commit()
    flash(f"{user.name} added to the project.", "success")
    return see_other(url_for("projects.show", project_id=project.id))


@bp.post("/<int:project_id>/members/<int:user_id>/remove")
@agency_required
def remove_member(project_id: int, user_id: int):
    project = project_for(current_user, project_id, manage=True)
    user = db.get_or_404(User, user_id)
    services.remove_member(current_user, project, user)
    db.session.commit()
    flash(f"{user.name} removed from the project.", "success")
    if user.id == current_user.id and not current_user.is_admin:
        return see_other(url_for("projects.index"))
    return see_other(url_for("projects.show", project_id=project.id))
