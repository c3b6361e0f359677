"""SECURITY H1/H2: the activity log is append-only and ``flask revue audit verify`` notices tampering."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text, update

from revue import activity
from revue.activity import GENESIS, Activity
from revue.db import db


@pytest.fixture
def chain(app_ctx, owner):
    """Five activity rows, written the way the app writes them."""
    from revue.clients import services as clients

    for name in ("Acme", "Globex", "Initech"):
        clients.create_client(owner, name=name)
    activity.record("login.failed", actor_label="nobody@example.com", result="denied")
    activity.record("workspace.updated", actor=owner, note="ünïcode ✓", count=3)
    db.session.commit()
    assert db.session.scalar(select(func.count(Activity.id))) == 5
    return owner


def verify(app):
    return app.test_cli_runner().invoke(args=["revue", "audit", "verify"])


def tamper(sql: str, **params) -> None:
    """What someone with database access can do: raw SQL, no ORM events."""
    db.session.execute(text(sql), params)
    db.session.commit()


def test_rows_are_chained(chain):
    rows = db.session.scalars(select(Activity).order_by(Activity.id)).all()
    assert [r.id for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS
    for previous, row in zip(rows, rows[1:], strict=False):
        assert row.prev_hash == previous.hash
        assert row.hash == row.compute_hash()
    assert rows[0].actor_id == chain.id and rows[0].action == "client.created"
    assert rows[0].created_at.tzinfo is not None and rows[0].created_at.utcoffset().total_seconds() == 0
    assert rows[3].actor_id is None and rows[3].actor_label == "nobody@example.com" and rows[3].result == "denied"


def test_a_clean_chain_verifies(app, chain):
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "5 activity rows, chain intact" in result.output


def test_an_empty_log_verifies(app, app_ctx):
    result = verify(app)
    assert result.exit_code == 0, result.output


def test_a_changed_row_is_named(app, chain):
    tamper("UPDATE activities SET action = 'client.deleted' WHERE id = 2")
    result = verify(app)
    assert result.exit_code != 0
    assert "row 2: content was altered" in result.output
    assert "row 1" not in result.output and "row 3" not in result.output


def test_a_changed_row_with_a_recomputed_hash_breaks_the_next_link(app, chain):
    row = db.session.get(Activity, 2)
    forged = Activity(**{c.name: getattr(row, c.name) for c in Activity.__table__.c})
    forged.actor_label = "someone-else@example.com"
    db.session.rollback()
    tamper("UPDATE activities SET actor_label = :label, hash = :hash WHERE id = 2",
           label=forged.actor_label, hash=forged.compute_hash())
    result = verify(app)
    assert result.exit_code != 0
    assert "row 3: chain broken" in result.output


@pytest.mark.parametrize("deleted", [1, 3])
def test_a_deleted_row_is_named(app, chain, deleted):
    tamper("DELETE FROM activities WHERE id = :id", id=deleted)
    result = verify(app)
    assert result.exit_code != 0
    assert f"row {deleted} is missing" in result.output


def test_several_deleted_rows_are_named(app, chain):
    tamper("DELETE FROM activities WHERE id IN (2, 3)")
    result = verify(app)
    assert result.exit_code != 0
    assert "row 2–3 is missing" in result.output


def test_orm_update_raises(chain):
    row = db.session.get(Activity, 1)
    row.action = "client.deleted"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_orm_delete_raises(chain):
    db.session.delete(db.session.get(Activity, 1))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("statement", [
    update(Activity).where(Activity.id == 1).values(action="client.deleted"),
    delete(Activity).where(Activity.id == 1),
], ids=["update", "delete"])
def test_orm_bulk_statements_raise(chain, statement):
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.execute(statement)
    db.session.rollback()
    assert db.session.get(Activity, 1).action == "client.created"
    assert db.session.scalar(select(func.count(Activity.id))) == 5


def test_new_rows_continue_the_chain_after_verification(app, chain):
    activity.record("client.updated", actor=chain)
    db.session.commit()
    result = verify(app)
    assert result.exit_code == 0 and "6 activity rows" in result.output


def test_request_writes_ip_actor_and_project(client, login, owner, create_client_row):
    acme = create_client_row("Acme")
    login(client, owner)
    response = client.post("/projects/new", data={"name": "Audit me", "client_id": acme.id})
    assert response.status_code == 303
    row = db.session.scalar(select(Activity).where(Activity.action == "project.created"))
    assert row.actor_id == owner.id and row.actor_label == owner.email
    assert row.project_id is not None and row.subject_type == "project" and row.subject_id == row.project_id
    assert row.ip == "127.0.0.1"


def test_the_activity_table_time_cells_are_not_drawn_as_comment_pins():
    """``td.num`` (a table's number cell) once picked up the pink pin of a comment's number."""
    import re
    from pathlib import Path

    css = (Path(__file__).parent.parent / "static" / "css" / "revue.css").read_text()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    pins = [selector.strip() for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css) if "#ff3b6b" in body]
    numbered = [s for s in pins if re.search(r"\.num\b", s)]
    assert numbered, "the comment pin style was not found"
    for selector in numbered:
        for part in re.split(r",(?![^()]*\))", selector):  # commas outside :where(...)
            if re.search(r"\.num\b", part):
                assert re.search(r"comment-head|checklist", part), f"{part!r} styles every .num, table cells too"
