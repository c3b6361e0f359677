"""``/healthz`` (a load balancer's probe) and the checks behind ``flask revue check``."""

from __future__ import annotations

import os

from flask import Blueprint, current_app, jsonify
from sqlalchemy import inspect, text

from .db import db

bp = Blueprint("health", __name__, url_prefix="/healthz")


@bp.get("")
def healthz():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")


def problems() -> list[tuple[str, str]]:
    """``(level, message)`` pairs; level is ``error`` (broken) or ``warning`` (works, but look)."""
    cfg = current_app.config
    found: list[tuple[str, str]] = []
    try:
        # One connection: on SQLite a second one would wait for this transaction's lock.
        connection = db.session.connection()
        connection.execute(text("SELECT 1"))
        if "users" not in inspect(connection).get_table_names():
            found.append(("error", "The database has no tables: run `flask --app revue db upgrade`."))
    except Exception as exc:  # noqa: BLE001 — report any connection problem
        found.append(("error", f"Cannot reach the database: {exc}"))
    finally:
        db.session.rollback()
    if cfg.get("STORAGE", "local") == "local":
        folder = cfg["UPLOAD_FOLDER"]
        os.makedirs(folder, exist_ok=True)
        if not os.access(folder, os.W_OK):
            found.append(("error", f"The upload folder {folder} is not writable."))
    if not cfg["BASE_URL"].startswith("https://") and not cfg.get("DEBUG"):
        found.append(("warning", f"REVUE_BASE_URL is {cfg['BASE_URL']}: use https:// in production."))
    if not cfg.get("SMTP_HOST"):
        found.append(("warning", "No REVUE_SMTP_HOST: emails wait in Settings → Outbox instead of being sent."))
    return found
