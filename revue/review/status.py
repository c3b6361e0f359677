"""An asset's status follows from its reviews and decisions (DESIGN.md), never set by hand."""

from __future__ import annotations

from sqlalchemy import select

from ..accounts.models import User
from ..assets.access import ClientVisibility
from ..assets.models import Asset, AssetStatus, AssetVersion
from ..assets.services import version_changed
from ..db import db, utcnow
from .models import Channel, Decision, Participant, Review, ReviewStage, ReviewStatus

REVIEW_TO_STATUS = {
    ReviewStatus.OPEN: AssetStatus.IN_REVIEW,
    ReviewStatus.APPROVED: AssetStatus.APPROVED,
    ReviewStatus.CHANGES_REQUESTED: AssetStatus.CHANGES_REQUESTED,
}


def derive(asset: Asset) -> AssetStatus:
    """The status of the asset's current version. A new version not yet sent is a draft, even after changes were
    asked for on the one before: the requested changes were made (DESIGN's revision cycle time ends at this upload),
    and what the team owes now is sending it, which is what the Draft column lists."""
    version_id = asset.current_version_id
    if version_id is None:
        return AssetStatus.DRAFT
    if _recorded_approval(version_id):
        return AssetStatus.APPROVED
    latest = db.session.scalar(
        select(Review).where(Review.version_id == version_id, Review.status != ReviewStatus.CANCELLED)
        .order_by(Review.opened_at.desc(), Review.id.desc()).limit(1))
    return REVIEW_TO_STATUS[latest.status] if latest is not None else AssetStatus.DRAFT


def _recorded_approval(version_id: int) -> bool:
    return db.session.scalar(
        select(Decision.id).where(Decision.version_id == version_id, Decision.channel == Channel.RECORDED,
                                  Decision.verdict.in_(["approved", "approved_with_changes"])).limit(1)
    ) is not None


def refresh(asset: Asset) -> AssetStatus:
    db.session.flush()
    status = derive(asset)
    if status != asset.status:
        asset.status, asset.status_changed_at = status, utcnow()
    return status


@version_changed.connect
def _on_version(asset: Asset, version: AssetVersion, **_) -> None:
    refresh(asset)


def versions_for_contact(user: User):
    """Versions sent to a (non-internal) stage in which this client contact is a reviewer."""
    return (
        select(Review.version_id)
        .join(ReviewStage, ReviewStage.review_id == Review.id)
        .join(Participant, Participant.stage_id == ReviewStage.id)
        .where(ReviewStage.internal.is_(False), ReviewStage.status != "pending",
               Participant.removed_at.is_(None),
               (Participant.user_id == user.id) | (Participant.email == user.email))
    )


ClientVisibility.versions_for_contact = staticmethod(versions_for_contact)
