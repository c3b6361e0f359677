"""Helpers shared by the browser tests (imported by ``conftest.py`` and the tests)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler, make_server

PASSWORD = "correct horse battery staple"  # the password of the users made by tests/conftest.py
OWNER_EMAIL = "owner@example.com"  # the ``owner`` fixture of tests/conftest.py
# Note: on SQLite every transaction starts with BEGIN IMMEDIATE, so a test that touches an ORM object
# (even reading ``owner.email``) holds the write lock until it commits — and the live server waits.
# Tests therefore use these constants and end their own sessions before driving the browser.
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class LiveServer:
    """A server of ours for the browser: ``server("/path")`` is the URL of a page."""

    url: str
    app: object
    login: tuple[str, str] | None = None  # the demo's generated owner login

    def __call__(self, path: str = "/") -> str:
        return self.url + path


class QuietHandler(WSGIRequestHandler):
    """No access log: request lines would carry invitation tokens into the test output (SECURITY H3)."""

    def log_request(self, *args, **kwargs):
        pass


def app_config(base_app, folder: Path, **overrides) -> dict:
    """The test configuration of ``base_app`` with its own database and files under ``folder``."""
    config = dict(base_app.config)
    config.update(INSTANCE_PATH=str(folder / "instance"), UPLOAD_FOLDER=str(folder / "uploads"),
                  DATABASE_URL=f"sqlite:///{folder}/revue.db", SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
                  **overrides)
    return config


def make_app(base_app, folder: Path, **overrides):
    """Another app with the test configuration of ``base_app`` and its own database and files.

    For what the session ``app`` cannot be: data that outlives one test (the demo), or settings
    fixed when the app is created (``TRUSTED_PROXIES``). Its tables are created; nobody cleans them.
    """
    from revue import create_app, jobs
    from revue.db import db

    worker_app = jobs._worker_app
    app = create_app(app_config(base_app, folder, **overrides))
    jobs._worker_app = worker_app  # create_app() points the job runner at the newest app: keep the session's
    with app.app_context():
        db.create_all()
        db.session.remove()
    return app


def dispose(app) -> None:
    from revue.db import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def serving(wsgi_app, *, ssl_context=None, server=None) -> Iterator:
    """Serve ``wsgi_app`` on 127.0.0.1 (a free port) in a thread; yields the server (``.server_port``)."""
    server = server or make_server("127.0.0.1", 0, wsgi_app, threaded=True, request_handler=QuietHandler,
                                   ssl_context=ssl_context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"revue-e2e-server-{server.server_port}", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


CSP_WATCH = """
(() => {
  window.__csp = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    const v = {directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
               line: e.lineNumber, sample: e.sample, page: location.href};
    window.__csp.push(v);
    try { window.__revueCsp(v); } catch (err) { /* binding not ready: the console error still counts */ }
  }, true);
})();
"""


@dataclass
class BrowserErrors:
    """What a page reports that a user should never cause; collected per test, asserted at its end.

    Console errors, uncaught exceptions, 5xx answers, CSP violations (SECURITY G2), and writes
    that go out without a CSRF token (SECURITY C3: ``X-CSRFToken`` on htmx requests; the header
    or a ``csrf_token`` field on other posts, e.g. plain forms and the upload script).
    """

    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def watch(self, context) -> None:
        context.expose_binding("__revueCsp", lambda source, v: self._add(
            f"CSP violation on {v.get('page')}: {v.get('directive')} blocked {v.get('blocked')!r} "
            f"({v.get('source')}:{v.get('line')} {v.get('sample')!r})"))
        context.add_init_script(CSP_WATCH)
        context.on("console", self._console)
        context.on("weberror", lambda err: self._add(f"uncaught exception: {err.error}"))
        context.on("request", self._request)
        context.on("response", self._response)

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def take(self) -> list[str]:
        """Return and forget what was collected (for a test that provoked it on purpose)."""
        with self.lock:
            taken, self.errors = self.errors, []
        return taken

    def _console(self, msg) -> None:
        if msg.type in ("error", "assert"):
            where = msg.location or {}
            self._add(f"console {msg.type} on {msg.page.url if msg.page else '?'}: {msg.text} "
                      f"({where.get('url', '')}:{where.get('lineNumber', '')})")

    def _request(self, request) -> None:
        if request.method not in WRITE_METHODS or urlsplit(request.url).hostname != "127.0.0.1":
            return
        headers = request.headers
        if headers.get("x-csrftoken"):
            return
        if headers.get("hx-request"):
            self._add(f"htmx {request.method} {request.url} without X-CSRFToken")
        elif b"csrf_token" not in (request.post_data_buffer or b""):
            self._add(f"{request.method} {request.url} without X-CSRFToken or a csrf_token field")

    def _response(self, response) -> None:
        if response.status >= 500:
            self._add(f"{response.status} from {response.request.method} {response.url}")

    def _add(self, text: str) -> None:
        if any(p.search(text) for p in self.allowed):
            return
        with self.lock:
            self.errors.append(text)


# -- accessibility and layout checks (run in the page) ------------------------------------------

UNLABELLED_FIELDS = """() => {
  const name = (el) => {
    const byIds = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean)
      .map((id) => (document.getElementById(id) || {}).textContent || "").join(" ");
    return [el.getAttribute("aria-label") || "", byIds,
            Array.from(el.labels || []).map((l) => l.textContent).join(" "),
            el.getAttribute("title") || ""].join(" ").trim();
  };
  return Array.from(document.querySelectorAll("input, select, textarea"))
    .filter((el) => !["hidden", "submit", "button", "reset"].includes(el.type))
    .filter((el) => el.checkVisibility({visibilityProperty: true}))
    .filter((el) => !name(el))
    .map((el) => el.outerHTML.slice(0, 160));
}"""

FOCUS_LOG = """() => {
  window.__focusLog = [];
  document.addEventListener("focusin", (event) => {
    const el = event.target;
    const style = getComputedStyle(el);
    const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none";
    const label = el.getAttribute("aria-label") || (el.labels && el.labels[0] && el.labels[0].textContent)
      || el.textContent || el.value || "";
    window.__focusLog.push({tag: el.tagName.toLowerCase(), text: label.trim().replace(/\\s+/g, " ").slice(0, 60),
                            inNav: !!el.closest("nav.mainnav"), primary: el.hasAttribute("data-e2e-primary"), ring});
  });
}"""
