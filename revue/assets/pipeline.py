"""The rendition job: make previews of a version in a sandboxed child process (F3, F8, F9).

Renditions are stored as each one is ready (page 1 of a PDF first, so the viewer can
show it while later pages are still rendering). A failure is recorded with the reason
in plain words; nothing is retried automatically (the user has a Retry button).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from datetime import timedelta

from flask import current_app
from huey import crontab
from sqlalchemy import select, update

from ..db import db, utcnow
from ..jobs import defer, job, periodic
from ..storage import get_storage, new_key
from .media import MediaError
from .media import Rendition as MediaRendition
from .media_worker import run_sandboxed
from .models import AssetVersion, MediaKind, Rendition, VersionState

log = logging.getLogger(__name__)


@job()
def process_version(version_id: int) -> str:
    return make_renditions(version_id)


def make_renditions(version_id: int) -> str:
    if not _claim(version_id):
        return "skipped"
    version = db.session.get(AssetVersion, version_id)
    if version.kind == MediaKind.OTHER:  # nothing to preview; PostScript never meets a decoder (F2)
        version.meta, version.state, version.processed_at = {}, VersionState.READY, utcnow()
        db.session.commit()
        return VersionState.READY.value
    storage = get_storage(current_app)
    for old in list(version.renditions):  # leftovers of an earlier, failed attempt
        storage.delete(old.storage_key)
        version.renditions.remove(old)
    db.session.commit()
    work = tempfile.mkdtemp(prefix="revue-render-")
    try:
        source = storage.local_path(version.storage_key) or _download(storage, version.storage_key, work)

        def keep(rendition: MediaRendition) -> None:
            _store(version, rendition)
            db.session.commit()

        cfg = current_app.config
        result = run_sandboxed(
            source, version.kind.value, version.mime, os.path.join(work, "out"),
            timeout_s=cfg["RENDITION_TIMEOUT_S"], memory_mb=cfg["RENDITION_MEMORY_MB"],
            on_rendition=keep,
        )
        for rendition in result.renditions:
            if version.rendition(rendition.name) is None:
                _store(version, rendition)
        waveform = next((r for r in result.renditions if r.name == "waveform"), None)
        if waveform is not None and version.rendition("thumb") is None:  # audio: its waveform is its card
            _store(version, MediaRendition(name="thumb", path=waveform.path, mime=waveform.mime,
                                           width=waveform.width, height=waveform.height))
        version.meta = result.metadata
        version.state, version.processed_at = VersionState.READY, utcnow()
        db.session.commit()
        log.info("version %s ready with %d renditions", version.id, len(version.renditions))
    except MediaError as exc:
        db.session.rollback()
        _fail(version_id, exc.message)
    except Exception:
        db.session.rollback()
        log.exception("processing version %s failed", version_id)
        _fail(version_id, "Revue could not make a preview of this file. The original is kept safe; "
                          "try again, or download it to check.")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return db.session.get(AssetVersion, version_id).state.value


def _stale_after() -> timedelta:
    return timedelta(seconds=current_app.config["RENDITION_TIMEOUT_S"] + 120)


def _claim(version_id: int) -> bool:
    """Start an attempt unless another job is working on this version (jobs may be queued twice)."""
    now = utcnow()
    claimed = db.session.execute(
        update(AssetVersion)
        .where(AssetVersion.id == version_id, AssetVersion.state == VersionState.PROCESSING,
               AssetVersion.started_at.is_(None) | (AssetVersion.started_at < now - _stale_after()))
        .values(started_at=now, attempts=AssetVersion.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(claimed)


def _store(version: AssetVersion, rendition: MediaRendition) -> None:
    stored = get_storage(current_app).save_path(new_key("renditions"), rendition.path)
    db.session.add(Rendition(version_id=version.id, name=rendition.name, storage_key=stored.key,
                             mime=rendition.mime, size=stored.size, width=rendition.width,
                             height=rendition.height))
    db.session.flush()
    db.session.refresh(version, ["renditions"])


def _fail(version_id: int, reason: str) -> None:
    version = db.session.get(AssetVersion, version_id)
    version.state, version.failure, version.processed_at = VersionState.FAILED, reason, utcnow()
    db.session.commit()
    log.warning("version %s failed: %s", version_id, reason)


def _download(storage, key: str, work: str) -> str:
    path = os.path.join(work, "original")
    with storage.open(key) as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)
    return path


MAX_ATTEMPTS = 3


@periodic(crontab(minute="*/2"))
def rescue_versions() -> int:
    return rescue()


def rescue() -> int:
    """Queue again what a lost job or a killed worker left in ``processing`` (huey runs a job at most once)."""
    now = utcnow()
    stuck = db.session.scalars(select(AssetVersion).where(
        AssetVersion.state == VersionState.PROCESSING,
        (AssetVersion.started_at.is_(None) & (AssetVersion.created_at < now - timedelta(minutes=5)))
        | (AssetVersion.started_at < now - _stale_after()),
    )).all()
    for version in stuck:
        if version.attempts >= MAX_ATTEMPTS:
            version.state, version.processed_at = VersionState.FAILED, now
            version.failure = "Processing was interrupted several times. Try again, or upload the file again."
            log.warning("version %s failed: interrupted %d times", version.id, version.attempts)
        else:
            # queued once this commits; no ORM access afterwards (on SQLite a lazy load would
            # open a write transaction that an inline job then waits on)
            defer(process_version, version.id)
    db.session.commit()
    return len(stuck)


@periodic(crontab(minute="17"))
def sweep_leftovers() -> int:
    """Hourly: abandoned uploads and temp files of crashed writes (I4)."""
    from .uploads import sweep

    removed = sweep() + get_storage(current_app).sweep_temp()
    db.session.commit()
    return removed
