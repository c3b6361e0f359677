"""The review state machine: send for review, decide, close stages by their rules.

A review snapshots the project's workflow: its stages open one after another. When a
stage's rule is met (all / any / n of its deciding reviewers approve) it closes approved
and the next one opens; any binding request for changes (or rejection) closes it — and
the review — as changes requested. When the last stage approves, the review is approved
and locked. Decisions are rows that are never changed; a reviewer's latest one counts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import activity
from ..accounts.models import Invitation, Role, User
from ..assets.models import AssetVersion
from ..assets.services import asset_archived, version_added, version_changed
from ..comments.models import Comment
from ..db import db, utcnow, will_write
from ..errors import Conflict, DomainError, Invalid, NotAllowed
from ..projects.models import ProjectMember
from ..tokens import new_token
from . import notify, status, workflows
from .models import (
    ActionToken,
    Channel,
    Decision,
    Participant,
    Review,
    ReviewStage,
    ReviewStatus,
    Rule,
    StageStatus,
    Verdict,
    WorkflowStage,
)

log = logging.getLogger(__name__)
TOKEN_DAYS = 30
STALE_MESSAGE = ("You were looking at an older version. {title} has moved on: reload the page to see the version "
                 "that is in review now.")


class StaleVersion(Conflict):
    """The decision names a version that is no longer the one under review (E2)."""


class AssetArchived(Conflict):
    """The asset was archived: its review has ended and takes no more decisions."""


def add_business_days(start: datetime, days: int) -> datetime:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


# -- sending ----------------------------------------------------------------------------------


def send_for_review(actor: User, version: AssetVersion, *, start_at: int = 1, now: datetime | None = None) -> Review:
    now = now or utcnow()
    asset = version.asset
    if version.deleted_at is not None or asset.current_version_id != version.id:
        raise StaleVersion(f"{version.label} is not the current version of “{asset.title}”.")
    if asset.archived:
        raise Conflict("This asset is archived. Restore it first.")
    open_review = db.session.scalar(select(Review).where(Review.version_id == version.id,
                                                         Review.status == ReviewStatus.OPEN))
    if open_review is not None:
        raise Conflict(f"{version.label} is already in review.")
    workflow = workflows.for_project(asset.project)
    plan = [(stage, expand_reviewers(stage, asset.project)) for stage in workflow.stages]
    if not any(stage.position >= start_at >= 1 for stage, _people in plan):
        raise DomainError(f"This workflow has no stage {start_at} to start at.")
    for stage, people in plan:
        if stage.position >= start_at and not any(decides for _, _, _, decides in people):
            raise DomainError(f"The “{stage.name}” stage has nobody who can decide. Add reviewers to the "
                              "project's workflow (or contacts to the client) first.")
    cancel_open_reviews(asset, now=now, reason="a newer version was sent")
    review = Review(asset_id=asset.id, version_id=version.id, project_id=asset.project_id, started_by_id=actor.id,
                    opened_at=now)
    for stage, _people in plan:
        review.stages.append(ReviewStage(
            position=stage.position, name=stage.name, rule=stage.rule, required=stage.required,
            internal=stage.internal, due_days=stage.due_days,
            status=StageStatus.APPROVED if stage.position < start_at else StageStatus.PENDING,
            closed_at=now if stage.position < start_at else None,
        ))
    db.session.add(review)
    db.session.flush()
    activity.record("review.started", actor=actor, subject=review, project_id=asset.project_id,
                    version_id=version.id, asset_id=asset.id, start_at=start_at)
    first = next(s for s in review.stages if s.status == StageStatus.PENDING)
    open_stage(first, plan_for(first, plan), now=now)
    status.refresh(asset)
    return review


def plan_for(stage: ReviewStage, plan) -> list:
    return next(people for wf_stage, people in plan if wf_stage.position == stage.position)


def expand_reviewers(stage: WorkflowStage, project) -> list[tuple[User | None, str, str, bool]]:
    """``(user, email, name, decides)`` for each person a workflow stage names; one entry per address.

    "Every contact of the client" also names the people invited as contacts who have not accepted yet (by
    their address: they decide through their emailed link). A team-only stage names team members only."""
    people: dict[str, tuple[User | None, str, str, bool]] = {}

    def add(user: User | None, email: str, name: str, decides: bool) -> None:
        key = email.lower()
        if key:
            known_user, _key, known_name, known_decides = people.get(key, (None, "", "", False))
            people[key] = (known_user or user, key, known_name or name, known_decides or decides)

    for reviewer in stage.reviewers:
        if reviewer.all_client_contacts:
            for contact in db.session.scalars(select(User).where(User.client_id == project.client_id,
                                                                 User.role == Role.CLIENT, User.active)):
                add(contact, contact.email, contact.name, reviewer.decides)
            for invited in db.session.scalars(select(Invitation).where(
                    Invitation.client_id == project.client_id, Invitation.role == Role.CLIENT,
                    Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
                    Invitation.expires_at > utcnow()).order_by(Invitation.id)):
                add(None, invited.email, invited.name or invited.email, reviewer.decides)
        elif reviewer.all_project_members:
            members = select(ProjectMember.user_id).where(ProjectMember.project_id == project.id)
            for member in db.session.scalars(select(User).where(User.id.in_(members), User.active)):
                add(member, member.email, member.name, reviewer.decides)
        elif reviewer.user is not None:
            if reviewer.user.active:
                add(reviewer.user, reviewer.user.email, reviewer.user.name, reviewer.decides)
        elif reviewer.email:
            known = db.session.scalar(select(User).where(User.email == reviewer.email))
            add(known if known and known.active else None, reviewer.email, reviewer.name or reviewer.email,
                reviewer.decides)
    return team_only(people.values(), stage.name) if stage.internal else list(people.values())


def team_only(people, stage_name: str) -> list:
    """The team members among ``people``: a client contact or an outside address is never seated in a team-only
    stage, whatever the workflow says (workflows.add_reviewer refuses them; older workflows may hold some)."""
    seated = []
    for person in people:
        user, email = person[0], person[1]
        if user is not None and user.is_agency:
            seated.append(person)
        else:
            log.warning("team-only stage %r: %s is not on the team and is not asked", stage_name, email)
    return seated


def open_stage(stage: ReviewStage, people, *, now: datetime) -> None:
    if stage.internal:
        people = team_only(people, stage.name)
    stage.status, stage.opened_at = StageStatus.OPEN, now
    stage.due_at = add_business_days(now, stage.due_days)
    for user, email, name, decides in people:
        participant = Participant(user_id=user.id if user else None, email=email, name=name, decides=decides,
                                  invited_at=now)
        stage.participants.append(participant)
    db.session.flush()
    review = stage.review
    if not any(decides for _user, _email, _name, decides in people):  # e.g. every contact was deactivated since
        log.warning("review %s: stage %r opened with nobody who can decide; add a reviewer", review.id, stage.name)
    activity.record("review.stage_opened", subject=stage, project_id=review.project_id, review_id=review.id,
                    stage=stage.name)
    for participant in stage.participants:
        notify.review_request(participant)


def issue_token(participant: Participant, *, now: datetime | None = None) -> str:
    """A fresh emailed-link token for ``participant``; returns the raw token (never stored)."""
    now = now or utcnow()
    raw, token_hash = new_token()
    db.session.add(ActionToken(participant_id=participant.id, token_hash=token_hash,
                               expires_at=now + timedelta(days=TOKEN_DAYS)))
    db.session.flush()
    return raw


def cancel_open_reviews(asset, *, now: datetime, reason: str, unless_version: int | None = None, actor=None,
                        revoke_links: bool = False) -> None:
    """End the open review of ``asset``: its stages close as cancelled, so nobody is reminded or can decide.

    ``revoke_links`` also expires the emailed links of its reviewers (E5: they get the plain "no longer
    valid" page); without it a page left open explains that a newer version came (E2)."""
    for review in db.session.scalars(select(Review).where(Review.asset_id == asset.id,
                                                          Review.status == ReviewStatus.OPEN)):
        if review.version_id == unless_version:
            continue
        review.status, review.closed_at = ReviewStatus.CANCELLED, now
        for stage in review.stages:
            if stage.status == StageStatus.OPEN:
                notify.seats_closed(stage.participants, reason)
            if stage.status in (StageStatus.OPEN, StageStatus.PENDING):
                stage.status, stage.closed_at = StageStatus.CANCELLED, now
        if revoke_links:
            seats = select(Participant.id).join(ReviewStage).where(ReviewStage.review_id == review.id)
            db.session.execute(update(ActionToken).where(ActionToken.participant_id.in_(seats),
                                                         ActionToken.expires_at > now)
                               .values(expires_at=now).execution_options(synchronize_session=False))
        activity.record("review.cancelled", actor=actor, subject=review, project_id=review.project_id,
                        reason=reason)


# -- deciding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """How the person deciding was identified (H4)."""

    channel: Channel
    identified_by: str  # account | email_link | code | review_link
    name: str
    email: str
    user: User | None = None
    ip: str = ""
    user_agent: str = ""



def decide(participant: Participant, version_id: int, verdict: Verdict, note: str, who: Identity, *,
           request_key: str | None = None, now: datetime | None = None) -> Decision:
    now = now or utcnow()
    stage = participant.stage
    review = stage.review
    version = db.session.get(AssetVersion, review.version_id)
    if request_key:
        earlier = db.session.scalar(select(Decision).where(Decision.request_key == request_key))
        if earlier is not None:  # the same form posted again (a double click, a retry): one row (E6)
            return _same_form(earlier, participant, version)
    if version.asset.archived:
        raise AssetArchived(f"“{version.asset.title}” was archived, so its review has ended. "
                            "This decision was not recorded.")
    if version_id != review.version_id or version.asset.current_version_id != version.id \
            or review.status == ReviewStatus.CANCELLED:
        raise StaleVersion(STALE_MESSAGE.format(title=version.asset.title))
    if review.status != ReviewStatus.OPEN or stage.status != StageStatus.OPEN:
        raise Conflict("This review stage is closed; decisions can no longer be changed.")
    if participant.removed_at is not None:
        raise NotAllowed("You are no longer a reviewer of this version.")
    if not participant.decides:
        raise NotAllowed("You are asked for comments on this version, not for a decision.")
    note = (note or "").strip()
    if verdict in (Verdict.CHANGES_REQUESTED, Verdict.REJECTED) and not note and not _has_open_comment(
            version, participant):
        raise Invalid("Say what should change: write a note, or pin a comment on the artwork first.")
    if verdict == Verdict.APPROVED_WITH_CHANGES and not note:
        raise Invalid("Write the changes to make on the final file.")
    decision = Decision(
        version_id=version.id, asset_id=version.asset_id, review_id=review.id, stage_id=stage.id,
        participant_id=participant.id, verdict=verdict, channel=who.channel, note=note, binding=True,
        user_id=who.user.id if who.user else None, reviewer_name=who.name or participant.display_name,
        reviewer_email=who.email or participant.email, identified_by=who.identified_by,
        file_sha256=version.sha256, ip=who.ip, user_agent=who.user_agent[:300], request_key=request_key,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(decision)
    except IntegrityError:  # the same form, posted twice at the same moment: the other request's row stands
        earlier = db.session.scalar(select(Decision).where(Decision.request_key == request_key)) \
            if request_key else None
        if earlier is None:
            raise
        return _same_form(earlier, participant, version)
    participant.decided_at = now
    changed = db.session.scalar(select(func.count(Decision.id)).where(Decision.participant_id == participant.id)) > 1
    activity.record("decision.changed" if changed else "decision.made", actor=who.user,
                    actor_label=None if who.user else who.email, subject=decision, project_id=review.project_id,
                    version_id=version.id, verdict=verdict.value, channel=who.channel.value, sha256=version.sha256)
    evaluate(stage, now=now, decision=decision)
    if review.status == ReviewStatus.OPEN:  # a decision that ended the review is told as its outcome, once
        notify.decision_made(decision, stage)
    return decision


def _same_form(earlier: Decision, participant: Participant, version: AssetVersion) -> Decision:
    """A decision form is good for one decision, by the person it was shown to, on its version (E4, E6)."""
    if earlier.participant_id != participant.id or earlier.version_id != version.id:
        raise Conflict("This form was already used. Reload the page and decide again.")
    return earlier


def advisory(version: AssetVersion, verdict: Verdict, note: str, who: Identity) -> Decision:
    """A guest's decision that binds nobody: recorded and shown apart; it moves no stage."""
    review = db.session.scalar(select(Review).where(Review.version_id == version.id,
                                                    Review.status == ReviewStatus.OPEN))
    decision = Decision(version_id=version.id, asset_id=version.asset_id, review_id=review.id if review else None,
                        verdict=verdict, channel=who.channel, note=(note or "").strip(), binding=False,
                        reviewer_name=who.name, reviewer_email=who.email, identified_by=who.identified_by,
                        file_sha256=version.sha256, ip=who.ip, user_agent=who.user_agent[:300])
    db.session.add(decision)
    db.session.flush()
    activity.record("decision.advisory", actor_label=who.email, subject=decision,
                    project_id=version.asset.project_id, verdict=verdict.value)
    return decision


def _has_open_comment(version: AssetVersion, participant: Participant) -> bool:
    query = select(Comment.id).where(Comment.version_id == version.id, Comment.deleted_at.is_(None),
                                     Comment.resolved_at.is_(None))
    if participant.user_id:
        query = query.where(Comment.author_id == participant.user_id)
    else:
        query = query.where(Comment.author_id.is_(None), Comment.guest_email == participant.email)
    return db.session.scalar(query.limit(1)) is not None


def latest_verdicts(stage: ReviewStage) -> dict[int, Verdict]:
    """Each deciding, current participant's latest binding verdict."""
    rows = db.session.execute(
        select(Decision.participant_id, Decision.verdict).where(Decision.stage_id == stage.id, Decision.binding)
        .order_by(Decision.created_at, Decision.id)).all()
    live = {p.id for p in stage.participants if p.decides and p.removed_at is None}
    latest: dict[int, Verdict] = {}
    for participant_id, verdict in rows:
        if participant_id in live:
            latest[participant_id] = verdict
    return latest


def rule_met(stage: ReviewStage, latest: dict[int, Verdict]) -> bool:
    deciders = sum(1 for p in stage.participants if p.decides and p.removed_at is None)
    approvals = sum(1 for v in latest.values() if v.approves)
    if deciders == 0:
        return False
    if stage.rule == Rule.ALL:
        return approvals == deciders
    if stage.rule == Rule.ANY:
        return approvals >= 1
    return approvals >= min(stage.required, deciders)


def evaluate(stage: ReviewStage, *, now: datetime, decision: Decision | None = None) -> None:
    """Close the stage if its rule says so (``decision``: the one that was just made, named when the team is
    told that the review ended)."""
    if stage.status != StageStatus.OPEN:
        return
    review = stage.review
    latest = latest_verdicts(stage)
    if any(not verdict.approves for verdict in latest.values()):
        stage.status, stage.closed_at = StageStatus.CHANGES_REQUESTED, now
        review.status, review.closed_at = ReviewStatus.CHANGES_REQUESTED, now
        for later in review.stages:
            if later.status == StageStatus.PENDING:
                later.status, later.closed_at = StageStatus.CANCELLED, now
        activity.record("review.changes_requested", subject=review, project_id=review.project_id, stage=stage.name)
        notify.seats_closed(stage.participants, "changes were requested")
        notify.changes_requested(review, stage, decision)
    elif rule_met(stage, latest):
        stage.status, stage.closed_at = StageStatus.APPROVED, now
        activity.record("review.stage_approved", subject=review, project_id=review.project_id, stage=stage.name)
        notify.seats_closed(stage.participants, "approved")
        following = next((s for s in review.stages if s.status == StageStatus.PENDING), None)
        if following is not None:
            workflow = workflows.for_project(review.asset.project)
            wf_stage = next((s for s in workflow.stages if s.position == following.position), None)
            open_stage(following, expand_reviewers(wf_stage, review.asset.project) if wf_stage else [], now=now)
        else:
            review.status, review.closed_at, review.locked = ReviewStatus.APPROVED, now, True
            activity.record("review.approved", subject=review, project_id=review.project_id,
                            version_id=review.version_id)
            notify.approved(review, decision)
    status.refresh(review.asset)


def remove_participant(actor: User, participant: Participant, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    stage = participant.stage
    if participant.removed_at is not None:
        raise Conflict(f"{participant.display_name} is no longer a reviewer.")
    if stage.status != StageStatus.OPEN or stage.review.status != ReviewStatus.OPEN:
        raise Conflict("Reviewers can be removed from the open stage only.")
    participant.removed_at = now
    db.session.execute(update(ActionToken).where(ActionToken.participant_id == participant.id)
                        .values(expires_at=now).execution_options(synchronize_session=False))
    activity.record("review.reviewer_removed", actor=actor, subject=participant.stage.review,
                    project_id=participant.stage.review.project_id, reviewer=participant.email)
    evaluate(participant.stage, now=now)


def add_participant(actor: User, stage: ReviewStage, *, user: User | None, email: str, name: str,
                    decides: bool = True, now: datetime | None = None) -> Participant:
    now = now or utcnow()
    if stage.status != StageStatus.OPEN or stage.review.status != ReviewStatus.OPEN:
        raise Conflict("Reviewers can be added to the open stage only.")
    address = (user.email if user else email).strip().lower()
    if stage.internal and not (user is not None and user.is_agency):
        raise Invalid(f"“{stage.name}” is team only: clients never see it, so {address} can't review there.")
    if any(p.removed_at is None and p.email == address for p in stage.participants):
        raise Conflict(f"{address} is already a reviewer of this stage.")
    participant = Participant(user_id=user.id if user else None, email=address,
                              name=user.name if user else name, decides=decides, invited_at=now)
    stage.participants.append(participant)
    db.session.flush()
    activity.record("review.reviewer_added", actor=actor, subject=stage.review, project_id=stage.review.project_id,
                    reviewer=participant.email)
    notify.review_request(participant)
    return participant


def reopen(admin: User, review: Review, *, now: datetime | None = None) -> None:
    if not admin.is_admin:
        raise NotAllowed("Only an admin can reopen an approved version.")
    if review.status != ReviewStatus.APPROVED:
        raise Conflict("Only an approved review can be reopened.")
    version = review.version
    if version.deleted_at is not None or review.asset.current_version_id != version.id:
        raise StaleVersion(f"{version.label} is no longer the current version of “{review.asset.title}”: "
                           "send the current version for review instead.")
    if review.asset.archived:
        raise Conflict(f"“{review.asset.title}” is archived. Restore it first.")
    if open_review_of_asset(review.asset_id) is not None:
        raise Conflict(f"“{review.asset.title}” is in review already; finish or withdraw that review first.")
    now = now or utcnow()
    review.status, review.locked, review.closed_at = ReviewStatus.OPEN, False, None
    last = review.stages[-1]
    last.status, last.closed_at = StageStatus.OPEN, None
    activity.record("review.reopened", actor=admin, subject=review, project_id=review.project_id)
    status.refresh(review.asset)


@version_added.connect
def _new_version(asset, version: AssetVersion, **_) -> None:
    """A new version ends the review of the older one (it can no longer be approved)."""
    cancel_open_reviews(asset, now=utcnow(), reason=f"{version.label} was uploaded")
    status.refresh(asset)


@asset_archived.connect
def _asset_archived(asset, actor: User | None = None, **_) -> None:
    """Archiving ends the open review: no more decisions, reminders or working links. Restoring the asset
    reopens nothing; the team sends it again."""
    cancel_open_reviews(asset, now=utcnow(), reason="the asset was archived", actor=actor, revoke_links=True)
    status.refresh(asset)


@version_changed.connect
def _version_deleted_or_restored(asset, version: AssetVersion, **_) -> None:
    """Deleting or restoring a version can change which one is current: a round on a version that is no
    longer the current one ends (it could never be approved)."""
    db.session.flush()
    cancel_open_reviews(asset, now=utcnow(), reason=f"{version.label} was "
                        f"{'deleted' if version.deleted_at else 'restored'}", unless_version=asset.current_version_id)
    status.refresh(asset)


def restart_stage(version: AssetVersion) -> int:
    """Where the next round starts: stage 1, or the stage that asked for changes (project setting)."""
    workflow = workflows.for_project(version.asset.project)
    if not workflow.restart_at_requesting_stage:
        return 1
    previous = db.session.scalar(
        select(ReviewStage.position).join(Review, Review.id == ReviewStage.review_id)
        .where(Review.asset_id == version.asset_id, ReviewStage.status == StageStatus.CHANGES_REQUESTED)
        .order_by(Review.opened_at.desc()).limit(1))
    return previous or 1


def open_review_of_asset(asset_id: int) -> Review | None:
    return db.session.scalar(select(Review).where(Review.asset_id == asset_id, Review.status == ReviewStatus.OPEN)
                             .limit(1))


def open_review_of(version: AssetVersion) -> Review | None:
    return db.session.scalar(select(Review).where(Review.version_id == version.id, Review.status == ReviewStatus.OPEN))


def latest_review_of(version: AssetVersion) -> Review | None:
    return db.session.scalar(select(Review).where(Review.version_id == version.id)
                             .order_by(Review.opened_at.desc(), Review.id.desc()).limit(1))


def participant_for(review: Review | None, user: User) -> Participant | None:
    """The signed-in user's seat in the open stage of ``review``, if any."""
    if review is None:
        return None
    stage = next((s for s in review.stages if s.status == StageStatus.OPEN), None)
    if stage is None:
        return None
    return next((p for p in stage.participants
                 if p.removed_at is None and (p.user_id == user.id or p.email == user.email)), None)


def seat_of(version: AssetVersion, who) -> Participant | None:
    """A signed-in person's seat in the open stage of the version's review (guests have their own)."""
    return participant_for(open_review_of(version), who) if getattr(who, "is_user", False) else None


def mark_commented(seat: Participant | None) -> None:
    """The team sees "Commented" for this reviewer (the first time; in the caller's write)."""
    if seat is not None and seat.commented_at is None:
        seat.commented_at = utcnow()


def mark_opened(seat_id: int) -> None:
    """The team sees "Opened" for this reviewer. Called after a page was rendered from a read-only
    snapshot: ends it and writes the mark in a short transaction of its own, so page views that mark
    nothing never take SQLite's write lock (see db.will_write)."""
    db.session.rollback()
    will_write()
    db.session.execute(update(Participant).where(Participant.id == seat_id, Participant.opened_at.is_(None))
                       .values(opened_at=utcnow()))
    db.session.commit()
