"""Files on comments: reference images and PDFs, a few per comment, each with a thumbnail (SECURITY F1–F7).

A file is judged by its content (``media.detect``; the name can only get it refused), an image's header
is checked for pixel bombs, and its thumbnail is made by the sandboxed media worker (memory cap, time
limit), right in the request: the worker is stopped as soon as it has the thumbnail of the image or of
page 1 of the PDF, which takes well under a second for most files. A file the worker cannot read is
refused with its words, so every attachment has a thumbnail.

The stored files are written before the comment commits. If that transaction ends any other way they
are deleted again; the files of a deleted comment are deleted once the deletion commits.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from PIL import Image
from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Session

from ..assets.media import MediaError, Rendition, detect
from ..assets.media_image import save_raster, shrink
from ..assets.media_image_check import too_many_pixels
from ..assets.media_types import DEFAULT_MAX_PIXELS
from ..assets.media_worker import run_sandboxed
from ..db import db
from ..errors import Invalid
from ..http_files import safe_filename
from ..storage import Storage, get_storage, new_key
from .models import Comment, CommentAttachment

log = logging.getLogger(__name__)

MAX_FILES = 5
MAX_MB = 20
BODY_LIMIT = (MAX_FILES * MAX_MB + 1, f"Attach at most {MAX_FILES} files of up to {MAX_MB} MB each to one comment.")
THUMB_EDGE = 240  # px, the long edge: the ~100 CSS px tiles stay sharp on high-density screens
THUMB_MIME = "image/jpeg"
ACCEPTED = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}
ACCEPT_ATTRIBUTE = "image/png,image/jpeg,image/gif,image/webp,application/pdf,.png,.jpg,.jpeg,.gif,.webp,.pdf"
_WRITTEN = "revue_attachments_written"  # stored in this transaction: deleted unless it commits
_DOOMED = "revue_attachments_doomed"  # of deleted attachments: deleted once the deletion commits


class InvalidAttachment(Invalid):
    """A file that can't be attached; the message names it and says why (422)."""


class AttachmentTooLarge(InvalidAttachment):
    status = 413


@dataclass(frozen=True)
class Checked:
    """A file that passed, in the temporary folder of :func:`checked`, with its thumbnail."""

    name: str
    path: str
    mime: str
    thumb_path: str


@contextmanager
def checked(files: Iterable[tuple[str, BinaryIO]]) -> Iterator[list[Checked]]:
    """Check ``(original name, stream)`` pairs and make their thumbnails; the files live while the block runs.

    Raises :class:`InvalidAttachment` for the first file that can't be attached (nothing is kept then).
    """
    files = list(files)
    if len(files) > MAX_FILES:
        raise InvalidAttachment(f"Attach at most {MAX_FILES} files to one comment.")
    work = tempfile.mkdtemp(prefix="revue-attach-") if files else ""
    try:
        yield [_check(name, stream, os.path.join(work, str(n))) for n, (name, stream) in enumerate(files)]
    finally:
        if work:
            shutil.rmtree(work, ignore_errors=True)


def _check(name: str, stream: BinaryIO, folder: str) -> Checked:
    shown = safe_filename(name, default="file")

    def refusal(message: str, kind: type[InvalidAttachment] = InvalidAttachment) -> InvalidAttachment:
        return kind(f"“{shown}” can't be attached. {message}")

    os.makedirs(folder)
    path = os.path.join(folder, "original")
    size = _copy(stream, path)
    if size == 0:
        raise refusal("The file is empty.")
    if size > MAX_MB * 2**20:
        raise refusal(f"Attachments may be up to {MAX_MB} MB each.", AttachmentTooLarge)
    try:
        found = detect(path, name)
    except MediaError as exc:
        raise refusal(exc.message) from None
    if found.mime == "image/svg+xml":
        raise refusal("SVG images can't be attached; export a PNG or a PDF instead.")
    if found.mime not in ACCEPTED:
        raise refusal("Only images (PNG, JPEG, GIF, WebP) and PDF documents can be attached.")
    if found.kind == "image" and too_many_pixels(path):
        raise refusal(f"The image has too many pixels to open safely (over {DEFAULT_MAX_PIXELS // 10**6} "
                      "megapixels).")
    try:
        thumb = _thumbnail(path, found.kind, found.mime, folder)
    except MediaError as exc:
        raise refusal(exc.message) from None
    return Checked(name=name[:300], path=path, mime=found.mime, thumb_path=thumb)


