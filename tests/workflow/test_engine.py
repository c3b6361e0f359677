"""The stage state machine, case by case: rules, decision changes, removal and addition of reviewers,
new versions mid-review, reopen, where a new round starts, and one decision per submitted form."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from revue.activity import Activity
from revue.assets.models import AssetStatus
from revue.db import db
from revue.errors import Conflict, DomainError, NotAllowed
from revue.review import engine, services, status
from revue.review.engine import StaleVersion
from revue.review.models import (
    ActionToken,
    Channel,
    Decision,
    Participant,
    Review,
    ReviewStatus,
    StageStatus,
    Verdict,
)
from revue.review.workflows import for_project

A, B, C = "ann@reviewers.example", "bob@reviewers.example", "cat@reviewers.example"


@pytest.fixture
def start(request_ctx, owner, member, project, set_workflow, upload):
    """``start(stages)``: the project's workflow, v1 uploaded and sent; returns ``(version, review)``."""

    def go(stages, *, send: bool = True):
        set_workflow(project, owner, stages)
        version = upload(member, project)
        review = engine.send_for_review(member, version) if send else None
        db.session.commit()
        return version, review

    return go


def seat(review, email: str) -> Participant:
    """``email``'s seat in the review's open stage."""
    db.session.refresh(review)
    stage = next(s for s in review.stages if s.status == StageStatus.OPEN)
    return next(p for p in stage.participants if p.email == email)


def decide(participant, verdict: Verdict, *, note: str = "Noted.", version_id: int | None = None,
           request_key: str | None = None) -> Decision:
    who = engine.Identity(channel=Channel.EMAIL_LINK, identified_by="email_link", name=participant.display_name,
                          email=participant.email, ip="203.0.113.9", user_agent="pytest")
    made = engine.decide(participant, version_id or participant.stage.review.version_id, Verdict(verdict), note, who,
                         request_key=request_key)
    db.session.commit()
    return made


def stage_states(review) -> list[str]:
    db.session.refresh(review)
    return [s.status.value for s in review.stages]


def asset_status(version) -> AssetStatus:
    db.session.expire_all()
    asset = version.asset
    assert asset.status == status.derive(asset)
    return asset.status


def one_stage(rule: str, required: int = 1, people=(A, B, C)):
    return [("Client", rule, required, list(people))]


# -- rules --------------------------------------------------------------------------------------


def test_all_closes_when_every_reviewer_has_approved(start):
    version, review = start(one_stage("all"))
    decide(seat(review, A), "approved")
    decide(seat(review, B), "approved_with_changes", note="Fix the comma in the final file.")
    assert stage_states(review) == ["open"] and asset_status(version) == AssetStatus.IN_REVIEW
    decide(seat(review, C), "approved")
    assert stage_states(review) == ["approved"]
    assert review.status == ReviewStatus.APPROVED and review.locked
    assert asset_status(version) == AssetStatus.APPROVED


def test_any_closes_on_the_first_approval(start):
    version, review = start(one_stage("any"))
    decide(seat(review, B), "approved")
    assert stage_states(review) == ["approved"] and review.status == ReviewStatus.APPROVED
    assert asset_status(version) == AssetStatus.APPROVED


@pytest.mark.parametrize("required, approvals_needed", [(1, 1), (2, 2), (3, 3), (5, 3)])
def test_n_of_closes_at_the_nth_approval(start, required, approvals_needed):
    version, review = start(one_stage("n_of", required))
    for n, email in enumerate((A, B, C), start=1):
        decide(seat(review, email), "approved")
        if n < approvals_needed:
            assert stage_states(review) == ["open"], n
        else:
            assert stage_states(review) == ["approved"], n
            break
    assert asset_status(version) == AssetStatus.APPROVED


@pytest.mark.parametrize("verdict", ["changes_requested", "rejected"])
@pytest.mark.parametrize("rule", ["all", "any", "n_of"])
def test_one_request_for_changes_closes_stage_and_review(start, rule, verdict):
    version, review = start(one_stage(rule, 2))
    if rule != "any":  # under "any" that approval would have closed the stage already
        decide(seat(review, A), "approved")
    decide(seat(review, B), verdict, note="The logo is too small.")
    assert stage_states(review) == ["changes_requested"]
    assert review.status == ReviewStatus.CHANGES_REQUESTED and not review.locked
    assert asset_status(version) == AssetStatus.CHANGES_REQUESTED
    with pytest.raises(Conflict, match="closed"):
        decide(seat_any(review, C), "approved")


def seat_any(review, email: str) -> Participant:
    db.session.refresh(review)
    return next(p for s in review.stages for p in s.participants if p.email == email)


