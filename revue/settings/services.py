from __future__ import annotations

import io
import logging
import re
import zoneinfo
from dataclasses import dataclass

from flask import current_app, g
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select, update

from .. import activity, mail
from ..db import db, utcnow
from ..errors import Conflict, DomainError
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


def workspace_zone() -> zoneinfo.ZoneInfo:
    """The workspace's time zone (UTC without a workspace, or for a name this system doesn't know)."""
    workspace = current_workspace()
    name = workspace.timezone if workspace and workspace.timezone else "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r in the workspace settings; using UTC", name)
        return zoneinfo.ZoneInfo("UTC")


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


# -- the outbox: handing a message over by hand (no SMTP) -------------------------------------------


@dataclass(frozen=True)
class HandedOver:
    """A message with its secrets made, shown to the admin once: ``text`` to paste, ``secrets`` to copy."""

    text: str
    secrets: list[str]


def can_hand_over(message: mail.OutboxMessage) -> bool:
    return message.status in mail.UNSENT and mail.holds_secrets(message)


def hand_over(actor, message: mail.OutboxMessage) -> HandedOver:
    """Make the message's links (or codes) now, exactly as sending would, for an admin to pass on by hand.

    The message is marked handed over in the same transaction, so the worker never sends it — with a
    second, different link — later. Only once: Revue keeps no copy of what it made (E3), and a second
    hand-over would put a second live link into the world.
    """
    if not mail.holds_secrets(message):
        raise Conflict("This email holds no personal link or code: copy it as it is.")
    claimed = db.session.execute(  # the worker claims pending rows the same way: one of us wins
        update(mail.OutboxMessage)
        .where(mail.OutboxMessage.id == message.id, mail.OutboxMessage.status.in_(mail.UNSENT))
        .values(status=mail.HANDED_OVER, sent_at=utcnow(), last_error="")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(message)
    if not claimed:
        raise Conflict("This email was sent or handed over already, so its link can't be made again. "
                       "If the person needs a new one, send a reminder from the review.")
    made: dict[tuple[str, str], str] = {}
    try:
        text = mail.fill_secrets(message.text_body, made)
    except mail.Unresolvable as exc:
        raise Conflict(f"This link can't be made any more: {exc}.") from exc
    activity.record("mail.handed_over", actor=actor, subject=message, to=message.to_addr, kind=message.kind)
    return HandedOver(text=text, secrets=[_in_context(text, secret) for secret in made.values()])


def _in_context(text: str, secret: str) -> str:
    """The whole link a secret sits in (or the secret itself, e.g. a code)."""
    found = re.search(r"https?://\S*" + re.escape(secret) + r"\S*", text)
    return found.group(0) if found else secret


def readable(message: mail.OutboxMessage, *, html: bool = False) -> str:
    """The body for an admin to read: a placeholder (and the address around it) is said in words, never
    shown as if it were the link."""
    when = {"sent": "was created when sent; Revue keeps no copy",
            mail.HANDED_OVER: "was created when handed over; Revue keeps no copy"}.get(message.status,
                                                                                        "is created when sent")

    def say(match: re.Match) -> str:
        return f"[the personal {'code' if match.group(1) == 'code' else 'link'} {when}]"

    around = r'[^\s<>"]*'
    body = message.text_body
    if html:
        body = re.sub(r'href="[^"]*' + mail.PLACEHOLDER.pattern + r'[^"]*"', 'href="#"', message.html_body)
    return re.sub(around + mail.PLACEHOLDER.pattern + around, say, body)


def handed_over_by(message: mail.OutboxMessage) -> str | None:
    if message.status != mail.HANDED_OVER:
        return None
    return db.session.scalar(select(activity.Activity.actor_label).where(
        activity.Activity.action == "mail.handed_over", activity.Activity.subject_type == "outboxmessage",
        activity.Activity.subject_id == message.id).limit(1))
