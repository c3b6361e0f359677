"""Uploads (resumable chunks, or a plain multipart form) and serving stored files."""

from __future__ import annotations

import os
import tempfile

from flask import abort, current_app, flash, jsonify, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..accounts.access import agency_required
from ..db import db
from ..errors import DomainError, error_response
from ..http_files import safe_filename, send_stored
from ..projects.access import project_for
from ..rendering import see_other
from ..security import body_limit
from ..storage import get_storage
from . import bp, uploads
from .access import asset_for, version_for
from .models import AssetVersion, MediaKind, Upload
from .services import add_file


def _json_error(message: str, status: int, **extra):
    return jsonify(error=message, **extra), status


def _target():
    """The project (and asset, for a new version) named by the request, checked."""
    project = project_for(current_user, request.values.get("project_id", type=int) or 0, manage=True)
    asset = None
    if request.values.get("asset_id", type=int):
        asset = asset_for(current_user, request.values.get("asset_id", type=int), manage=True)
        if asset.project_id != project.id:
            abort(404)
    return project, asset


@bp.post("/uploads")
@agency_required
def start_upload():
    project, asset = _target()
    try:
        upload = uploads.start(current_user, project, request.form.get("name", ""),
                               request.form.get("size", type=int) or 0, asset=asset,
                               note=request.form.get("note", ""))
    except DomainError as exc:
        return _json_error(exc.message, exc.status)
    db.session.commit()
    return jsonify(id=upload.id, offset=0, chunk=uploads.CHUNK_BYTES,
                   url=url_for("assets.upload_chunk", upload_id=upload.id)), 201


def _own_upload(upload_id: str) -> Upload:
    """The caller's own upload, while they may still add work to its project."""
    upload = db.session.get(Upload, upload_id)
    if upload is None or upload.user_id != current_user.id:
        abort(404)
    project_for(current_user, upload.project_id, manage=True)
    return upload


@bp.get("/uploads/<upload_id>")
@agency_required
def upload_status(upload_id: str):
    upload = _own_upload(upload_id)
    return jsonify(id=upload.id, offset=upload.received, size=upload.size)


def _offset_header() -> int:
    """The ``Upload-Offset`` header; a missing or garbled one is a mismatch (409 with the offset)."""
    value = request.headers.get("Upload-Offset", "")
    return int(value) if value.isdigit() else -1


@bp.post("/uploads/<upload_id>")
@body_limit(None)
@agency_required
def upload_chunk(upload_id: str):
    upload = _own_upload(upload_id)
    try:
        received = uploads.append(upload, _offset_header(), request.stream)
    except DomainError as exc:
        db.session.rollback()
        return _json_error(exc.message, exc.status, offset=upload.received)
    db.session.commit()
    if received < upload.size:
        return jsonify(offset=received)
    try:
        version = uploads.finish(upload, current_user)
        db.session.commit()
    except DomainError as exc:  # the whole file was refused: forget the upload
        db.session.rollback()
        uploads.cancel(db.session.get(Upload, upload_id))
        db.session.commit()
        return _json_error(exc.message, exc.status)
    return jsonify(offset=received, done=True, asset_id=version.asset_id, version_id=version.id,
                   asset_url=url_for("assets.show", asset_id=version.asset_id),
                   state_url=url_for("assets.upload_state", version_id=version.id)), 201


@bp.post("/uploads/<upload_id>/cancel")
@agency_required
def cancel_upload(upload_id: str):
    uploads.cancel(_own_upload(upload_id))
    db.session.commit()
    return "", 204


@bp.post("/upload")
@body_limit(None)
@agency_required
def upload_form():
    """The no-JavaScript path: a multipart form with one or more files.

    Each file is checked on its own; when every file is refused the answer carries the
    refusal's status (413, 422…) and the reasons, otherwise the page shows one message per file.
    """
    project, asset = _target()
    back = url_for("assets.show", asset_id=asset.id) if asset else url_for("projects.show", project_id=project.id)
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        flash("Choose at least one file to upload.", "error")
        return see_other(back)
    messages, refusals = [], []
    for upload in files:
        shown = safe_filename(upload.filename, default="file")
        try:
            version = _add_form_file(project, asset, upload)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            messages.append(("error", f"“{shown}” was not uploaded: {exc.message}"))
            refusals.append(exc.status)
        else:
            messages.append(("success", f"“{shown}” uploaded as {version.label}."))
    if len(refusals) == len(files):
        status = refusals[0] if len(set(refusals)) == 1 else 422
        return error_response(status, " ".join(text for _, text in messages))
    for category, text in messages:
        flash(text, category)
    return see_other(back)


def _add_form_file(project, asset, upload) -> AssetVersion:
    fd, path = tempfile.mkstemp(dir=uploads.parts_dir(), suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            upload.save(out)
        return add_file(current_user, project, path, upload.filename, asset=asset, note=request.form.get("note", ""))
    finally:
        os.unlink(path)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    limit = current_app.config["MAX_MEDIA_UPLOAD_MB"]
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/assets/uploads"):
        return _json_error(f"This file is larger than the {limit} MB Revue accepts.", 413)
    return error_response(413, f"This upload is larger than the {limit} MB Revue accepts.")


def _last_modified(version: AssetVersion):
    return version.processed_at or version.created_at


@bp.get("/versions/<int:version_id>/original")
def original(version_id: int):
    version = version_for(current_user, version_id) if current_user.is_authenticated else abort(404)
    return send_version_original(version)


def send_version_original(version: AssetVersion):
    return send_stored(get_storage(current_app), version.storage_key, mime=version.mime, size=version.size,
                       etag=version.sha256, last_modified=version.created_at,
                       download_name=version.original_name, as_attachment=True)


@bp.get("/versions/<int:version_id>/r/<name>")
def rendition(version_id: int, name: str):
    version = version_for(current_user, version_id) if current_user.is_authenticated else abort(404)
    return send_rendition(version, name)


def send_rendition(version: AssetVersion, name: str):
    found = version.rendition(name)
    if found is None:
        abort(404)
    media = version.kind in (MediaKind.VIDEO, MediaKind.AUDIO) and name == "web"
    return send_stored(get_storage(current_app), found.storage_key, mime=found.mime, size=found.size,
                       etag=f"{version.sha256[:16]}-{found.id}", last_modified=_last_modified(version),
                       inline_media=media)


@bp.get("/versions/<int:version_id>/media")
def media(version_id: int):
    """What the page's <video>/<audio> plays: the web copy, or the original when browsers play it."""
    version = version_for(current_user, version_id) if current_user.is_authenticated else abort(404)
    return send_media(version)


def send_media(version: AssetVersion):
    if version.kind not in (MediaKind.VIDEO, MediaKind.AUDIO):
        abort(404)
    if version.rendition("web") is not None:
        return send_rendition(version, "web")
    if not version.ready:
        abort(404)
    return send_stored(get_storage(current_app), version.storage_key, mime=version.mime, size=version.size,
                       etag=version.sha256, last_modified=version.created_at, inline_media=True)
