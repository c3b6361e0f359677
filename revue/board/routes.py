from __future__ import annotations

from flask import request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..accounts.models import Role, User
from ..assets.models import VersionState
from ..clients.models import Client
from ..db import db
from ..projects.access import project_for, visible_projects
from ..projects.models import Project, ProjectStatus
from ..rendering import render
from . import bp, queries


def _context(items, **extra):
    return {
        "columns": queries.by_column(items),
        "processing": any(c.version and c.version.state == VersionState.PROCESSING for c in items),
        **extra,
    }


@bp.get("/")
@login_required
def index():
    filters = {
        "client_id": request.args.get("client", type=int),
        "project_id": request.args.get("project", type=int),
        "assignee_id": request.args.get("assignee", type=int),
        "archived": request.args.get("archived") == "1",
    }
    if filters["project_id"]:
        project_for(current_user, filters["project_id"])
    items = queries.cards(current_user, **filters)
    projects = db.session.execute(
        visible_projects(current_user).where(Project.status == ProjectStatus.ACTIVE)
        .with_only_columns(Project.id, Project.name).order_by(func.lower(Project.name))).all()
    clients = db.session.execute(select(Client.id, Client.name).where(Client.archived_at.is_(None))
                                 .order_by(func.lower(Client.name))).all() if current_user.is_agency else []
    people = db.session.execute(select(User.id, User.name).where(User.role != Role.CLIENT, User.active)
                                .order_by(User.name)).all() if current_user.is_agency else []
    kept = {name: request.args[name] for name in ("client", "project", "assignee") if request.args.get(name)}
    return render("board/index.html", "board/_board.html",
                  **_context(items, filters=filters, projects=projects, clients=clients, people=people,
                             cross_project=True, board_url=request.full_path,
                             home_url=url_for("board.index", **kept),
                             archived_url=url_for("board.index", **kept, archived=1)))


@bp.app_template_global()
def project_board(project: Project) -> dict:
    """The board of a project, for the project page (which sits below this feature)."""
    items = queries.cards(current_user, project_id=project.id)
    return _context(items, project=project, cross_project=False, archived=False,
                    board_url=url_for("board.project", project_id=project.id))


@bp.get("/projects/<int:project_id>")
@login_required
def project(project_id: int):
    project = project_for(current_user, project_id)
    archived = request.args.get("archived") == "1"
    items = queries.cards(current_user, project_id=project.id, archived=archived)
    return render("board/project.html", "board/_board.html",
                  **_context(items, project=project, cross_project=False, archived=archived,
                             board_url=request.full_path))
