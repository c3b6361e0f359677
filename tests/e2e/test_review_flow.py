"""The review round trip in real browsers (the issue's "Done when").

Mia (a member, browser A) sends v1 for review from the viewer and approves the internal stage;
the client stage opens and Cleo's email arrives at a real SMTP server. Cleo opens her personal
link in browser B — no account, no login — pins a comment on the artwork and asks for changes.
Mia uploads v2 on the asset page, sends it, approves it; Cleo gets a new email and approves v2.
The asset is then approved, and v2's approval record lists both decisions on the file with the
right SHA-256. The project keeps the standard workflow: Internal (any project member), then
Client (every contact of the client).
"""

from __future__ import annotations

import hashlib
import re
import time
from urllib.parse import urlsplit

from playwright.sync_api import expect
from review import factories
from review.factories import PASSWORD


def emailed_link(mailbox, address: str, count: int, timeout: float = 15.0) -> str:
    """The personal decision link in the ``count``-th review request ``address`` received."""
    deadline = time.monotonic() + timeout
    while True:
        requests = [m for m in mailbox.to(address) if m["Subject"].startswith("Please review")]
        if len(requests) >= count:
            break
        assert time.monotonic() < deadline, f"{address} did not get review request #{count}"
        time.sleep(0.05)
    links = [u for u in mailbox.links(requests[count - 1]) if re.search(r"/e/[A-Za-z0-9_-]{20,}$", u)]
    assert len(links) == 1, links
    return links[0]


def decide(page, label: str, confirm: str, note: str = "") -> None:
    """Open a verdict in the side panel (details/summary), maybe write a note, confirm."""
    panel = page.locator("#decide")
    panel.locator("summary").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).click()
    button = panel.get_by_role("button", name=confirm)
    expect(button).to_be_visible()
    if note:
        button.locator("xpath=ancestor::form").locator("textarea").fill(note)
    button.click()


