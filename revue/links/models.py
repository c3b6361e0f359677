"""Review links: shareable URLs for a project or chosen assets, for guests without an account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow


class ReviewLink(Base):
    __tablename__ = "review_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    can_comment: Mapped[bool] = mapped_column(default=True)
    can_decide: Mapped[bool] = mapped_column(default=False)
    can_download: Mapped[bool] = mapped_column(default=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    created_by = relationship("User")
    project = relationship("Project")
    assets: Mapped[list[ReviewLinkAsset]] = relationship(cascade="all, delete-orphan")

    @property
    def whole_project(self) -> bool:
        return not self.assets

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class ReviewLinkAsset(Base):
    __tablename__ = "review_link_assets"
    __table_args__ = (UniqueConstraint("link_id", "asset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("review_links.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
