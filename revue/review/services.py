"""Decisions and reviews: writes."""

from __future__ import annotations

import logging
from datetime import time

from flask import has_request_context, request

from .. import activity, mail
from ..accounts.models import User
from ..assets.models import AssetVersion
from ..db import db, utcnow
from ..errors import Conflict, Invalid
from . import status
from .models import Channel, Decision, Verdict

log = logging.getLogger(__name__)


def _client() -> tuple[str, str]:
    if not has_request_context():
        return "", ""
    return request.remote_addr or "", (request.user_agent.string or "")[:300]


def record_approval(member: User, version: AssetVersion, note: str) -> Decision:
    """A member records an approval given outside Revue (phone, letter): note required."""
    note = note.strip()
    if not note:
        raise Invalid("Say how and by whom the approval was given.")
    asset = version.asset
    if version.deleted_at is not None or asset.current_version_id != version.id:
        raise Conflict(f"{version.label} is not the current version of “{asset.title}” any more.")
    ip, agent = _client()
    decision = Decision(
        version_id=version.id, asset_id=asset.id, verdict=Verdict.APPROVED, channel=Channel.RECORDED,
        note=note, user_id=None, recorded_by_id=member.id, reviewer_name=member.name,
        reviewer_email=member.email, identified_by="recorded", file_sha256=version.sha256, ip=ip,
        user_agent=agent,
    )
    db.session.add(decision)
    db.session.flush()
    from .engine import cancel_open_reviews

    # The approval is given: an open round on this version has nothing left to ask (no reminders, no links).
    cancel_open_reviews(asset, now=utcnow(), reason="an approval was recorded")
    status.refresh(asset)
    activity.record("decision.recorded", actor=member, subject=decision, project_id=asset.project_id,
                    version_id=version.id, verdict=decision.verdict.value, sha256=version.sha256)
    return decision


# -- reminders and digests -----------------------------------------------------------------------


def nudge(member: User, participant) -> None:
    """A manual reminder from the team."""
    from . import notify

    if participant.removed_at is not None or participant.stage.status.value != "open":
        raise Conflict("This reviewer has nothing open to decide.")
    participant.reminded_at = utcnow()
    notify.reminder(participant, overdue=_overdue(participant))
    activity.record("review.nudged", actor=member, subject=participant.stage.review,
                    project_id=participant.stage.review.project_id, reviewer=participant.email)


def _overdue(participant, now=None) -> bool:
    due = participant.stage.due_at
    return bool(due and due < (now or utcnow()))


def reminder_settings() -> dict:
    from ..settings.services import current_workspace

    options = (current_workspace().options or {}) if current_workspace() else {}
    return {"before_days": int(options.get("remind_before_days", 1)), "every_days": int(options.get("remind_every_days", 2))}


def due_reminders(now) -> list:
    """Reviewers who owe a decision and should hear about it now: a day before due, on the due day,
    then every N days — never twice within a day."""
    from datetime import timedelta

    from sqlalchemy import select

    from .models import Participant, Review, ReviewStage, ReviewStatus, StageStatus

    settings = reminder_settings()
    rows = db.session.scalars(
        select(Participant).join(ReviewStage, ReviewStage.id == Participant.stage_id)
        .join(Review, Review.id == ReviewStage.review_id)
        .where(Review.status == ReviewStatus.OPEN, ReviewStage.status == StageStatus.OPEN,
               Participant.removed_at.is_(None), Participant.decides, Participant.decided_at.is_(None),
               ReviewStage.due_at.is_not(None))).all()
    due = []
    for participant in rows:
        stage_due = participant.stage.due_at
        last = participant.reminded_at
        if last and now - last < timedelta(hours=20):
            continue
        before = stage_due - timedelta(days=settings["before_days"])
        if now < before:
            continue
        if now < stage_due:
            if last is None or last < before:
                due.append(participant)
        elif last is None or last < stage_due or now - last >= timedelta(days=settings["every_days"]):
            due.append(participant)
    return due


