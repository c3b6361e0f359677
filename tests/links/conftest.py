"""Two separate client worlds for the review-link and access tests.

``two_worlds`` builds, for client A and client B (one agency, one install):

* a project with one member (on that project only) and one client contact;
* "Shared" and "Sibling" assets whose v1 was sent for review to the client stage
  (``engine.send_for_review(..., start_at=2)``: the contact is a reviewer, so it is shared);
* an "Internal" asset whose v1 is in the internal stage only (clients must not see it yet);
* a "Draft" asset that was never sent;
* comments on Shared v1: by the member, an internal one, by the contact, by a guest;
* a review link for the whole project (comment, decide, download) and one for the Shared
  asset only (view only), each with a guest who gave a name and an email;
* an invitation, an upload in progress and outbox messages, so every kind of id the URL map
  names exists in both worlds.

Everything is real rows made through the services, and real (tiny) PNG files processed by the
rendition pipeline, so "allowed" answers 200 and "denied" can't hide behind a missing file.
``principals`` gives a logged-in (or landed) test client per person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from revue.db import db

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    letter: str
    ids: dict = field(default_factory=dict)  # arg name -> id (the "main" object of each kind)
    objects: dict = field(default_factory=dict)  # key -> id, e.g. asset_shared, version_draft
    tokens: dict = field(default_factory=dict)  # link key -> raw token
    emails: dict = field(default_factory=dict)  # person key -> email
    guest_names: dict = field(default_factory=dict)  # guest key -> the name they gave
    markers: list = field(default_factory=list)  # texts that only this world's people may ever see
    internal_markers: list = field(default_factory=list)  # texts only the agency may see
    template: object = None  # the processed version whose stored files the assets share


@pytest.fixture(scope="session")
def png_path(tmp_path_factory):
    from assets import mediafiles  # tests/assets/mediafiles.py

    folder = tmp_path_factory.mktemp("links-media")
    return mediafiles.image_file(folder / "art.png", "PNG", (320, 200))


def real_version(user, project, path, title):
    """An asset with v1 uploaded through the service and processed by the real rendition pipeline."""
    from review import factories

    from revue.assets.models import Asset, AssetVersion

    version_id = factories.upload(user, project, path, "art.png")
    version = db.session.get(AssetVersion, version_id)
    asset = db.session.get(Asset, version.asset_id)
    asset.title = title
    db.session.commit()
    return asset, version


def cloned_version(user, project, template, title, *, asset=None):
    """Another processed version (a new asset, or the next version of ``asset``) whose original and
    renditions are the stored files of ``template`` (the pipeline runs once per world, not per asset)."""
    from revue.assets.models import Asset, AssetVersion, Rendition, VersionState
    from revue.assets.services import version_added

    if asset is None:
        asset = Asset(project_id=project.id, title=title, created_by_id=user.id)
        db.session.add(asset)
        db.session.flush()
    number = len(asset.versions) + 1
    version = AssetVersion(asset_id=asset.id, number=number, original_name=template.original_name,
                           storage_key=template.storage_key, size=template.size, sha256=template.sha256,
                           mime=template.mime, kind=template.kind, meta=dict(template.meta or {}),
                           state=VersionState.READY, uploaded_by_id=user.id, processed_at=template.processed_at)
    db.session.add(version)
    db.session.flush()
    for r in template.renditions:
        db.session.add(Rendition(version_id=version.id, name=r.name, storage_key=r.storage_key, mime=r.mime,
                                 size=r.size, width=r.width, height=r.height))
    asset.current_version_id = version.id
    db.session.flush()
    if number > 1:
        version_added.send(asset, version=version)
    db.session.commit()
    db.session.refresh(asset)
    return asset, version


def build_world(letter: str, owner, create_user, create_client_row, create_project, png_path,
                template=None) -> World:
    """One client's world (see the module docstring). ``template``: a processed version whose stored
    files the assets reuse; without it, the first asset is uploaded through the real pipeline."""
    from revue.accounts import services as accounts
    from revue.accounts.models import Role
    from revue.assets import uploads
    from revue.comments import services as comments
    from revue.links import services as links
    from revue.mail import OutboxMessage
    from revue.principal import Guest
    from revue.review import engine, workflows
    from revue.review.models import Participant, ReviewStage, StageStatus

    x = letter.lower()
    name = {"a": "Alpha", "b": "Bravo"}[x]
    world = World(letter=letter)
    client = create_client_row(f"{name} Foods")
    member = create_user("member", name=f"{name} Member", email=f"member.{x}@agency.example")
    contact = create_user("client", name=f"{name} Contact", email=f"contact.{x}@client-{x}.example", client=client)
    project = create_project(client, name=f"{name} Campaign", members=[member])
    flow = workflows.for_project(project)
    flow.stages[0].name = f"{name} studio check"
    flow.stages[1].name = f"{name} client round"
    db.session.commit()

    if template is None:
        shared, shared_v = real_version(member, project, png_path, f"{name} Hero Banner")
    else:
        shared, shared_v = cloned_version(member, project, template, f"{name} Hero Banner")
    world.template = shared_v
    sibling, sibling_v = cloned_version(member, project, shared_v, f"{name} Sibling Poster")
    internal, internal_v = cloned_version(member, project, shared_v, f"{name} Unreleased Teaser")
    draft, draft_v = cloned_version(member, project, shared_v, f"{name} Secret Draft")
    review = engine.send_for_review(owner, shared_v, start_at=2)
    engine.send_for_review(owner, sibling_v, start_at=2)
    engine.send_for_review(owner, internal_v, start_at=1)
    db.session.commit()

    project_link, project_raw = links.create_link(owner, project, label=f"{name} whole project",
                                                  can_comment=True, can_decide=True, can_download=True)
    asset_link, asset_raw = links.create_link(owner, project, label=f"{name} one asset", asset_ids=[shared.id],
                                              can_comment=False, can_decide=False, can_download=False)
    db.session.commit()

    guest_name, guest_email = f"{name} Guestperson", f"guest.{x}@guests.example"
    c_member = comments.add_comment(shared_v, member, f"{name} member note")
    c_internal = comments.add_comment(shared_v, member, f"{name} internal secret", internal=True)
    c_contact = comments.add_comment(shared_v, contact, f"{name} contact note")
    c_guest = comments.add_comment(shared_v, Guest(name=guest_name, email=guest_email, link_id=project_link.id,
                                                   can_comment=True), f"{name} guest note")
    invitation = accounts.invite(owner, f"new.{x}@client-{x}.example", Role.CLIENT, client=client)
    upload = uploads.start(member, project, f"{x}-pending.png", 1000)
    db.session.commit()

    client_stage = db.session.scalar(select(ReviewStage).where(ReviewStage.review_id == review.id,
                                                              ReviewStage.status == StageStatus.OPEN))
    participant = db.session.scalar(select(Participant).where(Participant.stage_id == client_stage.id,
                                                             Participant.email == contact.email))
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addr == contact.email)
                                .order_by(OutboxMessage.id))
    assert participant is not None and message is not None

    world.ids = {
        "project_id": project.id, "asset_id": shared.id, "version_id": shared_v.id, "comment_id": c_member.id,
        "client_id": client.id, "user_id": contact.id, "participant_id": participant.id, "review_id": review.id,
        "link_id": project_link.id, "invitation_id": invitation.id, "upload_id": upload.id,
        "message_id": message.id,
    }
    world.objects = {
        "project": project.id, "client": client.id, "member": member.id, "contact": contact.id,
        "asset_shared": shared.id, "asset_sibling": sibling.id, "asset_internal": internal.id,
        "asset_draft": draft.id, "version_shared": shared_v.id, "version_sibling": sibling_v.id,
        "version_internal": internal_v.id, "version_draft": draft_v.id,
        "comment_member": c_member.id, "comment_internal": c_internal.id, "comment_contact": c_contact.id,
        "comment_guest": c_guest.id, "link_project": project_link.id, "link_asset": asset_link.id,
        "review": review.id, "participant": participant.id,
    }
    world.tokens = {"link_project": project_raw, "link_asset": asset_raw}
    world.emails = {"member": member.email, "contact": contact.email, "guest_project": guest_email,
                    "guest_asset": f"viewer.{x}@guests.example"}
    world.guest_names = {"guest_project": guest_name, "guest_asset": f"{name} Viewerperson"}
    world.markers = [f"{name} Campaign", f"{name} Foods", f"{name} Hero Banner", f"{name} Sibling Poster",
                     f"{name} Unreleased Teaser", f"{name} Secret Draft", f"{name} Member", f"{name} Contact",
                     f"{name} member note", f"{name} contact note", f"{name} guest note", f"{name} internal secret",
                     f"{name} client round", f"{name} studio check", f"{name} Guestperson", f"{name} Viewerperson",
                     member.email, contact.email, guest_email]
    world.internal_markers = [f"{name} internal secret", f"{name} studio check", f"{name} Unreleased Teaser",
                              f"{name} Secret Draft"]
    return world


@dataclass
class Worlds:
    a: World
    b: World
    owner_email: str

    def other(self, world: World) -> World:
        return self.b if world is self.a else self.a


@pytest.fixture
def two_worlds(app, app_ctx, owner, create_user, create_client_row, create_project, png_path) -> Worlds:
    with app.test_request_context(base_url=app.config["BASE_URL"]):  # emails build links with url_for
        a = build_world("A", owner, create_user, create_client_row, create_project, png_path)
        b = build_world("B", owner, create_user, create_client_row, create_project, png_path, a.template)
        db.session.commit()
    return Worlds(a=a, b=b, owner_email=owner.email)


def land(browser, raw: str, name: str, email: str) -> None:
    """A guest opens a review link and says who they are (once per link)."""
    response = browser.get(f"/r/{raw}")
    assert response.status_code == 303, response.status_code
    response = browser.post("/r/", data={"name": name, "email": email})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


@pytest.fixture
def principals(two_worlds, make_client, login):
    """``principals(world)`` -> {name: test client} for member, contact, both guests and anonymous;
    ``principals("owner")`` -> the owner's client."""
    from revue.accounts.models import User

    made: dict = {}

    def signed_in(email: str):
        browser = make_client()
        user = db.session.scalar(select(User).where(User.email == email))
        login(browser, user)
        return browser

    def get(world):
        if world == "owner":
            if "owner" not in made:
                made["owner"] = signed_in(two_worlds.owner_email)
            return made["owner"]
        if world.letter not in made:
            guests = {}
            for key, link in (("guest_project", "link_project"), ("guest_asset", "link_asset")):
                guests[key] = make_client()
                land(guests[key], world.tokens[link], world.guest_names[key], world.emails[key])
            made[world.letter] = {
                "member": signed_in(world.emails["member"]),
                "contact": signed_in(world.emails["contact"]),
                **guests,
                "anonymous": make_client(),
            }
        return made[world.letter]

    return get


