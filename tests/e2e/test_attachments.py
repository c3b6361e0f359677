"""Attachments in a real browser: files chosen in the pin composer and the general composer are listed
before sending (and can be taken out), a file over the limit is stopped before anything is sent, and
the thread shows thumbnails that link to the files — at desktop and phone width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from review import factories
from sqlalchemy import select

from .test_viewer import at, board, open_viewer

SHOTS = Path("/tmp/revue-shots")


@pytest.fixture
def studio(app, live_server, tmp_path_factory):
    return factories.build_studio(app, tmp_path_factory.mktemp("attach-media"))


@pytest.fixture(scope="module")
def refs(tmp_path_factory) -> dict[str, Path]:
    from assets import mediafiles as mf  # tests/assets/mediafiles.py

    folder = tmp_path_factory.mktemp("attach-files")
    return {"photo": mf.image_file(folder / "mountain-reference.jpg", "JPEG", (1200, 800)),
            "pdf": mf.pdf_file(folder / "brand-guide.pdf", pages=2)}


def attachments_in(app, body: str) -> list[tuple[str, str]]:
    from revue.comments.models import Comment, CommentAttachment
    from revue.db import db

    def rows():
        comment = db.session.scalar(select(Comment).where(Comment.body == body))
        return [(a.original_name, a.mime) for a in db.session.scalars(
            select(CommentAttachment).where(CommentAttachment.comment_id == comment.id).order_by(CommentAttachment.id))]

    return factories.read(app, rows)


def thumbnails_loaded(page) -> None:
    page.wait_for_function("() => { const all = [...document.querySelectorAll('.attachment img')];"
                           " return all.length && all.every(img => img.complete && img.naturalWidth > 0); }")


def test_a_pin_comment_with_a_photo_and_a_pdf_shows_their_thumbnails(app, page, live_server, ui_login, studio, refs):
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    page.mouse.click(*at(board(page), 0.4, 0.35))
    composer = page.locator("#pin-composer")
    composer.locator("textarea").fill("Brighter, like the reference")
    picker = composer.get_by_label("Attach", exact=True)
    picker.set_input_files([refs["photo"], refs["pdf"]])
    chosen = composer.locator("[data-attach-list] li")
    expect(chosen).to_have_count(2)
    expect(chosen.nth(0)).to_contain_text("mountain-reference.jpg")
    expect(chosen.nth(1)).to_contain_text("brand-guide.pdf")
    composer.get_by_role("button", name="Don't attach brand-guide.pdf").click()  # taken out again…
    expect(chosen).to_have_count(1)
    picker.set_input_files([refs["photo"], refs["pdf"]])  # …and both chosen once more
    expect(chosen).to_have_count(2)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "attachments-composer-1440.png"))
    composer.locator("textarea").press("Enter")

    thread = page.locator(".thread", has_text="Brighter, like the reference")
    expect(thread.locator(".attachment")).to_have_count(2)
    expect(composer).to_be_hidden()
    expect(composer.locator("[data-attach-list]")).to_be_hidden()  # the composer starts empty next time
    thumbnails_loaded(page)
    assert attachments_in(app, "Brighter, like the reference") == [("mountain-reference.jpg", "image/jpeg"),
                                                                  ("brand-guide.pdf", "application/pdf")]
    with page.expect_download() as download:
        thread.locator(".attachment", has_text="brand-guide.pdf").click()
    assert download.value.suggested_filename == "brand-guide.pdf"

    thread.locator("summary", has_text="Reply").click()
    thread.get_by_label("Reply to comment 1").fill("And the darker variant for the footer")
    thread.get_by_label("Attach", exact=True).set_input_files(refs["photo"])
    expect(thread.locator("[data-attach-list] li")).to_have_text(re.compile(r"mountain-reference\.jpg\s*\d"))
    page.screenshot(path=str(SHOTS / "attachments-reply-1440.png"))
    thread.get_by_role("button", name="Reply", exact=True).click()
    expect(page.locator(".reply .attachment")).to_have_count(1)
    thumbnails_loaded(page)

    for width in (1440, 375):
        page.set_viewport_size({"width": width, "height": 900 if width > 500 else 812})
        page.reload()
        thread = page.locator(".thread", has_text="Brighter, like the reference")
        thread.scroll_into_view_if_needed()
        thumbnails_loaded(page)
        tiles = thread.locator(".attachment")
        for n in range(2):
            assert tiles.nth(n).bounding_box()["width"] <= width / 2
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing sticks out sideways
        assert page.evaluate("(p => p.scrollWidth <= p.clientWidth)(document.getElementById('panel'))")
        page.screenshot(path=str(SHOTS / f"attachments-{width}.png"))


def test_a_file_over_the_limit_is_stopped_before_sending_and_a_refused_one_keeps_the_text(
        app, page, live_server, ui_login, studio, refs, browser_errors, tmp_path):
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    general = page.locator("#general-composer")
    general.get_by_label("General comment").fill("The whole palette, please")
    picker = general.get_by_label("Attach", exact=True)
    huge = tmp_path / "huge-scan.png"  # paths, not buffers: 21 MB through the driver take long on a busy machine
    huge.write_bytes(b"\0" * 21_000_000)
    (swatches := tmp_path / "swatches.jpg").write_bytes(refs["photo"].read_bytes())
    picker.set_input_files([huge, swatches])
    expect(general.locator(".file-problem")).to_have_text(
        "“huge-scan.png” is larger than 20 MB, the limit for an attachment.")
    # 21,000,000 bytes are 20.03 MB: never shown as "20.0 MB" next to "larger than 20 MB"
    expect(general.locator("[data-attach-list] li", has_text="huge-scan.png").locator(".file-size")).to_have_text("20.1 MB")
    page.set_viewport_size({"width": 375, "height": 812})
    general.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "attachments-too-large-375.png"))
    general.get_by_role("button", name="Comment").click()
    page.wait_for_timeout(300)
    expect(page.locator(".panel-empty")).to_be_visible()  # nothing was sent
    assert picker.evaluate("input => input.validationMessage").startswith("“huge-scan.png” is larger")

    general.get_by_role("button", name="Don't attach huge-scan.png").click()
    expect(general.locator(".file-problem")).to_have_count(0)

    # The server judges by content: an SVG is refused with a toast, and the form keeps the text.
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    picker.set_input_files([{"name": "palette.svg", "mimeType": "image/svg+xml", "buffer": svg}])
    browser_errors.allow(r"status of 422")  # Chromium logs the refusal's status as an error
    general.get_by_role("button", name="Comment").click()
    expect(page.locator(".toast-error")).to_contain_text("“palette.svg” can't be attached. SVG images can't be attached")
    expect(general.locator("textarea")).to_have_value("The whole palette, please")
    expect(page.locator(".panel-empty")).to_be_visible()

    picker.set_input_files([{"name": "swatches.jpg", "mimeType": "image/jpeg", "buffer": refs["photo"].read_bytes()}])
    general.get_by_role("button", name="Comment").click()
    thread = page.locator(".thread", has_text="The whole palette, please")
    expect(thread.locator(".attachment")).to_have_count(1)
    thumbnails_loaded(page)
    expect(general.locator("textarea")).to_have_value("")  # the form is empty again, its list too
    expect(general.locator("[data-attach-list]")).to_be_hidden()


LONG = "spring-trail-hero-reference-photo-from-the-shoot-final.jpg"


def name_fits(locator) -> dict:
    """How a file name is shown: on one line, with its end (the extension) whole."""
    return locator.evaluate("""(el) => { const end = el.lastElementChild, line = parseFloat(getComputedStyle(el).lineHeight);
      return {text: el.textContent, oneLine: el.getBoundingClientRect().height < 1.5 * line,
              endWhole: end.scrollWidth <= end.clientWidth + 1 && end.getBoundingClientRect().right <= el.getBoundingClientRect().right + 1,
              cut: el.firstElementChild.scrollWidth > el.firstElementChild.clientWidth}; }""")


def test_long_file_names_lose_their_middle_not_their_end(page, live_server, ui_login, studio, refs):
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    general = page.locator("#general-composer")
    general.get_by_label("General comment").fill("References from the shoot")
    photo = refs["photo"].read_bytes()
    general.get_by_label("Attach", exact=True).set_input_files(
        [{"name": name, "mimeType": "image/jpeg", "buffer": photo} for name in ("loaf_photo.jpg", LONG)])
    chip = general.locator("[data-attach-list] .file-name").nth(1)
    assert name_fits(chip) == {"text": LONG, "oneLine": True, "endWhole": True, "cut": True}
    expect(chip).to_have_attribute("title", LONG)
    general.get_by_role("button", name="Comment").click()

    thread = page.locator(".thread", has_text="References from the shoot")
    expect(thread.locator(".attachment")).to_have_count(2)
    thumbnails_loaded(page)
    for width in (1440, 375):
        page.set_viewport_size({"width": width, "height": 900 if width > 500 else 812})
        short, long = (thread.locator(".attachment-name").nth(n) for n in (0, 1))
        assert name_fits(short) == {"text": "loaf_photo.jpg", "oneLine": True, "endWhole": True,
                                    "cut": name_fits(short)["cut"]}  # "loaf_p…hoto.jpg" at most: never "loaf_photo.jp / g"
        assert name_fits(long) == {"text": LONG, "oneLine": True, "endWhole": True, "cut": True}
        expect(thread.locator(".attachment").nth(1)).to_have_attribute("title", re.compile(re.escape(LONG)))
        thread.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"attachments-names-{width}.png"))
