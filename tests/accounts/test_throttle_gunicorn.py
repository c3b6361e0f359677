"""SECURITY A4 (GC): failed logins spread over several gunicorn workers are throttled together.

Real gunicorn, three sync workers, one database. The access log names the worker (pid)
that answered each attempt. With counters kept per process a worker would refuse only
after the limit of failures of its own; kept in the database, the account is throttled
once the limit is passed in total, whichever worker answers.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.gunicorn

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
LIMIT = 3
EMAIL = "owner@example.com"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]




@pytest.fixture
def revue_env(tmp_path, database_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVUE_")}
    env.update(
        PYTHONPATH=str(ROOT),  # the code under test, whatever checkout the venv points at
        REVUE_INSTANCE_PATH=str(tmp_path / "instance"),
        REVUE_DATABASE_URL=database_url,
        REVUE_SECRET_KEY="x",
        REVUE_ARGON2_MEMORY_KIB="8",
        REVUE_ARGON2_TIME_COST="1",
        REVUE_THROTTLE_ACCOUNT_FAILURES=str(LIMIT),
        REVUE_THROTTLE_IP_FAILURES="1000",
    )
    return env


@dataclass
class Gunicorn:
    port: int
    access_log: Path
    error_log: Path
    process: subprocess.Popen

    def log_tail(self) -> str:
        return self.error_log.read_text()[-2000:] if self.error_log.exists() else ""


@pytest.fixture
def gunicorn(revue_env, tmp_path):
    """``gunicorn -w 3 'revue:create_app()'`` on a free port.

    The app does no database work at start-up, so the workers boot while the install runs."""
    port, access_log, error_log = free_port(), tmp_path / "access.log", tmp_path / "error.log"
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "3", "-b", f"127.0.0.1:{port}", "--no-control-socket",  # one per user, shared
         "--access-logfile", str(access_log), "--error-logfile", str(error_log),
         "--access-logformat", "%(p)s %({x-attempt}i)s %(s)s", "revue:create_app()"],
        env=revue_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        yield Gunicorn(port, access_log, error_log, process)
    finally:
        process.send_signal(signal.SIGINT)  # quick shutdown; SIGTERM would wait for a graceful one
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def server(gunicorn, revue_env):
    """The install an operator makes (``flask db upgrade``, ``flask revue create-owner``), served by
    three workers that all answer. Returns ``(port, access_log)``."""
    flask = [str(BIN / "flask"), "--app", "revue"]
    for command in (["db", "upgrade"],
                    ["revue", "create-owner", "--workspace", "Studio", "--name", "Olivia", "--email", EMAIL,
                     "--password", "correct horse battery staple"]):
        done = subprocess.run(flask + command, env=revue_env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
    deadline = time.monotonic() + 60  # generous: a loaded CI machine boots slowly
    while time.monotonic() < deadline:
        if gunicorn.process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {gunicorn.log_tail()}")
        try:
            answers = _one_request_per_worker(gunicorn.port, "GET", "/healthz", first_attempt=-3)
        except OSError:
            time.sleep(0.1)
            continue
        workers = _workers_by_attempt(gunicorn.access_log, [-3, -2, -1])
        if answers == [(200, None)] * 3 and len(set(workers.values())) == 3:
            return gunicorn.port, gunicorn.access_log
    raise AssertionError(f"gunicorn did not start three workers in time: {gunicorn.log_tail()}")


@pytest.fixture
def login_form(server):
    """The session cookie and CSRF token a browser gets with the login page."""
    port, _ = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/account/login")
        response = conn.getresponse()
        body = response.read().decode()
    finally:
        conn.close()
    assert response.status == 200
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    return cookie, token


def test_failures_spread_over_workers_are_throttled_together(server, login_form):
    port, access_log = server
    cookie, token = login_form
    form = {"headers": {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            "body": f"csrf_token={token}&email={EMAIL.replace('@', '%40')}&password=wrong+guess"}

    answers = []
    for first_attempt in (1, 4, 7):
        answers += _one_request_per_worker(port, "POST", "/account/login", first_attempt=first_attempt, **form)

    statuses = [status for status, _ in answers]
    assert statuses[: LIMIT + 1] == [422] * (LIMIT + 1), answers
    assert 429 in statuses, answers  # normally at attempt LIMIT + 2 (the first delay is 1 s)
    assert all(int(retry_after) >= 1 for status, retry_after in answers if status == 429)
    # With counters per process a worker refuses only after LIMIT + 1 failures of its own.
    refused = statuses.index(429) + 1
    workers = _workers_by_attempt(access_log, range(1, refused + 1))
    own_failures = [n for n in range(1, refused) if workers[n] == workers[refused]]
    assert len(own_failures) <= LIMIT, workers
    assert len(set(workers.values())) >= 2, workers


def _one_request_per_worker(port: int, method: str, path: str, *, headers=None, body: str = "", first_attempt=1):
    """Three requests on three workers, answered one after the other; returns ``[(status, Retry-After)]``.

    Each connection first gets its headers without the closing blank line: the sync worker
    that accepted it waits for the rest and accepts no other connection, so the three land on
    three workers. They are then completed one at a time, each worker seeing what the
    previous one committed.
    """
    socks, answers = [], []
    try:
        for attempt in range(first_attempt, first_attempt + 3):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            socks.append(sock)
            head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", f"X-Attempt: {attempt}",
                    f"Content-Length: {len(body)}", *(f"{name}: {value}" for name, value in (headers or {}).items())]
            sock.sendall(("\r\n".join(head) + "\r\n").encode())
        time.sleep(0.3)  # idle workers accept the waiting connections
        for sock in socks:
            sock.sendall(b"\r\n" + body.encode())
            response = http.client.HTTPResponse(sock, method=method)
            response.begin()
            response.read()
            answers.append((response.status, response.getheader("Retry-After")))
            response.close()
    finally:
        for sock in socks:
            sock.close()
    return answers


def _workers_by_attempt(access_log: Path, attempts) -> dict[int, str]:
    """``{attempt: worker pid}`` from the access log (lines ``pid attempt status``)."""
    wanted = set(attempts)
    deadline = time.monotonic() + 5
    while True:
        found = {}
        for line in access_log.read_text().splitlines() if access_log.exists() else []:
            pid, attempt, _status = line.split()
            if attempt.lstrip("-").isdigit() and int(attempt) in wanted:
                found[int(attempt)] = pid
        if len(found) == len(wanted) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)
