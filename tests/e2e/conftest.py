"""Browser tests: headless Debian Chromium driven by Playwright against a live Werkzeug server.

* Every test here is marked ``e2e`` and ``xdist_group("e2e")`` (``make test`` runs ``--dist loadgroup``).
* Without Chromium they are skipped — unless ``REVUE_E2E=1`` (CI), where a missing browser fails loudly.
* They run once, on SQLite: ``REVUE_TEST_BACKEND=postgres`` skips them.
* Every test fails when a page logged a console error, an uncaught exception, a 5xx answer or a
  CSP violation (SECURITY G2); a test that provokes one on purpose takes it with ``browser_errors.take()``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from .helpers import BrowserErrors, LiveServer, QuietHandler, app_config, dispose, make_app, serving

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
REQUIRED = os.environ.get("REVUE_E2E") == "1"
BACKEND = os.environ.get("REVUE_TEST_BACKEND", "sqlite")
TIMEOUT_MS = 10_000  # generous: the machines that run this are often busy; passing tests never wait it out

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - reported by _chromium_problem()
    pass
else:
    expect.set_options(timeout=TIMEOUT_MS)


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


# -- the demo workspace, seeded in the background ---------------------------------------------

# What `flask revue seed-demo` does, in a process of its own: the seed renders real media (seconds of
# CPU), so it starts with the first browser test and runs while the others do.
SEED = """
import json, sys
from revue import create_app, demo
from revue.db import db
config = json.loads(sys.argv[1])
app = create_app(config)
with app.app_context():
    db.create_all()
with app.test_request_context(base_url=config["BASE_URL"]):
    demo.seed()
    db.session.commit()
    print("DEMO-LOGIN", json.dumps(demo.login_if_unchanged()))
"""


def _json_safe(config: dict) -> dict:
    safe = {}
    for key, value in config.items():
        try:
            json.dumps(value)
        except TypeError:
            continue  # derived values (lifetimes…) that create_app computes again
        safe[key] = value
    return safe


@pytest.fixture(scope="session", autouse=True)
def _demo_seed(request, app, tmp_path_factory):
    """Start seeding the demo if a test of this run needs it (``demo_site``); stop it if none ran."""
    if not any("demo_site" in item.fixturenames for item in request.session.items):
        yield None
        return
    folder = tmp_path_factory.mktemp("demo")
    target: dict = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: target["app"](environ, start), threaded=True,
                         request_handler=QuietHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    config = _json_safe(app_config(app, folder, BASE_URL=url))
    out, err = open(folder / "seed.out", "w+"), open(folder / "seed.err", "w+")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-c", SEED, json.dumps(config)], cwd=ROOT, stdout=out, stderr=err)
    yield SimpleNamespace(folder=folder, server=server, url=url, target=target, proc=proc, out=out, err=err)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    out.close()
    err.close()
    server.server_close()


@pytest.fixture(scope="session")
def demo_site(_demo_seed, app) -> Iterator[LiveServer]:
    """The demo workspace of ``make run`` (with its media) in an app of its own (the session ``app`` is
    emptied after every test), served over http on 127.0.0.1; ``demo_site.login`` is its owner."""
    seed = _demo_seed
    try:
        seed.proc.wait(timeout=300)
    except subprocess.TimeoutExpired:
        pytest.fail("seeding the demo took over 5 minutes")
    seed.out.seek(0)
    seed.err.seek(0)
    logins = [line.split(" ", 1)[1] for line in seed.out.read().splitlines() if line.startswith("DEMO-LOGIN ")]
    if seed.proc.returncode or not logins:
        pytest.fail(f"seeding the demo failed ({seed.proc.returncode}):\n{seed.err.read()[-4000:]}")
    demo_app = make_app(app, seed.folder, BASE_URL=seed.url)
    seed.target["app"] = demo_app
    try:
        with serving(demo_app, server=seed.server):
            yield LiveServer(seed.url, demo_app, login=tuple(json.loads(logins[-1])))
    finally:
        dispose(demo_app)


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
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def new_watched_context(live_server, browser, browser_context_args, browser_errors):
    """``new_watched_context()`` opens another browser (own cookies), watched like ``context``."""
    opened = []

    def make(**kwargs):
        ctx = browser.new_context(**{**browser_context_args, **kwargs})
        ctx.set_default_timeout(TIMEOUT_MS)
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
