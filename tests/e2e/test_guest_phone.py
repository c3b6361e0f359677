"""A client on a phone reviews through a review link: the acceptance test of the review-link issue.

375×812 touch viewport (``has_touch``, ``is_mobile``). Dana opens the link, gives her name and
email, taps a pin on the image, writes a comment, confirms it's her with the 6-digit code emailed
to her (she is a reviewer of the open client stage, so her approval binds — SECURITY E7), and
approves. Then the team revokes the link and the same page, reloaded, is the plain "no longer
valid" page (E5, D5). No console error and no CSP violation on any guest page (G2: the
``browser_errors`` watch of conftest fails the test otherwise).

Screenshots: /tmp/revue-shots/guest-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from review import factories
from sqlalchemy import select

from revue.db import db

SHOTS = Path("/tmp/revue-shots")
PHONE = {"viewport": {"width": 375, "height": 812}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
DANA = {"name": "Dana Whitfield", "email": "dana@acme-client.example"}


@pytest.fixture
def shared_link(app, live_server, tmp_path_factory):
    """An uploaded image, sent to the client stage; Dana (no account) is its only reviewer there; a review
    link for the project that lets guests comment and decide. Returns plain values (no open session)."""
    studio = factories.build_studio(app, tmp_path_factory.mktemp("guest-phone"))
    from revue.accounts.models import User
    from revue.assets.models import AssetVersion
    from revue.links import services as links
    from revue.review import engine

    with app.app_context(), app.test_request_context(base_url=app.config["BASE_URL"]):
        mia = db.session.scalar(select(User).where(User.email == studio["member"]))
        version = db.session.get(AssetVersion, studio["image"])
        review = engine.send_for_review(mia, version, start_at=2)  # straight to the client stage
        stage = next(s for s in review.stages if s.status.value == "open")
        engine.add_participant(mia, stage, user=None, email=DANA["email"], name=DANA["name"])
        for seat in list(stage.participants):
            if seat.email == studio["contact"]:
                engine.remove_participant(mia, seat)  # Dana decides alone: her approval approves
        link, raw = links.create_link(mia, version.asset.project, label="Dana's review", can_comment=True,
                                      can_decide=True)
        db.session.commit()
        values = {"raw": raw, "link_id": link.id, "asset_id": version.asset_id, "version_id": version.id,
                  "title": version.asset.title, "member_email": mia.email}
        db.session.remove()
    return values


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"guest-{name}.png"))


def visible_point(page, locator, fx: float = 0.5, fy: float = 0.5) -> tuple[float, float]:
    """A point inside ``locator`` that is on screen and below the sticky top bar."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    bar = page.locator(".topbar").bounding_box() or {"y": 0, "height": 0}
    viewport = page.viewport_size
    top = max(box["y"], bar["y"] + bar["height"] + 4, 0)
    bottom = min(box["y"] + box["height"], viewport["height"] - 4)
    left, right = max(box["x"], 0), min(box["x"] + box["width"], viewport["width"])
    assert bottom - top > 20 and right - left > 20, f"the artwork is not on screen: {box}"
    return left + fx * (right - left), top + fy * (bottom - top)


def row_of(app, model, **where):
    with app.app_context():
        found = db.session.scalars(select(model).filter_by(**where)).all()
        values = [{c.name: getattr(r, c.name) for c in r.__table__.columns} for r in found]
        db.session.remove()
    return values


