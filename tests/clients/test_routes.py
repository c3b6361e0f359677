"""Clients: list, create, show, edit, archive, invite a contact — and who may not (D6)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from revue.accounts.models import Invitation, Role
from revue.clients.models import Client
from revue.db import db, utcnow
from revue.mail import OutboxMessage


@pytest.fixture
def acme(create_client_row):
    return create_client_row("Acme")


@pytest.fixture
def as_owner(client, login, owner):
    login(client, owner)
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def test_index_lists_clients_with_contact_counts(as_owner, acme, create_client_row, create_user):
    create_user("client", client=acme)
    create_user("client", client=acme)
    create_user("client", client=acme, active=False)
    gone = create_client_row("Gone Ltd")
    gone.archived_at = utcnow()
    db.session.commit()
    page = as_owner.get("/clients/")
    assert page.status_code == 200
    body = text(page)
    assert "Acme" in body and '<td class="num">2</td>' in body
    assert "Gone Ltd" not in body
    assert "Gone Ltd" in text(as_owner.get("/clients/?archived=1"))


def test_create_redirects_to_the_new_client(as_owner):
    assert as_owner.get("/clients/new").status_code == 200
    response = as_owner.post("/clients/new", data={"name": "  Initech  ", "website": "https://initech.example",
                                                    "notes": "Pays late"})
    assert response.status_code == 303
    created = db.session.scalar(select(Client))
    assert response.headers["Location"] == f"/clients/{created.id}"
    assert (created.name, created.website, created.notes) == ("Initech", "https://initech.example", "Pays late")
    assert "Initech" in text(as_owner.get(response.headers["Location"]))


def test_create_with_htmx_answers_hx_location(as_owner):
    response = as_owner.post("/clients/new", data={"name": "Initech"}, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Location"].startswith("/clients/")


@pytest.mark.parametrize(("data", "field"), [
    ({"name": ""}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"name": "ACME"}, "name"),  # already taken, whatever the case
    ({"name": "Ok", "website": "not a web address"}, "website"),
    ({"name": "Ok", "notes": "x" * 5001}, "notes"),
])
def test_create_invalid_is_422_with_the_error_beside_the_field(as_owner, acme, data, field):
    response = as_owner.post("/clients/new", data=data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in text(response)
    assert db.session.scalar(select(func.count(Client.id))) == 1


def test_show_and_edit(as_owner, acme, create_client_row):
    create_client_row("Globex")
    assert as_owner.get(f"/clients/{acme.id}").status_code == 200
    assert "Acme" in text(as_owner.get(f"/clients/{acme.id}/edit"))
    response = as_owner.post(f"/clients/{acme.id}/edit", data={"name": "Acme Corp", "website": "", "notes": "n"})
    assert response.status_code == 303 and response.headers["Location"] == f"/clients/{acme.id}"
    db.session.refresh(acme)
    assert acme.name == "Acme Corp" and acme.notes == "n"
    clash = as_owner.post(f"/clients/{acme.id}/edit", data={"name": "globex"})
    assert clash.status_code == 422 and "already a client" in text(clash)
    assert as_owner.get("/clients/424242").status_code == 404
    assert as_owner.get("/clients/424242/edit").status_code == 404


def test_archive_and_restore(as_owner, acme):
    response = as_owner.post(f"/clients/{acme.id}/archive", data={"archived": "1"})
    assert response.status_code == 303 and response.headers["Location"] == f"/clients/{acme.id}"
    db.session.refresh(acme)
    assert acme.archived
    assert as_owner.post(f"/clients/{acme.id}/archive", data={"archived": "0"}).status_code == 303
    db.session.refresh(acme)
    assert not acme.archived


def test_invite_a_contact(as_owner, acme):
    response = as_owner.post(f"/clients/{acme.id}/contacts", data={"name": "Dana", "email": "Dana@Acme.example"})
    assert response.status_code == 303 and response.headers["Location"] == f"/clients/{acme.id}"
    invitation = db.session.scalar(select(Invitation))
    assert (invitation.email, invitation.role, invitation.client_id) == ("dana@acme.example", Role.CLIENT, acme.id)
    assert db.session.scalar(select(OutboxMessage.to_addr)) == "dana@acme.example"
    page = text(as_owner.get(f"/clients/{acme.id}"))
    assert "dana@acme.example" in page
    assert "is waiting to be emailed" in page and "Settings → Outbox" in page  # no mail server here
    assert "Invitation sent" not in page


def test_invite_a_contact_invalid_or_taken(as_owner, acme, owner):
    bad = as_owner.post(f"/clients/{acme.id}/contacts", data={"name": "Dana", "email": "not-an-email"})
    assert bad.status_code == 422 and 'id="email-error"' in text(bad)
    taken = as_owner.post(f"/clients/{acme.id}/contacts", data={"name": "Me", "email": owner.email})
    assert taken.status_code == 422 and "already has an account" in text(taken)
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_no_invitations_for_an_archived_client(as_owner, acme):
    as_owner.post(f"/clients/{acme.id}/archive", data={"archived": "1"})
    response = as_owner.post(f"/clients/{acme.id}/contacts", data={"name": "Dana", "email": "dana@acme.example"})
    assert response.status_code == 409
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


# -- outsiders --------------------------------------------------------------------------------


def test_members_work_with_clients_but_cannot_archive(client, login, create_user, acme):
    login(client, create_user("member"))
    assert client.get("/clients/").status_code == 200
    assert client.get(f"/clients/{acme.id}").status_code == 200
    assert client.post(f"/clients/{acme.id}/archive", data={"archived": "1"}).status_code == 403
    db.session.refresh(acme)
    assert not acme.archived
    assert client.post(f"/clients/{acme.id}/contacts",
                       data={"name": "Dana", "email": "dana@acme.example"}).status_code == 303


def test_client_contacts_get_404_on_every_client_page(client, login, create_user, acme, create_client_row):
    other = create_client_row("Globex")
    login(client, create_user("client", client=acme))
    for target in (acme, other):
        for method, url in (("GET", "/clients/"), ("GET", "/clients/new"), ("POST", "/clients/new"),
                            ("GET", f"/clients/{target.id}"), ("GET", f"/clients/{target.id}/edit"),
                            ("POST", f"/clients/{target.id}/edit"), ("POST", f"/clients/{target.id}/archive"),
                            ("POST", f"/clients/{target.id}/contacts")):
            response = client.open(url, method=method, data={"name": "Hacked", "email": "x@example.com"})
            assert response.status_code == 404, (method, url)
    assert db.session.scalar(select(Client.name).where(Client.id == acme.id)) == "Acme"
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_anonymous_is_sent_to_log_in(client, acme):
    for url in ("/clients/", f"/clients/{acme.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert client.post(f"/clients/{acme.id}/archive").status_code == 302


@pytest.mark.parametrize(("typed", "saved"), [("acmecoffee.example", "https://acmecoffee.example"),
                                              ("  www.acmecoffee.example/shop ", "https://www.acmecoffee.example/shop"),
                                              ("http://acmecoffee.example", "http://acmecoffee.example")])
def test_a_website_without_https_is_accepted(as_owner, typed, saved):
    assert as_owner.get("/clients/new").status_code == 200
    assert 'type="url"' not in text(as_owner.get("/clients/new")), "the browser would refuse a bare domain"
    response = as_owner.post("/clients/new", data={"name": "Acme Coffee", "website": typed})
    assert response.status_code == 303
    assert db.session.scalar(select(Client.website)) == saved


@pytest.mark.parametrize("typed", ["javascript:alert(1)", "ftp://acmecoffee.example", "acme coffee"])
def test_a_website_that_is_no_web_address_is_still_refused(as_owner, typed):
    response = as_owner.post("/clients/new", data={"name": "Acme Coffee", "website": typed})
    assert response.status_code == 422 and 'id="website-error"' in text(response)


def test_a_client_without_projects_offers_to_start_one(client, login, owner, create_client_row):
    beta = create_client_row("Beta Bakery")
    login(client, owner)
    page = client.get(f"/projects/?client={beta.id}").get_data(as_text=True)
    assert "No projects for Beta Bakery yet" in page and "No projects match" not in page
    assert f"/projects/new?client={beta.id}" in page
    filtered = client.get(f"/projects/?client={beta.id}&q=poster").get_data(as_text=True)
    assert "No projects match" in filtered
