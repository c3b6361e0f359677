"""Fixtures for the accounts tests: browsers that don't share state, a clock, spies on argon2.

Why ``client`` and ``make_client`` are redefined here: while the ``app_ctx`` fixture (which
every factory uses) has an application context pushed, Flask's test client reuses that one
context for every request. ``flask.g`` then outlives the request, and flask-login caches
``current_user`` in ``g``: a second, anonymous client would be served as whoever logged in
first, and a logged-out cookie would look refused only because ``g`` said so. Each request
here runs in its own application context, as it does in production, after the test's own
database transaction is closed (on SQLite it would hold the write lock, and afterwards the
test reads what the request committed).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from revue.db import db, utcnow

CREATE_USER_PASSWORD = "correct horse battery staple"  # what the create_user factory sets




@pytest.fixture
def password() -> str:
    return CREATE_USER_PASSWORD


@pytest.fixture
def member(create_user):
    return create_user("member", name="Mia Member", email="mia@example.com")


@pytest.fixture
def owner_client(make_client, owner, login):
    """A browser logged in as the owner."""
    browser = make_client()
    login(browser, owner)
    return browser


@pytest.fixture
def member_client(make_client, member, login):
    browser = make_client()
    login(browser, member)
    return browser


@pytest.fixture
def session_cookie():
    """``session_cookie(client)``: the value of the client's session cookie, or None."""

    def value(browser) -> str | None:
        cookie = browser.get_cookie("revue_session", domain="localhost")
        return cookie.value if cookie else None

    return value


# -- reading pages ----------------------------------------------------------------------


@pytest.fixture
def field_error():
    """``field_error(response, "password")``: the error shown beside that field, or None."""

    def error(response, field_id: str) -> str | None:
        match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error" role="alert">(.*?)</p>',
                          response.get_data(as_text=True), re.S)
        return html.unescape(match.group(1)) if match else None

    return error


@pytest.fixture
def page_without():
    """``page_without(response, *typed)``: the body with CSRF tokens and the typed values blanked,
    so two answers can be compared byte for byte (A3)."""

    def body(response, *typed: str) -> str:
        text = response.get_data(as_text=True)
        for token in set(re.findall(r'"X-CSRFToken": "([^"]+)"', text)):
            text = text.replace(token, "CSRF")
        for value in typed:
            text = text.replace(html.escape(value), "TYPED")
        return text

    return body


@pytest.fixture
def links_in():
    """``links_in(text, "/account/reset/")``: paths (no host) of the links in an email body."""

    def paths(text: str, prefix: str) -> list[str]:
        return re.findall(rf"https://revue\.example\.com({re.escape(prefix)}[\w\-]+)", text)

    return paths


# -- the database as the product wrote it -------------------------------------------------


@pytest.fixture
def new_activity(app_ctx):
    """``with new_activity() as rows:`` — ``rows`` holds the activity rows written inside the block."""
    from revue.activity import Activity

    @contextmanager
    def watch():
        before = db.session.scalar(select(func.coalesce(func.max(Activity.id), 0)))
        db.session.commit()
        rows: list[Activity] = []
        yield rows
        rows.extend(db.session.scalars(select(Activity).where(Activity.id > before).order_by(Activity.id)))
        db.session.commit()

    return watch


@pytest.fixture
def outbox(app_ctx):
    """``outbox(to)``: messages queued to that address, oldest first."""
    from revue.mail import OutboxMessage

    def messages(to: str):
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == to.lower())
                                  .order_by(OutboxMessage.id)).all()
        db.session.commit()
        return rows

    return messages


@pytest.fixture
def user_sessions(app_ctx):
    """``user_sessions(user)``: that user's server-side session rows."""
    from revue.accounts.models import UserSession

    def rows(user):
        found = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                                   .order_by(UserSession.id)).all()
        db.session.commit()
        return found

    return rows


# -- time and hash work -----------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now_value = utcnow()

    def now(self):
        return self.now_value

    def advance(self, **delta) -> None:
        self.now_value += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Stops the accounts' clock (sessions, throttling, links) at the real now; ``clock.advance(hours=13)``."""
    from revue.accounts import models, services, throttle

    frozen = Clock()
    for module in (models, services, throttle):
        monkeypatch.setattr(module, "utcnow", frozen.now)
    return frozen


@pytest.fixture
def argon2_calls(monkeypatch):
    """Counts argon2 work: ``argon2_calls["verify"]`` and ``argon2_calls["hash"]`` (A3)."""
    calls: Counter[str] = Counter()
    real_verify, real_hash = PasswordHasher.verify, PasswordHasher.hash

    def verify(self, hash, password):
        calls["verify"] += 1
        return real_verify(self, hash, password)

    def hash_(self, password, *, salt=None):
        calls["hash"] += 1
        return real_hash(self, password, salt=salt)

    monkeypatch.setattr(PasswordHasher, "verify", verify)
    monkeypatch.setattr(PasswordHasher, "hash", hash_)
    return calls
