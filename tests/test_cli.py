"""``flask revue …``: seed-demo, remove-demo, check, create-owner (STYLE 11)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import has_app_context
from sqlalchemy import func, select
from test_routes_csrf import throwaway_app

from revue.db import Base, db


def run(app, *args, **kwargs):
    """One command, in its own app context (and database session), as in its own process."""
    if has_app_context():
        db.session.commit()  # the test's own session must not hold SQLite's write lock
    with app.app_context():
        return app.test_cli_runner().invoke(args=["revue", *args], **kwargs)


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def all_rows() -> int:
    db.session.rollback()
    return sum(db.session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables)


def shown_login(output: str) -> tuple[str, str] | None:
    email, password = re.search(r"log in as\s+(\S+)", output), re.search(r"password\s+(\S+)", output)
    return (email[1], password[1]) if email and password else None


@pytest.fixture
def demo_file(app):
    path = Path(app.instance_path) / app.config["DEMO_PASSWORD_FILE"]
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


@pytest.fixture
def quick_demo(monkeypatch, demo_file):
    """The demo without its files and renditions (seconds each): for tests of the commands' rules."""
    import revue.demo_assets

    monkeypatch.setattr(revue.demo_assets, "seed_assets", lambda *args, **kwargs: None)
    return demo_file


def test_demo_lifecycle(app, app_ctx, demo_file, client):
    """seed-demo into an empty database, refuse or skip a second time, remove-demo empties it."""
    from revue.clients.models import Client
    from revue.projects.models import Project
    from revue.settings.models import Workspace

    result = run(app, "seed-demo")
    assert result.exit_code == 0, result.output
    assert count(Client) == 3 and count(Project) == 5
    assert db.session.scalar(select(Workspace.is_demo))
    email, password = shown_login(result.output)
    assert email == "olivia@northwind.example" and len(password) >= 12
    assert demo_file.read_text().split("\n")[:2] == [email, password]
    assert oct(demo_file.stat().st_mode & 0o777) == "0o600"
    assert client.post("/account/login", data={"email": email, "password": password}).status_code == 303
    assert "Spring Trail campaign" in client.get("/projects/").get_data(as_text=True)
    seeded = all_rows()

    again = run(app, "seed-demo")
    assert again.exit_code != 0 and "not empty" in again.output
    assert all_rows() == seeded

    if_empty = run(app, "seed-demo", "--if-empty")
    assert if_empty.exit_code == 0, if_empty.output
    assert all_rows() == seeded
    assert shown_login(if_empty.output) == (email, password)  # shown for as long as it works

    declined = run(app, "remove-demo", input="n\n")
    assert declined.exit_code != 0
    assert all_rows() == seeded

    removed = run(app, "remove-demo", "--yes")
    assert removed.exit_code == 0, removed.output
    assert all_rows() == 0
    assert not demo_file.exists()


def test_each_install_gets_its_own_demo_password(app, app_ctx, quick_demo):
    first = run(app, "seed-demo")
    assert first.exit_code == 0, first.output
    assert run(app, "remove-demo", "--yes").exit_code == 0
    second = run(app, "seed-demo")
    assert second.exit_code == 0, second.output
    assert shown_login(first.output)[1] != shown_login(second.output)[1]


def test_demo_login_is_not_shown_once_the_password_changed(app, app_ctx, quick_demo):
    from revue.accounts import passwords
    from revue.accounts.models import User

    assert run(app, "seed-demo").exit_code == 0
    owner = db.session.scalar(select(User).where(User.email == "olivia@northwind.example"))
    owner.password_hash = passwords.hash_password("a brand new passphrase")
    db.session.commit()
    result = run(app, "seed-demo", "--if-empty")
    assert result.exit_code == 0 and shown_login(result.output) is None


def test_seed_demo_if_empty_leaves_a_real_install_alone(app, app_ctx, owner, demo_file):
    before = all_rows()
    result = run(app, "seed-demo", "--if-empty")
    assert result.exit_code == 0
    assert all_rows() == before
    assert shown_login(result.output) is None
    assert run(app, "seed-demo").exit_code != 0
    assert all_rows() == before


def test_remove_demo_never_touches_a_real_install(app, app_ctx, owner):
    before = all_rows()
    result = run(app, "remove-demo", "--yes")
    assert result.exit_code != 0
    assert "no demo" in result.output
    assert all_rows() == before


def test_check_passes_on_a_ready_install(app, app_ctx):
    result = run(app, "check")
    assert result.exit_code == 0, result.output
    assert "ready" in result.output
    assert "REVUE_SMTP_HOST" in result.output  # a warning, not an error


def test_check_fails_without_tables(tmp_path):
    with throwaway_app(tmp_path, tables=False) as app:
        result = run(app, "check")
    assert result.exit_code == 1
    assert "db upgrade" in result.output


def test_check_fails_when_the_database_is_unreachable(tmp_path):
    with throwaway_app(tmp_path, tables=False, DATABASE_URL=f"sqlite:///{tmp_path}/missing/dir/x.db") as app:
        result = run(app, "check")
    assert result.exit_code == 1
    assert "Cannot reach the database" in result.output


def test_check_warns_about_plain_http(tmp_path):
    with throwaway_app(tmp_path, BASE_URL="http://revue.example.com") as app:
        result = run(app, "check")
    assert result.exit_code == 0
    assert "https://" in result.output


def test_create_owner_makes_the_first_account(app, app_ctx, client):
    from revue.accounts.models import Role, User
    from revue.settings.models import Workspace

    result = run(app, "create-owner", "--workspace", "Fresh Agency", "--name", "Fay Founder",
                 "--email", "Fay@Example.com", "--password", "a long enough passphrase")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert user.email == "fay@example.com" and user.role == Role.OWNER
    assert db.session.scalar(select(Workspace.name)) == "Fresh Agency"
    response = client.post("/account/login", data={"email": "fay@example.com",
                                                   "password": "a long enough passphrase"})
    assert response.status_code == 303


def test_create_owner_prompts_for_what_is_missing(app, app_ctx):
    result = run(app, "create-owner",
                 input="Prompted Agency\nPat Prompt\npat@example.com\na long enough passphrase\n"
                       "a long enough passphrase\n")
    assert result.exit_code == 0, result.output
    from revue.accounts.models import User

    assert db.session.scalar(select(User.email)) == "pat@example.com"


def test_create_owner_refuses_a_second_owner(app, app_ctx, owner):
    result = run(app, "create-owner", "--workspace", "W", "--name", "N", "--email", "n@example.com",
                 "--password", "a long enough passphrase")
    assert result.exit_code != 0
    assert "already set up" in result.output


def test_create_owner_refuses_a_weak_password(app, app_ctx):
    from revue.accounts.models import User

    result = run(app, "create-owner", "--workspace", "W", "--name", "N", "--email", "n@example.com",
                 "--password", "short")
    assert result.exit_code != 0
    assert count(User) == 0
