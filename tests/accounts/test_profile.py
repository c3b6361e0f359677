"""The profile page, email change and password change (SECURITY A6, B4)."""

from __future__ import annotations

import pytest

from revue.db import db

NEW_PASSWORD = "a fresh and private passphrase"


@pytest.fixture
def second_browser(make_client, owner, login):
    """The owner logged in on another device too."""
    browser = make_client()
    login(browser, owner)
    return browser


# -- profile ----------------------------------------------------------------------------


def test_profile_page(owner_client):
    response = owner_client.get("/account/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "owner@example.com · Owner" in page
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("method", "url"), [("GET", "/account/"), ("POST", "/account/"),
                                             ("POST", "/account/email"), ("POST", "/account/password")])
def test_profile_pages_send_anonymous_visitors_to_login(client, owner, method, url):
    response = client.open(url, method=method, data={})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")


@pytest.mark.parametrize(("method", "url"), [("GET", "/account/"), ("POST", "/account/"),
                                             ("POST", "/account/email"), ("POST", "/account/password")])
def test_profile_pages_send_a_deactivated_user_to_login(member_client, member, method, url):
    member.active = False
    db.session.commit()
    response = member_client.open(url, method=method, data={"profile-name": "Still here?"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")
    db.session.refresh(member)
    assert member.name == "Mia Member"


def test_client_contact_has_a_profile_too(make_client, create_user, create_client_row, login):
    contact = create_user("client", client=create_client_row("Acme"))
    browser = make_client()
    login(browser, contact)
    response = browser.get("/account/")
    assert response.status_code == 200
    assert "Client contact at Acme" in response.get_data(as_text=True)


def test_save_profile(owner_client, owner):
    response = owner_client.post("/account/", data={"profile-name": "Olivia Novak", "profile-title": "Director"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/"
    db.session.refresh(owner)
    assert (owner.name, owner.title) == ("Olivia Novak", "Director")


def test_save_profile_with_htmx_answers_with_hx_location(owner_client):
    response = owner_client.post("/account/", data={"profile-name": "Olivia Novak"}, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Location"] == "/account/"


def test_invalid_profile_is_422_beside_the_field(owner_client, owner, field_error):
    response = owner_client.post("/account/", data={"profile-name": "", "profile-title": "Director"})
    assert response.status_code == 422
    assert field_error(response, "profile-name") == "This field is required."
    db.session.refresh(owner)
    assert owner.name == "Olivia Owner"


def test_profile_without_csrf_token_is_refused(owner_client, owner):
    response = owner_client.post("/account/", data={"profile-name": "Mallory"}, csrf=False)
    assert response.status_code == 400
    db.session.refresh(owner)
    assert owner.name == "Olivia Owner"


# -- email change (B4: needs the current password) ---------------------------------------


def test_change_email(owner_client, owner, password, outbox, make_client):
    response = owner_client.post("/account/email", data={"email-email": "Olivia@New.example",
                                                         "email-current_password": password})

    assert response.status_code == 303
    assert response.headers["Location"] == "/account/"
    db.session.refresh(owner)
    assert owner.email == "olivia@new.example"
    [notice] = outbox("owner@example.com")
    assert notice.subject == "Your Revue email address was changed"
    assert "olivia@new.example" in notice.text_body
    assert make_client().post("/account/login", data={"email": "olivia@new.example",
                                                      "password": password}).status_code == 303


def test_change_email_needs_the_current_password(owner_client, owner, outbox, field_error):
    response = owner_client.post("/account/email", data={"email-email": "mallory@evil.example",
                                                         "email-current_password": "a guess"})

    assert response.status_code == 422
    assert field_error(response, "email-current_password") == "Your current password is not right."
    db.session.refresh(owner)
    assert owner.email == "owner@example.com"
    assert outbox("owner@example.com") == []


def test_change_email_without_the_current_password_is_422(owner_client, field_error):
    response = owner_client.post("/account/email", data={"email-email": "mallory@evil.example"})
    assert response.status_code == 422
    assert field_error(response, "email-current_password") == "This field is required."


def test_change_email_to_an_address_in_use_is_422_beside_the_email(owner_client, member, password, field_error):
    response = owner_client.post("/account/email", data={"email-email": member.email,
                                                         "email-current_password": password})
    assert response.status_code == 422
    assert field_error(response, "email-email") == "Another account already uses that email address."
    assert field_error(response, "email-current_password") is None


def test_guessing_the_current_password_is_throttled(owner_client, owner, password, clock):
    for _ in range(6):
        response = owner_client.post("/account/email", data={"email-email": "mallory@evil.example",
                                                             "email-current_password": "a guess"})
        assert response.status_code == 422
    blocked = owner_client.post("/account/password", data={"password-current_password": password,
                                                           "password-new_password": NEW_PASSWORD})
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == "1"
    db.session.refresh(owner)
    assert owner.email == "owner@example.com"


# -- password change (A6, B4) -------------------------------------------------------------


def test_change_password_keeps_this_session_and_ends_the_others(owner_client, second_browser, owner, password,
                                                                user_sessions):
    response = owner_client.post("/account/password", data={"password-current_password": password,
                                                            "password-new_password": NEW_PASSWORD})

    assert response.status_code == 303
    assert response.headers["Location"] == "/account/"
    assert owner_client.get("/account/").status_code == 200
    logged_out = second_browser.get("/account/")
    assert logged_out.status_code == 302
    assert logged_out.headers["Location"].startswith("/account/login")
    assert len(user_sessions(owner)) == 1


def test_change_password_emails_a_notice(owner_client, owner, password, smtp_server):
    owner_client.post("/account/password", data={"password-current_password": password,
                                                 "password-new_password": NEW_PASSWORD})

    [notice] = smtp_server.wait(1)
    assert notice["To"] == "Olivia Owner <owner@example.com>"
    assert notice["Subject"] == "Your Revue password was changed"
    assert "your other sessions were logged out" in smtp_server.text(notice)
    assert NEW_PASSWORD not in notice.as_string()


def test_new_password_works_and_the_old_one_does_not(owner_client, owner, password, make_client):
    owner_client.post("/account/password", data={"password-current_password": password,
                                                 "password-new_password": NEW_PASSWORD})

    assert make_client().post("/account/login", data={"email": owner.email,
                                                      "password": NEW_PASSWORD}).status_code == 303
    assert make_client().post("/account/login", data={"email": owner.email,
                                                      "password": password}).status_code == 422


def test_change_password_needs_the_current_password(owner_client, second_browser, owner, outbox, field_error):
    response = owner_client.post("/account/password", data={"password-current_password": "a guess",
                                                            "password-new_password": NEW_PASSWORD})

    assert response.status_code == 422
    assert field_error(response, "password-current_password") == "Your current password is not right."
    assert second_browser.get("/account/").status_code == 200
    assert outbox(owner.email) == []


def test_weak_new_password_is_422_beside_the_new_password(owner_client, password, field_error):
    response = owner_client.post("/account/password", data={"password-current_password": password,
                                                            "password-new_password": "short"})
    assert response.status_code == 422
    assert field_error(response, "password-new_password") == "Use at least 8 characters."
    assert field_error(response, "password-current_password") is None


def test_password_change_cancels_reset_links_already_mailed(owner_client, owner, password, make_client, outbox,
                                                            links_in):
    make_client().post("/account/reset", data={"email": owner.email})
    [link] = links_in(outbox(owner.email)[-1].text_body, "/account/reset/")

    owner_client.post("/account/password", data={"password-current_password": password,
                                                 "password-new_password": NEW_PASSWORD})

    browser = make_client()
    browser.get(link)
    assert browser.get("/account/reset/new").status_code == 404


def test_email_change_cancels_reset_links_already_mailed(owner_client, owner, password, make_client, outbox,
                                                        links_in):
    make_client().post("/account/reset", data={"email": owner.email})
    [link] = links_in(outbox(owner.email)[-1].text_body, "/account/reset/")

    owner_client.post("/account/email", data={"email-email": "olivia@new.example",
                                              "email-current_password": password})

    browser = make_client()
    browser.get(link)
    assert browser.get("/account/reset/new").status_code == 404


def test_password_change_writes_an_activity_row(owner_client, owner, password, new_activity):
    with new_activity() as rows:
        owner_client.post("/account/password", data={"password-current_password": password,
                                                     "password-new_password": NEW_PASSWORD})
    assert [(r.action, r.actor_id, r.result) for r in rows] == [("password.changed", owner.id, "ok")]
