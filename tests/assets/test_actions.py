"""Card and asset actions: rename, assign, due date, archive, and version delete / restore.
Each writes one activity row; htmx gets 204 + board-changed, plain forms 303; bad input 422."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from revue.activity import Activity
from revue.assets.models import Asset, AssetVersion
from revue.db import db

HTMX = {"HX-Request": "true"}


def asset_row(asset_id: int) -> Asset:
    db.session.commit()
    return db.session.get(Asset, asset_id)


def actions(*names: str) -> list[Activity]:
    db.session.commit()
    return db.session.scalars(select(Activity).where(Activity.action.in_(names)).order_by(Activity.id)).all()


@pytest.fixture
def logo(create_asset, project, member):
    return create_asset(project, member, "logo.png")


def test_rename_writes_activity_and_goes_back(app_ctx, logo, member, member_client):
    answer = member_client.post(f"/assets/{logo.asset_id}/title", data={"title": "  Logo   final "})
    assert answer.status_code == 303 and answer.headers["Location"] == f"/assets/{logo.asset_id}"
    assert asset_row(logo.asset_id).title == "Logo final"
    [row] = actions("asset.renamed")
    assert (row.actor_id, row.subject_id, row.data["old"]) == (member.id, logo.asset_id, "logo")


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_a_bad_title_is_422_and_changes_nothing(title, app_ctx, logo, member_client):
    for headers in ({}, HTMX):
        answer = member_client.post(f"/assets/{logo.asset_id}/title", data={"title": title}, headers=headers)
        assert answer.status_code == 422
    assert asset_row(logo.asset_id).title == "logo" and actions("asset.renamed") == []


def test_assign_to_a_project_member_and_back_to_nobody(app_ctx, logo, member, member_client):
    answer = member_client.post(f"/assets/{logo.asset_id}/assign", data={"assignee_id": member.id}, headers=HTMX)
    assert answer.status_code == 204
    trigger = json.loads(answer.headers["HX-Trigger"])
    assert trigger["board-changed"] is True and trigger["revue:toast"]["message"] == "Assigned to Mia Member."
    assert asset_row(logo.asset_id).assignee_id == member.id
    board = member_client.get(f"/board/projects/{logo.asset.project_id}").get_data(as_text=True)
    assert '<span class="assignee">Mia Member</span>' in board
    assert member_client.post(f"/assets/{logo.asset_id}/assign", data={"assignee_id": "0"}).status_code == 303
    assert asset_row(logo.asset_id).assignee_id is None
    assert [r.data["assignee"] for r in actions("asset.assigned")] == [member.email, None]


def test_assign_refuses_people_off_the_team(app_ctx, logo, outsider, contact, member_client):
    for person in (outsider, contact):
        answer = member_client.post(f"/assets/{logo.asset_id}/assign", data={"assignee_id": person.id})
        assert answer.status_code == 422
    assert member_client.post(f"/assets/{logo.asset_id}/assign", data={"assignee_id": "x"}).status_code == 422
    assert asset_row(logo.asset_id).assignee_id is None and actions("asset.assigned") == []


def test_due_date_set_and_cleared(app_ctx, logo, member_client):
    assert member_client.post(f"/assets/{logo.asset_id}/due", data={"due_date": "2030-12-24"}).status_code == 303
    assert asset_row(logo.asset_id).due_date == date(2030, 12, 24)
    assert member_client.post(f"/assets/{logo.asset_id}/due", data={"due_date": ""}, headers=HTMX).status_code == 204
    assert asset_row(logo.asset_id).due_date is None
    assert [r.data["due"] for r in actions("asset.due_set")] == ["2030-12-24", None]
    bad = member_client.post(f"/assets/{logo.asset_id}/due", data={"due_date": "next friday"})
    assert bad.status_code == 422 and len(actions("asset.due_set")) == 2


def test_archive_and_restore_write_activity(app_ctx, logo, member, member_client):
    assert member_client.post(f"/assets/{logo.asset_id}/archive", data={"archived": "1"}).status_code == 303
    assert asset_row(logo.asset_id).archived_at is not None
    page = member_client.get(f"/assets/{logo.asset_id}").get_data(as_text=True)
    assert "Archived" in page and "Upload a new version" not in page
    assert member_client.post(f"/assets/{logo.asset_id}/archive", data={"archived": "0"}).status_code == 303
    assert asset_row(logo.asset_id).archived_at is None
    assert [(r.action, r.actor_id) for r in actions("asset.archived", "asset.unarchived")] == [
        ("asset.archived", member.id), ("asset.unarchived", member.id)]


@pytest.mark.parametrize("back", ["//evil.example/x", "/\\evil.example/x", "https://evil.example/",
                                  "/board/\r\nSet-Cookie: a=b", "javascript:alert(1)"])
def test_back_never_leads_off_the_site(back, app_ctx, logo, member_client):
    answer = member_client.post(f"/assets/{logo.asset_id}/archive", data={"archived": "1", "back": back})
    assert answer.status_code == 303 and answer.headers["Location"] == f"/assets/{logo.asset_id}"


def test_back_to_the_board_with_its_filters(app_ctx, logo, member_client):
    answer = member_client.post(f"/assets/{logo.asset_id}/archive",
                                data={"archived": "1", "back": "/board/?client=1&assignee=2"})
    assert answer.headers["Location"] == "/board/?client=1&assignee=2"


def test_client_contacts_and_outsiders_cannot_act(app_ctx, logo, contact, outsider, signed_in):
    for person in (contact, outsider):
        browser = signed_in(person)
        assert browser.post(f"/assets/{logo.asset_id}/title", data={"title": "x"}).status_code == 404
        assert browser.post(f"/assets/{logo.asset_id}/archive", data={"archived": "1"}).status_code == 404
    assert asset_row(logo.asset_id).title == "logo" and actions("asset.renamed", "asset.archived") == []


def test_card_actions_need_csrf(app_ctx, logo, member_client):
    answer = member_client.post(f"/assets/{logo.asset_id}/archive", data={"archived": "1"}, csrf=False)
    assert answer.status_code == 400
    assert asset_row(logo.asset_id).archived_at is None


# -- versions: delete and restore -------------------------------------------------------------


@pytest.fixture
def three_versions(create_asset, project, member):
    v1 = create_asset(project, member, "logo.png")
    v2 = create_asset(project, member, "pic.webp", asset=v1.asset)
    v3 = create_asset(project, member, "old.bmp", asset=v1.asset)
    return v1, v2, v3


def current(asset_id: int) -> int:
    return asset_row(asset_id).current_version_id


def test_deleting_the_current_version_falls_back_and_restoring_brings_it_back(app_ctx, three_versions, member,
                                                                            member_client):
    v1, v2, v3 = three_versions
    assert current(v1.asset_id) == v3.id
    answer = member_client.post(f"/assets/versions/{v3.id}/delete")
    assert answer.status_code == 303 and answer.headers["Location"] == f"/assets/{v1.asset_id}"
    assert current(v1.asset_id) == v2.id
    page = member_client.get(f"/assets/{v1.asset_id}").get_data(as_text=True)
    assert "v2 of 2" in page and "Deleted" in page and "Restore" in page
    assert member_client.post(f"/assets/versions/{v2.id}/delete", headers=HTMX).status_code == 204
    assert current(v1.asset_id) == v1.id

    assert member_client.post(f"/assets/versions/{v3.id}/restore").status_code == 303
    assert current(v1.asset_id) == v3.id
    assert member_client.post(f"/assets/versions/{v2.id}/restore").status_code == 303
    assert current(v1.asset_id) == v3.id
    assert [(r.action, r.subject_id, r.actor_id) for r in actions("version.deleted", "version.restored")] == [
        ("version.deleted", v3.id, member.id), ("version.deleted", v2.id, member.id),
        ("version.restored", v3.id, member.id), ("version.restored", v2.id, member.id)]


def test_deleting_an_older_version_keeps_the_current_one(app_ctx, three_versions, member_client):
    v1, v2, v3 = three_versions
    assert member_client.post(f"/assets/versions/{v1.id}/delete").status_code == 303
    assert current(v1.asset_id) == v3.id
    assert db.session.get(AssetVersion, v1.id).deleted_at is not None
    # deleted versions keep their file; the team can still fetch it
    assert member_client.get(f"/assets/versions/{v1.id}/original").status_code == 200


def test_the_only_version_cannot_be_deleted(app_ctx, create_asset, project, member, member_client):
    only = create_asset(project, member, "logo.png")
    answer = member_client.post(f"/assets/versions/{only.id}/delete")
    assert answer.status_code == 409
    assert "This is the only version. Archive the asset instead." in answer.get_data(as_text=True)
    assert current(only.asset_id) == only.id and db.session.get(AssetVersion, only.id).deleted_at is None
    page = member_client.get(f"/assets/{only.asset_id}").get_data(as_text=True)
    assert f"/assets/versions/{only.id}/delete" not in page


def test_the_last_live_version_cannot_be_deleted_either(app_ctx, three_versions, member_client):
    v1, v2, v3 = three_versions
    member_client.post(f"/assets/versions/{v3.id}/delete")
    member_client.post(f"/assets/versions/{v2.id}/delete")
    assert member_client.post(f"/assets/versions/{v1.id}/delete").status_code == 409
    assert current(v1.asset_id) == v1.id
    page = member_client.get(f"/assets/{v1.asset_id}").get_data(as_text=True)
    assert f"/assets/versions/{v1.id}/delete" not in page


def test_the_versions_fragment(app_ctx, three_versions, member_client):
    v1, _, v3 = three_versions
    fragment = member_client.get(f"/assets/{v1.asset_id}/versions", headers=HTMX)
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<ol class="versions" id="versions"') and "<html" not in text
    assert text.index("v3") < text.index("v1") and "hx-trigger" not in text
    assert v3.sha256 in text