def test_member_and_client_go_through_two_rounds(app, page, live_server, smtp_server, ui_login, new_watched_context,
                                                  tmp_path_factory):
    studio = factories.build_studio(app, tmp_path_factory.mktemp("review-flow"), ("image",))
    v1 = studio["image"]
    asset_id, v1_sha = factories.read(app, lambda: _version_facts(v1))

    # Mia sends v1 from the viewer and, as a reviewer of the internal stage, approves it.
    ui_login(page, studio["member"], PASSWORD)
    page.goto(live_server(f"/review/versions/{v1}"))
    page.get_by_role("button", name="Send v1 for review").click()
    expect(page.get_by_text("v1 is in review")).to_be_visible()
    decide(page, "Approve v1", "Confirm: approved v1")
    expect(page.get_by_text("Your decision on v1: Approved.")).to_be_visible()

    # The client stage opened: Cleo's email arrives; she opens it in a browser of her own.
    link = emailed_link(smtp_server, studio["contact"], 1)
    assert urlsplit(link).netloc == urlsplit(live_server.url).netloc
    cleo = new_watched_context().new_page()
    cleo.goto(link)
    expect(cleo).to_have_url(live_server("/e/"))  # the token left the address bar (E9)
    art = cleo.locator('.artboard[data-page="1"]')
    expect(art).to_be_visible()
    cleo.wait_for_function("() => { const img = document.querySelector('.artboard img');"
                           " return img && img.complete && img.naturalWidth > 0; }")
    box = art.bounding_box()
    cleo.mouse.click(box["x"] + 0.4 * box["width"], box["y"] + 0.5 * box["height"])
    composer = cleo.locator("#pin-composer")
    expect(composer).to_be_visible()
    composer.locator("textarea").fill("Make the logo bigger")
    composer.locator("textarea").press("Enter")
    expect(cleo.locator(".thread", has_text="Make the logo bigger")).to_be_visible()
    decide(cleo, "Request changes", "Confirm: changes requested v1")
    expect(cleo).to_have_url(live_server("/e/done"))
    expect(cleo.locator(".lead")).to_contain_text("is recorded: changes requested")
    assert factories.read(app, lambda: _status(asset_id)) == "changes_requested"
    cleo.goto(link)  # her link again, in her browser: what happened, not an error
    expect(cleo).to_have_url(live_server("/e/"))
    expect(cleo.get_by_role("heading", level=1)).to_have_text("This review is finished")
    expect(cleo.locator(".lead")).to_contain_text("Your decision on v1: Changes requested")
    cleo.screenshot(path="/tmp/revue-shots/review-flow-finished.png")

    # Mia uploads v2 on the asset page, sends it, approves the internal stage again.
    v2_file = tmp_path_factory.mktemp("v2") / "poster-v2.png"
    from assets import mediafiles

    mediafiles.image_file(v2_file, "PNG", (1600, 1000), mode="RGBA")
    v2_sha = hashlib.sha256(v2_file.read_bytes()).hexdigest()
    page.goto(live_server(f"/assets/{asset_id}"))
    page.locator("#version-file").set_input_files(str(v2_file))
    expect(page.get_by_role("link", name=re.compile(r"^(Uploaded|Ready)\b"))).to_be_visible(timeout=30_000)
    v2 = factories.read(app, lambda: _current_version(asset_id))
    assert v2 != v1
    page.goto(live_server(f"/review/versions/{v2}"))
    page.get_by_role("button", name="Send v2 for review").click()
    expect(page.get_by_text("v2 is in review")).to_be_visible()
    decide(page, "Approve v2", "Confirm: approved v2")
    expect(page.get_by_text("Your decision on v2: Approved.")).to_be_visible()

    # A new email for Cleo; she approves v2 through it.
    new_link = emailed_link(smtp_server, studio["contact"], 2)
    assert new_link != link
    cleo.goto(new_link)
    expect(cleo).to_have_url(live_server("/e/"))
    expect(cleo.locator("#decide")).to_contain_text("Your decision on v2")
    decide(cleo, "Approve v2", "Confirm: approved v2", note="Perfect, thank you.")
    expect(cleo).to_have_url(live_server("/e/done"))
    expect(cleo.locator(".lead")).to_contain_text("is recorded: approved")

    # The asset is approved; v2's record lists both decisions on the right file.
    page.goto(live_server(f"/assets/{asset_id}"))
    expect(page.locator(".sub .status")).to_have_text("Approved")
    page.goto(live_server(f"/review/versions/{v2}/record"))
    expect(page.get_by_role("heading", name="Approval record")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text(v2_sha)
    expect(page.get_by_text("Matches the stored file")).to_be_visible()
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Mia Member")
    expect(rows.nth(0)).to_contain_text("signed in")
    expect(rows.nth(1)).to_contain_text("Cleo Client")
    expect(rows.nth(1)).to_contain_text("personal emailed link")
    expect(rows.nth(1)).to_contain_text("Perfect, thank you.")
    for n in range(2):
        expect(rows.nth(n)).to_contain_text("Approved")
        assert v2_sha in rows.nth(n).inner_text().replace("\n", "").replace(" ", "")
    assert v1_sha not in page.locator("table.list").inner_text()

    decisions = factories.read(app, lambda: _decisions(v2))
    assert decisions == [("Mia Member", "approved", "viewer", v2_sha), ("Cleo Client", "approved", "email_link", v2_sha)]
    assert factories.read(app, lambda: _decisions(v1))[-1][1:3] == ("changes_requested", "email_link")


def _version_facts(version_id: int):
    from revue.assets.models import AssetVersion
    from revue.db import db

    version = db.session.get(AssetVersion, version_id)
    return version.asset_id, version.sha256


def _status(asset_id: int) -> str:
    from revue.assets.models import Asset
    from revue.db import db

    return db.session.get(Asset, asset_id).status.value


def _current_version(asset_id: int) -> int:
    from revue.assets.models import Asset
    from revue.db import db

    return db.session.get(Asset, asset_id).current_version_id


def _decisions(version_id: int) -> list[tuple]:
    from sqlalchemy import select

    from revue.db import db
    from revue.review.models import Decision

    rows = db.session.scalars(select(Decision).where(Decision.version_id == version_id).order_by(Decision.id))
    return [(d.reviewer_name, d.verdict.value, d.channel.value, d.file_sha256) for d in rows]
