"""Reading the viewer: who sees which comments, the live panel, outsiders, CSV export, escaping,
and a constant number of SQL queries however many comments a version has."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from revue.db import db

from . import factories
from .conftest import text_of

# -- internal comments and client contacts -----------------------------------------------------


@pytest.fixture
def mixed(shared, member, contact):
    """Two public comments (one with a reply) and two internal ones (one with a reply) on a shared version."""
    public = factories.comment(shared, contact, "Public: the headline is too long",
                               anchor={"type": "pin", "x": 0.2, "y": 0.2})
    factories.comment(shared, member, "Public reply: shortened", parent=public)
    factories.comment(shared, member, "Public: general remark")
    secret = factories.comment(shared, member, "Internal: client will hate the orange", internal=True,
                               anchor={"type": "region", "x": 0.5, "y": 0.5, "w": 0.2, "h": 0.2})
    factories.comment(shared, member, "Internal reply: keep it anyway", parent=secret)
    factories.comment(shared, member, "Internal: second thought", internal=True)
    return shared


def test_members_see_every_comment(mixed, as_member):
    page = text_of(as_member.get(f"/review/versions/{mixed.id}"))
    assert "Internal: client will hate the orange" in page
    assert "Internal reply: keep it anyway" in page
    assert "4 open" in page


def test_internal_comments_never_reach_a_client_contact(mixed, as_contact):
    pages = [as_contact.get(f"/review/versions/{mixed.id}"),
             as_contact.get(f"/review/versions/{mixed.id}/panel"),
             as_contact.get(f"/review/versions/{mixed.id}/panel", headers={"HX-Request": "true"}),
             as_contact.get(f"/review/versions/{mixed.id}/print"),
             as_contact.get(f"/review/versions/{mixed.id}/comments.csv")]
    for response in pages:
        assert response.status_code == 200, response.request.path
        body = response.get_data(as_text=True)
        assert "Public: the headline is too long" in body, response.request.path
        assert "Internal" not in body.replace("internal-", ""), response.request.path
        assert "is-internal" not in body
    page = text_of(pages[0])
    assert "2 open" in page  # counted without the internal ones
    assert 'class="region' not in pages[0].get_data(as_text=True)  # nor drawn on the artwork
    assert len(re.findall(r'<button type="button" class="pin', pages[0].get_data(as_text=True))) == 1


def test_an_internal_comment_by_id_is_a_404_for_a_client_contact(mixed, as_contact, hx):
    from revue.comments.models import Comment

    secret = db.session.scalar(select(Comment).where(Comment.internal, Comment.parent_id.is_(None)).limit(1))
    db.session.commit()
    for action in ("reply", "edit", "delete", "resolve"):
        assert as_contact.post(f"/review/comments/{secret.id}/{action}", data={"body": "x"},
                               headers=hx).status_code == 404


def test_an_internal_comment_does_not_change_the_clients_stamp(mixed, member, as_contact, as_member):
    client_stamp = panel_stamp(as_contact, mixed)
    member_stamp = panel_stamp(as_member, mixed)
    factories.comment(mixed, member, "Internal: one more", internal=True)
    assert as_contact.get(f"/review/versions/{mixed.id}/panel?stamp={client_stamp}").status_code == 204
    assert as_member.get(f"/review/versions/{mixed.id}/panel?stamp={member_stamp}").status_code == 200


# -- the live panel --------------------------------------------------------------------------


def panel_stamp(browser, version) -> str:
    body = browser.get(f"/review/versions/{version.id}").get_data(as_text=True)
    return re.search(r'id="panel"[^>]*data-stamp="(\w+)"', body).group(1)


@pytest.mark.parametrize("change", ["add", "reply", "edit", "resolve", "delete", "decision"])
def test_panel_answers_204_until_something_changes(change, version, member, teammate, as_member, hx):
    top = factories.comment(version, member, "First")
    stamp = panel_stamp(as_member, version)
    url = f"/review/versions/{version.id}/panel?stamp={stamp}"
    unchanged = as_member.get(url, headers=hx)
    assert unchanged.status_code == 204
    assert unchanged.get_data() == b""
    if change == "add":
        factories.comment(version, teammate, "Second")
    elif change == "reply":
        factories.comment(version, teammate, "Re", parent=top)
    elif change == "edit":
        as_member.post(f"/review/comments/{top.id}/edit", data={"body": "First, edited"})
    elif change == "resolve":
        as_member.post(f"/review/comments/{top.id}/resolve")
    elif change == "delete":
        as_member.post(f"/review/comments/{top.id}/delete")
    else:
        from revue.review.services import record_approval

        record_approval(member, version, "Approved on the phone")
        db.session.commit()
    changed = as_member.get(url, headers=hx)
    assert changed.status_code == 200
    body = changed.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="panel"')
    assert f'data-stamp="{stamp}"' not in body
    assert 'hx-swap-oob="innerHTML:.artboard' in body  # the marks come along
    assert "HX-Request" in changed.headers["Vary"]


def test_checklist_changes_reach_the_next_version_panel(version, member, teammate, as_member):
    old = factories.comment(version, teammate, "Open on v1")
    v2 = factories.make_version(version.asset.project, member, "image", asset=version.asset)
    stamp = panel_stamp(as_member, v2)
    as_member.post(f"/review/comments/{old.id}/fixed", data={"version_id": v2.id})
    assert as_member.get(f"/review/versions/{v2.id}/panel?stamp={stamp}").status_code == 200


def test_video_panel_carries_the_time_markers(project, member, as_member, hx):
    video = factories.make_version(project, member, "video")
    factories.comment(video, member, "At three", anchor={"type": "time", "t": 3.0})
    body = as_member.get(f"/review/versions/{video.id}/panel", headers=hx).get_data(as_text=True)
    assert 'hx-swap-oob="innerHTML:.scrub .markers"' in body
    assert 'data-t="3.0"' in body


def test_pdf_panel_carries_the_marks_of_every_page(project, member, as_member, hx):
    pdf = factories.make_version(project, member, "pdf")
    factories.comment(pdf, member, "Page two", anchor={"type": "pin", "x": 0.5, "y": 0.5, "page": 2})
    body = as_member.get(f"/review/versions/{pdf.id}/panel", headers=hx).get_data(as_text=True)
    for n in (1, 2, 3):
        assert f"innerHTML:.artboard[data-page='{n}'] .marks" in body
    page_two = body.split("data-page='2'")[1].split("hx-swap-oob")[0]
    assert 'class="pin' in page_two


# -- outsiders ------------------------------------------------------------------------------------


def viewer_urls(version, comment) -> list[tuple[str, str]]:
    v, c = version.id, comment.id
    reads = [f"/review/versions/{v}", f"/review/versions/{v}/panel", f"/review/versions/{v}/comments.csv",
             f"/review/versions/{v}/print"]
    writes = [f"/review/versions/{v}/comments"] + [f"/review/comments/{c}/{a}" for a in
                                                     ("reply", "edit", "delete", "resolve", "reopen", "fixed",
                                                      "still_open")]
    return [("GET", u) for u in reads] + [("POST", u) for u in writes]


def test_the_outsider_list_covers_every_viewer_route(app):
    """If a route is added to the viewer, it must be added to ``viewer_urls`` (and so get an outsider test)."""
    covered = {"review.viewer", "review.panel", "review.export_csv", "review.print_view", "review.add_comment",
               "review.comment_action",
               "review.attachment"}  # files answer 404 to everyone, signed in or not: test_attachments.py
    viewer_modules = ("revue.review.viewer", "revue.review.comment_routes")
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if getattr(app.view_functions[rule.endpoint], "__module__", "") in viewer_modules}
    assert endpoints == covered


@pytest.mark.parametrize("who", ["outsider", "stranger", "contact_unshared"])
def test_outsiders_get_404_on_every_viewer_and_comment_url(who, version, member, outsider, stranger, contact,
                                                          signed_in, comments_of):
    top = factories.comment(version, member, "Only for the team and the shared")
    if who == "contact_unshared":  # the client's own contact, but v1 was never sent to them
        person = contact
    else:
        factories.share(version, contact)
        person = {"outsider": outsider, "stranger": stranger}[who]
    browser = signed_in(person)
    for method, url in viewer_urls(version, top):
        for headers in ({}, {"HX-Request": "true"}):
            answer = browser.open(url, method=method, data={"body": "x", "version_id": version.id}, headers=headers)
            assert answer.status_code == 404, (who, method, url, headers)
            assert "Only for the team" not in answer.get_data(as_text=True)
    assert [c.body for c in comments_of(version)] == ["Only for the team and the shared"]


def test_anonymous_visitors_are_sent_to_log_in(version, member, client):
    top = factories.comment(version, member, "Hello")
    for method, url in viewer_urls(version, top):
        answer = client.open(url, method=method, data={"body": "x"})
        assert answer.status_code in (302, 303, 401), (method, url)
        assert "/account/login" in answer.headers.get("Location", "/account/login")


def test_a_deleted_version_is_gone_for_a_client_contact(shared, member, contact, as_contact):
    from revue.db import utcnow

    shared.deleted_at = utcnow()
    db.session.commit()
    assert as_contact.get(f"/review/versions/{shared.id}").status_code == 404


# -- CSV export (G6) --------------------------------------------------------------------------------


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)"]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_export_neutralises_formulas(shared, member, as_member):
    from revue.comments.models import Comment

    for body in FORMULAS:
        factories.comment(shared, member, body)
    for n, name in enumerate(["\tTabbed guest", "\rReturned guest", "=1+2 guest"]):  # guests name themselves
        db.session.add(Comment(version_id=shared.id, asset_id=shared.asset_id, number=10 + n, guest_name=name,
                               guest_email=f"g{n}@example.com", body="From a guest"))
    db.session.get(type(member), member.id).name = "=cmd|' /C calc'!A0"
    db.session.commit()
    response = as_member.get(f"/review/versions/{shared.id}/comments.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0][0] == "#"
    assert len(rows) == 1 + len(FORMULAS) + 3
    for row in rows[1:]:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r", (cell, row)
    cells = {cell for row in rows[1:] for cell in row}
    assert {"'=cmd|' /C calc'!A0", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tTabbed guest", "'\rReturned guest"} <= cells


def test_csv_export_has_no_internal_comments_for_a_client(mixed, as_contact, as_member):
    client_rows = csv_rows(as_contact.get(f"/review/versions/{mixed.id}/comments.csv"))
    assert len(client_rows) == 1 + 3  # header, two public comments, one public reply
    assert not any("Internal" in cell for row in client_rows for cell in row)
    assert len(csv_rows(as_member.get(f"/review/versions/{mixed.id}/comments.csv"))) == 1 + 6


# -- escaping (G4) --------------------------------------------------------------------------------------


ATTACK = '<img src=x onerror=alert(1)> hx-get="/x" {{ 7*7 }} <script>alert(2)</script>'


def made_by_payload(body: str) -> list[str]:
    """Elements or attributes the payload would have made had it escaped into the markup."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Inspector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                if name.startswith("on") or (name.startswith("hx-") and value == "/x"):
                    found.append(f"<{tag} {name}={value!r}>")
            if tag == "img" and dict(attrs).get("src") == "x":
                found.append("<img src=x>")
            if tag == "script" and not dict(attrs).get("src") and dict(attrs).get("type") != "application/json":
                found.append("inline <script>")  # a JSON data block (|tojson escapes < > &) never runs

    Inspector(convert_charrefs=True).feed(body)
    return found


