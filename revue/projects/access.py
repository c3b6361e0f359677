"""Which projects a person may see and manage (SECURITY D6).

Admins see every project; members the projects they belong to; client contacts the
projects of their own client. Anything else is a 404: outsiders do not learn that
an object exists.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, exists, select

from ..accounts.models import User
from ..db import db
from .models import Project, ProjectMember


def visible_projects(user: User) -> Select:
    query = select(Project)
    if user.is_admin:
        return query
    if user.is_client_contact:
        return query.where(Project.client_id == user.client_id)
    member = exists().where(ProjectMember.project_id == Project.id, ProjectMember.user_id == user.id)
    return query.where(member)


def can_see(user: User, project: Project) -> bool:
    if user.is_admin:
        return True
    if user.is_client_contact:
        return project.client_id == user.client_id
    return db.session.scalar(
        select(ProjectMember.id).where(ProjectMember.project_id == project.id, ProjectMember.user_id == user.id)
    ) is not None


def project_for(user: User, project_id: int, *, manage: bool = False) -> Project:
    """The project if ``user`` may see it (404 otherwise); ``manage`` needs the agency side (403)."""
    project = db.session.get(Project, project_id)
    if project is None or not can_see(user, project):
        abort(404)
    if manage and not user.is_agency:
        abort(403)
    return project
