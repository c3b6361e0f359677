"""Password reset by email, end to end through a real SMTP server (SECURITY A3, A4, E9)."""

from __future__ import annotations

import pytest

from revue.accounts.models import PasswordReset
from revue.db import db

NEW_PASSWORD = "a fresh and private passphrase"


@pytest.fixture
def reset_link(client, owner, smtp_server, links_in):
    """The path of the reset link the owner receives after asking for one."""
    client.post("/account/reset", data={"email": owner.email})
    [message] = smtp_server.wait(1)
    [link] = links_in(smtp_server.text(message), "/account/reset/")
    return link


def test_reset_request_page(client, owner):
    response = client.get("/account/reset")
    assert response.status_code == 200
    assert "Reset your password" in response.get_data(as_text=True)


def test_reset_request_mails_a_link(client, owner, smtp_server, links_in):
    response = client.post("/account/reset", data={"email": "Owner@Example.com"})

    assert response.status_code == 200
    assert "a link to reset its password is on its way" in response.get_data(as_text=True)
    [message] = smtp_server.wait(1)
    assert message["To"] == "Olivia Owner <owner@example.com>"
    assert message["Subject"] == "Reset your Revue password"
    assert len(links_in(smtp_server.text(message), "/account/reset/")) == 1


def test_invalid_reset_request_is_422_beside_the_field(client, owner, field_error):
    response = client.post("/account/reset", data={"email": "owner"})
    assert response.status_code == 422
    assert field_error(response, "email") == "Invalid email address."


def test_link_lands_on_a_url_without_the_token(client, reset_link):
    token = reset_link.rsplit("/", 1)[1]

    landing = client.get(reset_link)

    assert landing.status_code == 303
    assert landing.headers["Location"] == "/account/reset/new"
    assert landing.headers["Cache-Control"] == "no-store"
    assert landing.headers["Referrer-Policy"] == "same-origin"
    page = client.get("/account/reset/new")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert token not in page.get_data(as_text=True)
    assert "For owner@example.com." in page.get_data(as_text=True)


def test_reset_sets_the_new_password(client, reset_link, owner, password, make_client, smtp_server):
    client.get(reset_link)

    response = client.post("/account/reset/new", data={"password": NEW_PASSWORD})

    assert response.status_code == 303
    assert response.headers["Location"] == "/account/login"
    assert make_client().post("/account/login", data={"email": owner.email,
                                                      "password": NEW_PASSWORD}).status_code == 303
    assert make_client().post("/account/login", data={"email": owner.email,
                                                      "password": password}).status_code == 422
    notice = smtp_server.wait(2)[1]
    assert notice["Subject"] == "Your Revue password was changed"


def test_reset_ends_every_session(client, reset_link, owner_client, user_sessions, owner):
    client.get(reset_link)
    client.post("/account/reset/new", data={"password": NEW_PASSWORD})

    assert owner_client.get("/account/").status_code == 302
    assert user_sessions(owner) == []


def test_weak_new_password_is_422_beside_the_field(client, reset_link, field_error):
    client.get(reset_link)
    response = client.post("/account/reset/new", data={"password": "owner@example.com"})
    assert response.status_code == 422
    assert field_error(response, "password") == "Don't use your email address as your password."


def test_used_link_is_no_longer_valid(client, reset_link, make_client):
    client.get(reset_link)
    client.post("/account/reset/new", data={"password": NEW_PASSWORD})

    again = make_client()
    assert again.get(reset_link).status_code == 303
    response = again.get("/account/reset/new")
    assert response.status_code == 404
    assert "This link is no longer valid" in response.get_data(as_text=True)
    assert again.post("/account/reset/new", data={"password": "yet another passphrase"}).status_code == 404


def test_expired_link_is_no_longer_valid(client, reset_link, app_ctx, clock):
    clock.advance(hours=2, seconds=1)
    client.get(reset_link)
    response = client.get("/account/reset/new")
    assert response.status_code == 404
    assert "This link is no longer valid" in response.get_data(as_text=True)


def test_unknown_and_missing_tokens_get_the_same_page(make_client, owner, page_without):
    unknown = make_client()
    unknown.get("/account/reset/not-a-real-token")
    never = make_client()

    first, second = unknown.get("/account/reset/new"), never.get("/account/reset/new")

    assert first.status_code == second.status_code == 404
    assert page_without(first) == page_without(second)


def test_reset_link_of_a_deactivated_user_is_no_longer_valid(client, reset_link, owner):
    owner.active = False
    db.session.commit()
    client.get(reset_link)
    assert client.get("/account/reset/new").status_code == 404


def test_only_the_hash_of_the_token_is_stored(reset_link, app_ctx):
    token = reset_link.rsplit("/", 1)[1]
    [row] = db.session.scalars(db.select(PasswordReset)).all()
    assert token not in row.token_hash and len(row.token_hash) == 64


# -- A3: an unknown address looks the same and costs the same ------------------------------


def test_known_and_unknown_addresses_get_the_same_page(make_client, owner, create_user, page_without):
    inactive = create_user("member", email="gone@example.com", active=False)
    known = make_client().post("/account/reset", data={"email": owner.email})
    unknown = make_client().post("/account/reset", data={"email": "nobody@example.com"})
    deactivated = make_client().post("/account/reset", data={"email": inactive.email})

    assert known.status_code == unknown.status_code == deactivated.status_code == 200
    assert page_without(known, owner.email) == page_without(unknown, "nobody@example.com") \
        == page_without(deactivated, inactive.email)


def test_known_and_unknown_addresses_do_the_same_hash_work(client, owner, argon2_calls, outbox):
    client.post("/account/reset", data={"email": "warm-up@example.com"})  # the dummy hash, once per process
    argon2_calls.clear()
    client.post("/account/reset", data={"email": "nobody@example.com"})
    unknown = dict(argon2_calls)
    argon2_calls.clear()
    client.post("/account/reset", data={"email": owner.email})
    known = dict(argon2_calls)

    assert unknown == known == {"verify": 1}
    assert len(outbox(owner.email)) == 1 and outbox("nobody@example.com") == []
