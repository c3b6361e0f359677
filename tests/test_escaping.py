"""SECURITY G4: whatever a user types renders escaped and inert, on every page that shows it.

Texts are entered through the real forms. Then every GET route of ``app.url_map`` is read as
the owner, a member and a client contact; no page may contain the raw payload, an element or
attribute made from it, or a ``javascript:`` link.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape
from sqlalchemy import select
from test_routes_csrf import RULES, build_url, rule_id

from revue.db import db

ATTACK = '<img src=x onerror=alert(1)> hx-get="/x" {{ 7*7 }}'
READ_RULES = [r for r in RULES if r.methods and "GET" in r.methods]
BAD_SCHEMES = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)


def payload(label: str) -> str:
    return f"{label} {ATTACK}"


class Inspector(HTMLParser):
    """Finds elements and attributes that a payload would have produced if it escaped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name.startswith(("hx-", "data-hx-")) and value == "/x":
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "hx-get", "hx-post") and BAD_SCHEMES.match(value):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.problems.append("<img src=x>")


def page_problems(body: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(body)
    problems = inspector.problems
    if "<img src=x" in body:
        problems.append("raw <img src=x …>")
    if any(str(escape(payload(label))).replace("{{ 7*7 }}", "49") in body for label in LABELS):
        problems.append("{{ 7*7 }} was evaluated")
    return problems


LABELS = ["client-name", "client-notes", "project-name", "workspace-name", "user-name", "user-title",
          "team-invitee", "contact-invitee", "contact-name"]
WEBSITE = 'https://acme.example/"><img src=x onerror=alert(1)> hx-get="/x" {{ 7*7 }}'


@pytest.fixture
def typed(client, login, owner, create_user):
    """Every text field of the foundation, filled in by hand through its form."""
    from revue.accounts.models import Invitation
    from revue.clients.models import Client
    from revue.mail import OutboxMessage
    from revue.projects.models import Project

    login(client, owner)

    def post(url, data, expect=303):
        response = client.post(url, data=data)
        assert response.status_code == expect, (url, response.status_code, response.get_data(as_text=True)[:800])
        return response

    post("/settings/", {"name": payload("workspace-name"), "brand_color": "#123456", "timezone": "UTC"})
    post("/account/", {"profile-name": payload("user-name"), "profile-title": payload("user-title")})
    post("/clients/new", {"name": payload("client-name"), "website": WEBSITE, "notes": payload("client-notes")})
    acme = db.session.scalar(select(Client))
    post("/projects/new", {"name": payload("project-name"), "client_id": acme.id, "due_date": "",
                           "brief": "**Brief** [click](javascript:alert(1)) [b](JaVaScRiPt:alert(2)) "
                                    "[c](&#106;avascript:alert(3)) <javascript:alert(4)> [d](data:text/html,x) "
                                    "<a href=\"javascript:alert(5)\">e</a> <script>alert(6)</script> "
                                    + ATTACK})
    project = db.session.scalar(select(Project))
    member = create_user("member", name="Mia Member")
    post(f"/projects/{project.id}/members", {"user_id": member.id})
    post("/settings/members", {"name": payload("team-invitee"), "email": "team@example.com", "role": "member"})
    post(f"/clients/{acme.id}/contacts", {"name": payload("contact-invitee"), "email": "contact@example.com"})
    contact = create_user("client", name=payload("contact-name"), client=acme)
    db.session.rollback()
    return {
        "owner": owner, "member": member, "contact": contact,
        "ids": {"project_id": project.id, "client_id": acme.id, "user_id": member.id,
                "invitation_id": db.session.scalar(select(Invitation.id).order_by(Invitation.id)),
                "message_id": db.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id))},
    }


def test_the_texts_were_stored_unchanged(typed):
    from revue.clients.models import Client

    acme = db.session.scalar(select(Client))
    assert acme.name == payload("client-name") and acme.website == WEBSITE


@pytest.mark.parametrize("who", ["owner", "member", "contact"])
def test_no_page_lets_a_payload_through(client, make_client, login, typed, who):
    reader = client if who == "owner" else make_client()
    if who != "owner":
        login(reader, typed[who])
    problems, seen = [], set()
    for rule in READ_RULES:
        url = build_url(rule, typed["ids"])
        for headers in ({}, {"HX-Request": "true"}):
            response = reader.get(url, headers=headers, buffered=True)
            if response.mimetype != "text/html":
                continue
            body = response.get_data(as_text=True)
            problems += [f"{url} ({rule_id(rule)}): {p}" for p in page_problems(body)]
            seen |= {label for label in LABELS if str(escape(payload(label))) in body}
    assert not problems, "\n".join(problems)
    expected = {
        "owner": set(LABELS),
        "member": {"project-name", "client-name", "workspace-name", "user-name", "client-notes"},
        "contact": {"project-name", "client-name", "workspace-name", "contact-name"},
    }[who]
    assert expected <= seen, f"never shown escaped: {expected - seen}"


def test_brief_markdown_keeps_no_script_link(client, login, typed):
    response = client.get(f"/projects/{typed['ids']['project_id']}")
    body = response.get_data(as_text=True)
    brief = body[body.index('class="brief"'):]
    brief = brief[:brief.index("</div>")]
    assert "<strong>Brief</strong>" in brief
    links = re.findall(r"<a\s[^>]*>", brief)
    assert links == [], links  # none of the crafted links survives as a link
    assert "<script" not in brief and "&lt;script&gt;" in brief
    assert page_problems(body) == []


def test_client_website_is_only_ever_a_web_link(client, login, owner):
    login(client, owner)
    for website in ("javascript:alert(1)", "javascript://x/%0aalert(1)", "data://x/text/html,x",
                    "ftp://example.com/x"):
        response = client.post("/clients/new", data={"name": f"Client {website}", "website": website})
        assert response.status_code == 422, website


def test_emails_escape_what_users_typed(client, login, typed):
    from revue.mail import OutboxMessage

    messages = db.session.scalars(select(OutboxMessage)).all()
    assert messages
    for message in messages:
        assert page_problems(message.html_body) == [], message.subject
        assert "\n" not in message.subject and "\r" not in message.subject
    invitation = next(m for m in messages if m.to_addr == "contact@example.com")
    assert str(escape(payload("user-name"))) in invitation.html_body
    assert payload("user-name") in invitation.text_body  # plain text needs no escaping


@pytest.mark.parametrize("field", ["name", "website", "notes"])
def test_invalid_client_form_echoes_input_escaped(client, login, owner, field):
    login(client, owner)
    data = {"name": "", "website": "", "notes": ""}  # no name: invalid
    data[field] = ATTACK
    if field == "name":
        data["website"] = "not a web address"
    response = client.post("/clients/new", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert page_problems(body) == []
    assert str(escape(ATTACK)) in body
