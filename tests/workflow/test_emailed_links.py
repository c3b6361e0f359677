"""Emailed decision links (SECURITY E1–E5, E7, E9), through the real routes and a real SMTP server.

The client stage has two reviewers: Cleo, a client contact with an account, and a guest known only
by her address. Their links come out of the emails the SMTP server received — the tokens in
them are made when the message is sent, never stored.
"""

from __future__ import annotations

import base64
import logging
import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from revue.db import Base, db, utcnow
from revue.mail import OutboxMessage
from revue.review import engine
from revue.review.models import ActionToken, Decision, DecisionCode, Participant
from revue.tokens import digest

from .conftest import decision_links, form_key, latest_link, text_of

GUEST = "gina@guest.example"


@pytest.fixture
def sent(request_ctx, smtp_server, owner, member, contact, project, set_workflow, upload):
    """v1 sent to the client stage (everyone must approve); both reviewers' emails have arrived."""
    set_workflow(project, owner, [("Client", "all", 1, [contact, GUEST])])
    version = upload(member, project)
    review = engine.send_for_review(member, version)
    db.session.commit()
    smtp_server.wait(2)
    return version, review


def count(model) -> int:
    found = db.session.scalar(select(func.count()).select_from(model))
    db.session.commit()
    return found


def seat_of(review, email: str) -> Participant:
    return db.session.scalar(select(Participant).where(Participant.email == email,
                                                       Participant.stage_id.in_([s.id for s in review.stages])))


def land(browser, link: str):
    """Open an emailed link the way a person does: the landing, then the page it redirects to."""
    landing = browser.get(link)
    assert landing.status_code == 303, landing.status_code
    page = browser.get(landing.headers["Location"])
    assert page.status_code == 200
    return page


def decide_form(page, version_id: int, verdict: str = "approved", note: str = "") -> dict:
    return {"verdict": verdict, "version_id": version_id, "request_key": form_key(page, verdict), "note": note}


# -- E1: mail scanners ------------------------------------------------------------------------------


def test_a_scanners_head_and_get_decide_nothing_and_use_nothing_up(sent, smtp_server, make_client, contact):
    version, _review = sent
    link = latest_link(smtp_server, contact.email)
    mails, outbox, decisions = len(smtp_server.messages), count(OutboxMessage), count(Decision)
    token = db.session.scalar(select(ActionToken).where(ActionToken.token_hash == digest(link.rsplit("/", 1)[1])))
    expires = token.expires_at
    db.session.commit()

    head = make_client().head(link)  # a scanner without cookies: HEAD ...
    assert head.status_code == 303
    db.session.refresh(token)
    assert token.opened_at is None, "a HEAD changes nothing at all"
    scanner = make_client()
    got = scanner.get(link)  # ... then GET, following the redirect like a browser would
    assert got.status_code == 303
    assert scanner.get(got.headers["Location"]).status_code == 200

    db.session.refresh(token)
    assert token.opened_at is not None, "an 'opened' mark is allowed"
    assert token.expires_at == expires
    assert count(Decision) == decisions == 0
    assert count(OutboxMessage) == outbox and len(smtp_server.messages) == mails

    person = make_client()  # the person, later, in their own browser
    page = land(person, link)
    answer = person.post("/e/decide", data=decide_form(page, version.id))
    assert answer.status_code == 303 and answer.headers["Location"] == "/e/done"
    decision = db.session.scalars(select(Decision)).one()
    assert (decision.reviewer_email, decision.channel.value, decision.identified_by) == (
        contact.email, "email_link", "email_link")


# -- E2: a decision names the version, with a CSRF token ---------------------------------------------------


def test_a_decision_must_name_its_version(sent, smtp_server, make_client, contact):
    version, _review = sent
    browser = make_client()
    page = land(browser, latest_link(smtp_server, contact.email))
    form = decide_form(page, version.id)
    del form["version_id"]
    answer = browser.post("/e/decide", data=form)
    assert answer.status_code == 400
    assert "does not say which version" in text_of(answer)
    answer = browser.post("/e/decide", data={**form, "version_id": "v1"})
    assert answer.status_code == 400
    assert count(Decision) == 0


def test_a_decision_without_the_csrf_token_is_refused(sent, smtp_server, make_client, contact):
    version, _review = sent
    browser = make_client()
    page = land(browser, latest_link(smtp_server, contact.email))
    answer = browser.post("/e/decide", data=decide_form(page, version.id), csrf=False)
    assert answer.status_code == 400
    assert count(Decision) == 0


