"""One search box (``GET /search?q=``): projects, assets and comment text — only what the person may see.

Runs on SQLite (FTS5) and, with ``REVUE_TEST_BACKEND=postgres``, on PostgreSQL (tsvector + GIN).
The tests use an app of their own: its database gets the full-text index the way the migration
makes it (``revue.search.services.install``), and the ``search`` blueprint is registered on it if
``create_app`` does not do so yet.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import conftest as root
import pytest
from sqlalchemy import create_engine, inspect, text

from revue import create_app
from revue.db import db, utcnow

from . import factories
from .conftest import text_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from revue.search import bp
    from revue.search import services as search

    tmp = tmp_path_factory.mktemp("search")
    app = create_app(root.test_config(tmp, **root.database_config(tmp, "search")))
    app.test_client_class = root.CSRFClient
    if "search" not in app.blueprints:  # until create_app registers it
        app.register_blueprint(bp)
    with app.app_context():
        db.create_all()
        with db.engine.begin() as conn:
            search.install(conn)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def world(project, member, teammate, outsider, contact, stranger, create_project, owner):
    """Launch (Mia, Theo; client Acme): "Hero banner" v1 shared with Cleo, v2 a draft; "Teaser" not shared.
    Rebrand (Otto; Acme). Secret launch (client Other; shared with Sam)."""
    hero = factories.make_version(project, member, "image", title="Hero banner")
    factories.share(hero, contact)
    public = factories.comment(hero, contact, "The kerning of the headline is uneven")
    internal = factories.comment(hero, member, "Budget talk about kerning, do not share", internal=True)
    factories.comment(hero, teammate, "Internal reply on kerning", parent=internal)
    reply = factories.comment(hero, member, "Fixed the kerning in v2", parent=public)
    draft = factories.make_version(project, member, "image", asset=hero.asset)
    factories.comment(draft, member, "Draft kerning tweak")
    teaser = factories.make_version(project, member, "video", title="Teaser")
    factories.comment(teaser, member, "Teaser kerning on the end card", anchor={"type": "time", "t": 2.0})
    rebrand = create_project(project.client, name="Rebrand", members=[outsider])
    poster = factories.make_version(rebrand, outsider, "image", title="Kerning poster")
    factories.comment(poster, outsider, "Otto's kerning comment")
    secret = create_project(stranger.client, name="Secret launch", members=[])
    other = factories.make_version(secret, owner, "image", title="Other banner")
    factories.share(other, stranger)
    factories.comment(other, stranger, "Kerning elsewhere")
    return {"hero": hero, "draft": draft, "public": public, "internal": internal, "reply": reply}


def found(browser, q: str, **headers) -> dict[str, list[str]]:
    response = browser.get("/search", query_string={"q": q}, headers=headers)
    assert response.status_code == 200
    return groups(response)


def groups(response) -> dict[str, list[str]]:
    body = response.get_data(as_text=True)
    result = {}
    for name in ("projects", "assets", "comments"):
        section = re.search(rf'<section[^>]*aria-labelledby="found-{name}">(.*?)</section>', body, re.S)
        items = re.findall(r"<li>(.*?)</li>", section.group(1), re.S) if section else []
        result[name] = [text_of_fragment(item) for item in items]
    return result


def text_of_fragment(fragment: str) -> str:
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def bodies(hits: list[str]) -> set[str]:
    words = ("uneven", "Budget", "Internal reply", "Fixed the", "Draft", "Teaser kerning", "Otto's", "elsewhere")
    return {w for w in words for hit in hits if w in hit}


# -- who finds what ------------------------------------------------------------------------------


def test_a_member_finds_the_comments_of_their_projects_only(world, as_member):
    result = found(as_member, "kerning")
    assert bodies(result["comments"]) == {"uneven", "Budget", "Internal reply", "Fixed the", "Draft",
                                          "Teaser kerning"}
    assert result["assets"] == []  # "Kerning poster" belongs to Rebrand, which Mia is not on


def test_a_member_of_another_project_finds_only_that_project(world, signed_in, outsider):
    result = found(signed_in(outsider), "kerning")
    assert bodies(result["comments"]) == {"Otto's"}
    assert [a.split(" ·")[0] for a in result["assets"]] == ["Kerning poster"]


def test_the_owner_finds_everything(world, signed_in, owner):
    assert bodies(found(signed_in(owner), "kerning")["comments"]) == {
        "uneven", "Budget", "Internal reply", "Fixed the", "Draft", "Teaser kerning", "Otto's", "elsewhere"}


def test_a_client_contact_never_finds_internal_or_unshared_comments(world, as_contact):
    result = found(as_contact, "kerning")
    assert bodies(result["comments"]) == {"uneven", "Fixed the"}  # shared v1, public thread only
    assert "Internal" not in " ".join(result["comments"])
    assert [a.split(" ·")[0] for a in found(as_contact, "banner")["assets"]] == ["Hero banner"]
    assert found(as_contact, "teaser")["assets"] == []  # never sent to the client
    assert found(as_contact, "draft")["comments"] == []  # v2 is a draft
    assert found(as_contact, "budget")["comments"] == []


def test_another_clients_contact_finds_only_their_own(world, signed_in, stranger):
    result = found(signed_in(stranger), "kerning")
    assert bodies(result["comments"]) == {"elsewhere"}
    assert found(signed_in(stranger), "launch")["projects"] == ["Secret launch · Other"]


def test_projects_by_name_or_client_case_insensitive(world, as_member, owner, signed_in):
    assert found(as_member, "LAUNCH")["projects"] == ["Launch · Client for Launch"]
    assert found(signed_in(owner), "launch")["projects"] == [  # by name, or by the name of the client
        "Launch · Client for Launch", "Rebrand · Client for Launch", "Secret launch · Other"]
    assert [p.split(" ·")[0] for p in found(signed_in(owner), "client for")["projects"]] == ["Launch", "Rebrand"]


def test_like_wildcards_are_taken_literally(world, as_member):
    for q in ("%", "_", "\\"):
        result = found(as_member, q)
        assert result["projects"] == [] and result["assets"] == [], q


def test_a_reply_links_to_its_thread_in_the_viewer(world, as_member):
    body = as_member.get("/search", query_string={"q": "fixed"}).get_data(as_text=True)
    hero, public = world["hero"], world["public"]
    assert f'href="/review/versions/{hero.id}#c{public.id}"' in body
    assert "(reply)" in body


def test_matched_words_are_marked_and_the_rest_escaped(world, member, as_member):
    factories.comment(world["hero"], member, 'Kerning <img src=x onerror=alert(1)> and <b>bold</b> {{ 7*7 }}')
    body = as_member.get("/search", query_string={"q": "onerror kerning"}).get_data(as_text=True)
    assert re.search(r"<mark>kerning</mark>", body, re.I)
    assert "<img src=x" not in body and "<b>bold" not in body
    assert "&lt;img src=x" in body  # shown as typed (PostgreSQL's headline leaves out what looks like a tag)


# -- the index follows the comments -----------------------------------------------------------------


def test_edits_and_deletes_reach_the_index(world, member, as_member):
    mine = factories.comment(world["hero"], member, "Swap the turquoise for navy")
    assert len(found(as_member, "turquoise")["comments"]) == 1
    as_member.post(f"/review/comments/{mine.id}/edit", data={"body": "Swap the magenta for navy"})
    assert found(as_member, "turquoise")["comments"] == []
    assert len(found(as_member, "magenta")["comments"]) == 1
    as_member.post(f"/review/comments/{mine.id}/delete")
    assert found(as_member, "magenta")["comments"] == []


def test_comments_of_a_deleted_version_are_not_found(world, as_member, owner, signed_in):
    world["draft"].deleted_at = utcnow()
    db.session.commit()
    assert found(as_member, "draft")["comments"] == []


def test_comments_go_when_their_asset_goes(world, as_member):
    db.session.delete(world["hero"].asset)
    db.session.commit()
    assert bodies(found(as_member, "kerning")["comments"]) == {"Teaser kerning"}


# -- the box itself ------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ['"kerning', "kerning AND (", "NEAR(kerning", "*", "-kerning", "body:kerning",
                               "kerning OR", "'; DROP TABLE comments; --", "!!!", "ke rn ing", "x" * 500,
                               "kerning\x00", "\u00e9t\u00e9 kerning"])
def test_any_text_is_a_safe_query(q, world, as_member):
    response = as_member.get("/search", query_string={"q": q})
    assert response.status_code == 200, q


def test_words_are_all_required(world, as_member):
    assert bodies(found(as_member, "kerning headline")["comments"]) == {"uneven"}
    assert found(as_member, "kerning zebra")["comments"] == []


def test_an_empty_box_asks_for_words(world, as_member):
    response = as_member.get("/search")
    assert response.status_code == 200
    assert "What are you looking for?" in text_of(response)
    assert "Nothing found" in text_of(as_member.get("/search?q=zebra"))


def test_htmx_gets_the_results_fragment(world, as_member):
    page = as_member.get("/search?q=kerning")
    assert "<h1>Search</h1>" in page.get_data(as_text=True)
    assert 'role="search"' in page.get_data(as_text=True)
    fragment = as_member.get("/search?q=kerning", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert body.lstrip().startswith('<div id="search-results"')
    assert "<html" not in body
    assert "HX-Request" in fragment.headers["Vary"]
    assert "HX-Request" in page.headers["Vary"]
    assert groups(fragment) == groups(page)


def test_search_needs_an_account(world, client):
    response = client.get("/search?q=kerning")
    assert response.status_code in (302, 303)
    assert "/account/login" in response.headers["Location"]


def test_search_runs_a_fixed_number_of_queries(world, member, as_member, count_queries):
    as_member.get("/search?q=kerning")
    with count_queries() as few:
        as_member.get("/search?q=kerning")
    for n in range(30):
        factories.comment(world["hero"], member, f"More kerning {n}")
    with count_queries() as many:
        as_member.get("/search?q=kerning")
    assert few.count == many.count


# -- the schema ----------------------------------------------------------------------------------


def flask(database_url: str, instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REVUE_", "FLASK_"))}
    env.update(REVUE_DATABASE_URL=database_url, REVUE_INSTANCE_PATH=str(instance), REVUE_SECRET_KEY="search")
    return subprocess.run([str(Path(sys.executable).with_name("flask")), "--app", "revue", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def migrated_url(tmp_path) -> tuple[str, object]:
    if root.BACKEND != "postgres":
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
        return url, create_engine(url)
    base = os.environ["REVUE_TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"revue_search_migrations_{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    return url, create_engine(base, connect_args={"options": f"-csearch_path={schema}"})


def search_objects(engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'comments_fts%'"))
        else:
            rows = conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'comments' "
                                     "AND schemaname = current_schema() AND indexname = 'ix_comments_body_tsv'"))
        return {row[0] for row in rows}


def test_the_migration_makes_the_index_and_takes_it_away(app, tmp_path):
    url, engine = migrated_url(tmp_path)
    try:
        up = flask(url, tmp_path / "instance", "db", "upgrade")
        assert up.returncode == 0, up.stderr[-3000:]
        if engine.dialect.name == "sqlite":
            assert {"comments_fts", "comments_fts_ai", "comments_fts_ad", "comments_fts_au"} <= search_objects(engine)
        else:
            assert search_objects(engine) == {"ix_comments_body_tsv"}
        down = flask(url, tmp_path / "instance", "db", "downgrade", "90e3ff70c508")
        assert down.returncode == 0, down.stderr[-3000:]
        assert search_objects(engine) == set()
        assert "comments" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_going_back_restores_the_whole_page(world, as_member):
    """htmx asks for the page again on Back (history restore): it must get the page, not the fragment."""
    response = as_member.get("/search?q=kerning", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<h1>Search</h1>" in response.get_data(as_text=True)