def test_stages_open_one_after_another(start, member, teammate, contact, outbox):
    version, review = start([("Internal", "any", 1, ["team"], True), ("Client", "all", 1, ["contacts"])])
    assert stage_states(review) == ["open", "pending"]
    assert review.stages[1].participants == []
    assert not outbox(contact.email), "the client hears nothing before their stage opens"
    assert {p.email for p in review.stages[0].participants} == {member.email, teammate.email}
    decide(seat(review, teammate.email), "approved")
    assert stage_states(review) == ["approved", "open"]
    assert [p.email for p in review.stages[1].participants] == [contact.email]
    assert [m.kind for m in outbox(contact.email)] == ["review_request"]
    assert asset_status(version) == AssetStatus.IN_REVIEW
    decide(seat(review, contact.email), "approved")
    assert stage_states(review) == ["approved", "approved"] and review.status == ReviewStatus.APPROVED


def test_changes_in_the_first_stage_cancel_the_later_ones(start, teammate, contact):
    version, review = start([("Internal", "any", 1, ["team"], True), ("Client", "all", 1, ["contacts"])])
    decide(seat(review, teammate.email), "changes_requested", note="Wrong colour.")
    assert stage_states(review) == ["changes_requested", "cancelled"]
    assert asset_status(version) == AssetStatus.CHANGES_REQUESTED


# -- decision changes ---------------------------------------------------------------------------


def test_a_decision_change_adds_a_row_and_the_latest_counts(start):
    version, review = start(one_stage("all", people=(A, B)))
    first = decide(seat(review, A), "approved")
    snapshot = (first.id, first.verdict, first.note, first.created_at)
    second = decide(seat(review, A), "approved_with_changes", note="Swap the photo in the final file.")
    rows = db.session.scalars(select(Decision).where(Decision.participant_id == first.participant_id)
                              .order_by(Decision.id)).all()
    assert [(d.id, d.verdict, d.note, d.created_at) for d in rows][0] == snapshot
    assert [d.id for d in rows] == [first.id, second.id]
    assert engine.latest_verdicts(seat(review, A).stage) == {first.participant_id: Verdict.APPROVED_WITH_CHANGES}
    actions = db.session.scalars(select(Activity.action).where(Activity.action.like("decision.%"))
                                 .order_by(Activity.id)).all()
    assert actions == ["decision.made", "decision.changed"]
    decide(seat(review, A), "changes_requested", note="On second thought: no.")
    assert stage_states(review) == ["changes_requested"]
    assert asset_status(version) == AssetStatus.CHANGES_REQUESTED


def test_notes_are_required_where_they_carry_the_request(start):
    _version, review = start(one_stage("all"))
    with pytest.raises(DomainError, match="Say what should change"):
        decide(seat(review, A), "changes_requested", note="  ")
    with pytest.raises(DomainError, match="changes to make"):
        decide(seat(review, A), "approved_with_changes", note="")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Decision.id))) == 0


def test_a_pinned_comment_can_stand_for_the_note(start, contact, set_workflow):
    from revue.comments.services import add_comment

    version, review = start([("Client", "all", 1, [contact])])
    add_comment(version, contact, "The logo is too small", anchor={"type": "pin", "x": 0.5, "y": 0.5})
    db.session.commit()
    decide(seat(review, contact.email), "changes_requested", note="")
    assert stage_states(review) == ["changes_requested"]


def test_a_reviewer_asked_for_comments_cannot_decide(start, owner, project, set_workflow):
    _version, review = start(one_stage("all", people=(A,)))
    stage = review.stages[0]
    quiet = engine.add_participant(owner, stage, user=None, email="quiet@reviewers.example", name="Q",
                                   decides=False)
    db.session.commit()
    with pytest.raises(NotAllowed):
        decide(quiet, "approved")
    db.session.rollback()
    decide(seat(review, A), "approved")  # the comment-only seat does not hold the stage up
    assert stage_states(review) == ["approved"]


# -- reviewers removed and added mid-review -------------------------------------------------------


def test_removing_the_last_undecided_reviewer_lets_the_stage_approve(start, owner):
    version, review = start(one_stage("all"))
    decide(seat(review, A), "approved")
    decide(seat(review, B), "approved")
    gone = seat(review, C)
    engine.issue_token(gone)
    engine.remove_participant(owner, gone)
    db.session.commit()
    assert stage_states(review) == ["approved"] and asset_status(version) == AssetStatus.APPROVED
    assert all(t.expires_at <= engine.utcnow() for t in db.session.scalars(
        select(ActionToken).where(ActionToken.participant_id == gone.id)))