@pytest.fixture
def one_world(app, app_ctx, owner, create_user, create_client_row, create_project, png_path) -> World:
    """World A alone (see ``build_world``), for tests that need no second client."""
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        world = build_world("A", owner, create_user, create_client_row, create_project, png_path)
        db.session.commit()
    return world


@pytest.fixture
def guest(make_client):
    """``guest(raw_token, name, email)`` -> a fresh browser that opened the link and said who they are."""

    def make(raw: str, name: str = "Dana Guest", email: str = "dana@guests.example"):
        browser = make_client()
        land(browser, raw, name, email)
        return browser

    return make


def add_stage_reviewer(app, actor, version_id: int, email: str, name: str) -> int:
    """Make ``email`` a reviewer of the open stage of ``version_id``'s open review; returns the seat's id."""
    from revue.review import engine
    from revue.review.models import Review, ReviewStage, ReviewStatus, StageStatus

    review = db.session.scalar(select(Review).where(Review.version_id == version_id,
                                                    Review.status == ReviewStatus.OPEN))
    stage = db.session.scalar(select(ReviewStage).where(ReviewStage.review_id == review.id,
                                                        ReviewStage.status == StageStatus.OPEN))
    with app.test_request_context(base_url=app.config["BASE_URL"]):  # the invitation email builds links
        seat = engine.add_participant(actor, stage, user=None, email=email, name=name)
        db.session.commit()
    return seat.id