def test_a_page_left_open_on_a_superseded_version_gets_409(sent, smtp_server, make_client, member, contact, project,
                                                           upload):
    v1, _review = sent
    browser = make_client()
    old_page = land(browser, latest_link(smtp_server, contact.email))
    old_form = decide_form(old_page, v1.id)

    v2 = upload(member, project, asset=v1.asset)  # the review of v1 ends
    old_form.update(verdict="changes_requested", request_key=form_key(old_page, "changes_requested"),
                    note="The logo <b>must</b> be bigger, and the date is 12 Dec.")
    answer = browser.post("/e/decide", data=old_form)
    assert answer.status_code == 409
    assert "A newer version of" in text_of(answer) and "was not recorded" in text_of(answer)
    body = answer.get_data(as_text=True)
    assert "The logo &lt;b&gt;must&lt;/b&gt; be bigger, and the date is 12 Dec.</textarea>" in body, "her note is kept"
    assert "Go to the start page" not in body and "/account/login" not in body

    engine.send_for_review(member, v2)  # v2 goes out; Cleo opens the new email in the same browser
    db.session.commit()
    smtp_server.wait(4)
    new_page = land(browser, latest_link(smtp_server, contact.email))
    answer = browser.post("/e/decide", data=old_form)  # ... and then submits the old tab
    assert answer.status_code == 409
    assert "You were looking at an older version" in text_of(answer)
    body = answer.get_data(as_text=True)  # the v2 page, her form open with her note in it
    assert 'id="decide"' in body and "bigger, and the date is 12 Dec.</textarea>" in body
    assert re.search(r'<details class="verdict verdict-changes_requested" open>', body)
    assert count(Decision) == 0
    assert browser.post("/e/decide", data=decide_form(new_page, v2.id)).status_code == 303
    assert db.session.scalars(select(Decision.version_id)).all() == [v2.id]



def test_a_page_left_open_when_the_team_recorded_the_approval_says_so(sent, smtp_server, make_client, member,
                                                                      contact):
    from revue.review import services

    version, _review = sent
    browser = make_client()
    form = decide_form(land(browser, latest_link(smtp_server, contact.email)), version.id)
    services.record_approval(member, version, "Approved by phone, Tuesday")  # the round ends
    db.session.commit()
    answer = browser.post("/e/decide", data=form)
    assert answer.status_code == 409
    assert "The team recorded an approval of v1" in text_of(answer) and "was not recorded" in text_of(answer)
    assert "newer version" not in text_of(answer)
    assert db.session.scalars(select(Decision.channel)).all() == ["recorded"]

def test_a_member_deciding_on_a_superseded_version_gets_409(request_ctx, owner, member, project, set_workflow,
                                                            upload, make_client, login):
    set_workflow(project, owner, [("Internal", "any", 1, [member])])
    v1 = upload(member, project)
    engine.send_for_review(member, v1)
    db.session.commit()
    browser = make_client()
    login(browser, member)
    page = browser.get(f"/review/versions/{v1.id}")
    form = decide_form(page, v1.id)
    upload(member, project, asset=v1.asset)
    answer = browser.post(f"/review/versions/{v1.id}/decide", data={**form, "note": "Crop it tighter"})
    assert answer.status_code == 409 and "older version" in text_of(answer)
    body = answer.get_data(as_text=True)  # the viewer, with the reason and her note: never the bare error page
    assert 'class="flash flash-error"' in body and "Crop it tighter</textarea>" in body
    assert 'class="error-code"' not in body
    del form["version_id"]
    assert browser.post(f"/review/versions/{v1.id}/decide", data=form).status_code == 400
    assert count(Decision) == 0


def test_sending_that_cannot_be_done_returns_to_the_page_with_the_reason(request_ctx, owner, member, project,
                                                                        set_workflow, upload, make_client, login):
    set_workflow(project, owner, [("Client", "all", 1, ["contacts"])])  # the client has no contacts yet
    v1 = upload(member, project)
    browser = make_client()
    login(browser, owner)
    answer = browser.post(f"/review/versions/{v1.id}/send")
    assert answer.status_code == 303 and answer.headers["Location"] == f"/review/versions/{v1.id}"
    page = text_of(browser.get(answer.headers["Location"]))
    assert "has nobody who can decide" in page and "Send v1 for review" in page
    htmx = browser.post(f"/review/versions/{v1.id}/send", headers={"HX-Request": "true"})
    assert htmx.status_code == 409 and htmx.headers["HX-Retarget"] == "#toasts"


