"""Database core: the declarative base, the Flask-SQLAlchemy handle and engine tuning.

SQLite gets WAL, a busy timeout, foreign keys and ``BEGIN IMMEDIATE`` for every
transaction (SECURITY I1): in WAL mode a read-then-write transaction otherwise fails
with "database is locked" as soon as another connection wrote in between.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)


def reads_only() -> bool:
    """True inside a GET/HEAD request that has not declared it writes (see :func:`will_write`)."""
    from flask import g, has_request_context, request

    return has_request_context() and request.method in ("GET", "HEAD") and not g.get("revue_writes", False)


def will_write() -> None:
    """Call first thing in a GET view that writes (a token's "opened" mark), before any query."""
    from flask import g

    g.revue_writes = True


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def tune_engine(engine: Engine) -> None:
    """Install per-connection settings; call once per engine (idempotent)."""
    if getattr(engine, "_revue_tuned", False):
        return
    engine._revue_tuned = True  # type: ignore[attr-defined]
    if not is_sqlite(engine):
        return

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        # Writers take the lock up front (a read-then-write transaction in WAL fails at once otherwise);
        # plain page views read a snapshot and block nobody.
        conn.exec_driver_sql("BEGIN" if reads_only() else "BEGIN IMMEDIATE")

    # After a fork (gunicorn --preload) never reuse the parent's connections (I3).
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
