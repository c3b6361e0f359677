"""Fixtures for the viewer, comment and search tests.

``client``/``make_client`` run every request in its own application context (as in production),
after the test's own transaction is committed — see tests/accounts/conftest.py for why.
People: ``member`` and ``teammate`` are on ``project``; ``outsider`` is a member who is not;
``contact`` is a contact of the project's client, ``stranger`` a contact of another client.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from revue.db import db

from . import factories


@pytest.fixture
def member(create_user):
    return create_user("member", name="Mia Member", email="mia@example.com")


@pytest.fixture
def teammate(create_user):
    return create_user("member", name="Theo Teammate", email="theo@example.com")


@pytest.fixture
def outsider(create_user):
    return create_user("member", name="Otto Outsider", email="otto@example.com")


@pytest.fixture
def project(create_project, member, teammate):
    return create_project(name="Launch", members=[member, teammate])


@pytest.fixture
def contact(create_user, project):
    return create_user("client", name="Cleo Client", email="cleo@client.example", client=project.client)


@pytest.fixture
def stranger(create_user, create_client_row):
    return create_user("client", name="Sam Stranger", email="sam@other.example", client=create_client_row("Other"))


@pytest.fixture
def version(project, member):
    """v1 of an image asset."""
    return factories.make_version(project, member, "image")


@pytest.fixture
def shared(version, contact):
    """``version``, sent to the client stage with ``contact`` as reviewer."""
    factories.share(version, contact)
    return version


@pytest.fixture
def as_member(signed_in, member):
    return signed_in(member)


@pytest.fixture
def as_contact(signed_in, contact):
    return signed_in(contact)


HX = {"HX-Request": "true"}


@pytest.fixture
def hx():
    return dict(HX)


@pytest.fixture
def reload(app_ctx):
    """``reload(obj)``: the row as the product committed it."""

    def fresh(obj):
        db.session.commit()
        db.session.expire_all()
        return db.session.get(type(obj), obj.id)

    return fresh


@pytest.fixture
def comments_of(app_ctx):
    from revue.comments.models import Comment

    def rows(version):
        db.session.commit()
        found = db.session.scalars(select(Comment).where(Comment.version_id == version.id).order_by(Comment.id)).all()
        db.session.commit()
        return found

    return rows


@pytest.fixture
def outbox(app_ctx):
    from revue.mail import OutboxMessage

    def messages(to: str | None = None):
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if to:
            query = query.where(OutboxMessage.to_addr == to.lower())
        found = db.session.scalars(query).all()
        db.session.commit()
        return found

    return messages


def text_of(response) -> str:
    """The visible text of a page (tags dropped, entities decoded, spaces squeezed)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.fixture
def flashes():
    def read(response) -> list[str]:
        body = response.get_data(as_text=True)
        return [html.unescape(m) for m in re.findall(r'<p class="flash[^"]*" role="status">(.*?)</p>', body, re.S)]

    return read
