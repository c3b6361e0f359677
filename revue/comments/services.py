"""Writes on comments: add (with attachments), reply, edit, delete, resolve, carry over to the next version."""

from __future__ import annotations

import logging
import re

from blinker import Namespace
from flask import current_app, has_request_context, url_for
from sqlalchemy import func, select

from .. import activity
from ..accounts.models import Role, User
from ..assets.access import can_see_version
from ..assets.models import AssetVersion
from ..db import db, utcnow
from ..errors import Conflict, DomainError, NotAllowed
from ..principal import Guest
from . import anchors, attachments
from .models import Comment, Mention

log = logging.getLogger(__name__)
MAX_BODY = 10_000
MENTION = re.compile(r"(?<![\w.])@([\w.+-]+@[\w-]+\.[\w.-]+|[\w][\w.-]{0,40})")
signals = Namespace()
#: ``mentioned.send(comment, user=..., version=..., link=...)``: someone may see the comment and was @mentioned
#: in it; the review feature tells them (a notification, emailed as their preferences say).
mentioned = signals.signal("comment-mentioned")


class CommentsClosed(Conflict):
    pass


class InvalidComment(DomainError):
    """What was typed can't be saved as it is (422)."""

    status = 422


def _actor(who: User | Guest) -> dict:
    """The actor fields of an activity row."""
    if isinstance(who, User):
        return {"actor": who}
    return {"actor": None, "actor_label": who.email}


def _author_fields(author: User | Guest) -> dict:
    if isinstance(author, Guest):
        return {"author_id": None, "guest_name": author.name, "guest_email": author.email}
    return {"author_id": author.id}


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not tab or line breaks


def _clean(body: str) -> str:
    body = CONTROL.sub("", (body or "").replace("\r\n", "\n")).strip()
    if not body:
        raise InvalidComment("Write a comment first.")
    if len(body) > MAX_BODY:
        raise InvalidComment(f"Comments are limited to {MAX_BODY:,} characters.")
    return body


def add_comment(version: AssetVersion, author: User | Guest, body: str, *, anchor: dict | None = None,
                internal: bool = False, locked: bool = False, notify: bool = True,
                files: list[attachments.Checked] | tuple = ()) -> Comment:
    """``files``: checked attachments (``attachments.checked``), stored with the comment."""
    if locked:
        raise CommentsClosed(f"{version.label} is approved and locked; comments are closed.")
    if version.deleted_at is not None:
        raise Conflict(f"{version.label} was deleted.")
    if internal and not getattr(author, "is_agency", False):
        raise NotAllowed("Only the agency team can write internal comments.")
    number = next_number(version, internal=internal)
    comment = Comment(version_id=version.id, asset_id=version.asset_id, number=number, body=_clean(body),
                      anchor=anchor, internal=internal, **_author_fields(author))
    db.session.add(comment)
    db.session.flush()
    attachments.attach(comment, files)
    if notify:
        _mentions(comment, version)
    activity.record("comment.added", **_actor(author), subject=comment, project_id=version.asset.project_id,
                    version_id=version.id, internal=internal, **_files(files))
    return comment


def next_number(version: AssetVersion, *, internal: bool) -> int:
    """Public comments are numbered 1, 2, 3… and internal ones in a sequence of their own (shown as T1, T2…), so
    the numbers a client sees never count the team's internal comments (SECURITY D3)."""
    last = db.session.scalar(select(func.max(Comment.number)).where(Comment.version_id == version.id,
                                                                    Comment.internal.is_(internal)))
    return (last or 0) + 1


def reply(parent: Comment, author: User | Guest, body: str, *, locked: bool = False,
          files: list[attachments.Checked] | tuple = ()) -> Comment:
    if locked:
        raise CommentsClosed("This version is approved and locked; comments are closed.")
    if parent.parent_id is not None:
        parent = db.session.get(Comment, parent.parent_id)
    if parent.deleted_at is not None:
        raise Conflict("This comment was deleted; it takes no more replies.")
    comment = Comment(version_id=parent.version_id, asset_id=parent.asset_id, parent_id=parent.id,
                      body=_clean(body), internal=parent.internal, **_author_fields(author))
    db.session.add(comment)
    db.session.flush()
    attachments.attach(comment, files)
    version = db.session.get(AssetVersion, parent.version_id)
    _mentions(comment, version)
    activity.record("comment.replied", **_actor(author), subject=comment, project_id=version.asset.project_id,
                    parent_id=parent.id, **_files(files))
    return comment


def _files(files) -> dict:
    """What an activity row says about the attached files (an upload, SECURITY H1)."""
    return {"attachments": [{"name": f.name, "mime": f.mime} for f in files]} if files else {}


def is_author(comment: Comment, who: User | Guest) -> bool:
    if isinstance(who, Guest):
        return comment.author_id is None and comment.guest_email == who.email
    return comment.author_id == who.id


def edit(comment: Comment, who: User | Guest, body: str, *, locked: bool = False) -> None:
    if not is_author(comment, who):
        raise NotAllowed("You can only edit your own comments.")
    if locked:
        raise CommentsClosed("This version is approved and locked; comments can no longer change.")
    if comment.deleted_at is not None:
        raise Conflict("This comment was deleted.")
    body = _clean(body)
    if body == comment.body:
        return
    comment.body, comment.edited_at = body, utcnow()
    db.session.flush()
    _mentions(comment, comment.version)  # only people not mentioned before are told
    activity.record("comment.edited", **_actor(who), subject=comment, project_id=comment.version.asset.project_id)


