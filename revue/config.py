"""Configuration: defaults, then ``instance/config.py``, then ``REVUE_*`` variables."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

DEFAULTS: dict = {
    "DATABASE_URL": None,  # default: SQLite file in the instance folder
    "BASE_URL": "http://127.0.0.1:5000",
    "REDIS_URL": None,
    "STORAGE": "local",
    "S3_BUCKET": None,
    "S3_ENDPOINT_URL": None,
    "S3_REGION": None,
    "SMTP_HOST": None,
    "SMTP_PORT": 587,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_TLS": "starttls",
    "MAIL_FROM": "Revue <revue@localhost>",
    "MAX_UPLOAD_MB": 500,
    "MAX_MEDIA_UPLOAD_MB": 2048,
    # Previews are made in a sandboxed child: its memory cap, and how long it may take per file.
    "RENDITION_MEMORY_MB": 1536,
    "RENDITION_TIMEOUT_S": 600,
    "ATTACHMENT_TIMEOUT_S": 30,  # a comment attachment's thumbnail is made while the person waits
    # Argon2id parameters (OWASP minimum: m=19 MiB, t=2, p=1). Tests lower them.
    "ARGON2_MEMORY_KIB": 19456,
    "ARGON2_TIME_COST": 2,
    "ARGON2_PARALLELISM": 1,
    # Sessions: absolute lifetime (B4); "remember me" makes the cookie outlive the browser.
    "SESSION_ABSOLUTE_HOURS": 24 * 14,
    "SESSION_SHORT_HOURS": 12,
    "FRESH_LOGIN_MINUTES": 15,
    # Login throttling (A4): failures allowed per window before delays start.
    "THROTTLE_ACCOUNT_FAILURES": 5,
    "THROTTLE_IP_FAILURES": 30,
    "THROTTLE_WINDOW_SECONDS": 15 * 60,
    "HUEY_IMMEDIATE": False,
    "DEMO_PASSWORD_FILE": "demo-login.txt",
}


def load(app, test_config: dict | None) -> None:
    """Fill ``app.config`` in the documented order."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("REVUE")
    if test_config:
        app.config.update(test_config)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'revue.db'}"
    app.config.setdefault("UPLOAD_FOLDER", str(instance / "uploads"))

    url = app.config["DATABASE_URL"]
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})

    app.config["BASE_URL"] = app.config["BASE_URL"].rstrip("/")
    https = app.config["BASE_URL"].startswith("https://")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_NAME="revue_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"]),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=True,
        MAX_CONTENT_LENGTH=int(app.config["MAX_MEDIA_UPLOAD_MB"]) * 1024 * 1024 + 1024 * 1024,
        PREFERRED_URL_SCHEME="https" if https else "http",
    )


def _instance_secret(path: Path) -> str:
    """Read the generated secret key, creating it (mode 0600) on first start."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key
