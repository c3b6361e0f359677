"""SECURITY C1: every write route refuses a request without a CSRF token.

The matrix is generated from ``app.url_map``, so routes added later are covered without
touching this file. URL arguments are filled from real rows (see :func:`url_values`).

The helpers here (``RULES``, ``build_url``, ``throwaway_app`` and the ``world`` fixture) are
shared with the other cross-cutting tests, which import them.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from revue import create_app, jobs
from revue.db import Base, db

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

#: endpoint -> why it may take writes without a CSRF token. Keep it short and justified.
#: (None yet. Future example: a one-click unsubscribe POST from a mail client, RFC 8058.)
CSRF_EXEMPT: dict[str, str] = {
    "links.unsubscribe": "RFC 8058 one-click unsubscribe: mail clients POST without cookies or tokens; "
                         "the signed address in the URL is the credential and the action only stops email",
}


def _url_map():
    """The routes of a freshly built app (collection time, before any fixture exists)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "collect", "INSTANCE_PATH": tmp,
                          "DATABASE_URL": "sqlite://", "HUEY_IMMEDIATE": True})
        rules = list(app.url_map.iter_rules())
        with app.app_context():
            db.engine.dispose()
    return sorted(rules, key=lambda r: (r.endpoint, r.rule))


RULES = _url_map()


