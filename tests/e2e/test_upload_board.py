"""The assets issue in a real browser: drop three files on a project, watch them upload and turn
ready, see their cards with thumbnails, move one card, and play the video from the middle."""

from __future__ import annotations

import base64
import re

from playwright.sync_api import expect
from review import factories
from review.factories import PASSWORD

DROP = """
async ([files]) => {
  const transfer = new DataTransfer();
  for (const f of files) {
    const bytes = Uint8Array.from(atob(f.data), c => c.charCodeAt(0));
    transfer.items.add(new File([bytes], f.name, { type: f.type }));
  }
  const zone = document.querySelector("form.dropzone");
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }
}
"""


def _files(tmp_path) -> list[dict]:
    from assets import mediafiles as mf  # tests/assets/mediafiles.py

    made = [
        (mf.image_file(tmp_path / "hero.png", "PNG", (1200, 800)), "image/png"),
        (mf.pdf_file(tmp_path / "brochure.pdf", pages=2), "application/pdf"),
        (mf.video_file(tmp_path / "teaser.mp4", "mp4", seconds=4.0, size=(320, 180)), "video/mp4"),
    ]
    return [{"name": path.name, "type": mime, "data": base64.b64encode(path.read_bytes()).decode()}
            for path, mime in made]


def _project_id(app) -> int:
    from revue.projects.models import Project

    return factories.read(app, lambda: factories.db.session.query(Project.id).scalar())


def test_drop_three_files_watch_them_become_cards_move_one_and_play_the_video(
        app, live_server, context, ui_login, tmp_path, tmp_path_factory):
    studio = factories.build_studio(app, tmp_path_factory.mktemp("board-media"), kinds=())
    project_id = _project_id(app)
    page = context.new_page()
    ui_login(page, studio["member"], PASSWORD)
    page.goto(live_server(f"/projects/{project_id}"))

    page.evaluate(DROP, [_files(tmp_path)])
    rows = page.locator(".upload-row")
    expect(rows).to_have_count(3)
    for name in ("hero.png", "brochure.pdf", "teaser.mp4"):
        row = rows.filter(has_text=name)
        expect(row.locator("progress")).to_be_visible()
        expect(row).to_have_class("upload-row is-done", timeout=60_000)
        # the line follows the preview: from "preparing" to ready, without a reload
        expect(row.locator(".upload-status")).to_have_text("Ready — open v1", timeout=60_000)

    # The board re-renders itself: three draft cards, each with a thumbnail once processing is done.
    cards = page.locator(".col-draft .card-item")
    expect(cards).to_have_count(3, timeout=30_000)
    expect(page.locator(".col-draft .card-item .thumb img")).to_have_count(3, timeout=60_000)
    for img in page.locator(".col-draft .card-item .thumb img").all():
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") > 0

    # Move a card: record an approval given by phone; the card lands in Approved.
    hero = page.locator(".card-item", has_text="hero")
    hero.locator("summary", has_text="Actions").click()
    hero.get_by_role("link", name="Record an approval…").click()
    page.get_by_label("How and by whom was it approved?").fill("Cleo approved on the phone, 14:10")
    page.get_by_role("button", name="Record approval of v1").click()
    expect(page.get_by_text("Approval of v1 recorded.")).to_be_visible()
    page.goto(live_server(f"/projects/{project_id}"))
    expect(page.locator(".col-approved .card-item", has_text="hero")).to_be_visible()
    expect(page.locator(".col-draft .card-item")).to_have_count(2)

    # Play the video from the middle: the browser seeks with a Range request (206).
    ranges = []
    page.on("response", lambda r: ranges.append(r.status) if "/media" in r.url else None)
    page.locator(".card-item", has_text="teaser").get_by_role("link", name="teaser").click()
    player = page.locator("#player")
    expect(player).to_be_visible()
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    middle = page.evaluate("() => { const v = document.getElementById('player'); v.muted = true;"
                           " v.currentTime = v.duration / 2; return v.duration / 2; }")
    page.evaluate("() => document.getElementById('player').play()")
    page.wait_for_function("(m) => document.getElementById('player').currentTime > m + 0.3", arg=middle,
                           timeout=15_000)
    assert 206 in ranges
    assert page.locator("[data-timecode]").inner_text() != "00:00:00:00"


