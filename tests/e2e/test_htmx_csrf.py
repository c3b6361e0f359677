"""htmx in a real browser (SECURITY C3): active search, and every htmx write carries the CSRF token.

The conftest also checks every non-GET request of every browser test: htmx writes must carry
``X-CSRFToken``, plain form posts a ``csrf_token`` field.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from revue.accounts.models import User
from revue.db import db

from .helpers import OWNER_EMAIL, PASSWORD, QuietHandler, dispose, make_app, serving

# An htmx write exactly as a template would declare it; posted to the profile form (harmless, observable).
HX_SAVE_PROFILE = """(name) => {
  const b = document.createElement("button");
  b.id = "hx-save"; b.type = "button"; b.textContent = "Save by htmx";
  b.setAttribute("hx-post", "/account/");
  b.setAttribute("hx-vals", JSON.stringify({"profile-name": name, "profile-title": "Set by htmx"}));
  document.querySelector("main").prepend(b);
  htmx.process(b);
}"""


@pytest.fixture
def projects(app_ctx, owner, create_client_row, create_project):
    acme, bloom = create_client_row("Acme Outdoor"), create_client_row("Bloom Skincare")
    create_project(acme, name="Spring trail campaign", members=[owner])
    create_project(acme, name="Catalogue 2027", members=[owner])
    create_project(bloom, name="Serum relaunch", members=[owner])
    db.session.commit()  # end the transaction: it holds SQLite's write lock


def card_titles(page):
    return page.locator("#project-results .project-card h2")


def test_active_search_updates_results_in_place(page, live_server, owner, projects, ui_login):
    ui_login(page, OWNER_EMAIL, PASSWORD)
    page.goto(live_server("/projects/"))
    expect(card_titles(page)).to_have_text(["Catalogue 2027", "Serum relaunch", "Spring trail campaign"])
    page.evaluate("window.__samePage = true")  # gone if the browser loaded a new page

    with page.expect_response(lambda r: "/projects/?q=spring" in r.url) as answer:
        page.locator("#q").press_sequentially("spring", delay=20)
    response = answer.value
    assert response.status == 200
    headers = response.request.headers
    assert headers.get("hx-request") == "true"
    assert headers.get("x-csrftoken")  # inherited from <body hx-headers>, on reads too
    assert "<html" not in response.text()  # the fragment, not the page
    expect(card_titles(page)).to_have_text(["Spring trail campaign"])
    expect(page).to_have_url(re.compile(r"/projects/\?q=spring&"))  # hx-push-url: the search can be shared
    assert page.evaluate("window.__samePage") is True

    # A client's name finds its projects; nothing found says so and offers a way back.
    page.locator("#q").fill("bloom")
    expect(card_titles(page)).to_have_text(["Serum relaunch"])
    page.locator("#q").fill("zzz")
    expect(page.get_by_role("heading", name="No projects match")).to_be_visible()

    # The selects filter too.
    page.locator("#q").fill("")
    expect(card_titles(page)).to_have_count(3)
    page.get_by_label("Client").select_option(label="Acme Outdoor")
    expect(card_titles(page)).to_have_text(["Catalogue 2027", "Spring trail campaign"])
    assert page.evaluate("window.__samePage") is True


def test_back_button_after_search_restores_the_whole_page(page, live_server, owner, projects, ui_login):
    """htmx restores history from the server (historyCacheSize 0) with HX-Request: true; the server
    must answer the whole page then, not the results fragment (found by this test, fixed)."""
    ui_login(page, OWNER_EMAIL, PASSWORD)
    page.goto(live_server("/projects/"))
    page.locator("#q").fill("spring")
    expect(page).to_have_url(re.compile(r"\?q=spring&"))
    page.locator("#q").fill("serum")
    expect(page).to_have_url(re.compile(r"\?q=serum&"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=spring&"))
    expect(card_titles(page)).to_have_text(["Spring trail campaign"])
    expect(page.get_by_role("navigation", name="Main")).to_have_count(1)
    expect(page.get_by_role("search", name="Projects")).to_have_count(1)
    expect(page.locator("#q")).to_have_value("spring")


def test_search_shows_its_spinner_while_waiting(page, live_server, owner, projects, ui_login):
    ui_login(page, OWNER_EMAIL, PASSWORD)
    page.goto(live_server("/projects/"))
    page.evaluate("""() => { window.__spinner = [];
      document.body.addEventListener("htmx:beforeSend", () => {
        const s = document.querySelector(".search-spinner");
        s.style.transition = "none";  // read the value the request state asks for, not a frame of the fade
        window.__spinner.push(getComputedStyle(s).opacity);
      }); }""")
    page.locator("#q").fill("spring")
    expect(card_titles(page)).to_have_text(["Spring trail campaign"])
    assert page.evaluate("window.__spinner") == ["1"]


def test_htmx_write_carries_csrf_token_and_passes(page, live_server, owner, ui_login, browser_errors):
    db.session.commit()
    ui_login(page, OWNER_EMAIL, PASSWORD)
    page.goto(live_server("/account/"))
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    assert token

    writes = []
    page.on("request", lambda r: writes.append(r) if r.method == "POST" else None)
    page.evaluate(HX_SAVE_PROFILE, "Olivia by htmx")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("#hx-save").click()
    assert answer.value.status == 204  # Post/Redirect/Get for htmx: HX-Location
    [post] = writes
    assert post.headers.get("hx-request") == "true"
    assert post.headers.get("x-csrftoken") == token
    # HX-Location loaded the account page into <body>: the new name shows, the same page stays.
    expect(page.get_by_role("status").filter(has_text="Profile saved")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Olivia by htmx")

    # After that htmx navigation, the next htmx write still carries a valid token.
    page.evaluate(HX_SAVE_PROFILE, "Olivia again")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("#hx-save").click()
    assert answer.value.status == 204
    assert writes[-1].headers.get("x-csrftoken")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Olivia again")

    # The token is what makes it pass: the same htmx write without it is refused, with a toast.
    page.evaluate("document.body.setAttribute('hx-headers', '{}')")
    page.evaluate(HX_SAVE_PROFILE, "Mallory")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("#hx-save").click()
    assert answer.value.status == 400
    expect(page.locator("#toasts .toast")).to_contain_text("Bad request")
    taken = browser_errors.take()  # we asked for these: the write without a token, and Chromium's log of the 400
    assert any("without X-CSRFToken" in e for e in taken) and all("500" not in e for e in taken), taken
    assert db.session.scalar(db.select(User.name).where(User.email == OWNER_EMAIL)) == "Olivia again"
    db.session.commit()


def test_board_card_archive_is_an_htmx_write_with_the_token(page, live_server, owner, create_project, ui_login):
    """A real htmx write of the UI: Actions → Archive on a board card (hx-post, hx-swap="none")."""
    from revue.assets.models import Asset

    project = create_project(name="Launch", members=[owner])
    db.session.add(Asset(project_id=project.id, title="Hero banner", created_by_id=owner.id))
    project_id = project.id
    db.session.commit()
    ui_login(page, OWNER_EMAIL, PASSWORD)
    page.goto(live_server(f"/projects/{project_id}"))
    card = page.locator("#board li.card-item", has_text="Hero banner")
    card.get_by_label("Actions for Hero banner").click()
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        card.get_by_role("button", name="Archive").click()
    response = answer.value
    assert response.status == 204
    assert response.request.headers.get("hx-request") == "true"
    assert response.request.headers.get("x-csrftoken")
    expect(page.locator("#toasts")).to_contain_text("“Hero banner” archived.")
    expect(card).to_have_count(0)  # the board re-rendered itself on the board-changed event
    expect(page).to_have_url(live_server(f"/projects/{project_id}"))


# -- behind a TLS-terminating reverse proxy ---------------------------------------------------

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade"}


def reverse_proxy(backend: dict):
    """A minimal TLS-terminating proxy, configured like the usual nginx/Caddy setup.

    It forwards to ``backend["port"]`` over plain HTTP with ``Host`` set to the backend address
    (nginx's default ``$proxy_host``) and the public facts in ``X-Forwarded-Proto/-Host/-For``.
    """

    def wsgi(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
                   if key.startswith("HTTP_") and key[5:].replace("_", "-").lower() not in HOP_BY_HOP | {"host"}}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers.update({"Host": f"127.0.0.1:{backend['port']}", "X-Forwarded-Proto": "https",
                        "X-Forwarded-Host": environ["HTTP_HOST"], "X-Forwarded-For": environ["REMOTE_ADDR"]})
        conn = http.client.HTTPConnection("127.0.0.1", backend["port"], timeout=10)
        try:
            conn.request(environ["REQUEST_METHOD"], environ["REQUEST_URI"], body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        finally:
            conn.close()
        start_response(f"{answer.status} {answer.reason}",
                       [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP])
        return [data]

    return wsgi


@pytest.fixture
def behind_tls_proxy(tmp_path, app):
    """A second app configured with ``TRUSTED_PROXIES=1``, reachable only through an HTTPS proxy."""
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl is needed to make the proxy's certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    backend: dict = {}
    proxy = make_server("127.0.0.1", 0, reverse_proxy(backend), threaded=True, request_handler=QuietHandler,
                        ssl_context=(str(cert), str(key)))
    public = f"https://127.0.0.1:{proxy.server_port}"
    proxied = make_app(app, tmp_path, BASE_URL=public, TRUSTED_PROXIES=1)
    with proxied.app_context():
        from revue.accounts import services

        services.create_owner("Proxy Studio", "Pat Proxy", "pat@proxy.example", PASSWORD)
        db.session.commit()
        db.session.remove()
    try:
        with serving(proxied) as server:
            backend["port"] = server.server_port
            with serving(proxy, server=proxy):
                yield public
    finally:
        dispose(proxied)


def test_htmx_write_behind_tls_terminating_proxy(live_server, behind_tls_proxy, new_watched_context):
    """The browser talks HTTPS to the proxy; the app sees HTTP + X-Forwarded-*: CSRF (with its
    strict Referer check on HTTPS), Secure cookies and htmx writes must all still work."""
    public = behind_tls_proxy
    page = new_watched_context(ignore_https_errors=True).new_page()
    response = page.goto(public + "/account/login")
    assert response.headers.get("strict-transport-security")  # the app knows it is on HTTPS
    page.get_by_label("Email").fill("pat@proxy.example")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    [cookie] = [c for c in page.context.cookies() if c["name"] == "revue_session"]
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.goto(public + "/account/")
    page.evaluate(HX_SAVE_PROFILE, "Pat via htmx")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("#hx-save").click()
    assert answer.value.status == 204, answer.value.text()
    assert answer.value.request.headers.get("x-csrftoken")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Pat via htmx")

    # A plain form post (Referer checked against the forwarded host) works as well.
    page.get_by_label("Job title").fill("Proxy wrangler")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status").filter(has_text="Profile saved")).to_be_visible()
    expect(page.get_by_label("Job title")).to_have_value("Proxy wrangler")
