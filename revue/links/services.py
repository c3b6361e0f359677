"""Review links: create, revoke, and find what a link covers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from .. import activity
from ..accounts import passwords
from ..accounts.models import User
from ..assets.models import Asset, AssetVersion
from ..db import db, utcnow
from ..errors import DomainError
from ..projects.models import Project
from ..review.models import Review, ReviewStage, ReviewStatus, StageStatus
from ..tokens import digest, new_token
from .models import ReviewLink, ReviewLinkAsset


def create_link(actor: User, project: Project, *, label: str = "", asset_ids: list[int] | None = None,
                can_comment: bool = True, can_decide: bool = False, can_download: bool = False,
                password: str = "", expires_at: datetime | None = None) -> tuple[ReviewLink, str]:
    if expires_at is not None and expires_at <= utcnow():
        raise DomainError("Choose an expiry date in the future.")
    raw, token_hash = new_token()
    link = ReviewLink(project_id=project.id, token_hash=token_hash, label=label.strip()[:120],
                      can_comment=can_comment, can_decide=can_decide, can_download=can_download,
                      password_hash=passwords.hash_password(password) if password else None,
                      expires_at=expires_at, created_by_id=actor.id)
    for asset_id in asset_ids or []:
        asset = db.session.get(Asset, asset_id)
        if asset is None or asset.project_id != project.id:
            raise DomainError("Choose assets of this project.")
        link.assets.append(ReviewLinkAsset(asset_id=asset.id))
    db.session.add(link)
    db.session.flush()
    activity.record("link.created", actor=actor, subject=link, project_id=project.id,
                    assets=len(link.assets), decide=can_decide)
    return link, raw


def revoke(actor: User, link: ReviewLink) -> None:
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        activity.record("link.revoked", actor=actor, subject=link, project_id=link.project_id)


def by_token(raw: str | None) -> ReviewLink | None:
    if not raw:
        return None
    link = db.session.scalar(select(ReviewLink).where(ReviewLink.token_hash == digest(raw)))
    if link is None or not link.usable(utcnow()) or link.project.archived:
        return None
    return link


def _reviewable_version_id(asset_id):
    """The newest version of the asset whose review reached a stage that is not internal — never a
    draft, nor work still in the team's own check (as for client contacts)."""
    shown_to_clients = exists().where(ReviewStage.review_id == Review.id, ReviewStage.internal.is_(False),
                                      ReviewStage.opened_at.is_not(None) | (ReviewStage.status == StageStatus.OPEN))
    return (select(AssetVersion.id).join(Review, Review.version_id == AssetVersion.id)
            .where(AssetVersion.asset_id == asset_id, AssetVersion.deleted_at.is_(None),
                   Review.status != ReviewStatus.CANCELLED, shown_to_clients)
            .order_by(AssetVersion.number.desc()).limit(1))


def covered_assets(link: ReviewLink) -> list[tuple[Asset, AssetVersion]]:
    """The link's assets with the version a guest sees of each, in one query."""
    shown = _reviewable_version_id(Asset.id).correlate(Asset).scalar_subquery()
    query = (select(Asset, AssetVersion).join(AssetVersion, AssetVersion.id == shown)
             .where(Asset.project_id == link.project_id, Asset.archived_at.is_(None))
             .options(selectinload(AssetVersion.renditions)))
    if link.assets:
        query = query.where(Asset.id.in_([a.asset_id for a in link.assets]))
    return [(asset, version) for asset, version in db.session.execute(query.order_by(Asset.title, Asset.id))]


def covers(link: ReviewLink, asset_id: int) -> tuple[Asset, AssetVersion] | None:
    return next(((a, v) for a, v in covered_assets(link) if a.id == asset_id), None)
