"""The job queue on Redis (REVUE_REDIS_URL): jobs are enqueued after commit and run by a consumer."""

from __future__ import annotations

import os

import pytest
from huey.storage import RedisStorage

from revue import jobs, mail
from revue.db import db

REDIS_URL = os.environ.get("REVUE_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="set REVUE_TEST_REDIS_URL to test the Redis queue")


@pytest.fixture
def redis_queue():
    saved = (jobs.huey._immediate, jobs.huey.storage)
    jobs.huey._immediate = False
    jobs.huey.storage = RedisStorage(f"revue-test-{os.getpid()}", url=REDIS_URL)
    jobs.huey.storage.flush_queue()
    try:
        yield jobs.huey
    finally:
        jobs.huey.storage.flush_queue()
        jobs.huey._immediate, jobs.huey.storage = saved


def test_an_email_job_waits_in_redis_until_commit_and_a_consumer_sends_it(app, app_ctx, workspace, redis_queue,
                                                                            smtp_server):
    with app.test_request_context(base_url=app.config["BASE_URL"], method="POST"):
        message = mail.queue("dana@example.com", "Hello", "email_changed", kind="test",
                             user=type("U", (), {"name": "Dana"})(), new_email="d@example.com")
        assert redis_queue.pending_count() == 0  # nothing leaves before the commit
        db.session.commit()
    assert redis_queue.pending_count() == 1
    task = redis_queue.dequeue()
    redis_queue.execute(task)
    assert smtp_server.wait(1)[0]["Subject"] == "Hello"
    assert db.session.get(mail.OutboxMessage, message.id).status == "sent"


def test_a_rollback_enqueues_nothing(app, app_ctx, workspace, redis_queue):
    with app.test_request_context(base_url=app.config["BASE_URL"], method="POST"):
        mail.queue("dana@example.com", "Hello", "email_changed", kind="test",
                   user=type("U", (), {"name": "Dana"})(), new_email="d@example.com")
        db.session.rollback()
    assert redis_queue.pending_count() == 0
