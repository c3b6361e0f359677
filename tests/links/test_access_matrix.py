"""Who reaches what (SECURITY D1, D2, D4, D6), generated from ``app.url_map``.

Two client worlds A and B (see ``conftest.py``). The people of world A — its member, its client
contact, a guest on its whole-project review link, a guest on its one-asset link, and an anonymous
visitor — call every route of the URL map, with every method the route accepts and every value of
its ``any(...)`` converters:

* ``test_world_b_is_invisible_from_world_a`` (D1, D6): with the ids of world B's objects (in the URL
  and in the form) nobody of world A gets a 2xx or a redirect to content: they get a 404 — the very
  answer an id that never existed gets, so nothing tells them that the object exists (never a 403
  that would). Tokens and signed values get random strings: the same plain "no longer valid" 404.
* ``test_within_a_world_drafts_internal_work_and_siblings_stay_hidden`` (D2, D6): the one-asset link
  reaches no sibling asset; contacts and guests never reach drafts, versions still in the internal
  stage, internal comments or their attached files.
* ``test_pages_of_world_a_never_show_world_b``: every page a person of world A can open (ids of
  world A) mentions nothing of world B, and — for contacts and guests — nothing internal.
* ``test_access_is_granted_exactly_when_the_relation_allows_it`` (D4): a hypothesis property over
  random principal × object × action, against an oracle written from DESIGN.md "Who sees what".

Routes left out of the cross-world matrix, and why (each is still in the page scan if it has a GET):
``GLOBAL_WRITES`` below (they name no object of a client: the caller's own account or session, the
workspace, or a new object), ``static`` (the app's own files) and routes without arguments (they are
pages of the caller's own: the page scan checks their content).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import pytest
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter

from .conftest import World, Worlds


@pytest.fixture
def two_worlds(two_worlds: Worlds) -> Worlds:
    """conftest's two worlds, plus a file attached to each world's member comment (``attachment_id``) and to
    its internal comment (``attachment_internal``), so the attachment routes are in the matrix too."""
    for world in (two_worlds.a, two_worlds.b):
        world.ids["attachment_id"] = attach_file(world.objects["comment_member"])
        world.objects["attachment_internal"] = attach_file(world.objects["comment_internal"])
    return two_worlds


def attach_file(comment_id: int) -> int:
    """A real stored file (also standing in for its thumbnail) attached to a comment."""
    import io

    from revue.comments.models import CommentAttachment
    from revue.db import db
    from revue.storage import get_storage, new_key

    stored = get_storage().save(new_key("attachments"), io.BytesIO(b"\x89PNG\r\n\x1a\n probe"))
    attachment = CommentAttachment(comment_id=comment_id, original_name="probe.png", storage_key=stored.key,
                                   thumb_key=stored.key, mime="image/png", size=stored.size)
    db.session.add(attachment)
    db.session.commit()
    return attachment.id

#: URL (and form) argument names that name an object of one client's world.
OBJECT_ARGS = ("project_id", "asset_id", "version_id", "comment_id", "client_id", "user_id", "participant_id",
               "review_id", "link_id", "invitation_id", "upload_id", "message_id", "attachment_id")
#: Arguments that carry a secret: a random string must get the plain invalid page, never content.
SECRET_ARGS = ("token", "signed")
#: Writes without an object in the URL that still take one from the form.
FORM_OBJECT_WRITES = {"assets.upload_form", "assets.start_upload"}
#: Writes without an object argument, left out of the cross-world matrix.
GLOBAL_WRITES = {
    "accounts.login": "the caller's own session (a login attempt names no object of a client)",
    "accounts.logout": "ends the caller's own session: it would turn the principal into an anonymous visitor",
    "accounts.profile": "the caller's own name and preferences",
    "accounts.change_email": "the caller's own account (needs their current password)",
    "accounts.change_password": "the caller's own account (needs their current password)",
    "accounts.setup": "the one-time setup of an empty install (404 once an owner exists)",
    "accounts.reset_request": "asks for a reset email for an address; same answer for every address (A3)",
    "accounts.reset_password": "acts on the reset token held in the caller's own session",
    "accounts.accept_invite": "acts on the invitation token held in the caller's own session",
    "clients.create": "makes a new client; names no existing object",
    "projects.create": "makes a new project; agency members may start work for any client (DESIGN)",
    "links.link_home": "the name-and-email / password form of the caller's own review link",
    "review.notifications_read": "marks the caller's own notifications read",
    "review.preferences": "the caller's own notification settings",
    "settings.workspace": "workspace settings (admin only), no object of a client",
    "settings.reviews": "workspace review settings (admin only), no object of a client",
    "settings.invite_member": "invites a team member (admin only), no object of a client",
    "links.email_code": "the emailed-link seat held in the caller's own session",
    "links.email_code_check": "the emailed-link seat held in the caller's own session",
    "links.email_comment": "the emailed-link seat held in the caller's own session",
    "links.email_decide": "the emailed-link seat held in the caller's own session",
}
#: Admin-only routes: a member gets 403 for *any* id (checked: also for ids that never existed),
#: so the answer says something about their role, nothing about the object.
ADMIN_ONLY = {"clients.archive", "settings.invitation_action", "settings.set_active", "settings.change_role",
              "settings.outbox_message", "settings.outbox_html", "settings.outbox_hand_over"}
#: Known violations in code owned elsewhere: (principal, endpoint) -> what is wrong. The test fails
#: when one of these is fixed (remove it here then) and when a new one appears.
KNOWN_GAPS = {
    ("member", "clients.show"): "a member of A's project sees client B's page: its contacts' names and emails "
                                "(revue/clients/routes.py client_for() checks nothing but existence)",
    ("member", "clients.edit"): "a member of A's project can open and change client B",
    ("member", "clients.invite_contact"): "a member of A's project can invite a contact to client B — who then "
                                          "sees the work shared with client B",
}
#: In the page scan: what an agency member legitimately sees of the other world — the agency's client
#: directory (names in the client pickers and the clients list) and colleagues (the "add member" list).
AGENCY_DIRECTORY = ("Foods", "Member", "member.")
PROBE_FORM = {"body": "matrix probe", "name": "Probe Person", "email": "probe@example.com", "verdict": "approved",
              "note": "matrix probe", "title": "Probe", "code": "123456", "label": "probe", "password": "x" * 12,
              "role": "member", "status": "archived", "due_date": "2031-01-01", "active": "0", "archived": "1",
              "size": "1000", "decides": "1", "start_at": "1"}
NOWHERE_INT = 987_654


@dataclass(frozen=True)
class Call:
    rule: Rule
    method: str
    url: str
    form: dict | None
    nowhere_url: str  # the same call with ids that never existed
    nowhere_form: dict | None

    def __str__(self) -> str:
        return f"{self.method} {self.url} ({self.rule.endpoint})"


def app_rules(app) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: (r.rule, r.endpoint))


def methods_of(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"OPTIONS"})


def any_values(rule: Rule) -> dict[str, list[str]]:
    return {name: sorted(conv.items) for name, conv in rule._converters.items() if isinstance(conv, AnyConverter)}


def expand(rule: Rule, values: dict) -> list[dict]:
    """One argument dict per combination of the rule's ``any(...)`` values."""
    combos = [dict(values)]
    for name, options in any_values(rule).items():
        combos = [{**c, name: option} for c in combos for option in options]
    return combos


