"""Several people on one version at once: the panel polls (every 4 s) and shows what others wrote,
and an internal comment never reaches a client contact — not on the page, not by email."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from review import factories
from review.factories import PASSWORD
from sqlalchemy import select

from revue.db import db
from revue.mail import OutboxMessage

from .test_viewer import at, board, comment_row, open_viewer, write


@pytest.fixture
def studio(app, live_server, tmp_path_factory):
    """Mia and Theo on the project, Cleo of its client, one uploaded image (see tests/review/factories.py)."""
    return factories.build_studio(app, tmp_path_factory.mktemp("live-media"))


def login(page, live_server, email: str) -> None:
    page.goto(live_server("/account/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_a_comment_posted_in_one_browser_appears_in_another_within_5_seconds(
        app, page, live_server, ui_login, studio, new_watched_context):
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    theo = new_watched_context().new_page()
    theo.set_viewport_size({"width": 1440, "height": 900})
    login(theo, live_server, studio["teammate"])
    theo.goto(live_server(f"/review/versions/{studio['image']}"))
    expect(theo.locator(".panel-empty")).to_be_visible()

    page.mouse.click(*at(board(page), 0.25, 0.25))
    comment_id = write(page, "Seen from the other side?")
    posted = time.monotonic()
    expect(theo.locator(".thread", has_text="Seen from the other side?")).to_be_visible(timeout=5_000)
    assert time.monotonic() - posted < 5.0
    expect(theo.locator(f'.pin[data-comment="{comment_id}"]')).to_be_visible()  # the pin came along

    # And back: Theo replies, Mia sees it without reloading.
    thread = theo.locator(f'.thread[data-comment="{comment_id}"]')
    thread.locator("summary", has_text="Reply").click()
    thread.get_by_label("Reply to comment 1").fill("Yes, loud and clear")
    thread.get_by_role("button", name="Reply").click()
    replied = time.monotonic()

    expect(page.locator(".reply", has_text="Yes, loud and clear")).to_be_visible(timeout=5_000)
    assert time.monotonic() - replied < 5.0


def test_the_panel_waits_while_someone_is_typing(app, page, live_server, ui_login, studio, new_watched_context):
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    page.locator("#general-body").fill("Half a thought")
    theo = new_watched_context().new_page()
    login(theo, live_server, studio["teammate"])
    theo.goto(live_server(f"/review/versions/{studio['image']}"))
    theo.locator("#general-body").fill("Theo was here")
    theo.locator("#general-body").press("Enter")
    expect(theo.locator(".thread", has_text="Theo was here")).to_be_visible()
    page.wait_for_timeout(5_000)
    expect(page.locator("#general-body")).to_have_value("Half a thought")  # nothing swapped away
    page.locator("#general-body").press("Enter")
    expect(page.locator(".thread")).to_have_count(2)  # her own post brings the whole panel up to date


def test_an_internal_comment_never_reaches_a_client_contact(app, page, live_server, ui_login, studio,
                                                            new_watched_context, smtp_server):
    factories.share_by_id(app, studio["image"], studio["ids"]["contact"])
    open_viewer(page, live_server, ui_login, studio["member"], studio["image"])
    cleo = new_watched_context().new_page()
    login(cleo, live_server, studio["contact"])
    cleo.goto(live_server(f"/review/versions/{studio['image']}"))
    expect(cleo.locator("#stage")).to_be_visible()
    expect(cleo.get_by_label("Internal")).to_have_count(0)  # nobody offers her the choice

    box = board(page)
    page.mouse.click(*at(box, 0.6, 0.3))
    secret_id = write(page, "@cleo must not read this: budget is blown", internal=True)
    assert comment_row(app, secret_id)["internal"] is True
    expect(page.locator(f'.thread[data-comment="{secret_id}"] .badge', has_text="Internal")).to_be_visible()
    page.mouse.click(*at(box, 0.3, 0.6))
    public_id = write(page, "@cleo please check the new headline")
    assert comment_row(app, public_id)["internal"] is False  # "Internal" does not stick to the next comment

    # Cleo's open page picks up the public comment, never the internal one.
    expect(cleo.locator(".thread", has_text="please check the new headline")).to_be_visible(timeout=5_000)
    expect(cleo.locator(f'[data-comment="{secret_id}"]')).to_have_count(0)
    assert "budget is blown" not in cleo.content()
    cleo.reload()
    expect(cleo.locator(f'.thread[data-comment="{public_id}"]')).to_be_visible()
    assert "budget is blown" not in cleo.content()
    assert "Internal" not in cleo.locator("#panel").inner_text()

    # Email: one mention for the public comment, nothing about the internal one.
    [mail] = smtp_server.wait(1)
    time.sleep(0.5)  # anything else queued would be sent by now (jobs run inline)
    to_cleo = smtp_server.to(studio["contact"])
    assert len(to_cleo) == 1 and to_cleo == [mail]
    assert "please check the new headline" in smtp_server.text(mail)
    for message in smtp_server.messages:
        assert "budget is blown" not in message.as_string()
    queued = factories.read(app, lambda: db.session.execute(select(OutboxMessage.to_addr, OutboxMessage.text_body)
                                                            .where(OutboxMessage.to_addr == studio["contact"])).all())
    assert len(queued) == 1 and "budget is blown" not in queued[0].text_body
