"""Workflow templates (workspace level) and each project's own copy of one."""

from __future__ import annotations

from sqlalchemy import select

from .. import activity
from ..accounts.models import User
from ..db import db
from ..errors import DomainError, Invalid
from ..projects.models import Project
from ..projects.services import WorkflowTemplates
from .models import Rule, StageReviewer, Workflow, WorkflowStage

BUILT_IN = "standard"  # the new-project form's value for the standard template while it exists only here
STANDARD = ("Standard: team, then client", [
    ("Internal", Rule.ANY, 1, 1, True, [dict(all_project_members=True)]),
    ("Client", Rule.ALL, 1, 2, False, [dict(all_client_contacts=True)]),
])


def templates(*, create: bool = True) -> list[Workflow]:
    """The workspace templates; the standard one is made on first use (a transient copy when reading)."""
    found = list(db.session.scalars(select(Workflow).where(Workflow.project_id.is_(None)).order_by(Workflow.id)))
    if not found:
        found = [_standard_template(persist=create)]
    return found


def _standard_template(*, persist: bool = True) -> Workflow:
    name, stages = STANDARD
    workflow = Workflow(name=name, is_default=True)
    for position, (stage_name, rule, required, due_days, internal, reviewers) in enumerate(stages, start=1):
        stage = WorkflowStage(position=position, name=stage_name, rule=rule, required=required, due_days=due_days,
                              internal=internal)
        stage.reviewers = [StageReviewer(**r) for r in reviewers]
        workflow.stages.append(stage)
    if persist:
        db.session.add(workflow)
        db.session.flush()
    return workflow


def default_template(*, create: bool = True) -> Workflow:
    all_templates = templates(create=create)
    return next((w for w in all_templates if w.is_default), all_templates[0])


def copy(source: Workflow, *, project: Project | None = None, name: str | None = None) -> Workflow:
    if project is None:  # a workspace template: every project made from it would ask them in a team stage
        for stage in source.stages:
            if stage.internal and (who := _outsiders(stage)):
                raise DomainError(f"The “{stage.name}” stage is team only but asks {who}. Remove them from it "
                                  "before saving these stages as a template.")
    workflow = Workflow(name=name or source.name, project_id=project.id if project else None,
                        restart_at_requesting_stage=source.restart_at_requesting_stage)
    for stage in source.stages:
        twin = WorkflowStage(position=stage.position, name=stage.name, rule=stage.rule, required=stage.required,
                             due_days=stage.due_days, internal=stage.internal)
        twin.reviewers = [StageReviewer(user_id=r.user_id, email=r.email, name=r.name, decides=r.decides,
                                        all_client_contacts=r.all_client_contacts,
                                        all_project_members=r.all_project_members) for r in stage.reviewers]
        workflow.stages.append(twin)
    db.session.add(workflow)
    db.session.flush()
    return workflow


def for_project(project: Project) -> Workflow:
    """The project's workflow, copied from the default template the first time it is needed."""
    workflow = db.session.scalar(select(Workflow).where(Workflow.project_id == project.id))
    return workflow or copy(default_template(), project=project)


def shown_for(project: Project) -> tuple[Workflow, bool]:
    """What a read shows: the project's own workflow, or (unsaved) the default template; GET writes nothing."""
    workflow = db.session.scalar(select(Workflow).where(Workflow.project_id == project.id))
    return (workflow, True) if workflow is not None else (default_template(create=False), False)


def apply_template(actor: User, project: Project, template: Workflow) -> Workflow:
    current = db.session.scalar(select(Workflow).where(Workflow.project_id == project.id))
    if current is not None:
        db.session.delete(current)
        db.session.flush()
    workflow = copy(template, project=project)
    activity.record("workflow.applied", actor=actor, subject=project, project_id=project.id, template=template.name)
    return workflow


def template_choices() -> tuple[list[tuple[str, str]], str]:
    """The new-project form's workflow choices, ``(value, name)``, and the default one's value (GET writes nothing)."""
    def value(template: Workflow) -> str:
        return str(template.id) if template.id else BUILT_IN

    return [(value(t), t.name) for t in templates(create=False)], value(default_template(create=False))


