"""Shared fixtures: the app on SQLite (default) or PostgreSQL, clients, factories, a real SMTP server.

Backend: ``REVUE_TEST_BACKEND=postgres`` with ``REVUE_TEST_DATABASE_URL`` runs the suite on
PostgreSQL, one schema per xdist worker. Each test starts from empty tables.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, event, text

from revue import create_app
from revue.db import Base, db

BACKEND = os.environ.get("REVUE_TEST_BACKEND", "sqlite")
PG_URL = os.environ.get("REVUE_TEST_DATABASE_URL", "")
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct horse battery staple"


def worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def pg_schema_url(schema: str) -> tuple[str, dict]:
    """A URL and engine options that put every connection in ``schema``."""
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1) if PG_URL.startswith("postgresql://") else PG_URL
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return url, {"connect_args": {"options": f"-c search_path={schema}"}, "pool_pre_ping": True}


def database_config(tmp_dir, name: str) -> dict:
    if BACKEND == "postgres":
        if not PG_URL:
            pytest.exit("REVUE_TEST_BACKEND=postgres needs REVUE_TEST_DATABASE_URL", returncode=2)
        url, options = pg_schema_url(f"revue_{name}_{worker_id()}_{os.getpid()}")
        return {"DATABASE_URL": url, "SQLALCHEMY_ENGINE_OPTIONS": options}
    return {"DATABASE_URL": f"sqlite:///{tmp_dir}/{name}.db"}


def test_config(tmp_dir, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": str(tmp_dir / "instance"),
        "UPLOAD_FOLDER": str(tmp_dir / "uploads"),
        "BASE_URL": "https://revue.example.com",
        "ARGON2_MEMORY_KIB": 8,
        "ARGON2_TIME_COST": 1,
        "HUEY_IMMEDIATE": True,
        "SMTP_HOST": None,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("revue")
    app = create_app(test_config(tmp, **database_config(tmp, "app")))
    app.test_client_class = CSRFClient
    with app.app_context():
        db.create_all()
        from revue.search.services import install

        with db.engine.begin() as conn:
            install(conn)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Every test starts on empty tables (tests may commit freely)."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
            if conn.dialect.name == "postgresql":  # DELETE + RESTART is ~10x faster than TRUNCATE here
                for sequence in _sequences(conn):
                    conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    shutil.rmtree(app.config["UPLOAD_FOLDER"], ignore_errors=True)


_SEQUENCES: list[str] = []


def _sequences(conn) -> list[str]:
    if not _SEQUENCES:
        _SEQUENCES.extend(conn.execute(text(
            "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()"
        )).scalars())
    return _SEQUENCES


@pytest.fixture
def database_url(tmp_path):
    """A fresh database for app processes a test starts itself (gunicorn): a SQLite file, or a new
    PostgreSQL schema dropped afterwards."""
    if BACKEND != "postgres":
        yield f"sqlite:///{tmp_path}/subprocess.db"
        return
    if not PG_URL:
        pytest.skip("REVUE_TEST_BACKEND=postgres needs REVUE_TEST_DATABASE_URL")
    schema = f"revue_sub_{worker_id()}_{uuid.uuid4().hex[:8]}"
    url, _options = pg_schema_url(schema)
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield
        db.session.remove()


class CSRFClient(FlaskClient):
    """A test client that sends a valid CSRF token with every write, unless ``csrf=False``."""

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", os.urandom(20).hex())
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args, csrf: bool = True, **kwargs):
        if args and isinstance(args[0], str):
            kwargs.setdefault("base_url", "https://localhost")  # the app runs behind HTTPS
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            headers.setdefault("Referer", "https://localhost/")  # browsers send it same-origin (HTTPS check)
            kwargs["headers"] = headers
        if has_app_context():
            # A test holding an app context (app_ctx) must not share it with the request: each request
            # gets its own app context, database session and flask-login user, as in production.
            db.session.commit()
            with self.application.app_context():
                return super().open(*args, **kwargs)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_client(app):
    """Another browser: a fresh test client with its own cookies."""
    return app.test_client


# -- factories --------------------------------------------------------------------------


@pytest.fixture
def signed_in(make_client, login):
    """``signed_in(user)``: a fresh test client logged in as ``user``."""

    def browser(user):
        made = make_client()
        login(made, user)
        return made

    return browser


@pytest.fixture
def workspace(app_ctx):
    from revue.settings.models import Workspace

    ws = Workspace(name="Studio Test", brand_color="#123456")
    db.session.add(ws)
    db.session.commit()
    return ws


@pytest.fixture
def create_user(app_ctx, workspace):
    from revue.accounts import passwords
    from revue.accounts.models import Role, User

    counter = iter(range(1, 10_000))
    hashed = passwords.hash_password(PASSWORD)

    def create(role: str = "member", *, name: str | None = None, email: str | None = None, client=None,
               active: bool = True) -> User:
        n = next(counter)
        user = User(email=email or f"{role}{n}@example.com", name=name or f"{role.title()} {n}", role=Role(role),
                    client_id=client.id if client else None, active=active, password_hash=hashed)
        db.session.add(user)
        db.session.commit()
        return user

    return create


@pytest.fixture
def owner(create_user):
    return create_user("owner", name="Olivia Owner", email="owner@example.com")


@pytest.fixture
def create_client_row(app_ctx):
    from revue.clients.models import Client

    def create(name: str = "Acme") -> Client:
        client = Client(name=name)
        db.session.add(client)
        db.session.commit()
        return client

    return create


@pytest.fixture
def create_project(app_ctx, create_client_row):
    from revue.projects.models import Project, ProjectMember

    def create(client=None, *, name: str = "Launch", members=()) -> Project:
        client = client or create_client_row(f"Client for {name}")
        project = Project(client_id=client.id, name=name, brief="The **brief**")
        db.session.add(project)
        db.session.flush()
        for member in members:
            db.session.add(ProjectMember(project_id=project.id, user_id=member.id))
        db.session.commit()
        return project

    return create


@pytest.fixture
def login(app):
    """``login(client, user)`` logs a test client in through the real form."""

    def do_login(test_client: FlaskClient, user, password: str = PASSWORD, remember: bool = False):
        response = test_client.post("/account/login", data={"email": user.email, "password": password,
                                                            **({"remember": "y"} if remember else {})})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response

    return do_login


# -- queries ----------------------------------------------------------------------------


@pytest.fixture
def count_queries(app):
    """``with count_queries() as q: ...; q.count`` counts SQL statements (N+1 guard)."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        box = _QueryBox()
        engine = db.engine

        def before(*_args, **_kwargs):
            box.count += 1

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield box
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counter


@dataclass
class _QueryBox:
    count: int = 0


# -- a real SMTP server -------------------------------------------------------------------


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} email(s), got {len(self.messages)}")

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in m["To"].lower()]

    @staticmethod
    def text(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def links(message: EmailMessage) -> list[str]:
        return re.findall(r"https?://\S+", Mailbox.text(message))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(app) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) in a thread; the app sends to it while the fixture lives."""
    from aiosmtpd.controller import Controller

    box = Mailbox()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with box.lock:
                box.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    old = {k: app.config.get(k) for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_TLS")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TLS="none")
    try:
        yield box
    finally:
        app.config.update(old)
        controller.stop()
