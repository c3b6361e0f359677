"""full-text search index of comments (SQLite FTS5 table + triggers, PostgreSQL GIN index)

Revision ID: b7c1d2e3f405
Revises: 90e3ff70c508
Create Date: 2026-11-27 10:00:00

The DDL lives in ``revue.search.services`` (the tests create the same objects from there).
It is not part of the models: ``migrations/env.py`` leaves ``SCHEMA_OBJECTS`` out of
``flask db check``.
"""
from alembic import op

from revue.search.services import install, uninstall

# revision identifiers, used by Alembic.
revision = "b7c1d2e3f405"
down_revision = "90e3ff70c508"
branch_labels = None
depends_on = None


def upgrade():
    install(op.get_bind())


def downgrade():
    uninstall(op.get_bind())
