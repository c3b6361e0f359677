"""Who hears about what: review requests, decisions, changes requested, approvals, reminders.

Every notification is a row (the in-app menu reads it) and, depending on the person's
preference for that kind, an email now or a line in their hourly/daily digest. Review
requests and reminders carry a personal decision link, so they are always sent at once —
unless the address unsubscribed.
"""

from __future__ import annotations

import logging

from flask import current_app, has_request_context, url_for
from sqlalchemy import select, update

from .. import mail
from ..accounts.models import User
from ..comments.services import mentioned
from ..db import db, utcnow
from .models import EmailOptOut, Notification

log = logging.getLogger(__name__)

KINDS = {
    "review_request": "Work sent to you for review",
    "reminder": "Reminders about reviews you owe",
    "decision": "Decisions on work you look after",
    "changes": "Changes requested on your work",
    "mention": "Mentions of you in comments",
    "approved": "Approvals of your work",
}
CHOICES = ("immediately", "hourly", "daily", "off")


def preference(user: User | None, kind: str) -> str:
    if user is None:
        return "immediately"
    prefs = user.notification_prefs or {}
    # Clients hear of the team's progress in a daily summary; what asks something of them comes at once.
    default = "daily" if user.is_client_contact and kind not in ("review_request", "reminder", "mention") \
        else "immediately"
    value = prefs.get(kind, default)
    return value if value in CHOICES else default


def opted_out(email: str) -> bool:
    return db.session.scalar(select(EmailOptOut.id).where(EmailOptOut.email == email.lower())) is not None


def unsubscribe_headers(email: str) -> dict:
    from ..links.unsubscribe import unsubscribe_url

    link = unsubscribe_url(email)
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def send(*, user: User | None, email: str, kind: str, title: str, url: str, project_id: int | None,
         template: str, subject: str, **context) -> Notification:
    note = Notification(user_id=user.id if user else None, email=email.lower(), kind=kind, title=title[:300],
                        url=url, project_id=project_id)
    db.session.add(note)
    choice = preference(user, kind)
    if choice == "immediately" and not opted_out(email):
        note.emailed_at = utcnow()
        mail.queue(email, subject, template, kind=kind, to_name=user.name if user else context.get("name", ""),
                   headers=unsubscribe_headers(email), user=user, unsubscribe_email=email, **context)
    db.session.flush()
    return note


def token_link(participant) -> str:
    """The personal link's path; its token is made when the email is sent (see mail.RESOLVERS)."""
    return url_for("links.email_landing", token="T")[:-1] + mail.placeholder("token", participant.id)


def _issue_for(participant_id: str) -> str:
    """A fresh token for the reviewer's link, made as the email goes out (or is handed over by hand). A link
    that could no longer open anything (the reviewer was removed, the review ended) is not made."""
    from .engine import issue_token
    from .models import Participant, ReviewStatus

    participant = db.session.get(Participant, int(participant_id))
    if participant is None or participant.removed_at is not None:
        raise mail.Unresolvable("this reviewer was removed from the review")
    review = participant.stage.review
    if review.status != ReviewStatus.OPEN:
        raise mail.Unresolvable(f"the review of {review.asset.title} {review.version.label} has ended")
    return issue_token(participant)


mail.RESOLVERS["token"] = _issue_for


def review_request(participant, token: str | None = None) -> None:
    stage = participant.stage
    review = stage.review
    version, asset = review.version, review.asset
    link = token_link(participant)
    send(user=participant.user, email=participant.email, kind="review_request",
         title=f"{asset.title} {version.label} is waiting for your {'decision' if participant.decides else 'comments'}",
         url=url_for("review.viewer", version_id=version.id) if participant.user else "",
         project_id=review.project_id, template="review_request",
         subject=f"Please review: {asset.title} {version.label}", participant=participant, stage=stage,
         review=review, version=version, asset=asset, link=link, name=participant.display_name)


def reminder(participant, token: str | None = None, *, overdue: bool) -> None:
    stage = participant.stage
    review = stage.review
    version, asset = review.version, review.asset
    link = token_link(participant)
    send(user=participant.user, email=participant.email, kind="reminder",
         title=f"Reminder: {asset.title} {version.label}",
         url=url_for("review.viewer", version_id=version.id) if participant.user else "",
         project_id=review.project_id,
         template="reminder", subject=f"{'Overdue' if overdue else 'Reminder'}: {asset.title} {version.label} "
                                       "needs your review",
         participant=participant, stage=stage, review=review, version=version, asset=asset, link=link,
         overdue=overdue, name=participant.display_name)