def test_comment_bodies_render_escaped_and_inert(shared, member, contact, as_member, as_contact, hx, outbox):
    top = factories.comment(shared, contact, f"Body {ATTACK}", anchor={"type": "pin", "x": 0.5, "y": 0.5})
    factories.comment(shared, member, f"Reply {ATTACK} @cleo", parent=top)
    for browser in (as_member, as_contact):
        for url, headers in [(f"/review/versions/{shared.id}", {}), (f"/review/versions/{shared.id}/panel", hx),
                             (f"/review/versions/{shared.id}/print", {})]:
            body = browser.get(url, headers=headers).get_data(as_text=True)
            assert "<img src=x" not in body and "<script>alert" not in body, url
            assert made_by_payload(body) == [], url
            assert "{{ 7*7 }}" in text_of(browser.get(url, headers=headers)), url  # shown as typed, not run
            assert ">49<" not in body
    [mail] = outbox("cleo@client.example")
    assert "<img src=x" not in mail.html_body and "<script>alert" not in mail.html_body


def test_guest_names_and_author_names_render_escaped(version, member, as_member):
    db.session.get(type(member), member.id).name = '<img src=x onerror=alert(1)>'
    db.session.commit()
    factories.comment(version, member, "Hello", anchor={"type": "pin", "x": 0.5, "y": 0.5})
    body = as_member.get(f"/review/versions/{version.id}").get_data(as_text=True)
    assert "<img src=x" not in body


