"""Choosing the review workflow when a project is made: the workspace templates in the form, the project's
own copy made in the same transaction, "Set up later", bad choices, and a copy that goes its own way."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from revue.activity import Activity
from revue.db import db
from revue.projects.models import Project
from revue.review import workflows
from revue.review.models import Rule, StageReviewer, Workflow, WorkflowStage


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def options(response) -> list[tuple[str, str, bool]]:
    """``(value, label, selected)`` of the form's "Review workflow" select."""
    select_html = re.search(r'<select[^>]* name="workflow"[^>]*>(.*?)</select>', text(response), re.S)
    assert select_html, "no workflow select in the form"
    return [(value, label.strip(), "selected" in attrs)
            for attrs, value, label in re.findall(r'<option([^>]*?value="([^"]*)"[^>]*)>([^<]*)</option>',
                                                  select_html.group(1))]


@pytest.fixture
def member(create_user):
    return create_user("member", name="Mia Member")


@pytest.fixture
def acme(create_client_row):
    return create_client_row("Acme")


@pytest.fixture
def make_template(app_ctx, owner):
    """``make_template(name, default=False)``: a workspace template with two stages and every kind of reviewer."""

    def make(name: str, *, default: bool = False, reviewer=None) -> Workflow:
        template = Workflow(name=name, is_default=default, restart_at_requesting_stage=True)
        db.session.add(template)
        db.session.flush()
        team = workflows.add_stage(owner, template, name="Team", rule=Rule.ANY, required=1, due_days=1,
                                   internal=True)
        workflows.add_reviewer(owner, team, all_project_members=True)
        if reviewer is not None:
            workflows.add_reviewer(owner, team, user=reviewer)
        client = workflows.add_stage(owner, template, name="Client", rule=Rule.N_OF, required=2, due_days=3,
                                     internal=False)
        workflows.add_reviewer(owner, client, all_client_contacts=True)
        workflows.add_reviewer(owner, client, email="Legal@Acme.example", name="Legal", decides=False)
        db.session.commit()
        return template

    return make


def shape(workflow: Workflow) -> list:
    """What a workflow asks for, without ids: stages, rules and reviewers."""
    return [(s.position, s.name, s.rule, s.required, s.due_days, s.internal,
             [(r.user_id, r.email, r.name, r.decides, r.all_client_contacts, r.all_project_members)
              for r in s.reviewers]) for s in workflow.stages]


def own_workflow(project_id: int) -> Workflow | None:
    db.session.expire_all()
    return db.session.scalar(select(Workflow).where(Workflow.project_id == project_id))


def create(client, acme, workflow, **extra):
    data = {"name": "Launch", "client_id": acme.id, "brief": "The **brief**", **extra}
    if workflow is not None:
        data["workflow"] = workflow
    return client.post("/projects/new", data=data)


def project_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Project.id)))


# -- the form --------------------------------------------------------------------------------


def test_the_form_lists_the_workspace_templates_with_the_default_chosen(client, login, member, acme,
                                                                        make_template):
    first = make_template("Print: studio, then client")
    default = make_template("Web: team, then client", default=True)
    login(client, member)
    form = client.get(f"/projects/new?client={acme.id}")
    assert form.status_code == 200
    assert "Review workflow" in text(form)
    assert options(form) == [(str(first.id), first.name, False), (str(default.id), default.name, True),
                             ("", "Set up later", False)]


def test_without_a_default_the_first_template_is_chosen(client, login, member, make_template, acme):
    first, second = make_template("Print"), make_template("Web")
    login(client, member)
    assert options(client.get("/projects/new")) == [(str(first.id), "Print", True), (str(second.id), "Web", False),
                                                    ("", "Set up later", False)]


def test_a_workspace_without_templates_offers_the_standard_one_and_the_form_writes_nothing(
        client, login, member, acme):
    login(client, member)
    form = client.get("/projects/new")
    assert options(form) == [("standard", "Standard: team, then client", True), ("", "Set up later", False)]
    assert db.session.scalar(select(func.count(Workflow.id))) == 0  # GET writes nothing


def test_the_edit_form_has_no_workflow_choice(client, login, owner, create_project, acme, make_template):
    make_template("Web", default=True)
    project = create_project(acme)
    login(client, owner)
    page = client.get(f"/projects/{project.id}/edit")
    assert page.status_code == 200 and 'name="workflow"' not in text(page)


# -- creating -------------------------------------------------------------------------------


def test_creating_with_a_template_gives_the_project_its_own_copy(client, login, member, acme, make_template,
                                                                  create_user):
    designer = create_user("member", name="Dee Designer")
    make_template("Print")
    chosen = make_template("Web: team, then client", default=True, reviewer=designer)
    login(client, member)
    response = create(client, acme, str(chosen.id))
    assert response.status_code == 303
    project = db.session.scalar(select(Project))
    assert response.headers["Location"] == f"/projects/{project.id}"

    copy = own_workflow(project.id)
    assert copy is not None and copy.id != chosen.id
    assert copy.name == "Web: team, then client" and copy.restart_at_requesting_stage is True
    assert shape(copy) == shape(db.session.get(Workflow, chosen.id))
    assert shape(copy)[0][6] == [(None, "", "", True, False, True), (designer.id, "", "", True, False, False)]
    assert shape(copy)[1][6] == [(None, "", "", True, True, False), (None, "legal@acme.example", "Legal", False,
                                                                     False, False)]
    [applied] = db.session.scalars(select(Activity).where(Activity.action == "workflow.applied")).all()
    assert (applied.actor_id, applied.project_id, applied.data["template"]) == (member.id, project.id, chosen.name)

    page = client.get(f"/review/projects/{project.id}/workflow")
    assert page.status_code == 200
    assert "follows the workspace's" not in text(page)  # the project's own copy, to adjust
    assert "Legal" in text(page) and "Dee Designer" in text(page)