def nowhere(values: dict) -> dict:
    out = {}
    for name, value in values.items():
        if name == "upload_id":
            out[name] = "0" * 32
        elif isinstance(value, int):
            out[name] = NOWHERE_INT
        else:
            out[name] = value
    return out


def calls_for(rule: Rule, ids: dict, *, overrides: dict | None = None) -> list[Call]:
    """Every (method, arguments) call of ``rule`` with objects from ``ids`` (a world's ids, or overrides)."""
    base = {}
    for name in rule.arguments:
        if name in (overrides or {}):
            base[name] = overrides[name]
        elif name in ids:
            base[name] = ids[name]
        elif name in SECRET_ARGS:
            base[name] = secrets.token_urlsafe(32)
        elif name == "name":
            base[name] = "thumb"
    found = []
    for values in expand(rule, base):
        far = nowhere(values)
        for method in methods_of(rule):
            writes = method not in ("GET", "HEAD")
            form = {**PROBE_FORM, **ids, **(overrides or {})} if writes else None
            nowhere_form = {**form, **nowhere({k: v for k, v in form.items() if k in OBJECT_ARGS})} if writes else None
            found.append(Call(rule, method, rule.build(values, append_unknown=False)[1], form,
                              rule.build(far, append_unknown=False)[1], nowhere_form))
    return found