def test_a_reviewer_known_only_by_address_is_greeted_and_shown_by_name(request_ctx, smtp_server, owner, member, acme,
                                                                      contact, project, set_workflow, upload,
                                                                      make_client):
    """Finding 7: the part of the address before the @, or the name an invitation gave — never the raw address."""
    from revue.accounts import services as accounts
    from revue.accounts.models import Role
    from revue.comments.models import Comment

    set_workflow(project, owner, [("Client", "all", 1, [contact])])
    version = upload(member, project)
    review = engine.send_for_review(member, version)
    accounts.invite(owner, "nora@acme.example", Role.CLIENT, name="Nora Newman", client=acme)
    stage = review.stages[0]
    engine.add_participant(member, stage, user=None, email="carla.mendes@pinewood.example", name="")
    engine.add_participant(member, stage, user=None, email="nora@acme.example", name="")
    db.session.commit()
    smtp_server.wait(4)
    greeting = smtp_server.text(smtp_server.to("carla.mendes@pinewood.example")[-1])
    assert "Hello Carla Mendes," in greeting and "Hello carla" not in greeting
    assert "Stage:" not in greeting, "clients read plain words"

    carla = make_client()
    land(carla, latest_link(smtp_server, "carla.mendes@pinewood.example"))
    assert carla.post("/e/comments", data={"body": "Bigger logo"}).status_code in (200, 303)
    assert db.session.scalars(select(Comment.guest_name)).all() == ["Carla Mendes"]
    land(make_client(), latest_link(smtp_server, "nora@acme.example"))  # the invitation knew her name
    assert seat_of(review, "nora@acme.example").name == "Nora Newman"
    db.session.commit()


# -- E3: tokens are long, random and stored only as hashes ---------------------------------------------------


def test_tokens_are_random_enough_and_no_table_holds_one(sent, smtp_server, make_client, member, contact):
    version, review = sent
    services_nudge(member, seat_of(review, GUEST))  # a reminder carries a fresh token too
    smtp_server.wait(3)
    browser = make_client()
    land(browser, latest_link(smtp_server, contact.email))  # opening marks rows; they still hold no token

    raws = [link.rsplit("/", 1)[1] for address in (contact.email, GUEST)
            for link in decision_links(smtp_server, address)]
    assert len(raws) == 3 and len(set(raws)) == 3
    for raw in raws:
        assert len(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))) * 8 >= 128
    stored = set(db.session.scalars(select(ActionToken.token_hash)))
    assert {digest(raw) for raw in raws} <= stored, "only the SHA-256 of each token is kept"

    dump = dump_all_tables()
    assert "{{revue:token:" in dump, "the outbox keeps placeholders, not links"
    for raw in raws:
        assert raw not in dump


def services_nudge(member, participant) -> None:
    from revue.review import services

    services.nudge(member, participant)
    db.session.commit()


def dump_all_tables() -> str:
    lines = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


# -- E4: one reviewer's link is theirs only ------------------------------------------------------------------


