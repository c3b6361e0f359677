"""The demo workspace that ``make run`` seeds: a small agency with true-looking history.

Everything is made through the same services a user would call, with the clock
moved back, so every page shows data that is consistent with the rules.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from .db import Base, db, utcnow

OWNER_EMAIL = "olivia@northwind.example"

TEAM = [
    ("Marco Reyes", "marco@northwind.example", "admin", "Creative director"),
    ("Priya Shah", "priya@northwind.example", "member", "Senior designer"),
    ("Tom Becker", "tom@northwind.example", "member", "Motion designer"),
]

CLIENTS = [
    ("Acme Outdoor Co.", "https://acme-outdoor.example", [("Dana Whitfield", "dana@acme-outdoor.example")]),
    ("Bloom Skincare", "https://bloom.example", [("Léa Martin", "lea@bloom.example"),
                                                  ("Sam Okafor", "sam@bloom.example")]),
    ("Harbor City Council", "https://harbor-city.example", [("Jules Carter", "jules@harbor-city.example")]),
]

PROJECTS = [
    ("Acme Outdoor Co.", "Spring Trail campaign", 21, ["Priya Shah", "Tom Becker"],
     "Launch campaign for the **Spring Trail** jacket line.\n\n- 3 web banners (728×90, 300×250, 160×600)\n"
     "- 15 s social cut\n- In-store poster (A1)\n\nTone: *fresh, outdoorsy, confident*."),
    ("Acme Outdoor Co.", "Product catalogue 2027", 48, ["Priya Shah"],
     "24-page print catalogue. Photography is supplied by Acme; we do layout and retouching."),
    ("Bloom Skincare", "Serum relaunch", 9, ["Priya Shah", "Tom Becker"],
     "New packaging and launch visuals for the **Glow Serum**.\n\n1. Packaging front and back\n"
     "2. Instagram carousel\n3. Launch video (30 s)"),
    ("Bloom Skincare", "Summer newsletter", -4, ["Tom Becker"],
     "Email header and 4 product tiles for the summer newsletter."),
    ("Harbor City Council", "Harbour festival identity", 35, ["Marco Reyes", "Priya Shah"],
     "Visual identity for the 2027 Harbour Festival: logo, poster, wayfinding signs and a radio spot."),
]


def has_data() -> bool:
    from .accounts.models import User

    return db.session.scalar(select(func.count(User.id))) > 0


def is_demo() -> bool:
    from .settings.models import Workspace

    return bool(db.session.scalar(select(Workspace.is_demo).limit(1)))


def _login_file() -> Path:
    return Path(current_app.instance_path) / current_app.config["DEMO_PASSWORD_FILE"]


def seed() -> None:
    """Seed inside a request context built on BASE_URL (emails and notifications build links)."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"], method="POST"):
        _seed()


def _seed() -> None:
    from .accounts import services as accounts
    from .accounts.models import Role, User
    from .clients import services as clients
    from .projects import services as projects
    from .settings.models import Workspace

    password = secrets.token_urlsafe(12)
    owner = accounts.create_owner("Northwind Studio", "Olivia Novak", OWNER_EMAIL, password)
    workspace = db.session.scalar(select(Workspace))
    workspace.is_demo, workspace.brand_color, workspace.timezone = True, "#0f766e", "Europe/Berlin"
    owner.title = "Managing director"

    people = {owner.name: owner}
    for name, email, role, title in TEAM:
        user = User(email=email, name=name, role=Role(role), title=title,
                    password_hash=None, created_at=utcnow() - timedelta(weeks=12))
        db.session.add(user)
        people[name] = user
    db.session.flush()

    by_name = {}
    for name, website, contacts in CLIENTS:
        client = clients.create_client(owner, name=name, website=website)
        by_name[name] = client
        for contact_name, email in contacts:
            db.session.add(User(email=email, name=contact_name, role=Role.CLIENT, client_id=client.id,
                                title="Marketing", password_hash=None))
    db.session.flush()

    today = date.today()
    for client_name, name, due_in, members, brief in PROJECTS:
        project = projects.create_project(owner, client=by_name[client_name], name=name, brief=brief,
                                          due_date=today + timedelta(days=due_in))
        project.created_at = utcnow() - timedelta(weeks=11)
        for member in members:
            projects.add_member(owner, project, people[member])

    db.session.commit()
    from .demo_assets import people_and_projects, seed_assets

    seed_assets(*people_and_projects())
    attach_reference()
    db.session.commit()
    _forget_history_mail()

    path = _login_file()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{OWNER_EMAIL}\n{password}\n")


ATTACHED_TO = "Can the mountains be a bit brighter?"  # the demo comment that comes with a reference picture


def attach_reference() -> None:
    """Dana's wish for brighter mountains comes with a picture of what she means, attached as a user would."""
    from .comments import attachments
    from .comments.models import Comment

    comment = db.session.scalar(select(Comment).where(Comment.body == ATTACHED_TO).limit(1))
    if comment is None:
        return  # a demo seeded without its assets (tests)
    with tempfile.TemporaryDirectory() as tmp:
        path = _reference_picture(Path(tmp) / "reference.jpg")
        with open(path, "rb") as fh, attachments.checked([("brighter-mountains.jpg", fh)]) as ready:
            attachments.attach(comment, ready)


def _reference_picture(path: Path) -> Path:
    """A bright alpine scene: sky, sun, sunlit slopes with snow caps."""
    from PIL import Image, ImageDraw

    w, h = 960, 640
    sky = Image.linear_gradient("L").resize((w, h))
    image = Image.composite(Image.new("RGB", (w, h), (190, 226, 245)), Image.new("RGB", (w, h), (86, 168, 224)), sky)
    draw = ImageDraw.Draw(image)
    draw.ellipse((700, 70, 810, 180), fill=(255, 236, 160))
    for left, peak, right, colour in ((-80, (230, 210), 560, (126, 190, 140)), (300, (600, 150), 1040, (104, 176, 124)),
                                      (120, (420, 300), 760, (150, 206, 150))):
        base = h
        draw.polygon([(left, base), peak, (right, base)], fill=colour)
        px, py = peak
        draw.polygon([(px - 46, py + 52), (px, py), (px + 46, py + 52), (px + 14, py + 40), (px - 12, py + 58)],
                     fill=(250, 252, 255))
    draw.rectangle((0, h - 70, w, h), fill=(120, 188, 110))
    image.save(path, "JPEG", quality=88)
    return path


def _forget_history_mail() -> None:
    """The demo's weeks of history would otherwise sit in the outbox as dozens of unsent emails."""
    from .mail import OutboxMessage

    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()


def login_if_unchanged() -> tuple[str, str] | None:
    """The demo login while the owner still uses the generated password."""
    from .accounts import passwords
    from .accounts.services import user_by_email

    try:
        email, password = _login_file().read_text().split("\n")[:2]
    except (FileNotFoundError, ValueError):
        return None
    user = user_by_email(email)
    if user is None or not passwords.verify(user.password_hash, password):
        return None
    return email, password


def remove() -> None:
    """Delete every row and stored file: the demo is the whole install."""
    storage_root = current_app.config.get("UPLOAD_FOLDER")
    for table in reversed(Base.metadata.sorted_tables):
        if table.name != "alembic_version":
            db.session.execute(table.delete())
    _login_file().unlink(missing_ok=True)
    if current_app.config.get("STORAGE", "local") == "local" and storage_root:
        shutil.rmtree(storage_root, ignore_errors=True)
