"""Periodic review jobs: reminders (hourly check), hourly and daily digests."""

from huey import crontab

from ..jobs import periodic
from . import services


@periodic(crontab(minute="5"))
def review_reminders() -> int:
    return services.send_reminders()


@periodic(crontab(minute="10"))
def hourly_digests() -> int:
    return services.send_digests("hourly")


@periodic(crontab(minute="*/15"))
def daily_digests() -> int:
    """Checks every quarter hour; sends once a day, at 07:15 in the workspace's time zone (every real
    zone's offset is a whole number of quarter hours)."""
    return services.send_daily_digests()
