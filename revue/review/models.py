"""Review workflows, review rounds, their stages and participants, and decisions.

A project's **workflow** is an ordered list of stages (copied from a workspace template
when the project is made). Sending a version for review creates a **review** (a round)
with a snapshot of those stages and their reviewers (**participants**), so later edits to
the workflow never rewrite history. **Decisions** are append-only: a newer decision of
the same participant supersedes the older one.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow


def _enum(cls):
    return Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class Rule(enum.StrEnum):
    ALL = "all"
    ANY = "any"
    N_OF = "n_of"


class Verdict(enum.StrEnum):
    APPROVED = "approved"
    APPROVED_WITH_CHANGES = "approved_with_changes"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"

    @property
    def approves(self) -> bool:
        return self in (Verdict.APPROVED, Verdict.APPROVED_WITH_CHANGES)

    @property
    def label(self) -> str:
        return {"approved": "Approved", "approved_with_changes": "Approved with changes",
                "changes_requested": "Changes requested", "rejected": "Rejected"}[self.value]


class Channel(enum.StrEnum):
    VIEWER = "viewer"
    REVIEW_LINK = "review_link"
    EMAIL_LINK = "email_link"
    API = "api"
    RECORDED = "recorded"


class ReviewStatus(enum.StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    CANCELLED = "cancelled"  # superseded by a newer version or withdrawn


class StageStatus(enum.StrEnum):
    PENDING = "pending"
    OPEN = "open"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    CANCELLED = "cancelled"


class Workflow(Base):
    """A workspace template (``project_id`` is None) or a project's own copy."""

    __tablename__ = "workflows"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    is_default: Mapped[bool] = mapped_column(default=False)
    restart_at_requesting_stage: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    stages: Mapped[list[WorkflowStage]] = relationship(
        back_populates="workflow", order_by="WorkflowStage.position", cascade="all, delete-orphan"
    )


class WorkflowStage(Base):
    __tablename__ = "workflow_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(80))
    rule: Mapped[Rule] = mapped_column(_enum(Rule), default=Rule.ALL)
    required: Mapped[int] = mapped_column(default=1)  # for n_of
    due_days: Mapped[int] = mapped_column(default=2)  # business days after the stage opens
    internal: Mapped[bool] = mapped_column(default=False)  # agency-only stage: clients never see it

    workflow: Mapped[Workflow] = relationship(back_populates="stages")
    reviewers: Mapped[list[StageReviewer]] = relationship(
        back_populates="stage", cascade="all, delete-orphan", order_by="StageReviewer.id"
    )


class StageReviewer(Base):
    """A member, a client contact, every contact of the client, or a plain email address."""

    __tablename__ = "stage_reviewers"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("workflow_stages.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), default="")
    name: Mapped[str] = mapped_column(String(120), default="")
    all_client_contacts: Mapped[bool] = mapped_column(default=False)
    all_project_members: Mapped[bool] = mapped_column(default=False)
    decides: Mapped[bool] = mapped_column(default=True)  # False: comments only

    stage: Mapped[WorkflowStage] = relationship(back_populates="reviewers")
    user = relationship("User")


class Review(Base):
    """One version sent for review: a round."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_asset_status", "asset_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    status: Mapped[ReviewStatus] = mapped_column(_enum(ReviewStatus), default=ReviewStatus.OPEN)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    locked: Mapped[bool] = mapped_column(default=False)  # approved: no new comments or decisions

    stages: Mapped[list[ReviewStage]] = relationship(
        back_populates="review", order_by="ReviewStage.position", cascade="all, delete-orphan"
    )
    version = relationship("AssetVersion")
    asset = relationship("Asset")


class ReviewStage(Base):
    __tablename__ = "review_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(80))
    rule: Mapped[Rule] = mapped_column(_enum(Rule))
    required: Mapped[int] = mapped_column(default=1)
    internal: Mapped[bool] = mapped_column(default=False)
    status: Mapped[StageStatus] = mapped_column(_enum(StageStatus), default=StageStatus.PENDING)
    due_days: Mapped[int] = mapped_column(default=2)
    due_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    review: Mapped[Review] = relationship(back_populates="stages")
    participants: Mapped[list[Participant]] = relationship(
        back_populates="stage", order_by="Participant.id", cascade="all, delete-orphan"
    )


class Participant(Base):
    """A reviewer of one review stage, with their progress and emailed-link token."""

    __tablename__ = "participants"
    __table_args__ = (Index("ix_participants_email", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("review_stages.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(120), default="")
    decides: Mapped[bool] = mapped_column(default=True)
    invited_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    commented_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]

    stage: Mapped[ReviewStage] = relationship(back_populates="participants")
    user = relationship("User")

    @property
    def display_name(self) -> str:
        return self.name or self.email


class Decision(Base):
    """One verdict on one version: never edited or deleted (H4)."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_version_created", "version_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id", ondelete="SET NULL"), index=True)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("review_stages.id", ondelete="SET NULL"))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"),
                                                       index=True)
    verdict: Mapped[Verdict] = mapped_column(_enum(Verdict))
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    note: Mapped[str] = mapped_column(Text, default="")
    binding: Mapped[bool] = mapped_column(default=True)  # False: advisory (a guest not on the stage)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewer_name: Mapped[str] = mapped_column(String(120))
    reviewer_email: Mapped[str] = mapped_column(String(320), default="")
    identified_by: Mapped[str] = mapped_column(String(24))  # account | email_link | review_link | code | recorded
    file_sha256: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)  # one row per submitted form (E6)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    version = relationship("AssetVersion")
    user = relationship("User", foreign_keys=[user_id])
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])


class ActionToken(Base):
    """An emailed decision link (E3: only the SHA-256 is kept). Every email carries a fresh one; all stay valid
    until the review closes or 30 days pass. Opening one never uses it up (E1)."""

    __tablename__ = "action_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]

    participant: Mapped[Participant] = relationship()


class DecisionCode(Base):
    """A 6-digit code emailed to a reviewer in verified-decision mode (E7): single use, 10 minutes, 5 tries."""

    __tablename__ = "decision_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]
    session_key: Mapped[str] = mapped_column(String(64))  # binds the code to the browser that asked for it


class Notification(Base):
    """Something a person should know: shown in the app's menu and emailed now or in a digest."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # review_request | decision | mention | reminder | changes
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(500), default="")
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]  # immediately, or when a digest included it


class EmailOptOut(Base):
    """A reviewer known only by email address who unsubscribed in one click (RFC 8058)."""

    __tablename__ = "email_optouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
