"""Resumable uploads: a file goes up in chunks; after a dropped connection the browser asks
for the offset and continues. The parts live in ``instance/tmp/uploads`` until complete,
then :func:`services.add_file` checks the whole file and stores it (I4: never half visible).
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..accounts.models import User
from ..db import db, utcnow
from ..errors import Conflict, DomainError
from ..projects.models import Project
from . import services
from .media import MediaError
from .media_detect import check_name
from .models import Asset, AssetVersion, Upload

log = logging.getLogger(__name__)
CHUNK_BYTES = 8 * 1024 * 1024
MAX_CHUNK_BYTES = 32 * 1024 * 1024
STALE_AFTER = timedelta(days=1)


def parts_dir() -> Path:
    path = Path(current_app.instance_path) / "tmp" / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def part_path(upload: Upload) -> Path:
    return parts_dir() / f"{upload.id}.part"


def start(user: User, project: Project, filename: str, size: int, *, asset: Asset | None = None,
          note: str = "") -> Upload:
    filename = filename.strip()
    if not filename:
        raise services.UploadRefused("The file has no name.")
    try:
        check_name(filename)
    except MediaError as exc:
        raise services.UploadRefused(exc.message) from exc
    if size <= 0:
        raise services.UploadRefused("This file is empty.")
    if size > services.limit_bytes(None):
        raise services.UploadTooLarge(f"This file is larger than the {services.limit_bytes(None) // 2**20} MB "
                                      "Revue accepts.")
    if project.archived:
        raise Conflict("This project is archived. Reopen it to add work.")
    upload = Upload(id=secrets.token_hex(16), user_id=user.id, project_id=project.id,
                    asset_id=asset.id if asset else None, filename=filename[:300], note=note[:5000], size=size)
    db.session.add(upload)
    part_path(upload).touch()
    return upload


class ChunkRefused(DomainError):
    """A chunk that would not fit the announced size (the upload itself stays resumable)."""

    status = 413


def append(upload: Upload, offset: int, stream) -> int:
    """Write one chunk at ``offset``; returns the new offset.

    The database's ``received`` is the truth: bytes of a chunk whose connection dropped
    half-way are cut off again, so the browser can resume from the offset it is told.
    """
    if offset != upload.received:
        raise Conflict(f"Expected the upload to continue at byte {upload.received}.")
    path = part_path(upload)
    if not path.exists() or path.stat().st_size < upload.received:
        raise Conflict("This upload was interrupted on the server. Start it again.")
    written = 0
    with path.open("r+b") as out:
        out.truncate(upload.received)  # leftovers of a dropped chunk
        out.seek(upload.received)
        try:
            while block := stream.read(1024 * 1024):
                written += len(block)
                if written > MAX_CHUNK_BYTES:
                    raise ChunkRefused(f"A chunk may be at most {MAX_CHUNK_BYTES // 2**20} MB.")
                if upload.received + written > upload.size:
                    raise ChunkRefused("The upload sent more bytes than announced.")
                out.write(block)
        except BaseException:
            out.truncate(upload.received)
            raise
    upload.received += written
    upload.updated_at = utcnow()
    return upload.received


def finish(upload: Upload, user: User) -> AssetVersion:
    """Turn a complete upload into a version.

    A refused file (DomainError) loses its part file; the caller cancels the upload. After an
    unexpected error the part stays, so sending the last (empty) chunk again can finish it.
    """
    path = part_path(upload)
    asset = db.session.get(Asset, upload.asset_id) if upload.asset_id else None
    project = db.session.get(Project, upload.project_id)
    try:
        version = services.add_file(user, project, str(path), upload.filename, asset=asset, note=upload.note)
    except DomainError:
        path.unlink(missing_ok=True)
        raise
    path.unlink(missing_ok=True)
    db.session.delete(upload)
    return version


def cancel(upload: Upload) -> None:
    part_path(upload).unlink(missing_ok=True)
    db.session.delete(upload)


def sweep() -> int:
    """Remove uploads abandoned for a day, and stray part files."""
    cutoff = utcnow() - STALE_AFTER
    stale = db.session.scalars(select(Upload).where(Upload.updated_at < cutoff)).all()
    for upload in stale:
        cancel(upload)
    known = {u for u in db.session.scalars(select(Upload.id))}
    removed = len(stale)
    for part in parts_dir().glob("*.part"):
        if part.stem not in known and part.stat().st_mtime < cutoff.timestamp():
            os.unlink(part)
            removed += 1
    return removed