def test_a_link_decides_only_as_its_reviewer_and_only_on_its_review(sent, smtp_server, make_client, contact, member,
                                                                    project, upload):
    version, review = sent
    guest = seat_of(review, GUEST)
    other = upload(member, project)  # another asset, in review with the same people
    engine.send_for_review(member, other)
    db.session.commit()
    smtp_server.wait(4)

    cleo = make_client()
    page = land(cleo, decision_links(smtp_server, contact.email)[0])
    form = decide_form(page, version.id, "approved_with_changes", "Darker, please.")
    answer = cleo.post("/e/decide", data={**form, "participant_id": guest.id, "email": GUEST, "name": "Gina"})
    assert answer.status_code == 303
    decision = db.session.scalars(select(Decision)).one()
    assert (decision.participant_id, decision.reviewer_email) == (seat_of(review, contact.email).id, contact.email)

    # Cleo's browser posting on the other asset's version decides nothing there.
    assert cleo.post("/e/decide", data=decide_form(page, other.id)).status_code == 409
    assert count(Decision) == 1
    # Gina's form, submitted from Cleo's browser, is Cleo's decision (a change of hers), never Gina's.
    gina = make_client()
    gina_page = land(gina, decision_links(smtp_server, GUEST)[0])
    gina_form = decide_form(gina_page, version.id)
    assert cleo.post("/e/decide", data=gina_form).status_code == 303
    assert db.session.scalars(select(Decision.reviewer_email)).all() == [contact.email, contact.email]
    assert gina.post("/e/decide", data=gina_form).status_code == 409, "that form was used, by someone else"
    assert gina.post("/e/decide", data=decide_form(gina.get("/e/"), version.id)).status_code == 303
    assert db.session.scalars(select(Decision.reviewer_email).order_by(Decision.id)).all()[-1] == GUEST
    # Cleo's link cannot be used on the team's decision route either.
    assert cleo.post(f"/review/versions/{other.id}/decide", data=decide_form(page, other.id)).status_code in (
        302, 303, 401, 403, 404)
    assert count(Decision) == 3


def test_a_link_token_is_no_login(sent, smtp_server, make_client, contact):
    version, _review = sent
    browser = make_client()
    land(browser, latest_link(smtp_server, contact.email))
    for path in ("/projects/", f"/review/versions/{version.id}", f"/assets/{version.asset_id}"):
        answer = browser.get(path)
        assert answer.status_code in (302, 303, 401, 404), path


# -- E5: every dead link gets the same page; guessing is slowed down --------------------------------------------