def test_a_removed_reviewer_cannot_decide_and_their_verdict_stops_counting(start, owner):
    _version, review = start(one_stage("n_of", 2))
    a = seat(review, A)
    decide(a, "approved")
    engine.remove_participant(owner, a)
    db.session.commit()
    with pytest.raises(NotAllowed):
        decide(a, "approved")
    db.session.rollback()
    decide(seat(review, B), "approved")
    assert stage_states(review) == ["open"], "A's approval left with A"
    decide(seat(review, C), "approved")
    assert stage_states(review) == ["approved"]


def test_removing_twice_or_from_a_closed_stage_is_refused(start, owner):
    _version, review = start(one_stage("any", people=(A, B)))
    b = seat(review, B)
    engine.remove_participant(owner, b)
    db.session.commit()
    with pytest.raises(Conflict):
        engine.remove_participant(owner, b)
    db.session.rollback()
    a = seat(review, A)
    decide(a, "approved")
    with pytest.raises(Conflict):
        engine.remove_participant(owner, a)


def test_removing_everyone_leaves_the_stage_open_not_approved(start, owner):
    version, review = start(one_stage("all", people=(A,)))
    engine.remove_participant(owner, seat(review, A))
    db.session.commit()
    assert stage_states(review) == ["open"] and asset_status(version) == AssetStatus.IN_REVIEW


def test_a_reviewer_added_to_an_all_stage_must_approve_too(start, owner, outbox):
    _version, review = start(one_stage("all", people=(A,)))
    stage = review.stages[0]
    late = engine.add_participant(owner, stage, user=None, email="Dee@Reviewers.example", name="Dee")
    db.session.commit()
    assert late.email == "dee@reviewers.example"
    assert [m.kind for m in outbox(late.email)] == ["review_request"]
    with pytest.raises(Conflict, match="already a reviewer"):
        engine.add_participant(owner, stage, user=None, email="dee@reviewers.example", name="Dee")
    db.session.rollback()
    decide(seat(review, A), "approved")
    assert stage_states(review) == ["open"]
    decide(seat(review, "dee@reviewers.example"), "approved")
    assert stage_states(review) == ["approved"]
    with pytest.raises(Conflict):
        engine.add_participant(owner, review.stages[0], user=None, email="eve@reviewers.example", name="Eve")


# -- new versions mid-review ----------------------------------------------------------------------


def test_a_new_version_mid_review_cancels_the_round(start, member, contact, project, upload):
    version, review = start([("Internal", "any", 1, ["team"], True), ("Client", "all", 1, ["contacts"])])
    old_seat = seat(review, member.email)
    v2 = upload(member, project, asset=version.asset)
    assert stage_states(review) == ["cancelled", "cancelled"] and review.status == ReviewStatus.CANCELLED
    assert asset_status(version) == AssetStatus.DRAFT, "v2 is not sent yet"
    with pytest.raises(StaleVersion, match="older version"):
        decide(old_seat, "approved")
    db.session.rollback()
    with pytest.raises(StaleVersion):
        decide(old_seat, "approved", version_id=v2.id)
    db.session.rollback()
    second = engine.send_for_review(member, v2)
    db.session.commit()
    assert second.version_id == v2.id and asset_status(version) == AssetStatus.IN_REVIEW
    with pytest.raises(StaleVersion):
        engine.send_for_review(member, db.session.get(type(version), version.id))


def test_after_changes_a_new_unsent_version_is_a_draft(start, member, project, upload):
    """The requested changes are made; sending the new version is what the team owes (see test_status.py)."""
    version, review = start(one_stage("all", people=(A,)))
    decide(seat(review, A), "changes_requested", note="Bigger.")
    assert asset_status(version) == AssetStatus.CHANGES_REQUESTED
    upload(member, project, asset=version.asset)
    assert asset_status(version) == AssetStatus.DRAFT


def test_a_decision_naming_another_version_is_stale(start, member, project, upload):
    version, review = start(one_stage("all", people=(A,)))
    with pytest.raises(StaleVersion):
        decide(seat(review, A), "approved", version_id=version.id + 1000)


# -- sending ---------------------------------------------------------------------------------------


def test_sending_twice_and_bad_starts_are_refused(start, member):
    version, _review = start(one_stage("all", people=(A,)), send=False)
    for start_at in (0, 2):
        with pytest.raises(DomainError, match=f"no stage {start_at}"):
            engine.send_for_review(member, version, start_at=start_at)
        db.session.rollback()
    engine.send_for_review(member, version)
    db.session.commit()
    with pytest.raises(Conflict, match="already in review"):
        engine.send_for_review(member, version)


def test_a_stage_nobody_can_decide_is_refused(start, member, project, set_workflow, upload, owner):
    set_workflow(project, owner, [("Client", "all", 1, ["contacts"])])  # the client has no contacts
    version = upload(member, project)
    with pytest.raises(DomainError, match="nobody who can decide"):
        engine.send_for_review(member, version)