def send(browser, url: str, method: str, form: dict | None):
    response = browser.open(url, method=method, data=form)
    response.close()
    return response


def to_login(response) -> bool:
    return response.status_code in (301, 302, 303) and response.headers.get("Location", "").startswith(
        "/account/login")


def where_to(response) -> str:
    """A redirect's target without its query (the login page's ``next`` repeats the URL asked for)."""
    return response.headers.get("Location", "").split("?")[0]


def judge(who: str, call: Call, got, baseline) -> str | None:
    """Why this answer to an object of the other world is wrong, or None."""
    where = f"{who:14} {call}"
    if (got.status_code, where_to(got)) != (baseline.status_code, where_to(baseline)):
        return f"{where}: {got.status_code} {got.headers.get('Location', '')}, but {baseline.status_code} for an id " \
               "that never existed (the answer tells that the object exists)"
    if got.status_code == 404 or to_login(got):
        return None
    if got.status_code == 403 and call.rule.endpoint in ADMIN_ONLY and who == "member":
        return None
    return f"{where}: {got.status_code} {got.headers.get('Location', '')} (expected 404)"


@pytest.fixture
def no_guess_limit(app, monkeypatch):
    """The matrix sends many random tokens from one address: keep E5's throttle out of the way here
    (it is tested in test_review_links.py)."""
    monkeypatch.setitem(app.config, "THROTTLE_LINK_FAILURES", 100_000)


def cross_world_calls(app, b: World) -> list[Call]:
    calls = []
    for rule in app_rules(app):
        args = set(rule.arguments)
        if args & set(OBJECT_ARGS) or args & set(SECRET_ARGS) or rule.endpoint in FORM_OBJECT_WRITES:
            calls += calls_for(rule, b.ids)
    return calls


def test_the_matrix_covers_the_url_map(app):
    """Every route is in the cross-world matrix or left out for a reason written above."""
    rules = app_rules(app)
    in_matrix = {r.endpoint for r in rules if set(r.arguments) & set(OBJECT_ARGS + SECRET_ARGS)} | FORM_OBJECT_WRITES
    left_out = {r.endpoint for r in rules if r.endpoint not in in_matrix}
    unexplained = {e for e in left_out
                   if any(m not in ("GET", "HEAD") for r in rules if r.endpoint == e for m in methods_of(r))
                   and e not in GLOBAL_WRITES}
    assert not unexplained, f"writes neither in the matrix nor explained in GLOBAL_WRITES: {sorted(unexplained)}"
    assert set(GLOBAL_WRITES) <= {r.endpoint for r in rules}, "GLOBAL_WRITES names an endpoint that is gone"
    assert len(in_matrix) >= 50


def test_world_b_is_invisible_from_world_a(app, two_worlds: Worlds, principals, no_guess_limit):
    a, b = two_worlds.a, two_worlds.b
    people = principals(a)
    problems, gaps = [], set()
    calls = cross_world_calls(app, b)
    for call in calls:
        for who, browser in people.items():
            got = send(browser, call.url, call.method, call.form)
            if call.rule.arguments & set(SECRET_ARGS) and got.status_code in (301, 302, 303):
                got = send(browser, got.headers["Location"], "GET", None)  # a landing: what it leads to
            baseline = send(browser, call.nowhere_url, call.method, call.nowhere_form)
            if call.rule.arguments & set(SECRET_ARGS) and baseline.status_code in (301, 302, 303):
                baseline = send(browser, baseline.headers["Location"], "GET", None)
            problem = judge(who, call, got, baseline)
            if problem and (who, call.rule.endpoint) in KNOWN_GAPS:
                gaps.add((who, call.rule.endpoint))
            elif problem:
                problems.append(problem)
    assert len(calls) >= 100
    assert not problems, f"{len(problems)} answers let world A learn about world B:\n" + "\n".join(problems)
    assert gaps == set(KNOWN_GAPS), f"KNOWN_GAPS is out of date; fixed: {sorted(set(KNOWN_GAPS) - gaps)}"
    # The admin-only refusals really are admin-only: the same 403 for an id that never existed.
    member = people["member"]
    for rule in app_rules(app):
        if rule.endpoint in ADMIN_ONLY:
            for call in calls_for(rule, b.ids):
                assert send(member, call.nowhere_url, call.method, call.nowhere_form).status_code == 403, call


