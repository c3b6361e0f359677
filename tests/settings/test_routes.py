"""Settings: workspace (name, colour, time zone, logo), brand.css, team members and invitations —
admins only (members 403, client contacts 404)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from revue.accounts.models import Invitation, Role, User, UserSession
from revue.db import db
from revue.mail import OutboxMessage
from revue.settings.models import Workspace

VALID = {"name": "Northwind Studio", "brand_color": "#0F766E", "timezone": "Europe/Berlin"}


def text(response) -> str:
    return response.get_data(as_text=True)


def image_bytes(fmt: str, size=(1200, 800), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **save)
    return out.getvalue()


def upload(data: bytes, name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name


@pytest.fixture
def as_owner(client, login, owner):
    login(client, owner)
    return client


def workspace() -> Workspace:
    db.session.rollback()
    return db.session.scalar(select(Workspace))


# -- workspace ----------------------------------------------------------------------------------


def test_workspace_form_saves(as_owner):
    page = as_owner.get("/settings/")
    assert page.status_code == 200 and "https://revue.example.com" in text(page)  # BASE_URL, read-only
    response = as_owner.post("/settings/", data=VALID)
    assert response.status_code == 303 and response.headers["Location"] == "/settings/"
    ws = workspace()
    assert (ws.name, ws.brand_color, ws.timezone) == ("Northwind Studio", "#0f766e", "Europe/Berlin")
    assert "Northwind Studio" in text(as_owner.get("/projects/"))


@pytest.mark.parametrize(("field", "value"), [("name", ""), ("name", "x" * 121),
                                              ("brand_color", "red"), ("brand_color", "#12345"),
                                              ("brand_color", "#123456; } body { display:none"),
                                              ("timezone", "Mars/Olympus")])
def test_workspace_form_invalid_is_422(as_owner, field, value):
    response = as_owner.post("/settings/", data={**VALID, field: value})
    assert response.status_code == 422
    assert f'id="{field}-error"' in text(response)
    assert workspace().name == "Studio Test"


def test_brand_css_is_public_and_uses_the_colour(as_owner, make_client):
    as_owner.post("/settings/", data=VALID)
    response = make_client().get("/settings/brand.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert text(response) == ":root { --brand: #0f766e; }\n"


@pytest.mark.parametrize(("fmt", "name"), [("PNG", "logo.png"), ("JPEG", "logo.jpg"), ("GIF", "logo.gif"),
                                           ("WEBP", "logo.webp")])
def test_logo_is_re_encoded_as_a_small_png(as_owner, make_client, fmt, name):
    response = as_owner.post("/settings/", data={**VALID, "logo": upload(image_bytes(fmt), name)},
                             content_type="multipart/form-data")
    assert response.status_code == 303, text(response)[:500]
    served = make_client().get("/settings/logo", buffered=True)  # emails show it: no login needed
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(served.get_data())) as logo:
        assert logo.format == "PNG"
        assert logo.width <= 600 and logo.height <= 200
    assert workspace().logo_mime == "image/png"


def test_logo_loses_its_metadata(as_owner):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    jpeg = image_bytes("JPEG", exif=exif.tobytes())
    assert b"SecretCam" in jpeg
    as_owner.post("/settings/", data={**VALID, "logo": upload(jpeg, "logo.jpg")}, content_type="multipart/form-data")
    assert b"SecretCam" not in as_owner.get("/settings/logo", buffered=True).get_data()


@pytest.mark.parametrize(("data", "name"), [
    (b"<html><script>alert(1)</script></html>", "logo.png"),
    (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "logo.png"),
    (image_bytes("PNG"), "logo.svg"),
    (image_bytes("BMP", (64, 64)), "logo.png"),  # small: a big upload spools to a temp file the test client leaks
])
def test_logo_that_is_not_an_allowed_image_is_refused(as_owner, data, name):
    response = as_owner.post("/settings/", data={**VALID, "logo": upload(data, name)},
                             content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'id="logo-error"' in text(response)
    ws = workspace()
    assert ws.logo_key is None and ws.name == "Studio Test"  # nothing of the form was saved


def test_logo_replace_and_remove(as_owner):
    as_owner.post("/settings/", data={**VALID, "logo": upload(image_bytes("PNG"), "a.png")},
                  content_type="multipart/form-data")
    first = workspace().logo_key
    as_owner.post("/settings/", data={**VALID, "logo": upload(image_bytes("PNG", (40, 40)), "b.png")},
                  content_type="multipart/form-data")
    second = workspace().logo_key
    assert first != second
    response = as_owner.post("/settings/", data={**VALID, "remove_logo": "y"})
    assert response.status_code == 303
    assert workspace().logo_key is None
    assert as_owner.get("/settings/logo").status_code == 404


def test_a_failed_save_keeps_the_old_logo(app, as_owner):
    as_owner.post("/settings/", data={**VALID, "logo": upload(image_bytes("PNG"), "a.png")},
                  content_type="multipart/form-data")
    before = as_owner.get("/settings/logo", buffered=True).get_data()
    from revue.settings import services

    set_logo = services.set_logo

    def set_logo_then_fail(*args, **kwargs):
        set_logo(*args, **kwargs)
        raise RuntimeError("the request fails before its commit")

    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
        mp.setattr(services, "set_logo", set_logo_then_fail)
        response = as_owner.post("/settings/", data={**VALID, "logo": upload(image_bytes("PNG", (40, 40)), "b.png")},
                                 content_type="multipart/form-data")
    assert response.status_code == 500
    served = as_owner.get("/settings/logo", buffered=True)
    assert served.status_code == 200 and served.get_data() == before


# -- members and invitations --------------------------------------------------------------------


def test_members_page_lists_the_team_not_the_contacts(as_owner, create_user, create_client_row):
    create_user("member", name="Mia Member")
    create_user("client", name="Carl Contact", client=create_client_row("Acme"))
    body = text(as_owner.get("/settings/members"))
    assert "Mia Member" in body and "Carl Contact" not in body


def test_invite_a_team_member(as_owner):
    response = as_owner.post("/settings/members", data={"name": "Nora", "email": "nora@example.com",
                                                         "role": "admin"})
    assert response.status_code == 303 and response.headers["Location"] == "/settings/members"
    invitation = db.session.scalar(select(Invitation))
    assert (invitation.email, invitation.role, invitation.client_id) == ("nora@example.com", Role.ADMIN, None)
    assert db.session.scalar(select(OutboxMessage.to_addr)) == "nora@example.com"
    assert "nora@example.com" in text(as_owner.get("/settings/members"))


@pytest.mark.parametrize(("data", "field"), [
    ({"name": "N", "email": "not-an-email", "role": "member"}, "email"),
    ({"name": "N", "email": "owner@example.com", "role": "member"}, "email"),  # already has an account
    ({"name": "N", "email": "n@example.com", "role": "client"}, "role"),
    ({"name": "N", "email": "n@example.com", "role": "superuser"}, "role"),
])
def test_invite_invalid_is_422(as_owner, data, field):
    response = as_owner.post("/settings/members", data=data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in text(response)
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_only_the_owner_invites_owners(client, login, create_user):
    login(client, create_user("admin"))
    response = client.post("/settings/members", data={"name": "N", "email": "n@example.com", "role": "owner"})
    assert response.status_code == 422 and "Only the owner" in text(response)
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_change_role(as_owner, create_user, create_client_row):
    member = create_user("member")
    response = as_owner.post(f"/settings/members/{member.id}/role", data={"role": "admin"})
    assert response.status_code == 303 and response.headers["Location"] == "/settings/members"
    db.session.refresh(member)
    assert member.role == Role.ADMIN
    assert as_owner.post(f"/settings/members/{member.id}/role", data={"role": "client"}).status_code == 422
    assert as_owner.post(f"/settings/members/{member.id}/role", data={"role": "god"}).status_code == 422
    contact = create_user("client", client=create_client_row("Acme"))
    assert as_owner.post(f"/settings/members/{contact.id}/role", data={"role": "member"}).status_code == 409
    assert as_owner.post("/settings/members/424242/role", data={"role": "member"}).status_code == 404
    db.session.refresh(contact)
    assert contact.role == Role.CLIENT


def test_admins_cannot_touch_the_owner(client, login, owner, create_user):
    login(client, create_user("admin"))
    assert client.post(f"/settings/members/{owner.id}/role", data={"role": "member"}).status_code == 403
    assert client.post(f"/settings/members/{owner.id}/active", data={"active": "0"}).status_code == 403
    db.session.refresh(owner)
    assert owner.role == Role.OWNER and owner.active


def test_deactivate_logs_the_person_out_and_reactivate(as_owner, make_client, login, create_user):
    member = create_user("member")
    browser = make_client()
    login(browser, member)
    assert browser.get("/projects/").status_code == 200
    response = as_owner.post(f"/settings/members/{member.id}/active", data={"active": "0"})
    assert response.status_code == 303 and response.headers["Location"] == "/settings/members"
    assert db.session.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == member.id)) == 0
    assert browser.get("/projects/").status_code == 302
    assert as_owner.post(f"/settings/members/{member.id}/active", data={"active": "1"}).status_code == 303
    db.session.refresh(member)
    assert member.active


def test_deactivate_a_contact_returns_to_the_client(as_owner, create_user, create_client_row):
    acme = create_client_row("Acme")
    contact = create_user("client", client=acme)
    response = as_owner.post(f"/settings/members/{contact.id}/active", data={"active": "0", "back": "client"})
    assert response.status_code == 303 and response.headers["Location"] == f"/clients/{acme.id}"


def test_nobody_deactivates_themselves(as_owner, owner):
    assert as_owner.post(f"/settings/members/{owner.id}/active", data={"active": "0"}).status_code == 409
    db.session.refresh(owner)
    assert owner.active


def test_resend_and_revoke_an_invitation(as_owner):
    as_owner.post("/settings/members", data={"name": "Nora", "email": "nora@example.com", "role": "member"})
    invitation = db.session.scalar(select(Invitation))
    old_hash = invitation.token_hash
    response = as_owner.post(f"/settings/invitations/{invitation.id}/resend")
    assert response.status_code == 303 and response.headers["Location"] == "/settings/members"
    db.session.refresh(invitation)
    assert invitation.token_hash != old_hash  # the old link stops working
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2
    assert as_owner.post(f"/settings/invitations/{invitation.id}/revoke").status_code == 303
    db.session.refresh(invitation)
    assert invitation.revoked_at is not None
    assert "nora@example.com · Member" not in text(as_owner.get("/settings/members"))
    assert as_owner.post("/settings/invitations/424242/revoke").status_code == 404
    assert as_owner.post(f"/settings/invitations/{invitation.id}/delete").status_code == 404


def test_contact_invitation_actions_return_to_the_client(as_owner, create_client_row):
    acme = create_client_row("Acme")
    as_owner.post(f"/clients/{acme.id}/contacts", data={"name": "Dana", "email": "dana@acme.example"})
    invitation = db.session.scalar(select(Invitation))
    response = as_owner.post(f"/settings/invitations/{invitation.id}/revoke")
    assert response.status_code == 303 and response.headers["Location"] == f"/clients/{acme.id}"


# -- outsiders -------------------------------------------------------------------------------------

ADMIN_PAGES = [("GET", "/settings/"), ("POST", "/settings/"), ("GET", "/settings/members"),
               ("POST", "/settings/members"), ("POST", "/settings/members/{user}/role"),
               ("POST", "/settings/members/{user}/active"), ("POST", "/settings/invitations/{invitation}/revoke"),
               ("POST", "/settings/invitations/{invitation}/resend"), ("GET", "/settings/outbox")]


@pytest.mark.parametrize(("role", "status"), [("member", 403), ("client", 404)])
def test_non_admins_are_kept_out(client, login, owner, create_user, create_client_row, role, status):
    from revue.accounts import services as accounts

    invitation = accounts.invite(owner, "nora@example.com", Role.MEMBER, name="Nora")
    target = create_user("member")
    db.session.commit()
    person = create_user(role, client=create_client_row("Acme") if role == "client" else None)
    login(client, person)
    for method, url in ADMIN_PAGES:
        url = url.format(user=target.id, invitation=invitation.id)
        response = client.open(url, method=method, data={**VALID, "role": "owner", "active": "0",
                                                         "email": "x@example.com"})
        assert response.status_code == status, (method, url)
    assert workspace().name == "Studio Test"
    db.session.refresh(target)
    assert target.active and target.role == Role.MEMBER
    assert db.session.scalar(select(Invitation.revoked_at)) is None
    assert db.session.scalar(select(func.count(User.id)).where(User.role == Role.OWNER)) == 1
    body = text(client.get("/projects/"))
    assert "/settings/" not in body.replace("/settings/brand.css", "").replace("/settings/logo", "")
