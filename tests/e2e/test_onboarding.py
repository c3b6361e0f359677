"""Acceptance test of the foundation: a fresh install to a team member who sees their project.

Everything happens in headless Chromium through the UI; the invitation travels through a real
SMTP server and its link is opened in a second browser with its own cookies.
"""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect

from revue.accounts.models import Role, User
from revue.db import db
from revue.mail import OutboxMessage

OWNER = {"agency": "Lumen Studio", "name": "Ada Owner", "email": "ada@lumen.example",
         "password": "a long owner passphrase 2026"}
MEMBER = {"name": "Ben Member", "email": "ben@lumen.example", "password": "bens own good passphrase"}


def test_fresh_install_to_member_seeing_their_project(page, live_server, smtp_server, new_watched_context, app,
                                                     browser_errors):
    # A fresh install sends everyone to the one-time setup page.
    page.goto(live_server("/"))
    expect(page).to_have_url(live_server("/account/setup"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up Revue")
    page.get_by_label("Agency name").fill(OWNER["agency"])
    page.get_by_label("Your name").fill(OWNER["name"])
    page.get_by_label("Your email").fill(OWNER["email"])
    page.get_by_label("Password").fill(OWNER["password"])
    page.get_by_role("button", name="Create workspace").click()

    # The owner is logged in and guided to add a client.
    expect(page).to_have_url(live_server("/clients/"))
    expect(page.get_by_role("status").filter(has_text="Welcome to Revue")).to_be_visible()
    expect(page.get_by_role("link", name=OWNER["agency"])).to_be_visible()

    # Log out (user menu) and back in.
    page.get_by_label(f"Account menu for {OWNER['name']}").click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(live_server("/account/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Log in to {OWNER['agency']}")
    gone = page.goto(live_server("/account/setup"))  # the setup page is gone once an account exists
    assert gone.status == 404
    assert all("404" in e for e in browser_errors.take())  # Chromium logs the 404 it was sent to
    page.goto(live_server("/account/login"))
    page.get_by_label("Email").fill(OWNER["email"])
    page.get_by_label("Password", exact=True).fill(OWNER["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server("/projects/"))
    expect(page.get_by_role("heading", name="No projects yet")).to_be_visible()

    # A client …
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="New client").click()
    page.get_by_label("Client name").fill("Orbit Coffee")
    page.get_by_label("Website").fill("https://orbit-coffee.example")
    page.get_by_role("button", name="Add client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Orbit Coffee")

    # … and a project for it, started from the client's page (the client is preselected).
    page.get_by_role("link", name="New project").click()
    expect(page.get_by_label("Client")).to_have_value(str(_id_of_client("Orbit Coffee", app)))
    page.get_by_label("Project name").fill("Autumn blend launch")
    due = date.today() + timedelta(days=30)
    page.get_by_label("Due date").fill(due.isoformat())
    page.get_by_label("Brief").fill("Packaging and **launch** posters.")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Autumn blend launch")
    expect(page.locator(".brief strong")).to_have_text("launch")
    project_url = page.url

    # Invite a team member: Settings → Team.
    nav.get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Team").click()
    invite = page.locator("form", has=page.get_by_role("button", name="Send invitation"))
    invite.get_by_label("Name").fill(MEMBER["name"])
    invite.get_by_label("Email").fill(MEMBER["email"])
    invite.get_by_label("Role").select_option(Role.MEMBER.value)
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status").filter(has_text=f"Invitation sent to {MEMBER['email']}")).to_be_visible()
    expect(page.locator(".people li", has_text=MEMBER["email"])).to_contain_text("Invited")

    # The invitation arrives at the SMTP server, with a link straight to this server.
    smtp_server.wait(1)
    [mail] = smtp_server.to(MEMBER["email"])
    assert OWNER["agency"] in smtp_server.text(mail)
    links = [link for link in smtp_server.links(mail) if "/account/invite/" in link]
    assert len(links) == 1, smtp_server.text(mail)
    assert links[0].startswith(live_server.url + "/account/invite/")

    # The member opens it in their own browser, chooses a name and a password.
    member_page = new_watched_context().new_page()
    member_page.goto(links[0])
    expect(member_page).to_have_url(live_server("/account/invite/accept"))  # the token left the address bar
    expect(member_page.get_by_role("heading", level=1)).to_have_text(f"Join {OWNER['agency']}")
    expect(member_page.get_by_text(MEMBER["email"])).to_be_visible()
    expect(member_page.get_by_label("Your name")).to_have_value(MEMBER["name"])
    member_page.get_by_label("Your name").fill(MEMBER["name"])
    member_page.get_by_label("Choose a password").fill(MEMBER["password"])
    member_page.get_by_role("button", name="Create my account").click()
    expect(member_page.get_by_role("status").filter(has_text=f"Welcome, {MEMBER['name']}")).to_be_visible()
    expect(member_page.get_by_role("link", name="Autumn blend launch")).to_have_count(0)

    # The owner adds the member to the project …
    page.goto(project_url)
    team = page.locator("section", has=page.get_by_role("heading", name="Team"))
    team.get_by_label("Team member").select_option(label=MEMBER["name"])
    team.get_by_role("button", name="Add to project").click()
    expect(page.get_by_role("status").filter(has_text=f"{MEMBER['name']} added to the project")).to_be_visible()
    expect(team.locator(".people")).to_contain_text(MEMBER["name"])

    # … and the member sees it in their list and can open it.
    member_page.reload()
    card = member_page.get_by_role("link", name="Autumn blend launch")
    expect(card).to_contain_text("Orbit Coffee")
    expect(card).to_contain_text("2 members")  # the owner joined the project they started
    card.click()
    expect(member_page.get_by_role("heading", level=1)).to_have_text("Autumn blend launch")
    # A member sees the Settings of nobody.
    expect(member_page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings")).to_have_count(0)

    # The owner's outbox records the invitation as sent.
    page.goto(live_server("/settings/outbox"))
    expect(page.get_by_role("row", name=MEMBER["email"])).to_contain_text("Sent")

    with app.app_context():
        member = db.session.scalar(db.select(User).where(User.email == MEMBER["email"]))
        assert member is not None and member.role == Role.MEMBER and member.password_hash
        [sent] = db.session.scalars(db.select(OutboxMessage)).all()
        assert (sent.to_addr, sent.status) == (MEMBER["email"], "sent")
        db.session.remove()


def _id_of_client(name: str, app) -> int:
    from revue.clients.models import Client

    with app.app_context():
        client_id = db.session.scalar(db.select(Client.id).where(Client.name == name))
        db.session.remove()
    return client_id
