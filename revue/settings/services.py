from __future__ import annotations

import io
import logging

from flask import current_app, g
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from .. import activity
from ..db import db
from ..errors import DomainError
from ..jobs import defer, job
from ..storage import get_storage, new_key
from .models import Workspace

log = logging.getLogger(__name__)
LOGO_MAX = (600, 200)
LOGO_MAX_PIXELS = 40_000_000


def current_workspace() -> Workspace | None:
    if "workspace" not in g:
        g.workspace = db.session.scalar(select(Workspace).order_by(Workspace.id).limit(1))
    return g.workspace


def update_workspace(actor, workspace: Workspace, *, name: str, brand_color: str, timezone: str) -> None:
    workspace.name, workspace.brand_color, workspace.timezone = name.strip(), brand_color.lower(), timezone
    activity.record("workspace.updated", actor=actor, subject=workspace)


def set_logo(actor, workspace: Workspace, upload) -> None:
    """Re-encode the logo as a small PNG: the original bytes are never served."""
    try:
        with Image.open(upload.stream) as image:
            if image.format not in {"PNG", "JPEG", "WEBP", "GIF"}:
                raise DomainError("The logo must be a PNG, JPEG, WebP or GIF image.")
            if image.width * image.height > LOGO_MAX_PIXELS:
                raise DomainError("That image is too large for a logo.")
            image.seek(0)
            image.thumbnail(LOGO_MAX)
            out = io.BytesIO()
            image.convert("RGBA").save(out, "PNG", optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise DomainError("That file is not an image Revue can read.") from exc
    out.seek(0)
    storage = get_storage(current_app)
    stored = storage.save(new_key("logos"), out)
    old = workspace.logo_key
    workspace.logo_key, workspace.logo_mime = stored.key, "image/png"
    if old:
        defer(delete_stored_file, old)  # only once the new key is committed
    activity.record("workspace.logo_changed", actor=actor, subject=workspace)


def remove_logo(actor, workspace: Workspace) -> None:
    if workspace.logo_key:
        defer(delete_stored_file, workspace.logo_key)
        workspace.logo_key = workspace.logo_mime = None
        activity.record("workspace.logo_removed", actor=actor, subject=workspace)


@job()
def delete_stored_file(key: str) -> None:
    get_storage(current_app).delete(key)
