"""The stage state machine, driven at random against a model of what DESIGN.md says.

A hypothesis ``RuleBasedStateMachine`` sends versions for review, lets random participants decide
(every verdict), removes and adds reviewers, uploads new versions mid-review, archives and restores
the asset and has admins (and non-admins) reopen approved reviews. A small model of reviews, stages and latest verdicts
predicts every outcome — including the error each refused step must raise — and after every step:

* at most one review of the asset is open, and none while it is archived;
* decision rows only ever grow, and no row changes;
* the asset's stored status equals ``status.derive(asset)``;
* every review and stage is in the state the model predicts (so ALL / ANY / N_OF close a stage
  exactly when they should, and never otherwise);
* a closed stage never opens again, except through an admin's reopen;
* a review is locked exactly when it is approved.

Each example runs in one transaction that is rolled back at its end, on a fresh asset; the
workflow (Internal: Mia and Theo; Client: Cleo, Carl and a guest address) gets random rules.
Who is told what is tested elsewhere: here notifications are stubbed out, for speed.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from revue.assets.models import Asset
from revue.assets.services import add_file, set_archived
from revue.db import db
from revue.errors import Conflict, DomainError, Invalid, NotAllowed
from revue.review import engine, notify, status
from revue.review.engine import AssetArchived, StaleVersion
from revue.review.models import Channel, Decision, Participant, Review, ReviewStage, Rule, Verdict, Workflow

VERDICTS = [Verdict.APPROVED] * 4 + [Verdict.APPROVED_WITH_CHANGES, Verdict.CHANGES_REQUESTED, Verdict.REJECTED]
# (rule, required): n_of 3 and 4 ask for more approvals than a stage may have reviewers (then: all of them)
RULES = [("all", 1), ("any", 1), ("n_of", 1), ("n_of", 2), ("n_of", 3), ("n_of", 4)]
GUEST = "guest@elsewhere.example"
CLOSED = {"approved", "changes_requested", "cancelled"}


@dataclass
class MStage:
    id: int
    position: int
    rule: str
    required: int
    status: str
    seats: dict = field(default_factory=dict)  # participant id -> {"live": bool, "latest": Verdict | None}

    def rule_met(self) -> bool:
        live = [s for s in self.seats.values() if s["live"]]
        approvals = sum(1 for s in live if s["latest"] is not None and s["latest"].approves)
        if not live:
            return False
        if self.rule == "all":
            return approvals == len(live)
        if self.rule == "any":
            return approvals >= 1
        return approvals >= min(self.required, len(live))

    def asks_changes(self) -> bool:
        return any(s["live"] and s["latest"] is not None and not s["latest"].approves for s in self.seats.values())


@dataclass
class MReview:
    id: int
    version_id: int
    status: str
    stages: list[MStage]


def rule_strategy():
    return st.sampled_from(RULES)


@pytest.fixture
def people(owner, member, teammate, contact, contact2, project):
    return {"owner": owner, "member": member, "teammate": teammate, "contact": contact, "contact2": contact2,
            "project": project}


def test_stage_state_machine(app, request_ctx, people, set_workflow, png, monkeypatch):
    owner, member, project = people["owner"], people["member"], people["project"]
    internal_people = [people["member"], people["teammate"]]
    client_people = [people["contact"], people["contact2"], GUEST]
    expected_emails = {1: {u.email for u in internal_people},
                       2: {people["contact"].email, people["contact2"].email, GUEST}}

    flow_id = set_workflow(project, owner, [("Internal", "all", 1, internal_people, True),
                                            ("Client", "all", 1, client_people)]).id
    monkeypatch.setattr(os, "fsync", lambda fd: None)  # uploads need no durability here (a few ms each)
    for name in ("review_request", "decision_made", "changes_requested", "approved"):  # who hears what is
        monkeypatch.setattr(notify, name, lambda *args, **kwargs: None)  # tested elsewhere; here only states

    def add_version(project, asset=None):
        path = png()
        return add_file(member, project, str(path), path.name, asset=asset)

    class ReviewMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            db.session.rollback()
            self.reviews: dict[int, MReview] = {}
            self.decisions: dict[int, tuple] = {}
            self.seen: dict[int, str] = {}
            self.may_reopen: set[int] = set()
            self.extra = itertools.count(1)
            self.asset_id = None
            self.archived = False

        # -- helpers ---------------------------------------------------------------------

        def asset(self) -> Asset:
            return db.session.get(Asset, self.asset_id)

        def open_reviews(self) -> list[MReview]:
            return [r for r in self.reviews.values() if r.status == "open"]

        def all_seats(self) -> list[Participant]:
            return list(db.session.scalars(
                select(Participant).join(ReviewStage).join(Review).where(Review.asset_id == self.asset_id)
                .order_by(Participant.id)))

        def model_of(self, participant: Participant) -> tuple[MReview, MStage]:
            review = self.reviews[participant.stage.review_id]
            stage = next(s for s in review.stages if s.id == participant.stage_id)
            return review, stage

        def cancel_open(self) -> None:
            for review in self.open_reviews():
                review.status = "cancelled"
                for stage in review.stages:
                    if stage.status in ("open", "pending"):
                        stage.status = "cancelled"

        def open_next(self, review: MReview, after: MStage) -> None:
            following = next((s for s in review.stages if s.position > after.position and s.status == "pending"),
                             None)
            if following is None:
                review.status = "approved"
                event("review approved")
                return
            following.status = "open"
            self.adopt_seats(following)

        def adopt_seats(self, stage: MStage) -> None:
            """The participants the engine made when it opened ``stage``: they must be its reviewers."""
            db_stage = db.session.get(ReviewStage, stage.id)
            seats = {p.id: p.email for p in db_stage.participants}
            assert set(seats.values()) == expected_emails[stage.position], seats
            stage.seats = {pid: {"live": True, "latest": None} for pid in seats}

        def evaluate(self, review: MReview, stage: MStage) -> None:
            if stage.status != "open":
                return
            if stage.asks_changes():
                event(f"changes requested at stage {stage.position}")
                stage.status = review.status = "changes_requested"
                for later in review.stages:
                    if later.status == "pending":
                        later.status = "cancelled"
            elif stage.rule_met():
                stage.status = "approved"
                self.open_next(review, stage)

        def commit(self) -> None:
            """Each example runs in one transaction, rolled back at its end (no fsync per step: fast).
            Expiring makes every check read what the database holds, not what the session remembers."""
            db.session.flush()
            db.session.expire_all()

        def expect(self, error, call):
            """Run ``call`` in a savepoint; it must raise exactly ``error`` (None: must succeed)."""
            try:
                with db.session.begin_nested():
                    result = call()
            except DomainError as exc:
                assert error is not None, f"unexpected refusal: {type(exc).__name__}: {exc.message}"
                assert type(exc) is error, f"expected {error.__name__}, got {type(exc).__name__}: {exc.message}"
                db.session.expire_all()
                return None
            assert error is None, f"expected {error.__name__}, but it was allowed"
            self.commit()
            return result

        def teardown(self):
            db.session.rollback()

        # -- rules -----------------------------------------------------------------------

        @initialize(internal=rule_strategy(), client=rule_strategy())
        def setup(self, internal, client):
            self.rules = {1: internal, 2: client}
            for stage in db.session.get(Workflow, flow_id).stages:
                stage.rule, stage.required = Rule(self.rules[stage.position][0]), self.rules[stage.position][1]
            self.asset_id = add_version(project).asset_id
            self.commit()
            self.send(1)

        @rule(start_at=st.sampled_from([1, 1, 1, 2]))
        def send(self, start_at):
            version = self.asset().current_version
            on_it = [r for r in self.open_reviews() if r.version_id == version.id]
            review = self.expect(Conflict if on_it or self.archived else None,
                                 lambda: engine.send_for_review(member, version, start_at=start_at))
            if review is None:
                return
            self.cancel_open()
            review = db.session.get(Review, review.id)
            stages = [MStage(s.id, s.position, self.rules[s.position][0], self.rules[s.position][1],
                             "approved" if s.position < start_at else "pending") for s in review.stages]
            model = MReview(review.id, version.id, "open", stages)
            self.reviews[review.id] = model
            first = next(s for s in stages if s.status == "pending")
            first.status = "open"
            self.adopt_seats(first)

        @rule(moves=st.lists(st.tuples(st.integers(0, 200), st.sampled_from(VERDICTS)), min_size=1, max_size=8))
        def decide(self, moves):
            """Reviewers of the open stage decide, one after another (every decision is checked)."""
            for pick, verdict in moves:
                self.decide_as(pick, verdict, anyone=False, stale=False)
                self.holds()

        @rule(pick=st.integers(0, 200), verdict=st.sampled_from(VERDICTS), stale=st.booleans())
        def decide_as_anyone(self, pick, verdict, stale):
            """Any participant ever seated (removed ones, closed stages, older reviews), maybe on another version."""
            self.decide_as(pick, verdict, anyone=True, stale=stale)

        def decide_as(self, pick, verdict, *, anyone, stale):
            seats = self.all_seats()
            if not anyone:
                seats = [p for p in seats if p.removed_at is None and p.stage.status.value == "open"]
            if not seats:
                return
            participant = seats[pick % len(seats)]
            review, stage = self.model_of(participant)
            current = self.asset().current_version_id
            named = review.version_id
            if stale:  # the form names another version of the asset than the review's
                others = [r.version_id for r in self.reviews.values() if r.version_id != review.version_id]
                named = others[pick % len(others)] if others else named
            seat = stage.seats[participant.id]
            if self.archived:
                error = AssetArchived
            elif named != review.version_id or review.version_id != current or review.status == "cancelled":
                error = StaleVersion
            elif review.status != "open" or stage.status != "open":
                error = Conflict
            elif not seat["live"]:
                error = NotAllowed
            else:
                error = None
            who = engine.Identity(channel=Channel.VIEWER, identified_by="account", name=participant.name,
                                  email=participant.email, user=participant.user)
            event(f"decide: {error.__name__ if error else 'recorded'}")
            before = db.session.scalar(select(func.count(Decision.id)))
            self.expect(error, lambda: engine.decide(participant, named, verdict, "Because.", who))
            after = db.session.scalar(select(func.count(Decision.id)))
            assert after == before + (1 if error is None else 0)
            if error is None:
                seat["latest"] = verdict
                self.evaluate(review, stage)

        @rule(add=st.booleans(), pick=st.integers(0, 200))
        def change_reviewers(self, add, pick):
            """An admin removes a reviewer (anyone ever seated) or adds one to the open stage."""
            if add:
                self.add_reviewer()
            else:
                self.remove_reviewer(pick)

        def remove_reviewer(self, pick):
            seats = self.all_seats()
            if not seats:
                return
            participant = seats[pick % len(seats)]
            review, stage = self.model_of(participant)
            seat = stage.seats[participant.id]
            error = Conflict if (stage.status != "open" or review.status != "open" or not seat["live"]) else None
            self.expect(error, lambda: engine.remove_participant(owner, participant))
            if error is None:
                seat["live"] = False
                self.evaluate(review, stage)

        def add_reviewer(self):
            email = f"extra{next(self.extra)}@example.com"
            opened = self.open_reviews()
            if opened:
                review = opened[0]
                stage = next(s for s in review.stages if s.status == "open")
                error = None
            elif self.reviews:
                review = max(self.reviews.values(), key=lambda r: r.id)
                stage = review.stages[-1]
                error = Conflict
            else:
                return
            db_stage = db.session.get(ReviewStage, stage.id)
            if error is None and db_stage.internal:
                error = Invalid  # an outside address is never seated in a team-only stage
            added = self.expect(error, lambda: engine.add_participant(owner, db_stage, user=None, email=email,
                                                                      name="Extra"))
            if added is not None:
                stage.seats[added.id] = {"live": True, "latest": None}

        @rule()
        def upload_new_version(self):
            add_version(project, self.asset())
            self.commit()
            self.cancel_open()

        @rule(archived=st.booleans())
        def archive(self, archived):
            """A member archives the asset (its open review ends) or restores it (which reopens nothing)."""
            set_archived(member, self.asset(), archived)
            self.commit()
            event(f"{'archive' if archived else 'restore'}{' mid-review' if self.open_reviews() else ''}")
            if archived:
                self.cancel_open()
            self.archived = archived

        @precondition(lambda self: any(r.status == "approved" for r in self.reviews.values()))
        @rule(admin=st.sampled_from([True, True, False]), pick=st.integers(0, 50))
        def reopen(self, admin, pick):
            candidates = list(self.reviews.values())  # mostly an approved one; any review is tried
            approved = [r for r in candidates if r.status == "approved"]
            review = (approved if pick % 4 else candidates)[pick % len(approved if pick % 4 else candidates)]
            current = self.asset().current_version_id
            if not admin:
                error = NotAllowed
            elif review.status != "approved":
                error = Conflict
            elif review.version_id != current:
                error = StaleVersion
            elif self.archived or self.open_reviews():  # archived: "restore it first"
                error = Conflict
            else:
                error = None
            actor = owner if admin else member
            self.expect(error, lambda: engine.reopen(actor, db.session.get(Review, review.id)))
            event(f"reopen: {error.__name__ if error else 'reopened'}")
            if error is None:
                review.status = "open"
                review.stages[-1].status = "open"
                self.may_reopen.add(review.stages[-1].id)

        # -- invariants ------------------------------------------------------------------

        @invariant()
        def holds(self):
            if self.asset_id is None:
                return
            reviews = {r.id: r for r in db.session.scalars(select(Review).where(Review.asset_id == self.asset_id))}
            stages = db.session.scalars(select(ReviewStage).where(ReviewStage.review_id.in_(reviews))
                                        .order_by(ReviewStage.review_id, ReviewStage.position)).all()
            seats = db.session.execute(select(Participant.id, Participant.stage_id, Participant.removed_at)
                                       .where(Participant.stage_id.in_([s.id for s in stages]))).all()

            # At most one open review per asset, and none while it is archived.
            open_count = sum(1 for r in reviews.values() if r.status.value == "open")
            assert open_count <= (0 if self.asset().archived else 1)
            assert self.asset().archived == self.archived

            # Decisions are never edited or deleted: rows only grow, old rows stay as they were.
            rows = db.session.scalars(select(Decision).where(Decision.asset_id == self.asset_id)).all()
            now = {d.id: (d.version_id, d.participant_id, d.stage_id, d.verdict, d.note, d.binding, d.file_sha256,
                          d.created_at, d.reviewer_email) for d in rows}
            for decision_id, snapshot in self.decisions.items():
                assert now.get(decision_id) == snapshot, f"decision {decision_id} changed or vanished"
            self.decisions = now

            # The stored status is the derived one.
            asset = self.asset()
            assert asset.status == status.derive(asset)

            # Reviews and stages are where the model says (rules close stages exactly when they should);
            # approved reviews, and only they, are locked.
            assert set(reviews) == set(self.reviews)
            for review in reviews.values():
                model = self.reviews[review.id]
                assert review.status.value == model.status, (model, review.status)
                assert review.locked == (model.status == "approved")
            model_stages = {s.id: s for m in self.reviews.values() for s in m.stages}
            for stage in stages:
                assert stage.status.value == model_stages[stage.id].status, (stage.review_id, stage.position,
                                                                            stage.status, model_stages[stage.id])
            for participant_id, stage_id, removed_at in seats:
                assert (removed_at is None) == model_stages[stage_id].seats[participant_id]["live"]

            # A closed stage never changes again, except that an admin's reopen opens it.
            for stage in stages:
                before, after = self.seen.get(stage.id), stage.status.value
                if before in CLOSED and after != before:
                    assert after == "open" and stage.id in self.may_reopen, \
                        f"stage {stage.id} went from {before} to {after} without an admin's reopen"
                self.seen[stage.id] = after
            self.may_reopen.clear()

    run_state_machine_as_test(ReviewMachine, settings=settings(
        max_examples=50, stateful_step_count=12, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
