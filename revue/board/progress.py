"""Where each reviewer of an asset's open review stage stands, for the board cards — in one query.

The states are those of the asset's review panel (templates/review/_review_status.html): decided, else
commented, else opened, else invited. Client contacts never see an internal stage (DESIGN "Who sees what").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..accounts.models import User
from ..db import db
from ..rendering import ago
from ..review.models import (
    Decision,
    Participant,
    Review,
    ReviewStage,
    ReviewStatus,
    Rule,
    StageStatus,
    Verdict,
)

DONE = {Verdict.APPROVED: "approved", Verdict.APPROVED_WITH_CHANGES: "approved with changes",
        Verdict.CHANGES_REQUESTED: "asked for changes", Verdict.REJECTED: "rejected"}


@dataclass
class Seat:
    name: str
    decides: bool
    state: str  # invited, opened, commented, decided
    at: datetime | None
    verdict: Verdict | None = None

    @property
    def initials(self) -> str:
        if "@" in self.name:  # someone known only by their address
            return self.name[0].upper()
        return "".join(part[0] for part in self.name.split()[:2]).upper()

    def label(self, now: datetime) -> str:
        """``Dana Reyes — opened 2 h ago``: the chip's tooltip and its text for screen readers."""
        done = DONE[self.verdict] if self.verdict else self.state
        when = f" {ago(self.at, now)}" if self.at else ""
        return f"{self.name}{'' if self.decides else ' (comments only)'} — {done}{when}"


@dataclass
class StageProgress:
    name: str
    seats: list[Seat]
    rule: Rule = Rule.ALL
    required: int = 1  # for n_of

    @property
    def deciders(self) -> int:
        return sum(1 for seat in self.seats if seat.decides)

    @property
    def decided(self) -> int:
        return sum(1 for seat in self.seats if seat.decides and seat.state == "decided")

    @property
    def approved(self) -> int:
        return sum(1 for seat in self.seats if seat.decides and seat.verdict is not None and seat.verdict.approves)

    @property
    def summary(self) -> str:
        """What the stage's rule asks, in words: ``any 1 of 3``, ``2 of 3 needed``, ``1 of 3 decided`` (all)."""
        needed = {Rule.ANY: 1, Rule.N_OF: self.required}.get(self.rule, self.deciders)
        if needed >= self.deciders:
            return f"{self.decided} of {self.deciders} decided"
        if self.rule == Rule.ANY:
            return f"any 1 of {self.deciders}"
        return f"{needed} of {self.deciders} needed" + (f", {self.approved} approved" if self.approved else "")


def open_stages(user: User, version_ids: list[int]) -> dict[int, StageProgress]:
    """The open stage of each version's open review, by version id, with its current reviewers."""
    if not version_ids:
        return {}
    verdict = (select(Decision.verdict).where(Decision.participant_id == Participant.id)
               .order_by(Decision.created_at.desc(), Decision.id.desc()).limit(1)
               .correlate(Participant).scalar_subquery())
    query = (
        select(Review.version_id, ReviewStage.name, ReviewStage.rule, ReviewStage.required, Participant.name,
               Participant.email, Participant.decides, Participant.invited_at, Participant.opened_at,
               Participant.commented_at, Participant.decided_at, verdict)
        .join(ReviewStage, ReviewStage.review_id == Review.id)
        .join(Participant, Participant.stage_id == ReviewStage.id)
        .where(Review.version_id.in_(version_ids), Review.status == ReviewStatus.OPEN,
               ReviewStage.status == StageStatus.OPEN, Participant.removed_at.is_(None))
        .order_by(Participant.id)
    )
    if not user.is_agency:
        query = query.where(ReviewStage.internal.is_(False))
    stages: dict[int, StageProgress] = {}
    for (version_id, stage, rule, required, name, email, decides, invited, opened, commented, decided,
         latest) in db.session.execute(query):
        seat = _seat(name or email, decides, invited, opened, commented, decided, latest)
        stages.setdefault(version_id, StageProgress(stage, [], rule, required)).seats.append(seat)
    return stages


def _seat(name, decides, invited, opened, commented, decided, verdict) -> Seat:
    if decided or verdict:
        return Seat(name, decides, "decided", decided, verdict)
    if commented:
        return Seat(name, decides, "commented", commented)
    if opened:
        return Seat(name, decides, "opened", opened)
    return Seat(name, decides, "invited", invited)