def delete(comment: Comment, who: User | Guest, *, locked: bool = False) -> None:
    """Own comments only; the row stays as a placeholder so the thread keeps its shape."""
    if not is_author(comment, who):
        raise NotAllowed("You can only delete your own comments.")
    if locked:
        raise CommentsClosed("This version is approved and locked; comments can no longer change.")
    if comment.deleted_at is not None:
        return
    comment.deleted_at = utcnow()
    comment.body = ""
    attachments.discard(comment)
    activity.record("comment.deleted", **_actor(who), subject=comment, project_id=comment.version.asset.project_id)


def set_resolved(comment: Comment, member: User, resolved: bool) -> None:
    if not member.is_agency:
        raise NotAllowed("Comments are resolved by the agency team.")
    if comment.parent_id is not None:
        raise Conflict("Resolve the thread, not a reply.")
    if comment.deleted_at is not None:
        raise Conflict("This comment was deleted.")
    if (comment.resolved_at is not None) == resolved:
        return  # already so (a second click, or someone else was quicker)
    comment.resolved_at = utcnow() if resolved else None
    comment.resolved_by_id = member.id if resolved else None
    activity.record("comment.resolved" if resolved else "comment.reopened", actor=member, subject=comment,
                    project_id=comment.version.asset.project_id)


def carry_over(old: Comment, member: User, new_version: AssetVersion, *, still_open: bool) -> Comment | None:
    """The checklist on v(n+1): an open comment of v(n) is confirmed fixed, or carried over."""
    if old.resolved_at is not None or old.deleted_at is not None:
        raise Conflict("That comment is already closed.")
    if old.parent_id is not None:
        raise Conflict("Only whole threads are carried over.")
    if still_open:
        meta = new_version.meta or {}
        anchor = old.anchor if anchors.fits(old.anchor, kind=new_version.kind.value, pages=meta.get("pages"),
                                            duration=meta.get("duration")) else None
        # Its mentions were sent when it was first written: no second email.
        copy = add_comment(new_version, member, old.body, anchor=anchor, internal=old.internal, notify=False)
        copy.carried_from_id = old.id
        attachments.copy(old, copy)
        copy.author_id, copy.guest_name, copy.guest_email = old.author_id, old.guest_name, old.guest_email
    else:
        copy = None
    old.resolved_at, old.resolved_by_id = utcnow(), member.id
    activity.record("comment.carried_over" if still_open else "comment.fixed", actor=member, subject=old,
                    project_id=new_version.asset.project_id, version_id=new_version.id)
    return copy


def _mentions(comment: Comment, version: AssetVersion) -> None:
    """Link @name / @email mentions to people who may see the comment and tell them (``mentioned``)."""
    handles = {m.group(1).lower().rstrip(".-") for m in MENTION.finditer(comment.body)}
    if not handles:
        return
    told = set(db.session.scalars(select(Mention.user_id).where(Mention.comment_id == comment.id)))
    for user in db.session.scalars(_audience(version)):
        if user.id in told or user.id == comment.author_id or not _handles_of(user) & handles:
            continue
        if user.is_client_contact and (comment.internal or not can_see_version(user, version)):
            continue  # never tell a client about an internal comment, nor about work not shared with them
        db.session.add(Mention(comment_id=comment.id, user_id=user.id, notified_at=utcnow()))
        mentioned.send(comment, user=user, version=version,
                       link=_path("review.viewer", version_id=version.id, _anchor=f"c{comment.id}"))
    db.session.flush()


def _audience(version: AssetVersion):
    """Everyone with an account who may be mentioned on the version's project: its members, the admins and
    the client's contacts (callers still check a contact may see the version)."""
    from ..projects.models import ProjectMember

    project = version.asset.project
    members = select(ProjectMember.user_id).where(ProjectMember.project_id == project.id)
    return select(User).where(User.active, (User.id.in_(members)) | (User.role.in_([Role.OWNER, Role.ADMIN]))
                              | ((User.role == Role.CLIENT) & (User.client_id == project.client_id)))


HANDLE = re.compile(r"[\w][\w.-]{0,40}")


def mentionable(version: AssetVersion, who: User) -> list[dict]:
    """The people ``who`` can @mention on this version, for the composer's suggestions: ``handle`` is what
    goes after the @ (their name run together, "MiaMember", else their address); ``team`` is False for
    client contacts, whom an internal comment never reaches."""
    people = []
    for user in db.session.scalars(_audience(version).order_by(func.lower(User.name))):
        if user.id == who.id or (user.is_client_contact and not can_see_version(user, version)):
            continue
        joined = "".join(user.name.split())
        handle = joined if HANDLE.fullmatch(joined) else user.email
        people.append({"name": user.name, "handle": handle, "team": not user.is_client_contact})
    return people


def _handles_of(user: User) -> set[str]:
    """``@mia@example.com``, ``@miamember`` or ``@mia`` all name Mia Member."""
    words = user.name.lower().split()
    return {user.email.lower(), "".join(words), *words[:1]}


def _path(endpoint: str, **values) -> str:
    """A link path also outside a request (a job, a CLI command, mail-in): emails put the base URL before it."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context("/", method="POST"):
        return url_for(endpoint, **values)
