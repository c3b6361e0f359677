"""Assets, their versions and the renditions made from each version."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow


def _enum(cls):
    return Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class AssetStatus(enum.StrEnum):
    """Where an asset stands; derived from reviews and decisions, never set by hand."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return {"draft": "Draft", "in_review": "In review", "changes_requested": "Changes requested",
                "approved": "Approved"}[self.value]


class VersionState(enum.StrEnum):
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class MediaKind(enum.StrEnum):
    IMAGE = "image"
    PDF = "pdf"
    VIDEO = "video"
    AUDIO = "audio"
    OTHER = "other"


class Asset(Base):
    __tablename__ = "assets"
    __table_args__ = (Index("ix_assets_project_status", "project_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[AssetStatus] = mapped_column(_enum(AssetStatus), default=AssetStatus.DRAFT)
    archived_at: Mapped[datetime | None]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    due_date: Mapped[date | None]
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("versions.id", ondelete="SET NULL", use_alter=True), nullable=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    project = relationship("Project")
    assignee = relationship("User", foreign_keys=[assignee_id])
    current_version: Mapped[AssetVersion | None] = relationship(foreign_keys=[current_version_id], post_update=True)
    versions: Mapped[list[AssetVersion]] = relationship(
        back_populates="asset", foreign_keys="AssetVersion.asset_id", order_by="AssetVersion.number.desc()",
        cascade="all, delete-orphan",
    )

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def __str__(self) -> str:
        return self.title


class AssetVersion(Base):
    """One uploaded file of an asset: v1, v2, …"""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("asset_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    original_name: Mapped[str] = mapped_column(String(300))
    storage_key: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(100))
    kind: Mapped[MediaKind] = mapped_column(_enum(MediaKind))
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[VersionState] = mapped_column(_enum(VersionState), default=VersionState.PROCESSING)
    failure: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]  # when the current processing attempt began
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    asset: Mapped[Asset] = relationship(back_populates="versions", foreign_keys=[asset_id])
    uploaded_by = relationship("User")
    renditions: Mapped[list[Rendition]] = relationship(back_populates="version", cascade="all, delete-orphan")

    @property
    def label(self) -> str:
        return f"v{self.number}"

    @property
    def ready(self) -> bool:
        return self.state == VersionState.READY

    def rendition(self, name: str) -> Rendition | None:
        return next((r for r in self.renditions if r.name == name), None)


class Rendition(Base):
    """A derived file (thumbnail, preview, PDF page, poster, web-playable copy…)."""

    __tablename__ = "renditions"
    __table_args__ = (UniqueConstraint("version_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    storage_key: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None]
    height: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[AssetVersion] = relationship(back_populates="renditions")


class Upload(Base):
    """A resumable upload in progress (files go up in chunks; the offset survives a dropped connection)."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: names the temp file too
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(300))
    note: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