def test_expired_revoked_and_unknown_links_get_the_same_page(sent, smtp_server, make_client, owner, contact, member,
                                                             upload, project):
    version, review = sent
    cleo_link, gina_link = latest_link(smtp_server, contact.email), latest_link(smtp_server, GUEST)
    db.session.execute(update(ActionToken).where(ActionToken.token_hash == digest(cleo_link.rsplit("/", 1)[1]))
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    engine.remove_participant(owner, seat_of(review, GUEST))
    db.session.commit()

    answers = {}
    for name, link in (("expired", cleo_link), ("revoked", gina_link), ("unknown", "/e/" + secrets.token_urlsafe(32)),
                       ("short", "/e/abc")):
        answer = make_client().get(link)
        answers[name] = (answer.status_code, masked(answer))
    assert len(set(answers.values())) == 1, {k: v[0] for k, v in answers.items()}
    status, body = answers["unknown"]
    assert status == 404
    assert "This link is no longer valid" in body and "Ask the sender for a new one" in body
    assert version.asset.title not in body and contact.email not in body


def test_the_reviewers_own_browser_is_told_the_review_is_finished(sent, smtp_server, make_client, contact, workspace):
    """Finding 3: after the round ends, the browser that opened the link sees what happened; every other browser
    still gets the one plain page (E5)."""
    version, _review = sent
    cleo_link, gina_link = latest_link(smtp_server, contact.email), latest_link(smtp_server, GUEST)
    gina = make_client()
    land(gina, gina_link)  # Gina opened hers while it was live, and has not decided
    cleo = make_client()
    page = land(cleo, cleo_link)
    done = cleo.post("/e/decide", data=decide_form(page, version.id, "changes_requested", "Warmer colours"))
    assert done.status_code == 303  # a binding request for changes: the round is over

    again = cleo.get(cleo_link)
    assert again.status_code == 303 and again.headers["Location"] == "/e/"
    finished = cleo.get("/e/")
    assert finished.status_code == 200 and "no-store" in finished.headers["Cache-Control"]
    words = text_of(finished)
    assert "This review is finished" in words and "Your decision on v1: Changes requested" in words
    assert "Studio Test has been told." in words and "no longer valid" not in words
    words = text_of(gina.get(gina.get(gina_link).headers["Location"]))
    assert "This review is finished" in words and "v1 went back to Studio Test for changes" in words
    assert "Your decision" not in words
    poll = gina.get("/e/panel", headers={"HX-Request": "true"})  # a page left open goes to that page
    assert poll.status_code == 204 and poll.headers["HX-Redirect"] == "/e/"
    comment = gina.post("/e/comments", data={"body": "Late thought"}, headers={"HX-Request": "true"})
    assert comment.status_code == 409 and comment.headers["HX-Retarget"] == "#toasts"  # her text stays in the form

    unknown = make_client().get("/e/" + secrets.token_urlsafe(32))
    for browser in (make_client(), gina):  # a stranger; a browser that opened someone else's link
        answer = browser.get(cleo_link)
        assert (answer.status_code, masked(answer)) == (unknown.status_code, masked(unknown))


def test_a_closed_review_ends_its_links_too(sent, smtp_server, make_client, contact):
    version, review = sent
    links = latest_link(smtp_server, contact.email), latest_link(smtp_server, GUEST)
    for link in links:
        browser = make_client()
        page = land(browser, link)
        assert browser.post("/e/decide", data=decide_form(page, version.id)).status_code == 303
    unknown = make_client().get("/e/" + secrets.token_urlsafe(32))
    for link in links:
        answer = make_client().get(link)
        assert (answer.status_code, masked(answer)) == (unknown.status_code, masked(unknown))


def masked(response) -> str:
    """The page with the per-visitor CSRF token blanked: the only part that may differ."""
    return re.sub(r'"X-CSRFToken": "[^"]*"|name="csrf_token" value="[^"]*"', "CSRF", response.get_data(as_text=True))


def test_guessing_links_is_rate_limited(app, app_ctx, workspace, make_client, monkeypatch):
    monkeypatch.setitem(app.config, "THROTTLE_LINK_FAILURES", 3)
    browser = make_client()
    statuses = [browser.get("/e/" + secrets.token_urlsafe(32)).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 404]
    throttled = browser.get("/e/" + secrets.token_urlsafe(32))
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert make_client().head("/e/" + secrets.token_urlsafe(32)).status_code == 429, "per address, not per cookie"


# -- E7: verified decisions ---------------------------------------------------------------------------------------


@pytest.fixture
def verified(sent, workspace):
    workspace.options = {**(workspace.options or {}), "verified_decisions": True}
    db.session.commit()
    return sent


def code_from(smtp_server, address: str) -> str:
    message = [m for m in smtp_server.to(address) if m["Subject"].startswith("Your code")][-1]
    return re.search(r"\b(\d{6})\b", smtp_server.text(message)).group(1)


def test_verified_mode_needs_the_emailed_code(verified, smtp_server, make_client):
    version, _review = verified
    browser = make_client()
    page = land(browser, latest_link(smtp_server, GUEST))
    assert "Email me a code" in text_of(page)
    form = {"verdict": "approved", "version_id": version.id, "request_key": "x" * 32 + "-approved"}
    refused = browser.post("/e/decide", data=form)
    assert refused.status_code == 403 and "code" in text_of(refused)
    assert count(Decision) == 0

    assert browser.post("/e/code").status_code == 303
    smtp_server.wait(3)
    code = code_from(smtp_server, GUEST)
    assert count(DecisionCode) == 1
    assert code not in dump_all_tables(), "only the code's hash is stored"
    page = browser.get("/e/").get_data(as_text=True)  # the page says where the code went; the cursor is in the field
    assert "We sent a 6-digit code to <strong>g***@guest.example</strong>. It works for 10 minutes." in page
    assert re.search(r'<input id="code"[^>]*autofocus', page) and GUEST not in page
    wrong = "000000" if code != "000000" else "111111"
    answer = browser.post("/e/code/check", data={"code": wrong})
    assert answer.status_code == 409 and "4 tries left" in text_of(answer)
    body = answer.get_data(as_text=True)  # the same page, the message, the code as typed: no dead end
    assert 'id="decide"' in body and f'value="{wrong}"' in body and "Go to the start page" not in body
    assert browser.post("/e/code/check", data={"code": code}).status_code == 303
    again = browser.post("/e/code/check", data={"code": code})
    assert again.status_code == 409 and "used already" in text_of(again), "a code works once"

    page = browser.get("/e/")
    assert "Email me a code" not in text_of(page)
    assert browser.post("/e/decide", data=decide_form(page, version.id)).status_code == 303
    decision = db.session.scalars(select(Decision)).one()
    assert decision.identified_by == "code" and decision.reviewer_email == GUEST


def test_a_code_lasts_ten_minutes(verified, smtp_server, make_client, monkeypatch):
    from revue.review import verify

    browser = make_client()
    land(browser, latest_link(smtp_server, GUEST))
    browser.post("/e/code")
    smtp_server.wait(3)
    code = code_from(smtp_server, GUEST)
    later = utcnow() + timedelta(minutes=10, seconds=1)
    monkeypatch.setattr(verify, "utcnow", lambda: later)
    answer = browser.post("/e/code/check", data={"code": code})
    assert answer.status_code == 409 and "expired" in text_of(answer)

    monkeypatch.setattr(verify, "utcnow", utcnow)
    browser.post("/e/code")
    smtp_server.wait(4)
    code = code_from(smtp_server, GUEST)
    almost = utcnow() + timedelta(minutes=9, seconds=50)
    monkeypatch.setattr(verify, "utcnow", lambda: almost)
    assert browser.post("/e/code/check", data={"code": code}).status_code == 303


def test_five_wrong_codes_and_the_code_is_dead(verified, smtp_server, make_client):
    browser = make_client()
    land(browser, latest_link(smtp_server, GUEST))
    browser.post("/e/code")
    smtp_server.wait(3)
    code = code_from(smtp_server, GUEST)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    statuses = [browser.post("/e/code/check", data={"code": wrong}).status_code for _ in range(5)]
    assert statuses == [409, 409, 409, 409, 429]
    right = browser.post("/e/code/check", data={"code": code})
    assert right.status_code == 429 and right.headers.get("Retry-After")
    assert "Email me a code" in text_of(browser.get("/e/")), "still not verified"


def test_a_code_works_only_in_the_browser_that_asked(verified, smtp_server, make_client):
    link = latest_link(smtp_server, GUEST)
    asker, other = make_client(), make_client()
    land(asker, link)
    land(other, link)
    asker.post("/e/code")
    smtp_server.wait(3)
    assert other.post("/e/code/check", data={"code": code_from(smtp_server, GUEST)}).status_code == 409
    assert asker.post("/e/code/check", data={"code": code_from(smtp_server, GUEST)}).status_code == 303


def test_asking_for_codes_again_and_again_is_limited(verified, smtp_server, make_client):
    browser = make_client()
    land(browser, latest_link(smtp_server, GUEST))
    statuses = [browser.post("/e/code").status_code for _ in range(6)]
    assert statuses == [303] * 5 + [429]
    smtp_server.wait(2 + 5)
    assert len([m for m in smtp_server.to(GUEST) if m["Subject"].startswith("Your code")]) == 5


# -- E9: landings, headers, logs -----------------------------------------------------------------------------------


def test_landing_drops_the_token_from_the_address_and_pages_are_private(sent, smtp_server, make_client, contact):
    version, _review = sent
    link = latest_link(smtp_server, contact.email)
    token = link.rsplit("/", 1)[1]
    browser = make_client()
    landing = browser.get(link)
    assert landing.status_code == 303
    assert landing.headers["Location"] == "/e/" and token not in landing.headers["Location"]
    page = browser.get("/e/")
    key = form_key(page)
    done = browser.post("/e/decide", data={"verdict": "approved", "version_id": version.id, "request_key": key})
    pages = [landing, page, browser.get("/e/panel"), done, browser.get("/e/done"), make_client().get(link + "x")]
    for answer in pages:
        assert "no-store" in answer.headers.get("Cache-Control", ""), answer.request.path
        assert answer.headers.get("Referrer-Policy") == "same-origin", answer.request.path
        assert token not in answer.get_data(as_text=True)


def test_tokens_never_reach_the_logs(request_ctx, smtp_server, owner, member, contact, project, set_workflow,
                                     upload, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    set_workflow(project, owner, [("Client", "all", 1, [contact, GUEST])])
    version = upload(member, project)
    engine.send_for_review(member, version)
    db.session.commit()
    smtp_server.wait(2)
    links = [latest_link(smtp_server, contact.email), latest_link(smtp_server, GUEST)]
    for link in links:
        browser = make_client()
        page = land(browser, link)
        browser.post("/e/comments", data={"body": "Bigger logo", "anchor": '{"type":"pin","x":0.5,"y":0.5}'})
        browser.post("/e/decide", data=decide_form(page, version.id))
        make_client().head(link)
    make_client().get(links[0] + "nope")
    records = [r for r in caplog.records if not r.name.startswith("mail.log")]  # aiosmtpd: the test's SMTP server
    assert any(r.name.startswith("revue") for r in records), "the app logged something"
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in records)
    for link in links:
        assert link.rsplit("/", 1)[1] not in logged
