"""Background jobs (huey): SQLite queue under ``instance/`` by default, Redis when configured.

Services never enqueue directly: they call :func:`defer`, which enqueues the job only
after the surrounding transaction commits (outbox pattern), and drops it on rollback.
Every job runs in its own application context, hence its own database session.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from .db import db

log = logging.getLogger(__name__)

huey = Huey("revue", immediate=True, utc=True, results=False)
_worker_app: Flask | None = None


def init_app(app: Flask) -> None:
    global _worker_app
    _worker_app = app
    if app.config.get("HUEY_IMMEDIATE"):
        huey.immediate = True
        return
    huey._immediate = False
    if app.config.get("REDIS_URL"):
        huey.storage = RedisStorage("revue", url=app.config["REDIS_URL"])
    else:
        path = os.path.join(app.instance_path, "jobs.db")
        huey.storage = SqliteStorage("revue", filename=path)


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _worker_app is None:
        from . import create_app

        create_app()
    assert _worker_app is not None
    return _worker_app


@contextmanager
def _context():
    """A fresh app context (so a fresh database session) with a request context for ``url_for``:
    links are built on BASE_URL, never on a Host header."""
    app = _app()
    # method="POST": a job writes, so SQLite transactions take the write lock up front (db.reads_only)
    with app.app_context(), app.test_request_context(base_url=app.config["BASE_URL"], method="POST"):
        yield


def job(**task_options) -> Callable:
    """Declare a background job; the body runs inside a fresh app context."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args, **kwargs):
            with _context():
                try:
                    return fn(*args, **kwargs)
                except Exception:
                    db.session.rollback()
                    log.exception("job %s failed", fn.__name__)
                    raise
                finally:
                    db.session.remove()

        return huey.task(name=fn.__name__, **task_options)(run)

    return decorate


def periodic(validate_datetime, **task_options) -> Callable:
    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run():
            with _context():
                try:
                    return fn()
                finally:
                    db.session.remove()

        return huey.periodic_task(validate_datetime, name=fn.__name__, **task_options)(run)

    return decorate


def defer(task, *args, **kwargs) -> None:
    """Enqueue ``task`` once the current transaction commits."""
    db.session.info.setdefault("revue_deferred", []).append((task, args, kwargs))


@event.listens_for(Session, "after_commit")
def _enqueue_deferred(session: Session) -> None:
    pending = session.info.pop("revue_deferred", [])
    for task, args, kwargs in pending:
        try:
            task(*args, **kwargs)
        except Exception:  # the sweeper picks the work up later
            log.exception("could not enqueue %s", getattr(task, "name", task))


@event.listens_for(Session, "after_rollback")
def _drop_deferred(session: Session) -> None:
    session.info.pop("revue_deferred", None)
