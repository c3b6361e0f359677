"""The demo's work: assets with versions, pinned comments and approvals over the past weeks."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from . import demo_media as media
from .db import db, utcnow

OUTDOOR = ((52, 110, 140), (18, 52, 70), "mountain")
SKIN = ((242, 208, 198), (204, 146, 134), "bottle")

# project name → assets: (title, [version specs], [comments], [story])
# a comment: (version index, author, body, anchor or None, weeks ago, resolved?, internal?)
# a story step: (version index, weeks ago, "send") or (version index, weeks ago, reviewer, verdict, note)
PLAN = {
    "Spring Trail campaign": [
        ("Hero social post 1080×1350", [
            ("image", dict(size=(1080, 1350), headline="Spring Trail", sub="Built for the first warm days",
                           palette=OUTDOOR, scale=0.2), 10, "First draft"),
            ("image", dict(size=(1080, 1350), headline="Spring Trail", sub="Built for the first warm days",
                           palette=OUTDOOR, scale=0.11), 9, "Headline fits now; lighter mountains"),
         ], [
            (0, "Dana Whitfield", "The headline is cut off on the right. Can it fit on one line?",
             {"type": "pin", "x": 0.82, "y": 0.12}, 10, True, False),
            (0, "Marco Reyes", "Use the new logo lockup from the brand kit here.", {"type": "region", "x": 0.05,
             "y": 0.78, "w": 0.4, "h": 0.12}, 10, True, True),
            (0, "Dana Whitfield", "Love the mountains. Keep them.", {"type": "pin", "x": 0.55, "y": 0.6}, 10,
             True, False),
            (1, "Dana Whitfield", "Perfect, this works for us.", None, 9, False, False),
         ], [(0, 10, "send"), (0, 10, "Priya Shah", "approved", ""),
             (0, 10, "Dana Whitfield", "changes_requested", "Headline must fit; see my pins."),
             (1, 9, "send"), (1, 9, "Priya Shah", "approved", ""), (1, 9, "Dana Whitfield", "approved", "")]),
        ("Leaderboard banner 728×90", [
            ("image", dict(size=(1456, 180), headline="Spring Trail", sub="The new jacket line", palette=OUTDOOR,
                           scale=0.3, cta="Discover"), 6, ""),
            ("image", dict(size=(1456, 180), headline="Spring Trail", sub="The new jacket line", palette=OUTDOOR,
                           scale=0.24, cta="Shop now"), 1, "Button copy changed to ‘Shop now’"),
         ], [
            (0, "Dana Whitfield", "Button should say **Shop now**, not Discover.", {"type": "pin", "x": 0.12,
             "y": 0.75}, 6, True, False),
            (0, "Priya Shah", "Text is a little tight against the left edge at this size.",
             {"type": "pin", "x": 0.05, "y": 0.25}, 6, False, True),
            (1, "Dana Whitfield", "Can the mountains be a bit brighter?", {"type": "region", "x": 0.55, "y": 0.3,
             "w": 0.4, "h": 0.7}, 0, False, False),
         ], [(0, 6, "send"), (0, 6, "Tom Becker", "approved", ""),
             (0, 5, "Dana Whitfield", "changes_requested", "Button copy, please."),
             (1, 1, "send"), (1, 1, "Priya Shah", "approved", "")]),
        ("Social cut 15 s", [("video", dict(seconds=8, pattern="testsrc2"), 3, "Rough cut")], [
            (0, "Dana Whitfield", "Logo comes in too early, hold the product shot longer.",
             {"type": "pin", "x": 0.5, "y": 0.45, "t": 2.0}, 3, False, False),
            (0, "Tom Becker", "Music swell should hit on the cut here.", {"type": "time", "t": 5.4}, 3, False, True),
         ], [(0, 3, "send")]),
        ("In-store poster A1", [("pdf", dict(title="Spring Trail", pages=1, accent=(30, 80, 100)), 2, "")], [], []),
    ],
    "Serum relaunch": [
        ("Packaging front", [
            ("image", dict(size=(1200, 1200), headline="Glow Serum", sub="Your skin, brighter", palette=SKIN,
                           scale=0.14), 8, ""),
            ("image", dict(size=(1200, 1200), headline="Glow Serum", sub="Your skin, brighter", palette=SKIN,
                           scale=0.1, cta="30 ml"), 5, "Smaller headline, volume on the label"),
         ], [
            (0, "Léa Martin", "The headline sits on top of the bottle cap.", {"type": "pin", "x": 0.85,
             "y": 0.14}, 8, True, False),
            (0, "Sam Okafor", "Legal: we need the volume (30 ml) on the front.", None, 8, True, False),
            (1, "Léa Martin", "Better! Could the bottle be a touch larger?", {"type": "pin", "x": 0.74, "y": 0.5},
             4, False, False),
         ], [(0, 8, "send"), (0, 8, "Priya Shah", "approved", ""),
             (0, 8, "Léa Martin", "changes_requested", "Headline and cap clash; legal needs the volume."),
             (1, 5, "send"), (1, 5, "Tom Becker", "approved", ""), (1, 5, "Sam Okafor", "approved", "Legal OK."),
             (1, 4, "Léa Martin", "changes_requested", "Bottle a touch larger, please.")]),
        ("Instagram carousel", [("pdf", dict(title="Glow Serum", pages=5, accent=(190, 120, 110)), 2, "")], [
            (0, "Léa Martin", "Swap the pictures on slides 2 and 3.", {"type": "pin", "x": 0.5, "y": 0.35,
             "page": 2}, 2, False, False),
            (0, "Priya Shah", "Picture placeholders are waiting for the shoot.", None, 2, False, True),
         ], []),
    ],
    "Summer newsletter": [
        ("Email header", [("image", dict(size=(1200, 400), headline="Summer glow", sub="Our summer picks",
                                         palette=SKIN, scale=0.22, cta="Read more"), 7, "")], [
            (0, "Léa Martin", "Lovely. Approved from our side.", None, 7, False, False),
         ], [(0, 7, "send"), (0, 7, "Tom Becker", "approved", ""), (0, 7, "Léa Martin", "approved", ""),
             (0, 7, "Sam Okafor", "approved_with_changes", "Add the unsubscribe line in the final file.")]),
    ],
    "Harbour festival identity": [
        ("Radio spot 20 s", [("audio", dict(seconds=20), 4, "Voice-over is a placeholder")], [
            (0, "Jules Carter", "The date should be read out twice.", {"type": "time", "t": 12.5}, 4, False, False),
            (0, "Marco Reyes", "Fade the music out earlier.", {"type": "time", "t": 17.0}, 4, False, True),
         ], [(0, 4, "send"), (0, 4, "Marco Reyes", "approved", "")]),
        ("Festival programme", [("pdf", dict(title="Harbour Festival", pages=3, accent=(20, 70, 140)), 5, "")], [
            (0, "Jules Carter", "Opening hours on page 3 are from last year.", {"type": "region", "x": 0.06,
             "y": 0.55, "w": 0.88, "h": 0.2, "page": 3}, 5, True, False),
         ], [(0, 5, "send"), (0, 5, "Priya Shah", "approved", ""), (0, 4, "Jules Carter", "approved", "")]),
    ],
    "Product catalogue 2027": [
        ("Catalogue spreads", [("pdf", dict(title="Catalogue 2027", pages=4, accent=(15, 118, 110)), 1, "")], [],
         []),
    ],
}


def _make(kind: str, spec: dict, folder: Path, n: int) -> tuple[Path, str]:
    if kind == "image":
        spec = dict(spec)
        return media.banner(folder / f"art{n}.jpg", spec.pop("size"), spec.pop("headline"), spec.pop("sub"),
                            **spec), f"art-v{n}.jpg"
    if kind == "pdf":
        return media.brochure(folder / f"doc{n}.pdf", spec["title"], spec["pages"], accent=spec["accent"]), \
            f"{spec['title'].lower().replace(' ', '-')}.pdf"
    if kind == "video":
        return media.video(folder / f"cut{n}.mp4", spec["seconds"], pattern=spec["pattern"]), "cut.mp4"
    return media.audio(folder / f"spot{n}.m4a", spec["seconds"]), "radio-spot.m4a"


def seed_assets(people: dict, projects: dict) -> None:
    from .assets.pipeline import make_renditions
    from .assets.services import add_file
    from .comments.services import add_comment
    from .review.status import refresh

    owner = people["Olivia Novak"]
    versions_to_process = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        counter = 0
        for project_name, assets in PLAN.items():
            project = projects[project_name]
            for title, specs, comments, story in assets:
                asset, made = None, []
                uploader = people["Priya Shah"]
                for kind, spec, weeks, note in specs:
                    counter += 1
                    path, name = _make(kind, spec, folder, counter)
                    version = add_file(uploader, project, str(path), name, asset=asset, note=note)
                    asset = version.asset
                    asset.title = title
                    when = utcnow() - timedelta(weeks=weeks, hours=counter)
                    version.created_at = when
                    asset.created_at = min(asset.created_at, when)
                    made.append(version)
                    versions_to_process.append(version.id)
                db.session.commit()
                for index, author, body, anchor, weeks, resolved, internal in comments:
                    version = made[index]
                    comment = add_comment(version, people[author], body, anchor=anchor, internal=internal)
                    comment.created_at = utcnow() - timedelta(weeks=weeks, hours=2)
                    if resolved:
                        comment.resolved_at = comment.created_at + timedelta(days=2)
                        comment.resolved_by_id = people["Priya Shah"].id
                for step in story:
                    _play(step, made, people, owner)
                asset.current_version_id = made[-1].id
                refresh(asset)
                db.session.commit()
    _settle_notifications()
    for version_id in versions_to_process:
        make_renditions(version_id)


def _settle_notifications() -> None:
    """The demo's history is old news: only the five newest notifications stay unread."""
    from sqlalchemy import update

    from .review.models import Notification

    newest = db.session.scalars(select(Notification.id).order_by(Notification.id.desc()).limit(5)).all()
    db.session.execute(update(Notification).where(Notification.id.not_in(newest)).values(read_at=utcnow()))
    db.session.commit()


