"""The board column of an asset follows its current version (review/status.py).

A new version uploaded after changes were asked for is a draft until it is sent: the changes were made (the
revision cycle time ends at that upload) and what the team owes now is sending it — the Draft column's job.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from revue.assets.models import AssetStatus
from revue.assets.services import delete_version
from revue.db import db
from revue.review import engine, status
from revue.review.models import Channel, Participant, ReviewStage, StageStatus, Verdict

ANN = "ann@reviewers.example"


@pytest.fixture
def asked_for_changes(request_ctx, owner, member, project, set_workflow, upload):
    """v1 sent to Ann, who asks for changes; returns v1."""
    set_workflow(project, owner, [("Client", "all", 1, [ANN])])
    v1 = upload(member, project)
    review = engine.send_for_review(member, v1)
    db.session.commit()
    seat = db.session.scalar(select(Participant).join(ReviewStage, ReviewStage.id == Participant.stage_id)
                             .where(Participant.email == ANN, ReviewStage.status == StageStatus.OPEN))
    who = engine.Identity(channel=Channel.EMAIL_LINK, identified_by="email_link", name="Ann", email=ANN)
    engine.decide(seat, review.version_id, Verdict.CHANGES_REQUESTED, "Bigger logo.", who)
    db.session.commit()
    return v1


def column(version) -> AssetStatus:
    db.session.expire_all()
    asset = version.asset
    assert asset.status == status.derive(asset), "the stored status is the derived one"
    return asset.status


def test_a_new_version_after_changes_is_a_draft_until_it_is_sent(asked_for_changes, member, project, upload):
    v1 = asked_for_changes
    assert column(v1) == AssetStatus.CHANGES_REQUESTED
    v2 = upload(member, project, asset=v1.asset)
    assert column(v2) == AssetStatus.DRAFT
    engine.send_for_review(member, v2)
    db.session.commit()
    assert column(v2) == AssetStatus.IN_REVIEW


def test_deleting_the_new_version_brings_the_request_for_changes_back(asked_for_changes, member, project, upload):
    v1 = asked_for_changes
    v2 = upload(member, project, asset=v1.asset)
    delete_version(member, v2)
    db.session.commit()
    assert column(v1) == AssetStatus.CHANGES_REQUESTED


def test_the_board_shows_the_new_version_in_the_draft_column(asked_for_changes, member, project, upload, make_client,
                                                            login):
    v2 = upload(member, project, asset=asked_for_changes.asset)
    browser = make_client()
    login(browser, member)
    board = browser.get(f"/board/projects/{project.id}").get_data(as_text=True)
    draft = board.split('class="board-col col-draft"', 1)[1].split('class="board-col ', 1)[0]
    assert v2.asset.title in draft and ">v2<" in draft
