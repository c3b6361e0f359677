"""Every page reachable from the navigation, on the demo data, at desktop and phone width.

A person's walk through the navigation (projects → a project → board → clients → a client →
settings: workspace, team, outbox → notifications → notification settings → their account),
once at 1440 px and once at 375 px. On each page: no console
error or CSP violation (conftest), every visible field has an accessible name, exactly one
``h1``, nothing wider than the phone, and the keyboard reaches the skip link, the main
navigation and the page's primary control, each with a visible focus ring. All problems of
the walk are reported together. Screenshots go to the test's tmp dir and to /tmp/revue-shots/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from revue.db import db

from .helpers import FOCUS_LOG, OWNER_EMAIL, PASSWORD, UNLABELLED_FIELDS

SHOTS = Path("/tmp/revue-shots")
NAV_LINKS = "() => Array.from(document.querySelectorAll('nav.mainnav a')).map((a) => a.textContent.trim())"

MARK_PRIMARY = """() => {
  const visible = (el) => el && el.checkVisibility({visibilityProperty: true});
  let el = Array.from(document.querySelectorAll("main .btn-primary")).find(visible)
        || Array.from(document.querySelectorAll("main button, main .btn")).find(visible);
  if (!el) return null;
  if (el.tagName === "LABEL" && el.control) el = el.control;  // a styled label for a (hidden) file input
  el.setAttribute("data-e2e-primary", "");
  return (el.labels && el.labels[0] ? el.labels[0].textContent : el.textContent).trim();
}"""

OVERFLOWING = """(limit) => Array.from(document.querySelectorAll("body *")).filter((el) => {
  if (el.getBoundingClientRect().right <= limit + 1) return false;
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== "visible") return false;  // inside a scroller or a clip: fine
  }
  return true;
}).slice(0, 6).map((el) => el.outerHTML.slice(0, 140))"""


def _nav(page, name):
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def _settings_tab(page, name):
    page.get_by_role("navigation", name="Settings").get_by_role("link", name=name).click()


def _user_menu(page, name):
    page.locator(".usermenu summary").click()
    page.locator(".usermenu").get_by_role("link", name=name).click()


# (page name, how a person gets there from the previous page)
WALK = [
    ("projects", lambda page: _nav(page, "Projects")),
    ("project", lambda page: page.get_by_role("link", name="Spring Trail campaign").click()),
    ("board", lambda page: _nav(page, "Board")),
    ("clients", lambda page: _nav(page, "Clients")),
    ("client", lambda page: page.get_by_role("link", name="Acme Outdoor Co.").click()),
    ("settings-workspace", lambda page: _nav(page, "Settings")),
    ("settings-team", lambda page: _settings_tab(page, "Team")),
    ("settings-outbox", lambda page: _settings_tab(page, "Outbox")),
    ("notifications", lambda page: page.locator("header a.bell").click()),
    ("notification-settings", lambda page: _user_menu(page, "Notification settings")),
    ("account", lambda page: _user_menu(page, "Your account")),
]


@pytest.fixture
def demo_login(demo_site, page):
    """The demo's owner logged in (in ``page``)."""
    email, password = demo_site.login
    page.goto(demo_site("/account/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    return demo_site


@pytest.mark.parametrize("width", [1440, 375])
def test_every_page_from_the_nav(width, page, demo_login, tmp_path):
    site = demo_login
    page.set_viewport_size({"width": width, "height": 900})
    problems: list[str] = []
    for name, get_there in WALK:
        with page.expect_navigation():
            get_there(page)
        where = f"{name} @ {width}px ({page.url.removeprefix(site.url)})"
        shot = tmp_path / f"{name}-{width}.png"  # before the keyboard walk scrolls things about
        page.screenshot(path=str(shot), full_page=True)
        SHOTS.mkdir(exist_ok=True)
        shutil.copy(shot, SHOTS / shot.name)
        problems += [f"{where}: {p}" for p in check_page(page, width)]
    assert not problems, "\n".join(problems)


def check_page(page, width: int) -> list[str]:
    problems = []
    if page.locator(".error-code").count():
        return [f"error page: {page.locator('h1').inner_text()}"]
    problems += keyboard_problems(page)  # first: focus is still at the start of the fresh page
    for field in page.evaluate(UNLABELLED_FIELDS):
        problems.append(f"field without an accessible name: {field}")
    if (count := page.locator("h1").count()) != 1:
        problems.append(f"{count} h1 elements: {page.locator('h1').all_inner_texts()}")
    if width <= 375 and (wide := page.evaluate("document.documentElement.scrollWidth")) > width + 1:
        problems.append(f"{wide}px wide on a {width}px phone; widest: {page.evaluate(OVERFLOWING, width)}")
    return problems


def keyboard_problems(page, max_tabs: int = 90, batch: int = 10) -> list[str]:
    """Tab from the top: the skip link first, then the main nav and the primary control, all with a ring."""
    primary = page.evaluate(MARK_PRIMARY)
    nav = set(page.evaluate(NAV_LINKS))
    page.evaluate(FOCUS_LOG)
    seen: list[dict] = []
    for _ in range(0, max_tabs, batch):
        for _ in range(batch):
            page.keyboard.press("Tab")
        seen = page.evaluate("window.__focusLog")
        nav_seen = {f["text"] for f in seen if f["inNav"]}
        if nav_seen >= nav and (primary is None or any(f["primary"] for f in seen)):
            break
    order = [f["text"] or f["tag"] for f in seen]
    problems = []
    if not seen or seen[0]["text"] != "Skip to content":
        problems.append(f"first Tab stop is {order[:1]}, not the skip link")
    if not nav or not {f["text"] for f in seen if f["inNav"]} >= nav:
        problems.append(f"Tab never reaches the main nav {sorted(nav)}: {order}")
    if primary is not None and not any(f["primary"] for f in seen):
        problems.append(f"Tab never reaches the primary control {primary!r} within {max_tabs} stops: {order}")
    if missing := [f["text"] or f["tag"] for f in seen if not f["ring"]]:
        problems.append(f"no visible focus ring on {missing}")
    return problems


def test_keyboard_alone_gets_around(page, demo_login):
    """Enter follows a nav link; the account menu opens and is used with the keyboard."""
    page.goto(demo_login("/projects/"))
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Clients":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Clients")

    page.locator(".usermenu summary").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Your account")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Your account")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")


