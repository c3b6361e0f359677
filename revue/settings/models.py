from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow

DEFAULT_COLOR = "#4f46e5"


class Workspace(Base):
    """The agency: one row per install."""

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    brand_color: Mapped[str] = mapped_column(String(7), default=DEFAULT_COLOR)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    logo_key: Mapped[str | None] = mapped_column(String(200))
    logo_mime: Mapped[str | None] = mapped_column(String(40))
    is_demo: Mapped[bool] = mapped_column(default=False)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
