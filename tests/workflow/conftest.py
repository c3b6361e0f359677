"""Fixtures for the review workflow tests: people, a project, real uploads, emailed links.

``client``/``make_client`` serve every request in its own application context (as in
production), after committing the test's own transaction (SQLite starts every
transaction with ``BEGIN IMMEDIATE``: an open one in the test would hold the write lock).

Uploads go through ``revue.assets.services.add_file`` with a real PNG (so the approval
record can re-hash the stored file); the rendition job is replaced by a no-op — the
workflow does not depend on previews and the sandboxed renderer would cost seconds.
"""

from __future__ import annotations

import html
import itertools
import re
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlalchemy import select

from revue.db import db

BASE_URL = "https://revue.example.com"  # tests/conftest.py configures the app with it




@pytest.fixture(autouse=True)
def no_renditions(monkeypatch):
    """``add_file`` queues the rendition job; here it does nothing (the version stays 'processing')."""
    from revue.assets import pipeline

    monkeypatch.setattr(pipeline, "process_version", lambda *args, **kwargs: None)


@pytest.fixture
def request_ctx(app, app_ctx):
    """A request context on BASE_URL, as jobs have: services that notify build links with ``url_for``."""
    with app.test_request_context("/", base_url=BASE_URL):
        yield


# -- people and a project -------------------------------------------------------------------


@pytest.fixture
def member(create_user):
    return create_user("member", name="Mia Member", email="mia@example.com")


@pytest.fixture
def teammate(create_user):
    return create_user("member", name="Theo Teammate", email="theo@example.com")


@pytest.fixture
def acme(create_client_row):
    return create_client_row("Acme")


@pytest.fixture
def contact(create_user, acme):
    return create_user("client", name="Cleo Client", email="cleo@acme.example", client=acme)


@pytest.fixture
def contact2(create_user, acme):
    return create_user("client", name="Carl Client", email="carl@acme.example", client=acme)


@pytest.fixture
def project(create_project, acme, member, teammate, owner):
    return create_project(acme, name="Launch", members=[member, teammate])


# -- files ---------------------------------------------------------------------------------


@pytest.fixture
def png(tmp_path):
    """``png()`` writes a small PNG whose bytes differ on every call; returns its path."""
    counter = itertools.count(1)

    def make():
        n = next(counter)
        path = tmp_path / f"art-{n}.png"
        Image.new("RGB", (64, 48), ((n * 37) % 256, (n * 91) % 256, (n * 53) % 256)).save(path)
        return path

    return make


@pytest.fixture
def upload(app_ctx, png):
    """``upload(user, project, asset=None)`` adds a version the way the product does; returns it (committed)."""
    from revue.assets.services import add_file

    def add(user, project, asset=None):
        path = png()
        version = add_file(user, project, str(path), path.name, asset=asset)
        db.session.commit()
        return version

    return add


# -- signed-in browsers ---------------------------------------------------------------------


@pytest.fixture
def as_member(signed_in, member):
    return signed_in(member)


@pytest.fixture
def as_owner(signed_in, owner):
    return signed_in(owner)


@pytest.fixture
def member_browser(as_member):
    return as_member


# -- workflows ------------------------------------------------------------------------------


@pytest.fixture
def set_workflow(app_ctx):
    """``set_workflow(project, actor, [(name, rule, required, [reviewers], internal), ...])``: the project's
    own workflow, made with ``revue.review.workflows``. A reviewer is a User, an email address, or
    ``"contacts"`` / ``"team"``."""
    from revue.review import workflows
    from revue.review.models import Rule, Workflow

    def make(project, actor, stages):
        old = db.session.scalar(select(Workflow).where(Workflow.project_id == project.id))
        if old is not None:
            db.session.delete(old)
            db.session.flush()
        flow = Workflow(project_id=project.id, name="Test workflow")
        db.session.add(flow)
        db.session.flush()
        for name, rule, required, reviewers, *internal in stages:
            stage = workflows.add_stage(actor, flow, name=name, rule=Rule(rule), required=required, due_days=2,
                                        internal=bool(internal and internal[0]))
            for who in reviewers:
                if who == "contacts":
                    workflows.add_reviewer(actor, stage, all_client_contacts=True)
                elif who == "team":
                    workflows.add_reviewer(actor, stage, all_project_members=True)
                elif isinstance(who, str):
                    workflows.add_reviewer(actor, stage, email=who, name=who.split("@")[0].title())
                else:
                    workflows.add_reviewer(actor, stage, user=who)
        db.session.commit()
        return flow

    return make


# -- mail ----------------------------------------------------------------------------------


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


def decision_links(mailbox, address: str) -> list[str]:
    """Paths of the personal ``/e/<token>`` links in the emails ``address`` received, oldest first."""
    found = []
    for message in mailbox.to(address):
        for url in mailbox.links(message):
            path = urlsplit(url).path
            if re.fullmatch(r"/e/[A-Za-z0-9_-]{20,}", path):
                found.append(path)
    return found


def latest_link(mailbox, address: str) -> str:
    links = decision_links(mailbox, address)
    assert links, f"no decision link was emailed to {address}: {[m['Subject'] for m in mailbox.messages]}"
    return links[-1]


def text_of(response) -> str:
    """The visible text of a page (tags dropped, entities decoded, spaces squeezed)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def form_key(response, verdict: str = "approved") -> str:
    """The ``request_key`` of the decision form for ``verdict`` on a page."""
    found = re.search(r'name="request_key" value="([^"]+-' + verdict + ')"', response.get_data(as_text=True))
    assert found, "no decision form on the page"
    return found.group(1)