def send_reminders(now=None) -> int:
    from . import notify

    now = now or utcnow()
    sent = 0
    for participant in due_reminders(now):
        participant.reminded_at = now
        notify.reminder(participant, overdue=_overdue(participant, now))
        sent += 1
    db.session.commit()
    return sent


DAILY_AT = time(7, 15)  # when the daily digest goes out, in the workspace's time zone


def send_digests(frequency: str, now=None) -> int:
    """One email per person with their unsent notifications, for people who chose this frequency,
    plus the 'decisions you owe' list in the daily one. Daily digests: see :func:`send_daily_digests`."""
    if frequency == "daily":
        return send_daily_digests(now)
    now = now or utcnow()
    sent = _send_digests(frequency, now, once=f"digest.{frequency}.{now:%Y%m%d%H}")
    db.session.commit()
    return sent


def send_daily_digests(now=None) -> int:
    """The daily digest, at 07:15 in the workspace's time zone.

    The job checks every 15 minutes. The first check at or after 07:15 local time sends the day's digests
    and notes the local date in the activity log, so later checks that day — after a restart, on another
    worker — send nothing. Each person's digest is also named by that date (``mail.queue(once=...)``), so
    two workers checking at the same moment still send one per person.
    """
    from ..settings.services import workspace_zone

    now = now or utcnow()
    zone = workspace_zone()
    local = now.astimezone(zone)
    day = local.date().isoformat()
    if local.time() < DAILY_AT or _daily_digests_done(day):
        return 0
    sent = _send_digests("daily", now, once=f"digest.daily.{day}")
    activity.record("digest.daily_sent", local_date=day, time_zone=zone.key, people=sent)
    db.session.commit()
    return sent


def _daily_digests_done(day: str) -> bool:
    from sqlalchemy import select

    last = db.session.scalar(select(activity.Activity.data).where(activity.Activity.action == "digest.daily_sent")
                             .order_by(activity.Activity.id.desc()).limit(1))
    return bool(last) and last.get("local_date", "") >= day


def _send_digests(frequency: str, now, *, once: str) -> int:
    from collections import defaultdict

    from sqlalchemy import select

    from ..accounts.models import User as Account
    from . import notify
    from .models import Notification

    pending = db.session.scalars(select(Notification).where(Notification.emailed_at.is_(None),
                                                            Notification.user_id.is_not(None))).all()
    by_user: dict[int, list] = defaultdict(list)
    for note in pending:
        by_user[note.user_id].append(note)
    sent = 0
    for user_id, notes in by_user.items():
        user = db.session.get(Account, user_id)
        items = [n for n in notes if notify.preference(user, n.kind) == frequency]
        if not items or not user.active or notify.opted_out(user.email):
            continue
        owed = owed_by(user) if frequency == "daily" else []
        queued = mail.queue(
            user.email, f"Your Revue {frequency} summary: {len(items)} update{'s' if len(items) != 1 else ''}",
            "digest", kind="digest", to_name=user.name, user=user, items=items, owed=owed, frequency=frequency,
            headers=notify.unsubscribe_headers(user.email), unsubscribe_email=user.email, once=f"{once}.{user.id}")
        if queued is None:  # this person's digest went out already (another worker, the same day or hour)
            continue
        for note in items:
            note.emailed_at = now
        sent += 1
    return sent


def owed_by(user: User) -> list:
    """Open stages across projects where ``user`` still owes a decision."""
    from sqlalchemy import select

    from .models import Participant, Review, ReviewStage, ReviewStatus, StageStatus

    return list(db.session.scalars(
        select(Participant).join(ReviewStage, ReviewStage.id == Participant.stage_id)
        .join(Review, Review.id == ReviewStage.review_id)
        .where(Review.status == ReviewStatus.OPEN, ReviewStage.status == StageStatus.OPEN,
               Participant.removed_at.is_(None), Participant.decides, Participant.decided_at.is_(None),
               (Participant.user_id == user.id) | (Participant.email == user.email))))
