"""Schema only through migrations (STYLE 8): ``flask db upgrade`` on an empty database gives
exactly the models' schema, on SQLite and (with ``REVUE_TEST_BACKEND=postgres``) PostgreSQL.

The commands run in subprocesses, as an operator runs them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from revue.db import Base

ROOT = Path(__file__).resolve().parent.parent
BACKEND = os.environ.get("REVUE_TEST_BACKEND", "sqlite")
PG_URL = os.environ.get("REVUE_TEST_DATABASE_URL", "")


def flask(database_url: str, instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REVUE_", "FLASK_"))}
    env.update(REVUE_DATABASE_URL=database_url, REVUE_INSTANCE_PATH=str(instance), REVUE_SECRET_KEY="migrations")
    flask_bin = Path(sys.executable).with_name("flask")
    return subprocess.run([str(flask_bin), "--app", "revue", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def upgrade_and_check(database_url: str, instance: Path) -> None:
    upgrade = flask(database_url, instance, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr[-3000:]
    check = flask(database_url, instance, "db", "check")
    assert check.returncode == 0, f"the models and the migrations differ:\n{check.stdout}{check.stderr[-3000:]}"
    assert "No new upgrade operations detected" in check.stdout + check.stderr


def tables_of(engine) -> set[str]:
    """Tables the migrations made, less Alembic's own and the SQLite FTS5 search index (not a model)."""
    return {t for t in inspect(engine).get_table_names() if t != "alembic_version" and not t.startswith("comments_fts")}


def model_tables() -> set[str]:
    return set(Base.metadata.tables)  # complete once the ``app`` fixture has imported every feature


def test_sqlite_upgrade_from_empty_matches_the_models_and_downgrades(app, tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    instance = tmp_path / "instance"
    upgrade_and_check(url, instance)
    engine = create_engine(url)
    try:
        assert tables_of(engine) == model_tables()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        down = flask(url, instance, "db", "downgrade", "base")
        assert down.returncode == 0, down.stderr[-3000:]
        assert tables_of(engine) == set()
    finally:
        engine.dispose()


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL runs with REVUE_TEST_BACKEND=postgres")
def test_postgres_upgrade_from_empty_matches_the_models(app, tmp_path):
    base = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1) if PG_URL.startswith("postgresql://") \
        else PG_URL
    schema = f"revue_migrations_{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        upgrade_and_check(url, tmp_path / "instance")
        inspector = inspect(admin)
        assert set(inspector.get_table_names(schema=schema)) - {"alembic_version"} == model_tables()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
