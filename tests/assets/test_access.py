"""Who reaches an asset, its versions and its files (SECURITY D1, D6): outsiders get 404 on
every URL, client contacts see only versions sent to them, never drafts."""

from __future__ import annotations

import pytest

from revue.assets.models import Asset, AssetVersion
from revue.db import db

GETS = ["/assets/{a}", "/assets/{a}/versions", "/assets/versions/{v}/original", "/assets/versions/{v}/r/thumb",
        "/assets/versions/{v}/r/poster", "/assets/versions/{v}/media"]
POSTS = [("/assets/{a}/title", {"title": "Hacked"}), ("/assets/{a}/assign", {"assignee_id": "0"}),
         ("/assets/{a}/due", {"due_date": "2030-01-01"}), ("/assets/{a}/archive", {"archived": "1"}),
         ("/assets/versions/{v}/retry", {}), ("/assets/versions/{v}/delete", {}),
         ("/assets/versions/{v}/restore", {}), ("/review/versions/{v}/record-approval", {"note": "Phone call"})]


@pytest.fixture
def video(create_asset, project, member):
    """A ready video asset with two versions (so delete would be allowed)."""
    v1 = create_asset(project, member, "clip.mp4")
    v2 = create_asset(project, member, "clip.mp4", name="second-cut.mp4", asset=v1.asset)
    return v1, v2


@pytest.fixture
def share(app_ctx):
    """``share(version, contact)``: send the version to an open client stage with that reviewer."""
    from revue.review.models import Participant, Review, ReviewStage, ReviewStatus, Rule, StageStatus

    def send(version, contact):
        review = Review(asset_id=version.asset_id, version_id=version.id, project_id=version.asset.project_id,
                        status=ReviewStatus.OPEN)
        stage = ReviewStage(position=1, name="Client", rule=Rule.ALL, internal=False, status=StageStatus.OPEN)
        stage.participants.append(Participant(user_id=contact.id, email=contact.email, name=contact.name))
        review.stages.append(stage)
        db.session.add(review)
        db.session.commit()

    return send


def urls(asset_id: int, version_id: int):
    fill = {"a": asset_id, "v": version_id}
    return [u.format(**fill) for u in GETS], [(u.format(**fill), data) for u, data in POSTS]


def unchanged(asset_id: int) -> tuple:
    db.session.commit()
    asset = db.session.get(Asset, asset_id)
    return (asset.title, asset.assignee_id, asset.due_date, asset.archived_at, asset.current_version_id,
            [(v.deleted_at, v.state) for v in asset.versions])


def test_the_project_member_reaches_everything(app_ctx, video, member_client):
    v1, v2 = video
    gets, _ = urls(v2.asset_id, v2.id)
    for url in gets:
        assert member_client.get(url).status_code == 200, url


def test_an_admin_off_the_project_reaches_everything(app_ctx, video, create_user, signed_in):
    v1, v2 = video
    admin = signed_in(create_user("admin"))
    gets, _ = urls(v2.asset_id, v2.id)
    for url in gets:
        assert admin.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["outsider", "contact", "other_contact"])
def test_people_without_access_get_404_everywhere(who, app_ctx, video, outsider, contact, create_user,
                                                  create_client_row, signed_in, member, resumable, media):
    v1, v2 = video
    person = {"outsider": outsider, "contact": contact,
              "other_contact": create_user("client", client=create_client_row("Rival"))}[who]
    browser = signed_in(person)
    before = unchanged(v2.asset_id)
    for version in (v1, v2):
        gets, posts = urls(version.asset_id, version.id)
        for url in gets:
            answer = browser.get(url)
            assert answer.status_code == 404, (who, url)
            assert b"clip" not in answer.data
        for url, data in posts:
            assert browser.post(url, data=data).status_code == 404, (who, url)
    upload = resumable(browser, v1.asset.project_id, media("logo.png").read_bytes(), "logo.png",
                       asset_id=v1.asset_id)
    assert upload.status_code == 404
    assert unchanged(v2.asset_id) == before
    board = browser.get("/board/").get_data(as_text=True)
    assert "/assets/" not in board and "clip" not in board


