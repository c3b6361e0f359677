"""Logging in and out: the routes, SECURITY A3 (no account enumeration) and the H1 audit rows."""

from __future__ import annotations

import pytest

from revue.db import db


@pytest.fixture
def deactivated(create_user):
    return create_user("member", name="Dan Deactivated", email="dan@example.com", active=False)


# -- the login page ---------------------------------------------------------------------


def test_login_page(client, owner):
    response = client.get("/account/login")
    assert response.status_code == 200
    assert "Log in to Studio Test" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_login_redirects_to_the_start_page(client, owner, password):
    response = client.post("/account/login", data={"email": owner.email, "password": password})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert client.get("/account/").status_code == 200


def test_login_is_case_insensitive_on_the_email(client, owner, password):
    response = client.post("/account/login", data={"email": "  OWNER@Example.COM ", "password": password})
    assert response.status_code == 303


def test_login_follows_a_same_site_next(client, owner, password):
    response = client.post("/account/login?next=/clients/", data={"email": owner.email, "password": password})
    assert response.headers["Location"] == "/clients/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "/\t/evil.example/", "/\n/evil.example/", "/ /evil.example/"])
def test_login_never_redirects_off_site(client, owner, password, target):
    response = client.post("/account/login", query_string={"next": target},
                           data={"email": owner.email, "password": password})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_protected_page_sends_to_login_and_back(client, owner, password):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login?next=%2Faccount%2F"

    back = client.post(response.headers["Location"], data={"email": owner.email, "password": password})
    assert back.headers["Location"] == "/account/"


def test_login_page_when_logged_in_goes_to_the_start_page(owner_client):
    response = owner_client.get("/account/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_invalid_login_form_is_422_beside_the_fields(client, owner, field_error):
    response = client.post("/account/login", data={"email": "not an email", "password": ""})
    assert response.status_code == 422
    assert field_error(response, "email") == "Invalid email address."
    assert field_error(response, "password") == "This field is required."


def test_login_without_csrf_token_is_refused(client, owner, password):
    response = client.post("/account/login", data={"email": owner.email, "password": password}, csrf=False)
    assert response.status_code == 400
    assert client.get("/account/").status_code == 302


def test_wrong_password_is_422_beside_the_password(client, owner, field_error):
    response = client.post("/account/login", data={"email": owner.email, "password": "not my password"})
    assert response.status_code == 422
    assert field_error(response, "password") == "That email and password don't match an account."
    assert client.get("/account/").status_code == 302


def test_deactivated_user_cannot_log_in(client, deactivated, password, field_error):
    response = client.post("/account/login", data={"email": deactivated.email, "password": password})
    assert response.status_code == 422
    assert field_error(response, "password") == "That email and password don't match an account."


def test_client_contact_logs_in(client, create_user, create_client_row, login):
    contact = create_user("client", client=create_client_row("Acme"))
    login(client, contact)
    assert client.get("/account/").status_code == 200
    assert client.get("/clients/").status_code == 404  # agency pages are not theirs


# -- A3: an unknown email looks exactly like a wrong password ------------------------------


def test_unknown_email_and_wrong_password_give_the_same_answer(make_client, owner, deactivated, password,
                                                               page_without):
    unknown = make_client().post("/account/login", data={"email": "nobody@example.com", "password": "guess one"})
    wrong = make_client().post("/account/login", data={"email": owner.email, "password": "guess one"})
    inactive = make_client().post("/account/login", data={"email": deactivated.email, "password": password})

    assert unknown.status_code == wrong.status_code == inactive.status_code == 422
    assert page_without(unknown, "nobody@example.com") == page_without(wrong, owner.email)
    assert page_without(inactive, deactivated.email) == page_without(wrong, owner.email)
    assert unknown.headers.get("Set-Cookie") is None and wrong.headers.get("Set-Cookie") is None


def test_unknown_email_and_wrong_password_do_the_same_hash_work(client, owner, argon2_calls):
    client.post("/account/login", data={"email": "warm-up@example.com", "password": "guess one"})  # dummy hash, once
    argon2_calls.clear()
    client.post("/account/login", data={"email": "nobody@example.com", "password": "guess two"})
    unknown = dict(argon2_calls)
    argon2_calls.clear()
    client.post("/account/login", data={"email": owner.email, "password": "guess two"})
    wrong = dict(argon2_calls)

    assert unknown == wrong == {"verify": 1}


# -- logging out ------------------------------------------------------------------------


def test_logout_ends_the_session(owner_client, owner, user_sessions):
    response = owner_client.post("/account/logout")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/login"
    assert user_sessions(owner) == []
    assert owner_client.get("/account/").status_code == 302


def test_logout_is_post_only(owner_client):
    assert owner_client.get("/account/logout").status_code == 405
    assert owner_client.get("/account/").status_code == 200


def test_logout_without_csrf_token_is_refused(owner_client):
    assert owner_client.post("/account/logout", csrf=False).status_code == 400
    assert owner_client.get("/account/").status_code == 200


def test_logout_when_logged_out_goes_to_login(client, owner):
    response = client.post("/account/logout")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/login"


# -- H1: one audit row per login attempt ---------------------------------------------------


def test_successful_login_writes_one_activity_row(client, owner, password, new_activity):
    with new_activity() as rows:
        client.post("/account/login", data={"email": owner.email, "password": password},
                    environ_base={"REMOTE_ADDR": "203.0.113.9"})

    assert [(r.action, r.actor_id, r.actor_label, r.ip, r.result) for r in rows] == [
        ("login.succeeded", owner.id, "owner@example.com", "203.0.113.9", "ok")]
    assert rows[0].created_at.tzinfo is not None


def test_failed_login_writes_one_activity_row(client, owner, new_activity):
    with new_activity() as rows:
        client.post("/account/login", data={"email": owner.email, "password": "not it at all"},
                    environ_base={"REMOTE_ADDR": "203.0.113.9"})

    assert [(r.action, r.actor_id, r.actor_label, r.ip, r.result) for r in rows] == [
        ("login.failed", owner.id, "owner@example.com", "203.0.113.9", "denied")]


def test_failed_login_for_an_unknown_email_writes_one_activity_row(client, owner, new_activity):
    with new_activity() as rows:
        client.post("/account/login", data={"email": "Nobody@Example.com", "password": "not it at all"},
                    environ_base={"REMOTE_ADDR": "203.0.113.9"})

    assert [(r.action, r.actor_id, r.actor_label, r.ip, r.result) for r in rows] == [
        ("login.failed", None, "nobody@example.com", "203.0.113.9", "denied")]


def test_login_records_when_the_user_last_logged_in(client, owner, login):
    assert owner.last_login_at is None
    login(client, owner)
    db.session.refresh(owner)
    assert owner.last_login_at is not None
