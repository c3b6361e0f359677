"""The daily digest goes out at 07:15 in the workspace's time zone, once per person and local day.

The job checks every quarter hour; the tests call the check with the time it would run at. Mia
chose daily emails for decisions; each test gives her something to read first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from revue.activity import Activity
from revue.db import db
from revue.mail import OutboxMessage
from revue.review import jobs, notify, services
from revue.review.models import Notification
from revue.settings.forms import timezone_choices


@pytest.fixture
def mia(request_ctx, member, workspace):
    member.notification_prefs = {"decision": "daily"}
    db.session.commit()
    return member


def news(user, title: str = "Cleo approved the banner") -> Notification:
    """Something for ``user``'s next daily digest (through the product's own path)."""
    note = notify.send(user=user, email=user.email, kind="decision", title=title, url="/review/versions/1",
                       project_id=None, template="decision", subject=title)
    db.session.commit()
    return note


def zone(workspace, name: str) -> None:
    workspace.timezone = name
    db.session.commit()


def digests(user) -> list[OutboxMessage]:
    found = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == user.email,
                                                           OutboxMessage.kind == "digest")).all()
    db.session.commit()
    return found


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (workspace zone, a check just before 07:15 local, the check at 07:15 local, that local date)
DAYS = [
    pytest.param("UTC", utc(2026, 11, 3, 7, 0), utc(2026, 11, 3, 7, 15), date(2026, 11, 3), id="UTC"),
    pytest.param("Europe/Berlin", utc(2026, 11, 3, 6, 0), utc(2026, 11, 3, 6, 15), date(2026, 11, 3),
                 id="Berlin"),
    # Summer time ends at 01:00 UTC: 07:15 is now 06:15 UTC, no longer 05:15 UTC as the day before.
    pytest.param("Europe/Berlin", utc(2026, 10, 25, 5, 15), utc(2026, 10, 25, 6, 15), date(2026, 10, 25),
                 id="Berlin-DST-ends"),
    # New York springs forward at 07:00 UTC: 07:15 EDT is 11:15 UTC (12:15 UTC the day before).
    pytest.param("America/New_York", utc(2026, 3, 8, 11, 0), utc(2026, 3, 8, 11, 15), date(2026, 3, 8),
                 id="New-York-DST-starts"),
    pytest.param("America/New_York", utc(2026, 11, 1, 11, 15), utc(2026, 11, 1, 12, 15), date(2026, 11, 1),
                 id="New-York-DST-ends"),
    # East of UTC: 07:15 on Tuesday in Auckland is 18:15 UTC on Monday.
    pytest.param("Pacific/Auckland", utc(2026, 11, 2, 18, 0), utc(2026, 11, 2, 18, 15), date(2026, 11, 3),
                 id="Auckland"),
    pytest.param("Asia/Kathmandu", utc(2026, 11, 3, 1, 15), utc(2026, 11, 3, 1, 30), date(2026, 11, 3),
                 id="Kathmandu-0545"),
]


@pytest.mark.parametrize(("name", "before", "due", "local_date"), DAYS)
def test_the_digest_goes_at_07_15_local_time(mia, workspace, name, before, due, local_date):
    zone(workspace, name)
    news(mia)
    assert services.send_daily_digests(now=before) == 0
    assert digests(mia) == []
    assert services.send_daily_digests(now=due) == 1
    assert [m.subject for m in digests(mia)] == ["Your Revue daily summary: 1 update"]

    news(mia, "Carl asked for changes")
    for later in (due + timedelta(minutes=15), due + timedelta(hours=10)):  # later checks, the same local day
        assert services.send_daily_digests(now=later) == 0
    assert len(digests(mia)) == 1
    marker = db.session.scalars(select(Activity).where(Activity.action == "digest.daily_sent")).one()
    assert marker.data == {"local_date": local_date.isoformat(), "time_zone": name, "people": 1}

    next_due = datetime.combine(local_date + timedelta(days=1), time(7, 15), tzinfo=ZoneInfo(name))
    assert services.send_daily_digests(now=next_due - timedelta(minutes=15)) == 0
    assert services.send_daily_digests(now=next_due) == 1
    assert [m.subject for m in digests(mia)] == ["Your Revue daily summary: 1 update"] * 2


def test_east_of_utc_the_local_date_counts_not_the_utc_one(mia, workspace):
    zone(workspace, "Pacific/Auckland")
    news(mia)
    assert services.send_daily_digests(now=utc(2026, 11, 2, 18, 15)) == 1  # Tuesday 07:15 in Auckland
    news(mia, "Carl asked for changes")
    # Tuesday 10:00 UTC: a new UTC date, but still Tuesday (23:00) in Auckland.
    assert services.send_daily_digests(now=utc(2026, 11, 3, 10, 0)) == 0
    assert services.send_daily_digests(now=utc(2026, 11, 3, 18, 15)) == 1  # Wednesday 07:15 in Auckland
    assert len(digests(mia)) == 2


def test_a_person_with_nothing_at_07_15_waits_for_the_next_day(mia, workspace):
    zone(workspace, "Europe/Berlin")
    assert services.send_daily_digests(now=utc(2026, 11, 3, 6, 15)) == 0
    news(mia)  # arrives at 09:00
    assert services.send_daily_digests(now=utc(2026, 11, 3, 8, 0)) == 0, "the day's digest time has passed"
    assert services.send_daily_digests(now=utc(2026, 11, 4, 6, 15)) == 1


def test_two_workers_checking_at_once_send_one_digest_each(mia, teammate, workspace, monkeypatch):
    """Both read "not sent today" before either committed: each person's digest is named by the day."""
    teammate.notification_prefs = {"decision": "daily"}
    news(mia)
    news(teammate)
    monkeypatch.setattr(services, "_daily_digests_done", lambda day: False)
    assert services.send_daily_digests(now=utc(2026, 11, 3, 7, 15)) == 2
    late = news(mia, "Carl asked for changes")
    assert services.send_daily_digests(now=utc(2026, 11, 3, 7, 15)) == 0
    assert len(digests(mia)) == 1 and len(digests(teammate)) == 1
    db.session.refresh(late)
    assert late.emailed_at is None, "what came late goes in the next day's digest"
    assert services.send_daily_digests(now=utc(2026, 11, 4, 7, 15)) == 1
    assert "Carl asked for changes" in digests(mia)[-1].text_body


