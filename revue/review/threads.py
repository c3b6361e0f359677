"""Reading comments for the viewer: threads, pins, the live-update stamp, the carry-over checklist."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..assets.models import AssetVersion
from ..comments.models import Comment
from ..db import db


def _visible(query, who):
    return query if getattr(who, "is_agency", False) else query.where(Comment.internal.is_(False))


def threads(version: AssetVersion, who) -> list[Comment]:
    """Top-level comments with replies, authors and attachments: a fixed number of queries."""
    query = (
        select(Comment)
        .where(Comment.version_id == version.id, Comment.parent_id.is_(None))
        .options(
            joinedload(Comment.author), joinedload(Comment.resolved_by),
            selectinload(Comment.replies).joinedload(Comment.author),
            selectinload(Comment.replies).selectinload(Comment.attachments),
            selectinload(Comment.attachments),
        )
        .order_by(Comment.number, Comment.id)
    )
    return list(db.session.scalars(_visible(query, who)).unique())


def stamp(version: AssetVersion, who) -> str:
    """Changes whenever a comment the viewer can see is added, edited, resolved or deleted."""
    query = select(
        func.count(Comment.id), func.max(Comment.id), func.max(Comment.edited_at), func.max(Comment.resolved_at),
        func.max(Comment.deleted_at), func.count(Comment.resolved_at),
    ).where(Comment.version_id == version.id)
    row = db.session.execute(_visible(query, who)).one()
    extra = _decision_stamp(version)
    if getattr(who, "is_agency", False):  # the carry-over checklist lists the open comments of earlier versions
        extra += (_earlier_open(version),)
    return hashlib.sha256(repr((tuple(row), extra)).encode()).hexdigest()[:16]


def _earlier_open(version: AssetVersion) -> int:
    earlier = select(AssetVersion.id).where(AssetVersion.asset_id == version.asset_id,
                                            AssetVersion.number < version.number)
    return db.session.scalar(select(func.count(Comment.id)).where(
        Comment.version_id.in_(earlier), Comment.parent_id.is_(None), Comment.resolved_at.is_(None),
        Comment.deleted_at.is_(None)))


def _decision_stamp(version: AssetVersion) -> tuple:
    from .models import Decision, Review

    decisions = db.session.execute(select(func.count(Decision.id), func.max(Decision.id))
                                   .where(Decision.version_id == version.id)).one()
    reviews = db.session.execute(select(func.count(Review.id), func.max(Review.closed_at))
                                 .where(Review.version_id == version.id)).one()
    return tuple(decisions) + tuple(reviews)


def previous_open(version: AssetVersion, who) -> tuple[AssetVersion | None, list[Comment]]:
    """The open comments of the version before this one, for the checklist on this one."""
    previous = db.session.scalar(
        select(AssetVersion).where(AssetVersion.asset_id == version.asset_id, AssetVersion.number < version.number,
                                   AssetVersion.deleted_at.is_(None))
        .order_by(AssetVersion.number.desc()).limit(1))
    if previous is None:
        return None, []
    query = (select(Comment).where(Comment.version_id == previous.id, Comment.parent_id.is_(None),
                                   Comment.deleted_at.is_(None), Comment.resolved_at.is_(None))
             .options(joinedload(Comment.author)).order_by(Comment.number, Comment.id))
    return previous, list(db.session.scalars(_visible(query, who)))


def comment_counts(comments: list[Comment]) -> dict[str, int]:
    live = [c for c in comments if c.deleted_at is None]
    return {"all": len(live), "open": sum(1 for c in live if not c.resolved_at),
            "resolved": sum(1 for c in live if c.resolved_at)}
