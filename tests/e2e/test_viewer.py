"""The viewer in a real browser: click-to-comment on images, PDF pages and video, on uploaded files.

Each test uploads real files through the service (the sandboxed rendition pipeline makes the
previews), drives the viewer with the mouse, checks what the database stored, reloads, and
checks where the marks are drawn — as fractions of the artwork, at desktop and phone width.
Console errors and CSP violations fail every test (conftest, SECURITY G2).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from review import factories
from review.factories import PASSWORD
from sqlalchemy import select

TOLERANCE = 0.01  # ±1 % of the artwork


@pytest.fixture
def studio(app, live_server, tmp_path_factory, request):
    kinds = getattr(request, "param", ("image",))
    return factories.build_studio(app, tmp_path_factory.mktemp("viewer-media"), kinds)


def comment_row(app, comment_id: int):
    from revue.comments.models import Comment
    from revue.db import db

    def get():
        c = db.session.get(Comment, comment_id)
        return {"anchor": c.anchor, "body": c.body, "internal": c.internal, "version_id": c.version_id}

    return factories.read(app, get)


def open_viewer(page, live_server, ui_login, email: str, version_id: int, width: int = 1440):
    page.set_viewport_size({"width": width, "height": 900})
    ui_login(page, email, PASSWORD)
    page.goto(live_server(f"/review/versions/{version_id}"))
    expect(page.locator("#stage")).to_be_visible()


def board(page, n: int = 1):
    art = page.locator(f'.artboard[data-page="{n}"]')
    expect(art).to_be_visible()
    page.wait_for_function("(n) => { const img = document.querySelector(`.artboard[data-page='${n}'] img`);"
                           " return !img || (img.complete && img.naturalWidth > 0); }", arg=n)
    return art.bounding_box()


def at(box, fx: float, fy: float) -> tuple[float, float]:
    return box["x"] + fx * box["width"], box["y"] + fy * box["height"]


def fraction(box, x: float, y: float) -> tuple[float, float]:
    return (x - box["x"]) / box["width"], (y - box["y"]) / box["height"]


def write(page, body: str, *, internal: bool = False) -> int:
    """Type into the open pin composer, send with Enter, wait for the thread; returns the comment id."""
    composer = page.locator("#pin-composer")
    expect(composer).to_be_visible()
    if internal:
        composer.get_by_label("Internal").check()
    composer.locator("textarea").fill(body)
    composer.locator("textarea").press("Enter")
    thread = page.locator(".thread", has_text=body)
    expect(thread).to_be_visible()
    expect(composer).to_be_hidden()
    return int(thread.get_attribute("data-comment"))


def pin_point(page, comment_id: int | None = None) -> tuple[float, float]:
    """Where a pin points: its tip, the square bottom-left corner (the pin is drawn above and right of its spot).
    Without an id: the draft pin of a mark being placed."""
    page.mouse.move(0, 0)  # no hover effect (it scales the pin)
    pin = page.locator(f'.pin[data-comment="{comment_id}"]' if comment_id else ".pin.is-draft")
    expect(pin).to_be_visible()
    page.wait_for_function("(pin) => !pin.getAnimations().length", arg=pin.element_handle())  # the "pop" is over
    box = pin.bounding_box()
    return box["x"], box["y"] + box["height"]


def assert_close(got, expected, what: str):
    for g, e in zip(got, expected, strict=True):
        assert abs(g - e) <= TOLERANCE, f"{what}: {got} is not within ±1 % of {expected}"


PX = 3  # how far (in screen pixels) a spot of the artwork may be off: where it is drawn, and while zooming


def settled(page) -> None:
    """Two animation frames: the wheel and touch events sent before were handled and laid out."""
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def stage_centre(page) -> tuple[float, float]:
    box = page.locator("#stage").bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def assert_near(got, expected, what: str):
    assert all(abs(g - e) <= PX for g, e in zip(got, expected, strict=True)), \
        f"{what}: the spot is drawn at {got}, not within {PX}px of {expected}"


# -- images: a pin ------------------------------------------------------------------------------------


def test_a_pin_is_saved_where_clicked_and_drawn_there_at_every_width(app, page, live_server, ui_login, studio):
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    box = board(page)
    page.mouse.click(*at(box, 0.3, 0.6))
    assert_near(pin_point(page), at(box, 0.3, 0.6), "the tip of the new pin where the mouse clicked")
    comment_id = write(page, "Move the logo here")
    assert_near(pin_point(page, comment_id), at(box, 0.3, 0.6), "the tip of the posted pin")

    stored = comment_row(app, comment_id)["anchor"]
    assert stored["type"] == "pin"
    assert_close((stored["x"], stored["y"]), (0.3, 0.6), "stored pin")
    assert_close(fraction(box, *pin_point(page, comment_id)), (0.3, 0.6), "pin drawn after posting")

    for width in (1440, 375):
        page.set_viewport_size({"width": width, "height": 800 if width < 500 else 900})
        page.reload()
        box = board(page)
        assert_close(fraction(box, *pin_point(page, comment_id)), (stored["x"], stored["y"]), f"pin at {width}px")
        assert_near(pin_point(page, comment_id), at(box, stored["x"], stored["y"]), f"the tip of the pin at {width}px")
        assert box["width"] <= width


def test_zoom_keeps_the_pin_on_its_spot(app, page, live_server, ui_login, studio):
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    page.mouse.click(*at(board(page), 0.7, 0.2))
    comment_id = write(page, "Too close to the edge")
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Zoom in").click()
    box = page.locator('.artboard[data-page="1"]').bounding_box()
    assert_near(pin_point(page, comment_id), at(box, 0.7, 0.2), "the tip of the pin after zooming in")


# -- images: an area and a drawing -------------------------------------------------------------------------


def drag(page, points: list[tuple[float, float]], steps: int = 6) -> None:
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=steps)
    page.mouse.up()


def test_a_rectangle_and_a_freehand_drawing_round_trip(app, page, live_server, ui_login, studio):
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    box = board(page)

    page.get_by_role("button", name="Area").click()
    expect(page.get_by_role("button", name="Area")).to_have_attribute("aria-pressed", "true")
    assert page.locator("#stage").get_attribute("aria-pressed") is None  # the stage is not a toggle button
    drag(page, [at(box, 0.2, 0.3), at(box, 0.45, 0.5), at(box, 0.6, 0.7)])
    region_id = write(page, "This whole block is too dark")

    page.get_by_role("button", name="Draw").click()
    scribble = [(0.1, 0.8), (0.2, 0.75), (0.3, 0.9), (0.4, 0.78), (0.5, 0.95)]
    drag(page, [at(box, x, y) for x, y in scribble])
    shape_id = write(page, "Circle this crease")

    region = comment_row(app, region_id)["anchor"]
    assert region["type"] == "region"
    assert_close((region["x"], region["y"], region["w"], region["h"]), (0.2, 0.3, 0.4, 0.4), "stored area")
    shape = comment_row(app, shape_id)["anchor"]
    assert (shape["type"], shape["shape"]) == ("shape", "freehand")
    assert len(shape["points"]) >= len(scribble)
    assert_close(shape["bbox"], (0.1, 0.75, 0.5, 0.95), "stored drawing's bounds")
    assert_close(shape["points"][0], scribble[0], "the drawing starts where the mouse went down")

    for width in (1440, 375):
        page.set_viewport_size({"width": width, "height": 800 if width < 500 else 900})
        page.reload()
        box = board(page)
        drawn = page.locator(f'.region[data-comment="{region_id}"]').bounding_box()
        assert_close((*fraction(box, drawn["x"], drawn["y"]), drawn["width"] / box["width"],
                      drawn["height"] / box["height"]), (region["x"], region["y"], region["w"], region["h"]),
                     f"area at {width}px")
        line = page.locator(f'polyline.mark-shape[data-comment="{shape_id}"]')
        expect(line).to_be_visible()
        drawn = line.bounding_box()
        assert_close((*fraction(box, drawn["x"], drawn["y"]),
                      *fraction(box, drawn["x"] + drawn["width"], drawn["y"] + drawn["height"])),
                     shape["bbox"], f"drawing at {width}px")
        assert_close(fraction(box, *pin_point(page, shape_id)), scribble[0], f"drawing's number at {width}px")


def test_escape_cancels_a_mark(page, live_server, ui_login, studio):
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    page.mouse.click(*at(board(page), 0.5, 0.5))
    composer = page.locator("#pin-composer")
    expect(composer).to_be_visible()
    composer.locator("textarea").press("Escape")
    expect(composer).to_be_hidden()
    expect(page.locator(".pin.is-draft")).to_have_count(0)
    expect(page.locator(".thread")).to_have_count(0)


def test_a_pin_placed_with_the_keyboard(app, page, live_server, ui_login, studio):
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    board(page)
    page.locator("#stage").focus()
    page.keyboard.press("Enter")  # a pin in the middle
    for key in ["ArrowRight", "ArrowRight", "ArrowDown"]:
        page.keyboard.press(key)
    assert_near(pin_point(page), at(board(page), 0.52, 0.51), "the tip of the pin moved with the keys")
    page.keyboard.press("Enter")
    comment_id = write(page, "Placed without a mouse")
    stored = comment_row(app, comment_id)["anchor"]
    assert_close((stored["x"], stored["y"]), (0.52, 0.51), "keyboard pin")


# -- video --------------------------------------------------------------------------------------------


SEEK = """(t) => new Promise((resolve) => {
  const player = document.getElementById("player");
  if (Math.abs(player.currentTime - t) < 0.001) return resolve(player.currentTime);
  player.addEventListener("seeked", () => resolve(player.currentTime), {once: true});
  player.currentTime = t;
})"""


def player_time(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


@pytest.mark.parametrize("studio", [("video",)], indirect=True)
def test_a_video_comment_at_3_seconds_seeks_the_player_there(app, page, live_server, ui_login, studio):
    open_viewer(page, live_server, ui_login, studio["member"], studio["video"])
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    page.evaluate(SEEK, 3.0)
    page.mouse.click(*at(board(page), 0.5, 0.4))
    comment_id = write(page, "The logo flashes here")
    anchor = comment_row(app, comment_id)["anchor"]
    assert anchor["type"] == "pin"
    assert abs(anchor["t"] - 3.0) < 0.05
    assert_close((anchor["x"], anchor["y"]), (0.5, 0.4), "pin on the video")

    # A general comment takes the time the player shows.
    page.evaluate(SEEK, 4.2)
    page.locator("#general-body").fill("Music too loud from here")
    page.locator("#general-body").press("Enter")
    general = page.locator(".thread", has_text="Music too loud from here")
    expect(general).to_be_visible()
    general_anchor = comment_row(app, int(general.get_attribute("data-comment")))["anchor"]
    assert general_anchor["type"] == "time"
    assert abs(general_anchor["t"] - 4.2) < 0.05

    page.reload()
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    assert player_time(page) == 0
    expect(page.locator(f'.pin[data-comment="{comment_id}"]')).to_be_hidden()  # not at this time
    thread = page.locator(f'.thread[data-comment="{comment_id}"]')
    thread.locator("[data-seek]").click()  # the time chip
    page.wait_for_function("Math.abs(document.getElementById('player').currentTime - 3) < 0.05")
    expect(page.locator(f'.pin[data-comment="{comment_id}"]')).to_be_visible()
    expect(page.locator("[data-timecode]")).to_have_text("00:00:03:00")

    page.evaluate(SEEK, 0.5)
    thread.locator("[data-focus-comment]").click()  # the comment's number
    page.wait_for_function("Math.abs(document.getElementById('player').currentTime - 3) < 0.05")
    assert abs(player_time(page) - 3.0) < 0.05
    page.locator(f'.marker[data-comment="{comment_id}"]').wait_for()


# -- PDF pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("studio", [("pdf",)], indirect=True)
def test_a_pin_on_pdf_page_2_turns_to_page_2(app, page, live_server, ui_login, studio):
    open_viewer(page, live_server, ui_login, studio["member"], studio["pdf"])
    board(page, 1)
    page.get_by_role("button", name="Next page (Page Down)").click()
    expect(page.locator('.artboard[data-page="1"]')).to_be_hidden()
    box = board(page, 2)
    page.mouse.click(*at(box, 0.4, 0.25))
    comment_id = write(page, "Wrong price on this page")
    anchor = comment_row(app, comment_id)["anchor"]
    assert anchor["page"] == 2
    assert_close((anchor["x"], anchor["y"]), (0.4, 0.25), "pin on page 2")

    page.reload()
    expect(page.locator('.artboard[data-page="1"]')).to_be_visible()
    expect(page.locator('.artboard[data-page="2"]')).to_be_hidden()
    page.locator(f'.thread[data-comment="{comment_id}"] [data-focus-comment]').click()
    expect(page.locator('.artboard[data-page="2"]')).to_be_visible()
    expect(page.locator('.artboard[data-page="1"]')).to_be_hidden()
    expect(page.locator("[data-page-current]")).to_have_text("2")
    box = board(page, 2)
    assert_close(fraction(box, *pin_point(page, comment_id)), (0.4, 0.25), "pin after turning the page")
    expect(page.locator(f'.thread[data-comment="{comment_id}"]')).to_have_class(re.compile(r"\bis-focused\b"))


# -- zoom: the spot under the cursor, between the fingers, in the middle stays put --------------------------

def test_wheel_zoom_keeps_the_spot_under_the_cursor_and_plus_keeps_the_middle(page, live_server, ui_login, studio):
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    box = board(page)
    cursor = tuple(round(v) for v in at(box, 0.8, 0.3))  # whole pixels, as mouse events have them
    spot = fraction(box, *cursor)  # right of the middle: the artwork outgrows the stage when zoomed
    page.mouse.move(*cursor)
    for _ in range(4):
        page.mouse.wheel(0, -300)
        settled(page)
        box = page.locator('.artboard[data-page="1"]').bounding_box()
        assert_near(at(box, *spot), cursor, f"after zooming in to {box['width']:.0f}px wide")
    stage = page.locator("#stage").bounding_box()
    assert box["width"] > 2 * stage["width"], "zoomed well past the stage"
    page.mouse.wheel(0, 200)  # and out again
    settled(page)
    assert_near(at(page.locator('.artboard[data-page="1"]').bounding_box(), *spot), cursor, "after zooming out")

    middle = stage_centre(page)
    spot = fraction(page.locator('.artboard[data-page="1"]').bounding_box(), *middle)
    for name in ("Zoom in", "Zoom in", "Zoom out", "Zoom in"):
        page.get_by_role("button", name=name).click()
        assert_near(at(page.locator('.artboard[data-page="1"]').bounding_box(), *spot), middle, f"after {name}")

    page.locator("[data-zoom=actual]").click()  # "100%"
    expect(page.locator(".zoom-label")).to_have_text("100%")
    assert_near(at(page.locator('.artboard[data-page="1"]').bounding_box(), *spot), middle, "at 100 %")
    page.locator(".zoom-label").click()  # "Fit": the whole artwork, centred
    expect(page.locator(".zoom-label")).to_have_text(re.compile(r"^\d+%$"))
    box = page.locator('.artboard[data-page="1"]').bounding_box()
    assert box["width"] <= stage["width"] and box["height"] <= stage["height"]
    assert_near((box["x"] + box["width"] / 2, box["y"] + box["height"] / 2), middle, "fitted")


def touch(cdp, kind: str, points: list[tuple[float, float]]) -> None:
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
        {"x": x, "y": y, "id": n, "radiusX": 1, "radiusY": 1, "force": 1} for n, (x, y) in enumerate(points)]})


def test_pinch_keeps_the_spot_between_the_fingers_and_two_fingers_pan(page, live_server, ui_login, studio,
                                                                        new_watched_context):
    phone = new_watched_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = phone.new_page()
    ui_login(page, studio["member"], PASSWORD)
    page.goto(live_server(f"/review/versions/{studio['image']}"))
    box = board(page)
    mid = at(box, 0.3, 0.6)
    cdp = phone.new_cdp_session(page)
    fingers = lambda spread, dx=0, dy=0: [(mid[0] - spread + dx, mid[1] + dy), (mid[0] + spread + dx, mid[1] + dy)]  # noqa: E731
    touch(cdp, "touchStart", fingers(20))
    for spread in (30, 45, 60, 80):  # spread the fingers: four times as far apart
        touch(cdp, "touchMove", fingers(spread))
        settled(page)
        zoomed = page.locator('.artboard[data-page="1"]').bounding_box()
        assert_near(at(zoomed, 0.3, 0.6), mid, f"pinching, fingers {2 * spread}px apart")
    assert zoomed["width"] == pytest.approx(4 * box["width"], rel=0.05)
    for step in (1, 2, 3):  # both fingers slide: the artwork follows
        touch(cdp, "touchMove", fingers(80, dx=-20 * step, dy=-15 * step))
        settled(page)
    assert_near(at(page.locator('.artboard[data-page="1"]').bounding_box(), 0.3, 0.6), (mid[0] - 60, mid[1] - 45),
                "after sliding two fingers")
    touch(cdp, "touchEnd", [])
    settled(page)
    expect(page.locator("#pin-composer")).to_be_hidden()  # a pinch never places a pin


# -- phones: what a finger taps is 44 px tall, the toolbar is one row, anchors clear the top bar -------------

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
SHOTS = Path("/tmp/revue-shots")


def add_comment(app, version_id: int, email: str, body: str, anchor: dict | None = None) -> int:
    """A comment written through the service (committed, session closed before the browser works)."""
    from revue.accounts.models import User
    from revue.assets.models import AssetVersion
    from revue.db import db

    def make():
        author = db.session.scalar(select(User).where(User.email == email))
        return factories.comment(db.session.get(AssetVersion, version_id), author, body, anchor=anchor).id

    return factories.read(app, make)


def too_small(page, selector: str) -> list[str]:
    return page.evaluate("""(sel) => Array.from(document.querySelectorAll(sel))
      .filter((el) => el.checkVisibility())
      .map((el) => [el, el.getBoundingClientRect()])
      .filter(([el, r]) => r.height < 44 || r.width < 24)
      .map(([el, r]) => `${el.outerHTML.slice(0, 70)}: ${Math.round(r.width)}×${Math.round(r.height)}`)""", selector)


@pytest.mark.parametrize("studio", [("image", "pdf")], indirect=True)
def test_on_a_phone_every_control_is_a_44px_target_and_the_toolbar_one_row(app, live_server, ui_login, studio,
                                                                            new_watched_context):
    for version_id in (studio["image"], studio["pdf"]):
        add_comment(app, version_id, studio["member"], "Lighter, please", {"type": "pin", "x": 0.5, "y": 0.5,
                                                                          **({"page": 1} if version_id == studio["pdf"] else {})})
    page = new_watched_context(**PHONE).new_page()
    ui_login(page, studio["member"], PASSWORD)
    for version_id, name in ((studio["image"], "image"), (studio["pdf"], "pdf")):
        page.goto(live_server(f"/review/versions/{version_id}"))
        board(page)
        problems = too_small(page, ".viewer-title .back, .tools .tool, .pages .tool, .transport .tool, "
                                   ".panel-controls .seg button, .panel-controls select, .comment-actions summary, "
                                   ".comment-actions .linklike")
        assert not problems, f"{name}: smaller than 44 px on a phone:\n" + "\n".join(problems)
        tools = page.locator(".tools > button")
        tops = {round(tools.nth(n).bounding_box()["y"]) for n in range(tools.count())}
        assert len(tops) == 1, f"{name}: the toolbar wraps into {len(tops)} rows"
        assert page.evaluate("(t => t.scrollWidth <= t.clientWidth)(document.querySelector('.tools'))")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"viewer-{name}-phone-390.png"))
    assert page.locator(".pages .tool").count() == 2  # the PDF's page buttons were measured

    # With a mouse the viewer keeps its compact controls.
    page.set_viewport_size({"width": 1440, "height": 900})
    desk = new_watched_context(viewport={"width": 1440, "height": 900}).new_page()
    ui_login(desk, studio["member"], PASSWORD)
    desk.goto(live_server(f"/review/versions/{studio['image']}"))
    assert desk.locator(".tools .tool").first.bounding_box()["height"] < 40


def test_decide_on_a_phone_scrolls_the_heading_clear_of_the_top_bar(app, live_server, ui_login, studio,
                                                                    new_watched_context):
    factories.share_by_id(app, studio["image"], studio["ids"]["contact"])
    page = new_watched_context(**PHONE).new_page()
    ui_login(page, studio["contact"], PASSWORD)
    page.goto(live_server(f"/review/versions/{studio['image']}"))
    bar = page.locator(".topbar").bounding_box()
    assert bar["height"] > 60, "a signed-in person's bar wraps to more than one row on a phone"
    page.get_by_role("link", name=re.compile(r"^Decide on v1")).tap()
    heading = page.get_by_role("heading", name="Your decision on v1")
    expect(page).to_have_url(re.compile(r"#decide$"))
    clear_of_the_bar(page, "decide-h")
    assert heading.bounding_box()["y"] >= page.locator(".topbar").bounding_box()["y"] + bar["height"]

    # The same for a link from another page (the board's "Record an approval…").
    asset_id = factories.read(app, lambda: _asset_of(studio["image"]))
    member = new_watched_context(**PHONE).new_page()
    ui_login(member, studio["member"], PASSWORD)
    member.goto(live_server(f"/assets/{asset_id}#record-approval"))
    clear_of_the_bar(member, "record-approval")


BELOW_THE_BAR = """(id) => { const top = document.getElementById(id).getBoundingClientRect().top;
  const bar = document.querySelector(".topbar").getBoundingClientRect().bottom;
  return {ok: top >= bar && top < bar + 40, heading: top, bar, scrolled: window.scrollY}; }"""


def clear_of_the_bar(page, heading_id: str) -> None:
    """The heading scrolled to sits just below the sticky top bar: not under it, not far below."""
    try:
        page.wait_for_function(f"(id) => ({BELOW_THE_BAR})(id).ok", arg=heading_id)
    except PlaywrightTimeout:
        pytest.fail(f"#{heading_id} is not just below the top bar: {page.evaluate(BELOW_THE_BAR, heading_id)}")


def _asset_of(version_id: int) -> int:
    from revue.assets.models import AssetVersion
    from revue.db import db

    return db.session.get(AssetVersion, version_id).asset_id


# -- a comment just sent is lit up where it landed ---------------------------------------------------------


def test_a_new_comment_is_lit_up_and_scrolled_into_view(app, page, live_server, ui_login, studio):
    for n in range(1, 13):
        add_comment(app, studio["image"], studio["teammate"], f"Earlier remark number {n}, with a few words more")
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    expect(page.locator(".thread")).to_have_count(12)
    page.locator("[data-filter=resolved]").click()  # a filter that would hide a new comment
    page.locator("#general-body").fill("And one more about the headline")
    page.locator("#general-body").press("Enter")
    thread = page.locator(".thread", has_text="And one more about the headline")
    expect(thread).to_have_class(re.compile(r"\bis-new\b"))
    expect(thread).to_be_in_viewport()
    expect(page.locator("[data-filter=all]")).to_have_attribute("aria-pressed", "true")
    expect(thread).not_to_have_class(re.compile(r"\bis-new\b"))  # only briefly
    expect(page.locator(".thread", has_text="Earlier remark number 1,")).not_to_have_class(re.compile(r"\bis-new\b"))

    thread.locator("summary", has_text="Reply").click()
    thread.get_by_label("Reply to comment 13").fill("Seconded")
    thread.get_by_role("button", name="Reply", exact=True).click()
    reply = page.locator(".reply", has_text="Seconded")
    expect(reply).to_have_class(re.compile(r"\bis-new\b"))
    expect(reply).to_be_in_viewport()
    expect(page.locator(".toast")).to_have_count(0)  # no toast on top



def test_typing_at_suggests_people_and_enter_picks_one(app, page, live_server, ui_login, studio):
    """@ and a few letters list the team (the client's contacts too, once the work is shared with them);
    arrows and Enter pick a name instead of sending, and the comment then reaches that person."""
    from revue.review.models import Notification

    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    box = page.locator("#general-body")
    box.press_sequentially("Kerning please, @th")
    options = page.get_by_role("listbox", name="People to mention").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Theo Teammate")
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("Enter")  # picks; does not send
    expect(box).to_have_value("Kerning please, @TheoTeammate ")
    expect(page.locator(".thread")).to_have_count(0)
    box.press_sequentially("and @")  # Cleo can't see this draft version: not offered
    expect(options).to_have_count(1)
    box.press("Escape")  # closes the list, keeps the text
    expect(page.get_by_role("listbox", name="People to mention")).to_be_hidden()
    expect(box).to_have_value("Kerning please, @TheoTeammate and @")
    box.fill("Kerning please, @TheoTeammate")
    box.press("Enter")
    expect(page.locator(".thread", has_text="Kerning please")).to_be_visible()

    def told():
        from sqlalchemy import select

        from revue.db import db

        return db.session.scalars(select(Notification.email).where(Notification.kind == "mention")).all()

    assert factories.read(app, told) == [studio["teammate"]]

# -- video: sound, speed, full screen ----------------------------------------------------------------------


def player(page, prop: str):
    return page.evaluate(f"document.getElementById('player').{prop}")


@pytest.mark.parametrize("studio", [("video",)], indirect=True)
def test_the_video_player_has_sound_speed_and_full_screen_controls(page, live_server, ui_login, studio):
    open_viewer(page, live_server, ui_login, studio["member"], studio["video"])
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    controls = page.get_by_role("group", name="Player controls")
    mute = controls.get_by_role("button", name="Mute")
    expect(mute).to_have_attribute("aria-pressed", "false")
    mute.click()
    assert player(page, "muted") is True
    expect(mute).to_have_attribute("aria-pressed", "true")
    expect(controls.get_by_label("Volume")).to_have_value("0")
    page.locator("#stage").focus()
    page.keyboard.press("m")  # the key does the same
    assert player(page, "muted") is False
    expect(mute).to_have_attribute("aria-pressed", "false")
    controls.get_by_label("Volume").fill("0.3")
    assert player(page, "volume") == pytest.approx(0.3)

    controls.get_by_label("Playback speed").select_option("1.5")
    assert player(page, "playbackRate") == 1.5
    controls.get_by_label("Playback speed").focus()
    page.keyboard.press("ArrowDown")  # keyboard alone: on to 2×
    assert player(page, "playbackRate") == 2

    full = controls.get_by_role("button", name="Full screen")
    full.click()
    page.wait_for_function("document.fullscreenElement && document.fullscreenElement.matches('.stage-wrap')")
    expect(full).to_have_attribute("aria-pressed", "true")
    expect(page.locator('.artboard[data-page="1"]')).to_be_visible()  # the marks and the transport come along
    full.click()
    page.wait_for_function("!document.fullscreenElement")
    expect(full).to_have_attribute("aria-pressed", "false")

    controls.get_by_role("button", name="One frame forward").click()  # the frame step still works
    expect(page.locator("[data-timecode]")).to_have_text("00:00:00:01")
