from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import func, or_, select

from .. import activity
from ..accounts.models import Role, User
from ..accounts.services import invitation_accepted
from ..clients.models import Client
from ..db import db
from ..errors import Conflict
from .access import visible_projects
from .models import Project, ProjectMember, ProjectStatus

log = logging.getLogger(__name__)


class WorkflowTemplates:
    """Filled in by the review feature (review/workflows.py), which sits above projects: the workspace's
    workflow templates a new project can start from.

    ``choices()`` gives ``([(value, name), ...], default value)``; ``apply(actor, project, value)`` gives the
    project its own copy of the template ``value`` names, or raises ``Invalid``.
    """

    choices: Callable[[], tuple[list[tuple[str, str]], str]] = staticmethod(lambda: ([], ""))
    apply: Callable[[User, Project, str], object] | None = None


def create_project(actor: User, *, client: Client, name: str, brief: str = "", due_date: date | None = None,
                   workflow: str = "") -> Project:
    """A new project; ``workflow`` (a value of ``WorkflowTemplates.choices``) gives it its own copy of that
    template at once, in the same transaction. Without one it follows the workspace default until changed."""
    if client.archived:
        raise Conflict("That client is archived. Restore it first.")
    project = Project(client_id=client.id, name=name.strip(), brief=brief or "", due_date=due_date,
                      created_by_id=actor.id)
    db.session.add(project)
    db.session.flush()
    if not actor.is_client_contact:
        db.session.add(ProjectMember(project_id=project.id, user_id=actor.id))
    activity.record("project.created", actor=actor, subject=project, project_id=project.id, name=project.name)
    if workflow and WorkflowTemplates.apply is not None:
        WorkflowTemplates.apply(actor, project, workflow)
    return project


def update_project(actor: User, project: Project, *, client: Client, name: str, brief: str,
                   due_date: date | None) -> None:
    project.client_id, project.name, project.brief, project.due_date = client.id, name.strip(), brief or "", due_date
    activity.record("project.updated", actor=actor, subject=project, project_id=project.id)


def set_status(actor: User, project: Project, status: ProjectStatus) -> None:
    project.status = status
    activity.record(f"project.{'archived' if status == ProjectStatus.ARCHIVED else 'reopened'}",
                    actor=actor, subject=project, project_id=project.id)


def add_member(actor: User | None, project: Project, user: User) -> None:
    if user.is_client_contact or not user.active:
        raise Conflict("Only active team members can join a project.")
    if db.session.scalar(select(ProjectMember.id).where(ProjectMember.project_id == project.id,
                                                        ProjectMember.user_id == user.id)):
        return
    db.session.add(ProjectMember(project_id=project.id, user_id=user.id))
    db.session.flush()
    activity.record("project.member_added", actor=actor, actor_label=None if actor else "invitation",
                    subject=project, project_id=project.id, member=user.email)


def remove_member(actor: User, project: Project, user: User) -> None:
    membership = db.session.scalar(select(ProjectMember).where(ProjectMember.project_id == project.id,
                                                               ProjectMember.user_id == user.id))
    if membership is not None:
        db.session.delete(membership)
        activity.record("project.member_removed", actor=actor, subject=project, project_id=project.id,
                        member=user.email)


@invitation_accepted.connect
def _join_invited_project(invitation, user: User, **_):
    if invitation.project_id and user.is_agency:
        project = db.session.get(Project, invitation.project_id)
        if project is not None:
            add_member(None, project, user)


DUE_FILTERS = {"overdue": "Overdue", "week": "Due within 7 days", "month": "Due within 30 days", "none": "No due date"}


def search(user: User, *, q: str = "", client_id: int | None = None, status: str = "active", due: str = ""):
    """The project list: rows of (project, client name, member count), newest due first."""
    query = visible_projects(user).join(Client, Client.id == Project.client_id)
    if q:  # % and _ are searched for, not wildcards
        q = q.lower()
        query = query.where(or_(func.lower(Project.name).contains(q, autoescape=True),
                                func.lower(Client.name).contains(q, autoescape=True)))
    if client_id:
        query = query.where(Project.client_id == client_id)
    if status in ("active", "archived"):
        query = query.where(Project.status == ProjectStatus(status))
    today = date.today()  # the same "today" as the due dates shown (the ``today`` template global)
    if due == "overdue":
        query = query.where(Project.due_date < today)
    elif due in ("week", "month"):
        query = query.where(Project.due_date >= today,
                            Project.due_date <= today + timedelta(days=7 if due == "week" else 30))
    elif due == "none":
        query = query.where(Project.due_date.is_(None))
    members = (
        select(func.count(ProjectMember.id)).where(ProjectMember.project_id == Project.id).scalar_subquery()
    )
    query = query.add_columns(Client.name, members).order_by(
        Project.due_date.is_(None), Project.due_date, func.lower(Project.name)
    )
    return db.session.execute(query.limit(500)).all()


def addable_members(project: Project) -> list[User]:
    taken = select(ProjectMember.user_id).where(ProjectMember.project_id == project.id)
    return list(db.session.scalars(
        select(User).where(User.role != Role.CLIENT, User.active, User.id.not_in(taken)).order_by(User.name)
    ))


def members(project: Project) -> list[User]:
    return list(db.session.scalars(
        select(User).join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project.id).order_by(User.name)
    ))
