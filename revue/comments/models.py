"""Comments on a version: anchored (pin, region, shape, page, time) or general; threaded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow


class Comment(Base):
    """``anchor`` holds the position as fractions of the image/page (0–1) and/or times:

    ``{"type": "pin", "x": .42, "y": .3, "page": 2}``, ``{"type": "region", "x", "y", "w", "h"}``,
    ``{"type": "shape", "shape": "freehand"|"arrow", "points": [[x, y], …]}``, plus ``"t"``/``"t_end"``
    (seconds) on video and audio. Replies have a ``parent_id`` and no anchor.
    """

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_version_parent", "version_id", "parent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    number: Mapped[int | None]  # the pin number of a top-level comment on its version
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    guest_name: Mapped[str] = mapped_column(String(120), default="")
    guest_email: Mapped[str] = mapped_column(String(320), default="")
    body: Mapped[str] = mapped_column(Text)
    anchor: Mapped[dict | None] = mapped_column(JSON)
    internal: Mapped[bool] = mapped_column(default=False)  # agency only: never shown to clients or guests
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))

    version = relationship("AssetVersion")
    author = relationship("User", foreign_keys=[author_id])
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])
    replies: Mapped[list[Comment]] = relationship(
        foreign_keys=[parent_id], order_by="Comment.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[CommentAttachment]] = relationship(cascade="all, delete-orphan")

    @property
    def author_name(self) -> str:
        return self.author.name if self.author else (self.guest_name or "Guest")

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None


class CommentAttachment(Base):
    __tablename__ = "comment_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(300))
    storage_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str | None] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mention(Base):
    __tablename__ = "mentions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    notified_at: Mapped[datetime | None]
