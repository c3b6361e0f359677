"""The activity log: append-only, hash-chained rows (SECURITY H1, H2).

Every row's ``hash`` covers its content and the previous row's hash, so altering,
inserting or deleting a row breaks the chain from that point on;
``flask revue audit verify`` walks it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, Index, String, event, select, text
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from .db import Base, db, utcnow

log = logging.getLogger(__name__)
GENESIS = "0" * 64


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_project_created", "project_id", "created_at"),
        Index("ix_activities_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(String(320), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[int | None]
    project_id: Mapped[int | None] = mapped_column(index=True)
    result: Mapped[str] = mapped_column(String(16), default="ok")
    ip: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def payload(self) -> str:
        return json.dumps(
            [
                self.id,
                self.created_at.isoformat(),
                self.actor_id,
                self.actor_label,
                self.action,
                self.subject_type,
                self.subject_id,
                self.project_id,
                self.result,
                self.ip,
                self.data or {},
                self.prev_hash,
            ],
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.payload().encode()).hexdigest()


@event.listens_for(Activity, "before_update")
@event.listens_for(Activity, "before_delete")
def _append_only(_mapper, _connection, target):
    raise RuntimeError("activity rows are append-only")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_changes(state: ORMExecuteState) -> None:
    """``update(Activity)`` / ``delete(Activity)`` bypass the mapper events above."""
    if (state.is_update or state.is_delete) and any(m.class_ is Activity for m in state.all_mappers):
        raise RuntimeError("activity rows are append-only")


def client_ip() -> str:
    return (request.remote_addr or "") if has_request_context() else ""


def record(
    action: str,
    *,
    actor=None,
    actor_label: str | None = None,
    subject=None,
    project_id: int | None = None,
    result: str = "ok",
    **data: Any,
) -> Activity:
    """Append one activity row in the current transaction and return it."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        # Serialise chain appends across concurrent transactions.
        session.execute(text("SELECT pg_advisory_xact_lock(727001)"))
    session.flush()
    last = session.execute(select(Activity.id, Activity.hash).order_by(Activity.id.desc()).limit(1)).first()
    label = actor_label
    if label is None:
        label = getattr(actor, "email", "") if actor is not None else ""
    row = Activity(
        id=(last.id + 1) if last else 1,
        created_at=utcnow().replace(microsecond=0),
        actor_id=getattr(actor, "id", None) if actor is not None and getattr(actor, "is_user", False) else None,
        actor_label=label or "",
        action=action,
        subject_type=type(subject).__name__.lower() if subject is not None else "",
        subject_id=getattr(subject, "id", None),
        project_id=project_id,
        result=result,
        ip=client_ip(),
        data=data,
        prev_hash=last.hash if last else GENESIS,
    )
    row.hash = row.compute_hash()
    session.add(row)
    session.flush()
    log.info("activity %s %s by %s (%s)", action, row.subject_type, row.actor_label or "system", result)
    return row


def verify_chain(batch: int = 1000) -> list[str]:
    """Return a list of problems; empty when every row and link is intact."""
    problems: list[str] = []
    prev = GENESIS
    expected_id = 1  # ids are given out in order from 1 (see record)
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(Activity).where(Activity.id > last_id).order_by(Activity.id).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            if row.id != expected_id:
                missing = str(expected_id) if row.id == expected_id + 1 else f"{expected_id}–{row.id - 1}"
                problems.append(f"row {missing} is missing (next is {row.id})")
            if row.prev_hash != prev:
                problems.append(f"row {row.id}: chain broken (previous hash does not match)")
            if row.compute_hash() != row.hash:
                problems.append(f"row {row.id}: content was altered")
            prev = row.hash
            expected_id = row.id + 1
            last_id = row.id
        db.session.expunge_all()
    return problems
