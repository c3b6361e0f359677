"""SECURITY E6 (GC): the same decision form posted twice at the same moment makes one decision row.

Real gunicorn with three sync workers on one database. An operator's install (``flask db upgrade``),
a review seeded by a small script that uses the app, a reviewer's emailed link: the browser lands,
reads the page (CSRF token, request key) and submits the form twice at once — each POST on
its own worker, both completed together. Exactly one Decision row may come of it; the access
log holds no token (E9).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.gunicorn

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]

SEED = r"""
import json, sys
from PIL import Image
from revue import create_app
from revue.db import db

app = create_app()
with app.app_context(), app.test_request_context("/", base_url=app.config["BASE_URL"]):
    from revue.accounts.models import Role, User
    from revue.accounts.services import create_owner
    from revue.assets.services import add_file
    from revue.clients.services import create_client
    from revue.projects.models import ProjectMember
    from revue.projects.services import create_project
    from revue.review import engine, workflows
    from revue.review.models import Rule, Workflow

    owner = create_owner("Studio", "Olivia", "owner@example.com", "correct horse battery staple")
    client = create_client(owner, name="Acme")
    contact = User(email="cleo@acme.example", name="Cleo", role=Role.CLIENT, client_id=client.id)
    db.session.add(contact)
    project = create_project(owner, client=client, name="Launch")
    db.session.flush()
    flow = Workflow(project_id=project.id, name="Client only")
    db.session.add(flow)
    db.session.flush()
    stage = workflows.add_stage(owner, flow, name="Client", rule=Rule.ALL, required=1, due_days=2, internal=False)
    workflows.add_reviewer(owner, stage, user=contact)
    workflows.add_reviewer(owner, stage, email="gina@guest.example", name="Gina")
    db.session.commit()
    path = sys.argv[1]
    Image.new("RGB", (64, 48), (200, 40, 40)).save(path)
    version = add_file(owner, project, path, "banner.png")
    db.session.commit()
    review = engine.send_for_review(owner, version)
    db.session.commit()
    seat = next(p for p in review.stages[0].participants if p.email == "cleo@acme.example")
    raw = engine.issue_token(seat)  # what the email would carry (SMTP is not configured here)
    db.session.commit()
    print(json.dumps({"token": raw, "version_id": version.id}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]




@pytest.fixture
def revue_env(tmp_path, database_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVUE_")}
    env.update(
        PYTHONPATH=str(ROOT),
        REVUE_INSTANCE_PATH=str(tmp_path / "instance"),
        REVUE_DATABASE_URL=database_url,
        REVUE_SECRET_KEY="e6-test-secret",
        REVUE_ARGON2_MEMORY_KIB="8",
        REVUE_ARGON2_TIME_COST="1",
        REVUE_HUEY_IMMEDIATE="true",
        REVUE_BASE_URL="http://127.0.0.1",
    )
    return env


@pytest.fixture
def seeded(revue_env, tmp_path):
    flask = [str(BIN / "flask"), "--app", "revue"]
    done = subprocess.run(flask + ["db", "upgrade"], env=revue_env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    done = subprocess.run([sys.executable, "-c", SEED, str(tmp_path / "banner.png")], env=revue_env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def server(revue_env, seeded, tmp_path):
    port, access_log = free_port(), tmp_path / "access.log"
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "3", "-b", f"127.0.0.1:{port}", "--no-control-socket",
         "--logger-class", "revue.gunicorn_logging.RedactingLogger", "--access-logfile", str(access_log),
         "--access-logformat", "%(p)s \"%(r)s\" %(s)s \"%(f)s\"",
         "--error-logfile", str(tmp_path / "error.log"), "revue:create_app()"],
        env=revue_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "error.log").read_text()[-2000:]
            try:
                if request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start in time"
            time.sleep(0.1)
        yield port, access_log
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def request(port: int, method: str, path: str, headers: dict | None = None, body: str = ""):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def test_two_simultaneous_posts_of_one_form_make_one_decision(server, seeded, database_url):
    port, access_log = server
    token = seeded["token"]
    status, headers, _ = request(port, "GET", f"/e/{token}")
    assert status == 303 and headers["Location"].endswith("/e/") and token not in headers["Location"]
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    status, headers, page = request(port, "GET", "/e/", {"Cookie": cookie})
    assert status == 200
    cookie = headers.get("Set-Cookie", cookie).split(";", 1)[0]  # the CSRF secret joins the session
    csrf = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    key = re.search(r'name="request_key" value="([^"]+-approved)"', page).group(1)
    body = urlencode({"csrf_token": csrf, "verdict": "approved", "version_id": seeded["version_id"],
                      "request_key": key, "note": ""})
    head = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{port}/e/"}

    answers = simultaneous(port, "/e/decide", head, body)
    assert [status for status, _ in answers] == [303, 303], answers
    assert all(location.endswith("/e/done") for _, location in answers)

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT participant_id, verdict, request_key FROM decisions")).all()
        changes = conn.execute(text("SELECT count(*) FROM activities WHERE action LIKE 'decision.%'")).scalar()
    engine.dispose()
    assert len(rows) == 1 and rows[0].verdict == "approved" and rows[0].request_key == key
    assert changes == 1, "one decision, one activity row"

    deadline = time.monotonic() + 5
    while True:  # gunicorn writes the access line after the response
        lines = [line for line in access_log.read_text().splitlines() if "/e/decide" in line]
        if len(lines) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len({line.split()[0] for line in lines}) == 2, ("each POST was answered by a worker of its own", lines)
    assert token not in access_log.read_text(), "the access log never holds a token (E9)"


def simultaneous(port: int, path: str, headers: dict, body: str) -> list[tuple[int, str]]:
    """Two POSTs, each held by its own worker until both are complete, then finished at the same moment.

    Each connection first sends its headers without the closing blank line: the sync worker that
    accepted it waits for the rest and takes no other connection, so the two land on two workers.
    """
    socks = []
    for _ in range(2):
        sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", f"Content-Length: {len(body)}",
                 *(f"{name}: {value}" for name, value in headers.items())]
        sock.sendall(("\r\n".join(lines) + "\r\n").encode())
        socks.append(sock)
    time.sleep(1.0)  # idle workers accept the waiting connections (and then wait for the rest of them)
    answers: list = [None, None]
    go = threading.Barrier(2)

    def finish(i: int) -> None:
        go.wait()
        socks[i].sendall(b"\r\n" + body.encode())
        response = http.client.HTTPResponse(socks[i], method="POST")
        response.begin()
        response.read()
        answers[i] = (response.status, response.getheader("Location") or "")

    threads = [threading.Thread(target=finish, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for sock in socks:
        sock.close()
    return answers
