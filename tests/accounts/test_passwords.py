"""SECURITY A1 (Argon2id, parameters read from the stored hash) and A2 (length, no truncation, policy)."""

from __future__ import annotations

import argon2
import pytest
from sqlalchemy import select

from revue import create_app, jobs
from revue.accounts import passwords
from revue.accounts.models import User
from revue.db import db

# 128 characters: accents, Cyrillic, CJK, an emoji, spaces; NFKC leaves every one of them alone.
LONG_PASSWORD = ("Ünïcödé pässwörd 密码很长 пароль 🌈 with spaces " * 4)[:128]


@pytest.fixture
def production_hasher_app(tmp_path, monkeypatch):
    """An app with the shipped ARGON2_* settings (the test config lowers them)."""
    monkeypatch.setattr(jobs, "_worker_app", jobs._worker_app)  # create_app re-points the job runner
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                      "DATABASE_URL": f"sqlite:///{tmp_path}/production.db", "HUEY_IMMEDIATE": True})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def stored_hash(app_ctx):
    """``stored_hash(email)``: the password hash in the users table right now."""

    def read(email: str) -> str:
        value = db.session.scalar(select(User.password_hash).where(User.email == email))
        db.session.commit()
        return value

    return read


def test_production_config_hashes_with_argon2id_at_owasp_minimum(production_hasher_app):
    with production_hasher_app.app_context():
        stored = passwords.hash_password("a long passphrase for production")

    parameters = argon2.extract_parameters(stored)
    assert stored.startswith("$argon2id$")
    assert parameters.memory_cost >= 19456
    assert parameters.time_cost >= 2


def test_stored_hash_is_argon2id(client, password, stored_hash):
    client.post("/account/setup", data={"workspace_name": "Studio", "name": "Olivia", "email": "o@example.com",
                                        "password": password})

    assert stored_hash("o@example.com").startswith("$argon2id$v=19$m=8,t=1,p=1$")  # the test config's cost


def test_hash_with_other_parameters_verifies_and_is_upgraded_at_login(client, create_user, password, login,
                                                                    stored_hash):
    user = create_user("member", email="legacy@example.com")
    user.password_hash = argon2.PasswordHasher(memory_cost=16, time_cost=2, parallelism=1).hash(password)
    db.session.commit()

    login(client, user)

    upgraded = stored_hash("legacy@example.com")
    assert argon2.extract_parameters(upgraded) == argon2.extract_parameters(passwords.hash_password("x" * 8))
    assert argon2.PasswordHasher().verify(upgraded, password)


def test_current_hash_is_left_alone_at_login(client, owner, login, stored_hash):
    before = stored_hash(owner.email)
    login(client, owner)
    assert stored_hash(owner.email) == before


def test_long_unicode_password_with_spaces_works_without_truncation(client, make_client, field_error):
    assert len(LONG_PASSWORD) == 128 and " " in LONG_PASSWORD
    setup = client.post("/account/setup", data={"workspace_name": "Studio", "name": "Olivia",
                                                "email": "olivia@example.com", "password": LONG_PASSWORD})
    assert setup.status_code == 303

    full = make_client().post("/account/login", data={"email": "olivia@example.com", "password": LONG_PASSWORD})
    prefix = make_client().post("/account/login", data={"email": "olivia@example.com",
                                                        "password": LONG_PASSWORD[:127]})

    assert full.status_code == 303
    assert prefix.status_code == 422
    assert field_error(prefix, "password") == "That email and password don't match an account."


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("short 1", "Use at least 8 characters."),
        ("password", "That password is too common. A few random words make a strong one."),
        ("12345678", "That password is too common. A few random words make a strong one."),
        ("aaaaaaaaaaaa", "That password is too common. A few random words make a strong one."),
        ("olivia@example.com", "Don't use your email address as your password."),
    ],
)
def test_weak_password_is_refused_beside_the_field(client, new_password, message, field_error):
    response = client.post("/account/setup", data={"workspace_name": "Studio", "name": "Olivia",
                                                   "email": "olivia@example.com", "password": new_password})

    assert response.status_code == 422
    assert field_error(response, "password") == message


def test_no_composition_rules(client):
    """Lower-case words only, no digit, no symbol: fine (NIST 800-63B, A2)."""
    response = client.post("/account/setup", data={"workspace_name": "Studio", "name": "Olivia",
                                                   "email": "olivia@example.com",
                                                   "password": "purple elephants dance quietly"})
    assert response.status_code == 303


def test_policy_applies_to_every_new_password_form(owner_client, field_error):
    response = owner_client.post("/account/password", data={"password-current_password": "correct horse battery staple",
                                                            "password-new_password": "qwertyuiop"})
    assert response.status_code == 422
    assert field_error(response, "password-new_password") == (
        "That password is too common. A few random words make a strong one.")
