"""Failure throttling shared by every worker (rows in the database), SECURITY A4 and E5.

After ``limit`` failures within the window each further failure doubles a delay
(1 s, 2 s, 4 s … capped at 15 minutes) during which attempts get 429 with
``Retry-After``. The count starts over after a window without failures (once delays
have begun: a window after the last one ended). Nothing locks an account for good,
and password reset by email stays open.
"""

from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..db import db, utcnow
from ..errors import TooManyAttempts
from .models import Throttle

MAX_DELAY = 15 * 60


def check(*keys: str) -> None:
    """Raise TooManyAttempts when any key is in its delay."""
    now = utcnow()
    rows = db.session.scalars(select(Throttle).where(Throttle.key.in_(keys))).all()
    waits = [row.blocked_until - now for row in rows if row.blocked_until and row.blocked_until > now]
    if waits:
        seconds = math.ceil(max(waits).total_seconds())
        raise TooManyAttempts(f"Too many attempts. Try again in {_humane(seconds)}.", seconds)


def fail(key: str, limit: int) -> None:
    now = utcnow()
    window = timedelta(seconds=current_app.config["THROTTLE_WINDOW_SECONDS"])
    # populate_existing: check() may have loaded this row earlier in the transaction; without it
    # the locked re-read keeps those stale numbers and concurrent failures overwrite each other.
    row = db.session.get(Throttle, key, with_for_update=True, populate_existing=True)
    if row is None:
        try:
            with db.session.begin_nested():  # another worker may insert the same key
                db.session.add(Throttle(key=key, failures=0, window_start=now))
        except IntegrityError:
            pass
        row = db.session.get(Throttle, key, with_for_update=True, populate_existing=True)
    # Start over only after a quiet window: since the first failure, or, once delays have begun,
    # since the last delay ended. (Counting from the first failure alone reset the doubling every
    # 15 minutes of a slow attack, so the delay never reached its cap.)
    quiet_since = max(row.window_start, row.blocked_until or row.window_start)
    if quiet_since < now - window:
        row.failures, row.window_start, row.blocked_until = 0, now, None
    row.failures += 1
    over = row.failures - limit
    if over > 0:
        row.blocked_until = now + timedelta(seconds=min(2 ** (over - 1), MAX_DELAY))
    db.session.flush()


def clear(key: str) -> None:
    row = db.session.get(Throttle, key)
    if row is not None:
        db.session.delete(row)


def _humane(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
