"""The board: assets as cards in status columns, in a constant number of queries (two: cards, then the
reviewers of the cards in review)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..accounts.models import User
from ..assets.access import shown_version_id, visible_assets
from ..assets.models import Asset, AssetStatus, AssetVersion, Rendition
from ..clients.models import Client
from ..comments.models import Comment
from ..db import db
from ..projects.models import Project, ProjectStatus
from .progress import StageProgress, open_stages

COLUMNS = [AssetStatus.DRAFT, AssetStatus.IN_REVIEW, AssetStatus.CHANGES_REQUESTED, AssetStatus.APPROVED]


@dataclass
class Card:
    asset: Asset
    version: AssetVersion | None
    has_thumb: bool
    open_comments: int
    assignee: str | None
    project_name: str
    client_name: str
    progress: StageProgress | None = None  # in review: the open stage and where its reviewers stand

    @property
    def overdue(self) -> bool:
        return bool(self.asset.due_date and self.asset.due_date < date.today()
                    and self.asset.status != AssetStatus.APPROVED)


def cards(user: User, *, project_id: int | None = None, client_id: int | None = None,
          assignee_id: int | None = None, archived: bool = False, limit: int = 2000) -> list[Card]:
    version = aliased(AssetVersion)
    shown = shown_version_id(user)
    thumb = (select(func.count(Rendition.id))
             .where(Rendition.version_id == version.id, Rendition.name == "thumb")
             .correlate(version).scalar_subquery())
    comments = select(func.count(Comment.id)).where(
        Comment.version_id == version.id, Comment.parent_id.is_(None),
        Comment.deleted_at.is_(None), Comment.resolved_at.is_(None))
    if user.is_client_contact:
        comments = comments.where(Comment.internal.is_(False))
    assignee = aliased(User)
    query = (
        visible_assets(user)
        .join(Project, Project.id == Asset.project_id)
        .join(Client, Client.id == Project.client_id)
        .outerjoin(version, version.id == shown)
        .outerjoin(assignee, assignee.id == Asset.assignee_id)
        .add_columns(version, thumb, comments.correlate(version).scalar_subquery(), assignee.name, Project.name,
                     Client.name)
        .where(Asset.archived_at.is_not(None) if archived else Asset.archived_at.is_(None))
        .order_by(Asset.due_date.is_(None), Asset.due_date, Asset.status_changed_at.desc(), Asset.id.desc())
        .limit(limit)
    )
    if project_id:
        query = query.where(Asset.project_id == project_id)
    else:
        query = query.where(Project.status == ProjectStatus.ACTIVE)
    if client_id:
        query = query.where(Project.client_id == client_id)
    if assignee_id:
        query = query.where(Asset.assignee_id == assignee_id)
    items = [Card(a, v, bool(t), c or 0, who, p, cl) for a, v, t, c, who, p, cl in db.session.execute(query)]
    in_review = [c.version.id for c in items if c.version and c.asset.status == AssetStatus.IN_REVIEW]
    stages = open_stages(user, in_review)
    for card in items:
        card.progress = stages.get(card.version.id) if card.version else None
    return items


def by_column(items: list[Card]) -> dict[AssetStatus, list[Card]]:
    columns: dict[AssetStatus, list[Card]] = {status: [] for status in COLUMNS}
    for card in items:
        columns[card.asset.status].append(card)
    return columns