def test_send_for_review_from_the_board_and_see_each_reviewers_progress_on_the_card(
        app, live_server, context, ui_login, tmp_path, tmp_path_factory):
    studio = factories.build_studio(app, tmp_path_factory.mktemp("progress-media"))
    project_id = _project_id(app)
    page = context.new_page()
    ui_login(page, studio["member"], PASSWORD)
    page.goto(live_server(f"/projects/{project_id}"))

    card = page.locator(".card-item", has_text="poster")
    card.locator("summary", has_text="Actions").click()
    card.get_by_role("button", name="Send v1 for review").click()
    card = page.locator(".col-in_review .card-item", has_text="poster")  # the board re-renders itself
    expect(card.locator(".seat-count")).to_have_text("Internal · any 1 of 2")
    chips = card.get_by_role("list", name="Reviewers, Internal stage").get_by_role("listitem")
    expect(chips).to_have_count(2)
    expect(chips.first).to_have_attribute("title", "Mia Member — invited just now")
    expect(chips.nth(1)).to_have_accessible_name("Theo Teammate — invited just now")

    # Tidy at desktop and phone widths: the progress row stays inside its card.
    for width, height in ((1440, 900), (375, 812)):
        page.set_viewport_size({"width": width, "height": height})
        page.reload()  # (and no toast over the card)
        card.scroll_into_view_if_needed()
        box, row = card.bounding_box(), card.locator(".card-progress").bounding_box()
        assert row["x"] >= box["x"] and row["x"] + row["width"] <= box["x"] + box["width"], (width, box, row)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        card.screenshot(path=tmp_path / f"card-in-review-{width}.png")


def test_a_new_project_starts_from_the_workflow_template_chosen_in_the_form(
        app, live_server, context, ui_login, tmp_path_factory):
    studio = factories.build_studio(app, tmp_path_factory.mktemp("new-project"), kinds=())
    page = context.new_page()
    ui_login(page, studio["member"], PASSWORD)
    page.goto(live_server("/projects/new"))
    page.get_by_label("Project name").fill("Autumn launch")
    page.get_by_label("Client").select_option(label="Acme")
    workflow = page.get_by_label("Review workflow")
    expect(workflow).to_have_value("standard")  # the workspace default, until a template is saved
    expect(workflow.locator("option")).to_have_text(["Standard: team, then client", "Set up later"])
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name="Autumn launch")).to_be_visible()

    page.get_by_role("link", name="Workflow").click()
    expect(page.get_by_role("heading", name="Review workflow")).to_be_visible()
    expect(page.get_by_text("follows the workspace's")).to_have_count(0)  # its own copy, to adjust
    expect(page.locator(".stage-card h2")).to_have_count(2)


def test_a_new_version_uploaded_on_the_asset_page_shows_at_once(app, live_server, context, ui_login, tmp_path,
                                                                tmp_path_factory):
    from assets import mediafiles as mf

    studio = factories.build_studio(app, tmp_path_factory.mktemp("new-version-media"))
    asset_id = factories.read(app, lambda: factories.db.session.get(factories.AssetVersion, studio["image"]).asset_id)
    page = context.new_page()
    ui_login(page, studio["member"], PASSWORD)
    page.goto(live_server(f"/assets/{asset_id}"))
    head = page.locator(".page-head")
    expect(head).to_contain_text("v1 of 1")

    page.locator("#version-file").set_input_files(str(mf.image_file(tmp_path / "poster-v2.png", "PNG", (800, 600))))
    expect(page.locator(".upload-row .upload-status")).to_have_text("Ready — open v2", timeout=60_000)
    expect(head).to_contain_text("v2 of 2")  # head, preview, versions and the approval card follow, no reload
    expect(page.locator("#versions .version.is-current")).to_contain_text("v2")
    expect(page.get_by_role("button", name="Record approval of v2")).to_be_visible()
    expect(page.locator(".preview-card img")).to_have_attribute("alt", re.compile("v2$"), timeout=30_000)
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=tmp_path / f"asset-new-version-{width}.png", full_page=True)
