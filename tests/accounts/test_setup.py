"""SECURITY A5: no account until the owner creates one, by the one-time setup page or ``create-owner``."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from revue.accounts.models import Role, User
from revue.activity import Activity
from revue.db import db
from revue.settings.models import Workspace

SETUP = {"workspace_name": "Northwind Studio", "name": "Olivia Novak", "email": "Olivia@Northwind.example",
         "password": "a long and private passphrase"}


@pytest.fixture
def users(app_ctx):
    def rows() -> list[User]:
        found = db.session.scalars(select(User).order_by(User.id)).all()
        db.session.commit()
        return found

    return rows


@pytest.fixture
def create_owner_cli(app):
    """``create_owner_cli(email, password)``: runs ``flask revue create-owner`` and returns the result."""

    def run(email: str = "olivia@northwind.example", password: str = "a long and private passphrase"):
        return app.test_cli_runner().invoke(args=["revue", "create-owner", "--workspace", "Northwind Studio",
                                                  "--name", "Olivia Novak", "--email", email,
                                                  "--password", password])

    return run


def test_fresh_install_sends_everyone_to_setup(client):
    login = client.get("/account/login")
    assert login.status_code == 302
    assert login.headers["Location"] == "/account/setup"

    page = client.get("/account/setup")
    assert page.status_code == 200
    assert "Set up Revue" in page.get_data(as_text=True)


def test_setup_creates_the_owner_and_logs_in(client, users, app_ctx, new_activity):
    with new_activity() as rows:
        response = client.post("/account/setup", data=SETUP)

    assert response.status_code == 303
    assert response.headers["Location"] == "/clients/"
    [owner] = users()
    assert (owner.email, owner.name, owner.role) == ("olivia@northwind.example", "Olivia Novak", Role.OWNER)
    assert db.session.scalar(select(Workspace.name)) == "Northwind Studio"
    assert [(r.action, r.actor_id) for r in rows] == [("workspace.setup", owner.id)]
    assert client.get("/account/").status_code == 200


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_setup_is_gone_once_an_account_exists(client, owner, method):
    response = client.open("/account/setup", method=method, data=SETUP)
    assert response.status_code == 404


def test_setup_is_gone_for_the_logged_in_owner_too(owner_client, users):
    assert owner_client.get("/account/setup").status_code == 404
    assert owner_client.post("/account/setup", data=SETUP).status_code == 404
    assert len(users()) == 1


def test_invalid_setup_is_422_beside_the_fields(client, users, field_error):
    response = client.post("/account/setup", data={**SETUP, "workspace_name": "", "email": "olivia"})
    assert response.status_code == 422
    assert field_error(response, "workspace_name") == "This field is required."
    assert field_error(response, "email") == "Invalid email address."
    assert users() == []


def test_setup_without_csrf_token_is_refused(client, users):
    assert client.post("/account/setup", data=SETUP, csrf=False).status_code == 400
    assert users() == []


def test_create_owner_command(create_owner_cli, users, client):
    result = create_owner_cli()

    assert result.exit_code == 0, result.output
    assert "Owner olivia@northwind.example created." in result.output
    [owner] = users()
    assert owner.role == Role.OWNER
    response = client.post("/account/login", data={"email": "olivia@northwind.example",
                                                   "password": "a long and private passphrase"})
    assert response.status_code == 303
    assert client.get("/account/setup").status_code == 404


def test_create_owner_command_refuses_a_second_owner(create_owner_cli, users):
    assert create_owner_cli().exit_code == 0

    second = create_owner_cli(email="mallory@example.com")

    assert second.exit_code == 1
    assert "This Revue is already set up." in second.output
    assert [u.email for u in users()] == ["olivia@northwind.example"]


def test_create_owner_command_refuses_a_weak_password(create_owner_cli, users):
    result = create_owner_cli(password="letmein1")
    assert result.exit_code == 1
    assert "That password is too common." in result.output
    assert users() == []


def test_create_owner_command_writes_the_audit_row(create_owner_cli, app_ctx):
    create_owner_cli()
    assert db.session.scalar(select(func.count()).select_from(Activity).where(Activity.action == "workspace.setup")) == 1
