"""The rendition job: failures end `failed` with a reason the user sees, Retry works, and a lost
job is picked up again — but never forever (SECURITY F9, I4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from revue.assets import pipeline
from revue.assets.media import MediaError
from revue.assets.models import AssetVersion, Rendition, VersionState
from revue.db import db, utcnow
from revue.storage import get_storage


def reread(version_id: int) -> AssetVersion:
    db.session.commit()
    return db.session.get(AssetVersion, version_id)


def test_a_job_over_its_time_limit_is_killed_and_the_reason_shown(app, app_ctx, monkeypatch, member, project,
                                                                  create_asset, member_client):
    monkeypatch.setitem(app.config, "RENDITION_TIMEOUT_S", 0.05)  # the real sandbox, stopped almost at once
    version = create_asset(project, member, "clip.avi")

    assert version.state == VersionState.FAILED
    assert version.failure == "Processing took longer than 0.05 seconds and was stopped."
    assert version.attempts == 1 and version.processed_at is not None
    page = member_client.get(f"/assets/{version.asset_id}")
    text = page.get_data(as_text=True)
    assert "Processing took longer than 0.05 seconds and was stopped." in text
    assert "Retry" in text and f"/assets/versions/{version.id}/retry" in text
    board = member_client.get(f"/board/projects/{project.id}").get_data(as_text=True)
    assert "Preview failed" in board
    # the original is kept and can be downloaded
    assert member_client.get(f"/assets/versions/{version.id}/original").status_code == 200

    monkeypatch.setitem(app.config, "RENDITION_TIMEOUT_S", 60)
    retried = member_client.post(f"/assets/versions/{version.id}/retry")
    assert retried.status_code == 303
    version = reread(version.id)
    assert version.state == VersionState.READY and version.failure == ""
    assert {r.name for r in version.renditions} == {"poster", "thumb", "strip", "web"}
    assert "Processing took longer" not in member_client.get(f"/assets/{version.asset_id}").get_data(as_text=True)


def test_a_worker_that_reports_a_timeout_ends_failed(app_ctx, monkeypatch, member, project, create_asset):
    def too_slow(*args, **kwargs):
        raise MediaError("Processing took longer than 10 minutes and was stopped.", reason="timeout")

    monkeypatch.setattr(pipeline, "run_sandboxed", too_slow)
    version = create_asset(project, member, "logo.png")
    assert (version.state, version.failure) == (VersionState.FAILED,
                                                "Processing took longer than 10 minutes and was stopped.")


def test_an_unexpected_error_fails_with_plain_words(app_ctx, monkeypatch, member, project, create_asset):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "run_sandboxed", broken)
    version = create_asset(project, member, "logo.png")
    assert version.state == VersionState.FAILED
    assert version.failure.startswith("Revue could not make a preview of this file.")
    assert "disk on fire" not in version.failure


def test_renditions_of_a_failed_attempt_are_removed_on_retry(app, app_ctx, monkeypatch, member, project,
                                                            create_asset, member_client, stored_files):
    real = pipeline.run_sandboxed

    def dies_after_the_first_page(*args, on_rendition=None, **kwargs):
        def first_then_stop(rendition):
            on_rendition(rendition)
            raise MediaError("This file could not be processed.")

        return real(*args, on_rendition=first_then_stop, **kwargs)

    monkeypatch.setattr(pipeline, "run_sandboxed", dies_after_the_first_page)
    version = create_asset(project, member, "brochure.pdf")
    assert version.state == VersionState.FAILED
    leftovers = [r.storage_key for r in version.renditions]
    assert [r.name for r in version.renditions] == ["page-1"]  # kept while failed; stored as it came

    monkeypatch.setattr(pipeline, "run_sandboxed", real)
    assert member_client.post(f"/assets/versions/{version.id}/retry").status_code == 303
    version = reread(version.id)
    assert version.state == VersionState.READY and len(version.renditions) == 7
    assert not any(get_storage().exists(key) for key in leftovers)
    assert db.session.scalar(db.select(db.func.count()).select_from(Rendition)) == 7
    assert len([f for f in stored_files() if f.startswith("renditions/")]) == 7


def test_only_a_failed_version_can_be_retried(app_ctx, member, project, create_asset, member_client):
    version = create_asset(project, member, "logo.png")
    answer = member_client.post(f"/assets/versions/{version.id}/retry")
    assert answer.status_code == 409
    assert "Only a version whose processing failed can be retried." in answer.get_data(as_text=True)


def test_a_version_already_being_processed_is_not_claimed_twice(app_ctx, member, project, create_asset):
    version = create_asset(project, member, "logo.png")
    version.state, version.started_at = VersionState.PROCESSING, utcnow()
    db.session.commit()
    assert pipeline.make_renditions(version.id) == "skipped"
    assert reread(version.id).attempts == 1


# -- rescue: lost jobs are picked up again, but not forever -------------------------------------


@pytest.fixture
def lose_jobs(monkeypatch):
    """``runs = lose_jobs()``: from now on every job "dies" right after claiming its version, as a
    killed worker would; ``runs`` lists the versions it was started for."""
    runs = []

    def claim_then_die(version_id):
        from revue.jobs import _app

        runs.append(version_id)
        with _app().app_context():
            pipeline._claim(version_id)
            db.session.remove()

    def start():
        monkeypatch.setattr(pipeline, "process_version", claim_then_die)
        return runs

    return start


def make_stuck(version_id: int, *, attempts: int) -> None:
    version = db.session.get(AssetVersion, version_id)
    version.state, version.failure = VersionState.PROCESSING, ""
    version.started_at = utcnow() - timedelta(hours=2)
    version.attempts = attempts
    db.session.commit()


def test_rescue_runs_a_lost_job_again(app_ctx, member, project, create_asset):
    version = create_asset(project, member, "logo.png")
    make_stuck(version.id, attempts=1)
    assert pipeline.rescue() == 1
    version = reread(version.id)
    assert version.state == VersionState.READY and version.attempts == 2


def test_rescue_gives_up_after_max_attempts(app_ctx, member, project, create_asset, lose_jobs):
    version = create_asset(project, member, "logo.png")
    lost_jobs = lose_jobs()
    make_stuck(version.id, attempts=0)
    for _ in range(pipeline.MAX_ATTEMPTS + 3):
        pipeline.rescue()
        stuck = reread(version.id)
        if stuck.state != VersionState.PROCESSING:
            break
        stuck.started_at = utcnow() - timedelta(hours=2)  # the claimed job died too
        db.session.commit()
    version = reread(version.id)
    assert len(lost_jobs) == pipeline.MAX_ATTEMPTS
    assert version.state == VersionState.FAILED and version.attempts == pipeline.MAX_ATTEMPTS
    assert version.failure == "Processing was interrupted several times. Try again, or upload the file again."
    assert pipeline.rescue() == 0  # and it stays failed


def test_rescue_leaves_fresh_and_running_jobs_alone(app_ctx, member, project, create_asset, lose_jobs):
    running = create_asset(project, member, "logo.png")
    running.state, running.started_at = VersionState.PROCESSING, utcnow()
    queued = create_asset(project, member, "pic.webp")
    lost_jobs = lose_jobs()
    queued.state, queued.started_at = VersionState.PROCESSING, None  # just uploaded, job not started yet
    db.session.commit()
    assert pipeline.rescue() == 0 and lost_jobs == []
    queued.created_at = utcnow() - timedelta(minutes=10)  # its job was lost on the way
    db.session.commit()
    assert pipeline.rescue() == 1 and lost_jobs == [queued.id]


def test_the_sweeper_removes_leftover_uploads_and_temp_files(app, app_ctx, project, member_client):
    import os
    import time
    from pathlib import Path

    started = member_client.post("/assets/uploads", data={"project_id": project.id, "name": "a.png", "size": 10})
    upload_id = started.get_json()["id"]
    from revue.assets.models import Upload

    db.session.get(Upload, upload_id).updated_at = utcnow() - timedelta(days=2)
    temp = Path(app.config["UPLOAD_FOLDER"]) / ".tmp" / "up-crashed"
    temp.parent.mkdir(parents=True, exist_ok=True)
    temp.write_bytes(b"half a file")
    old = time.time() - 7200
    os.utime(temp, (old, old))
    stray = Path(app.instance_path) / "tmp" / "uploads" / "tmpstray.part"
    stray.write_bytes(b"x")
    os.utime(stray, (old - 86400, old - 86400))
    db.session.commit()

    assert pipeline.sweep_leftovers.call_local() == 3
    assert not temp.exists() and not stray.exists()
    assert db.session.get(Upload, upload_id) is None
