"""SECURITY G1, G3, G5: the headers every response carries, and a production 500.

Pages are generated from ``app.url_map`` (as the owner and as an anonymous visitor), so
pages added later are checked too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import test_routes_csrf as shared
from sqlalchemy import text
from test_routes_csrf import RULES, build_url, rule_id, throwaway_app

from revue.db import db

world = shared.world  # a fixture shared with test_routes_csrf

READ_RULES = [r for r in RULES if r.methods and "GET" in r.methods]


def csp(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def csp_problems(response) -> list[str]:
    policy = csp(response)
    problems = []
    for directive in ("object-src", "base-uri", "frame-ancestors"):
        if policy.get(directive) != ["'none'"]:
            problems.append(f"{directive} is {policy.get(directive)}")
    scripts = policy.get("script-src", policy.get("default-src"))
    if scripts is None:
        problems.append("no script-src or default-src")
    elif {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(scripts):
        problems.append(f"script-src allows {scripts}")
    return problems


def common_problems(response) -> list[str]:
    problems = []
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if response.headers.get("Referrer-Policy") not in ("same-origin", "strict-origin", "no-referrer"):
        problems.append(f"Referrer-Policy is {response.headers.get('Referrer-Policy')}")
    if "Server" in response.headers:
        problems.append(f"Server header {response.headers['Server']}")
    if "Strict-Transport-Security" not in response.headers:
        problems.append("no HSTS over HTTPS")
    return problems


@pytest.mark.parametrize("who", ["anonymous", "owner", "contact"])
def test_every_page_carries_the_security_headers(client, login, world, who):
    if who != "anonymous":
        login(client, world[who])
    problems, html_pages = [], 0
    for rule in READ_RULES:
        url = build_url(rule, world["ids"])
        response = client.get(url, buffered=True)
        found = common_problems(response)
        if response.mimetype == "text/html":
            html_pages += 1
            found += csp_problems(response)
            if who != "anonymous" and "no-store" not in response.headers.get("Cache-Control", ""):
                found.append(f"Cache-Control is {response.headers.get('Cache-Control')}")
        problems += [f"{url} ({rule_id(rule)}, {response.status_code}): {p}" for p in found]
    assert html_pages >= 3
    assert not problems, "\n".join(problems)


def test_error_pages_static_files_and_redirects_carry_headers(client, owner, login):
    responses = {
        "404": client.get("/no/such/page"),
        "405": client.put("/healthz"),
        "static": client.get("/static/css/revue.css", buffered=True),
        "healthz": client.get("/healthz"),
        "brand.css": client.get("/settings/brand.css"),
        "redirect": client.get("/projects/"),
    }
    login(client, owner)
    responses["signed-in 404"] = client.get("/projects/999999")
    problems = [f"{name}: {p}" for name, r in responses.items() for p in common_problems(r)]
    problems += [f"{name}: {p}" for name, r in responses.items() if r.mimetype == "text/html"
                 for p in csp_problems(r)]
    assert not problems, "\n".join(problems)
    assert responses["404"].status_code == 404
    assert responses["static"].status_code == 200
    assert "no-store" in responses["signed-in 404"].headers["Cache-Control"]


def test_signed_in_responses_are_not_stored(client, owner, login, create_project):
    project = create_project(members=[owner])
    login(client, owner)
    for url in ("/projects/", f"/projects/{project.id}", "/settings/", "/account/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers["Cache-Control"], url
    fragment = client.get("/projects/", headers={"HX-Request": "true"})
    assert "no-store" in fragment.headers["Cache-Control"]


def test_no_hsts_for_a_plain_http_install(tmp_path):
    with throwaway_app(tmp_path, BASE_URL="http://127.0.0.1:5000") as app:
        response = app.test_client().get("/healthz", base_url="http://127.0.0.1:5000")
        assert response.status_code == 200
        assert "Strict-Transport-Security" not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        secure = app.test_client().get("/healthz", base_url="https://revue.example.com")
        assert "max-age=" in secure.headers["Strict-Transport-Security"]


def _production_app(tmp_path, *, tables: bool = True):
    return throwaway_app(tmp_path, tables=tables, TESTING=False, DEBUG=False, PROPAGATE_EXCEPTIONS=False)


SECRET = "secret-detail-7f3a"


def _add_failing_route(app):
    @app.get("/boom")
    def boom():
        db.session.execute(text("SELECT 1"))
        raise RuntimeError(f"exploded with {SECRET}")


@pytest.mark.parametrize("tables", [True, False], ids=["database-ok", "database-broken"])
def test_production_500_shows_no_traceback(tmp_path, tables, caplog):
    with _production_app(tmp_path, tables=tables) as app:
        _add_failing_route(app)
        assert not app.debug
        response = app.test_client().get("/boom", base_url="https://revue.example.com")
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert response.mimetype == "text/html"
        for leak in ("Traceback", SECRET, "RuntimeError", "Werkzeug", "Python", "site-packages", 'File "'):
            assert leak not in body
        assert "Something went wrong" in body
        assert common_problems(response) == []
        assert csp_problems(response) == []
        assert any(SECRET in r.getMessage() or (r.exc_info and SECRET in str(r.exc_info[1]))
                   for r in caplog.records), "the error is logged"


def test_production_htmx_500_is_a_toast(tmp_path):
    with _production_app(tmp_path) as app:
        _add_failing_route(app)
        response = app.test_client().get("/boom", headers={"HX-Request": "true"},
                                         base_url="https://revue.example.com")
        assert response.status_code == 500
        assert response.headers["HX-Retarget"] == "#toasts"
        body = response.get_data(as_text=True)
        assert "<html" not in body and SECRET not in body and "toast" in body


@pytest.mark.gunicorn
def test_gunicorn_sends_no_version_banner(tmp_path):
    """What a visitor of ``make run`` sees: no Werkzeug/Python banner, no traceback."""
    with throwaway_app(tmp_path):
        pass  # creates the tables in tmp_path/throwaway.db
    port = _free_port()
    env = {**os.environ, "REVUE_DATABASE_URL": f"sqlite:///{tmp_path}/throwaway.db",
           "REVUE_INSTANCE_PATH": str(tmp_path / "instance"), "REVUE_BASE_URL": "https://revue.example.com",
           "REVUE_HUEY_IMMEDIATE": "true", "REVUE_SECRET_KEY": "gunicorn-test"}
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    proc = subprocess.Popen([gunicorn, "--workers", "1", "--bind", f"127.0.0.1:{port}", "revue:create_app()"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        ok = _fetch(f"http://127.0.0.1:{port}/healthz", wait=proc)
        missing = _fetch(f"http://127.0.0.1:{port}/no/such/page")
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
    for _status, headers, _body in (ok, missing):
        server = headers.get("Server", "")
        assert "/" not in server and "werkzeug" not in server.lower() and "python" not in server.lower()
        assert headers.get("X-Content-Type-Options") == "nosniff"
    assert ok[0] == 200 and missing[0] == 404
    assert "Traceback" not in missing[2]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fetch(url: str, *, wait: subprocess.Popen | None = None) -> tuple[int, dict, str]:
    """GET ``url``; with ``wait``, retry while that server process starts (it may be slow on a busy box)."""
    deadline = time.monotonic() + (60 if wait else 5)
    while True:
        if wait is not None and wait.poll() is not None:
            raise AssertionError(f"gunicorn exited: {wait.communicate()[1][-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (a local test server)
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
