"""Review links (``/r``): what the team makes, what a guest may do, and how a link ends.

SECURITY E3 (tokens), E5 (one plain page for expired, revoked and unknown links; guessing is
rate limited), E7 (a guest decision binds only for a stage reviewer who confirmed the emailed
code), E9 (the token leaves the address bar), D3 (view-only links, others' comments, internal
comments, downloads), D5 (revoking ends every guest session on the link at the next request).
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta

from sqlalchemy import select

from revue.db import Base, db, utcnow

from .conftest import World, add_stage_reviewer, land

INVALID = "This link is no longer valid"
CSRF = re.compile(r'("X-CSRFToken": "|name="csrf_token" value=")[^"]+')


def plain(response) -> str:
    """The body without the per-session CSRF token."""
    return CSRF.sub(r"\1…", response.get_data(as_text=True))


def text_of(response) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def rows(model, **where):
    db.session.commit()
    found = db.session.scalars(select(model).filter_by(**where).order_by(model.id)).all()
    db.session.commit()
    return found


def fresh(model, row_id):
    db.session.commit()
    db.session.expire_all()
    return db.session.get(model, row_id)


def make_link(world: World, owner_email: str = "owner@example.com", **options):
    """A link made through the service (as the manage page does); returns (link id, raw token)."""
    from revue.accounts.models import User
    from revue.links import services
    from revue.projects.models import Project

    owner = db.session.scalar(select(User).where(User.email == owner_email))
    link, raw = services.create_link(owner, db.session.get(Project, world.objects["project"]), **options)
    db.session.commit()
    return link.id, raw


def unknown_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


# -- the team's page: create (shown once), revoke ---------------------------------------------------


def test_the_team_creates_a_link_that_is_shown_once_and_stored_only_as_a_digest(client, login, owner, one_world):
    from revue.links.models import ReviewLink

    login(client, owner)
    project = one_world.objects["project"]
    response = client.post(f"/links/projects/{project}", data={"label": "For Dana", "can_comment": "1",
                                                               "can_decide": "1"})
    assert response.status_code == 303
    page = client.get(f"/links/projects/{project}").get_data(as_text=True)
    url = re.search(r'value="(https://revue\.example\.com/r/[^"]+)"', page).group(1)  # the public base URL (E8)
    raw = url.rsplit("/", 1)[1]
    assert len(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))) * 8 >= 128  # E3: ≥ 128 random bits
    assert raw not in client.get(f"/links/projects/{project}").get_data(as_text=True)  # shown once

    link = rows(ReviewLink, label="For Dana")[0]
    assert link.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert (link.can_comment, link.can_decide, link.can_download) == (True, True, False)
    dump = all_tables_as_text()
    for token in (raw, *one_world.tokens.values()):
        assert token not in dump  # E3: no table holds a raw token
    assert link.token_hash in dump


def all_tables_as_text() -> str:
    db.session.commit()
    parts = []
    for table in Base.metadata.sorted_tables:
        parts += [repr(tuple(row)) for row in db.session.execute(select(table)).all()]
    db.session.commit()
    return "\n".join(parts)


def test_the_manage_page_refuses_bad_links_and_is_for_the_project_team_only(client, make_client, login, owner,
                                                                            create_user, two_worlds):
    from revue.links.models import ReviewLink

    one_world = two_worlds.a
    login(client, owner)
    project = one_world.objects["project"]
    other_asset = two_worlds.b.objects["asset_shared"]
    before = len(rows(ReviewLink))
    for form, message in (({"asset_ids": str(other_asset)}, "Choose assets of this project."),
                          ({"expires": (utcnow() - timedelta(days=2)).strftime("%Y-%m-%d")},
                           "Choose an expiry date in the future."),
                          ({"expires": "soon"}, "Enter the expiry as a date.")):
        response = client.post(f"/links/projects/{project}", data=form, follow_redirects=True)
        assert message in response.get_data(as_text=True)
    assert len(rows(ReviewLink)) == before

    outsider, contact = make_client(), make_client()
    login(outsider, create_user("member", name="Otto Outsider"))
    login(contact, db.session.get(type(owner), one_world.objects["contact"]))
    link_id = one_world.objects["link_project"]
    for browser in (outsider, contact):
        assert browser.get(f"/links/projects/{project}").status_code == 404
        assert browser.post(f"/links/projects/{project}", data={"label": "x"}).status_code == 404
        assert browser.post(f"/links/{link_id}/revoke").status_code == 404
    assert fresh(ReviewLink, link_id).revoked_at is None


def test_an_asset_link_covers_only_its_assets(client, login, owner, one_world, guest):
    from revue.links.models import ReviewLink

    login(client, owner)
    o = one_world.objects
    client.post(f"/links/projects/{o['project']}", data={"asset_ids": [str(o["asset_sibling"])], "can_comment": "1"})
    page = client.get(f"/links/projects/{o['project']}").get_data(as_text=True)
    raw = re.search(r'value="https://revue\.example\.com/r/([^"]+)"', page).group(1)
    link = rows(ReviewLink)[-1]
    assert [a.asset_id for a in link.assets] == [o["asset_sibling"]]
    browser = guest(raw)
    home = text_of(browser.get("/r/"))
    assert "Alpha Sibling Poster" in home and "Alpha Hero Banner" not in home
    assert browser.get(f"/r/assets/{o['asset_sibling']}").status_code == 200
    assert browser.get(f"/r/assets/{o['asset_shared']}").status_code == 404  # D2


# -- landing: the token leaves the address bar (E9) -------------------------------------------------


def test_landing_redirects_to_a_url_without_the_token_and_pages_are_private(make_client, one_world):
    from revue.links.models import ReviewLink

    raw = one_world.tokens["link_project"]
    browser = make_client()
    head = browser.head(f"/r/{raw}")
    assert head.status_code == 303
    assert fresh(ReviewLink, one_world.objects["link_project"]).last_used_at is None  # HEAD changes nothing
    response = browser.get(f"/r/{raw}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/r/"
    assert raw not in response.headers["Location"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert fresh(ReviewLink, one_world.objects["link_project"]).last_used_at is not None

    land(browser, raw, "Dana Guest", "dana@guests.example")
    for url in ("/r/", f"/r/assets/{one_world.objects['asset_shared']}",
                f"/r/assets/{one_world.objects['asset_shared']}/panel"):
        page = browser.get(url)
        assert page.status_code == 200, url
        assert page.headers["Cache-Control"] == "no-store", url
        assert page.headers["Referrer-Policy"] == "same-origin", url
        assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
        assert raw not in page.get_data(as_text=True), url


# -- who the guest is: asked once per link ----------------------------------------------------------


def test_name_and_email_are_asked_once_per_link(make_client, one_world):
    browser = make_client()
    browser.get(f"/r/{one_world.tokens['link_project']}")
    hello = browser.get("/r/")
    assert hello.status_code == 200 and "Your name" in hello.get_data(as_text=True)
    assert browser.get(f"/r/assets/{one_world.objects['asset_shared']}").status_code == 404  # not before

    bad = browser.post("/r/", data={"name": "  ", "email": "dana at example"})
    assert bad.status_code == 422
    words = text_of(bad)
    assert "Tell us your name" in words and "Enter your email address" in words
    assert 'value="dana at example"' in bad.get_data(as_text=True)  # what they typed stays
    assert browser.post("/r/", data={"name": "Dana", "email": "dana@"}).status_code == 422
    good = browser.post("/r/", data={"name": " Dana   Guest ", "email": "Dana@Guests.Example"})
    assert good.status_code == 303 and good.headers["Location"] == "/r/"

    home = text_of(browser.get("/r/"))
    assert "Hello Dana Guest" in home and "Your name" not in home
    browser.get(f"/r/{one_world.tokens['link_project']}")  # the same link again: not asked again
    assert "Your name" not in text_of(browser.get("/r/"))
    browser.get(f"/r/{one_world.tokens['link_asset']}")  # another link: asked for that link
    assert "Your name" in text_of(browser.get("/r/"))
    browser.post("/r/", data={"name": "Dana Guest", "email": "dana@guests.example"})
    browser.get(f"/r/{one_world.tokens['link_project']}")  # back to the first: still known
    assert "Hello Dana Guest" in text_of(browser.get("/r/"))


def test_a_guests_error_page_leads_back_to_the_review_never_to_the_team_login(one_world, guest, make_client):
    browser = guest(one_world.tokens["link_project"])
    base = f"/r/assets/{one_world.objects['asset_shared']}"
    for answer in (browser.get("/r/assets/999999"),  # not covered: 404
                   browser.post(f"{base}/decide", data={"verdict": "approved"}, csrf=False)):  # a stale form: 400
        assert answer.status_code in (400, 404)
        body = answer.get_data(as_text=True)
        assert 'class="error-code"' in body and '<a class="btn" href="/r/">Back to the review</a>' in body
        assert "Go to the start page" not in body and '<a class="brand"' not in body
    nobody = make_client().post("/e/decide", data={"verdict": "approved"}, csrf=False).get_data(as_text=True)
    assert "Go to the start page" not in nobody and '<a class="btn"' not in nobody  # no page of theirs to go to


# -- password --------------------------------------------------------------------------------------


def test_a_password_protected_link(make_client, one_world):
    _link_id, raw = make_link(one_world, password="open sesame 42")
    browser = make_client()
    browser.get(f"/r/{raw}")
    page = browser.get("/r/")
    assert page.status_code == 200 and "This link is protected" in text_of(page)
    assert browser.get(f"/r/assets/{one_world.objects['asset_shared']}").status_code == 404

    wrong = browser.post("/r/", data={"password": "open sesame"})
    assert wrong.status_code == 422 and "That password is not right." in text_of(wrong)
    right = browser.post("/r/", data={"password": "open sesame 42"})
    assert right.status_code == 303
    assert "Your name" in text_of(browser.get("/r/"))  # then who they are
    browser.post("/r/", data={"name": "Dana", "email": "dana@guests.example"})
    assert browser.get(f"/r/assets/{one_world.objects['asset_shared']}").status_code == 200


def test_guessing_a_link_password_is_throttled(make_client, one_world):
    _link_id, raw = make_link(one_world, password="open sesame 42")
    browser = make_client()
    browser.get(f"/r/{raw}")
    answers = [browser.post("/r/", data={"password": f"guess {n}"}) for n in range(8)]
    codes = [a.status_code for a in answers]
    assert codes[:5] == [422] * 5
    assert 429 in codes, codes
    limited = answers[codes.index(429)]
    assert int(limited.headers["Retry-After"]) >= 1
    assert "Too many attempts" in text_of(limited)
    # While the delay lasts even the right password waits (the guesser learns nothing).
    assert browser.post("/r/", data={"password": "open sesame 42"}).status_code == 429


# -- the end of a link: one plain page (E5), at the next request (D5) -------------------------------


def test_expired_revoked_and_unknown_links_get_the_same_plain_page(make_client, owner, one_world):
    from revue.links import services
    from revue.links.models import ReviewLink

    expired_id, expired = make_link(one_world, expires_at=utcnow() + timedelta(days=1))
    revoked_id, revoked = make_link(one_world)
    fresh(ReviewLink, expired_id).expires_at = utcnow() - timedelta(minutes=1)
    services.revoke(owner, fresh(ReviewLink, revoked_id))
    db.session.commit()

    answers = {}
    for name, token in (("expired", expired), ("revoked", revoked), ("unknown", unknown_token())):
        response = make_client().get(f"/r/{token}")
        answers[name] = (response.status_code, plain(response))
        assert response.headers["Cache-Control"] == "no-store"
    assert answers["expired"] == answers["revoked"] == answers["unknown"]
    status, body = answers["unknown"]
    assert status == 404
    assert INVALID in body and "Ask the sender for a new one." in body
    assert one_world.markers[0] not in body  # nothing of the project behind the link
    assert "Log in" not in body  # a plain page, not an invitation to try elsewhere


def test_revoking_ends_every_guest_session_on_the_link_at_the_next_request(client, login, owner, make_client,
                                                                         one_world, guest):
    from revue.comments.models import Comment

    o = one_world.objects
    first, second = guest(one_world.tokens["link_project"]), guest(one_world.tokens["link_project"], "Eve",
                                                                   "eve@guests.example")
    other_link = guest(one_world.tokens["link_asset"], "Olga", "olga@guests.example")
    for browser in (first, second, other_link):
        assert browser.get(f"/r/assets/{o['asset_shared']}").status_code == 200

    login(client, owner)
    assert client.post(f"/links/{o['link_project']}/revoke").status_code == 303
    unknown = make_client().get(f"/r/{unknown_token()}")
    for browser in (first, second):
        for method, url in (("GET", "/r/"), ("GET", f"/r/assets/{o['asset_shared']}"),
                            ("GET", f"/r/assets/{o['asset_shared']}/panel"),
                            ("GET", f"/r/assets/{o['asset_shared']}/file/thumb"),
                            ("GET", f"/r/assets/{o['asset_shared']}/original"),
                            ("POST", f"/r/assets/{o['asset_shared']}/comments"),
                            ("POST", f"/r/assets/{o['asset_shared']}/decide")):
            response = browser.open(url, method=method, data={"body": "still here?", "verdict": "approved",
                                                              "version_id": o["version_shared"]})
            assert response.status_code == 404, (method, url)
            if method == "GET" and not url.endswith(("thumb", "original", "panel")):
                assert plain(response) == plain(unknown), url  # the same plain page (E5)
    assert not rows(Comment, body="still here?")
    assert other_link.get(f"/r/assets/{o['asset_shared']}").status_code == 200  # other links live on
    page = text_of(client.get(f"/links/projects/{o['project']}"))
    assert "Revoked" in page


def test_an_expiring_or_archived_link_ends_mid_session(one_world, guest, owner):
    from revue.links.models import ReviewLink
    from revue.projects.models import Project, ProjectStatus

    o = one_world.objects
    _link_id, raw = make_link(one_world, expires_at=utcnow() + timedelta(days=1))
    browser = guest(raw)
    assert browser.get(f"/r/assets/{o['asset_shared']}").status_code == 200
    fresh(ReviewLink, _link_id).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert browser.get(f"/r/assets/{o['asset_shared']}").status_code == 404
    assert INVALID in text_of(browser.get("/r/"))

    browser = guest(one_world.tokens["link_project"])
    fresh(Project, o["project"]).status = ProjectStatus.ARCHIVED
    db.session.commit()
    assert INVALID in text_of(browser.get("/r/"))


def test_guessing_unknown_tokens_is_rate_limited(app, make_client, one_world):
    limit = app.config.get("THROTTLE_LINK_FAILURES", 20)
    browser = make_client()
    codes = [browser.get(f"/r/{unknown_token()}").status_code for _ in range(limit + 1)]
    assert codes == [404] * (limit + 1)
    limited = browser.get(f"/r/{unknown_token()}")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    # From that address every landing waits now, a good token too: a guesser can't tell them apart.
    assert browser.get(f"/r/{one_world.tokens['link_project']}").status_code == 429
    assert make_client().get(f"/e/{unknown_token()}").status_code == 429  # the same counter for /e


# -- what a guest sees and does ---------------------------------------------------------------------


def test_the_list_puts_waiting_for_your_decision_first_and_never_shows_drafts(app, owner, one_world, guest):
    o = one_world.objects
    add_stage_reviewer(app, owner, o["version_sibling"], "dana@guests.example", "Dana Guest")
    browser = guest(one_world.tokens["link_project"])
    home = browser.get("/r/").get_data(as_text=True)
    items = re.findall(r'<li><a class="guest-item".*?</a></li>', home, re.S)
    titles = [re.search(r"<strong>(.*?)</strong>", item).group(1) for item in items]
    assert titles == ["Alpha Sibling Poster", "Alpha Hero Banner"]  # alphabetical would be the other way
    assert "Waiting for your decision" in items[0] and "Waiting for your decision" not in items[1]
    for hidden in ("Alpha Secret Draft", "Alpha Unreleased Teaser"):  # a draft; work in the internal stage
        assert hidden not in home
    for key in ("asset_draft", "asset_internal"):
        assert browser.get(f"/r/assets/{o[key]}").status_code == 404


def test_a_new_draft_version_is_never_shown_to_a_guest(app, owner, one_world, guest):
    from revue.assets.models import Asset, AssetVersion
    from revue.review import engine

    from .conftest import cloned_version

    o = one_world.objects
    browser = guest(one_world.tokens["link_project"])
    assert ">v1<" in browser.get(f"/r/assets/{o['asset_shared']}").get_data(as_text=True)
    asset = db.session.get(Asset, o["asset_shared"])
    _asset, v2 = cloned_version(owner, None, db.session.get(AssetVersion, o["version_shared"]), "", asset=asset)
    v2_id = v2.id
    page = browser.get(f"/r/assets/{o['asset_shared']}")
    assert page.status_code == 404 or ">v2<" not in page.get_data(as_text=True)
    assert ">v2<" not in browser.get("/r/").get_data(as_text=True)
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        engine.send_for_review(owner, db.session.get(AssetVersion, v2_id), start_at=2)
        db.session.commit()
    assert ">v2<" in browser.get(f"/r/assets/{o['asset_shared']}").get_data(as_text=True)


def test_a_view_only_link_cannot_comment_or_decide(one_world, guest):
    from revue.comments.models import Comment
    from revue.review.models import Decision

    o = one_world.objects
    browser = guest(one_world.tokens["link_asset"], "Vic Viewer", "vic@guests.example")
    page = browser.get(f"/r/assets/{o['asset_shared']}").get_data(as_text=True)
    assert 'data-can-comment="0"' in page and "Click to pin a comment" not in page
    assert 'id="mention-people"' not in page  # a guest is offered nobody's name
    assert 'id="general-composer"' not in page and 'id="decide"' not in page and "/comments/" not in page
    before = len(rows(Comment))
    assert browser.post(f"/r/assets/{o['asset_shared']}/comments", data={"body": "let me in"}).status_code == 403
    assert browser.post(f"/r/assets/{o['asset_shared']}/comments/{o['comment_member']}/reply",
                        data={"body": "let me in"}).status_code == 403
    assert browser.post(f"/r/assets/{o['asset_shared']}/decide",
                        data={"verdict": "approved", "version_id": o["version_shared"]}).status_code == 403
    assert len(rows(Comment)) == before
    assert not rows(Decision)


def test_a_commenting_guest_cannot_touch_others_comments_nor_see_internal_ones(one_world, guest, make_client):
    from revue.assets.models import AssetVersion
    from revue.comments.models import Comment

    o = one_world.objects
    base = f"/r/assets/{o['asset_shared']}"
    browser = guest(one_world.tokens["link_project"], "Eve Other", "eve@guests.example")
    page = browser.get(base).get_data(as_text=True)
    for seen in ("Alpha member note", "Alpha contact note", "Alpha guest note"):
        assert seen in page
    assert "Alpha internal secret" not in page and "Alpha studio check" not in page
    panel = browser.get(f"{base}/panel").get_data(as_text=True)
    assert "Alpha internal secret" not in panel

    # Others' comments — a member's, a contact's, another guest's (same link, another address): not hers.
    for key in ("comment_member", "comment_contact", "comment_guest"):
        for action in ("edit", "delete"):
            response = browser.post(f"{base}/comments/{o[key]}/{action}", data={"body": "mine now"})
            assert response.status_code == 403, (key, action)
    assert not rows(Comment, body="mine now")
    for action in ("edit", "delete", "reply"):  # internal: as if it did not exist
        assert browser.post(f"{base}/comments/{o['comment_internal']}/{action}",
                            data={"body": "x"}).status_code == 404
    # Her own: she may reply, edit and delete.
    assert browser.post(f"{base}/comments", data={"body": "Eve's first thought", "anchor": ""}).status_code == 303
    mine = rows(Comment, body="Eve's first thought")[0]
    assert (mine.author_id, mine.guest_email, mine.guest_name, mine.internal) == (None, "eve@guests.example",
                                                                                  "Eve Other", False)
    assert browser.post(f"{base}/comments/{mine.id}/edit", data={"body": "Eve, edited"}).status_code == 303
    assert browser.post(f"{base}/comments/{o['comment_member']}/reply", data={"body": "Eve agrees"}).status_code == 303
    assert browser.post(f"{base}/comments", data={"body": "sneaky", "internal": "1"}).status_code == 403
    assert not rows(Comment, body="sneaky")
    # No other page of the app: uploading a version is for the team.
    versions = len(rows(AssetVersion))
    upload = browser.post("/assets/upload", data={"project_id": o["project"], "asset_id": o["asset_shared"]})
    assert upload.status_code in (302, 404) and len(rows(AssetVersion)) == versions


def test_download_only_with_the_permission(one_world, guest):
    o = one_world.objects
    allowed = guest(one_world.tokens["link_project"])
    page = allowed.get(f"/r/assets/{o['asset_shared']}").get_data(as_text=True)
    assert f'href="/r/assets/{o["asset_shared"]}/original"' in page
    original = allowed.get(f"/r/assets/{o['asset_shared']}/original")
    assert original.status_code == 200
    assert original.headers["Content-Disposition"].startswith("attachment")
    assert original.headers["X-Content-Type-Options"] == "nosniff"
    original.close()

    viewer = guest(one_world.tokens["link_asset"], "Vic", "vic@guests.example")
    page = viewer.get(f"/r/assets/{o['asset_shared']}").get_data(as_text=True)
    assert "/original" not in page
    assert viewer.get(f"/r/assets/{o['asset_shared']}/original").status_code == 404
    thumb = viewer.get(f"/r/assets/{o['asset_shared']}/file/preview")  # what the page itself shows
    assert thumb.status_code == 200
    thumb.close()


# -- decisions: advisory unless a stage reviewer confirmed the emailed code (E7) ----------------------


def test_a_guest_decision_is_advisory_when_the_guest_is_not_a_stage_reviewer(one_world, guest):
    from revue.assets.models import Asset
    from revue.review.models import Channel, Decision, Review, ReviewStatus

    o = one_world.objects
    browser = guest(one_world.tokens["link_project"])
    page = text_of(browser.get(f"/r/assets/{o['asset_shared']}"))
    assert "the decision is made by the people named in the review request" in page
    assert "Alpha client round" in page and "Alpha studio check" not in page
    response = browser.post(f"/r/assets/{o['asset_shared']}/decide",
                            data={"verdict": "approved", "version_id": o["version_shared"], "note": "Lovely"})
    assert response.status_code == 303
    decision = rows(Decision)[0]
    assert (decision.binding, decision.channel, decision.identified_by, decision.participant_id) == \
        (False, Channel.REVIEW_LINK, "review_link", None)
    assert (decision.reviewer_email, decision.reviewer_name) == ("dana@guests.example", "Dana Guest")
    assert fresh(Review, o["review"]).status == ReviewStatus.OPEN  # it moved nothing
    assert fresh(Asset, o["asset_shared"]).status.value == "in_review"
    stale = browser.post(f"/r/assets/{o['asset_shared']}/decide",
                         data={"verdict": "approved", "version_id": o["version_sibling"]})
    assert stale.status_code == 409  # E2: the form names the version shown


def test_guests_see_other_reviewers_by_name_only_and_in_plain_words(app, owner, one_world, guest, make_client, login):
    """Finding 4/5: no one else's address, no progress marks, no other guest's advice, no workflow words."""
    from revue.accounts.models import User

    o = one_world.objects
    add_stage_reviewer(app, owner, o["version_shared"], "carla.mendes@pinewood.example", "")  # known by address only
    base = f"/r/assets/{o['asset_shared']}"
    olga = guest(one_world.tokens["link_project"], "Olga Otherguest", "olga@guests.example")
    assert olga.post(f"{base}/decide", data={"verdict": "approved", "version_id": o["version_shared"]}).status_code == 303
    dana = guest(one_world.tokens["link_project"])
    page = dana.get(base)
    body, words = page.get_data(as_text=True), text_of(page)
    assert "Carla Mendes" in words and "Alpha Contact" in words
    for address in ("carla.mendes@pinewood.example", one_world.emails["contact"], "olga@guests.example"):
        assert address not in body
    assert "Olga" not in words, "another guest's advice is theirs and the team's"
    assert "everyone approves" not in words and "Invited" not in words and "Please reply by" in words
    assert "stage" not in words.lower().replace("alpha studio check", "")

    assert dana.post(f"{base}/decide", data={"verdict": "changes_requested",
                                             "version_id": o["version_shared"]}).status_code == 303
    assert "Your view, shared with the team: changes requested" in text_of(dana.get(base))

    team = make_client()  # the team still sees everything, in its own words
    login(team, db.session.get(User, o["member"]))
    words = text_of(team.get(f"/review/versions/{o['version_shared']}"))
    assert "carla.mendes@pinewood.example" in words and "everyone approves" in words
    assert "Olga Otherguest — approved" in words and "Dana Guest — changes requested" in words


def test_guests_read_what_changed_in_the_version(app, owner, one_world, guest):
    from revue.accounts.models import User
    from revue.assets.models import Asset
    from revue.review import engine

    from .conftest import cloned_version

    o = one_world.objects
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        _asset, v2 = cloned_version(db.session.get(User, o["member"]), db.session.get(Asset, o["asset_shared"]).project,
                                    one_world.template, "", asset=db.session.get(Asset, o["asset_shared"]))
        v2.note = "Logo bigger, warmer background."
        engine.send_for_review(owner, v2, start_at=2)
        db.session.commit()
    words = text_of(guest(one_world.tokens["link_project"]).get(f"/r/assets/{o['asset_shared']}"))
    assert "v2" in words and "What changed in v2: Logo bigger, warmer background." in words


def code_in(mailbox, address: str) -> str:
    message = mailbox.wait(1) and mailbox.to(address)[-1]
    return re.search(r"\b(\d{6})\b", mailbox.text(message)).group(1)


def test_a_stage_reviewer_decides_through_the_link_only_after_the_emailed_code(app, owner, one_world, guest,
                                                                              smtp_server):
    from revue.assets.models import Asset
    from revue.review.models import Decision, Participant

    o = one_world.objects
    seat_id = add_stage_reviewer(app, owner, o["version_shared"], "dana@client-a.example", "")  # known by address
    smtp_server.messages.clear()
    base = f"/r/assets/{o['asset_shared']}"
    browser = guest(one_world.tokens["link_project"], "Dana Reviewer", "dana@client-a.example")
    page = text_of(browser.get(base))
    assert "we email a 6-digit code to d***@client-a.example" in page
    decide = {"verdict": "approved", "version_id": o["version_shared"], "note": ""}
    assert browser.post(f"{base}/decide", data=decide).status_code == 403
    assert not rows(Decision)

    assert browser.post(f"{base}/code").status_code == 303
    code = code_in(smtp_server, "dana@client-a.example")
    sent = browser.get(base).get_data(as_text=True)  # the page says where the code went, the cursor is in the field
    assert "We sent a 6-digit code to <strong>d***@client-a.example</strong>. It works for 10 minutes." in sent
    assert re.search(r'<input id="code"[^>]*autofocus', sent)
    # Someone else who typed the same address on the link cannot use the code: it is bound to her browser.
    impostor = guest(one_world.tokens["link_project"], "Not Dana", "dana@client-a.example")
    assert impostor.post(f"{base}/code/check", data={"code": code}).status_code >= 400
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = browser.post(f"{base}/code/check", data={"code": wrong})
    assert refused.status_code >= 400
    assert "That code is not right" in text_of(refused) and 'id="decide"' in refused.get_data(as_text=True)
    assert f'value="{wrong}"' in refused.get_data(as_text=True), "what she typed stays, to correct it"
    assert browser.post(f"{base}/code/check", data={"code": code}).status_code == 303
    assert fresh(Participant, seat_id).name == "Dana Reviewer", "confirmed: the team sees the name she gave"
    assert "Now choose your decision" in text_of(browser.get(base))
    assert browser.post(f"{base}/decide", data=decide).status_code == 303
    decision = rows(Decision)[0]
    assert (decision.binding, decision.participant_id, decision.identified_by) == (True, seat_id, "code")
    seat = fresh(Participant, seat_id)
    assert seat.decided_at is not None and seat.opened_at is not None  # the team sees her progress
    assert impostor.post(f"{base}/decide", data=decide).status_code == 403  # still unverified
    assert len(rows(Decision)) == 1
    # The contact is the other reviewer of the client stage (rule: everyone): the asset waits for them.
    assert fresh(Asset, o["asset_shared"]).status.value == "in_review"


def test_wrong_codes_run_out(app, owner, one_world, guest, smtp_server):
    o = one_world.objects
    add_stage_reviewer(app, owner, o["version_shared"], "dana@client-a.example", "Dana Reviewer")
    browser = guest(one_world.tokens["link_project"], "Dana Reviewer", "dana@client-a.example")
    base = f"/r/assets/{o['asset_shared']}"
    browser.post(f"{base}/code")
    code = code_in(smtp_server, "dana@client-a.example")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    codes = [browser.post(f"{base}/code/check", data={"code": wrong}).status_code for _ in range(5)]
    assert codes[-1] == 429 and all(c >= 400 for c in codes)
    last = browser.post(f"{base}/code/check", data={"code": code})  # E7: five tries, then even the right one fails
    assert last.status_code == 429 and int(last.headers["Retry-After"]) >= 1
    assert "Too many wrong codes" in text_of(last)


def test_the_guest_index_runs_the_same_queries_for_two_assets_or_six(app, make_client, owner, one_world,
                                                                     count_queries):
    from revue.accounts.models import User
    from revue.projects.models import Project
    from revue.review import engine

    from .conftest import cloned_version

    browser = make_client()
    land(browser, one_world.tokens["link_project"], "Dana Guest", "dana@guests.example")

    def index_queries() -> tuple[int, str]:
        with count_queries() as counted:
            page = browser.get("/r/")
        assert page.status_code == 200
        return counted.count, text_of(page)

    before, page = index_queries()
    assert "Alpha Hero Banner" in page and "Alpha Sibling Poster" in page and "Alpha Secret Draft" not in page
    member = db.session.get(User, one_world.objects["member"])
    project = db.session.get(Project, one_world.objects["project"])
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        for n in range(4):
            _asset, version = cloned_version(member, project, one_world.template, f"Extra poster {n}")
            engine.send_for_review(owner, version, start_at=2)
        db.session.commit()
    after, page = index_queries()
    assert "Extra poster 3" in page
    assert after == before


def test_a_link_expires_at_the_end_of_the_day_on_the_agency_clock(client, login, owner, one_world, workspace):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from revue.links.models import ReviewLink

    workspace.timezone = "Pacific/Auckland"  # 13 hours ahead of UTC in December
    db.session.commit()
    login(client, owner)
    day = (utcnow() + timedelta(days=30)).date()
    answer = client.post(f"/links/projects/{one_world.objects['project']}",
                         data={"label": "Till the end of the day", "expires": day.isoformat()})
    assert answer.status_code == 303
    link = rows(ReviewLink, label="Till the end of the day")[0]
    local_end = datetime.combine(day, datetime.min.time()).replace(hour=23, minute=59)
    assert link.expires_at == local_end.replace(tzinfo=ZoneInfo("Pacific/Auckland")).astimezone(UTC)
    assert f"until {day.strftime('%d %b %Y')}" in text_of(client.get(f"/links/projects/{one_world.objects['project']}"))
