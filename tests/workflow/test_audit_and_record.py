"""SECURITY H1 (one activity row per event), H2 (``flask revue audit verify``), H4 (the approval record).

A whole round through the routes: a member uploads v1 and sends it, the client contact opens
the emailed link from another address and browser and approves; the record page and its PDF
must then prove what was approved, by whom, how they were identified, when, from where.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC

import pytest
from sqlalchemy import select, text

from revue.activity import Activity
from revue.assets.models import AssetVersion
from revue.db import db
from revue.review.models import Decision
from revue.storage import get_storage

from .conftest import form_key, latest_link, text_of

CLIENT_IP = "203.0.113.7"
CLIENT_AGENT = "Mozilla/5.0 (Macintosh) RevueTest/1.0"


def actions(name: str) -> list[Activity]:
    rows = db.session.scalars(select(Activity).where(Activity.action == name).order_by(Activity.id)).all()
    db.session.commit()
    return rows


@pytest.fixture
def round_trip(app, smtp_server, owner, member, contact, project, set_workflow, member_browser, make_client, png):
    """v1 uploaded and sent by the member (routes); Cleo approves it through her emailed link."""
    set_workflow(project, owner, [("Client", "all", 1, [contact])])
    path = png()
    with open(path, "rb") as fh:
        answer = member_browser.post("/assets/upload", data={"project_id": project.id, "files": (fh, "banner.png")},
                                     content_type="multipart/form-data")
    assert answer.status_code == 303
    version = db.session.scalars(select(AssetVersion)).one()
    assert member_browser.post(f"/review/versions/{version.id}/send").status_code == 303
    smtp_server.wait(1)
    cleo = make_client()
    cleo.environ_base.update(REMOTE_ADDR=CLIENT_IP, HTTP_USER_AGENT=CLIENT_AGENT)
    assert cleo.get(latest_link(smtp_server, contact.email)).status_code == 303
    page = cleo.get("/e/")
    answer = cleo.post("/e/decide", data={"verdict": "approved", "version_id": version.id, "note": "Lovely, ship it.",
                                          "request_key": form_key(page)})
    assert answer.status_code == 303
    db.session.expire_all()
    return version, path


# -- H1 ---------------------------------------------------------------------------------------------------------


def test_each_event_writes_one_activity_row(app, smtp_server, owner, member, teammate, contact, project, set_workflow,
                                            member_browser, make_client, login, png):
    set_workflow(project, owner, [("Internal", "all", 1, [member, teammate], True)])
    path = png()
    with open(path, "rb") as fh:
        member_browser.post("/assets/upload", data={"project_id": project.id, "files": (fh, "banner.png")},
                            content_type="multipart/form-data")
    version = db.session.scalars(select(AssetVersion)).one()
    uploaded = actions("version.uploaded")
    assert len(uploaded) == 1
    assert (uploaded[0].actor_id, uploaded[0].subject_type, uploaded[0].subject_id) == (member.id, "assetversion",
                                                                                        version.id)
    member_browser.post(f"/review/versions/{version.id}/send")

    page = member_browser.get(f"/review/versions/{version.id}")
    member_browser.post(f"/review/versions/{version.id}/decide", data={
        "verdict": "approved", "version_id": version.id, "request_key": form_key(page)})
    made = actions("decision.made")
    assert len(made) == 1 and actions("decision.changed") == []
    decision = db.session.scalars(select(Decision)).one()
    row = made[0]
    assert (row.actor_id, row.subject_type, row.subject_id, row.project_id, row.result, row.ip) == (
        member.id, "decision", decision.id, project.id, "ok", "127.0.0.1")
    assert row.created_at.tzinfo is not None and row.created_at.utcoffset().total_seconds() == 0

    page = member_browser.get(f"/review/versions/{version.id}")
    member_browser.post(f"/review/versions/{version.id}/decide", data={
        "verdict": "approved_with_changes", "version_id": version.id, "note": "Tighter kerning in the final file.",
        "request_key": form_key(page, "approved_with_changes")})
    assert len(actions("decision.made")) == 1 and len(actions("decision.changed")) == 1
    assert actions("decision.changed")[0].data["verdict"] == "approved_with_changes"

    admin = make_client()
    login(admin, owner)
    made_link = admin.post(f"/links/projects/{project.id}", data={"label": "Client preview", "can_comment": "1"})
    assert made_link.status_code == 303
    created = actions("link.created")
    assert len(created) == 1 and created[0].actor_id == owner.id
    assert admin.post(f"/links/{created[0].subject_id}/revoke").status_code == 303
    assert len(actions("link.revoked")) == 1
    assert admin.post(f"/links/{created[0].subject_id}/revoke").status_code == 303
    assert len(actions("link.revoked")) == 1, "revoking again changes nothing"

    assert admin.post(f"/settings/members/{teammate.id}/role", data={"role": "admin"}).status_code == 303
    changed = actions("user.role_changed")
    assert len(changed) == 1
    assert (changed[0].actor_id, changed[0].subject_id, changed[0].data) == (owner.id, teammate.id,
                                                                             {"old": "member", "new": "admin"})


# -- H2 ---------------------------------------------------------------------------------------------------------


def test_audit_verify_passes_after_a_round_and_names_an_altered_row(app, round_trip):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["revue", "audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "chain intact" in result.output

    target = actions("decision.made")[0].id
    db.session.execute(text("UPDATE activities SET actor_label = 'someone@else.example' WHERE id = :id"),
                       {"id": target})
    db.session.commit()
    result = runner.invoke(args=["revue", "audit", "verify"])
    assert result.exit_code != 0
    assert f"row {target}: content was altered" in result.output
    assert not re.search(rf"row (?!{target}\b)\d+: content was altered", result.output)


# -- H4 ---------------------------------------------------------------------------------------------------------


def test_the_approval_record_proves_the_approval(app, round_trip, member_browser, contact):
    version, _path = round_trip
    decision = db.session.scalars(select(Decision)).one()
    with get_storage(app).open(version.storage_key) as fh:
        stored_sha = hashlib.sha256(fh.read()).hexdigest()
    assert decision.file_sha256 == version.sha256 == stored_sha
    when = decision.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    db.session.commit()

    page = member_browser.get(f"/review/versions/{version.id}/record")
    assert page.status_code == 200
    shown = text_of(page)
    for expected in ("Approved", "Lovely, ship it.", contact.name, contact.email, "Emailed link",
                     "personal emailed link", f"{when} UTC", CLIENT_IP, CLIENT_AGENT, stored_sha,
                     "Matches the stored file"):
        assert expected in shown, expected

    pdf = member_browser.get(f"/review/versions/{version.id}/record.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert "attachment" in pdf.headers["Content-Disposition"]
    lines = pdf_text(pdf.data)
    for expected in (f"SHA-256: {stored_sha}", "Re-checked against the stored file: matches",
                     f"Approved by {contact.name} <{contact.email}>", f"{when} UTC",
                     f"identified by: email_link; IP: {CLIENT_IP}", f"user agent: {CLIENT_AGENT}",
                     f"file SHA-256 at decision: {stored_sha}", "note: Lovely, ship it."):
        assert any(expected in line for line in lines), (expected, lines)


def test_a_changed_stored_file_shows_on_the_record(app, round_trip, member_browser):
    version, _path = round_trip
    storage = get_storage(app)
    local = storage.local_path(version.storage_key)
    with open(local, "ab") as fh:
        fh.write(b"tampered")
    db.session.commit()
    page = text_of(member_browser.get(f"/review/versions/{version.id}/record"))
    assert "Does not match" in page
    lines = pdf_text(member_browser.get(f"/review/versions/{version.id}/record.pdf").data)
    assert any("DOES NOT MATCH" in line for line in lines)


def test_the_record_is_for_the_team_and_the_reviewers_only(round_trip, make_client, login, create_user):
    version, _path = round_trip
    outsider = create_user("member", name="Otto Outsider", email="otto@example.com")
    browser = make_client()
    login(browser, outsider)
    assert browser.get(f"/review/versions/{version.id}/record").status_code == 404
    assert browser.get(f"/review/versions/{version.id}/record.pdf").status_code == 404
    assert make_client().get(f"/review/versions/{version.id}/record").status_code in (302, 303, 401)


def pdf_text(data: bytes) -> list[str]:
    """The text lines of our own uncompressed PDFs: the strings shown with ``Tj``."""
    found = []
    for raw in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", data):
        found.append(re.sub(rb"\\(.)", rb"\1", raw).decode("latin-1"))
    return found


def test_pdf_text_reader_reads_escaped_strings():
    assert pdf_text(b"BT (a \\(b\\) c) Tj ET\nBT (d) Tj ET") == ["a (b) c", "d"]


def test_a_client_contact_sees_no_internal_decision_on_the_record(request_ctx, owner, member, contact, project,
                                                                  set_workflow, upload, make_client, login):
    from revue.review import engine
    from revue.review.models import Channel, Participant, Verdict

    set_workflow(project, owner, [("Internal", "any", 1, [member], True), ("Client", "all", 1, [contact])])
    version = upload(member, project)
    engine.send_for_review(member, version)
    db.session.commit()
    for person, channel in ((member, Channel.VIEWER), (contact, Channel.EMAIL_LINK)):
        seat = db.session.scalar(select(Participant).where(Participant.email == person.email))
        who = engine.Identity(channel=channel, identified_by="account", name=person.name, email=person.email,
                              user=person, ip="198.51.100.4" if person is member else CLIENT_IP)
        engine.decide(seat, version.id, Verdict.APPROVED, "", who)
        db.session.commit()
    cleo = make_client()
    login(cleo, contact)
    for path in (f"/review/versions/{version.id}/record", f"/review/versions/{version.id}/record.pdf"):
        answer = cleo.get(path)
        assert answer.status_code == 200
        shown = text_of(answer) if path.endswith("record") else "\n".join(pdf_text(answer.data))
        assert contact.name in shown and CLIENT_IP in shown
        assert member.email not in shown and "198.51.100.4" not in shown, "the internal stage stays internal"
    team = make_client()
    login(team, member)
    assert "198.51.100.4" in text_of(team.get(f"/review/versions/{version.id}/record"))


# -- what people read: the activity log, recorded approvals, the PDF's header ----------------------------------


@pytest.fixture
def berlin(app_ctx, workspace):
    workspace.timezone = "Europe/Berlin"
    db.session.commit()
    return workspace


def test_the_activity_log_reads_as_sentences_on_the_workspace_clock(berlin, round_trip, member_browser, member,
                                                                    contact):
    version, _path = round_trip
    title, project_id, asset_id = version.asset.title, version.asset.project_id, version.asset_id
    decided = db.session.scalars(select(Decision)).one().created_at
    db.session.commit()
    for path in (f"/review/projects/{project_id}/activity", f"/review/assets/{asset_id}/activity"):
        page = member_browser.get(path)
        assert page.status_code == 200
        shown = text_of(page)
        assert "When (Europe/Berlin)" in shown
        for sentence in (f"{member.name} uploaded v1 of {title}", f"{member.name} sent v1 of {title} for review",
                         f"Client stage opened for v1 of {title}", f"{contact.name} approved v1 of {title}",
                         f"Review approved: v1 of {title}"):
            assert sentence in shown, (sentence, shown)
        assert decided.astimezone(berlin_zone()).strftime("%d %b %Y %H:%M") in shown
        for raw in ("version: uploaded", "review: stage opened", "decision: made", member.email):
            assert raw not in shown, raw


def berlin_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Berlin")


def test_comment_times_show_on_the_workspace_clock(berlin, request_ctx, owner, member, project, upload,
                                                   member_browser):
    from datetime import datetime

    from revue.comments.services import add_comment

    version = upload(member, project)
    comment = add_comment(version, member, "Bigger logo, please.", notify=False)
    comment.created_at = datetime(2026, 11, 26, 1, 50, tzinfo=UTC)  # 02:50 in Berlin
    db.session.commit()
    shown = text_of(member_browser.get(f"/review/versions/{version.id}"))
    assert "26 Nov 02:50" in shown and "26 Nov 01:50" not in shown


def test_a_recorded_approval_names_who_recorded_it_not_an_approver(round_trip, member_browser, member, set_workflow):
    version, path = round_trip  # v1 approved in Revue; v2 is approved on the phone
    db.session.commit()
    with open(path, "rb") as fh:
        assert member_browser.post("/assets/upload", data={"project_id": version.asset.project_id,
                                                           "asset_id": version.asset_id,
                                                           "files": (fh, "banner-v2.png")},
                                   content_type="multipart/form-data").status_code == 303
    v2 = db.session.scalars(select(AssetVersion).where(AssetVersion.number == 2)).one()
    db.session.commit()
    note = "Dana approved on the phone, 14:10"
    assert member_browser.post(f"/review/versions/{v2.id}/record-approval", data={"note": note}).status_code == 303
    shown = text_of(member_browser.get(f"/review/versions/{v2.id}/record"))
    assert f"Recorded by {member.name} (given outside Revue)" in shown and note in shown
    lines = pdf_text(member_browser.get(f"/review/versions/{v2.id}/record.pdf").data)
    text = " ".join(line.strip() for line in lines)
    assert f"Approved - recorded by {member.name} <{member.email}> (given outside Revue): {note}" in text, lines
    assert f"Approved by {member.name}" not in text
    viewer = member_browser.get(f"/review/versions/{v2.id}").get_data(as_text=True)
    assert "Upload a new version" in viewer and f"Send {v2.label} for review" not in viewer  # it is approved


def test_the_pdf_header_names_the_agency_with_its_logo_and_the_version_thumbnail(app, round_trip, member_browser,
                                                                                 owner):
    import io

    from PIL import Image

    from revue.assets.models import Rendition
    from revue.settings.services import current_workspace

    version, path = round_trip
    storage = get_storage(app)
    stored = storage.save("renditions/test-thumb", io.BytesIO(path.read_bytes()))
    db.session.add(Rendition(version_id=version.id, name="thumb", storage_key=stored.key, mime="image/png",
                             size=stored.size, width=64, height=48))
    logo = io.BytesIO()
    Image.new("RGBA", (120, 40), (10, 110, 90, 255)).save(logo, "PNG")
    logo.seek(0)
    workspace = current_workspace()
    workspace.logo_key = storage.save("logos/test-logo", logo).key
    db.session.commit()
    data = member_browser.get(f"/review/versions/{version.id}/record.pdf").data
    assert pdf_text(data)[0] == "Studio Test"
    assert data.count(b"/Subtype /Image") == 2 and b"/Logo Do" in data and b"/Thumb Do" in data
    import pypdfium2

    assert len(pypdfium2.PdfDocument(data)) == 1  # a PDF a reader opens


def test_long_lines_wrap_under_their_indent():
    from revue.review.pdf import wrapped

    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
    lines = wrapped(f"   user agent: {agent}")
    assert len(lines) > 1 and lines[0].startswith("   user agent:")
    assert all(line.startswith("      ") for line in lines[1:]), lines
    assert " ".join(line.strip() for line in lines) == f"user agent: {agent}"


def test_the_activity_log_reads_its_rows_in_a_fixed_number_of_queries(request_ctx, round_trip, member_browser,
                                                                      member, count_queries):
    from revue.comments.services import add_comment

    version, _path = round_trip
    project_id = version.asset.project_id

    def queries() -> int:
        db.session.commit()
        with count_queries() as counted:
            assert member_browser.get(f"/review/projects/{project_id}/activity").status_code == 200
        return counted.count

    def comment(n: int) -> None:
        add_comment(db.session.get(AssetVersion, version.id), member, f"Note {n}", notify=False)

    comment(0)
    before = queries()
    for n in range(1, 6):
        comment(n)
    assert queries() == before