def test_a_client_reviews_and_approves_on_a_phone_then_the_link_is_revoked(
        app, live_server, new_watched_context, browser_errors, smtp_server, shared_link):
    from revue.comments.models import Comment
    from revue.review.models import Decision, Review

    page = new_watched_context(**PHONE).new_page()

    # 1. The link from the email: the token leaves the address bar; who are you?
    first = page.goto(live_server(f"/r/{shared_link['raw']}"))
    expect(page).to_have_url(live_server("/r/"))
    csp = first.headers["content-security-policy"]  # G1; the watch of conftest reports any violation (G2)
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert first.headers["cache-control"] == "no-store"
    expect(page.get_by_label("Your name")).to_be_visible()
    shot(page, "1-hello")
    page.get_by_label("Your name").fill(DANA["name"])
    page.get_by_label("Your email").fill(DANA["email"])
    page.get_by_role("button", name="Continue").tap()

    # 2. The list: her piece waits for her decision.
    item = page.locator(".guest-item", has_text=shared_link["title"])
    expect(item).to_contain_text("Waiting for your decision")
    shot(page, "2-list")
    item.tap()
    expect(page).to_have_url(live_server(f"/r/assets/{shared_link['asset_id']}"))

    # 3. Tap a pin on the image, write, send.
    art = page.locator('.artboard[data-page="1"]')
    expect(art).to_be_visible()
    page.wait_for_function("() => { const i = document.querySelector('.artboard img');"
                           " return i && i.complete && i.naturalWidth > 0; }")
    shot(page, "3-viewer")
    x, y = visible_point(page, art, 0.4, 0.5)
    page.touchscreen.tap(x, y)
    composer = page.locator("#pin-composer")
    expect(composer).to_be_visible()
    composer.get_by_label("Your comment on this spot").fill("Can the logo be a little bigger here?")
    shot(page, "4-composer")
    composer.get_by_role("button", name="Comment").tap()
    thread = page.locator(".thread", has_text="Can the logo be a little bigger here?")
    expect(thread).to_be_visible()
    expect(composer).to_be_hidden()
    [comment] = row_of(app, Comment, body="Can the logo be a little bigger here?")
    assert comment["guest_email"] == DANA["email"] and comment["anchor"]["type"] == "pin"
    assert 0 < comment["anchor"]["x"] < 1 and 0 < comment["anchor"]["y"] < 1
    expect(page.locator(f'.pin[data-comment="{comment["id"]}"]')).to_be_visible()

    # 4. Decide: the button in the top bar leads to the decision; first she confirms it's her.
    page.get_by_role("link", name=re.compile(r"Decide on v1")).tap()
    decide = page.locator("#decide")
    expect(decide).to_be_in_viewport()
    shot(page, "5-decide-code")
    smtp_server.messages.clear()
    decide.get_by_role("button", name="Email me a code").tap()
    sent = "We sent a 6-digit code to d***@acme-client.example. It works for 10 minutes."
    expect(page.get_by_role("status").filter(has_text=sent)).to_be_visible()
    expect(page.locator("#decide").get_by_label("Code")).to_be_focused()  # ready to type what the email says
    shot(page, "5b-code-sent")
    smtp_server.wait(1)
    [mail] = smtp_server.to(DANA["email"])
    code = re.search(r"\b(\d{6})\b", smtp_server.text(mail)).group(1)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"  # a typo: the page stays, says so, keeps what she typed
    page.locator("#decide").get_by_label("Code").fill(wrong)
    page.locator("#decide").get_by_role("button", name="Confirm").tap()
    expect(page.locator(".flash-error")).to_have_text("That code is not right. 4 tries left.")
    expect(page.locator("#decide").get_by_label("Code")).to_have_value(wrong)
    expect(page.locator("#decide").get_by_label("Code")).to_be_focused()
    shot(page, "5c-wrong-code")
    page.locator("#decide").get_by_label("Code").fill(code)
    page.locator("#decide").get_by_role("button", name="Confirm").tap()
    approve = page.locator("#decide summary", has_text="Approve v1").first
    expect(approve).to_be_visible()
    approve.scroll_into_view_if_needed()
    shot(page, "6-decide")
    approve.tap()
    confirm = page.get_by_role("button", name="Confirm: approved v1")
    expect(confirm).to_be_visible()
    shot(page, "7-confirm")
    confirm.tap()
    expect(page.get_by_role("status").filter(has_text="Your decision on v1 is recorded: approved")).to_be_visible()
    expect(page.locator(".viewer-bar .status")).to_have_text("Approved")
    shot(page, "8-approved")
    [decision] = row_of(app, Decision, version_id=shared_link["version_id"])
    assert (decision["verdict"].value, decision["binding"], decision["identified_by"]) == ("approved", True, "code")
    [review] = row_of(app, Review, version_id=shared_link["version_id"])
    assert review["status"].value == "approved"

    # 5. The team revokes the link: the same page, reloaded, is the plain "no longer valid" page.
    from revue.accounts.models import User
    from revue.links import services as links
    from revue.links.models import ReviewLink

    with app.app_context():
        member = db.session.scalar(select(User).where(User.email == shared_link["member_email"]))
        links.revoke(member, db.session.get(ReviewLink, shared_link["link_id"]))
        db.session.commit()
        db.session.remove()
    response = page.reload()
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is no longer valid")
    expect(page.get_by_text("Ask the sender for a new one.")).to_be_visible()
    assert shared_link["title"] not in page.content()
    shot(page, "9-revoked")
    # Chromium logs the 404 of the page itself (and of a panel poll that raced the revocation), and the 409 of the
    # wrong code: nothing else.
    assert all("404" in error or "409" in error for error in browser_errors.take())
