"""Writes on assets and versions: add a file, versions, card actions (assign, due date, archive)."""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import PurePath

from blinker import Namespace
from flask import current_app
from sqlalchemy import func, select

from .. import activity
from ..accounts.models import User
from ..db import db, utcnow
from ..errors import Conflict, DomainError
from ..jobs import defer
from ..projects.models import Project
from ..storage import get_storage, new_key
from .media import MediaError, detect
from .media_image_check import too_many_pixels
from .models import Asset, AssetVersion, MediaKind, VersionState

log = logging.getLogger(__name__)
signals = Namespace()
#: sent with ``version=`` after a new version of an existing asset is added (reviews react to it)
version_added = signals.signal("version-added")
#: sent with ``version=`` when a version is soft-deleted or restored
version_changed = signals.signal("version-changed")
#: sent with ``actor=`` when an asset is archived (its open review ends; restoring it reopens nothing)
asset_archived = signals.signal("asset-archived")

MEDIA = (MediaKind.VIDEO, MediaKind.AUDIO)


class InvalidInput(DomainError):
    """What the user sent can't be used as it is (422)."""

    status = 422


class UploadRefused(InvalidInput):
    """The file is refused as a whole; the message says why."""


class UploadTooLarge(UploadRefused):
    """Over the size limit (F1): 413."""

    status = 413


def title_from_name(filename: str) -> str:
    stem = PurePath(filename.replace("\\", "/")).stem or "Untitled"
    return " ".join(stem.replace("_", " ").split())[:200] or "Untitled"


def limit_bytes(kind: MediaKind | None) -> int:
    cfg = current_app.config
    mb = cfg["MAX_MEDIA_UPLOAD_MB"] if kind in MEDIA or kind is None else cfg["MAX_UPLOAD_MB"]
    return int(mb) * 1024 * 1024


def add_file(user: User, project: Project, path: str, filename: str, *, asset: Asset | None = None,
             note: str = "") -> AssetVersion:
    """Turn a complete local file into a new asset (or a new version of ``asset``).

    The file is checked by content first; nothing reaches storage unless it passes.
    Raises UploadRefused with words for the user.
    """
    if project.archived:
        raise Conflict("This project is archived. Reopen it to add work.")
    try:
        found = detect(path, filename)
    except MediaError as exc:
        raise UploadRefused(exc.message) from exc
    kind = MediaKind(found.kind)
    size = os.path.getsize(path)
    if size == 0:
        raise UploadRefused("This file is empty.")
    if size > limit_bytes(kind):
        raise UploadTooLarge(f"This file is larger than the {limit_bytes(kind) // 2**20} MB allowed for "
                            f"{'video and audio' if kind in MEDIA else 'images and documents'}.")
    if kind == MediaKind.IMAGE and too_many_pixels(path):
        raise UploadRefused("This image has too many pixels to preview safely (over 100 megapixels).")
    stored = get_storage(current_app).save_path(new_key("originals"), path)
    if asset is None:
        asset = Asset(project_id=project.id, title=title_from_name(filename), created_by_id=user.id)
        db.session.add(asset)
        db.session.flush()
    number = (db.session.scalar(select(func.max(AssetVersion.number)).where(AssetVersion.asset_id == asset.id))
              or 0) + 1
    version = AssetVersion(
        asset_id=asset.id, number=number, note=note.strip(), original_name=filename[:300],
        storage_key=stored.key, size=stored.size, sha256=stored.sha256, mime=found.mime, kind=kind,
        uploaded_by_id=user.id, state=VersionState.PROCESSING,
    )
    db.session.add(version)
    db.session.flush()
    asset.current_version_id = version.id
    activity.record("version.uploaded", actor=user, subject=version, project_id=project.id,
                    asset_id=asset.id, number=number, name=filename[:300], sha256=stored.sha256)
    if number > 1:
        version_added.send(asset, version=version)
    from .pipeline import process_version  # the job module imports this one

    defer(process_version, version.id)
    return version


def retry(user: User, version: AssetVersion) -> None:
    if version.state != VersionState.FAILED:
        raise Conflict("Only a version whose processing failed can be retried.")
    version.state, version.failure, version.started_at, version.attempts = VersionState.PROCESSING, "", None, 0
    activity.record("version.retried", actor=user, subject=version, project_id=version.asset.project_id)
    from .pipeline import process_version

    defer(process_version, version.id)


def delete_version(user: User, version: AssetVersion) -> None:
    asset = version.asset
    live = [v for v in asset.versions if v.deleted_at is None]
    if version.deleted_at is not None:
        return
    if len(live) == 1:
        raise Conflict("This is the only version. Archive the asset instead.")
    version.deleted_at = utcnow()
    _refresh_current(asset)
    activity.record("version.deleted", actor=user, subject=version, project_id=asset.project_id)
    version_changed.send(asset, version=version)


def restore_version(user: User, version: AssetVersion) -> None:
    if version.deleted_at is None:
        return
    version.deleted_at = None
    _refresh_current(version.asset)
    activity.record("version.restored", actor=user, subject=version, project_id=version.asset.project_id)
    version_changed.send(version.asset, version=version)


def _refresh_current(asset: Asset) -> None:
    db.session.flush()
    live = [v for v in asset.versions if v.deleted_at is None]
    asset.current_version_id = max(live, key=lambda v: v.number).id if live else None


def rename(user: User, asset: Asset, title: str) -> None:
    title = " ".join(title.split())[:200]
    if not title:
        raise InvalidInput("Give the asset a title.")
    old, asset.title = asset.title, title
    activity.record("asset.renamed", actor=user, subject=asset, project_id=asset.project_id, old=old)


def assign(user: User, asset: Asset, assignee: User | None) -> None:
    if assignee is not None and (assignee.is_client_contact or not assignee.active):
        raise InvalidInput("Assign the asset to an active team member.")
    asset.assignee_id = assignee.id if assignee else None
    activity.record("asset.assigned", actor=user, subject=asset, project_id=asset.project_id,
                    assignee=assignee.email if assignee else None)


def set_due(user: User, asset: Asset, due: date | None) -> None:
    asset.due_date = due
    activity.record("asset.due_set", actor=user, subject=asset, project_id=asset.project_id,
                    due=due.isoformat() if due else None)


def set_archived(user: User, asset: Asset, archived: bool) -> None:
    if asset.archived == archived:  # a second click changes nothing (and logs nothing)
        return
    asset.archived_at = utcnow() if archived else None
    activity.record("asset.archived" if archived else "asset.unarchived", actor=user, subject=asset,
                    project_id=asset.project_id)
    if archived:
        asset_archived.send(asset, actor=user)
