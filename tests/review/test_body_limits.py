"""Request bodies are capped before anything reads them (before the CSRF check parses a form).

A comment with attachments may carry five files of 20 MB; a plain form 25 MB; only the upload routes
take creative work up to the workspace's upload limit.
"""

from __future__ import annotations

from sqlalchemy import func, select

from revue.comments.models import Comment
from revue.db import db
from revue.security import FORM_BODY_MB

MB = 2**20
FENCE = "multipart/form-data; boundary=fence"


def multipart(fields: dict, files: list[tuple[str, str, bytes]]) -> bytes:
    """A multipart/form-data body built in memory (the test client would spool a large one to a
    temporary file that nobody closes)."""
    parts = [f'--fence\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    for field, name, content in files:
        parts.append(f'--fence\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                     f'Content-Type: application/octet-stream\r\n\r\n'.encode() + content + b"\r\n")
    return b"".join(parts) + b"--fence--\r\n"


def test_a_comment_body_over_five_attachments_is_refused_at_once(version, as_member):
    answer = as_member.post(f"/review/versions/{version.id}/comments", data=b"x" * (101 * MB + 1),
                            content_type=FENCE)
    assert answer.status_code == 413
    assert "Attach at most 5 files of up to 20 MB each" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_the_same_route_reads_a_body_over_the_form_limit(version, as_member):
    files = [("files", f"notes-{n}.bin", b"x" * 15 * MB) for n in (1, 2)]
    answer = as_member.post(f"/review/versions/{version.id}/comments",
                            data=multipart({"body": "See files"}, files), content_type=FENCE)
    assert answer.status_code == 422  # read and judged by content, not refused for its size
    assert "notes-1.bin" in answer.get_data(as_text=True)


def test_a_plain_form_is_capped_lower(project, as_member):
    answer = as_member.post(f"/projects/{project.id}/edit", data=b"x" * (FORM_BODY_MB * MB + 1), content_type=FENCE)
    assert answer.status_code == 413
    assert "larger than this workspace allows" in answer.get_data(as_text=True)


def test_the_upload_form_keeps_the_workspace_upload_limit(project, as_member):
    brief = ("files", "brief.bin", b"x" * (FORM_BODY_MB + 1) * MB)
    answer = as_member.post(f"/assets/upload?project_id={project.id}", data=multipart({}, [brief]),
                            content_type=FENCE)
    assert answer.status_code == 303