def _play(step, made, people, owner) -> None:
    """Replay one step of an asset's review history at its time in the past."""
    from .review import engine
    from .review.models import Channel, Verdict

    index, weeks, *rest = step
    version = made[index]
    when = utcnow() - timedelta(weeks=weeks) + timedelta(hours=len(rest) * 3)
    if rest == ["send"]:
        db.session.flush()
        if version.asset.current_version_id != version.id:
            version.asset.current_version_id = version.id
        engine.send_for_review(owner, version, now=when)
        return
    name, verdict, note = rest
    review = engine.open_review_of(version)
    person = people[name]
    seat = engine.participant_for(review, person)
    if seat is None:
        return
    client_side = person.is_client_contact
    who = engine.Identity(channel=Channel.EMAIL_LINK if client_side else Channel.VIEWER,
                          identified_by="email_link" if client_side else "account", name=person.name,
                          email=person.email, user=person, ip="203.0.113.7" if client_side else "198.51.100.4",
                          user_agent="Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15")
    later = timedelta(days=1, hours=2) if client_side else timedelta(hours=4)  # clients take a day
    engine.decide(seat, version.id, Verdict(verdict), note, who, now=when + later)


def people_and_projects():
    from .accounts.models import User
    from .projects.models import Project

    people = {u.name: u for u in db.session.scalars(select(User))}
    projects = {p.name: p for p in db.session.scalars(select(Project))}
    return people, projects
