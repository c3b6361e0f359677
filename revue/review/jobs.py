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


@periodic(crontab(hour="7", minute="15"))
def daily_digests() -> int:
    return services.send_digests("daily")