@contextmanager
def throwaway_app(tmp_path: Path, *, tables: bool = True, **config) -> Iterator:
    """A separate app on its own SQLite file, for routes or config the session app can't have."""
    saved_worker_app = jobs._worker_app
    app = create_app({
        "TESTING": True, "SECRET_KEY": "throwaway", "INSTANCE_PATH": str(tmp_path / "instance"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"), "DATABASE_URL": f"sqlite:///{tmp_path}/throwaway.db",
        "BASE_URL": "https://revue.example.com", "HUEY_IMMEDIATE": True, "SMTP_HOST": None,
        "ARGON2_MEMORY_KIB": 8, "ARGON2_TIME_COST": 1, **config,
    })
    jobs._worker_app = saved_worker_app
    if tables:
        with app.app_context():
            db.create_all()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def rules_for(methods: set[str]) -> list[Rule]:
    return [r for r in RULES if r.methods and r.methods & methods]


def rule_id(rule: Rule) -> str:
    return f"{rule.endpoint}:{rule.rule}"


def first_id(name: str) -> int | None:
    """The smallest id of the table an argument like ``asset_id`` points at, if it has rows."""
    stem = name.removesuffix("_id")
    for table_name in (f"{stem}s", f"{stem}es", stem):
        table = Base.metadata.tables.get(table_name)
        if table is not None and "id" in table.c:
            return db.session.scalar(select(func.min(table.c.id)))
    return None


def url_values(rule: Rule, ids: dict[str, int]) -> dict:
    """Arguments for ``rule``: known fixture ids first, then a real row, else 1; strings "x"."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if name in ids:
            values[name] = ids[name]
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif name.endswith("_id") or isinstance(converter, IntegerConverter):
            values[name] = first_id(name) or 1
        elif rule.endpoint == "static" or name == "filename":
            values[name] = "css/revue.css"
        else:  # tokens and other strings
            values[name] = "x"
    return values


def build_url(rule: Rule, ids: dict[str, int]) -> str:
    built = rule.build(url_values(rule, ids), append_unknown=False)
    assert built is not None, f"cannot build {rule_id(rule)}"
    return built[1]


@pytest.fixture
def world(app_ctx, owner, create_user, create_client_row, create_project):
    """One of everything the foundation knows, made through its services where it can be."""
    from revue.accounts import services as accounts
    from revue.accounts.models import Role
    from revue.mail import OutboxMessage

    acme, other = create_client_row("Acme"), create_client_row("Globex")
    member = create_user("member", name="Mia Member")
    admin = create_user("admin", name="Adam Admin")
    contact = create_user("client", name="Carl Contact", client=acme)
    project = create_project(acme, name="Acme launch", members=[member])
    other_project = create_project(other, name="Globex rebrand")
    invitation = accounts.invite(owner, "new.person@example.com", Role.MEMBER, name="New Person")
    accounts.request_password_reset(member.email)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id))
    return {
        "owner": owner, "admin": admin, "member": member, "contact": contact,
        "client": acme, "other_client": other, "project": project, "other_project": other_project,
        "invitation": invitation, "message": message,
        "ids": {"project_id": project.id, "client_id": acme.id, "user_id": member.id,
                "invitation_id": invitation.id, "message_id": message.id},
    }


def test_the_map_has_write_routes():
    assert len(rules_for(WRITE_METHODS)) >= 15


def test_exempt_list_names_real_endpoints_and_matches_the_app(app):
    endpoints = {r.endpoint for r in RULES}
    assert set(CSRF_EXEMPT) <= endpoints
    csrf = app.extensions["csrf"]
    exempt_views = {name.rsplit(".", 1)[-1] for name in csrf._exempt_views}
    allowed = {app.view_functions[e].__name__ for e in CSRF_EXEMPT}
    assert exempt_views <= allowed, f"views exempt from CSRF without a reason here: {exempt_views - allowed}"
    assert not csrf._exempt_blueprints, "a whole blueprint is exempt from CSRF"


WRITE_CASES = [
    pytest.param(rule, method, id=f"{method} {rule_id(rule)}")
    for rule in rules_for(WRITE_METHODS)
    if rule.endpoint not in CSRF_EXEMPT
    for method in sorted(rule.methods & WRITE_METHODS)
]


@pytest.mark.parametrize(("rule", "method"), WRITE_CASES)
def test_write_without_token_is_refused(client, login, world, rule, method):
    login(client, world["owner"])
    url = build_url(rule, world["ids"])

    missing = client.open(url, method=method, data={}, csrf=False, headers={"Referer": "https://localhost/"})
    assert missing.status_code == 400, f"{method} {url} without a token answered {missing.status_code}"
    assert "CSRF" in missing.get_data(as_text=True)

    wrong = client.open(url, method=method, data={}, csrf=False,
                        headers={"X-CSRFToken": "not-a-token", "Referer": "https://localhost/"})
    assert wrong.status_code == 400

    in_form = client.open(url, method=method, data={"csrf_token": "forged"}, csrf=False,
                          headers={"Referer": "https://localhost/"})
    assert in_form.status_code == 400


@pytest.mark.parametrize(("rule", "method"), WRITE_CASES)
def test_write_with_token_passes_the_csrf_check(client, login, world, rule, method):
    login(client, world["owner"])
    url = build_url(rule, world["ids"])
    response = client.open(url, method=method, data={})  # CSRFClient adds X-CSRFToken
    body = re.sub(r"\s+", " ", response.get_data(as_text=True))[:300]
    assert response.status_code != 400, f"{method} {url} with a valid token answered 400: {body}"


@pytest.mark.parametrize("endpoint", sorted(CSRF_EXEMPT))
def test_exempt_writes_still_need_their_own_credential(client, world, endpoint):
    """Without a CSRF token an exempt route must refuse a forged URL (404), not act (or 400)."""
    for rule in (r for r in RULES if r.endpoint == endpoint and r.methods & WRITE_METHODS):
        response = client.post(build_url(rule, world["ids"]), csrf=False)
        assert response.status_code == 404, rule_id(rule)


def test_token_from_another_session_is_refused(client, make_client, login, world):
    login(client, world["owner"])
    stranger = make_client()
    foreign_token = stranger.csrf_token()
    response = client.post(f"/clients/{world['client'].id}/archive", csrf=False,
                           headers={"X-CSRFToken": foreign_token, "Referer": "https://localhost/"})
    assert response.status_code == 400


def test_cross_site_referer_is_refused_over_https(client, login, world):
    login(client, world["owner"])
    response = client.post(f"/clients/{world['client'].id}/archive",
                           headers={"Referer": "https://evil.example/"})
    assert response.status_code == 400