def test_a_round_can_start_at_the_stage_that_asked_for_changes(start, member, teammate, contact, project, upload):
    version, review = start([("Internal", "any", 1, ["team"], True), ("Client", "all", 1, ["contacts"])])
    flow = for_project(project)
    flow.restart_at_requesting_stage = True
    db.session.commit()
    decide(seat(review, member.email), "approved")
    decide(seat(review, contact.email), "changes_requested", note="Bigger logo.")
    v2 = upload(member, project, asset=version.asset)
    assert engine.restart_stage(v2) == 2
    second = engine.send_for_review(member, v2, start_at=engine.restart_stage(v2))
    db.session.commit()
    assert stage_states(second) == ["approved", "open"]
    assert second.stages[0].participants == []


# -- reopen ----------------------------------------------------------------------------------------


def test_an_admin_reopens_an_approved_review(start, owner, member):
    version, review = start(one_stage("any", people=(A, B)))
    decide(seat(review, A), "approved")
    with pytest.raises(NotAllowed):
        engine.reopen(member, review)
    db.session.rollback()
    engine.reopen(owner, review)
    db.session.commit()
    assert review.status == ReviewStatus.OPEN and not review.locked and stage_states(review) == ["open"]
    assert asset_status(version) == AssetStatus.IN_REVIEW
    decide(seat(review, B), "changes_requested", note="Legal found a typo.")
    assert stage_states(review) == ["changes_requested"]
    assert asset_status(version) == AssetStatus.CHANGES_REQUESTED
    with pytest.raises(Conflict, match="Only an approved review"):
        engine.reopen(owner, review)


def test_an_older_versions_approval_cannot_be_reopened(start, owner, member, project, upload):
    version, review = start(one_stage("any", people=(A,)))
    decide(seat(review, A), "approved")
    v2 = upload(member, project, asset=version.asset)
    engine.send_for_review(member, v2)
    db.session.commit()
    with pytest.raises(StaleVersion):
        engine.reopen(owner, review)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Review.id)).where(Review.status == ReviewStatus.OPEN)) == 1


def test_a_resent_approved_version_cannot_be_reopened_beside_its_new_round(start, owner, member):
    version, review = start(one_stage("any", people=(A,)))
    decide(seat(review, A), "approved")
    engine.send_for_review(member, version)
    db.session.commit()
    with pytest.raises(Conflict, match="in review already"):
        engine.reopen(owner, review)


# -- approvals recorded by the team ----------------------------------------------------------------


def test_a_recorded_approval_ends_the_open_round(start, member):
    version, review = start(one_stage("all", people=(A, B)))
    a = seat(review, A)
    services.record_approval(member, version, "Approved on the phone by Ann")
    db.session.commit()
    assert review.status == ReviewStatus.CANCELLED
    assert asset_status(version) == AssetStatus.APPROVED
    with pytest.raises(StaleVersion):
        decide(a, "changes_requested", note="Too late")


# -- one decision per submitted form (E6, E4) --------------------------------------------------------


def test_the_same_form_twice_makes_one_decision(start):
    _version, review = start(one_stage("all", people=(A, B)))
    a = seat(review, A)
    first = decide(a, "approved", request_key="k" * 32 + "-approved")
    again = decide(a, "approved", request_key="k" * 32 + "-approved")
    assert again.id == first.id
    assert db.session.scalar(select(func.count(Decision.id))) == 1


def test_another_reviewers_form_key_decides_nothing(start):
    _version, review = start(one_stage("all", people=(A, B)))
    decide(seat(review, A), "approved", request_key="a" * 32 + "-approved")
    with pytest.raises(Conflict, match="already used"):
        decide(seat(review, B), "changes_requested", note="No", request_key="a" * 32 + "-approved")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Decision.id))) == 1


def test_deleting_the_version_under_review_ends_its_round(start, member, project, upload):
    from revue.assets.services import delete_version, restore_version

    version, _first = start(one_stage("all", people=(A,)))
    v2 = upload(member, project, asset=version.asset)
    second = engine.send_for_review(member, v2)
    db.session.commit()
    a = seat(second, A)
    delete_version(member, v2)  # v1 is current again
    db.session.commit()
    assert second.status == ReviewStatus.CANCELLED and stage_states(second) == ["cancelled"]
    assert asset_status(version) == AssetStatus.DRAFT
    with pytest.raises(StaleVersion):
        decide(a, "approved")
    db.session.rollback()
    third = engine.send_for_review(member, db.session.get(type(version), version.id))
    db.session.commit()
    restore_version(member, db.session.get(type(version), v2.id))  # v2 is current again: v1's round ends
    db.session.commit()
    assert third.status == ReviewStatus.CANCELLED
    assert db.session.scalar(select(func.count(Review.id)).where(Review.status == ReviewStatus.OPEN)) == 0