def _copy(stream: BinaryIO, path: str) -> int:
    """Copy up to one byte past the limit (enough to know a file is too large); returns the bytes copied."""
    size, limit = 0, MAX_MB * 2**20 + 1
    with open(path, "wb") as out:
        while size < limit and (chunk := stream.read(min(limit - size, 2**20))):
            out.write(chunk)
            size += len(chunk)
    return size


class _Enough(Exception):
    """Raised from the worker's callback once the thumbnail is written: the worker is stopped there."""


def _thumbnail(path: str, kind: str, mime: str, folder: str) -> str:
    """The sandboxed worker makes its renditions one by one (a PDF's page 1 first); only "thumb" is needed."""
    made: list[Rendition] = []

    def keep(rendition: Rendition) -> None:
        if rendition.name == "thumb":
            made.append(rendition)
            raise _Enough

    config = current_app.config
    with suppress(_Enough):  # run_sandboxed kills the worker on the way out
        run_sandboxed(path, kind, mime, os.path.join(folder, "out"), on_rendition=keep,
                      timeout_s=config["ATTACHMENT_TIMEOUT_S"],
                      memory_mb=config["RENDITION_MEMORY_MB"])
    if not made:
        raise MediaError("Revue could not make a preview of it.")
    # The worker's thumbnail (≤ 480 px, re-encoded without metadata) is ours: small and safe to open here.
    with Image.open(made[0].path, formats=["JPEG", "PNG"]) as image:
        small = shrink(image.convert("RGBA"), THUMB_EDGE)
        flat = Image.new("RGB", small.size, (255, 255, 255))
        flat.paste(small, mask=small.getchannel("A"))  # transparency on white, like the panel
    return save_raster(flat, folder, "thumb-small").path


def attach(comment: Comment, files: list[Checked]) -> list[CommentAttachment]:
    """Store checked files and their thumbnails as attachments of ``comment`` (in the caller's transaction)."""
    made = []
    for item in files:
        original = _store("attachments", item.path)
        thumb = _store("attachment-thumbs", item.thumb_path)
        made.append(CommentAttachment(comment_id=comment.id, original_name=item.name, storage_key=original.key,
                                      thumb_key=thumb.key, mime=item.mime, size=original.size))
    db.session.add_all(made)
    db.session.flush()
    if made:
        log.info("comment %s: %d attachment(s)", comment.id, len(made))
    return made


def copy(source: Comment, target: Comment) -> None:
    """``target`` (a comment carried over to the next version) shows the attachments of ``source``; the files
    are shared, and kept while any comment still has them."""
    db.session.add_all([CommentAttachment(comment_id=target.id, original_name=a.original_name,
                                          storage_key=a.storage_key, thumb_key=a.thumb_key, mime=a.mime,
                                          size=a.size) for a in source.attachments])
    db.session.flush()


def discard(comment: Comment) -> None:
    """A deleted comment loses its attachments; their files go once the deletion commits."""
    storage = get_storage()
    doomed = db.session.info.setdefault(_DOOMED, [])
    for item in list(comment.attachments):
        doomed += [(storage, key) for key in (item.storage_key, item.thumb_key) if key and not _shared(key, item)]
        comment.attachments.remove(item)
    db.session.flush()


def _shared(key: str, item: CommentAttachment) -> bool:
    """Whether another attachment (a carried-over copy) uses the file ``key``."""
    return bool(db.session.scalar(select(func.count(CommentAttachment.id)).where(
        CommentAttachment.id != item.id, or_(CommentAttachment.storage_key == key, CommentAttachment.thumb_key == key))))


def _store(prefix: str, path: str):
    storage = get_storage()
    stored = storage.save_path(new_key(prefix), path)
    db.session.info.setdefault(_WRITTEN, []).append((storage, stored.key))
    return stored


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    _delete(session.info.pop(_DOOMED, []))


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction) -> None:
    """After a rollback, or a session closed without commit: the files written for it go (the commit case
    has already emptied the list)."""
    if transaction.parent is not None or transaction.nested:
        return
    session.info.pop(_DOOMED, None)
    _delete(session.info.pop(_WRITTEN, []))


def _delete(files: list[tuple[Storage, str]]) -> None:
    for storage, key in files:
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001 — a file left behind must not turn a finished request into an error
            log.exception("could not delete the attachment file %s", key)
