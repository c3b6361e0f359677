"""One search box: projects (by their or their client's name), assets (by title or file name) and comments by
their text — only what the person may see.

Comment text is searched with the database's own full-text index: on SQLite an FTS5
external-content table over ``comments.body`` kept in sync by triggers, on PostgreSQL a GIN
index on ``to_tsvector('simple', body)`` queried with ``websearch_to_tsquery``. The DDL lives
here, once: the migration ``b7c1d2e3f405`` and the tests both run :func:`install`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlalchemy import Connection, column, func, literal_column, or_, select, table
from sqlalchemy.sql import ColumnElement

from ..accounts.models import User
from ..assets.access import contact_version_ids, visible_assets
from ..assets.models import Asset, AssetVersion
from ..clients.models import Client
from ..comments.models import Comment
from ..db import db
from ..projects.access import visible_projects
from ..projects.models import Project

LIMIT = 20
MAX_QUERY = 200
HIT_START, HIT_END = "\x02", "\x03"  # marks around a matched word in a snippet; escaped text never holds them

FTS_TABLE = "comments_fts"
SQLITE_INSTALL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "body, content='comments', content_rowid='id', tokenize='unicode61')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON comments BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, new.body); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON comments BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF body ON comments BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body); "
    f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, new.body); END",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",  # index the comments already there
)
SQLITE_UNINSTALL = (
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ai",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ad",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_au",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)
PG_INDEX = "ix_comments_body_tsv"
POSTGRES_INSTALL = (
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON comments USING gin (to_tsvector('simple', body))",
)
POSTGRES_UNINSTALL = (f"DROP INDEX IF EXISTS {PG_INDEX}",)
#: what ``flask db check`` must not take for schema drift (it is not in the models on purpose)
SCHEMA_OBJECTS = frozenset({FTS_TABLE, f"{FTS_TABLE}_data", f"{FTS_TABLE}_idx", f"{FTS_TABLE}_docsize",
                            f"{FTS_TABLE}_config", f"{FTS_TABLE}_content", PG_INDEX})


def install(connection: Connection) -> None:
    """Create the full-text index of comments for this connection's database (idempotent)."""
    statements = {"sqlite": SQLITE_INSTALL, "postgresql": POSTGRES_INSTALL}.get(connection.dialect.name, ())
    for statement in statements:
        connection.exec_driver_sql(statement)


def uninstall(connection: Connection) -> None:
    statements = {"sqlite": SQLITE_UNINSTALL, "postgresql": POSTGRES_UNINSTALL}.get(connection.dialect.name, ())
    for statement in statements:
        connection.exec_driver_sql(statement)


# -- reading ------------------------------------------------------------------------------------


@dataclass
class CommentHit:
    id: int
    thread_id: int  # the top-level comment: the viewer opens its thread (page, time)
    version_id: int
    version_number: int
    asset_title: str
    project_name: str
    author: str
    snippet: Markup
    internal: bool
    is_reply: bool


@dataclass
class Results:
    q: str
    projects: list = field(default_factory=list)  # (Project, client name)
    assets: list = field(default_factory=list)  # (Asset, project name)
    comments: list[CommentHit] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.projects or self.assets or self.comments)


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_query(raw: str | None) -> str:
    """One line of at most MAX_QUERY characters, without control characters (PostgreSQL refuses NUL)."""
    return " ".join(CONTROL.sub(" ", raw or "").split())[:MAX_QUERY]


def search(user: User, q: str) -> Results:
    results = Results(q=q)
    if not q:
        return results
    results.projects = _projects(user, q)
    results.assets = _assets(user, q)
    results.comments = _comments(user, q)
    return results


def _like(column, q: str) -> ColumnElement[bool]:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def _projects(user: User, q: str) -> list:
    query = (visible_projects(user).join(Client, Client.id == Project.client_id)
             .where(or_(_like(Project.name, q), _like(Client.name, q)))
             .add_columns(Client.name)
             .order_by(Project.status, func.lower(Project.name)).limit(LIMIT))
    return list(db.session.execute(query).all())