def test_choosing_the_standard_template_saves_it_once_and_copies_it(client, login, member, acme):
    login(client, member)
    assert create(client, acme, "standard").status_code == 303
    assert create(client, acme, "standard", name="Second").status_code == 422  # now it has an id of its own
    [template] = db.session.scalars(select(Workflow).where(Workflow.project_id.is_(None))).all()
    assert template.name == "Standard: team, then client" and template.is_default
    project = db.session.scalar(select(Project))
    assert shape(own_workflow(project.id)) == shape(template)
    assert [s.name for s in own_workflow(project.id).stages] == ["Internal", "Client"]
    assert project_count() == 1


@pytest.mark.parametrize("workflow", ["", None])
def test_set_up_later_leaves_the_project_on_the_workspace_default(workflow, client, login, member, acme,
                                                                   make_template):
    default = make_template("Web", default=True)
    login(client, member)
    assert create(client, acme, workflow).status_code == 303
    project = db.session.scalar(select(Project))
    assert own_workflow(project.id) is None
    page = client.get(f"/review/projects/{project.id}/workflow")
    assert "This project follows the workspace's “Web” template." in text(page)
    assert db.session.scalar(select(Workflow.id)) == default.id  # the template, and no copy


@pytest.mark.parametrize("value", ["424242", "{other}", "abc", "standard", "-1"])
def test_a_template_that_is_not_offered_is_a_form_error_and_nothing_is_lost(value, client, login, member, acme,
                                                                            make_template, create_project):
    make_template("Web", default=True)
    other = create_project(acme, name="Other")
    other_copy = workflows.copy(make_template("Print"), project=other)  # a project's copy is no template
    db.session.commit()
    login(client, member)
    response = create(client, acme, value.format(other=other_copy.id), name="Spring launch",
                      due_date="2030-01-31", brief="Keep **this** brief")
    assert response.status_code == 422
    body = text(response)
    assert '<p class="error" id="workflow-error" role="alert">Choose one of the workspace\'s workflow templates, ' \
           'or “Set up later”.</p>' in body
    assert 'value="Spring launch"' in body and "Keep **this** brief" in body and 'value="2030-01-31"' in body
    assert project_count() == 1  # only "Other"
    assert db.session.scalar(select(func.count(Workflow.id)).where(Workflow.project_id.is_not(None))) == 1


def test_a_template_removed_while_the_form_was_open_is_a_form_error_and_rolls_back(
        client, login, member, acme, make_template, monkeypatch):
    from revue.projects import services

    gone = make_template("Gone")
    gone_id = gone.id
    db.session.delete(gone)
    db.session.commit()
    # The form offered it (the page was loaded before the template was removed).
    monkeypatch.setattr(services.WorkflowTemplates, "choices",
                        staticmethod(lambda: ([(str(gone_id), "Gone")], str(gone_id))))
    login(client, member)
    response = create(client, acme, str(gone_id))
    assert response.status_code == 422
    assert "That workflow template is not one of the workspace's templates any more. Choose another." in text(
        response)
    assert project_count() == 0
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Activity.id)).where(Activity.action == "project.created")) == 0


# -- the copy goes its own way -----------------------------------------------------------------


def test_the_projects_copy_and_the_template_change_independently(client, login, member, acme, make_template):
    template = make_template("Web", default=True)
    before = shape(template)
    login(client, member)
    create(client, acme, str(template.id))
    project = db.session.scalar(select(Project))

    # Adjust the project's copy on its workflow page: the template stays as it was.
    answer = client.post(f"/review/projects/{project.id}/workflow",
                         data={"action": "add_stage", "name": "Legal", "rule": "all", "required": "1",
                               "due_days": "2"})
    assert answer.status_code == 303
    answer = client.post(f"/review/projects/{project.id}/workflow",
                         data={"action": "remove_reviewer", "stage": "2", "reviewer": "1"})
    assert answer.status_code == 303
    db.session.expire_all()
    assert shape(db.session.get(Workflow, template.id)) == before
    copy = own_workflow(project.id)
    assert [s.name for s in copy.stages] == ["Team", "Client", "Legal"]
    assert len(copy.stages[1].reviewers) == 1

    # Change the template: the project's copy stays as the project left it.
    template = db.session.get(Workflow, template.id)
    workflows.add_stage(member, template, name="Print check", rule=Rule.ALL, required=1, due_days=1,
                        internal=True)
    template.stages[0].name = "Studio"
    db.session.commit()
    copy = own_workflow(project.id)
    assert [s.name for s in copy.stages] == ["Team", "Client", "Legal"]
    assert db.session.scalar(select(func.count(StageReviewer.id)).join(WorkflowStage).where(
        WorkflowStage.workflow_id == copy.id)) == 2
