"""Writing comments from the viewer: add (every kind of mark), reply, edit, delete, resolve, the
carry-over checklist, @mentions — through the real routes, as htmx and as plain forms."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from revue.comments.models import Comment, Mention
from revue.db import db

from . import factories
from .conftest import text_of


def post_comment(browser, version, body="Make the logo bigger", anchor=None, *, headers=None, **extra):
    data = {"body": body, "anchor": json.dumps(anchor) if isinstance(anchor, dict) else (anchor or ""), **extra}
    return browser.post(f"/review/versions/{version.id}/comments", data=data, headers=headers or {})


# -- adding ------------------------------------------------------------------------------------


ANCHORS = [
    ("image", {"type": "pin", "x": 0.25, "y": 0.75}, {"type": "pin", "x": 0.25, "y": 0.75}),
    ("image", {"type": "region", "x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4},
     {"type": "region", "x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4}),
    ("image", {"type": "shape", "shape": "freehand", "points": [[0.1, 0.1], [0.2, 0.3], [0.4, 0.2]]},
     {"type": "shape", "shape": "freehand", "points": [[0.1, 0.1], [0.2, 0.3], [0.4, 0.2]], "x": 0.1, "y": 0.1,
      "bbox": [0.1, 0.1, 0.4, 0.3]}),
    ("image", {"type": "shape", "shape": "arrow", "points": [[0.1, 0.1], [0.2, 0.3], [0.5, 0.5]]},
     {"type": "shape", "shape": "arrow", "points": [[0.1, 0.1], [0.5, 0.5]], "x": 0.1, "y": 0.1,
      "bbox": [0.1, 0.1, 0.5, 0.5]}),
    ("pdf", {"type": "pin", "x": 0.5, "y": 0.5, "page": 2}, {"type": "pin", "x": 0.5, "y": 0.5, "page": 2}),
    ("video", {"type": "pin", "x": 0.5, "y": 0.5, "t": 3.0}, {"type": "pin", "x": 0.5, "y": 0.5, "t": 3.0}),
    ("video", {"type": "time", "t": 3.04, "t_end": 5.5}, {"type": "time", "t": 3.04, "t_end": 5.5}),
    ("audio", {"type": "time", "t": 12.5}, {"type": "time", "t": 12.5}),
    ("image", None, None),  # a general comment
    ("other", None, None),
]


@pytest.mark.parametrize(("kind", "sent", "stored"), ANCHORS, ids=lambda v: v if isinstance(v, str) else None)
def test_add_comment_with_each_kind_of_mark(kind, sent, stored, project, member, as_member, comments_of):
    version = factories.make_version(project, member, kind)
    response = post_comment(as_member, version, "Look here", sent)
    [comment] = comments_of(version)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/review/versions/{version.id}#c{comment.id}")
    assert comment.anchor == stored
    assert (comment.body, comment.number, comment.author_id, comment.internal) == ("Look here", 1, member.id, False)


def test_numbers_count_up_per_version(version, member, as_member, comments_of):
    for n in range(3):
        post_comment(as_member, version, f"Comment {n}", {"type": "pin", "x": 0.1 * n, "y": 0.5})
    assert [c.number for c in comments_of(version)] == [1, 2, 3]


def pins(body: str) -> list[str]:
    """The numbers on the pins of a page, in order."""
    import re

    return re.findall(r'<button type="button" class="pin[^"]*"[^>]*>([^<]*)</button>', body, re.S)


def test_a_client_counts_only_the_comments_they_see(shared, member, contact, as_member, as_contact, comments_of):
    """SECURITY D3: internal comments are never shown *or counted* for a client: public comments are numbered
    1, 2, 3… and internal ones T1, T2… in a sequence of their own."""
    pin = {"type": "pin", "x": 0.5, "y": 0.5}
    post_comment(as_member, shared, "For the client", pin)
    post_comment(as_member, shared, "Team only: check the budget", pin, internal="1")
    post_comment(as_contact, shared, "My first pin", pin)
    assert [(c.number, c.internal) for c in comments_of(shared)] == [(1, False), (1, True), (2, False)]

    client_page = as_contact.get(f"/review/versions/{shared.id}").get_data(as_text=True)
    assert pins(client_page) == ["1", "2"] and "budget" not in client_page
    assert pins(as_member.get(f"/review/versions/{shared.id}").get_data(as_text=True)) == ["1", "T1", "2"]
    team_csv = as_member.get(f"/review/versions/{shared.id}/comments.csv").get_data(as_text=True)
    assert [line.split(",")[0] for line in team_csv.splitlines()[1:]] == ["1", "T1", "2"]
    client_csv = as_contact.get(f"/review/versions/{shared.id}/comments.csv").get_data(as_text=True)
    assert [line.split(",")[0] for line in client_csv.splitlines()[1:]] == ["1", "2"]
    printed = text_of(as_member.get(f"/review/versions/{shared.id}/print"))
    assert "T1 · Mia Member" in printed


def test_a_carried_over_internal_comment_stays_in_the_internal_sequence(project, member, as_member, comments_of):
    v1 = factories.make_version(project, member, "image")
    internal = factories.comment(v1, member, "Team: wrong green", internal=True)
    v2 = factories.make_version(project, member, "image", asset=v1.asset)
    factories.comment(v2, member, "New for the client")
    as_member.post(f"/review/comments/{internal.id}/still_open", data={"version_id": v2.id})
    assert [(c.body, c.number, c.internal) for c in comments_of(v2)] == [
        ("New for the client", 1, False), ("Team: wrong green", 1, True)]


def test_htmx_gets_the_panel_with_the_marks_out_of_band(version, as_member, hx):
    response = post_comment(as_member, version, "Pinned", {"type": "pin", "x": 0.25, "y": 0.75}, headers=hx)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="panel"')
    assert "Pinned" in body
    assert "hx-swap-oob=\"innerHTML:.artboard[data-page='1'] .marks\"" in body
    assert 'data-x="0.25" data-y="0.75"' in body  # the new pin travels with the panel
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize(("kind", "anchor", "message"), [
    ("image", {"type": "pin", "x": 1.5, "y": 0.5}, "The mark is outside the artwork."),
    ("image", {"type": "pin", "x": "left", "y": 0.5}, "The x position is not a number."),
    ("image", {"type": "pin", "x": True, "y": 0.5}, "The x position is not a number."),
    ("image", "{not json", "The mark could not be read. Place it again."),
    ("image", "[0.5, 0.5]", "The mark could not be read. Place it again."),
    ("image", {"type": "star", "x": 0.5, "y": 0.5}, "Unknown kind of mark."),
    ("image", {"type": "region", "x": 0.5, "y": 0.5, "w": 0.001, "h": 0.3}, "The area is too small."),
    ("image", {"type": "region", "x": 0.8, "y": 0.5, "w": 0.5, "h": 0.3}, "The area reaches outside the artwork."),
    ("image", {"type": "shape", "points": [[0.1, 0.1]]}, "The drawing could not be read."),
    ("image", {"type": "shape", "points": [1, 2, 3]}, "The drawing could not be read."),
    ("image", {"type": "shape", "points": [[0.1, 0.1]] * 401}, "The drawing could not be read."),
    ("image", {"type": "time", "t": 3}, "Only video and audio comments carry a time."),
    ("pdf", {"type": "pin", "x": 0.5, "y": 0.5, "page": 4}, "That page does not exist."),
    ("pdf", {"type": "pin", "x": 0.5, "y": 0.5, "page": "2"}, "That page does not exist."),
    ("video", {"type": "pin", "x": 0.5, "y": 0.5}, "The time of the comment is missing."),
    ("video", {"type": "time", "t": 60}, "The time is outside the clip."),
    ("video", {"type": "time", "t": -1}, "The time is outside the clip."),
    ("video", '{"type": "time", "t": Infinity}', "The time is not a number."),
    ("video", '{"type": "time", "t": NaN}', "The time is not a number."),
    ("video", {"type": "time", "t": 5, "t_end": 4}, "The end of the range must come after its start."),
    ("audio", {"type": "pin", "x": 0.5, "y": 0.5, "t": 1}, "This kind of file takes general comments only."),
    ("other", {"type": "pin", "x": 0.5, "y": 0.5}, "This kind of file takes general comments only."),
])
def test_a_bad_mark_is_refused_with_422_and_a_clear_message(kind, anchor, message, project, member, as_member, hx,
                                                            comments_of, flashes):
    version = factories.make_version(project, member, kind)
    answer = post_comment(as_member, version, "Here", anchor, headers=hx)
    assert answer.status_code == 422
    assert message in text_of(answer)
    assert answer.headers["HX-Retarget"] == "#toasts"
    plain = post_comment(as_member, version, "Here", anchor)  # without htmx: the viewer again, with the message
    assert plain.status_code == 422
    assert any(message in m for m in flashes(plain))
    assert "<h1>" in plain.get_data(as_text=True)
    assert comments_of(version) == []


@pytest.mark.parametrize(("body", "message"), [("   ", "Write a comment first."),
                                               ("x" * 10_001, "Comments are limited to 10,000 characters.")])
def test_an_empty_or_overlong_comment_is_refused_with_422(body, message, version, as_member, hx, comments_of):
    answer = post_comment(as_member, version, body, headers=hx)
    assert answer.status_code == 422
    assert message in text_of(answer)
    assert comments_of(version) == []


def test_comments_on_a_locked_version_are_closed(version, member, as_member, hx, comments_of):
    from revue.review.models import Review, ReviewStatus

    first = factories.comment(version, member, "Before approval")
    db.session.add(Review(asset_id=version.asset_id, version_id=version.id, project_id=version.asset.project_id,
                          status=ReviewStatus.APPROVED, locked=True))
    db.session.commit()
    assert post_comment(as_member, version, "Too late", headers=hx).status_code == 409
    for action in ("reply", "edit", "delete"):
        answer = as_member.post(f"/review/comments/{first.id}/{action}", data={"body": "Changed"}, headers=hx)
        assert answer.status_code == 409, action
        assert "locked" in text_of(answer)
    assert [c.body for c in comments_of(version)] == ["Before approval"]


# -- replies, edits, deletes ---------------------------------------------------------------------


def test_reply_joins_the_thread(version, member, teammate, signed_in, comments_of, hx):
    top = factories.comment(version, member, "Bigger logo", anchor={"type": "pin", "x": 0.5, "y": 0.5})
    theo = signed_in(teammate)
    answer = theo.post(f"/review/comments/{top.id}/reply", data={"body": "On it"}, headers=hx)
    assert answer.status_code == 200
    assert answer.get_data(as_text=True).lstrip().startswith('<div id="panel"')
    _, reply = comments_of(version)
    assert (reply.parent_id, reply.number, reply.anchor, reply.author_id) == (top.id, None, None, teammate.id)
    plain = theo.post(f"/review/comments/{reply.id}/reply", data={"body": "Done now"})  # a reply to a reply
    assert plain.status_code == 303
    assert plain.headers["Location"].endswith(f"/review/versions/{version.id}#c{reply.id}")
    assert [c.parent_id for c in comments_of(version)] == [None, top.id, top.id]  # one level of threads
    assert "On it" in text_of(theo.get(f"/review/versions/{version.id}"))


def test_a_reply_to_an_internal_comment_is_internal(version, member, as_member, comments_of):
    top = factories.comment(version, member, "Between us", internal=True)
    as_member.post(f"/review/comments/{top.id}/reply", data={"body": "Agreed"})
    assert [c.internal for c in comments_of(version)] == [True, True]


def test_edit_own_comment_shows_the_edited_mark(version, member, as_member, hx, reload):
    mine = factories.comment(version, member, "Make it blue")
    answer = as_member.post(f"/review/comments/{mine.id}/edit", data={"body": "Make it teal"}, headers=hx)
    assert answer.status_code == 200
    assert "Make it teal" in text_of(answer)
    assert "(edited)" in text_of(answer)
    mine = reload(mine)
    assert mine.body == "Make it teal"
    assert mine.edited_at is not None


def test_nobody_edits_or_deletes_someone_elses_comment(version, member, teammate, signed_in, hx, reload):
    theirs = factories.comment(version, teammate, "Theo's words")
    mia = signed_in(member)
    for action in ("edit", "delete"):
        answer = mia.post(f"/review/comments/{theirs.id}/{action}", data={"body": "Mia's words"}, headers=hx)
        assert answer.status_code == 403, action
        assert "your own comments" in text_of(answer)
    theirs = reload(theirs)
    assert (theirs.body, theirs.deleted_at) == ("Theo's words", None)


def test_delete_own_comment_leaves_a_placeholder_that_keeps_the_thread(version, member, teammate, as_member, hx,
                                                                      reload):
    mine = factories.comment(version, member, "Wrong idea", anchor={"type": "pin", "x": 0.3, "y": 0.3})
    factories.comment(version, teammate, "A reply that stays", parent=mine)
    answer = as_member.post(f"/review/comments/{mine.id}/delete", headers=hx)
    assert answer.status_code == 200
    page = text_of(answer)
    assert "Comment deleted." in page
    assert "Wrong idea" not in page
    assert "A reply that stays" in page
    assert f'data-comment="{mine.id}" data-t' not in answer.get_data(as_text=True)
    assert 'class="pin' not in answer.get_data(as_text=True)  # the pin is gone from the artwork
    mine = reload(mine)
    assert mine.deleted_at is not None and mine.body == ""
    assert as_member.post(f"/review/comments/{mine.id}/edit", data={"body": "Back"}, headers=hx).status_code == 409
    assert as_member.post(f"/review/comments/{mine.id}/reply", data={"body": "Hm"}, headers=hx).status_code == 409


# -- resolving ----------------------------------------------------------------------------------


def test_members_resolve_and_reopen(shared, member, contact, as_member, hx, reload):
    top = factories.comment(shared, contact, "Please fix the typo")
    answer = as_member.post(f"/review/comments/{top.id}/resolve", headers=hx)
    assert answer.status_code == 200
    assert "1 resolved" in text_of(answer)
    assert "Resolved by Mia Member" in text_of(answer)
    top = reload(top)
    assert (top.resolved_by_id, top.resolved_at is not None) == (member.id, True)
    assert as_member.post(f"/review/comments/{top.id}/resolve", headers=hx).status_code == 200  # twice: no harm
    answer = as_member.post(f"/review/comments/{top.id}/reopen")
    assert answer.status_code == 303
    assert reload(top).resolved_at is None


def test_client_contacts_cannot_resolve(shared, member, contact, as_contact, hx, reload):
    top = factories.comment(shared, member, "Updated the copy")
    answer = as_contact.post(f"/review/comments/{top.id}/resolve", headers=hx)
    assert answer.status_code == 403
    assert "agency team" in text_of(answer)
    assert reload(top).resolved_at is None
    page = as_contact.get(f"/review/versions/{shared.id}").get_data(as_text=True)
    assert f"/review/comments/{top.id}/resolve" not in page  # and they are not offered the button


def test_a_reply_is_not_resolved_on_its_own(version, member, teammate, as_member, hx):
    top = factories.comment(version, teammate, "Top")
    reply = factories.comment(version, teammate, "Reply", parent=top)
    assert as_member.post(f"/review/comments/{reply.id}/resolve", headers=hx).status_code == 409


# -- the carry-over checklist on the next version ---------------------------------------------------


@pytest.fixture
def two_versions(version, member, teammate):
    """v1 with two open comments, one resolved and one deleted; v2 uploaded after it."""
    open_a = factories.comment(version, teammate, "Logo too small", anchor={"type": "pin", "x": 0.2, "y": 0.2})
    open_b = factories.comment(version, teammate, "Wrong green", anchor={"type": "region", "x": 0.1, "y": 0.1,
                                                                        "w": 0.2, "h": 0.2})
    done = factories.comment(version, teammate, "Already fixed")
    done.resolved_at = done.created_at
    gone = factories.comment(version, member, "Never mind")
    gone.deleted_at = gone.created_at
    db.session.commit()
    v2 = factories.make_version(version.asset.project, member, "image", asset=version.asset)
    return version, v2, open_a, open_b


def test_checklist_shows_the_open_comments_of_the_previous_version(two_versions, as_member):
    v1, v2, _, _ = two_versions
    page = text_of(as_member.get(f"/review/versions/{v2.id}"))
    assert "Open from v1" in page
    assert "Logo too small" in page and "Wrong green" in page
    assert "Already fixed" not in page and "Never mind" not in page
    assert "Open from" not in text_of(as_member.get(f"/review/versions/{v1.id}"))


def test_checklist_fixed_resolves_and_still_open_carries_over(two_versions, member, teammate, as_member, hx,
                                                             comments_of, reload):
    v1, v2, open_a, open_b = two_versions
    answer = as_member.post(f"/review/comments/{open_a.id}/fixed", data={"version_id": v2.id}, headers=hx)
    assert answer.status_code == 200
    assert reload(open_a).resolved_by_id == member.id
    assert "Logo too small" not in text_of(answer)  # off the checklist
    answer = as_member.post(f"/review/comments/{open_b.id}/still_open", data={"version_id": v2.id})
    assert answer.status_code == 303
    [copy] = comments_of(v2)
    assert (copy.body, copy.anchor, copy.carried_from_id, copy.author_id, copy.number) == \
        ("Wrong green", open_b.anchor, open_b.id, teammate.id, 1)
    assert answer.headers["Location"].endswith(f"/review/versions/{v2.id}#c{open_b.id}")
    assert reload(open_b).resolved_at is not None
    page = text_of(as_member.get(f"/review/versions/{v2.id}"))
    assert "Carried over" in page and "Open from v1" not in page
    again = as_member.post(f"/review/comments/{open_b.id}/still_open", data={"version_id": v2.id}, headers=hx)
    assert again.status_code == 409  # already closed


def test_a_carried_over_mark_that_does_not_fit_the_new_version_becomes_general(project, member, as_member,
                                                                              comments_of):
    v1 = factories.make_version(project, member, "pdf", meta={"pages": 5})
    old = factories.comment(v1, member, "Page five", anchor={"type": "pin", "x": 0.5, "y": 0.5, "page": 5})
    v2 = factories.make_version(project, member, "pdf", asset=v1.asset, meta={"pages": 3})
    as_member.post(f"/review/comments/{old.id}/still_open", data={"version_id": v2.id})
    [copy] = comments_of(v2)
    assert copy.anchor is None


def test_checklist_rules(two_versions, member, contact, signed_in, as_member, hx):
    v1, v2, open_a, _ = two_versions
    factories.share(v1, contact)
    factories.share(v2, contact)
    cleo = signed_in(contact)
    assert cleo.post(f"/review/comments/{open_a.id}/fixed", data={"version_id": v2.id}, headers=hx).status_code == 403
    # only onto a later version of the same asset
    assert as_member.post(f"/review/comments/{open_a.id}/fixed", data={"version_id": v1.id}).status_code == 404
    other = factories.make_version(v1.asset.project, member, "image", title="Other asset")
    assert as_member.post(f"/review/comments/{open_a.id}/fixed", data={"version_id": other.id}).status_code == 404
    assert as_member.post(f"/review/comments/{open_a.id}/fixed", data={}).status_code == 404


# -- @mentions -----------------------------------------------------------------------------------


def test_a_mention_notifies_a_project_member(version, member, teammate, as_member, outbox, comments_of):
    post_comment(as_member, version, "@theo can you check the kerning? Thanks @Theo.")
    [comment] = comments_of(version)
    mentions = db.session.scalars(select(Mention).where(Mention.comment_id == comment.id)).all()
    assert [m.user_id for m in mentions] == [teammate.id]
    [mail] = outbox("theo@example.com")
    assert mail.kind == "mention"
    assert "Mia Member mentioned you" in mail.subject
    assert f"/review/versions/{version.id}#c{comment.id}" in mail.text_body
    assert outbox("mia@example.com") == []  # not the author


def test_mentions_by_email_and_full_name_and_in_replies(version, member, teammate, as_member, outbox):
    top = factories.comment(version, member, "Hello @theo@example.com")
    as_member.post(f"/review/comments/{top.id}/reply", data={"body": "@TheoTeammate and again"})
    assert len(outbox("theo@example.com")) == 2


def test_an_edit_tells_only_the_newly_mentioned(version, member, teammate, create_user, project, as_member, outbox):
    from revue.projects.models import ProjectMember

    nina = create_user("member", name="Nina Newcomer", email="nina@example.com")
    db.session.add(ProjectMember(project_id=project.id, user_id=nina.id))
    db.session.commit()
    mine = factories.comment(version, member, "@theo look")
    as_member.post(f"/review/comments/{mine.id}/edit", data={"body": "@theo look, and @nina too"})
    assert len(outbox("theo@example.com")) == 1
    assert len(outbox("nina@example.com")) == 1


def test_nobody_outside_the_comment_is_mentioned(shared, member, outsider, stranger, contact, as_member, outbox):
    post_comment(as_member, shared, "@otto @sam — and internally @cleo", internal="1")
    assert outbox("otto@example.com") == []  # a member not on the project
    assert outbox("sam@other.example") == []  # another client's contact
    assert outbox("cleo@client.example") == []  # a client contact never hears of an internal comment
    assert db.session.scalar(select(func.count(Mention.id))) == 0
    post_comment(as_member, shared, "@cleo please have a look")
    [mail] = outbox("cleo@client.example")
    assert "please have a look" in mail.text_body


def test_a_client_contact_is_not_told_about_work_not_shared_with_them(version, contact, as_member, outbox):
    post_comment(as_member, version, "@cleo will like this")  # v1 was never sent to the client
    assert outbox("cleo@client.example") == []



def mention_people(page: str) -> list[dict]:
    found = re.search(r'<script type="application/json" id="mention-people">(.*?)</script>', page, re.S)
    return json.loads(found.group(1)) if found else []


def test_the_composer_suggests_who_can_be_mentioned(version, shared, member, teammate, outsider, stranger, contact,
                                                    owner, as_member, as_contact, outbox):
    """The suggestions are exactly the people a mention reaches, and the handle each gets reaches them."""
    suggested = mention_people(as_member.get(f"/review/versions/{shared.id}").get_data(as_text=True))
    by_name = {p["name"]: p for p in suggested}
    assert set(by_name) == {teammate.name, contact.name, owner.name}  # not Mia herself, nor Otto, nor Sam
    assert by_name[contact.name]["team"] is False and by_name[teammate.name]["team"] is True
    assert by_name[teammate.name]["handle"] == "TheoTeammate"
    post_comment(as_member, shared, f"@{by_name[contact.name]['handle']} and @{by_name[teammate.name]['handle']}")
    assert len(outbox(contact.email)) == 1 and len(outbox(teammate.email)) == 1

    for_client = mention_people(as_contact.get(f"/review/versions/{shared.id}").get_data(as_text=True))
    assert contact.name not in {p["name"] for p in for_client} and member.name in {p["name"] for p in for_client}


def test_a_client_contact_cannot_write_internal_comments(shared, as_contact, hx, comments_of):
    answer = post_comment(as_contact, shared, "Secret?", headers=hx, internal="1")
    assert answer.status_code == 403
    assert comments_of(shared) == []


def test_a_carried_over_comment_mentions_nobody_again(two_versions, member, as_member, outbox):
    v1, v2, _, _ = two_versions
    old = factories.comment(v1, member, "@theo the margin")
    assert len(outbox("theo@example.com")) == 1
    as_member.post(f"/review/comments/{old.id}/still_open", data={"version_id": v2.id})
    assert len(outbox("theo@example.com")) == 1


def test_every_write_is_in_the_activity_log(version, member, as_member):
    from revue.activity import Activity

    top = factories.comment(version, member, "One")
    for action, data in [("edit", {"body": "Two"}), ("resolve", {}), ("reopen", {}), ("delete", {})]:
        as_member.post(f"/review/comments/{top.id}/{action}", data=data)
    actions = db.session.scalars(select(Activity.action).where(Activity.subject_id == top.id,
                                                               Activity.subject_type == "comment")
                                 .order_by(Activity.id)).all()
    db.session.commit()
    assert actions == ["comment.added", "comment.edited", "comment.resolved", "comment.reopened", "comment.deleted"]


def test_plain_form_posts_come_back_to_the_viewer(version, member, as_member):
    top = factories.comment(version, member, "One")
    for action in ("edit", "resolve", "reopen", "reply"):
        answer = as_member.post(f"/review/comments/{top.id}/{action}", data={"body": "Two"})
        assert answer.status_code == 303, action
        assert answer.headers["Location"].endswith(f"/review/versions/{version.id}#c{top.id}")
    assert db.session.get(Comment, top.id) is not None


def test_control_characters_never_reach_the_database(version, as_member, comments_of):
    """PostgreSQL refuses NUL in text; the other control characters are noise (tabs and line breaks stay)."""
    assert post_comment(as_member, version, "Hello\x00 world\x07\r\nsecond\tline").status_code == 303
    [comment] = comments_of(version)
    assert comment.body == "Hello world\nsecond\tline"
