"""Error pages (STYLE 9): the right status, a page for browsers, a toast for htmx, a rollback."""

from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy import func, select
from test_routes_csrf import throwaway_app

from revue.db import db
from revue.errors import Conflict, NotAllowed, TooManyAttempts

HTMX = {"HX-Request": "true"}
TITLES = {400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Not allowed", 409: "Conflict",
          413: "File too large", 422: "Check the form", 429: "Too many attempts", 500: "Something went wrong"}


@pytest.fixture
def error_app(tmp_path):
    """An app with routes that fail on purpose (production settings: no debug, no propagation)."""
    from revue.clients.models import Client

    with throwaway_app(tmp_path, TESTING=False, PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=False) as app:

        @app.route("/fail/<int:code>", methods=["GET", "POST"])
        def fail(code: int):
            abort(code)

        @app.post("/conflict")
        def conflict():
            db.session.add(Client(name="half-saved"))
            db.session.flush()
            raise Conflict("Someone else changed “this” <first>.")

        @app.get("/forbidden")
        def forbidden():
            raise NotAllowed("Only admins can do that.")

        @app.get("/slow-down")
        def slow_down():
            raise TooManyAttempts("Too many attempts. Try again in 7 seconds.", 7)

        @app.post("/crash")
        def crash():
            db.session.add(Client(name="half-saved"))
            db.session.flush()
            raise RuntimeError("boom")

        yield app


def clients_in(app) -> int:
    from revue.clients.models import Client

    with app.app_context():
        return db.session.scalar(select(func.count(Client.id)))


@pytest.mark.parametrize("code", [400, 403, 404, 405, 409, 413, 422, 429, 500])
def test_error_page(error_app, code):
    response = error_app.test_client().get(f"/fail/{code}", base_url="https://revue.example.com")
    assert response.status_code == code
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert "<html" in body and f"<h1>{TITLES[code]}</h1>" in body
    assert f'<p class="error-code">{code}</p>' in body
    assert "HX-Retarget" not in response.headers
    assert "Go to the start page" in body and '<a class="brand"' in body  # the team's way back (guests: links tests)


@pytest.mark.parametrize("code", [400, 403, 404, 409, 413, 422, 429, 500])
def test_htmx_error_is_a_toast(error_app, code):
    response = error_app.test_client().post(f"/fail/{code}", headers=HTMX, base_url="https://revue.example.com")
    assert response.status_code == code
    assert response.headers["HX-Retarget"] == "#toasts"
    assert response.headers["HX-Reswap"] == "beforeend"
    body = response.get_data(as_text=True)
    assert "<html" not in body and "<body" not in body
    assert 'class="toast toast-error"' in body and TITLES[code] in body


def test_domain_error_rolls_back_and_shows_its_message_escaped(error_app):
    client = error_app.test_client()
    response = client.post("/conflict", base_url="https://revue.example.com")
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Someone else changed “this” &lt;first&gt;." in body
    assert clients_in(error_app) == 0
    toast = client.post("/conflict", headers=HTMX, base_url="https://revue.example.com")
    assert toast.status_code == 409 and toast.headers["HX-Retarget"] == "#toasts"
    assert "Someone else changed" in toast.get_data(as_text=True)


def test_not_allowed_is_403_and_too_many_attempts_is_429_with_retry_after(error_app):
    client = error_app.test_client()
    assert client.get("/forbidden").status_code == 403
    response = client.get("/slow-down")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert "Try again in 7 seconds" in response.get_data(as_text=True)


def test_500_rolls_back_the_request(error_app):
    response = error_app.test_client().post("/crash", base_url="https://revue.example.com")
    assert response.status_code == 500
    assert "boom" not in response.get_data(as_text=True)
    assert clients_in(error_app) == 0


# -- the real app's errors ----------------------------------------------------------------


def test_unknown_page_is_404(client, owner, login):
    assert client.get("/no/such/page").status_code == 404
    login(client, owner)
    response = client.get("/projects/424242")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)
    toast = client.get("/projects/424242", headers=HTMX)
    assert toast.status_code == 404 and toast.headers["HX-Retarget"] == "#toasts"


def test_member_on_settings_is_403(client, create_user, login):
    login(client, create_user("member"))
    response = client.get("/settings/")
    assert response.status_code == 403
    assert "Your role does not allow this" in response.get_data(as_text=True)


def test_wrong_method_is_405(client):
    response = client.put("/healthz")
    assert response.status_code == 405


def test_too_large_upload_is_413(app, client, owner, login, monkeypatch):
    login(client, owner)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = client.post("/clients/new", data={"name": "Big", "notes": "x" * 10_000})
    assert response.status_code == 413
    assert "larger than this workspace allows" in response.get_data(as_text=True)
    toast = client.post("/clients/new", data={"name": "Big", "notes": "x" * 10_000}, headers=HTMX)
    assert toast.status_code == 413 and toast.headers["HX-Retarget"] == "#toasts"
    from revue.clients.models import Client

    assert db.session.scalar(select(func.count(Client.id))) == 0


def test_invalid_form_is_422_with_errors_beside_the_fields(client, owner, login):
    login(client, owner)
    response = client.post("/clients/new", data={"name": "", "website": "not a web address"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="name-error"' in body and 'id="website-error"' in body
    assert 'aria-invalid="true"' in body


def test_missing_csrf_token_is_400_and_a_toast_for_htmx(client, owner, login):
    login(client, owner)
    response = client.post("/clients/new", data={"name": "x"}, csrf=False, headers=HTMX)
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#toasts"
    assert "CSRF" in response.get_data(as_text=True)


def test_repeated_failed_logins_get_429_with_retry_after(app, client, owner, monkeypatch):
    monkeypatch.setitem(app.config, "THROTTLE_ACCOUNT_FAILURES", 1)
    statuses = []
    for _ in range(5):
        response = client.post("/account/login", data={"email": owner.email, "password": "wrong password!"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429, statuses
    assert int(response.headers["Retry-After"]) >= 1
    assert "Too many attempts" in response.get_data(as_text=True)
