"""Browser tests: headless Debian Chromium driven by Playwright against a live Werkzeug server.

* Every test here is marked ``e2e`` and ``xdist_group("e2e")`` (``make test`` runs ``--dist loadgroup``).
* Without Chromium they are skipped — unless ``REVUE_E2E=1`` (CI), where a missing browser fails loudly.
* They run once, on SQLite: ``REVUE_TEST_BACKEND=postgres`` skips them.
* Every test fails when a page logged a console error, an uncaught exception, a 5xx answer or a
  CSP violation (SECURITY G2); a test that provokes one on purpose takes it with ``browser_errors.take()``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from .helpers import BrowserErrors, LiveServer, QuietHandler, serving

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
REQUIRED = os.environ.get("REVUE_E2E") == "1"
BACKEND = os.environ.get("REVUE_TEST_BACKEND", "sqlite")


def _chromium_problem() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:  # pragma: no cover - the dev extras install it
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


def pytest_collection_modifyitems(config, items):
    problem = _chromium_problem()
    for item in items:
        if HERE not in item.path.parents:
            continue
        item.add_marker(pytest.mark.e2e)
        item.add_marker(pytest.mark.xdist_group("e2e"))
        if BACKEND == "postgres":
            item.add_marker(pytest.mark.skip(reason="browser tests run once, on SQLite"))
        elif problem and not REQUIRED:
            item.add_marker(pytest.mark.skip(reason=problem))
        elif problem:  # required but impossible: every test errors, none may pass as "expected to fail"
            item.own_markers[:] = [m for m in item.own_markers if m.name != "xfail"]


@pytest.fixture(scope="session", autouse=True)
def _browser_required():
    problem = _chromium_problem()
    if problem and REQUIRED:
        pytest.fail(f"REVUE_E2E=1 but the browser tests cannot run: {problem}", pytrace=False)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded one (``playwright install`` fails on these machines)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


# -- the live server -----------------------------------------------------------------------


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    """The session ``app`` served over plain HTTP on 127.0.0.1 (a free port) for one test.

    The test configuration pretends to run behind HTTPS (Secure cookies, https BASE_URL); for the
    browser the cookies must work over http and emailed links must point at this server.
    """
    keys = ("SESSION_COOKIE_SECURE", "BASE_URL", "PREFERRED_URL_SCHEME")
    saved = {key: app.config.get(key) for key in keys}
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config.update(SESSION_COOKIE_SECURE=False, BASE_URL=url, PREFERRED_URL_SCHEME="http")
    try:
        with serving(app, server=server):
            yield LiveServer(url, app)
    finally:
        app.config.update(saved)


# -- console errors, CSP violations, writes without a CSRF token (SECURITY G2, C3) -----------


@pytest.fixture(autouse=True)
def browser_errors() -> Iterator[BrowserErrors]:
    errors = BrowserErrors()
    yield errors
    # Teardown runs after every browser context of the test is closed (they depend on this fixture).
    assert not errors.errors, "the browser reported problems:\n" + "\n".join(errors.errors)


@pytest.fixture
def context(live_server, context, browser_errors):
    """pytest-playwright's context, watched for console errors and CSP violations.

    It depends on ``live_server`` so that it closes before the server stops (no reset connections).
    """
    browser_errors.watch(context)
    context.set_default_timeout(5_000)
    return context


@pytest.fixture
def new_watched_context(live_server, browser, browser_context_args, browser_errors):
    """``new_watched_context()`` opens another browser (own cookies), watched like ``context``."""
    opened = []

    def make(**kwargs):
        ctx = browser.new_context(**{**browser_context_args, **kwargs})
        ctx.set_default_timeout(5_000)
        browser_errors.watch(ctx)
        opened.append(ctx)
        return ctx

    yield make
    for ctx in opened:
        ctx.close()


# -- helpers -------------------------------------------------------------------------------


@pytest.fixture
def ui_login(live_server):
    """``ui_login(page, email, password)`` logs in through the real form."""
    from playwright.sync_api import expect

    def do_login(page, email: str, password: str) -> None:
        page.goto(live_server("/account/login"))
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    return do_login