def test_within_a_world_drafts_internal_work_and_siblings_stay_hidden(app, two_worlds: Worlds, principals,
                                                                       no_guess_limit):
    """D2: the one-asset link reaches no sibling. D6: contacts and guests never reach drafts, work still
    in the internal stage, internal comments or their files — on any route, with any method."""
    a = two_worlds.a
    people = principals(a)
    o = a.objects
    hidden = {
        "sibling": {"asset_id": o["asset_sibling"], "version_id": o["version_sibling"]},
        "draft": {"asset_id": o["asset_draft"], "version_id": o["version_draft"]},
        "internal stage": {"asset_id": o["asset_internal"], "version_id": o["version_internal"]},
        "internal comment": {"comment_id": o["comment_internal"]},
        "internal comment's file": {"attachment_id": o["attachment_internal"]},
    }
    who_may_not = {"sibling": ["guest_asset"], "draft": ["contact", "guest_project", "guest_asset"],
                   "internal stage": ["contact", "guest_project", "guest_asset"],
                   "internal comment": ["contact", "guest_project", "guest_asset"],
                   "internal comment's file": ["contact", "guest_project", "guest_asset"]}
    problems, checked = [], 0
    for rule in app_rules(app):
        for what, overrides in hidden.items():
            if not set(rule.arguments) & set(overrides):
                continue
            for call in calls_for(rule, a.ids, overrides=overrides):
                for who in who_may_not[what]:
                    got = send(people[who], call.url, call.method, call.form)
                    checked += 1
                    if got.status_code != 404 and not to_login(got):
                        problems.append(f"{who:14} {call} [{what}]: {got.status_code} (expected 404)")
    assert checked >= 100
    assert not problems, "\n".join(problems)
    # …while what they may see, they do see (so the 404s above are not a broken fixture).
    assert people["guest_asset"].get(f"/r/assets/{o['asset_shared']}").status_code == 200
    assert people["guest_project"].get(f"/r/assets/{o['asset_sibling']}").status_code == 200
    assert people["contact"].get(f"/review/versions/{o['version_shared']}").status_code == 200
    attachment = a.ids["attachment_id"]
    for who, url in (("contact", f"/review/attachments/{attachment}/file"),
                     ("guest_asset", f"/r/assets/{o['asset_shared']}/attachments/{attachment}/thumb")):
        response = people[who].get(url)
        response.close()
        assert response.status_code == 200, (who, url)


TAG = re.compile(r"<[^>]+>")


def test_pages_of_world_a_never_show_world_b(app, two_worlds: Worlds, principals):
    """Every GET page, for every person of world A with world A's ids (and the board filtered by world B's
    client and project), shows nothing of world B; contacts and guests see nothing internal of A either."""
    a, b = two_worlds.a, two_worlds.b
    people = principals(a)
    problems, pages = [], 0
    for rule in app_rules(app):
        if "GET" not in rule.methods:
            continue
        for call in calls_for(rule, a.ids):
            if call.method != "GET":
                continue
            url = call.url
            if rule.endpoint.startswith("board."):
                url += f"?client={b.ids['client_id']}&project={b.ids['project_id']}"
            for who, browser in people.items():
                response = browser.get(url)
                body = response.get_data().decode("utf-8", "replace")
                response.close()
                pages += response.status_code == 200
                seen = [m for m in b.markers if m in body
                        and not (who == "member" and any(d in m for d in AGENCY_DIRECTORY))]
                if who != "member":
                    seen += [f"internal: {m}" for m in a.internal_markers if m in body]
                if seen:
                    problems.append(f"{who:14} GET {url} ({rule.endpoint}) shows {seen}")
    assert pages >= 40
    assert not problems, "\n".join(problems)


# -- D4: a property over principal × object × action ---------------------------------------------

PRINCIPALS = ["owner", "member_A", "member_B", "contact_A", "contact_B", "guest_project_A", "guest_asset_A",
              "guest_project_B", "guest_asset_B", "anonymous"]
KINDS = ["shared", "sibling", "internal", "draft"]
ACTIONS = ["page", "thumb", "original", "panel", "comment"]
FAMILIES = ["team", "link"]  # the signed-in routes, or the review-link (/r) routes


