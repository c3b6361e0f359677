"""SECURITY C2: GET and HEAD never change domain data.

Every GET/HEAD route of ``app.url_map`` is called as the owner, a member, a client contact
and an anonymous visitor (plain and as htmx); after each call every table is hashed again.
Left out: the audit trail, sessions, throttles, the outbox and "opened"/"last used" marks.
"""

from __future__ import annotations

import hashlib
import re

import pytest
import test_routes_csrf as shared
from sqlalchemy import select
from test_routes_csrf import RULES, build_url, rule_id

from revue.db import Base, db

world = shared.world  # a fixture shared with test_routes_csrf

SKIP_TABLES = {"activities", "user_sessions", "throttles", "outbox"}
SKIP_COLUMNS = re.compile(r"(^|_)(opened|last_used)_at$")
READ_RULES = [r for r in RULES if r.methods and "GET" in r.methods]


def snapshot() -> dict[str, str]:
    """A digest of every domain table's rows, by table name."""
    digests = {}
    for table in Base.metadata.sorted_tables:
        if table.name in SKIP_TABLES:
            continue
        columns = [c for c in table.c if not SKIP_COLUMNS.search(c.name)]
        order = list(table.primary_key.columns) or columns
        rows = db.session.execute(select(*columns).order_by(*order)).all()
        digests[table.name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    db.session.rollback()
    return digests


def changed(before: dict, after: dict) -> list[str]:
    return sorted(name for name in after if before.get(name) != after[name])


def test_every_read_route_is_exercised():
    assert len(READ_RULES) >= 20


def test_snapshot_notices_a_change(app_ctx, world):
    before = snapshot()
    world["client"].notes = "changed"
    db.session.commit()
    assert changed(before, snapshot()) == ["clients"]


@pytest.mark.parametrize("who", ["anonymous", "owner", "member", "contact"])
def test_reads_change_nothing(client, login, world, who):
    if who != "anonymous":
        login(client, world[who])
    problems = []
    before = snapshot()
    for rule in READ_RULES:
        url = build_url(rule, world["ids"])
        for method, headers in (("GET", {}), ("HEAD", {}), ("GET", {"HX-Request": "true"})):
            response = client.open(url, method=method, headers=headers)
            response.close()
            if response.status_code >= 500:
                problems.append(f"{method} {url} ({rule_id(rule)}) answered {response.status_code}")
        after = snapshot()
        if after != before:
            problems.append(f"GET/HEAD {url} ({rule_id(rule)}) changed {changed(before, after)}")
            before = after
    assert not problems, "\n".join(problems)