def test_hourly_digests_go_once_an_hour(request_ctx, member, workspace):
    member.notification_prefs = {"decision": "hourly"}
    news(member)
    assert services.send_digests("hourly", now=utc(2026, 11, 3, 9, 10)) == 1
    news(member, "Carl asked for changes")
    assert services.send_digests("hourly", now=utc(2026, 11, 3, 9, 10)) == 0, "a second worker, the same hour"
    assert services.send_digests("hourly", now=utc(2026, 11, 3, 10, 10)) == 1
    assert len(digests(member)) == 2


def test_an_unknown_time_zone_means_utc(mia, workspace):
    zone(workspace, "Mars/Olympus_Mons")
    news(mia)
    assert services.send_daily_digests(now=utc(2026, 11, 3, 7, 0)) == 0
    assert services.send_daily_digests(now=utc(2026, 11, 3, 7, 15)) == 1


@pytest.mark.parametrize("day", [date(2026, 1, 15), date(2026, 7, 15)], ids=["January", "July"])
def test_the_job_checks_at_07_15_in_every_zone_the_settings_offer(day):
    check = jobs.daily_digests.task_class()
    for name, _label in timezone_choices():
        at = datetime.combine(day, time(7, 15), tzinfo=ZoneInfo(name)).astimezone(UTC).replace(tzinfo=None)
        assert check.validate_datetime(at), f"07:15 in {name} is {at:%H:%M} UTC: the job does not run then"
