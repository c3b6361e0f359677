"""Benchmark the viewer: server time of ``GET /review/versions/<id>`` (and its live panel) by comment count.

    .venv/bin/python bench/viewer.py [--runs 5] [--counts 5,50,500] [--database-url URL]

Builds a workspace in a temporary SQLite database (or the PostgreSQL URL given): one image
version per count, each with that many top-level comments of every kind (pins, areas,
drawings, general; every third with two replies, every fifth resolved, every seventh
internal). A member of the project reads each version through the Flask test client;
the time is the best of ``--runs`` requests after one warm-up (wall clock, and the CPU time of
this process, which a busy machine disturbs less), with the SQL statements each request ran.
The ratio compares with the 5-comment baseline.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench password for the viewer"
ANCHORS = [{"type": "pin", "x": 0.5, "y": 0.5}, {"type": "region", "x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2},
           {"type": "shape", "shape": "freehand", "points": [[0.1, 0.1], [0.2, 0.25], [0.3, 0.2]], "x": 0.1,
            "y": 0.1, "bbox": [0.1, 0.1, 0.3, 0.25]}, None]


def build(app, counts: list[int]) -> dict[int, int]:
    """The people, a project and one version per count; returns {count: version id}."""
    from revue.accounts import passwords
    from revue.accounts.models import Role, User
    from revue.assets.models import Asset, AssetVersion, MediaKind, Rendition, VersionState
    from revue.clients.models import Client
    from revue.comments.models import Comment
    from revue.db import db
    from revue.projects.models import Project, ProjectMember
    from revue.settings.models import Workspace

    with app.app_context():
        db.create_all()
        db.session.add(Workspace(name="Bench Studio", brand_color="#123456"))
        hashed = passwords.hash_password(PASSWORD)
        people = [User(email=f"member{n}@bench.example", name=f"Member {n}", role=Role.MEMBER, password_hash=hashed)
                  for n in range(8)]
        client = Client(name="Bench client")
        db.session.add_all([*people, client])
        db.session.flush()
        project = Project(client_id=client.id, name="Bench project")
        db.session.add(project)
        db.session.flush()
        db.session.add_all([ProjectMember(project_id=project.id, user_id=p.id) for p in people])
        versions = {}
        for count in counts:
            asset = Asset(project_id=project.id, title=f"Banner with {count} comments", created_by_id=people[0].id)
            db.session.add(asset)
            db.session.flush()
            version = AssetVersion(asset_id=asset.id, number=1, original_name="banner.png", storage_key="x",
                                   size=1, sha256="0" * 64, mime="image/png", kind=MediaKind.IMAGE,
                                   meta={"width": 1600, "height": 1000}, state=VersionState.READY)
            db.session.add(version)
            db.session.flush()
            asset.current_version_id = version.id
            db.session.add_all([Rendition(version_id=version.id, name=name, storage_key=f"r/{name}", mime="image/jpeg",
                                          size=1, width=1600, height=1000) for name in ("thumb", "preview")])
            tops = [Comment(version_id=version.id, asset_id=asset.id, number=i + 1, author_id=people[i % 8].id,
                            body=f"Comment {i}: the **headline** needs more room, see @member{(i + 1) % 8}",
                            anchor=ANCHORS[i % 4], internal=i % 7 == 0,
                            resolved_at=version.created_at if i % 5 == 0 else None,
                            resolved_by_id=people[0].id if i % 5 == 0 else None) for i in range(count)]
            db.session.add_all(tops)
            db.session.flush()
            db.session.add_all([Comment(version_id=version.id, asset_id=asset.id, parent_id=top.id,
                                        internal=top.internal, author_id=people[(i + j + 1) % 8].id,
                                        body=f"Reply {j}: done in the next version")
                                for i, top in enumerate(tops) if i % 3 == 0 for j in range(2)])
            versions[count] = version.id
        db.session.commit()
        return versions


def measure(app, url: str, runs: int) -> tuple[list[float], list[float], int, int]:
    """Wall and CPU seconds of each run, SQL statements of one request, size of the answer."""
    from revue.db import db

    browser = app.test_client()
    answer = browser.post("/account/login", data={"email": "member0@bench.example", "password": PASSWORD},
                          base_url="https://localhost")
    assert answer.status_code == 303, answer.status_code
    with app.app_context():
        engine = db.engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(1))
    browser.get(url, base_url="https://localhost")  # warm up: templates compiled, connections open
    times, cpu, queries, size = [], [], 0, 0
    for _ in range(runs):
        statements.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        response = browser.get(url, base_url="https://localhost")
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200, (url, response.status_code)
        queries, size = len(statements), len(response.get_data())
    return times, cpu, queries, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--counts", default="5,50,500")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    counts = sorted({int(c) for c in args.counts.split(",")} | {5})

    from revue import create_app

    with tempfile.TemporaryDirectory(prefix="revue-bench-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        app = create_app({"TESTING": False, "SECRET_KEY": "bench", "DATABASE_URL": url, "INSTANCE_PATH": f"{tmp}/i",
                          "UPLOAD_FOLDER": f"{tmp}/u", "ARGON2_MEMORY_KIB": 8, "ARGON2_TIME_COST": 1,
                          "HUEY_IMMEDIATE": True, "WTF_CSRF_ENABLED": False, "BASE_URL": "https://localhost"})
        logging.getLogger().setLevel(logging.WARNING)  # no log line per login
        versions = build(app, counts)
        backend = url.split(":", 1)[0]
        print(f"viewer server time, best of {args.runs} (Flask test client, {backend}, Python {sys.version.split()[0]})")
        print("| page | comments | replies | best ms | median ms | ratio | best CPU ms | CPU ratio | queries | KB |")
        print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for page, suffix in (("viewer", ""), ("panel", "/panel")):
            base = base_cpu = None
            for count in counts:
                times, cpu, queries, size = measure(app, f"/review/versions/{versions[count]}{suffix}", args.runs)
                best, best_cpu = min(times), min(cpu)
                base, base_cpu = base or best, base_cpu or best_cpu
                replies = 2 * len(range(0, count, 3))
                print(f"| {page} | {count} | {replies} | {best * 1000:.1f} | {statistics.median(times) * 1000:.1f} | "
                      f"{best / base:.1f}x | {best_cpu * 1000:.1f} | {best_cpu / base_cpu:.1f}x | {queries} | "
                      f"{size / 1024:.0f} |")


if __name__ == "__main__":
    main()
