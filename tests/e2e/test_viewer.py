"""The viewer in a real browser: click-to-comment on images, PDF pages and video, on uploaded files.

Each test uploads real files through the service (the sandboxed rendition pipeline makes the
previews), drives the viewer with the mouse, checks what the database stored, reloads, and
checks where the marks are drawn — as fractions of the artwork, at desktop and phone width.
Console errors and CSP violations fail every test (conftest, SECURITY G2).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from review import factories
from review.factories import PASSWORD

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


def pin_point(page, comment_id: int) -> tuple[float, float]:
    """Where a pin points: it is drawn above its spot (translate(-50 %, -100 %)), so the bottom centre."""
    page.mouse.move(0, 0)  # no hover effect (it scales the pin)
    pin = page.locator(f'.pin[data-comment="{comment_id}"]')
    expect(pin).to_be_visible()
    box = pin.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"]


def assert_close(got, expected, what: str):
    for g, e in zip(got, expected, strict=True):
        assert abs(g - e) <= TOLERANCE, f"{what}: {got} is not within ±1 % of {expected}"


# -- images: a pin ------------------------------------------------------------------------------------


def test_a_pin_is_saved_where_clicked_and_drawn_there_at_every_width(app, page, live_server, ui_login, studio):
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    box = board(page)
    page.mouse.click(*at(box, 0.3, 0.6))
    comment_id = write(page, "Move the logo here")

    stored = comment_row(app, comment_id)["anchor"]
    assert stored["type"] == "pin"
    assert_close((stored["x"], stored["y"]), (0.3, 0.6), "stored pin")
    assert_close(fraction(box, *pin_point(page, comment_id)), (0.3, 0.6), "pin drawn after posting")

    for width in (1440, 375):
        page.set_viewport_size({"width": width, "height": 800 if width < 500 else 900})
        page.reload()
        box = board(page)
        assert_close(fraction(box, *pin_point(page, comment_id)), (stored["x"], stored["y"]), f"pin at {width}px")
        assert box["width"] <= width


def test_zoom_keeps_the_pin_on_its_spot(app, page, live_server, ui_login, studio):
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    page.mouse.click(*at(board(page), 0.7, 0.2))
    comment_id = write(page, "Too close to the edge")
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Zoom in").click()
    box = page.locator('.artboard[data-page="1"]').bounding_box()
    assert_close(fraction(box, *pin_point(page, comment_id)), (0.7, 0.2), "pin after zooming in")


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
