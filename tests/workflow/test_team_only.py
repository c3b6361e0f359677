"""A team-only ("internal") stage takes the team only (SECURITY D3): the workflow page refuses clients and outside
addresses there, and the review engine never seats them, whatever an older workflow says."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from revue.db import db
from revue.review import engine, workflows
from revue.review.models import Participant, StageReviewer, Workflow

from .conftest import text_of


@pytest.fixture
def flow(owner, member, project, set_workflow):
    """The project's workflow: a team-only "Internal" stage (Mia), then "Client"."""
    return set_workflow(project, owner, [("Internal", "any", 1, [member], True), ("Client", "all", 1, ["contacts"])])


def reviewers_of(project, position: int) -> list[StageReviewer]:
    workflow = db.session.scalar(select(Workflow).where(Workflow.project_id == project.id))
    found = list(workflow.stages[position - 1].reviewers)
    db.session.commit()
    return found


def post(browser, project, **form):
    return browser.post(f"/review/projects/{project.id}/workflow", data=form, follow_redirects=True)


@pytest.mark.parametrize("who, email, refused", [
    ("contacts", "", "every contact of the client"),
    ("contact", "", "Cleo Client (a client contact)"),
    ("", "legal@acme.example", "legal@acme.example (no team account)"),
])
def test_the_workflow_page_refuses_clients_in_a_team_only_stage(who, email, refused, flow, project, contact,
                                                                 as_owner):
    who = f"user:{contact.id}" if who == "contact" else who
    page = post(as_owner, project, action="add_reviewer", stage="1", who=who, email=email)
    assert f"“Internal” is team only: clients never see it, so {refused} can't review there." in text_of(page)
    assert len(reviewers_of(project, 1)) == 1, "nothing was added"
    page = post(as_owner, project, action="add_reviewer", stage="2", who=who, email=email)
    assert "Workflow saved." in text_of(page) and len(reviewers_of(project, 2)) == 2, "a client stage takes them"


def test_a_team_member_named_by_address_is_welcome(flow, project, teammate, as_owner):
    page = post(as_owner, project, action="add_reviewer", stage="1", who="", email="THEO@example.com")
    assert "Workflow saved." in text_of(page)
    assert [r.email for r in reviewers_of(project, 1)][-1] == "theo@example.com"


def test_the_page_offers_no_client_for_a_team_only_stage(flow, project, contact, as_owner):
    page = as_owner.get(f"/review/projects/{project.id}/workflow").get_data(as_text=True)
    internal, client = page.split('id="who-', 2)[1:]
    assert "Every contact of" not in internal.split("</select>")[0] and "Cleo Client" not in internal.split("</select>")[0]
    assert "Every contact of" in client and "Cleo Client" in client


def test_a_stage_asking_clients_is_made_team_only_only_without_them(flow, project, as_owner):
    page = post(as_owner, project, action="team_only", stage="2", value="1")
    assert "“Client” asks every contact of the client, who can't see a team-only stage." in text_of(page)
    workflow = db.session.scalar(select(Workflow).where(Workflow.project_id == project.id))
    assert workflow.stages[1].internal is False
    db.session.commit()

    post(as_owner, project, action="remove_reviewer", stage="2", reviewer="0")
    assert "Workflow saved." in text_of(post(as_owner, project, action="team_only", stage="2", value="1"))
    assert "Workflow saved." in text_of(post(as_owner, project, action="team_only", stage="1", value="0"))
    workflow = db.session.scalar(select(Workflow).where(Workflow.project_id == project.id))
    assert [s.internal for s in workflow.stages] == [False, True]


def legacy_client_in_internal_stage(project):
    """What a workflow saved before the check may hold: every contact in the team-only stage."""
    workflow = db.session.scalar(select(Workflow).where(Workflow.project_id == project.id))
    workflow.stages[0].reviewers.append(StageReviewer(all_client_contacts=True))
    db.session.commit()


def test_old_workflows_are_not_saved_as_templates(flow, project, as_owner):
    legacy_client_in_internal_stage(project)
    page = post(as_owner, project, action="save_template", name="Leaky")
    assert "The “Internal” stage is team only but asks every contact of the client." in text_of(page)
    assert db.session.scalar(select(Workflow).where(Workflow.name == "Leaky")) is None
    page = as_owner.get(f"/review/projects/{project.id}/workflow")
    assert "Not asked: team-only stage" in text_of(page)


def test_the_engine_never_seats_a_client_in_a_team_only_stage(request_ctx, flow, project, member, contact, upload,
                                                              outbox):
    legacy_client_in_internal_stage(project)
    version = upload(member, project)
    review = engine.send_for_review(member, version)
    db.session.commit()
    assert [p.email for p in review.stages[0].participants] == [member.email]
    assert outbox(contact.email) == []


def test_a_team_only_stage_of_clients_alone_has_nobody_to_decide(request_ctx, owner, project, contact, member,
                                                                 set_workflow, upload):
    set_workflow(project, owner, [("Internal", "any", 1, [member], True)])
    workflow = db.session.scalar(select(Workflow).where(Workflow.project_id == project.id))
    workflow.stages[0].reviewers = [StageReviewer(user_id=contact.id), StageReviewer(email="x@outside.example")]
    db.session.commit()
    version = upload(member, project)
    with pytest.raises(engine.DomainError, match="has nobody who can decide"):
        engine.send_for_review(member, version)


def test_nobody_outside_the_team_is_added_to_an_open_team_only_stage(request_ctx, flow, project, member, contact,
                                                                     upload):
    version = upload(member, project)
    review = engine.send_for_review(member, version)
    db.session.commit()
    with pytest.raises(engine.Invalid, match="team only"):
        engine.add_participant(member, review.stages[0], user=contact, email=contact.email, name="")
    with pytest.raises(engine.Invalid, match="team only"):
        engine.add_participant(member, review.stages[0], user=None, email="x@outside.example", name="X")
    db.session.rollback()
    assert db.session.scalars(select(Participant.email)).all() == [member.email]


def test_workflows_refuse_clients_in_team_only_stages_in_code_too(app_ctx, owner, flow, contact):
    stage = flow.stages[0]
    with pytest.raises(engine.DomainError, match="team only"):
        workflows.add_reviewer(owner, stage, all_client_contacts=True)
    with pytest.raises(engine.DomainError, match="team only"):
        workflows.add_reviewer(owner, stage, user=contact)
