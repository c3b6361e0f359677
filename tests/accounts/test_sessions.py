"""SECURITY B1–B4: cookie flags, fresh session at login, server-side logout, absolute lifetime."""

from __future__ import annotations

from datetime import timedelta

import pytest

from revue.db import db, utcnow


@pytest.fixture
def set_cookies():
    """``set_cookies(response)``: ``{name: [attributes]}`` of the Set-Cookie headers."""

    def parse(response) -> dict[str, list[str]]:
        cookies = {}
        for header in response.headers.getlist("Set-Cookie"):
            name_value, *attributes = [part.strip() for part in header.split(";")]
            cookies[name_value.split("=", 1)[0]] = attributes
        return cookies

    return parse


@pytest.fixture
def copy_of(make_client, session_cookie):
    """``copy_of(client)``: another browser holding the same session cookie (a stolen copy)."""

    def copy(browser):
        thief = make_client()
        thief.set_cookie("revue_session", session_cookie(browser), domain="localhost")
        return thief

    return copy


# -- B1 ---------------------------------------------------------------------------------


def test_session_cookie_flags(client, owner, password, set_cookies):
    response = client.post("/account/login", data={"email": owner.email, "password": password})

    cookies = set_cookies(response)
    assert list(cookies) == ["revue_session"]
    attributes = [a.split("=", 1)[0].lower() for a in cookies["revue_session"]]
    assert {"secure", "httponly"} <= set(attributes)
    assert "SameSite=Lax" in cookies["revue_session"]
    assert "domain" not in attributes
    assert "expires" not in attributes  # gone with the browser unless "keep me logged in"


def test_remember_me_is_a_longer_server_side_session_not_a_remember_cookie(client, owner, password, set_cookies,
                                                                           user_sessions, app):
    response = client.post("/account/login", data={"email": owner.email, "password": password, "remember": "y"})

    cookies = set_cookies(response)
    assert list(cookies) == ["revue_session"]  # flask-login's remember_token is never set
    assert "Secure" in cookies["revue_session"] and "HttpOnly" in cookies["revue_session"]
    assert any(a.startswith("Expires=") for a in cookies["revue_session"])
    [row] = user_sessions(owner)
    assert row.remember is True
    lifetime = row.expires_at - row.created_at
    assert abs(lifetime - timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])) < timedelta(minutes=1)


def test_session_without_remember_me_lasts_the_short_lifetime(client, owner, login, user_sessions, app):
    login(client, owner)
    [row] = user_sessions(owner)
    assert row.remember is False
    assert abs(row.expires_at - row.created_at - timedelta(hours=app.config["SESSION_SHORT_HOURS"])) \
        < timedelta(minutes=1)


def test_only_the_hash_of_the_session_token_is_stored(client, owner, login, user_sessions):
    login(client, owner)
    with client.session_transaction() as session:
        raw = session["sid"]
    [row] = user_sessions(owner)
    assert len(raw) >= 43 and raw not in row.token_hash and len(row.token_hash) == 64


# -- B2 ---------------------------------------------------------------------------------


def test_login_starts_a_fresh_session(client, owner, login, session_cookie):
    client.get("/account/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["sid"] = "attacker-chosen session id"
    before = session_cookie(client)

    login(client, owner)

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["sid"] != "attacker-chosen session id"
    assert session_cookie(client) != before


# -- B3 ---------------------------------------------------------------------------------


def test_cookie_copied_before_logout_is_refused_after(owner_client, copy_of):
    stolen = copy_of(owner_client)
    assert stolen.get("/account/").status_code == 200  # the copy works while the session lives

    owner_client.post("/account/logout")

    response = stolen.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login")


def test_deactivating_a_user_ends_their_sessions(owner_client, member_client, member, user_sessions):
    assert member_client.get("/account/").status_code == 200

    response = owner_client.post(f"/settings/members/{member.id}/active", data={"active": "0"})

    assert response.status_code == 303
    assert user_sessions(member) == []
    assert member_client.get("/account/").status_code == 302


def test_deactivated_user_is_refused_at_the_next_request_even_with_a_live_session(member_client, member):
    member.active = False  # e.g. flipped in the database by an operator: the session row still exists
    db.session.commit()

    response = member_client.get("/projects/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login")


def test_session_of_a_reactivated_user_stays_dead(owner_client, member_client, member):
    owner_client.post(f"/settings/members/{member.id}/active", data={"active": "0"})
    owner_client.post(f"/settings/members/{member.id}/active", data={"active": "1"})
    assert member_client.get("/account/").status_code == 302


def test_forged_session_id_is_refused(client, owner):
    with client.session_transaction() as session:
        session["_user_id"] = str(owner.id)
        session["sid"] = "made up"
    assert client.get("/account/").status_code == 302


def test_member_cannot_deactivate_anyone(member_client, owner):
    response = member_client.post(f"/settings/members/{owner.id}/active", data={"active": "0"})
    assert response.status_code == 403
    db.session.refresh(owner)
    assert owner.active


# -- B4 ---------------------------------------------------------------------------------


def test_session_has_an_absolute_lifetime_despite_activity(client, owner, password, clock):
    client.post("/account/login", data={"email": owner.email, "password": password, "remember": "y"})
    for _day in range(13):
        clock.advance(days=1)
        assert client.get("/account/").status_code == 200  # in use every day

    clock.advance(days=1, minutes=1)

    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login")


def test_short_session_ends_after_its_hours(client, owner, login, clock, app):
    login(client, owner)
    clock.advance(hours=app.config["SESSION_SHORT_HOURS"] - 1)
    assert client.get("/account/").status_code == 200
    clock.advance(hours=1, seconds=1)
    assert client.get("/account/").status_code == 302


def test_expiry_is_stored_not_only_in_the_cookie(client, owner, login, user_sessions):
    login(client, owner)
    [row] = user_sessions(owner)
    assert row.expires_at > utcnow()
    assert row.expires_at.tzinfo is not None
