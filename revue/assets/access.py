"""Who may see and act on assets and versions (SECURITY D1–D6).

Agency members see the assets of projects they may see. Client contacts see an asset
only once one of its versions was sent to a review stage in which they (or every
contact of their client) are reviewers — and then only those versions; never drafts or
internal stages. Everything else is a 404.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, exists, func, literal, select

from ..accounts.models import User
from ..db import db
from ..projects.access import can_see, visible_projects
from .models import Asset, AssetVersion


class ClientVisibility:
    """Set by the review feature: ``(user) -> Select of version ids`` a client contact may see."""

    versions_for_contact = None


def contact_version_ids(user: User) -> Select:
    if ClientVisibility.versions_for_contact is None:
        return select(AssetVersion.id).where(False)  # nothing is shared before reviews exist
    return ClientVisibility.versions_for_contact(user)


def visible_assets(user: User) -> Select:
    projects = visible_projects(user).subquery()
    query = select(Asset).where(Asset.project_id.in_(select(projects.c.id)))
    if user.is_client_contact:
        shared = exists().where(AssetVersion.asset_id == Asset.id, AssetVersion.deleted_at.is_(None),
                                AssetVersion.id.in_(contact_version_ids(user)))
        query = query.where(shared)
    return query


def shown_version_id(user: User):
    """SQL for the version a card or list shows: the current one, or for a client contact the
    newest live version shared with them (a draft after it stays hidden)."""
    if not user.is_client_contact:
        return Asset.current_version_id
    return (select(func.max(AssetVersion.id))
            .where(AssetVersion.asset_id == Asset.id, AssetVersion.deleted_at.is_(None),
                   AssetVersion.id.in_(contact_version_ids(user)))
            .correlate(Asset).scalar_subquery())


def can_see_version(user: User, version: AssetVersion) -> bool:
    if version.deleted_at is not None and not user.is_agency:
        return False
    if not can_see(user, version.asset.project):
        return False
    if user.is_client_contact:
        shared = select(func.count()).where(literal(version.id).in_(contact_version_ids(user)))
        return bool(db.session.scalar(shared))
    return True


def asset_for(user: User, asset_id: int, *, manage: bool = False) -> Asset:
    asset = db.session.get(Asset, asset_id)
    if asset is None or not can_see(user, asset.project):
        abort(404)
    if user.is_client_contact:
        if not any(can_see_version(user, v) for v in asset.versions):
            abort(404)
        if manage:
            abort(403)
    return asset


def version_for(user: User, version_id: int, *, manage: bool = False) -> AssetVersion:
    version = db.session.get(AssetVersion, version_id)
    if version is None or not can_see_version(user, version):
        abort(404)
    if manage and not user.is_agency:
        abort(403)
    return version
