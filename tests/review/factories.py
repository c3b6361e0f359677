"""Plain builders for the viewer, comment and search tests (also used by the browser tests).

They write rows the way the product does and commit, so a request served in another
application context (the test client, the live server) sees them.
"""

from __future__ import annotations

from sqlalchemy import select

from revue.assets.models import Asset, AssetVersion, MediaKind, Rendition, VersionState
from revue.db import db, utcnow

META = {
    "image": {"width": 1600, "height": 1000},
    "pdf": {"pages": 3, "width": 1190, "height": 1684},
    "video": {"width": 640, "height": 360, "duration": 10.0, "fps": 25},
    "audio": {"duration": 30.0},
    "other": {},
}
MIME = {"image": "image/png", "pdf": "application/pdf", "video": "video/mp4", "audio": "audio/mpeg",
        "other": "application/zip"}


def make_version(project, user, kind: str = "image", *, asset=None, title: str = "Hero banner",
                 meta: dict | None = None) -> AssetVersion:
    """A processed version of ``kind`` (rows only: no file behind its renditions)."""
    if asset is None:
        asset = Asset(project_id=project.id, title=title, created_by_id=user.id)
        db.session.add(asset)
        db.session.flush()
    number = len(db.session.scalars(select(AssetVersion.id).where(AssetVersion.asset_id == asset.id)).all()) + 1
    meta = dict(META[kind] if meta is None else meta)
    version = AssetVersion(asset_id=asset.id, number=number, original_name=f"{title}.{kind}",
                           storage_key=f"originals/test-{asset.id}-{number}", size=1234, sha256="ab" * 32,
                           mime=MIME[kind], kind=MediaKind(kind), meta=meta, state=VersionState.READY,
                           uploaded_by_id=user.id)
    db.session.add(version)
    db.session.flush()
    names = {"image": ["thumb", "preview"], "video": ["thumb", "poster"], "audio": ["waveform"],
             "pdf": ["thumb"] + [f"page-{n}" for n in range(1, meta.get("pages", 1) + 1)]}.get(kind, [])
    for name in names:
        db.session.add(Rendition(version_id=version.id, name=name, storage_key=f"renditions/{version.id}-{name}",
                                 mime="image/jpeg", size=100, width=meta.get("width", 800),
                                 height=meta.get("height", 600)))
    asset.current_version_id = version.id
    db.session.commit()
    return version


def share(version, *contacts, internal: bool = False, emails: tuple[str, ...] = ()):
    """Send ``version`` to an open review stage with ``contacts`` (and plain ``emails``) as reviewers: what makes
    it visible to them."""
    from revue.review.models import Participant, Review, ReviewStage, ReviewStatus, Rule, StageStatus

    review = Review(asset_id=version.asset_id, version_id=version.id, project_id=version.asset.project_id,
                    status=ReviewStatus.OPEN)
    db.session.add(review)
    db.session.flush()
    stage = ReviewStage(review_id=review.id, position=1, name="Internal" if internal else "Client", rule=Rule.ALL,
                        internal=internal, status=StageStatus.OPEN, opened_at=utcnow())
    db.session.add(stage)
    db.session.flush()
    for contact in contacts:
        db.session.add(Participant(stage_id=stage.id, user_id=contact.id, email=contact.email, name=contact.name))
    for email in emails:
        db.session.add(Participant(stage_id=stage.id, email=email))
    db.session.commit()
    return review


def comment(version, author, body: str = "Make the logo bigger", *, anchor: dict | None = None,
            internal: bool = False, parent=None):
    """A comment (or, with ``parent``, a reply) written through the service, committed."""
    from revue.comments import services

    if parent is not None:
        made = services.reply(parent, author, body)
    else:
        made = services.add_comment(version, author, body, anchor=anchor, internal=internal)
    db.session.commit()
    return made


def upload(user, project, path, name: str, *, asset=None) -> int:
    """A real file added through the service; jobs run inline (HUEY_IMMEDIATE), so the renditions are made
    by the real sandboxed worker when this returns. Returns the version id."""
    from revue.assets import pipeline, services

    version = services.add_file(user, project, str(path), name, asset=asset)
    db.session.commit()
    version_id = version.id
    if db.session.get(AssetVersion, version_id).state == VersionState.PROCESSING:
        pipeline.make_renditions(version_id)
    db.session.commit()
    assert db.session.get(AssetVersion, version_id).state == VersionState.READY, \
        db.session.get(AssetVersion, version_id).failure
    return version_id


# -- a workspace for the browser tests ------------------------------------------------------------

PASSWORD = "correct horse battery staple"  # as tests/conftest.py's create_user
MEDIA = {
    "image": ("poster.png", lambda mf, p: mf.image_file(p, "PNG", (1600, 1000))),
    "pdf": ("brochure.pdf", lambda mf, p: mf.pdf_file(p, pages=3, size=(595, 842))),
    "video": ("teaser.mp4", lambda mf, p: mf.video_file(p, "mp4", seconds=5.0, size=(320, 180))),
}


def build_studio(app, folder, kinds=("image",)) -> dict:
    """Mia and Theo (members of the project "Launch"), Cleo (a contact of its client Acme), and one
    uploaded version per kind, processed by the real pipeline. Returns plain values only: on SQLite a
    browser test must hold no transaction while the live server works."""
    from assets import mediafiles as mf  # tests/assets/mediafiles.py

    from revue.accounts import passwords
    from revue.accounts.models import Role, User
    from revue.clients.models import Client
    from revue.projects.models import Project, ProjectMember
    from revue.settings.models import Workspace

    with app.app_context():
        hashed = passwords.hash_password(PASSWORD)
        client = Client(name="Acme")
        db.session.add_all([Workspace(name="Lumen Studio", brand_color="#4f46e5"), client])
        db.session.flush()
        people = {key: User(email=email, name=name, role=role, client_id=client.id if role == Role.CLIENT else None,
                            password_hash=hashed)
                  for key, email, name, role in [("member", "mia@example.com", "Mia Member", Role.MEMBER),
                                                 ("teammate", "theo@example.com", "Theo Teammate", Role.MEMBER),
                                                 ("contact", "cleo@client.example", "Cleo Client", Role.CLIENT)]}
        project = Project(client_id=client.id, name="Launch")
        db.session.add_all([*people.values(), project])
        db.session.flush()
        db.session.add_all([ProjectMember(project_id=project.id, user_id=people[k].id) for k in ("member", "teammate")])
        db.session.commit()
        studio = {key: user.email for key, user in people.items()}
        studio["ids"] = {key: user.id for key, user in people.items()}
        for kind in kinds:
            name, make = MEDIA[kind]
            path = folder / name
            if not path.exists():
                make(mf, path)
            studio[kind] = upload(people["member"], project, path, name)
        db.session.remove()
    return studio


def share_by_id(app, version_id: int, user_id: int) -> None:
    from revue.accounts.models import User

    with app.app_context():
        share(db.session.get(AssetVersion, version_id), db.session.get(User, user_id))
        db.session.remove()


def read(app, fn):
    """``fn()`` in an application context of its own; its session is closed before returning."""
    with app.app_context():
        try:
            return fn()
        finally:
            db.session.remove()