def start_project(actor: User, project: Project, value: str) -> Workflow:
    """A new project's own copy of the workspace template a ``template_choices`` value names."""
    if value == BUILT_IN:  # offered while the workspace has no saved template: saved now
        saved = db.session.scalar(select(Workflow.id).where(Workflow.project_id.is_(None)).limit(1))
        template = None if saved else _standard_template()
    else:
        template = db.session.get(Workflow, int(value)) if value.isdigit() else None
    if template is None or template.project_id is not None:
        raise Invalid("That workflow template is not one of the workspace's templates any more. Choose another.")
    return apply_template(actor, project, template)


WorkflowTemplates.choices = staticmethod(template_choices)
WorkflowTemplates.apply = staticmethod(start_project)


def add_stage(actor: User, workflow: Workflow, *, name: str, rule: Rule, required: int, due_days: int,
              internal: bool) -> WorkflowStage:
    if not name.strip():
        raise DomainError("Name the stage.")
    if rule == Rule.N_OF and required < 1:
        raise DomainError("Say how many reviewers must approve.")
    stage = WorkflowStage(position=len(workflow.stages) + 1, name=name.strip(), rule=rule, required=max(required, 1),
                          due_days=max(due_days, 0), internal=internal)
    workflow.stages.append(stage)
    db.session.flush()
    activity.record("workflow.stage_added", actor=actor, subject=workflow, project_id=workflow.project_id,
                    stage=stage.name)
    return stage


def remove_stage(actor: User, workflow: Workflow, stage: WorkflowStage) -> None:
    if len(workflow.stages) == 1:
        raise DomainError("A workflow needs at least one stage.")
    workflow.stages.remove(stage)
    for position, each in enumerate(workflow.stages, start=1):
        each.position = position
    activity.record("workflow.stage_removed", actor=actor, subject=workflow, project_id=workflow.project_id,
                    stage=stage.name)


def add_reviewer(actor: User, stage: WorkflowStage, *, user: User | None = None, email: str = "", name: str = "",
                 all_client_contacts: bool = False, all_project_members: bool = False,
                 decides: bool = True) -> StageReviewer:
    if not (user or email or all_client_contacts or all_project_members):
        raise DomainError("Choose a person, or enter an email address.")
    reviewer = StageReviewer(user_id=user.id if user else None, user=user, email=email.strip().lower(),
                             name=name.strip(), all_client_contacts=all_client_contacts,
                             all_project_members=all_project_members, decides=decides)
    if stage.internal and (who := outside_team(reviewer)):
        raise DomainError(f"“{stage.name}” is team only: clients never see it, so {who} can't review there. "
                          "Add them to a stage clients can see.")
    stage.reviewers.append(reviewer)
    db.session.flush()
    activity.record("workflow.reviewer_added", actor=actor, subject=stage.workflow,
                    project_id=stage.workflow.project_id, stage=stage.name)
    return reviewer


def set_internal(actor: User, workflow: Workflow, stage: WorkflowStage, internal: bool) -> None:
    """Make a stage team only (clients never see it), or open it to clients."""
    if internal and (who := _outsiders(stage)):
        raise DomainError(f"“{stage.name}” asks {who}, who can't see a team-only stage. "
                          "Remove them from this stage first.")
    stage.internal = internal
    activity.record("workflow.stage_changed", actor=actor, subject=workflow, project_id=workflow.project_id,
                    stage=stage.name, internal=internal)


def outside_team(reviewer: StageReviewer) -> str | None:
    """Who ``reviewer`` names if it is not the team (every contact, a client contact, an outside address): they
    can't sit in a team-only stage. None for the project team and team members. The review engine skips such
    reviewers too (SECURITY D3)."""
    if reviewer.all_client_contacts:
        return "every contact of the client"
    if reviewer.all_project_members:
        return None
    user = reviewer.user or (db.session.scalar(select(User).where(User.email == reviewer.email))
                             if reviewer.email else None)
    if user is None:
        return f"{reviewer.name or reviewer.email} (no team account)"
    return None if user.is_agency else f"{user.name} (a client contact)"


def _outsiders(stage: WorkflowStage) -> str:
    return ", ".join(who for reviewer in stage.reviewers if (who := outside_team(reviewer)))
