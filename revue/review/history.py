"""The activity log as people read it: "Dana Whitfield uploaded v2 of Hero banner".

Rows name their subject by type and id; the versions, assets, reviews, stages, decisions, comments and
people they point at are loaded together (a fixed number of queries, however many rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from markupsafe import Markup
from sqlalchemy import select

from ..accounts.models import User
from ..activity import Activity
from ..assets.models import Asset, AssetVersion
from ..comments.models import Comment
from ..db import db
from .models import Decision, Review, ReviewStage

# What happened, after the person's name. {what} is "v2 of Hero banner" (a link to the asset page).
SAID = {
    "project.created": "created the project",
    "project.updated": "changed the project details",
    "project.archived": "archived the project",
    "project.reopened": "reopened the project",
    "project.member_added": "added {member} to the project",
    "project.member_removed": "removed {member} from the project",
    "workflow.applied": "applied the “{template}” review workflow",
    "workflow.stage_added": "added the {stage} stage to the review workflow",
    "workflow.stage_removed": "removed the {stage} stage from the review workflow",
    "workflow.reviewer_added": "added a reviewer to the {stage} stage of the review workflow",
    "link.created": "created a review link",
    "link.revoked": "revoked a review link",
    "version.uploaded": "uploaded {what}",
    "version.retried": "retried the preview of {what}",
    "version.deleted": "deleted {what}",
    "version.restored": "restored {what}",
    "asset.renamed": "renamed “{old}” to {what}",
    "asset.assigned": "assigned {what} to {assignee}",
    "asset.due_set": "changed the due date of {what}",
    "asset.archived": "archived {what}",
    "asset.unarchived": "restored {what} to the board",
    "review.started": "sent {what} for review",
    "review.stage_opened": "{stage} stage opened for {what}",
    "review.stage_approved": "{stage} stage approved {what}",
    "review.approved": "Review approved: {what}",
    "review.changes_requested": "Changes requested on {what} ({stage} stage)",
    "review.cancelled": "ended the review of {what}: {reason}",
    "review.reopened": "reopened the review of {what}",
    "review.nudged": "reminded {reviewer} about {what}",
    "review.reviewer_added": "added {reviewer} as a reviewer of {what}",
    "review.reviewer_removed": "removed {reviewer} as a reviewer of {what}",
    "decision.made": "{verdict} {what}",
    "decision.changed": "changed their decision on {what}: {verdict_label}",
    "decision.advisory": "gave an advisory decision on {what}: {verdict_label}",
    "decision.recorded": "recorded an approval of {what} given outside Revue",
    "comment.added": "commented on {what}",
    "comment.replied": "replied to a comment on {what}",
    "comment.edited": "edited a comment on {what}",
    "comment.deleted": "deleted a comment on {what}",
    "comment.resolved": "resolved a comment on {what}",
    "comment.reopened": "reopened a comment on {what}",
    "comment.fixed": "marked a comment as fixed in {what}",
    "comment.carried_over": "marked a comment as still open in {what}",
}
# Things that follow from decisions: no "Revue" in front of them (their words start with a capital).
BY_ITSELF = {"review.stage_opened", "review.stage_approved", "review.approved", "review.changes_requested"}
PEOPLE = ("member", "reviewer", "assignee")  # emails in the rows' data: shown as the person's name where known
VERDICT_VERBS = {"approved": "approved", "approved_with_changes": "approved with changes",
                 "changes_requested": "asked for changes on", "rejected": "rejected"}


@dataclass
class Entry:
    at: datetime
    who: str  # empty for things that happened by themselves
    what: Markup
    asset_id: int | None


def entries(rows: list[Activity]) -> list[Entry]:
    targets = _Targets(rows)
    return [_entry(row, targets) for row in rows]


def _entry(row: Activity, targets: _Targets) -> Entry:
    data = row.data or {}
    version, asset = targets.version_and_asset(row)
    what = _what(version, asset)
    verdict = str(data.get("verdict") or "")
    said = SAID.get(row.action)
    if row.action == "asset.assigned" and not data.get("assignee"):
        said = "unassigned {what}"
    if said is None:  # a kind of event this page has no words for yet: its name, readable
        said = row.action.replace("_", " ").replace(".", ": ") + (" {what}" if asset else "")
    if "{what}" in said and not asset:
        said = said.replace(" {what}", "").replace("{what}", "it")
    fields = {key: str(value) for key, value in data.items() if value is not None}
    fields |= {key: targets.names.get(data.get(key), data.get(key) or "someone") for key in PEOPLE}
    fields |= {"stage": data.get("stage") or targets.stage_name(row), "what": what,
               "reason": data.get("reason") or "no reason given",
               "verdict": VERDICT_VERBS.get(verdict, verdict.replace("_", " ")),
               "verdict_label": verdict.replace("_", " ")}
    fields.setdefault("old", "")
    fields.setdefault("template", "")
    text = Markup(said).format(**fields)
    who = targets.who(row) or ("" if row.action in BY_ITSELF else "Revue")
    return Entry(at=row.created_at, who=who, what=text, asset_id=asset.id if asset else None)


def _what(version: AssetVersion | None, asset: Asset | None) -> Markup | str:
    if asset is None:
        return ""
    link = Markup('<a href="{}">{}</a>').format(url_for("assets.show", asset_id=asset.id), asset.title)
    return Markup("{} of {}").format(version.label, link) if version is not None else link


class _Targets:
    """What the rows point at, loaded in a handful of queries."""

    def __init__(self, rows: list[Activity]) -> None:
        def ids(kind: str) -> set[int]:
            return {row.subject_id for row in rows if row.subject_type == kind and row.subject_id}

        def data_ids(key: str) -> set[int]:
            return {int(row.data[key]) for row in rows if isinstance((row.data or {}).get(key), int)}

        self.decisions = _by_id(Decision, ids("decision"))
        self.comments = _by_id(Comment, ids("comment"))
        self.stages = _by_id(ReviewStage, ids("reviewstage"))
        self.reviews = _by_id(Review, ids("review") | data_ids("review_id") | {s.review_id for s in self.stages.values()})
        version_ids = (ids("assetversion") | data_ids("version_id") | {d.version_id for d in self.decisions.values()}
                       | {c.version_id for c in self.comments.values()} | {r.version_id for r in self.reviews.values()})
        self.versions = _by_id(AssetVersion, version_ids)
        self.assets = _by_id(Asset, ids("asset") | data_ids("asset_id") | {v.asset_id for v in self.versions.values()})
        self.users = _by_id(User, {row.actor_id for row in rows if row.actor_id})
        emails = {(row.data or {}).get(key) for row in rows for key in PEOPLE} - {None}
        self.names = {user.email: user.name for user in db.session.scalars(select(User).where(User.email.in_(emails)))
                      } if emails else {}

    def version_and_asset(self, row: Activity) -> tuple[AssetVersion | None, Asset | None]:
        data, kind, key = row.data or {}, row.subject_type, row.subject_id
        version_id = data.get("version_id")
        if kind == "assetversion":
            version_id = key
        elif kind == "decision" and key in self.decisions:
            version_id = self.decisions[key].version_id
        elif kind == "comment" and key in self.comments:
            version_id = self.comments[key].version_id
        elif kind in ("review", "reviewstage"):
            review = self.reviews.get(key if kind == "review" else getattr(self.stages.get(key), "review_id", None))
            version_id = review.version_id if review else version_id
        version = self.versions.get(version_id)
        asset_id = version.asset_id if version else (key if kind == "asset" else data.get("asset_id"))
        return version, self.assets.get(asset_id)

    def stage_name(self, row: Activity) -> str:
        stage = self.stages.get(row.subject_id) if row.subject_type == "reviewstage" else None
        return stage.name if stage else "a"

    def who(self, row: Activity) -> str:
        """A person's name where Revue knows it; the email (or label) otherwise."""
        if row.actor_id in self.users:
            return self.users[row.actor_id].name
        if row.subject_type == "decision" and row.subject_id in self.decisions:
            return self.decisions[row.subject_id].reviewer_name
        if row.subject_type == "comment" and row.subject_id in self.comments:
            return self.comments[row.subject_id].author_name
        return row.actor_label


def _by_id(model, ids: set[int]) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {obj.id: obj for obj in db.session.scalars(select(model).where(model.id.in_(ids)))}