def _team_of(review) -> list[User]:
    from ..projects.models import ProjectMember

    people = {}
    if review.asset.assignee is not None:
        people[review.asset.assignee.id] = review.asset.assignee
    starter = db.session.get(User, review.started_by_id) if review.started_by_id else None
    if starter is not None:
        people[starter.id] = starter
    if not people:
        members = select(ProjectMember.user_id).where(ProjectMember.project_id == review.project_id)
        for user in db.session.scalars(select(User).where(User.id.in_(members), User.active)):
            people[user.id] = user
    return [u for u in people.values() if u.active]


def decision_made(decision, stage) -> None:
    """The team hears of a decision that left the review open (one that ended it: see changes_requested and
    approved, so nobody hears of one event twice)."""
    review = stage.review
    for user in _team_of(review):
        if user.id == decision.user_id:
            continue
        send(user=user, email=user.email, kind="decision", title=_decision_title(decision, review),
             url=url_for("review.viewer", version_id=review.version_id), project_id=review.project_id,
             template="decision", subject=f"{decision.verdict.label}: {review.asset.title} {review.version.label}",
             decision=decision, review=review, stage=stage)


def _decision_title(decision, review) -> str:
    return f"{decision.reviewer_name}: {decision.verdict.label} — {review.asset.title} {review.version.label}"


def changes_requested(review, stage, decision=None) -> None:
    """One notification per team member: with the ``decision`` that asked for changes, it names who asked,
    and its email carries their note (or, without a note, the open comments they pinned)."""
    from ..comments.models import Comment

    open_comments = list(db.session.scalars(
        select(Comment).where(Comment.version_id == review.version_id, Comment.parent_id.is_(None),
                              Comment.deleted_at.is_(None), Comment.resolved_at.is_(None)).order_by(Comment.number, Comment.id)))
    for user in _team_of(review):
        if decision is not None and user.id == decision.user_id:
            continue
        send(user=user, email=user.email, kind="changes",
             title=_decision_title(decision, review) if decision is not None else
             f"Changes requested on {review.asset.title} {review.version.label}",
             url=url_for("review.viewer", version_id=review.version_id), project_id=review.project_id,
             template="decision" if decision is not None and decision.note else "changes_requested",
             subject=f"Changes requested: {review.asset.title} {review.version.label}",
             review=review, stage=stage, comments=open_comments, decision=decision)


def approved(review, decision=None) -> None:
    for user in _team_of(review):
        if decision is not None and user.id == decision.user_id:
            continue
        send(user=user, email=user.email, kind="approved",
             title=f"{review.asset.title} {review.version.label} is approved",
             url=url_for("review.record", version_id=review.version_id), project_id=review.project_id,
             template="approved", subject=f"Approved: {review.asset.title} {review.version.label}", review=review)


def seats_closed(participants, reason: str) -> None:
    """The stage these reviewers were asked about has closed (or its whole review ended): their "waiting for
    your decision" and reminder notifications are done (read), and their review requests or reminders still
    waiting in the outbox are not sent — the worker would refuse them anyway, as their links can't open
    anything any more."""
    participants = list(participants)
    if not participants:
        return
    stage = participants[0].stage
    review = stage.review
    work = f"{review.asset.title} {review.version.label}"
    ended = review.status.value != "open"
    what = f"the review of {work} has ended" if ended else f"the {stage.name} stage of {work} is over"
    users = {p.user_id for p in participants if p.user_id}
    if users:
        db.session.execute(
            update(Notification)
            .where(Notification.user_id.in_(users), Notification.kind.in_(("review_request", "reminder")),
                   Notification.url == _viewer_path(review.version_id),
                   Notification.read_at.is_(None))
            .values(read_at=utcnow()).execution_options(synchronize_session=False))
    mail.withdraw([mail.placeholder("token", p.id) for p in participants], f"{what} ({reason})")


def _viewer_path(version_id: int) -> str:
    """The viewer's path, also where no request is being served (a CLI command)."""
    if has_request_context():
        return url_for("review.viewer", version_id=version_id)
    with current_app.test_request_context("/"):
        return url_for("review.viewer", version_id=version_id)


# -- mentions (the comments feature sits below this one: it signals, this side tells) ----------------


@mentioned.connect
def mention(comment, user: User, version, link: str, **_) -> None:
    """Someone was @mentioned: a notification under the bell, emailed as their "Mentions" preference says."""
    if not has_request_context():  # mail-in, a CLI command: links are built as in a job
        with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]):
            return mention(comment, user=user, version=version, link=link)
    send(user=user, email=user.email, kind="mention",
         title=f"{comment.author_name} mentioned you on “{version.asset.title}” {version.label}", url=link,
         project_id=version.asset.project_id, template="mention",
         subject=f"{comment.author_name} mentioned you on “{version.asset.title}”", comment=comment,
         version=version, link=link)