def _assets(user: User, q: str) -> list:
    """By title, or by the file name of one of its versions the person may see ("brochure.pdf")."""
    files = select(AssetVersion.asset_id).where(_like(AssetVersion.original_name, q), AssetVersion.deleted_at.is_(None))
    if not user.is_agency:  # a draft's file name stays with the team
        files = files.where(AssetVersion.id.in_(contact_version_ids(user)))
    query = (visible_assets(user).join(Project, Project.id == Asset.project_id)
             .where(or_(_like(Asset.title, q), Asset.id.in_(files)))
             .add_columns(Project.name)
             .order_by(Asset.archived_at.is_not(None), func.lower(Asset.title)).limit(LIMIT))
    return list(db.session.execute(query).all())


def _words(q: str) -> list[str]:
    return re.findall(r"\w+", q)[:20]


def _comments(user: User, q: str) -> list[CommentHit]:
    words = _words(q)
    if not words:
        return []
    dialect = db.session.get_bind().dialect.name
    author = func.coalesce(User.name, func.nullif(Comment.guest_name, ""), "Guest")
    columns = (Comment.id, Comment.parent_id, Comment.version_id, AssetVersion.number, Asset.title, Project.name,
               author, Comment.internal)
    if dialect == "sqlite":
        fts, index = literal_column(FTS_TABLE), table(FTS_TABLE, column("rowid"))
        snippet = func.snippet(fts, 0, HIT_START, HIT_END, "…", 24)
        match = " ".join(f'"{word}"' for word in words)  # each word quoted: user input is never FTS syntax
        query = (select(*columns, snippet)
                 .select_from(index).join(Comment, Comment.id == index.c.rowid)
                 .where(fts.op("MATCH")(match))
                 .order_by(func.bm25(fts), Comment.id.desc()))
    elif dialect == "postgresql":
        vector = func.to_tsvector(literal_column("'simple'"), Comment.body)  # the indexed expression, exactly
        tsquery = func.websearch_to_tsquery(literal_column("'simple'"), q)
        options = f"StartSel={HIT_START}, StopSel={HIT_END}, MaxWords=30, MinWords=12, MaxFragments=2, " \
                  "FragmentDelimiter=\" … \""
        snippet = func.ts_headline(literal_column("'simple'"), Comment.body, tsquery, options)
        query = (select(*columns, snippet).select_from(Comment)
                 .where(vector.op("@@")(tsquery))
                 .order_by(func.ts_rank(vector, tsquery).desc(), Comment.id.desc()))
    else:  # pragma: no cover - Revue runs on SQLite and PostgreSQL
        query = select(*columns, Comment.body).select_from(Comment).where(_like(Comment.body, q))
    query = _visible_comments(query, user).limit(LIMIT)
    return [CommentHit(id=row[0], thread_id=row[1] or row[0], version_id=row[2], version_number=row[3],
                       asset_title=row[4], project_name=row[5], author=row[6], internal=row[7],
                       is_reply=row[1] is not None, snippet=highlight(row[8]))
            for row in db.session.execute(query)]


def _visible_comments(query, user: User):
    projects = select(visible_projects(user).subquery().c.id)
    query = (query.join(AssetVersion, AssetVersion.id == Comment.version_id)
             .join(Asset, Asset.id == AssetVersion.asset_id)
             .join(Project, Project.id == Asset.project_id)
             .outerjoin(User, User.id == Comment.author_id)
             .where(Project.id.in_(projects), Comment.deleted_at.is_(None), AssetVersion.deleted_at.is_(None)))
    if not user.is_agency:  # client contacts: shared versions only, never an internal comment (DESIGN)
        query = query.where(Comment.internal.is_(False), Comment.version_id.in_(contact_version_ids(user)))
    return query


def highlight(snippet: str | None) -> Markup:
    """The snippet escaped (G4), with ``<mark>`` around the words the database matched."""
    text = str(escape(snippet or ""))
    return Markup(text.replace(HIT_START, "<mark>").replace(HIT_END, "</mark>"))  # noqa: S704 — escaped above
