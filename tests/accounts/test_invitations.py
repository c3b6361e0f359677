"""Invitations end to end (team members and client contacts), roles, and their audit rows (H1)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from revue.accounts.models import Invitation, Role, User
from revue.db import db

CHOSEN_PASSWORD = "a fresh and private passphrase"


@pytest.fixture
def invite_member(owner_client):
    """``invite_member(email, role="member")``: the owner invites through Settings → Team."""

    def invite(email: str = "nina@example.com", role: str = "member", name: str = "Nina New"):
        return owner_client.post("/settings/members", data={"name": name, "email": email, "role": role})

    return invite


@pytest.fixture
def invitation_link(invite_member, smtp_server, links_in):
    """The path of the link in the invitation email Nina receives."""
    invite_member()
    [message] = smtp_server.wait(1)
    [link] = links_in(smtp_server.text(message), "/account/invite/")
    return link


@pytest.fixture
def invitation(invitation_link, app_ctx):
    row = db.session.scalar(select(Invitation))
    db.session.commit()
    return row


@pytest.fixture
def user_by_email(app_ctx):
    def find(email: str) -> User | None:
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.commit()
        return user

    return find


def test_inviting_a_member_sends_an_email(invite_member, smtp_server, links_in):
    response = invite_member()

    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/members"
    [message] = smtp_server.wait(1)
    assert message["To"] == "Nina New <nina@example.com>"
    assert message["Subject"] == "Olivia Owner invited you to Studio Test"
    body = smtp_server.text(message)
    assert "Olivia Owner invited you to join Studio Test on Revue as member." in body
    assert len(links_in(body, "/account/invite/")) == 1  # on the configured base URL (E8)


def test_invitation_link_lands_on_a_url_without_the_token(make_client, invitation_link):
    browser = make_client()
    token = invitation_link.rsplit("/", 1)[1]

    landing = browser.get(invitation_link)

    assert landing.status_code == 303
    assert landing.headers["Location"] == "/account/invite/accept"
    page = browser.get("/account/invite/accept")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert token not in text
    assert "Olivia Owner invited you" in text and "nina@example.com" in text
    assert 'value="Nina New"' in text  # the name the inviter typed, ready to confirm


def test_accepting_creates_the_account_and_logs_in(make_client, invitation_link, user_by_email):
    browser = make_client()
    browser.get(invitation_link)

    response = browser.post("/account/invite/accept", data={"name": "Nina Newton", "password": CHOSEN_PASSWORD})

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    nina = user_by_email("nina@example.com")
    assert (nina.name, nina.role, nina.client_id) == ("Nina Newton", Role.MEMBER, None)
    assert browser.get("/account/").status_code == 200
    assert make_client().post("/account/login", data={"email": "nina@example.com",
                                                      "password": CHOSEN_PASSWORD}).status_code == 303


def test_invalid_acceptance_is_422_beside_the_fields(make_client, invitation_link, user_by_email, field_error):
    browser = make_client()
    browser.get(invitation_link)

    response = browser.post("/account/invite/accept", data={"name": "", "password": "short"})

    assert response.status_code == 422
    assert field_error(response, "name") == "This field is required."
    assert field_error(response, "password") == "Use at least 8 characters."
    assert user_by_email("nina@example.com") is None


def test_invitation_cannot_be_used_twice(make_client, invitation_link):
    first = make_client()
    first.get(invitation_link)
    first.post("/account/invite/accept", data={"name": "Nina", "password": CHOSEN_PASSWORD})

    second = make_client()
    assert second.get(invitation_link).status_code == 303
    page = second.get("/account/invite/accept")
    assert page.status_code == 404
    assert "This link is no longer valid" in page.get_data(as_text=True)
    assert second.post("/account/invite/accept", data={"name": "Mallory",
                                                       "password": "mallory's own passphrase"}).status_code == 404


def test_expired_invitation_is_no_longer_valid(make_client, invitation_link, clock):
    clock.advance(days=14, seconds=1)
    browser = make_client()
    browser.get(invitation_link)
    response = browser.get("/account/invite/accept")
    assert response.status_code == 404
    assert "This link is no longer valid" in response.get_data(as_text=True)


def test_revoked_invitation_is_no_longer_valid(owner_client, make_client, invitation_link, invitation):
    response = owner_client.post(f"/settings/invitations/{invitation.id}/revoke")
    assert response.status_code == 303

    browser = make_client()
    browser.get(invitation_link)
    assert browser.get("/account/invite/accept").status_code == 404


def test_resent_invitation_replaces_the_old_link(owner_client, make_client, invitation_link, invitation,
                                                 smtp_server, links_in):
    owner_client.post(f"/settings/invitations/{invitation.id}/resend")
    [new_link] = links_in(smtp_server.text(smtp_server.wait(2)[1]), "/account/invite/")

    old, new = make_client(), make_client()
    old.get(invitation_link)
    new.get(new_link)
    assert old.get("/account/invite/accept").status_code == 404
    assert new.get("/account/invite/accept").status_code == 200


def test_unknown_token_gets_the_same_page_as_a_used_one(make_client, owner, page_without):
    unknown, never = make_client(), make_client()
    unknown.get("/account/invite/made-up-token")
    first, second = unknown.get("/account/invite/accept"), never.get("/account/invite/accept")
    assert first.status_code == second.status_code == 404
    assert page_without(first) == page_without(second)


def test_only_the_hash_of_the_invitation_token_is_stored(invitation_link, invitation):
    token = invitation_link.rsplit("/", 1)[1]
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64


def test_invitation_for_an_email_that_has_an_account_is_refused(invite_member, member, field_error):
    response = invite_member(email=member.email)
    assert response.status_code == 422
    assert field_error(response, "email") == "Someone with that email address already has an account."


def test_members_cannot_invite_team_members(member_client, app_ctx):
    response = member_client.post("/settings/members", data={"name": "X", "email": "x@example.com",
                                                             "role": "member"})
    assert response.status_code == 403
    assert db.session.scalar(select(Invitation)) is None


# -- client contacts --------------------------------------------------------------------


def test_client_contact_invitation_binds_the_account_to_the_client(owner_client, make_client, create_client_row,
                                                                   smtp_server, links_in, user_by_email):
    acme = create_client_row("Acme")
    response = owner_client.post(f"/clients/{acme.id}/contacts", data={"name": "Carl Client",
                                                                       "email": "carl@acme.example"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/clients/{acme.id}"
    [message] = smtp_server.wait(1)
    assert "invited you to review and approve work for Acme" in smtp_server.text(message)

    carl_browser = make_client()
    carl_browser.get(links_in(smtp_server.text(message), "/account/invite/")[0])
    accepted = carl_browser.post("/account/invite/accept", data={"name": "Carl Client",
                                                                 "password": CHOSEN_PASSWORD})

    assert accepted.status_code == 303
    carl = user_by_email("carl@acme.example")
    assert (carl.role, carl.client_id) == (Role.CLIENT, acme.id)
    assert carl_browser.get("/clients/").status_code == 404  # agency pages stay closed to contacts


def test_members_may_invite_client_contacts(member_client, create_client_row, app_ctx):
    acme = create_client_row("Acme")
    response = member_client.post(f"/clients/{acme.id}/contacts", data={"name": "Carl", "email": "carl@acme.example"})
    assert response.status_code == 303
    invitation = db.session.scalar(select(Invitation))
    assert (invitation.role, invitation.client_id) == (Role.CLIENT, acme.id)


def test_client_contacts_cannot_invite_anyone(make_client, create_user, create_client_row, login, app_ctx):
    acme = create_client_row("Acme")
    contact = create_user("client", client=acme)
    browser = make_client()
    login(browser, contact)

    response = browser.post(f"/clients/{acme.id}/contacts", data={"name": "Eve", "email": "eve@example.com"})

    assert response.status_code == 404
    assert db.session.scalar(select(Invitation)) is None


# -- H1: one audit row for an invitation, one for a role change -----------------------------


def test_invitation_writes_one_activity_row(invite_member, owner, new_activity):
    with new_activity() as rows:
        invite_member()

    assert [(r.action, r.actor_id, r.actor_label, r.ip, r.result, r.subject_type) for r in rows] == [
        ("invitation.created", owner.id, "owner@example.com", "127.0.0.1", "ok", "invitation")]
    assert rows[0].data == {"email": "nina@example.com", "role": "member"}


def test_role_change_writes_one_activity_row(owner_client, owner, member, new_activity):
    with new_activity() as rows:
        response = owner_client.post(f"/settings/members/{member.id}/role", data={"role": "admin"},
                                     environ_base={"REMOTE_ADDR": "203.0.113.4"})

    assert response.status_code == 303
    assert [(r.action, r.actor_id, r.subject_id, r.ip, r.result) for r in rows] == [
        ("user.role_changed", owner.id, member.id, "203.0.113.4", "ok")]
    assert rows[0].data == {"old": "member", "new": "admin"}
    db.session.refresh(member)
    assert member.role == Role.ADMIN


def test_admin_cannot_make_an_owner(make_client, create_user, member, login, new_activity):
    admin = create_user("admin", email="ada@example.com")
    browser = make_client()
    login(browser, admin)

    with new_activity() as rows:
        response = browser.post(f"/settings/members/{member.id}/role", data={"role": "owner"})

    assert response.status_code == 403
    assert "user.role_changed" not in [r.action for r in rows]
    db.session.refresh(member)
    assert member.role == Role.MEMBER