def test_logout_says_so_once(page, live_server, owner, ui_login):
    db.session.commit()  # release SQLite's write lock held by the fixture's session
    ui_login(page, OWNER_EMAIL, PASSWORD)
    page.locator(".usermenu summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Log in")
    assert page.get_by_text("You are logged out.").count() == 1


def test_the_watch_catches_csp_violations(page, live_server, browser_errors):
    """The G2 guard itself works: an inline script on one of our pages is reported as a violation."""
    page.goto(live_server("/account/setup"))
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
                  " document.body.append(s); }")
    page.wait_for_function("window.__csp.length > 0")
    taken = browser_errors.take()
    assert any("CSP violation" in e and "script-src" in e for e in taken), taken


# -- a review link's list: each piece's thumbnail shows all of it ------------------------------------------


@pytest.fixture
def link_to_a_pdf_and_a_banner(app, live_server, tmp_path_factory):
    """A tall PDF page and a very wide banner, both sent to the client, on a review link. Plain values only."""
    from assets import mediafiles as mf  # tests/assets/mediafiles.py
    from review import factories
    from sqlalchemy import select

    from revue.accounts.models import User
    from revue.assets.models import AssetVersion
    from revue.links import services as links
    from revue.review import engine

    folder = tmp_path_factory.mktemp("link-thumbs")
    studio = factories.build_studio(app, folder, ("pdf",))
    with app.app_context(), app.test_request_context(base_url=app.config["BASE_URL"]):
        mia = db.session.scalar(select(User).where(User.email == studio["member"]))
        pdf = db.session.get(AssetVersion, studio["pdf"])
        banner = factories.upload(mia, pdf.asset.project, mf.image_file(folder / "banner.png", "PNG", (1456, 180)),
                                  "banner.png")
        for version in (pdf, db.session.get(AssetVersion, banner)):
            engine.send_for_review(mia, version, start_at=2)
        _link, raw = links.create_link(mia, pdf.asset.project, label="Thumbs")
        db.session.commit()
        db.session.remove()
    return raw


def test_review_link_thumbnails_are_letterboxed_not_cropped(page, live_server, link_to_a_pdf_and_a_banner):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server(f"/r/{link_to_a_pdf_and_a_banner}"))
    page.get_by_label("Your name").fill("Dana Whitfield")
    page.get_by_label("Your email").fill("dana@acme-client.example")
    page.get_by_role("button", name="Continue").click()
    thumbs = page.locator(".guest-item img")
    expect(thumbs).to_have_count(2)
    page.wait_for_function("() => [...document.querySelectorAll('.guest-item img')].every(i => i.complete && i.naturalWidth)")
    for n in range(2):  # a tall page and a wide banner in the same box: each shown whole (not cover's crop)
        shown = thumbs.nth(n).evaluate("(img) => [getComputedStyle(img).objectFit, img.width, img.height,"
                                       " img.naturalWidth / img.naturalHeight]")
        assert shown[0] == "contain" and shown[1:3] == [96, 64], shown
    assert {round(t.evaluate("(img) => img.naturalWidth > img.naturalHeight")) for t in thumbs.all()} == {0, 1}
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "link-home-thumbs-390.png"))