def allowed(principal: str, world: str, kind: str, family: str, action: str) -> bool:
    """DESIGN.md "Who sees what", written out."""
    role, _, own = principal.rpartition("_") if principal not in ("owner", "anonymous") else (principal, "", "")
    if principal == "anonymous":
        return False
    if family == "team":
        if principal == "owner":
            return True
        if role == "member":
            return own == world
        if role == "contact":
            return own == world and kind in ("shared", "sibling")
        return False  # guests have no account
    if not role.startswith("guest") or own != world:
        return False
    if role == "guest_project":
        return kind in ("shared", "sibling")  # the whole-project link: comment, decide, download
    return kind == "shared" and action in ("page", "thumb", "panel")  # the one-asset link is view only


def request_for(family: str, action: str, asset_id: int, version_id: int) -> tuple[str, str]:
    if family == "team":
        return {
            "page": ("GET", f"/review/versions/{version_id}"),
            "thumb": ("GET", f"/assets/versions/{version_id}/r/thumb"),
            "original": ("GET", f"/assets/versions/{version_id}/original"),
            "panel": ("GET", f"/review/versions/{version_id}/panel"),
            "comment": ("POST", f"/review/versions/{version_id}/comments"),
        }[action]
    return {
        "page": ("GET", f"/r/assets/{asset_id}"),
        "thumb": ("GET", f"/r/assets/{asset_id}/file/thumb"),
        "original": ("GET", f"/r/assets/{asset_id}/original"),
        "panel": ("GET", f"/r/assets/{asset_id}/panel"),
        "comment": ("POST", f"/r/assets/{asset_id}/comments"),
    }[action]


def expected_refusal(principal: str, world: str, kind: str, family: str, action: str) -> set[int]:
    if family == "team" and (principal == "anonymous" or principal.startswith("guest")):
        return {302, 404}  # no account: to the login page (pages), or a plain 404 (files)
    if principal.startswith("guest_asset") and principal.endswith(world) and kind == "shared":
        return {403} if action == "comment" else {404}  # its own asset: it knows it exists
    return {404}


def test_access_is_granted_exactly_when_the_relation_allows_it(two_worlds: Worlds, principals):
    from hypothesis import HealthCheck, example, given, settings
    from hypothesis import strategies as st

    browsers = {"owner": principals("owner")}
    for world in (two_worlds.a, two_worlds.b):
        for who, browser in principals(world).items():
            browsers["anonymous" if who == "anonymous" else f"{who}_{world.letter}"] = browser
    worlds = {"A": two_worlds.a, "B": two_worlds.b}

    @settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(PRINCIPALS), st.sampled_from(["A", "B"]), st.sampled_from(KINDS),
           st.sampled_from(FAMILIES), st.sampled_from(ACTIONS))
    # The edges of the relation, always tried (the random part explores the rest of the 800 cases):
    @example("guest_asset_A", "A", "sibling", "link", "page")  # D2
    @example("guest_asset_A", "A", "shared", "link", "comment")  # view only (D3)
    @example("guest_asset_A", "A", "shared", "link", "original")  # no download permission
    @example("guest_project_A", "A", "internal", "link", "thumb")  # still in the internal stage
    @example("guest_project_A", "A", "draft", "link", "page")
    @example("guest_project_A", "B", "shared", "link", "page")  # D1
    @example("contact_A", "A", "internal", "team", "page")  # D6
    @example("contact_A", "A", "draft", "team", "original")
    @example("contact_A", "B", "shared", "team", "thumb")
    @example("member_A", "B", "draft", "team", "panel")
    @example("member_B", "B", "draft", "team", "comment")
    @example("owner", "B", "internal", "team", "page")
    def check(principal, world, kind, family, action):
        objects = worlds[world].objects
        method, url = request_for(family, action, objects[f"asset_{kind}"], objects[f"version_{kind}"])
        response = send(browsers[principal], url, method, {"body": "property probe", "anchor": ""}
                        if method == "POST" else None)
        status = response.status_code
        if allowed(principal, world, kind, family, action):
            ok = {200} if method == "GET" else {200, 303}
            assert status in ok, f"{principal} may {action} {world}/{kind} via {family} ({url}) but got {status}"
        else:
            refusal = expected_refusal(principal, world, kind, family, action)
            assert status in refusal, \
                f"{principal} may not {action} {world}/{kind} via {family} ({url}): got {status}, want {refusal}"

    check()