def test_anonymous_is_sent_to_login_and_files_are_404(app_ctx, video, make_client):
    v1, v2 = video
    anonymous = make_client()
    gets, posts = urls(v2.asset_id, v2.id)
    for url in gets:
        answer = anonymous.get(url)
        if "/versions/" in url and not url.endswith("/versions"):
            assert answer.status_code == 404, url
        else:
            assert answer.status_code in (302, 303) and "/account/login" in answer.headers["Location"], url
    before = unchanged(v2.asset_id)
    for url, data in posts:
        answer = anonymous.post(url, data=data)
        assert answer.status_code in (302, 303, 404), url
        assert answer.status_code == 404 or "/account/login" in answer.headers["Location"]
    assert unchanged(v2.asset_id) == before
    assert anonymous.get("/board/").status_code in (302, 303)


def test_a_contact_sees_the_version_sent_to_them_and_never_the_draft_after_it(
        app_ctx, video, contact, share, signed_in):
    v1, v2 = video
    share(v1, contact)
    browser = signed_in(contact)
    gets, posts = urls(v1.asset_id, v1.id)
    for url in gets:
        assert browser.get(url).status_code == 200, url
    for url in urls(v2.asset_id, v2.id)[0][2:]:
        assert browser.get(url).status_code == 404, url  # v2 is a draft

    page = browser.get(f"/assets/{v1.asset_id}").get_data(as_text=True)
    assert f"/assets/versions/{v1.id}/" in page
    assert f"/versions/{v2.id}" not in page and ">v2<" not in page and "v2 of" not in page
    assert "v1 of 1" in page
    fragment = browser.get(f"/assets/{v1.asset_id}/versions").get_data(as_text=True)
    assert "v1" in fragment and "v2" not in fragment and "second-cut" not in fragment
    for url, data in posts:  # contacts act through reviews, never on the asset
        assert browser.post(url, data=data).status_code == 404, url

    board = browser.get(f"/board/projects/{v1.asset.project_id}").get_data(as_text=True)
    assert f"/assets/versions/{v1.id}/r/thumb" in board
    assert f"/versions/{v2.id}/" not in board and ">v2<" not in board
    assert "Actions" not in board


def test_a_deleted_shared_version_disappears_for_the_contact(app_ctx, video, contact, share, signed_in,
                                                            member_client):
    v1, v2 = video
    share(v1, contact)
    browser = signed_in(contact)
    assert member_client.post(f"/assets/versions/{v1.id}/delete").status_code == 303
    for url in urls(v1.asset_id, v1.id)[0]:
        assert browser.get(url).status_code == 404, url
    assert f"/assets/{v1.asset_id}" not in browser.get("/board/").get_data(as_text=True)


def test_a_member_only_sees_assets_of_their_projects_on_the_board(app_ctx, create_project, create_asset, member,
                                                                  outsider, signed_in, project,
                                                                  create_client_row):
    mine = create_asset(project, member, "logo.png", name="Mine.png")
    secret = create_project(create_client_row("Globex"), name="Secret", members=[outsider])
    theirs = create_asset(secret, outsider, "logo.png", name="Theirs.png")
    board = signed_in(member).get("/board/").get_data(as_text=True)
    assert f"/assets/{mine.asset_id}" in board and f"/assets/{theirs.asset_id}" not in board
    assert "Secret" not in board
    assert signed_in(member).get(f"/board/projects/{theirs.asset.project_id}").status_code == 404
    assert signed_in(member).get(f"/board/?project={theirs.asset.project_id}").status_code == 404


def test_versions_of_an_asset_are_only_reached_through_their_own_ids(app_ctx, video, member_client):
    v1, v2 = video
    assert member_client.get(f"/assets/versions/{v2.id + 100}/original").status_code == 404
    assert member_client.get(f"/assets/{v2.asset_id + 100}").status_code == 404
    assert db.session.get(AssetVersion, v1.id).asset_id == v2.asset_id