# -- a constant number of queries -----------------------------------------------------------------------


def fill(version, authors, n: int) -> None:
    """``n`` top-level comments of every kind (every third with two replies, every fifth resolved)."""
    from revue.comments.models import Comment

    anchors = [{"type": "pin", "x": 0.5, "y": 0.5}, {"type": "region", "x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2},
               {"type": "shape", "shape": "freehand", "points": [[0.1, 0.1], [0.2, 0.2]], "x": 0.1, "y": 0.1},
               None]
    tops = [Comment(version_id=version.id, asset_id=version.asset_id, number=i + 1,
                    author_id=authors[i % len(authors)].id, body=f"Comment {i} with **bold**", anchor=anchors[i % 4],
                    internal=i % 7 == 0, resolved_at=version.created_at if i % 5 == 0 else None,
                    resolved_by_id=authors[0].id if i % 5 == 0 else None) for i in range(n)]
    db.session.add_all(tops)
    db.session.flush()  # one batched INSERT … RETURNING for the ids
    db.session.add_all([Comment(version_id=version.id, asset_id=version.asset_id, parent_id=top.id, internal=top.internal,
                                author_id=authors[(i + j + 1) % len(authors)].id, body=f"Reply {j}")
                        for i, top in enumerate(tops) if i % 3 == 0 for j in range(2)])
    db.session.commit()


@pytest.mark.parametrize("who", ["member", "contact"])
def test_the_viewer_runs_the_same_number_of_queries_for_5_and_500_comments(who, project, member, teammate,
                                                                          contact, create_user, signed_in,
                                                                          count_queries):
    authors = [member, teammate, contact] + [create_user("member") for _ in range(5)]
    small = factories.make_version(project, member, "image", title="Small")
    big = factories.make_version(project, member, "image", title="Big")
    for v in (small, big):
        factories.share(v, contact)
    fill(small, authors, 5)
    fill(big, authors, 500)
    browser = signed_in(member if who == "member" else contact)
    counts = {}
    for name, v in (("small", small), ("big", big)):
        for url in (f"/review/versions/{v.id}", f"/review/versions/{v.id}/panel"):
            browser.get(url)  # warm: sessions, workspace
            with count_queries() as q:
                response = browser.get(url)
            assert response.status_code == 200
            counts[(name, url.rsplit("/", 1)[-1])] = q.count
    assert counts[("small", str(small.id))] == counts[("big", str(big.id))], counts
    assert counts[("small", "panel")] == counts[("big", "panel")], counts
    assert "Comment 499 with bold" in text_of(browser.get(f"/review/versions/{big.id}"))


# -- the decision form stays in a reviewer's panel --------------------------------------------------


@pytest.fixture
def guest_browser(shared, member, make_client):
    """A review-link guest (comment + decide) who is a named reviewer of the stage open on ``shared``."""
    from revue.links import services as links
    from revue.review.models import Participant, Review

    stage_id = db.session.scalar(select(Review).where(Review.version_id == shared.id)).stages[0].id
    db.session.add(Participant(stage_id=stage_id, email="gina@guest.example", name="Gina Guest"))
    _, token = links.create_link(member, shared.asset.project, can_comment=True, can_decide=True)
    db.session.commit()
    browser = make_client()
    assert browser.get(f"/r/{token}").status_code == 303
    assert browser.post("/r/", data={"name": "Gina Guest", "email": "gina@guest.example"}).status_code == 303
    return browser


def test_a_guest_reviewer_keeps_the_decision_form_after_commenting(shared, guest_browser, hx, comments_of):
    url = f"/r/assets/{shared.asset_id}"
    assert "Your decision on v1" in text_of(guest_browser.get(url))
    answer = guest_browser.post(f"{url}/comments", data={"body": "Looks good to me", "anchor": ""}, headers=hx)
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="panel"')
    assert "Looks good to me" in body
    assert "Your decision on v1" in text_of(answer)  # the panel as the guest's own panel URL answers it
    assert f'hx-get="/r/assets/{shared.asset_id}/panel' in body
    [comment] = comments_of(shared)
    assert (comment.guest_email, comment.author_id) == ("gina@guest.example", None)


def test_a_guest_cannot_write_internal_or_touch_others_comments(shared, member, guest_browser, hx, comments_of):
    theirs = factories.comment(shared, member, "The team's comment")
    url = f"/r/assets/{shared.asset_id}"
    assert guest_browser.post(f"{url}/comments", data={"body": "psst", "internal": "1"},
                              headers=hx).status_code == 403
    for action in ("edit", "delete"):
        answer = guest_browser.post(f"{url}/comments/{theirs.id}/{action}", data={"body": "mine now"}, headers=hx)
        assert answer.status_code == 403, action
    assert [c.body for c in comments_of(shared)] == ["The team's comment"]


def test_a_signed_in_reviewer_keeps_the_decision_form_after_commenting(shared, as_contact, hx):
    assert "Your decision on v1" in text_of(as_contact.get(f"/review/versions/{shared.id}"))
    answer = as_contact.post(f"/review/versions/{shared.id}/comments", data={"body": "One remark"}, headers=hx)
    assert "One remark" in text_of(answer)
    assert "Your decision on v1" in text_of(answer)


# -- sizes, attachment names, the player's controls ----------------------------------------------------------


@pytest.mark.parametrize(("size", "shown"), [
    (0, "0 bytes"), (1023, "1023 bytes"), (1024, "1.0 KB"), (1025, "1.1 KB"),
    (1_048_473, "1023.9 KB"), (1_048_474, "1.0 MB"),  # never "1024.0 KB"
    (20 * 2**20, "20.0 MB"), (21_000_000, "20.1 MB"),  # 20.03 MB: over a 20 MB limit, and it says so
    (5 * 2**30, "5.0 GB"), (None, "—"),
])
def test_file_sizes_round_up_so_a_file_over_a_limit_never_reads_as_the_limit(size, shown):
    from revue import filesize

    assert filesize(size) == shown


def test_a_long_attachment_name_is_split_to_lose_its_middle_and_kept_whole_in_the_title(version, member, as_member):
    from revue.comments.models import CommentAttachment

    comment = factories.comment(version, member, "See the references")
    for name in ("loaf_photo.jpg", "a.png"):
        db.session.add(CommentAttachment(comment_id=comment.id, original_name=name, storage_key=f"attachments/{name}",
                                         mime="image/jpeg", size=21_000_000))
    db.session.commit()
    body = as_member.get(f"/review/versions/{version.id}").get_data(as_text=True)
    assert '<span class="attachment-name"><span>loaf_p</span><span>hoto.jpg</span></span>' in body
    assert '<span class="attachment-name"><span></span><span>a.png</span></span>' in body
    assert 'title="Download loaf_photo.jpg (20.1 MB)"' in body


def test_the_video_player_has_sound_speed_and_full_screen_controls(project, member, as_member):
    video = factories.make_version(project, member, "video", title="Teaser")
    audio = factories.make_version(project, member, "audio", title="Jingle")
    page = as_member.get(f"/review/versions/{video.id}").get_data(as_text=True)
    for control in ('data-player="mute" aria-pressed="false" aria-label="Mute"', 'aria-label="Volume" data-player="volume"',
                    'aria-label="Playback speed"', 'data-player="fullscreen" aria-pressed="false" aria-label="Full screen"',
                    'aria-label="One frame back"', "data-timecode"):
        assert control in page, control
    assert re.findall(r'<option value="([\d.]+)"', page) == ["0.5", "1", "1.5", "2"]
    page = as_member.get(f"/review/versions/{audio.id}").get_data(as_text=True)
    assert 'data-player="mute"' in page and 'data-player="speed"' in page
    assert 'data-player="fullscreen"' not in page  # nothing to show full screen
